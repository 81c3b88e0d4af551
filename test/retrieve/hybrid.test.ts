import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import type { Hit } from '../../src/core/types.js';
import { DenseIndexReader } from '../../src/index/dense/store.js';
import { IndexReader } from '../../src/index/store/reader.js';
import { DenseRetriever } from '../../src/retrieve/dense.js';
import { HybridRetriever } from '../../src/retrieve/hybrid.js';
import { SparseRetriever } from '../../src/retrieve/sparse.js';
import type { Retriever } from '../../src/retrieve/types.js';
import { buildFixtureIndex, KeywordEmbedderStandIn } from './dense-fixture.js';

/** A retriever with a fixed answer list; records the topK it was asked for. */
class FixedRetriever implements Retriever {
  readonly asked: number[] = [];
  constructor(
    readonly name: string,
    private readonly list: Array<[string, number]>,
  ) {}
  async retrieve(_query: string, topK: number): Promise<Hit[]> {
    this.asked.push(topK);
    return this.list.slice(0, topK).map(([doc, score], i) => ({
      rank: i + 1,
      score,
      docId: doc,
      chunkId: `${doc}#0`,
      source: doc,
      title: doc,
      text: doc,
      startLine: 1,
      endLine: 1,
    }));
  }
}

const bm25 = () => new FixedRetriever('bm25', [['a', 12], ['b', 10], ['c', 8]]);
const dense = () => new FixedRetriever('dense', [['b', 0.9], ['d', 0.8], ['a', 0.7]]);

describe('HybridRetriever', () => {
  it('RRF by default, fetching `candidates` from each side and cutting at topK', async () => {
    const s = bm25();
    const d = dense();
    const hits = await new HybridRetriever(s, d, { candidates: 50 }).retrieve('q', 2);
    // b: 1/62 + 1/61 = 0.0325225; a: 1/61 + 1/63 = 0.0322665
    expect(hits.map((h) => [h.rank, h.chunkId])).toEqual([
      [1, 'b#0'],
      [2, 'a#0'],
    ]);
    expect(hits[0].scores).toEqual({ bm25: 10, dense: 0.9, rrf: expect.closeTo(0.0325225, 7) });
    expect([s.asked, d.asked]).toEqual([[50], [50]]);
  });

  it('linear fusion with α on the second retriever', async () => {
    // min-max: bm25 a 1, b 0.5, c 0; dense b 1, d 0.5, a 0. α = 0.25 → weights [0.75, 0.25]
    // a 0.75; b 0.375 + 0.25 = 0.625; c 0; d 0.125
    const hits = await new HybridRetriever(bm25(), dense(), { fusion: 'linear', alpha: 0.25 }).retrieve('q', 4);
    expect(hits.map((h) => h.chunkId)).toEqual(['a#0', 'b#0', 'd#0', 'c#0']);
    expect(hits.map((h) => h.score)).toEqual([expect.closeTo(0.75, 12), expect.closeTo(0.625, 12), expect.closeTo(0.125, 12), 0]);
    expect(hits[0].scores).toEqual({ bm25: 12, dense: 0.7, linear: expect.closeTo(0.75, 12) });
  });

  it('validates its options', () => {
    expect(() => new HybridRetriever(bm25(), dense(), { fusion: 'max' as never })).toThrow(/valid: rrf, linear/);
    expect(() => new HybridRetriever(bm25(), dense(), { alpha: 1.5 })).toThrow(InvalidParameterError);
    expect(() => new HybridRetriever(bm25(), dense(), { alpha: 0.5, weights: [1, 1] })).toThrow(/not both/);
    expect(() => new HybridRetriever(bm25(), bm25())).toThrow(/both named "bm25"/);
  });

  it('fuses the real BM25 and dense retrievers over one index (keyword embedder stands in for a model)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openbook-hybrid-'));
    try {
      const embedder = new KeywordEmbedderStandIn();
      await buildFixtureIndex(dir, embedder);
      const reader = await IndexReader.open(dir);
      const sparse = new SparseRetriever(reader);
      const hybrid = new HybridRetriever(sparse, new DenseRetriever(reader, await DenseIndexReader.open(dir), embedder));
      const hits = await hybrid.retrieve('cat', 3);
      // BM25 ranks d1 ("cat purrs", shorter) over d3; dense ranks d1 (cos 1), d3 (0.7071), d2 (0)
      // RRF: d1 = 2/61 = 0.0327869; d3 = 2/62 = 0.0322581; d2 = 1/63 = 0.0158730 (dense only)
      expect(hits.map((h) => h.chunkId)).toEqual(['d1#0', 'd3#0', 'd2#0']);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(2 / 61, 10), expect.closeTo(2 / 62, 10), expect.closeTo(1 / 63, 10)]);
      expect(Object.keys(hits[0].scores!).sort()).toEqual(['bm25', 'dense', 'rrf']);
      expect(hits[0].scores!.bm25).toBeGreaterThan(hits[1].scores!.bm25);
      expect(hits[2].scores).toEqual({ dense: expect.closeTo(0, 6), rrf: expect.closeTo(1 / 63, 10) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
