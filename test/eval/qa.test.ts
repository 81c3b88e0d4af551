import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import { evaluateQa, sampleQuestions } from '../../src/eval/qa.js';
import { renderQa } from '../../src/cli/commands/eval.js';

const dir = mkdtempSync(join(tmpdir(), 'openbook-eval-qa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Three paragraphs (ids 0.0, 0.1, 1.0) and four questions; analyzer "standard" (no stemming).
//   q1 "Why do cats purr?"      gold para 0.0 — only 0.0 has cats/purr         → rank 1
//   q2 "Who barks at strangers?" gold 0.1     — "at", "strangers" only in 0.1   → rank 1
//   q3 "When do birds sing?"    gold 1.0      — birds/sing only in 1.0          → rank 1
//   q4 "happy purring"          gold 1.0      — only 0.0 matches (happy)        → gold not retrieved
// Recall@1 = Recall@5 = Recall@20 = 3/4 = 0.75
const file = join(dir, 'dev-mini.json');
writeFileSync(
  file,
  JSON.stringify({
    version: '1.1',
    data: [
      {
        title: 'Pets',
        paragraphs: [
          { context: 'Cats purr when they are happy.', qas: [{ id: 'q1', question: 'Why do cats purr?', answers: [{ text: 'Cats' }] }] },
          { context: 'Dogs bark at strangers.', qas: [{ id: 'q2', question: 'Who barks at strangers?', answers: [{ text: 'dogs bark' }] }] },
        ],
      },
      {
        title: 'Birds',
        paragraphs: [{ context: 'Birds sing in the morning.', qas: [{ id: 'q3', question: 'When do birds sing?', answers: [{ text: 'Birds' }] }, { id: 'q4', question: 'happy purring', answers: [{ text: 'birds' }] }] }],
      },
    ],
  }),
);

// Stand-in for a reader model: answers "the " + the first word of the top hit.
//   q1 "the Cats" vs "Cats"      → EM 1, F1 1 (the article is removed)
//   q2 "the Dogs" vs "dogs bark" → EM 0, F1: P 1, R 1/2 → 2/3
//   q3 "the Birds" vs "Birds"    → EM 1, F1 1
//   q4 "the Cats" vs "birds"     → EM 0, F1 0
// EM = 2/4 = 0.5; F1 = (1 + 2/3 + 1 + 0)/4 = 0.6666667
const seenK: number[] = [];
const standIn = {
  name: 'stand-in (first word of the top hit)',
  answer: (_q: string, hits: Hit[]) => {
    seenK.push(hits.length);
    return `the ${hits[0]?.text.split(' ')[0] ?? ''}`;
  },
};

describe('evaluateQa with a stand-in answerer', () => {
  it('gold-paragraph recall and SQuAD EM/F1', async () => {
    const res = await evaluateQa(
      { dataset: file, index: { analyzer: 'standard', fields: 'text', luceneNorms: true }, search: { similarity: 'bm25', k1: 0.9, b: 0.4, topK: 20 }, k: 2 },
      { cacheDir: join(dir, 'cache'), now: () => performance.now(), wallClock: () => 0 },
      standIn,
    );
    expect(res.answerMetric).toBe('squad');
    expect(res.questions).toBe(4);
    expect(res.metrics['Recall@1']).toBe(0.75);
    expect(res.metrics['Recall@20']).toBe(0.75);
    expect(res.metrics.EM).toBe(0.5);
    expect(res.metrics.F1).toBeCloseTo(2 / 3, 12);
    expect(res.perQuestion.map((q) => q.goldRank)).toEqual([1, 1, 1, 0]);
    expect(Math.max(...seenK)).toBeLessThanOrEqual(2); // -k 2: at most two passages reach the answerer
    // Bootstrap intervals (B 1000, seed 1). EM (1, 0, 1, 0): a resample's mean is Binomial(4, ½)/4; P(0) = 1/16 > 2.5 %
    // and P(≤ 3) = 15/16 < 97.5 % → [0, 1]. Recall@1 (1, 1, 1, 0): Binomial(4, ¾)/4; P(0) = 0.0039 < 2.5 % ≤ P(≤ 1) = 0.0508,
    // P(≤ 3) = 0.6836 < 97.5 % → [0.25, 1].
    expect(res.ci.EM).toEqual({ low: 0, high: 1 });
    expect(res.ci['Recall@1']).toEqual({ low: 0.25, high: 1 });
    expect(renderQa(res, 'table')).toMatch(/Recall@1 +0\.7500 +\[0\.2500, 1\.0000\]/);
    const csv = renderQa(res, 'csv');
    expect(csv.startsWith('\ufeffid,question,gold,prediction,goldRank,EM,F1\r\nq1,Why do cats purr?,Cats,the Cats,1,1,1\r\n')).toBe(true);
  });

  it('samples questions reproducibly by seed', () => {
    const qs = Array.from({ length: 50 }, (_, i) => ({ id: `q${i}`, question: '', answers: ['x'], relevant: ['d'] }));
    const a = sampleQuestions(qs, 10, 7).map((q) => q.id);
    expect(sampleQuestions(qs, 10, 7).map((q) => q.id)).toEqual(a);
    expect(sampleQuestions(qs, 10, 8).map((q) => q.id)).not.toEqual(a);
    expect(new Set(a).size).toBe(10);
  });
});
