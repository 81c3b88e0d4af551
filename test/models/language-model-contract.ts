/**
 * The shared contract every `LanguageModel` implementation runs:
 *
 * ```ts
 * describe('MyModel', () => languageModelContract(async () => ({ model: new MyModel(...), close: async () => {} })));
 * ```
 * The cases check shapes and invariants that hold for any model (stream deltas add up to the
 * final text, stop strings never appear, n samples come back, log-probabilities are ≤ 0 and
 * top alternatives are sorted, continuation scores add up), and that a capability the model
 * reports as missing raises `CapabilityError` instead of failing silently.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import type { LanguageModel } from '../../src/models/types.js';

export interface LanguageModelFixture {
  model: LanguageModel;
  close?: () => Promise<void>;
}

export function languageModelContract(make: () => Promise<LanguageModelFixture>): void {
  let fx: LanguageModelFixture;
  beforeAll(async () => {
    fx = await make();
  });
  afterAll(async () => {
    await fx?.close?.();
  });
  const user = (content: string) => [{ role: 'user' as const, content }];

  it('contract: generate returns one generation with text, a finish reason, usage and latency', async () => {
    const r = await fx.model.generate(user('Name a colour.'), { maxTokens: 16 });
    expect(r.generations).toHaveLength(1);
    expect(typeof r.generations[0].text).toBe('string');
    expect(r.generations[0].finishReason.length).toBeGreaterThan(0);
    expect(r.usage.promptTokens).toBeGreaterThan(0);
    expect(r.usage.completionTokens).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.model.length).toBeGreaterThan(0);
  });

  it('contract: n samples give n generations', async () => {
    const r = await fx.model.generate(user('Say something.'), { n: 3, temperature: 1, seed: 7, maxTokens: 8 });
    expect(r.generations).toHaveLength(3);
  });

  it('contract: a stop string never appears in the text', async () => {
    const r = await fx.model.generate(user('Count: one, two, three, four.'), { stop: [','], maxTokens: 32 });
    expect(r.generations[0].text).not.toContain(',');
  });

  it('contract: streamed deltas concatenate to the returned text', async () => {
    if (!fx.model.capabilities.streaming) {
      await expect(fx.model.stream(user('hi')).next()).rejects.toBeInstanceOf(CapabilityError);
      return;
    }
    const it = fx.model.stream(user('Tell me a short fact.'), { maxTokens: 32 });
    const deltas: string[] = [];
    let r = await it.next();
    while (!r.done) {
      deltas.push(r.value);
      r = await it.next();
    }
    expect(deltas.join('')).toBe(r.value.generations[0].text);
    expect(r.value.usage.completionTokens).toBeGreaterThanOrEqual(0);
  });

  it('contract: logprobs are ≤ 0 with top alternatives sorted best first, or CapabilityError', async () => {
    const call = fx.model.generate(user('Say yes.'), { logprobs: true, topLogprobs: 3, maxTokens: 8 });
    if (!fx.model.capabilities.logprobs) {
      await expect(call).rejects.toBeInstanceOf(CapabilityError);
      return;
    }
    const g = (await call).generations[0];
    expect(g.logprobs!.length).toBeGreaterThan(0);
    expect(g.logprobs!.map((t) => t.token).join('')).toBe(g.text);
    for (const t of g.logprobs!) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top!.length).toBeLessThanOrEqual(3);
      for (let i = 1; i < t.top!.length; i++) expect(t.top![i - 1].logprob).toBeGreaterThanOrEqual(t.top![i].logprob);
    }
  });

  it('contract: scoreContinuation sums its token log-probabilities, or CapabilityError', async () => {
    const call = fx.model.scoreContinuation('The capital of France is', ' Paris');
    if (!fx.model.capabilities.echoScoring) {
      await expect(call).rejects.toBeInstanceOf(CapabilityError);
      return;
    }
    const s = await call;
    expect(s.tokens.length).toBeGreaterThan(0);
    expect(s.tokens.map((t) => t.token).join('')).toContain('Paris');
    expect(s.logprob).toBeCloseTo(s.tokens.reduce((a, t) => a + t.logprob, 0), 9);
    expect(s.logprob).toBeLessThanOrEqual(0);
  });

  it('contract: an already-aborted signal rejects without a result', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop now'));
    await expect(fx.model.generate(user('hi'), { signal: ac.signal })).rejects.toThrow('stop now');
  });
}
