/**
 * `evaluateContext` on a tiny SQuAD-format file made here: the share of questions whose gold
 * answer lies inside the first B tokens of context, by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateContext } from '../../src/eval/context-eval.js';

const dir = mkdtempSync(join(tmpdir(), 'openbook-ctx-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eval context (small-to-big table)', () => {
  it('counts a question when a gold answer is inside the budget, per mode', async () => {
    const context = 'Alpha beta gamma. The capital of France is Paris. Delta epsilon zeta eta theta iota kappa lambda mu.';
    const squad = {
      version: '1.1',
      data: [
        {
          title: 'France',
          paragraphs: [
            {
              context,
              qas: [
                { id: 'q1', question: 'What is the capital of France?', answers: [{ text: 'Paris', answer_start: context.indexOf('Paris') }] },
                { id: 'q2', question: 'What comes after lambda?', answers: [{ text: 'mu', answer_start: context.indexOf('mu.') }] },
              ],
            },
          ],
        },
      ],
    };
    const file = join(dir, 'tiny-squad.json');
    writeFileSync(file, JSON.stringify(squad));
    const r = await evaluateContext({ dataset: file, modes: ['chunk', 'sentence-window:0'], budgets: [4, 64], chunkSize: 64, analyzer: 'english' });
    expect(r.questions).toBe(2);
    const chunk = r.rows.find((x) => x.mode === 'chunk')!;
    // one chunk "# France\n\n<context>": in 4 tokens neither answer; in 64 both
    expect(chunk.share).toEqual([0, 1]);
    const sw = r.rows.find((x) => x.mode === 'sentence-window:0')!;
    // budgets count the english analyzer's tokens (stopwords dropped): q1's best sentence
    // "The capital of France is Paris." is capital, france, paris — Paris inside 4 tokens; q2's best
    // sentence "Delta … lambda mu." starts delta, epsilon, zeta, eta — mu is not inside 4 tokens
    expect(sw.share).toEqual([0.5, 1]);
  });
});
