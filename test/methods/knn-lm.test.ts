/**
 * `ask --method knn-lm`: greedy decoding from eq. 3 of Khandelwal et al. (ICLR 2020). The tiny
 * ONNX decoder (test/support/tiny-causal-lm.ts) stands in for a local model, the loopback
 * server for an API model; every probability below is worked out by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityError, InvalidParameterError } from '../../src/core/errors.js';
import { apiTokenScores, lmReport } from '../../src/eval/perplexity.js';
import { KnnDatastore } from '../../src/index/dense/datastore.js';
import { buildKnnDatastore, knnLm } from '../../src/methods/knn-lm.js';
import { apiScoredTokens, buildApiKnnDatastore, contextKeyText, tokenKeyText } from '../../src/methods/knn-lm-api.js';
import { LocalCausalLM } from '../../src/models/local-lm.js';
import type { Embedder, EmbedOptions } from '../../src/models/types.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from '../support/openai-server.js';
import { P_OTHER, writeTinyCausalLmFolder } from '../support/tiny-causal-lm.js';
import { context, MemoryRetriever, model } from './support/memory.js';

const root = mkdtempSync(join(tmpdir(), 'openbook-knnlm-'));
let lm: LocalCausalLM;
let server: OpenAIServer | undefined;
beforeAll(async () => {
  lm = new LocalCausalLM({ modelDir: writeTinyCausalLmFolder(join(root, 'tiny')), threads: 1 });
  await lm.load();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await lm.close();
  rmSync(root, { recursive: true, force: true });
});

const E2 = Math.exp(-2);

describe('kNN-LM decoding with the tiny ONNX decoder (stands in for a local model)', () => {
  it('λ = 0 is the LM\'s greedy answer; λ = 0.9 follows the datastore, and the trace shows neighbours, p_LM, p_kNN and the mix', async () => {
    // Datastore of "a." after BOS: row 0 key class(BOS = other) → "a", row 1 key class("a") → ".".
    const dir = join(root, 'store-a-dot');
    await buildKnnDatastore(lm, [{ source: 'a.txt', text: 'a.' }], dir, { context: 8, stride: 4 });
    const ctx = context(lm as never, new MemoryRetriever());
    // The prompt "User: q\nAssistant:" ends in ":" (class other), so the LM favours a → b → " " → a.
    const plain = await knnLm.run('q', ctx, { datastore: dir, lambda: 0, maxTokens: 4 });
    expect(plain.answer).toBe('ab a');
    const r = await knnLm.run('q', ctx, { datastore: dir, lambda: 0.9, maxTokens: 2 });
    // step 1 (context ":", class other): neighbours row 0 (d 0, "a"), row 1 (d 2, "."):
    //   p_kNN(a) = 1 / (1 + e^−2); mix(a) = 0.9 · 0.880797 + 0.1 · 0.75 → "a"
    // step 2 (context "a"): row 1 at d 0 (".") and row 0 at d 2: p_kNN(.) = 0.880797,
    //   mix(.) = 0.9 · 0.880797 + 0.1 / 1024 = 0.792815 beats mix(b) = 0.1 · 0.75 = 0.075
    expect(r.answer).toBe('a.');
    const step2 = r.trace.find((s) => s.name === 'token 2')!;
    expect(step2.output).toMatchObject({ token: '.', lambda: 0.9 });
    const out = step2.output as { pLM: number; pKNN: number; p: number };
    expect(out.pLM).toBeCloseTo(P_OTHER, 6);
    expect(out.pKNN).toBeCloseTo(1 / (1 + E2), 6);
    expect(out.p).toBeCloseTo(0.9 / (1 + E2) + 0.1 * P_OTHER, 6);
    const neighbors = (step2.input as { neighbors: Array<{ token: string; distance: number; source: string }> }).neighbors;
    expect(neighbors).toEqual([
      { token: '.', distance: 0, source: 'a.txt@2' },
      { token: 'a', distance: 2, source: 'a.txt@1' },
    ]);
    expect(r.calls).toBe(2);
  });

  it('a datastore with embedder keys is refused with a local model, and no datastore is a clear error', async () => {
    const ctx = context(lm as never, new MemoryRetriever());
    await expect(knnLm.run('q', ctx, {})).rejects.toThrow(/--param datastore=DIR/);
    await expect(knnLm.run('q', ctx, { datastore: join(root, 'nothing-here') })).rejects.toThrow(/no kNN-LM datastore/);
  });
});

/** Embeds a context as [number of "a" words, number of "b" words]: squared-L2 distances are small integers. */
class CountEmbedder implements Embedder {
  readonly id = 'count-embedder';
  readonly normalized = false;
  readonly seen: string[] = [];
  async dimension(): Promise<number> {
    return 2;
  }
  async embed(texts: string[], _o: EmbedOptions): Promise<Float32Array[]> {
    this.seen.push(...texts);
    return texts.map((t) => {
      const w = t.toLowerCase().match(/\S+/g) ?? [];
      return Float32Array.of(w.filter((x) => x === 'a').length, w.filter((x) => x === 'b').length);
    });
  }
}

