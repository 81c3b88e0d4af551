import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import type { Hit } from '../../src/core/types.js';
import { dedupeHits, linearFusion, normalizeScores, reciprocalRankFusion } from '../../src/retrieve/fusion.js';

/** A hit whose chunk id is `${docId}#0` unless given; rank is its position (1-based). */
function hits(spec: Array<[string, number] | [string, number, string]>): Hit[] {
  return spec.map(([id, score, docId], i) => ({
    rank: i + 1,
    score,
    docId: docId ?? id,
    chunkId: docId ? id : `${id}#0`,
    source: `${docId ?? id}.txt`,
    title: docId ?? id,
    text: `text of ${id}`,
    startLine: 1,
    endLine: 1,
  }));
}

const bm25 = { name: 'bm25', hits: hits([['a', 12], ['b', 10], ['c', 8]]) };
const dense = { name: 'dense', hits: hits([['b', 0.9], ['d', 0.8], ['a', 0.7]]) };

describe('reciprocalRankFusion (Cormack et al. 2009)', () => {
  it('fuses two lists with rrfK 60, equal weights', () => {
    // a: 1/61 + 1/63 = 0.0163934 + 0.0158730 = 0.0322665
    // b: 1/62 + 1/61 = 0.0161290 + 0.0163934 = 0.0325225
    // c: 1/63 = 0.0158730 (bm25 only); d: 1/62 = 0.0161290 (dense only)
    const fused = reciprocalRankFusion([bm25, dense]);
    expect(fused.map((h) => h.chunkId)).toEqual(['b#0', 'a#0', 'd#0', 'c#0']);
    expect(fused.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    expect(fused[0].score).toBeCloseTo(0.0325225, 7);
    expect(fused[1].score).toBeCloseTo(0.0322665, 7);
    expect(fused[2].score).toBeCloseTo(0.016129, 6);
    expect(fused[3].score).toBeCloseTo(0.015873, 6);
    expect(fused[0].scores).toEqual({ bm25: 10, dense: 0.9, rrf: fused[0].score });
    expect(fused[2].scores).toEqual({ dense: 0.8, rrf: fused[2].score });
    // the representative hit keeps its fields (text etc.), only rank/score/scores change
    expect(fused[0].text).toBe('text of b');
  });

  it('applies per-list weights', () => {
    // weights [2, 1]: a: 2/61 + 1/63 = 0.0327869 + 0.0158730 = 0.0486599
    //                 b: 2/62 + 1/61 = 0.0322581 + 0.0163934 = 0.0486515  → a now beats b
    //                 c: 2/63 = 0.0317460; d: 1/62 = 0.0161290
    const fused = reciprocalRankFusion([bm25, dense], { weights: [2, 1] });
    expect(fused.map((h) => h.chunkId)).toEqual(['a#0', 'b#0', 'c#0', 'd#0']);
    expect(fused[0].score).toBeCloseTo(0.0486599, 7);
    expect(fused[1].score).toBeCloseTo(0.0486515, 7);
  });

  it('uses the given rrfK and cuts at topK', () => {
    // rrfK 0: a: 1/1 + 1/3 = 1.333333; b: 1/2 + 1/1 = 1.5
    const fused = reciprocalRankFusion([bm25, dense], { rrfK: 0, topK: 2 });
    expect(fused.map((h) => [h.chunkId, h.score])).toEqual([
      ['b#0', 1.5],
      ['a#0', 1 + 1 / 3],
    ]);
  });

  it('removes duplicates inside one list before fusing, keeping the best, and re-ranks', () => {
    // bm25' = [a 12, a 9, b 10] → [a (rank 1), b (rank 2)]: a = 1/61 = 0.0163934, b = 1/62 = 0.0161290
    const dup = { name: 'bm25', hits: hits([['a', 12], ['a', 9], ['b', 10]]) };
    const fused = reciprocalRankFusion([dup]);
    expect(fused.map((h) => h.chunkId)).toEqual(['a#0', 'b#0']);
    expect(fused[0].scores).toEqual({ bm25: 12, rrf: 1 / 61 });
    expect(fused[1].score).toBeCloseTo(1 / 62, 12);
  });

  it('fuses by document id when asked, never by text', () => {
    // chunks a#1, a#0 of doc a; by doc: bm25 → [a (a#1), b], dense → [a (a#0), b]
    // doc a: 1/61 + 1/61 = 0.0327869; doc b: 1/62 + 1/62 = 0.0322581
    const s = { name: 'bm25', hits: hits([['a#1', 5, 'a'], ['a#0', 4, 'a'], ['b#0', 3, 'b']]) };
    const d = { name: 'dense', hits: hits([['a#0', 0.9, 'a'], ['b#0', 0.8, 'b']]) };
    const fused = reciprocalRankFusion([s, d], { by: 'doc' });
    expect(fused.map((h) => h.docId)).toEqual(['a', 'b']);
    expect(fused[0].chunkId).toBe('a#1'); // tie on best rank 1 → the earlier list's hit
    expect(fused[0].score).toBeCloseTo(2 / 61, 12);
    // two different chunks with the same text are still two hits (matched by id, not text)
    const same = { name: 'x', hits: hits([['p#0', 2, 'p'], ['q#0', 1, 'q']]).map((h) => ({ ...h, text: 'same' })) };
    expect(reciprocalRankFusion([same])).toHaveLength(2);
  });

  it('breaks exact ties by best rank, then id', () => {
    const x = { name: 'x', hits: hits([['q', 1]]) };
    const y = { name: 'y', hits: hits([['p', 1]]) };
    expect(reciprocalRankFusion([x, y]).map((h) => h.chunkId)).toEqual(['p#0', 'q#0']);
  });

  it('rejects bad parameters with InvalidParameterError', () => {
    expect(() => reciprocalRankFusion([bm25, dense], { rrfK: -1 })).toThrow(InvalidParameterError);
    expect(() => reciprocalRankFusion([bm25, dense], { weights: [1] })).toThrow(/1 weights given for 2 lists/);
    expect(() => reciprocalRankFusion([bm25, dense], { weights: [1, -2] })).toThrow(/weight 1 must be/);
    expect(() => reciprocalRankFusion([bm25, dense], { topK: 0 })).toThrow(/topK/);
    expect(() => reciprocalRankFusion([bm25, bm25])).toThrow(/both named "bm25"/);
  });
});

describe('linearFusion', () => {
  it('min-max normalises each list and takes the weighted sum', () => {
    // bm25 [12, 10, 8] → a 1, b 0.5, c 0;  dense [0.9, 0.8, 0.7] → b 1, d 0.5, a 0 (absent → 0)
    // weights [0.3, 0.7] (α = 0.7 on dense): a 0.3, b 0.15 + 0.7 = 0.85, c 0, d 0.35
    const fused = linearFusion([bm25, dense], { weights: [0.3, 0.7] });
    expect(fused.map((h) => h.chunkId)).toEqual(['b#0', 'd#0', 'a#0', 'c#0']);
    expect(fused.map((h) => h.score)).toEqual([expect.closeTo(0.85, 12), expect.closeTo(0.35, 12), expect.closeTo(0.3, 12), 0]);
    expect(fused[0].scores).toEqual({ bm25: 10, dense: 0.9, linear: fused[0].score });
  });

  it('z-score normalises with the population σ; absent hits get the list minimum', () => {
    // bm25 [12, 10, 8]: mean 10, σ = √(8/3) = 1.632993 → z = 1.224745, 0, −1.224745
    // dense [0.9, 0.8, 0.7]: mean 0.8, σ = √(0.02/3) = 0.0816497 → z = 1.224745, 0, −1.224745
    // a: 1.224745 − 1.224745 = 0; b: 0 + 1.224745; c: −1.224745 + (absent −1.224745) = −2.449490; d: −1.224745 + 0
    const fused = linearFusion([bm25, dense], { normalization: 'z-score' });
    expect(fused.map((h) => h.chunkId)).toEqual(['b#0', 'a#0', 'd#0', 'c#0']);
    expect(fused[0].score).toBeCloseTo(1.224745, 6);
    expect(fused[1].score).toBeCloseTo(0, 9);
    expect(fused[2].score).toBeCloseTo(-1.224745, 6);
    expect(fused[3].score).toBeCloseTo(-2.44949, 5);
  });

  it('normalizeScores edge cases', () => {
    expect(normalizeScores([5], 'min-max')).toEqual({ normalized: [1], absent: 0 });
    expect(normalizeScores([3, 3], 'z-score')).toEqual({ normalized: [0, 0], absent: 0 });
    expect(normalizeScores([], 'min-max')).toEqual({ normalized: [], absent: 0 });
    expect(() => linearFusion([bm25], { normalization: 'max' as never })).toThrow(/valid: min-max, z-score/);
  });
});

describe('dedupeHits', () => {
  it('keeps the first occurrence of each id', () => {
    const h = hits([['a', 3], ['b', 2], ['a', 1]]);
    expect(dedupeHits(h).map((x) => [x.chunkId, x.score])).toEqual([
      ['a#0', 3],
      ['b#0', 2],
    ]);
  });
});
