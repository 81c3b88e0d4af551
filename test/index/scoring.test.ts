/**
 * Query-path checks against a naive oracle, and Lucene's lossy length norms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexReader, IndexWriter, similarityNames, similarities } from '../../src/index/index.js';
import { idfLucene, normInverseLucene, termScoreLucene } from '../../src/index/sparse/similarity.js';
import { byte4ToInt, intToByte4 } from '../../src/index/sparse/small-float.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from './helpers.js';
import { mulberry32 } from '../../src/core/random.js';

const VOCAB = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen', 'ibis', 'jay', 'koi', 'lark'];


const dirs: Array<{ dir: string; cleanup: () => Promise<void> }> = [];
afterAll(async () => {
  for (const d of dirs) await d.cleanup();
});

async function build(texts: string[], luceneNorms: boolean): Promise<IndexReader> {
  const t = await tempDir();
  dirs.push(t);
  const w = await IndexWriter.open(t.dir, { ...tinyConfig, noChunk: true, luceneNorms }, { now: stepClock(), analyzer: tinyAnalyzer });
  texts.forEach((text, i) => {
    const { doc, chunks } = makeDoc(`d${i}`, text);
    w.addDocument(doc, chunks);
  });
  await w.commit();
  await w.close();
  return IndexReader.open(t.dir, { analyzer: tinyAnalyzer });
}

describe('term-at-a-time search equals a naive scorer', () => {
  const rng = mulberry32(11);
  const texts = Array.from({ length: 120 }, () => Array.from({ length: 1 + Math.floor(rng() * 80) }, () => VOCAB[Math.floor(rng() ** 2 * VOCAB.length)]).join(' '));
  let readers: Record<'lucene' | 'exact', IndexReader>;
  beforeAll(async () => {
    readers = { lucene: await build(texts, true), exact: await build(texts, false) };
  });

  for (const norms of ['lucene', 'exact'] as const) {
    for (const name of similarityNames) {
      it(`${name} with ${norms} norms`, () => {
        const sim = similarities[name];
        const p = { k1: 1.1, b: 0.6, delta: sim.defaultDelta };
        const docs = texts.map((t) => t.split(' '));
        const N = docs.length;
        const sum = docs.reduce((s, d) => s + d.length, 0);
        const avgdl = sim.float32 ? Math.fround(sum / N) : sum / N;
        const lengthOf = (n: number) => (norms === 'lucene' ? byte4ToInt(intToByte4(n)) : n);
        for (const query of ['cat', 'ibis lark lark', 'ant bee cat dog koi', 'zebra', 'lark koi jay']) {
          const q = query.split(' ');
          const oracle = docs
            .map((d, i) => {
              let s = 0;
              let matched = false;
              const seen = new Map<string, number>();
              for (const t of q) seen.set(t, (seen.get(t) ?? 0) + 1);
              for (const [t, qtf] of seen) {
                const tf = d.filter((x) => x === t).length;
                if (tf === 0) continue;
                matched = true;
                const df = docs.filter((x) => x.includes(t)).length;
                s += sim.termScore(sim.queryWeight(qtf, sim.idf(df, N)), tf, sim.lengthNorm(lengthOf(d.length), avgdl, p), p);
              }
              return { chunk: i, score: sim.float32 ? Math.fround(s) : s, matched };
            })
            .filter((x) => x.matched)
            .map(({ chunk, score }) => ({ chunk, score }))
            .sort((a, b) => b.score - a.score || a.chunk - b.chunk)
            .slice(0, 15);
          const got = readers[norms].search(query, { topK: 15, similarity: name, k1: p.k1, b: p.b });
          expect(got.map((g) => g.chunk)).toEqual(oracle.map((o) => o.chunk));
          got.forEach((g, i) => expect(g.score).toBeCloseTo(oracle[i].score, 9));
        }
      });
    }
  }
});


describe('Lucene length norms', () => {
  it('score a 100-token chunk as if it had 96 tokens; exact norms use 100', async () => {
    // d0: "cat" + 99 × "dog" (dl 100); d1: "cat dog" (dl 2). avgdl = 102/2 = 51, docFreq(cat) 2 → idf ln(1 + 0.5/2.5) = ln 1.2
    const texts = ['cat ' + Array(99).fill('dog').join(' '), 'cat dog'];
    const lucene = await build(texts, true);
    const exact = await build(texts, false);
    const p = { k1: 0.9, b: 0.4, delta: 0 };
    const w = idfLucene(2, 2);
    const avgdl = Math.fround(102 / 2);
    // d0 with Lucene norms: dl 96 → K = 0.9·(0.6 + 0.4·96/51) = 1.217647 → ln1.2·1/(1 + 1.217647) = 0.082211
    const s96 = termScoreLucene(w, 1, normInverseLucene(96, avgdl, p));
    const s100 = termScoreLucene(w, 1, normInverseLucene(100, avgdl, p));
    expect(s96).toBeCloseTo(0.082211, 5);
    const score = (r: IndexReader) => r.search('cat', { topK: 2 }).find((h) => h.chunk === 0)!.score;
    expect(score(lucene)).toBe(s96);
    expect(score(exact)).toBe(s100);
    expect(s96).toBeGreaterThan(s100);
  });
});
