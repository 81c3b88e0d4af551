import { describe, expect, it } from 'vitest';
import { uintArrayFor, type PostingsCsr } from '../../src/index/sparse/postings.js';
import { TermAtATimeScorer, type ScoringIndex } from '../../src/index/sparse/scorer.js';
import { byte4ToInt, intToByte4 } from '../../src/index/sparse/small-float.js';
import { idfLucene, normInverseLucene, queryWeightLucene, termScoreLucene } from '../../src/index/sparse/similarity.js';
import { mulberry32 } from '../../src/core/random.js';


interface RandomIndex {
  index: ScoringIndex;
  /** Forward index: chunk → term → tf. */
  forward: Array<Map<number, number>>;
  vocab: string[];
}

/** A random corpus with a skewed vocabulary (term r drawn with probability ∝ 1/(r+1)), some empty chunks. */
function randomIndex(rng: () => number, luceneNorms: boolean): RandomIndex {
  const numChunks = 1 + Math.floor(rng() * 400);
  const vocabSize = 1 + Math.floor(rng() * 60);
  const vocab = Array.from({ length: vocabSize }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const weights = vocab.map((_, r) => 1 / (r + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const draw = () => {
    let u = rng() * total;
    for (let r = 0; r < vocabSize; r++) if ((u -= weights[r]) <= 0) return r;
    return vocabSize - 1;
  };
  const forward: Array<Map<number, number>> = [];
  for (let c = 0; c < numChunks; c++) {
    const m = new Map<number, number>();
    const len = rng() < 0.05 ? 0 : 1 + Math.floor(Math.exp(rng() * 5)); // 1..148 tokens, a few empty chunks
    for (let i = 0; i < len; i++) {
      const t = draw();
      m.set(t, (m.get(t) ?? 0) + 1);
    }
    forward.push(m);
  }
  const docFreq = new Uint32Array(vocabSize);
  for (const m of forward) for (const t of m.keys()) docFreq[t]++;
  // Dictionary: terms with postings only, sorted (the vocab strings already sort by rank).
  const live = vocab.map((_, t) => t).filter((t) => docFreq[t] > 0);
  const idOf = new Map(live.map((t, i) => [vocab[t], i]));
  const offsets = new Uint32Array(live.length + 1);
  live.forEach((t, i) => (offsets[i + 1] = offsets[i] + docFreq[t]));
  const chunkIds = uintArrayFor(numChunks - 1, offsets[live.length]);
  const termFreqs = new Uint32Array(offsets[live.length]);
  const fill = offsets.slice(0, live.length);
  const rank = new Map(live.map((t, i) => [t, i]));
  forward.forEach((m, c) => {
    for (const [t, tf] of m) {
      const p = fill[rank.get(t)!]++;
      chunkIds[p] = c;
      termFreqs[p] = tf;
    }
  });
  const postings: PostingsCsr = { offsets, chunkIds, termFreqs };
  const docLens = new Uint32Array(numChunks);
  forward.forEach((m, c) => (docLens[c] = [...m.values()].reduce((a, b) => a + b, 0)));
  let docCount = 0;
  let sumDocLen = 0;
  for (const l of docLens) {
    sumDocLen += l;
    if (l > 0) docCount++;
  }
  const index: ScoringIndex = {
    postings,
    numChunks,
    docLens,
    normBytes: Uint8Array.from(docLens, (l) => intToByte4(l)),
    docCount,
    sumDocLen,
    luceneNorms,
    termId: (t) => idOf.get(t) ?? -1,
  };
  return { index, forward, vocab };
}

/** Naive Lucene BM25 (k1 0.9, b 0.4): score every chunk from the forward index, full sort. */
function naiveBm25(r: RandomIndex, query: string[], topK: number): Array<{ chunk: number; score: number }> {
  const ix = r.index;
  const avgdl = Math.fround(ix.sumDocLen / ix.docCount);
  const p = { k1: 0.9, b: 0.4, delta: 0 };
  const qtf = new Map<string, number>();
  for (const t of query) qtf.set(t, (qtf.get(t) ?? 0) + 1);
  const out: Array<{ chunk: number; score: number }> = [];
  r.forward.forEach((m, c) => {
    let sum = 0;
    let matched = false;
    for (const [term, n] of qtf) {
      const t = r.vocab.indexOf(term);
      const tf = t < 0 ? undefined : m.get(t);
      if (tf === undefined) continue;
      matched = true;
      const id = ix.termId(term);
      const idf = idfLucene(ix.postings.offsets[id + 1] - ix.postings.offsets[id], ix.docCount);
      const len = ix.luceneNorms ? byte4ToInt(intToByte4(ix.docLens[c])) : ix.docLens[c];
      sum += termScoreLucene(queryWeightLucene(n, idf), tf, normInverseLucene(len, avgdl, p));
    }
    if (matched) out.push({ chunk: c, score: Math.fround(sum) });
  });
  out.sort((a, b) => b.score - a.score || a.chunk - b.chunk);
  return out.slice(0, topK);
}

describe('MaxScore over precomputed impacts equals exhaustive scoring', () => {
  it('MaxScore and impact TAAT (touched-list and full scan, with the k-th-impact bound) give the exhaustive top k, scores bit for bit, on 300 random corpora × 10 queries (seeded)', () => {
    const rng = mulberry32(20240601);
    let compared = 0;
    let nonEmpty = 0;
    for (let trial = 0; trial < 300; trial++) {
      const r = randomIndex(rng, rng() < 0.5);
      if (r.index.docCount === 0) continue;
      const maxScore = new TermAtATimeScorer(r.index, { maxScoreAbovePostings: 0 });
      const impactsTaat = new TermAtATimeScorer(r.index, { maxScoreAbovePostings: Infinity, denseScan: false });
      const impactsScan = new TermAtATimeScorer(r.index, { maxScoreAbovePostings: Infinity, denseScan: true });
      for (let q = 0; q < 10; q++) {
        const n = 1 + Math.floor(rng() * 8);
        // Query terms: mostly from the vocabulary (skewed towards common ones), repeats allowed, sometimes an absent term.
        const query = Array.from({ length: n }, () => (rng() < 0.1 ? 'absent' : r.vocab[Math.floor(rng() * rng() * r.vocab.length)]));
        // Mostly small k; sometimes exactly a bucket of the k-th-impact bound (10, 100) or just above one.
        const topK = rng() < 0.3 ? [10, 11, 100, 101][Math.floor(rng() * 4)] : Math.floor(rng() * 25);
        const pruned = maxScore.search(query, { topK });
        const exhaustive = maxScore.searchExhaustive(query, { topK });
        expect(pruned).toEqual(exhaustive);
        expect(impactsTaat.search(query, { topK })).toEqual(exhaustive);
        expect(impactsScan.search(query, { topK })).toEqual(exhaustive);
        expect(pruned).toEqual(naiveBm25(r, query, topK));
        compared++;
        if (pruned.length > 0) nonEmpty++;
      }
    }
    // The corpora are not degenerate: most queries matched something.
    expect(compared).toBeGreaterThan(2500);
    expect(nonEmpty / compared).toBeGreaterThan(0.7);
  });

  it('keeps the smaller chunk on equal scores when pruning (identical chunks)', () => {
    // 50 identical chunks "a b", plus 50 chunks "a": every "a b" chunk scores the same, so top 3 are chunks 0, 2, 4.
    const forward: Array<Map<number, number>> = [];
    for (let c = 0; c < 100; c++) forward.push(c % 2 === 0 ? new Map([[0, 1], [1, 1]]) : new Map([[0, 1]]));
    const offsets = Uint32Array.from([0, 100, 150]);
    const chunkIds = new Uint16Array(150);
    const termFreqs = new Uint8Array(150).fill(1);
    for (let c = 0; c < 100; c++) chunkIds[c] = c;
    for (let i = 0; i < 50; i++) chunkIds[100 + i] = 2 * i;
    const docLens = Uint32Array.from(forward, (m) => m.size);
    const index: ScoringIndex = {
      postings: { offsets, chunkIds, termFreqs },
      numChunks: 100,
      docLens,
      normBytes: Uint8Array.from(docLens, (l) => intToByte4(l)),
      docCount: 100,
      sumDocLen: 150,
      luceneNorms: true,
      termId: (t) => (t === 'a' ? 0 : t === 'b' ? 1 : -1),
    };
    const scorer = new TermAtATimeScorer(index, { maxScoreAbovePostings: 0 });
    const top = scorer.search(['a', 'b'], { topK: 3 });
    expect(top.map((h) => h.chunk)).toEqual([0, 2, 4]);
    expect(top).toEqual(scorer.searchExhaustive(['a', 'b'], { topK: 3 }));
  });

  it('uses the exhaustive path for other similarities and parameters (same answers as searchExhaustive)', () => {
    const rng = mulberry32(99);
    const r = randomIndex(rng, true);
    const scorer = new TermAtATimeScorer(r.index);
    const query = [r.vocab[0], r.vocab[Math.min(3, r.vocab.length - 1)]];
    for (const opts of [{ topK: 10, k1: 1.2, b: 0.75 }, { topK: 10, similarity: 'bm25l' as const }, { topK: 10, similarity: 'tfidf' as const }]) {
      expect(scorer.search(query, opts)).toEqual(scorer.searchExhaustive(query, opts));
    }
  });
});
