import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import { mulberry32 } from '../../src/core/random.js';
import { readManifest } from '../../src/index/index.js';
import { FILE_ROLES } from '../../src/index/store/format.js';
import { ChunkTermCounter, TermDictionary } from '../../src/index/store/term-counter.js';
import { IndexWriter, type DocumentWithChunks } from '../../src/index/store/writer.js';
import { makeDoc, stepClock, tempDir } from './helpers.js';

const WORDS = ['retrieval', "model's", 'the', 'of', 'dense', 'sparse', 'BM25', 'passages', 'Ranking', 'and', 'is', 'ＦＵＬＬ', 'café', '검색기가', '문서를', '東京', 'queries', 'k1', 'avgdl'];

/** `n` seeded documents of 1–3 paragraphs, ~60 words each, over WORDS plus rare numbered words. */
function corpus(n: number, seed: number): DocumentWithChunks[] {
  const rng = mulberry32(seed);
  const out: DocumentWithChunks[] = [];
  for (let d = 0; d < n; d++) {
    const paragraphs: string[] = [];
    for (let p = 0, np = 1 + Math.floor(rng() * 3); p < np; p++) {
      const words: string[] = [];
      for (let w = 0; w < 60; w++) words.push(rng() < 0.2 ? `w${Math.floor(rng() * 5000)}` : WORDS[Math.floor(rng() * WORDS.length)]);
      paragraphs.push(words.join(' '));
    }
    out.push(makeDoc(`doc${d}`, paragraphs.join('\n\n')));
  }
  return out;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function build(items: DocumentWithChunks[], analyzer: string, threads: number, titleTerms = false): Promise<{ dir: string; usedWorkers: boolean }> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const writer = await IndexWriter.open(dir, { analyzer, chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true, titleTerms }, { now: stepClock(), threads });
  let usedWorkers: boolean;
  try {
    if (threads === 1) for (const { doc, chunks } of items) writer.addDocument(doc, chunks);
    else await writer.addDocuments(items);
    usedWorkers = (writer as unknown as { pool: unknown }).pool !== null;
    await writer.commit();
  } finally {
    await writer.close();
  }
  return { dir, usedWorkers };
}

async function filesOf(dir: string): Promise<Record<string, Buffer>> {
  const m = (await readManifest(dir))!.manifest;
  const out: Record<string, Buffer> = {};
  for (const role of FILE_ROLES) out[role] = await readFile(join(dir, m.files[role].name));
  return out;
}

describe('index-time analysis on worker threads', () => {
  // ~2,500 documents × ~2 paragraphs × ~400 characters ≈ 2M characters: several 512K-character batches.
  const items = corpus(2500, 7);

  for (const analyzer of ['english', 'auto']) {
    it(`builds byte-identical index files with 3 threads and with none (${analyzer}: ${analyzer === 'english' ? 'keyed' : 'term'} path)`, async () => {
      const serial = await build(items, analyzer, 1);
      const parallel = await build(items, analyzer, 3);
      expect(parallel.usedWorkers).toBe(true);
      const a = await filesOf(serial.dir);
      const b = await filesOf(parallel.dir);
      for (const role of FILE_ROLES) expect(b[role].equals(a[role]), role).toBe(true);
      expect((await readManifest(parallel.dir))!.manifest.counts).toEqual((await readManifest(serial.dir))!.manifest.counts);
    });
  }

  it('with the title as an indexed field (titleTerms), the worker path analyses each chunk with its title too: byte-identical files', async () => {
    const serial = await build(items, 'english', 1, true);
    const parallel = await build(items, 'english', 3, true);
    expect(parallel.usedWorkers).toBe(true);
    const a = await filesOf(serial.dir);
    const b = await filesOf(parallel.dir);
    for (const role of FILE_ROLES) expect(b[role].equals(a[role]), role).toBe(true);
    // Every chunk gained its title's one term ("doc<n>", makeDoc's title): one posting and one token per chunk.
    const off = (await readManifest((await build(items, 'english', 1, false)).dir))!.manifest.counts;
    const on = (await readManifest(serial.dir))!.manifest.counts;
    expect(on.sumDocLen - off.sumDocLen).toBe(on.numChunks);
    expect(on.numPostings - off.numPostings).toBe(on.numChunks);
  });

  it('keeps addDocument semantics within one call: an identical re-add is a no-op, a changed one moves to the end', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const writer = await IndexWriter.open(dir, { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true }, { now: stepClock(), threads: 2 });
    try {
      const [a, b, c] = corpus(3, 11);
      const a2 = makeDoc('doc0', a.doc.text); // identical content: no-op, doc0 stays first
      const c2 = makeDoc('doc2', c.doc.text + '\n\nchanged'); // changed: replaces doc2 and moves it to the end
      const filler = corpus(2000, 12).map((x, i) => makeDoc(`fill${i}`, x.doc.text)); // forces real batches
      await writer.addDocuments([a, b, c, ...filler, a2, c2]);
      const ids = [...writer.documentIds()];
      expect(ids.slice(0, 2)).toEqual(['doc0', 'doc1']);
      expect(ids.at(-1)).toBe('doc2');
      expect(ids).toHaveLength(2003);
      expect((writer as unknown as { pool: unknown }).pool).not.toBeNull();
    } finally {
      await writer.close();
    }
  });

  it('adds the documents before an invalid one, then rejects with its error', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const writer = await IndexWriter.open(dir, { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true }, { now: stepClock(), threads: 2 });
    try {
      const good = corpus(1500, 13);
      const bad = makeDoc('bad', 'one\n\ntwo');
      bad.chunks[1] = { ...bad.chunks[1], ordinal: 5 };
      await expect(writer.addDocuments([...good, bad, ...corpus(2, 14).map((x, i) => makeDoc(`after${i}`, x.doc.text))])).rejects.toThrow(
        'chunk 1 of document "bad" has ordinal 5; chunks must be given in order',
      );
      expect([...writer.documentIds()]).toHaveLength(1500);
      expect(writer.getDocument('after0')).toBeUndefined();
    } finally {
      await writer.close();
    }
  });
});

