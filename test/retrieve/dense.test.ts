import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DimensionMismatchError, InvalidParameterError } from '../../src/core/errors.js';
import { DenseIndexReader } from '../../src/index/dense/store.js';
import { IndexReader } from '../../src/index/store/reader.js';
import { IndexWriter } from '../../src/index/store/writer.js';
import { DenseRetriever, parseChunkId } from '../../src/retrieve/dense.js';
import { buildFixtureIndex, KeywordEmbedderStandIn } from './dense-fixture.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openbook-dense-retr-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DenseRetriever (keyword embedder stands in for a model)', () => {
  it('embeds the query as kind "query" and maps vectors back to stored chunks', async () => {
    const embedder = new KeywordEmbedderStandIn();
    await buildFixtureIndex(dir, embedder);
    const retriever = new DenseRetriever(await IndexReader.open(dir), await DenseIndexReader.open(dir), embedder);
    const hits = await retriever.retrieve('cat?', 3);
    // q = [1,0,0]; d1 [1,0,0] → cos 1; d3 [1,0,1] → 1/√2 = 0.707107; d2 [0,1,0] → 0
    expect(hits.map((h) => [h.rank, h.chunkId, h.docId, h.title, h.text])).toEqual([
      [1, 'd1#0', 'd1', 'Title d1', 'cat purrs'],
      [2, 'd3#0', 'd3', 'Title d3', 'bird sings while a cat watches'],
      [3, 'd2#0', 'd2', 'Title d2', 'dog barks loudly'],
    ]);
    expect(hits.map((h) => h.score)).toEqual([expect.closeTo(1, 6), expect.closeTo(0.707107, 6), expect.closeTo(0, 6)]);
    expect(hits[0].source).toBe('d1.txt');
    expect(embedder.calls.at(-1)).toEqual({ texts: ['cat?'], kind: 'query' });
  });

  it('skips vectors whose chunk left the sparse index and still returns topK live hits', async () => {
    const embedder = new KeywordEmbedderStandIn();
    await buildFixtureIndex(dir, embedder);
    const writer = await IndexWriter.open(dir, { analyzer: 'standard', chunkSize: 200, chunkOverlap: 0, noChunk: true, luceneNorms: true }, { now: () => 1 });
    writer.removeDocument('d1');
    await writer.commit();
    await writer.close();
    const retriever = new DenseRetriever(await IndexReader.open(dir), await DenseIndexReader.open(dir), embedder);
    // d1 (best vector) is gone: the first search for 2 finds d1, d3 → widened → d3, d2
    expect((await retriever.retrieve('cat', 2)).map((h) => [h.rank, h.chunkId])).toEqual([
      [1, 'd3#0'],
      [2, 'd2#0'],
    ]);
  });

  it('refuses another embedder, a wrong dimension and a bad topK', async () => {
    await buildFixtureIndex(dir, new KeywordEmbedderStandIn());
    const reader = await IndexReader.open(dir);
    const dense = await DenseIndexReader.open(dir);
    await expect(new DenseRetriever(reader, dense, new KeywordEmbedderStandIn('test:other')).retrieve('cat', 1)).rejects.toThrow(
      /made by "test:keywords" but the query embedder is "test:other"/,
    );
    const wide = { id: 'test:keywords', normalized: false, dimension: async () => 4, embed: async () => [new Float32Array(4)] };
    await expect(new DenseRetriever(reader, dense, wide).retrieve('cat', 1)).rejects.toThrow(DimensionMismatchError);
    await expect(new DenseRetriever(reader, dense, new KeywordEmbedderStandIn()).retrieve('cat', 0)).rejects.toThrow(InvalidParameterError);
  });

  it('parses chunk ids at the last #', () => {
    expect(parseChunkId('notes/a#b.md#12')).toEqual({ docId: 'notes/a#b.md', ordinal: 12 });
    expect(parseChunkId('no-ordinal')).toBeUndefined();
    expect(parseChunkId('x#-1')).toBeUndefined();
  });
});
