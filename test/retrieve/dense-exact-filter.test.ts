/**
 * #16 item 2: "filtered HNSW search, with exact fallback when the filter is very selective".
 * A filter that keeps at most EXACT_FILTER_FRACTION of the stored vectors is answered by exact
 * scores over the allowed vectors only — no graph search at all — on the exact index and over
 * HNSW alike (the HNSW reader loads the stored rows once for it); a broad filter keeps the graph
 * search that widens past filtered-out vectors. The keyword embedder stands in for a model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExactIndex } from '../../src/index/dense/exact.js';
import { DenseIndexReader } from '../../src/index/dense/store.js';
import { IndexReader } from '../../src/index/store/reader.js';
import { DenseRetriever, EXACT_FILTER_FRACTION, type DenseSearcher } from '../../src/retrieve/dense.js';
import { buildFixtureIndex, KeywordEmbedderStandIn } from './dense-fixture.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openbook-dense-exact-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Counts which search the retriever used. */
function counting(inner: DenseIndexReader): DenseSearcher & { graph: number; exact: number } {
  const c = {
    graph: 0,
    exact: 0,
    embedder: inner.embedder,
    dimension: inner.dimension,
    count: inner.count,
    search: (v: Float32Array, k: number) => (c.graph++, inner.search(v, k)),
    searchAmong: (v: Float32Array, keep: (chunkId: string) => boolean, k: number) => (c.exact++, inner.searchAmong(v, keep, k)),
  };
  return c;
}

describe('ExactIndex.searchIds', () => {
  it('scores only the given ids, ties by smaller id, ids not held passed over', () => {
    const x = new ExactIndex({ dimension: 2, metric: 'dot', storage: 'float32' });
    x.add([10, 11, 12, 13], [new Float32Array([1, 0]), new Float32Array([0.5, 0.5]), new Float32Array([0, 1]), new Float32Array([0.5, 0.5])]);
    // q = [1, 2]: 10 → 1, 11 → 1.5, 12 → 2, 13 → 1.5
    expect(x.searchIds(new Float32Array([1, 2]), [13, 10, 11, 99], 2)).toEqual([
      { id: 11, score: 1.5 },
      { id: 13, score: 1.5 },
    ]);
    expect(x.searchIds(new Float32Array([1, 2]), [], 3)).toEqual([]);
  });
});

describe('exact fallback for very selective filters (the keyword embedder stands in for a model)', () => {
  for (const kind of ['exact', 'hnsw'] as const) {
    it(`${kind}: a filter keeping one chunk of three (≤ ${EXACT_FILTER_FRACTION} would be one of ten) is scored exactly over the allowed vectors`, async () => {
      const embedder = new KeywordEmbedderStandIn();
      await buildFixtureIndex(dir, embedder);
      const reader = await IndexReader.open(dir);
      const dense = await DenseIndexReader.open(dir, { kind });
      await dense.prepareExact();
      const allowOne = reader.filterBits('id = "d2"');
      const few = counting(dense);
      // With 3 vectors, one allowed chunk is 1/3 > 0.1: still the graph search.
      const broad = await new DenseRetriever(reader, few, embedder, { allow: allowOne }).retrieve('cat', 2);
      expect(broad.map((h) => h.chunkId)).toEqual(['d2#0']);
      expect(few.exact).toBe(0);
      expect(few.graph).toBeGreaterThan(0);
      // The same filter counted against 30 stored vectors (the threshold reads the searcher's count): exact.
      const s = counting(dense);
      const hits = await new DenseRetriever(reader, Object.assign(s, { count: 30 }), embedder, { allow: allowOne }).retrieve('cat', 2);
      // q = [1,0,0]; d2 [0,1,0] → cos 0: the only allowed chunk, its exact score
      expect(hits.map((h) => [h.rank, h.chunkId, h.score])).toEqual([[1, 'd2#0', expect.closeTo(0, 6)]]);
      expect([s.graph, s.exact]).toEqual([0, 1]);
    });
  }

  it('over HNSW without prepareExact the graph search answers (same hits), and a searcher without searchAmong too', async () => {
    const embedder = new KeywordEmbedderStandIn();
    await buildFixtureIndex(dir, embedder);
    const reader = await IndexReader.open(dir);
    const dense = await DenseIndexReader.open(dir, { kind: 'hnsw' });
    expect(dense.searchAmong(new Float32Array(3), () => true, 1)).toBeUndefined();
    const s = counting(dense);
    const hits = await new DenseRetriever(reader, Object.assign(s, { count: 30 }), embedder, { allow: reader.filterBits('id = "d3"') }).retrieve('cat', 1);
    expect(hits.map((h) => [h.chunkId, h.score])).toEqual([['d3#0', expect.closeTo(0.707107, 6)]]);
    expect(s.graph).toBeGreaterThan(0);
  });
});