describe('ChunkTermCounter', () => {
  it('counts the same terms through the keyed path as through analyze() (english, auto, korean; mixed scripts)', () => {
    const texts = corpus(300, 21).flatMap((d) => d.chunks.map((c) => c.text));
    texts.push('BM25는 東京都に住んでいます。 ＦＵＬＬ-width café', "John's e-mail: user@example.com 3.14%", '');
    for (const name of ['english', 'auto', 'korean']) {
      const keyedAnalyzer = getAnalyzer(name);
      expect(keyedAnalyzer.forEachKey).toBeDefined();
      const plain = getAnalyzer(name);
      const plainOnly = { name, analyze: (t: string) => plain.analyze(t), tokens: (t: string) => plain.tokens(t) };
      const keyed = new ChunkTermCounter(keyedAnalyzer, new TermDictionary()).countAll(texts);
      const viaAnalyze = new ChunkTermCounter(plainOnly, new TermDictionary());
      const ref = viaAnalyze.countAll(texts);
      // Dictionaries are filled in the same first-sight order, so ids, frequencies and lengths match exactly.
      expect(Array.from(keyed.ids)).toEqual(Array.from(ref.ids));
      expect(Array.from(keyed.tfs)).toEqual(Array.from(ref.tfs));
      expect(Array.from(keyed.ends)).toEqual(Array.from(ref.ends));
      expect(Array.from(keyed.docLens)).toEqual(Array.from(ref.docLens));
      expect(viaAnalyze.dict.size).toBeGreaterThan(100);
    }
  });

  it('counts distinct term ids and frequencies per chunk, in first-occurrence order (hand-checked)', () => {
    for (const name of ['english', 'standard']) {
      const counter = new ChunkTermCounter(getAnalyzer(name), new TermDictionary());
      const c = counter.countAll(['The dogs and the dog barked', '', 'Barking dogs']);
      const terms = counter.dict.terms;
      const chunk = (i: number) => {
        const from = i === 0 ? 0 : c.ends[i - 1];
        return Array.from(c.ids.subarray(from, c.ends[i]), (id, k) => `${terms[id]}:${c.tfs[from + k]}`);
      };
      if (name === 'english') {
        // "the", "and" are stop words; dogs/dog → dog (×2), barked/barking → bark.
        expect(chunk(0)).toEqual(['dog:2', 'bark:1']);
        expect(chunk(2)).toEqual(['bark:1', 'dog:1']);
        expect(Array.from(c.docLens)).toEqual([3, 0, 2]);
      } else {
        expect(chunk(0)).toEqual(['the:2', 'dogs:1', 'and:1', 'dog:1', 'barked:1']);
        expect(Array.from(c.docLens)).toEqual([6, 0, 2]);
      }
      expect(chunk(1)).toEqual([]);
    }
  });
});