describe('kNN-LM over an API model, the approximation (the loopback server stands in for an LLM)', () => {
  it('keys are the preceding words, values the server tokens; p_kNN of each token and the kNN-LM perplexity equal the hand values', async () => {
    server = await startOpenAIServer();
    const api = model(server);
    expect(contextKeyText('one two three four', 2)).toBe('three four');
    const text = 'a b a b';
    // context 4 words, stride 2 (history 2): calls ("a" | " b a") and (" b a" | " b"); the loopback's
    // tokens are words, each with log p −0.1. Contexts: "a" → " b", "a b" → " a", " b a" → " b".
    const { tokens } = await apiScoredTokens(api, text, { context: 4, stride: 2 });
    expect(tokens.map((t) => [t.before, t.token.token])).toEqual([
      ['a', ' b'],
      ['a b', ' a'],
      [' b a', ' b'],
    ]);
    const embedder = new CountEmbedder();
    const dir = join(root, 'api-store');
    const built = await buildApiKnnDatastore(api, embedder, [{ source: 'ab.txt', text }], dir, { context: 4, stride: 2 });
    expect(built).toEqual({ rows: 3, added: 3, skipped: 0 });
    expect(await buildApiKnnDatastore(api, embedder, [{ source: 'ab.txt', text }], dir, { context: 4, stride: 2 })).toEqual({ rows: 3, added: 0, skipped: 1 });
    const store = await KnnDatastore.open(dir);
    expect(store.manifest).toMatchObject({ keys: 'embedder', embedder: 'count-embedder', keyWords: 32, vocabulary: ['s: b', 's: a'] });
    // keys (1,0) → " b", (1,1) → " a", (1,1) → " b"; queries are the same three contexts.
    const e1 = Math.exp(-1);
    const hand = [(1 + e1) / (1 + 2 * e1), 1 / (2 + e1), (1 + e1) / (2 + e1)];
    const s = await apiTokenScores(api, text, { context: 4, stride: 2 }, { datastore: store, embedder, k: 1024, temperature: 1 });
    s.knn!.forEach((p, i) => expect(p).toBeCloseTo(hand[i], 9));
    expect([...s.lm]).toEqual([-0.1, -0.1, -0.1]);
    const lambda = 0.25;
    const r = lmReport([{ source: 'ab.txt', scores: s }], { context: 4, stride: 2, bootstrap: 50, seed: 7, k: 1024, lambda, temperature: 1 });
    const handNll = -hand.reduce((a, p) => a + Math.log(lambda * p + (1 - lambda) * Math.exp(-0.1)), 0);
    expect(Math.abs(r.overall.knn!.perplexity - Math.exp(handNll / 3))).toBeLessThan(1e-9);
    expect(r.overall.perplexity).toBeCloseTo(Math.exp(0.1), 9);
    expect(tokenKeyText('b:237,149,156')).toBe('한');
    expect(tokenKeyText('s: a')).toBe(' a');
  });

  it('decoding mixes the renormalised top-20 with p_kNN, states the unseen mass, and is labelled an approximation', async () => {
    // The model answers "Paris" and then ends; every datastore value is " Rome".
    const reply = (req: ChatRequest) => (req.messages.at(-1)!.role === 'assistant' ? '' : 'Paris');
    server = await startOpenAIServer({ chat: reply });
    const api = model(server);
    const embedder = new CountEmbedder();
    const dir = join(root, 'rome-store');
    await buildApiKnnDatastore(api, embedder, [{ source: 'rome.txt', text: 'Rome Rome Rome Rome' }], dir, { context: 4, stride: 2 });
    const ctx = context(api, new MemoryRetriever(), { embedder });
    // Step 1: top-20 of "Paris" are −0.5 − i (i = 0..19): renormalised p_LM(Paris) = (1 − e^−1) / (1 − e^−20)
    // = 0.632121; shown mass e^−0.5 (1 − e^−20) / (1 − e^−1) = 0.959518, remainder 0.040482.
    const pParis = (1 - Math.exp(-1)) / (1 - Math.exp(-20));
    const low = await knnLm.run('Where?', ctx, { datastore: dir, lambda: 0.25, maxTokens: 3 });
    // 0.75 · 0.632121 = 0.474091 > 0.25 · p_kNN(Rome) = 0.25 → "Paris"; then EOS (p_LM 1): 0.75 > 0.25.
    expect(low.answer).toBe('Paris');
    const s1 = low.trace.find((s) => s.name === 'token 1')!;
    expect((s1.output as { pLM: number }).pLM).toBeCloseTo(pParis, 6);
    expect((s1.output as { p: number }).p).toBeCloseTo(0.75 * pParis, 6);
    expect((s1.input as { remainderMass: number }).remainderMass).toBeCloseTo(1 - Math.exp(-0.5) / pParis, 6);
    expect((s1.input as { approximation: string }).approximation).toMatch(/API model: embedder keys/);
    const high = await knnLm.run('Where?', ctx, { datastore: dir, lambda: 0.9, maxTokens: 3 });
    // 0.9 · 1 beats 0.1 · 0.632121 and then 0.1 · p_LM(EOS) = 0.1, at every step.
    expect(high.answer).toBe('Rome Rome Rome');
    expect((high.trace[0].output as { pKNN: number; pLM: number }).pKNN).toBe(1);
    expect((high.trace[0].output as { pLM: number }).pLM).toBe(0);
    // The step's chat request asks for one token with its top-20, continuing the partial answer.
    const chats = server.requests.filter((x) => x.path.endsWith('/chat/completions'));
    expect(chats.every((x) => x.body!.max_tokens === 1 && x.body!.top_logprobs === 20)).toBe(true);
    // Keys of the generated answer embed the question and the partial answer.
    expect(embedder.seen).toContain('Where?\n Rome Rome');
  });

  it('says what is missing: no embedder, a hidden-state datastore, a server without logprobs', async () => {
    server = await startOpenAIServer();
    const api = model(server);
    const hidden = join(root, 'hidden-store');
    await buildKnnDatastore(lm, [{ source: 'a.txt', text: 'a.' }], hidden, { context: 8, stride: 4 });
    await expect(knnLm.run('q', context(api, new MemoryRetriever()), { datastore: hidden })).rejects.toThrow(CapabilityError);
    await expect(knnLm.run('q', context(api, new MemoryRetriever(), { embedder: new CountEmbedder() }), { datastore: hidden })).rejects.toThrow(InvalidParameterError);
    await expect(knnLm.run('q', context(model(server, { logprobs: false }), new MemoryRetriever(), { embedder: new CountEmbedder() }), { datastore: hidden })).rejects.toThrow(/log-probabilities/);
  });
});
