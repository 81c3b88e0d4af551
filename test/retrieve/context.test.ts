/**
 * Small-to-big context over a real index on disk: sentence windows and parent sections are
 * verbatim spans of the document, at the right file lines, and quotes from them are cited at
 * their exact lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { parseContextMode } from '../../src/retrieve/context.js';

const DOC = [
  '# Storage', // 1
  '', // 2
  'Segments are immutable files.', // 3
  'A commit writes a new manifest.', // 4
  'Readers see the last commit only.', // 5
  'Old segments are deleted after a merge.', // 6
  '', // 7
  '## Crash safety', // 8
  '', // 9
  'Every file is written to a temporary name first.', // 10
  'Then fsync makes it durable.', // 11
  'The rename is atomic on POSIX file systems.', // 12
  'A crash before the rename leaves the old manifest.', // 13
  '', // 14
  '# Search', // 15
  '', // 16
  'Queries are analysed like documents.', // 17
  'Postings are scored with BM25.', // 18
  '',
].join('\n');

let dir: string;
let engine: Engine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openbook-context-'));
  writeFileSync(join(dir, 'notes.md'), DOC);
  // 8-token chunks: every chunk holds about one sentence
  await indexPaths({ indexDir: join(dir, 'ix'), paths: [join(dir, 'notes.md')], chunkSize: 8, chunkOverlap: 0, analyzer: 'english', cwd: dir, now: Date.now });
  engine = await Engine.open(join(dir, 'ix'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (from: number, to: number) => DOC.split('\n').slice(from - 1, to).join('\n');

describe('small-to-big context (retrieve/context.ts)', () => {
  it('parses the modes and refuses others', () => {
    expect(parseContextMode('chunk')).toEqual({ kind: 'chunk' });
    expect(parseContextMode('sentence-window:2')).toEqual({ kind: 'sentence-window', n: 2 });
    expect(parseContextMode('parent')).toEqual({ kind: 'parent', budget: 512 });
    expect(parseContextMode('parent:64')).toEqual({ kind: 'parent', budget: 64 });
    expect(() => parseContextMode('window')).toThrow(/chunk, sentence-window:N or parent\[:T\]/);
  });

  it('sentence-window:1 returns the best sentence with one sentence either side, a verbatim span at its file lines', async () => {
    const [h] = await engine.search('fsync durable', { topK: 1, context: 'sentence-window:1' });
    expect(h.text).toBe(lines(10, 12));
    expect([h.startLine, h.endLine]).toEqual([10, 12]);
    expect(h.scores!.sentence).toBeGreaterThan(0);
    const [w0] = await engine.search('fsync durable', { topK: 1, context: 'sentence-window:0' });
    expect(w0.text).toBe('Then fsync makes it durable.');
    expect([w0.startLine, w0.endLine]).toEqual([11, 11]);
  });

  it('parent returns the chunk\'s section (to the next heading of the same or a higher level), cut to the token budget', async () => {
    const [h] = await engine.search('rename atomic POSIX', { topK: 1, context: 'parent' });
    expect(h.text).toBe(lines(8, 13));
    expect([h.startLine, h.endLine]).toEqual([8, 13]);
    const [small] = await engine.search('rename atomic POSIX', { topK: 1, context: 'parent:16' });
    expect(small.text).toContain('The rename is atomic on POSIX file systems.');
    expect(small.scores!.contextTokens).toBeLessThanOrEqual(16);
    expect(DOC.includes(small.text)).toBe(true);
    // one hit per section: two chunks of "Storage" give one parent
    const hits = await engine.search('segments commit manifest', { topK: 3, context: 'parent' });
    expect(new Set(hits.map((x) => `${x.startLine}`)).size).toBe(hits.length);
  });

  it('the extractive answer over a sentence window cites the quote at its exact file line', async () => {
    const a = await engine.ask('What makes the file durable?', { topK: 2, context: 'sentence-window:1' });
    const c = a.citations.find((x) => x.quote.includes('fsync'))!;
    expect(c).toBeDefined();
    expect([c.startLine, c.endLine]).toEqual([11, 11]);
  });
});
