import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { apiTokenScores, lmReport, localTokenScores } from '../../src/eval/perplexity.js';
import { KnnDatastore } from '../../src/index/dense/datastore.js';
import { buildKnnDatastore, knnDistribution, slidingWindows } from '../../src/methods/knn-lm.js';
import { LocalCausalLM } from '../../src/models/local-lm.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { TINY_LM_EOS, tinyClass, tinyProb, writeTinyCausalLmFolder } from '../support/tiny-causal-lm.js';

// The tiny causal LM (test/support/tiny-causal-lm.ts) stands in for a real decoder; its
// next-token table is tinyProb(current, next): 0.75 for the favoured token, 1/1024 otherwise.
const root = mkdtempSync(join(tmpdir(), 'openbook-ppl-'));
let lm: LocalCausalLM;
beforeAll(async () => {
  lm = new LocalCausalLM({ modelDir: writeTinyCausalLmFolder(join(root, 'tiny')), threads: 1 });
  await lm.load();
});
afterAll(async () => {
  await lm.close();
  rmSync(root, { recursive: true, force: true });
});

const TEXT = 'ab ba';
// With the BOS (<|endoftext|>, class "other") prefix, targets and their contexts:
const IDS = [TINY_LM_EOS, ...Buffer.from(TEXT)];
const handLm = IDS.slice(1).map((t, i) => Math.log(tinyProb(IDS[i], t))); // ln .75 ×3, ln 1/1024 ×2

