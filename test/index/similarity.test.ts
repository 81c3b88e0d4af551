/**
 * Each similarity against hand-computed scores on a three-document corpus, through a real index
 * written to disk (one chunk per document, the stand-in analyzer).
 *
 *   d0 "cat sat"           dl 2
 *   d1 "cat cat dog"       dl 3
 *   d2 "dog ran far away"  dl 4
 *   N (docCount) 3, Σdl 9, avgdl 3; docFreq(cat) 2, docFreq(dog) 2, docFreq(ran) 1
 *   k1 1.2, b 0.75 → K = k1·(1 − b + b·dl/avgdl): d0 1.2·(0.25 + 0.5) = 0.9, d1 1.2·1 = 1.2, d2 1.2·1.25 = 1.5
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { getSimilarity, IndexReader, IndexWriter, similarityNames, type SimilarityName } from '../../src/index/index.js';
import { idfLucene, normInverseLucene, termScoreLucene } from '../../src/index/sparse/similarity.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let reader: IndexReader;
const P = { k1: 1.2, b: 0.75 };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const w = await IndexWriter.open(dir, { ...tinyConfig, noChunk: true }, { now: stepClock(), analyzer: tinyAnalyzer });
  for (const [id, text] of [['d0', 'cat sat'], ['d1', 'cat cat dog'], ['d2', 'dog ran far away']]) {
    const { doc, chunks } = makeDoc(id, text);
    w.addDocument(doc, chunks);
  }
  await w.commit();
  await w.close();
  reader = await IndexReader.open(dir, { analyzer: tinyAnalyzer });
});
afterAll(() => cleanup());

const run = (q: string, similarity: SimilarityName, extra: { delta?: number } = {}) =>
  reader.search(q, { topK: 10, similarity, ...P, ...extra }).map((h) => [h.chunk, h.score] as const);

describe('similarities on a three-document corpus', () => {
  it('bm25 (Lucene): idf ln(1 + (N − df + 0.5)/(df + 0.5)), tf/(tf + K), no (k1 + 1)', () => {
    // idf(cat) = ln(1 + 1.5/2.5) = ln 1.6 = 0.470004
    // d1: 2/(2 + 1.2) = 0.625 → 0.293752;  d0: 1/(1 + 0.9) = 0.526316 → 0.247370
    const r = run('cat', 'bm25');
    expect(r.map((x) => x[0])).toEqual([1, 0]);
    expect(r[0][1]).toBeCloseTo(0.293752, 6);
    expect(r[1][1]).toBeCloseTo(0.24737, 6);
    // scores are float32 values, as Lucene's
    for (const [, s] of r) expect(Math.fround(s)).toBe(s);
  });

  it('bm25 sums terms, and a repeated query term counts twice (Lucene merges repeated SHOULD clauses into boost 2)', () => {
    // "cat dog": d1 = 0.293752 + ln1.6·1/(1 + 1.2) = 0.293752 + 0.213638 = 0.507390; d2 = ln1.6·1/(1 + 1.5) = 0.188001
    const r = run('cat dog', 'bm25');
    expect(r.map((x) => x[0])).toEqual([1, 0, 2]);
    expect(r[0][1]).toBeCloseTo(0.50739, 5);
    expect(r[2][1]).toBeCloseTo(0.188001, 6);
    // "cat cat": weight 2·idf → d1 2·0.293752 = 0.587505
    expect(run('cat cat', 'bm25')[0][1]).toBeCloseTo(0.587505, 5);
  });

  it('bm25-robertson: idf ln((N − df + 0.5)/(df + 0.5)) can be negative', () => {
    // idf(cat) = ln(1.5/2.5) = ln 0.6 = −0.510826: d0 −0.510826·0.526316 = −0.268856, d1 −0.510826·0.625 = −0.319266
    const r = run('cat', 'bm25-robertson');
    expect(r.map((x) => x[0])).toEqual([0, 1]);
    expect(r[0][1]).toBeCloseTo(-0.268856, 6);
    expect(r[1][1]).toBeCloseTo(-0.319266, 6);
    // idf(ran) = ln(2.5/1.5) = 0.510826; d2 tf part 1/(1 + 1.5) = 0.4 → 0.204330
    expect(run('ran', 'bm25-robertson')[0][1]).toBeCloseTo(0.20433, 6);
  });

  it('bm25-atire: idf ln(N/df), (k1 + 1)·tf/(tf + K)', () => {
    // idf(cat) = ln 1.5 = 0.405465; d1 4.4/3.2 = 1.375 → 0.557515; d0 2.2/1.9 = 1.157895 → 0.469486
    const r = run('cat', 'bm25-atire');
    expect(r[0]).toEqual([1, expect.closeTo(0.557515, 6)]);
    expect(r[1]).toEqual([0, expect.closeTo(0.469486, 6)]);
  });

  it('bm25l: idf ln((N + 1)/(df + 0.5)), c = tf/(1 − b + b·dl/avgdl), (k1 + 1)(c + δ)/(k1 + c + δ), δ 0.5', () => {
    // idf(cat) = ln(4/2.5) = 0.470004
    // d1: c = 2/1 = 2 → 2.2·2.5/3.7 = 1.486486 → 0.698654; d0: c = 1/0.75 = 1.333333 → 2.2·1.833333/3.033333 = 1.329670 → 0.624950
    const r = run('cat', 'bm25l');
    expect(r[0]).toEqual([1, expect.closeTo(0.698654, 6)]);
    expect(r[1]).toEqual([0, expect.closeTo(0.62495, 6)]);
  });

  it('bm25+: idf ln((N + 1)/df), (k1 + 1)·tf/(K + tf) + δ, δ 1', () => {
    // idf(cat) = ln 2 = 0.693147; d1 (1.375 + 1)·0.693147 = 1.646225; d0 (1.157895 + 1)·0.693147 = 1.495739
    const r = run('cat', 'bm25+');
    expect(r[0]).toEqual([1, expect.closeTo(1.646225, 6)]);
    expect(r[1]).toEqual([0, expect.closeTo(1.495739, 6)]);
    // δ = 0 gives ATIRE's tf part with the BM25+ idf: 0.693147·1.375 = 0.953077
    expect(run('cat', 'bm25+', { delta: 0 })[0][1]).toBeCloseTo(0.953077, 6);
  });

  it('tfidf: sqrt(tf)·idf²·1/sqrt(dl), idf 1 + ln((N + 1)/(df + 1))', () => {
    // idf(cat) = 1 + ln(4/3) = 1.287682, idf² = 1.658125
    // d1: sqrt 2·1.658125/sqrt 3 = 1.353853; d0: 1·1.658125/sqrt 2 = 1.172472
    const r = run('cat', 'tfidf');
    expect(r[0]).toEqual([1, expect.closeTo(1.353853, 5)]);
    expect(r[1]).toEqual([0, expect.closeTo(1.172472, 5)]);
  });

  it('k1 and b default to 0.9 and 0.4 (Pyserini)', () => {
    // K(d1) = 0.9·(0.6 + 0.4·1) = 0.9 → ln1.6·2/2.9 = 0.324140
    expect(reader.search('cat', { topK: 1 })[0].score).toBeCloseTo(0.32414, 5);
  });

  it('unknown names and bad parameters are InvalidParameterErrors naming the valid choices', () => {
    expect(() => getSimilarity('bm26')).toThrow(InvalidParameterError);
    expect(() => getSimilarity('bm26')).toThrow(similarityNames.join(', '));
    expect(() => reader.search('cat', { topK: 3, k1: -1 })).toThrow(/k1/);
    expect(() => reader.search('cat', { topK: 3, b: 1.5 })).toThrow(/b must be/);
    expect(() => reader.search('cat', { topK: -1 })).toThrow(/topK/);
    expect(similarityNames).toEqual(['bm25', 'bm25-robertson', 'bm25-atire', 'bm25l', 'bm25+', 'tfidf']);
  });
});

describe('Lucene float32 arithmetic', () => {
  it('scores the Lucene way: weight − weight/(1 + tf·normInverse) with float rounding at every step', () => {
    // normInverse for dl 3, avgdl 3, k1 1.2, b 0.75: 1/(1.2·(0.25 + 0.75)) = 0.833333 (as float 0.8333333134651184)
    const ni = normInverseLucene(3, 3, { k1: 1.2, b: 0.75, delta: 0 });
    expect(ni).toBe(Math.fround(1 / 1.2));
    const w = idfLucene(2, 3);
    expect(w).toBe(Math.fround(Math.log(1.6)));
    // 0.470004·(1 − 1/(1 + 2·0.833333)) = 0.470004·0.625
    expect(termScoreLucene(w, 2, ni)).toBeCloseTo(0.293752, 6);
  });
});
