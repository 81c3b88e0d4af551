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
import { writeTinyModelFolder } from '../support/tiny-onnx.js';

let dir: string;
let server: OpenAIServer;

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(dir, args, { OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL_DIR: '', ...env });

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
  // Words of the tiny embedding model's vocabulary (test/support/tiny-onnx.ts); each title opens its
  // text, so the embedded passage is the text alone.
  const pets = {
    version: 'test',
    data: [
      { title: 'cat', paragraphs: [{ context: 'cat sat', qas: [{ id: 'p1', question: 'cat', answers: [{ text: 'sat', answer_start: 4 }] }] }] },
      { title: 'dog', paragraphs: [{ context: 'dog', qas: [] }] },
    ],
  };
  writeFileSync(path.join(dir, 'pets.json'), JSON.stringify(pets));
  writeTinyModelFolder(path.join(dir, 'tiny-embed'));
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

  it('P_R comes from the configured retriever: dense (cosine of the local embedder) when an embedder is configured; --retriever bm25 overrides', async () => {
    // The tiny ONNX embedder stands in for a real model: mean pooling over [CLS] … [SEP], then L2 norm.
    //   query "cat":       ([1,1,1] + [3,0,0] + 0) / 3            ∝ [4, 1, 1]
    //   passage "cat sat": ([1,1,1] + [3,0,0] + [1,0,1] + 0) / 4  ∝ [5, 1, 2]  → cos = 23 / √(18·30) = 0.989762
    //   passage "dog":     ([1,1,1] + [0,3,0] + 0) / 3            ∝ [1, 4, 1]  → cos = 9 / √(18·18) = 0.5
    // γ = 0.1: P_R = softmax([0.989762, 0.5] / 0.1); the toy scorer gives " sat\n" the same log-probability under both prompts ⇒ Q = [0.5, 0.5]
    const env = { OPENBOOK_EMBED_MODEL_DIR: path.join(dir, 'tiny-embed') };
    const r = await run(['train-data', 'replug-lsr', '--dataset', 'pets.json', '--out', 'dense.jsonl', '-k', '2', '--cache', 'cache'], env);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(readFileSync(path.join(dir, 'dense.jsonl'), 'utf8').trim()) as {
      retriever: string;
      passages: Array<{ text: string; score: number }>;
      retrieverProbs: number[];
      lmProbs: number[];
      kl: number;
    };
    expect(rec.retriever).toBe('dense:local:tiny-embed');
    expect(rec.passages.map((p) => p.text)).toEqual(['cat sat', 'dog']);
    const cos = [23 / Math.sqrt(540), 0.5];
    expect(rec.passages[0].score).toBeCloseTo(cos[0], 5);
    expect(rec.passages[1].score).toBeCloseTo(cos[1], 5);
    const pr = softmax(cos, 0.1); // [0.992591, 0.007409]
    expect(rec.retrieverProbs[0]).toBeCloseTo(pr[0], 5);
    expect(rec.retrieverProbs[0]).toBeCloseTo(0.992591, 5);
    expect(rec.lmProbs).toEqual([expect.closeTo(0.5, 12), expect.closeTo(0.5, 12)]);
    // KL(P_R ‖ Q) = Σ P_R ln(P_R / 0.5)
    expect(rec.kl).toBeCloseTo(pr[0] * Math.log(pr[0] / 0.5) + pr[1] * Math.log(pr[1] / 0.5), 5);

    const b = await run(['train-data', 'replug-lsr', '--dataset', 'pets.json', '--out', 'bm25.jsonl', '-k', '2', '--cache', 'cache', '--retriever', 'bm25'], env);
    expect(b.code, b.stderr).toBe(0);
    const bm = JSON.parse(readFileSync(path.join(dir, 'bm25.jsonl'), 'utf8').trim()) as { retriever: string };
    expect(bm.retriever).toBe('bm25');
    const bad = await run(['train-data', 'replug-lsr', '--dataset', 'pets.json', '--out', 'x.jsonl', '--cache', 'cache', '--retriever', 'dense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--retriever dense needs an embedding model/);
  });
});
