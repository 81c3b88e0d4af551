import { afterEach, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../src/core/errors.js';
import type { Hit } from '../../../src/core/types.js';
import { buildLinkGraph } from '../../../src/index/graph/index.js';
import { IndexReader, IndexWriter } from '../../../src/index/index.js';
import { GraphPriorRetriever, loadPageRank, rescoreWithPrior, withPageRankPrior } from '../../../src/retrieve/graph-prior.js';
import type { Retriever } from '../../../src/retrieve/types.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from '../helpers.js';

const hit = (docId: string, score: number, rank: number): Hit => ({
  rank, score, docId, chunkId: `${docId}#0`, source: `${docId}.md`, title: docId, text: `text ${docId}`, startLine: 1, endLine: 1,
});

/** A fixed list standing in for a text retriever; records the topK it was asked for. */
class FixedRetriever implements Retriever {
  readonly name = 'bm25';
  asked: number[] = [];
  constructor(private readonly hits: Hit[]) {}
  async retrieve(_q: string, topK: number): Promise<Hit[]> {
    this.asked.push(topK);
    return this.hits.slice(0, topK);
  }
}

const PR: Record<string, number> = { a: 0.1, b: 0.5, c: 0.3 };

describe('PageRank prior: score = (1 − w)·norm(text) + w·norm(PR), min-max over the candidates', () => {
  it('w = 0.2 (default) and w = 0.5, by hand', async () => {
    const base = new FixedRetriever([hit('a', 10, 1), hit('b', 8, 2), hit('c', 4, 3)]);
    // norm(text) = (s − 4)/6 → a 1, b 0.666667, c 0;  norm(PR) = (p − 0.1)/0.4 → a 0, b 1, c 0.5
    // w = 0.2: a = 0.8·1 = 0.8;  b = 0.8·0.666667 + 0.2·1 = 0.733333;  c = 0.2·0.5 = 0.1
    const r = await new GraphPriorRetriever(base, (id) => PR[id]).retrieve('q', 3);
    expect(r.map((h) => h.docId)).toEqual(['a', 'b', 'c']);
    expect(r.map((h) => h.score)).toEqual([0.8, expect.closeTo(0.733333, 6), expect.closeTo(0.1, 12)]);
    expect(r[1].scores).toEqual({ bm25: 8, pagerank: 0.5, prior: expect.closeTo(0.733333, 6) });
    expect(base.asked).toEqual([100]); // candidates default max(topK, 100)
    // w = 0.5: a = 0.5;  b = 0.5·0.666667 + 0.5 = 0.833333;  c = 0.25  →  b, a, c
    const r2 = await new GraphPriorRetriever(base, (id) => PR[id], { prWeight: 0.5, candidates: 3 }).retrieve('q', 2);
    expect(r2.map((h) => [h.docId, h.rank])).toEqual([['b', 1], ['a', 2]]);
    expect(r2[0].score).toBeCloseTo(0.833333, 6);
    expect(base.asked.at(-1)).toBe(3);
  });

  it('w = 0 keeps the text order; equal PR everywhere normalises to 1 and changes nothing; unknown docs count as PR 0', () => {
    const hits = [hit('a', 3, 1), hit('b', 2, 2), hit('x', 1, 3)];
    expect(rescoreWithPrior(hits, (id) => PR[id], 0).map((h) => h.docId)).toEqual(['a', 'b', 'x']);
    expect(rescoreWithPrior(hits, () => 0.2, 0.9).map((h) => h.docId)).toEqual(['a', 'b', 'x']);
    // x has no PR → 0; norm(PR) = a 0.2, b 1, x 0; w = 0.9: a = 0.1 + 0.18 = 0.28, b = 0.05 + 0.9 = 0.95, x = 0
    const r = rescoreWithPrior(hits, (id) => PR[id], 0.9);
    expect(r.map((h) => h.docId)).toEqual(['b', 'a', 'x']);
    expect(r[1].score).toBeCloseTo(0.28, 12);
    expect(r[2].scores!.pagerank).toBe(0);
  });

  it('refuses prWeight outside [0, 1] and bad candidates', () => {
    const base = new FixedRetriever([]);
    expect(() => new GraphPriorRetriever(base, () => 0, { prWeight: 1.5 })).toThrow(InvalidParameterError);
    expect(() => new GraphPriorRetriever(base, () => 0, { candidates: 0 })).toThrow(InvalidParameterError);
  });
});

describe('loadPageRank: stored when current, computed when missing or stale', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('reads the stored vector, and recomputes after a commit that did not rebuild it', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const w = await IndexWriter.open(t.dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
    // A→B, B has no out-links: PR = 0.3508772, 0.6491228 (hand-solved in graph.test.ts)
    for (const [id, to] of [['a', 'b.md'], ['b', undefined]] as const) {
      const { doc, chunks } = makeDoc(id, `text ${id}`, { source: `${id}.md`, format: 'md', ...(to ? { links: [{ href: to, text: to }] } : {}) });
      w.addDocument(doc, chunks);
    }
    await w.commit();
    await w.close();
    const reader = await IndexReader.open(t.dir, { analyzer: tinyAnalyzer });
    expect((await loadPageRank(t.dir, reader.documents())).origin).toBe('computed');
    await buildLinkGraph(t.dir, () => 1);
    const stored = await loadPageRank(t.dir, reader.documents());
    expect(stored.origin).toBe('stored');
    expect(stored.lookup('a')).toBeCloseTo(0.3508772, 7);
    expect(stored.lookup('b')).toBeCloseTo(0.6491228, 7);
    const prior = await withPageRankPrior(new FixedRetriever([hit('a', 2, 1), hit('b', 1, 2)]), reader, { prWeight: 0.6 });
    // norm(text) a 1, b 0; norm(PR) a 0, b 1; w = 0.6: a = 0.4, b = 0.6 → b first
    expect((await prior.retrieve('q', 2)).map((h) => h.docId)).toEqual(['b', 'a']);
  });
});
