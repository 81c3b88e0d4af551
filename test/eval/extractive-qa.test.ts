/**
 * Issue #12: `eval qa` measures the extractive answer exactly as `ask` gives it, with
 * answer-bearing@1, EM/F1 of the short answer, refusal and refusal when the gold paragraph is
 * ranked first; `kind: extractive` regressions pin them.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { containsGold } from '../../src/eval/extractive-qa.js';
import { evaluateQa } from '../../src/eval/qa.js';
import { parseRegression, runRegression } from '../../src/eval/regress.js';

const dir = mkdtempSync(join(tmpdir(), 'openbook-extractive-qa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// P1 "Cats purr when they are happy. Dogs bark at night."   P2 "Birds sing in the morning."
// Analyzer "standard" (no stemming); ask retrieves with the content words (question words dropped).
//   q1 "When do cats purr?"  → query "cats purr?" → P1 first; quote "Cats purr when they are happy."
//      holds the gold "when they are happy": bearing 1; F1 = 2·(4/6)·1/(4/6 + 1) = 0.8, EM 0
//   q2 "Which dogs are happy?" → query "dogs happy?" → P1 first (both terms) but each sentence
//      matches one question term (two needed): refused while the gold paragraph is first
//   q3 "Do zebras gallop?"   → no passage matches: refused, gold not retrieved
//   q4 "Where do birds sing?" → P2 first; quote "Birds sing in the morning." holds "in the morning";
//      SQuAD normalisation drops "the": quote 4 tokens, gold 2 → F1 = 2·(2/4)·1/(2/4 + 1) = 2/3
// answer-bearing@1 = 2/4, EM 0, F1 = (0.8 + 0 + 0 + 2/3)/4 = 0.366667, refusal 2/4,
// gold@1 = 3/4 (q1, q2, q4), refusal|gold@1 = 1/3 (q2)
const datasets = join(dir, 'datasets');
mkdirSync(join(datasets, 'mini'), { recursive: true });
const file = join(datasets, 'mini', 'dev-v1.1.json');
writeFileSync(
  file,
  JSON.stringify({
    version: '1.1',
    data: [
      {
        title: 'Animals',
        paragraphs: [
          {
            context: 'Cats purr when they are happy. Dogs bark at night.',
            qas: [
              { id: 'q1', question: 'When do cats purr?', answers: [{ text: 'when they are happy' }] },
              { id: 'q2', question: 'Which dogs are happy?', answers: [{ text: 'Dogs' }] },
            ],
          },
          {
            context: 'Birds sing in the morning.',
            qas: [
              { id: 'q3', question: 'Do zebras gallop?', answers: [{ text: 'Birds' }] },
              { id: 'q4', question: 'Where do birds sing?', answers: [{ text: 'in the morning' }] },
            ],
          },
        ],
      },
    ],
  }),
);
const deps = { cacheDir: join(dir, 'cache'), now: () => performance.now(), wallClock: () => 0 };
const index = { analyzer: 'standard', fields: 'text' as const, luceneNorms: true };
const search = { similarity: 'bm25' as const, k1: 0.9, b: 0.4, topK: 20 };

describe('evaluateQa without an answerer: ask\'s extractive path', () => {
  it('reports answer-bearing@1, EM/F1 of the short answer and the refusal rates', async () => {
    const res = await evaluateQa({ dataset: file, index, search, k: 5 }, deps);
    expect(res.config.answerer).toBe('extractive (ask)');
    expect(res.metrics['answer-bearing@1']).toBe(0.5);
    expect(res.metrics.EM).toBe(0);
    expect(res.metrics.F1).toBeCloseTo((0.8 + 2 / 3) / 4, 12);
    expect(res.metrics.refusal).toBe(0.5);
    expect(res.metrics['gold@1']).toBe(0.75);
    expect(res.metrics['refusal|gold@1']).toBeCloseTo(1 / 3, 12);
    expect(res.perQuestion.map((q) => [q.id, q.refused, q.askGoldRank, q.quote])).toEqual([
      ['q1', false, 1, 'Cats purr when they are happy.'],
      ['q2', true, 1, ''],
      ['q3', true, 0, ''],
      ['q4', false, 1, 'Birds sing in the morning.'],
    ]);
  });

  it('a kind: extractive regression pins those metrics and the index statistics', async () => {
    const spec = parseRegression(
      'mini.yaml',
      `name: mini.extractive
kind: extractive
dataset: mini
k: 5
index: { analyzer: standard, fields: text, luceneNorms: true }
search: { similarity: bm25, k1: 0.9, b: 0.4 }
index_stats: { documents: 2 }
metrics: { answer-bearing@1: 0.5, F1: 0.3667, refusal: 0.5, refusal|gold@1: 0.3333, Recall@1: 0.75 }
`,
    );
    const r = await runRegression(spec, datasets, deps);
    expect(r.checks.map((c) => [c.what, c.grade])).toEqual([
      ['index.documents', 'OK'],
      ['answer-bearing@1', 'OK'],
      ['F1', 'OK'],
      ['refusal', 'OK'],
      ['refusal|gold@1', 'OK'],
      ['Recall@1', 'OK'],
    ]);
  });
});

describe('containsGold: the dataset normalisation, whole tokens for SQuAD, substring for KorQuAD', () => {
  it('matches as the module comment says', () => {
    expect(containsGold('The Broncos won 24–10.', ['broncos'], 'squad')).toBe(true);
    expect(containsGold('Denver Broncos', ['Bronco'], 'squad')).toBe(false); // not a whole token
    expect(containsGold('임수경이 방북했다.', ['임수경'], 'korquad')).toBe(true);
    expect(containsGold('', ['x'], 'squad')).toBe(false);
  });
});