describe('perplexity with the tiny ONNX decoder (stands in for a real model)', () => {
  it('sliding windows score every position once (HF guide)', () => {
    expect([...slidingWindows(10, 4, 2)]).toEqual([
      { begin: 0, end: 4, first: 1 },
      { begin: 2, end: 6, first: 4 },
      { begin: 4, end: 8, first: 6 },
      { begin: 6, end: 10, first: 8 },
    ]);
    expect(() => [...slidingWindows(10, 4, 5)]).toThrow('--stride');
  });

  it('perplexity and bits per byte equal the hand-computed values to 1e-6, whatever the window', async () => {
    const nll = -handLm.reduce((a, x) => a + x, 0); // = −(3 ln 0.75 + 2 ln(1/1024))
    const expectedPpl = Math.exp(nll / 5);
    for (const [context, stride] of [[64, 32], [3, 2], [2, 1]]) {
      const s = await localTokenScores(lm, TEXT, { context, stride });
      expect([...s.lm].map((x) => +x.toFixed(6))).toEqual(handLm.map((x) => +x.toFixed(6)));
      const r = lmReport([{ source: 't.txt', scores: s }], { context, stride, bootstrap: 200, seed: 7 });
      expect(Math.abs(r.overall.perplexity - expectedPpl)).toBeLessThan(1e-6);
      expect(Math.abs(r.overall.bitsPerByte - nll / (5 * Math.LN2))).toBeLessThan(1e-6);
      expect(r.overall.tokens).toBe(5);
      expect(r.overall.bytes).toBe(5);
      expect(r.overall.perplexityCi.low).toBeLessThanOrEqual(r.overall.perplexity + 1e-9);
      expect(r.overall.perplexityCi.high).toBeGreaterThanOrEqual(r.overall.perplexity - 1e-9);
    }
  });

  it('kNN-LM over a datastore of the same text lowers perplexity by the hand-computed amount; λ = 0 is the LM exactly', async () => {
    const dir = join(root, 'store');
    const built = await buildKnnDatastore(lm, [{ source: 't.txt', text: TEXT }], dir, { context: 64, stride: 32 });
    expect(built).toEqual({ rows: 5, added: 5, skipped: 0 });
    // Resumable: a second run skips the committed file.
    expect(await buildKnnDatastore(lm, [{ source: 't.txt', text: TEXT }], dir, { context: 64, stride: 32 })).toEqual({ rows: 5, added: 0, skipped: 1 });
    const store = await KnnDatastore.open(dir);
    // Keys are one-hot token classes of the context's last token, so d = 0 (same class) or 2.
    // Hand p_kNN(target | context i): Σ over rows r with value = target of exp(−d) / Σ_r exp(−d).
    const rows = IDS.slice(1).map((value, i) => ({ cls: tinyClass(IDS[i]), value }));
    const handKnn = IDS.slice(1).map((t, i) => {
      const w = rows.map((r) => (r.cls === tinyClass(IDS[i]) ? 1 : Math.exp(-2)));
      const z = w.reduce((a, x) => a + x, 0);
      return rows.reduce((a, r, j) => a + (r.value === t ? w[j] : 0), 0) / z;
    });
    const s = await localTokenScores(lm, TEXT, { context: 64, stride: 32 }, { datastore: store, k: 1024, temperature: 1 });
    s.knn!.forEach((p, i) => expect(p).toBeCloseTo(handKnn[i], 9));
    const lambda = 0.25;
    const handMixNll = -handLm.reduce((a, lp, i) => a + Math.log(lambda * handKnn[i] + (1 - lambda) * Math.exp(lp)), 0);
    const r = lmReport([{ source: 't.txt', scores: s }], { context: 64, stride: 32, bootstrap: 200, seed: 7, k: 1024, lambda, temperature: 1 });
    const lmPpl = Math.exp(-handLm.reduce((a, x) => a + x, 0) / 5);
    expect(Math.abs(r.overall.knn!.perplexity - Math.exp(handMixNll / 5))).toBeLessThan(1e-6);
    expect(Math.abs(r.overall.perplexity - r.overall.knn!.perplexity - (lmPpl - Math.exp(handMixNll / 5)))).toBeLessThan(1e-6);
    expect(r.overall.knn!.perplexity).toBeLessThan(r.overall.perplexity);
    const zero = r.lambdaSweep!.find((x) => x.lambda === 0)!;
    expect(zero.perplexity).toBe(r.overall.perplexity);
  });

  it('p_kNN aggregates exp(−d / T) by token', () => {
    const p = knnDistribution([{ distance: 0, value: 7 }, { distance: 1, value: 8 }, { distance: 1, value: 7 }], 1);
    const z = 1 + 2 * Math.exp(-1);
    expect(p.get(7)).toBeCloseTo((1 + Math.exp(-1)) / z, 12);
    expect(p.get(8)).toBeCloseTo(Math.exp(-1) / z, 12);
  });
});

describe('perplexity over an OpenAI-compatible server (the loopback server stands in for a model)', () => {
  let server: OpenAIServer;
  let noEcho: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
    noEcho = await startOpenAIServer({ echo: false });
  });
  afterAll(async () => {
    await server.close();
    await noEcho.close();
  });

  it('scores through /v1/completions echo + logprobs', async () => {
    const model = new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model', maxRetries: 0 });
    // Words "The" | " cat" " sat." → one call, prompt "The", continuation " cat sat."; the fake
    // server's tokens " cat" (−0.3), " sat" (−0.3), "." (−0.1).
    const s = await apiTokenScores(model, 'The cat sat.', { context: 4, stride: 2 });
    expect([...s.lm].map((x) => +x.toFixed(6))).toEqual([-0.3, -0.3, -0.1]);
    expect(s.bytes).toBe(9);
    const r = lmReport([{ source: 'x', scores: s }], { context: 4, stride: 2, bootstrap: 100, seed: 7 });
    expect(Math.abs(r.overall.perplexity - Math.exp(0.7 / 3))).toBeLessThan(1e-9);
  });

  it('says clearly when the server has no echo', async () => {
    const model = new OpenAICompatibleModel({ baseUrl: noEcho.url, model: 'test-model', maxRetries: 0 });
    await expect(apiTokenScores(model, 'The cat sat.', { context: 4, stride: 2 })).rejects.toBeInstanceOf(CapabilityError);
  });
});
