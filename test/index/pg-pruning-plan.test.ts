/**
 * The PostgreSQL store's MaxScore planner (src/index/pg/store.ts planPruning), without a server:
 * which terms it sets aside for a query's statistics (#14: BM25 p99 ≤ 100 ms at 100k).
 *
 * The 100k synthetic corpus of bench:store (seed 42, english analyzer; N = 100,000 chunks,
 * Σ dl = 12,800,607, avgdl 128.006) has near-stop words: 'beba' is in 98,485 chunks, 'bebi' in
 * 86,091. Lucene BM25 (k1 0.9, b 0.4): idf(df) = ln(1 + (N − df + 0.5)/(df + 0.5)), in float:
 *   beba 0.0152709, bebi 0.1497695, bidi (df 10,879) 2.2182999;
 * a term's bound is its weight w (qtf 1: w = idf), and a chunk of average length holding it once
 * scores w − w/(1 + 1/(0.9·(0.6 + 0.4))) = 0.5263 w (the planner's estimate).
 * For 'beba bidi bebi' the θ expected is the sum of the estimates (≈ 2.3813 · 0.5263 ≈ 1.2533: ≥ 2k chunks
 * are expected to hold all three), so beba and bebi (bound sum 0.1650 < θ) can be set aside and
 * bidi's 10,879 postings give the candidates. Probing beba and bebi on all of them (2 × 8 postings'
 * worth each, PROBE_COST) would cost more than merging all 195,455 postings; on the candidates whose
 * bidi score is within 0.1650 of the k-th best bidi score (≈ 0.165/1.253 of them) it does not.
 */
import { describe, expect, it } from 'vitest';
import { BOUND_SLACK, forcedPruning, planPruning, PROBE_COST, type TermPlanStats } from '../../src/index/pg/store.js';
import { getSimilarity, resolveSimilarityParams } from '../../src/index/sparse/similarity.js';

const N = 100_000;
const bm25 = getSimilarity('bm25');
const params = resolveSimilarityParams(bm25, {});
const avgNorm = bm25.lengthNorm(128, Math.fround(12_800_607 / N), params);
const stats = (term: string, df: number): TermPlanStats => {
  const w = bm25.queryWeight(1, bm25.idf(df, N));
  return { term, df, bound: w, estimate: bm25.termScore(w, 1, avgNorm, params) };
};

describe('planPruning (MaxScore split of the PostgreSQL store)', () => {
  it('hand-computed weights and estimates of the 100k corpus', () => {
    expect(stats('beba', 98_485).bound).toBeCloseTo(0.0152709, 7);
    expect(stats('bebi', 86_091).bound).toBeCloseTo(0.1497695, 7);
    expect(stats('bidi', 10_879).bound).toBeCloseTo(2.2182999, 7);
    expect(stats('bidi', 10_879).estimate / stats('bidi', 10_879).bound).toBeCloseTo(0.5263, 3);
  });

  it('sets two near-stop words aside: the other term gives the candidates, and only its best are probed', () => {
    const q = [stats('beba', 98_485), stats('bidi', 10_879), stats('bebi', 86_091)];
    const plan = planPruning(q, 10, N);
    expect(plan).not.toBeNull();
    expect(plan!.essential).toEqual(['bidi']);
    expect(plan!.bound).toBeCloseTo((0.0152709 + 0.1497695) * (1 + BOUND_SLACK), 6);
  });

  it('on Citus too: bidi gives the candidates, scored through seeds and θ′ (two statements pushed into the shards)', () => {
    // Probing beba and bebi on all 10,879 candidates in one statement (every query term: 3 × 8 + 1
    // postings' worth each, 272k) costs more than the 195,455 postings; the seeds' statement and
    // the HAVING pass merge bidi's postings twice (21,758), probe the 20 seeds and the ~945
    // candidates within 0.165 of θ (2 × 8 each, ~15k) and cost one distributed statement more
    // (CITUS_STATEMENT_COST): ~45k.
    const q = [stats('beba', 98_485), stats('bidi', 10_879), stats('bebi', 86_091)];
    const plan = planPruning(q, 10, N, PROBE_COST, true);
    expect(plan).not.toBeNull();
    expect(plan!.essential).toEqual(['bidi']);
    expect(plan!.seeded).toBe(true);
    expect(plan!.bound).toBeCloseTo((0.0152709 + 0.1497695) * (1 + BOUND_SLACK), 6);
  });

  it('sets nothing aside when the candidates within the bound of θ would be most of them', () => {
    // 'bege bela bedu' (df 38,028 / 27,786 / 53,373): w 0.97 / 1.28 / 0.63; θ expected ≈ 1.51; only
    // bedu fits below it, and bege + bela's 65,814 candidates within 0.63 of θ are ~40% of them:
    // 8 × 26k probes cost more than the 119,187 postings.
    const q = [stats('bege', 38_028), stats('bela', 27_786), stats('bedu', 53_373)];
    expect(planPruning(q, 10, N)).toBeNull();
    expect(planPruning(q, 10, N, PROBE_COST, true)).toBeNull();
    // forced (tests): the most terms set aside while the rest still has ≥ k postings
    expect(forcedPruning(q, 10)?.essential).toEqual(['bela']);
  });

  it('one term, or a k larger than every essential list, is never split', () => {
    expect(planPruning([stats('bidi', 10_879)], 10, N)).toBeNull();
    expect(planPruning([stats('beba', 98_485), stats('bidi', 10_879)], 20_000, N)).toBeNull();
  });
});
