/**
 * `openbook train-data replug-lsr` with the paper's two temperatures as flags (Shi et al. 2023 §4:
 * P_R = softmax(s/γ), Q = softmax(log P_LM/β)). A child process per run; the loopback server
 * stands in for the model (toy log-probabilities: −0.1 per character of a token).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

let dir: string;
let server: OpenAIServer;

const run = (args: string[]) => runCli(dir, args, { OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: '' });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-lsr-cli-'));
  const squad = {
    version: 'test',
    data: [
      {
        title: 'Capitals',
        paragraphs: [
          { context: 'Paris is the capital of France.', qas: [{ id: 'q1', question: 'What is the capital of France?', answers: [{ text: 'Paris', answer_start: 0 }] }] },
          { context: 'Berlin is the capital of Germany.', qas: [] },
        ],
      },
    ],
  };
  writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify(squad));
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const softmax = (xs: number[], t: number) => {
  const m = Math.max(...xs.map((x) => x / t));
  const e = xs.map((x) => Math.exp(x / t - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};

describe('train-data replug-lsr --gamma --beta (the loopback server stands in for the model)', () => {
  it('P_R = softmax(s/γ) and Q = softmax(log P_LM/β) with the temperatures given, recorded in each line', async () => {
    const r = await run(['train-data', 'replug-lsr', '--dataset', 'tiny.json', '--out', 'lsr.jsonl', '-k', '2', '--gamma', '2', '--beta', '0.5', '--cache', 'cache']);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(readFileSync(path.join(dir, 'lsr.jsonl'), 'utf8').trim().split('\n')[0]) as {
      gamma: number;
      beta: number;
      passages: Array<{ score: number }>;
      lmLogprob: number[];
      retrieverProbs: number[];
      lmProbs: number[];
    };
    expect(rec.gamma).toBe(2);
    expect(rec.beta).toBe(0.5);
    // the toy scorer gives " Paris\n" −0.6 under both prompts ⇒ Q = [0.5, 0.5] for any β
    expect(rec.lmLogprob).toEqual([expect.closeTo(-0.6, 9), expect.closeTo(-0.6, 9)]);
    expect(rec.lmProbs).toEqual([0.5, 0.5]);
    const pr = softmax(rec.passages.map((p) => p.score), 2);
    expect(rec.retrieverProbs[0]).toBeCloseTo(pr[0], 12);
    expect(rec.retrieverProbs[1]).toBeCloseTo(pr[1], 12);
    expect(rec.passages[0].score).toBeGreaterThan(rec.passages[1].score);
  });

  it('refuses a temperature ≤ 0', async () => {
    const r = await run(['train-data', 'replug-lsr', '--dataset', 'tiny.json', '--out', 'x.jsonl', '--gamma', '0', '--cache', 'cache']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--gamma must be a number/);
  });
});
