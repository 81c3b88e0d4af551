/**
 * The reader's decoded-text cache (#13 item 5): a text block is inflated once per reader while
 * the decoded texts fit the budget (`textCacheChars`), and the cache never holds more than the
 * budget. Texts come back exactly as written (round trip over every chunk).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexReader, IndexWriter } from '../../src/index/index.js';
import { TEXT_BLOCK_CHARS } from '../../src/index/store/format.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
const docs: ReturnType<typeof makeDoc>[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  docs.length = 0;
  // 100 documents of 3 paragraphs, ~950 characters each: ~95,000 characters, 6 blocks of 16,384.
  for (let d = 0; d < 100; d++) {
    const para = (p: number) => Array.from({ length: 70 }, (_, w) => `w${(d * 7 + p * 3 + w) % 97}x`).join(' ');
    docs.push(makeDoc(`doc${d}`, [para(0), para(1), para(2)].join('\n\n')));
  }
  const writer = await IndexWriter.open(dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
  for (const { doc, chunks } of docs) writer.addDocument(doc, chunks);
  await writer.commit();
  await writer.close();
});
afterEach(async () => cleanup());

/** Every chunk, documents interleaved (first chunks of all, then second chunks …) so blocks are visited out of order. */
function readAllInterleaved(reader: IndexReader): string[] {
  const out: string[] = [];
  for (let ordinal = 0; ordinal < 3; ordinal++) for (const { doc } of docs) out.push(reader.chunk(reader.chunksOf(doc.id)[ordinal]).text);
  return out;
}

describe('decoded text cache', () => {
  it('inflates each block once when the texts fit the budget, and returns the texts unchanged', async () => {
    const reader = await IndexReader.open(dir, { analyzer: tinyAnalyzer });
    const totalChars = docs.reduce((s, d) => s + d.doc.text.length, 0);
    const blocks = Math.ceil(totalChars / TEXT_BLOCK_CHARS);
    expect(blocks).toBeGreaterThan(4);
    const expected: string[] = [];
    for (let ordinal = 0; ordinal < 3; ordinal++) for (const { chunks } of docs) expected.push(chunks[ordinal].text);
    expect(readAllInterleaved(reader)).toEqual(expected);
    expect(readAllInterleaved(reader)).toEqual(expected);
    const s = reader.textCacheStats();
    // Blocks end at a document boundary once ≥ 16,384 characters are pending, so there are at most `blocks` of them.
    expect(s.blocksDecoded).toBeLessThanOrEqual(blocks);
    expect(s.blocksDecoded).toBe(s.cachedBlocks);
    expect(s.cachedChars).toBeGreaterThanOrEqual(totalChars);
  });

  it('a small budget bounds what is kept (and blocks are then inflated again)', async () => {
    const budget = 20_000;
    const reader = await IndexReader.open(dir, { analyzer: tinyAnalyzer, textCacheChars: budget });
    readAllInterleaved(reader);
    readAllInterleaved(reader);
    const s = reader.textCacheStats();
    expect(s.cachedChars).toBeLessThanOrEqual(budget);
    expect(s.cachedBlocks).toBe(1);
    expect(s.blocksDecoded).toBeGreaterThan(2 * 3 * 4);
  });
});
