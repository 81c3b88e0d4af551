import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { IndexReader, IndexWriter } from '../../src/index/index.js';
import { SparseRetriever } from '../../src/retrieve/sparse.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from '../index/helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let reader: IndexReader;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const w = await IndexWriter.open(dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
  const a = makeDoc('notes/bm25.md', 'BM25 saturates term frequency.\n\nLength normalisation uses b.', { format: 'md' });
  const b = makeDoc('paper.pdf', 'Dense retrievers embed text.', { format: 'pdf' });
  b.chunks[0].page = 3;
  w.addDocument(a.doc, a.chunks);
  w.addDocument(b.doc, b.chunks);
  await w.commit();
  await w.close();
  reader = await IndexReader.open(dir, { analyzer: tinyAnalyzer });
});
afterAll(() => cleanup());

describe('SparseRetriever', () => {
  it('returns ranked hits with chunk text, lines, source, title and page', async () => {
    const r = new SparseRetriever(reader, { similarity: 'bm25' });
    expect(r.name).toBe('bm25');
    const hits = await r.retrieve('term frequency dense', 5);
    expect(hits.map((h) => [h.rank, h.chunkId])).toEqual([
      [1, 'notes/bm25.md#0'],
      [2, 'paper.pdf#0'],
    ]);
    expect(hits[0]).toMatchObject({ docId: 'notes/bm25.md', source: 'notes/bm25.md.txt', title: 'NOTES/BM25.MD', text: 'BM25 saturates term frequency.', startLine: 1, endLine: 1 });
    expect(hits[0].page).toBeUndefined();
    expect(hits[1]).toMatchObject({ page: 3, text: 'Dense retrievers embed text.' });
    // the score is the reader's score
    expect(hits[0].score).toBe(reader.search('term frequency dense', { topK: 1 })[0].score);
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
    expect((await r.retrieve('length', 1))[0]).toMatchObject({ chunkId: 'notes/bm25.md#1', startLine: 3, endLine: 3 });
  });

  it('validates its options and topK, and honours an aborted signal', async () => {
    expect(() => new SparseRetriever(reader, { similarity: 'nope' as never })).toThrow(InvalidParameterError);
    expect(() => new SparseRetriever(reader, { k1: Number.NaN })).toThrow(/k1/);
    const r = new SparseRetriever(reader, { similarity: 'tfidf' });
    await expect(r.retrieve('bm25', 0)).rejects.toBeInstanceOf(InvalidParameterError);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(r.retrieve('bm25', 3, ac.signal)).rejects.toThrow('stop');
    expect(await r.retrieve('unknownword', 3)).toEqual([]);
  });
});
