import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { evaluateRun, parseMetric, trecEvalOrder } from '../../src/eval/metrics.js';
import type { Qrels } from '../../src/eval/loaders/common.js';
import type { Run } from '../../src/eval/loaders/trec.js';

// Judgments:
//   q1: d1 grade 1, d2 grade 2, d3 grade 0         (2 relevant, positive grades [2, 1])
//   q2: d5 grade 1
//   q3: d9 grade 0                                  (judged, but nothing relevant)
//   q4: d7 grade 1                                  (absent from the run)
const qrels: Qrels = new Map([
  ['q1', new Map([['d1', 1], ['d2', 2], ['d3', 0]])],
  ['q2', new Map([['d5', 1]])],
  ['q3', new Map([['d9', 0]])],
  ['q4', new Map([['d7', 1]])],
]);
// Run: q1 has a tie between d1 and d2 at 2.0; trec_eval breaks it by docno DESCENDING,
// so the order is d4 (3.0), d2, d1, d3 → grades 0, 2, 1, 0.  q5 has no judgments (ignored).
const run: Run = new Map([
  ['q1', [{ docId: 'd4', score: 3 }, { docId: 'd1', score: 2 }, { docId: 'd2', score: 2 }, { docId: 'd3', score: 1 }]],
  ['q2', [{ docId: 'd5', score: 1 }]],
  ['q3', [{ docId: 'd9', score: 5 }]],
  ['q5', [{ docId: 'd1', score: 9 }]],
]);

describe('trec_eval ordering', () => {
  it('sorts by score descending, ties by docno descending (comp_sim_docno)', () => {
    expect(trecEvalOrder(run.get('q1')!).map((e) => e.docId)).toEqual(['d4', 'd2', 'd1', 'd3']);
    // rank column is ignored: input order does not matter
    expect(trecEvalOrder([...run.get('q1')!].reverse()).map((e) => e.docId)).toEqual(['d4', 'd2', 'd1', 'd3']);
  });
});

describe('evaluateRun equals trec_eval -c', () => {
  const ev = evaluateRun(qrels, run, ['nDCG@10', 'nDCG@1', 'Recall@2', 'Recall@3', 'P@5', 'MAP', 'MRR@10', 'MRR@1']);
  const q1 = ev.perQuery.get('q1')!;

  it('nDCG uses the grade as gain and log2(rank + 1) as discount, ties broken by docno', () => {
    // DCG  = 2/log2(3) + 1/log2(4) = 1.2618595 + 0.5 = 1.7618595   (d2 at rank 2, d1 at rank 3)
    // IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.6309298 = 2.6309298
    // nDCG@10 = 0.6696718   (the other tie order would give 1.6309298/2.6309298 = 0.6199062)
    expect(q1['nDCG@10']).toBeCloseTo(0.6696718, 6);
    // nDCG@1: DCG 0 (d4 not relevant) / IDCG@1 = 2 → 0
    expect(q1['nDCG@1']).toBe(0);
  });

  it('Recall@k, P@k, MAP, MRR@k for one query', () => {
    expect(q1['Recall@2']).toBe(0.5); // top 2 = d4, d2 → 1 of 2 relevant
    expect(q1['Recall@3']).toBe(1); // d1 at rank 3
    expect(q1['P@5']).toBe(0.4); // 2 relevant / 5, even though only 4 retrieved
    expect(q1.MAP).toBeCloseTo((1 / 2 + 2 / 3) / 2, 12); // 0.5833333
    expect(q1['MRR@10']).toBe(0.5);
    expect(q1['MRR@1']).toBe(0);
  });

  it('a judged query with no relevant document scores 0 everywhere', () => {
    expect(Object.values(ev.perQuery.get('q3')!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('-c: judged queries missing from the run count as 0; unjudged run queries are ignored', () => {
    expect(ev.numQueries).toBe(4);
    expect([...ev.perQuery.keys()]).toEqual(['q1', 'q2', 'q3', 'q4']);
    // MAP = (0.5833333 + 1 + 0 + 0) / 4 = 0.3958333
    expect(ev.mean.MAP).toBeCloseTo(0.3958333, 6);
    // nDCG@10 = (0.6696718 + 1 + 0 + 0) / 4 = 0.4174180
    expect(ev.mean['nDCG@10']).toBeCloseTo(0.417418, 6);
  });

  it('without -c the mean is over queries in both qrels and run', () => {
    const ev2 = evaluateRun(qrels, run, ['MAP'], { complete: false });
    expect(ev2.numQueries).toBe(3); // q1, q2, q3
    expect(ev2.mean.MAP).toBeCloseTo((0.5833333333 + 1) / 3, 9); // 0.5277778
  });

  it('graded ideal DCG is capped at the cutoff', () => {
    // q: grades a=3, b=2, c=1; run c, a (b missing).  nDCG@2:
    // DCG = 1/1 + 3/log2(3) = 1 + 1.8927893 = 2.8927893; IDCG@2 = 3 + 2/log2(3) = 4.2618595 → 0.6787622
    const e = evaluateRun(new Map([['q', new Map([['a', 3], ['b', 2], ['c', 1]])]]), new Map([['q', [{ docId: 'c', score: 2 }, { docId: 'a', score: 1 }]]]), ['nDCG@2']);
    expect(e.mean['nDCG@2']).toBeCloseTo(0.67876, 5);
  });
});

describe('parseMetric', () => {
  it('canonicalises names and aliases', () => {
    expect(parseMetric('ndcg@10')).toEqual({ family: 'nDCG', k: 10, name: 'nDCG@10' });
    expect(parseMetric('R@100').name).toBe('Recall@100');
    expect(parseMetric('map')).toEqual({ family: 'MAP', k: 1000, name: 'MAP' });
    expect(parseMetric('MRR').k).toBe(Infinity);
  });
  it('rejects unknown names and missing cutoffs with the valid forms', () => {
    expect(() => parseMetric('bpref')).toThrow(InvalidParameterError);
    expect(() => parseMetric('bpref')).toThrow(/valid: nDCG@k/);
    expect(() => parseMetric('nDCG')).toThrow(/needs a cutoff/);
    expect(() => parseMetric('P@0')).toThrow(/≥ 1/);
  });
});
