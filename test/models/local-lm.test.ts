import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { LocalCausalLM } from '../../src/models/local-lm.js';
import { P_FAVOURED, P_OTHER, TINY_LM_VOCAB_SIZE, writeTinyCausalLmFolder } from '../support/tiny-causal-lm.js';
import { languageModelContract } from './language-model-contract.js';

// The tiny causal LM (test/support/tiny-causal-lm.ts) stands in for a real decoder: one token per
// byte, p(favoured next | class of current) = 0.75, every other token 1/1024, with favoured
// a → "b", b → " ", " " → "a", "." → EOS, anything else → "a".
const root = mkdtempSync(join(tmpdir(), 'openbook-local-lm-'));
const models: LocalCausalLM[] = [];
afterAll(async () => {
  for (const m of models) await m.close();
  rmSync(root, { recursive: true, force: true });
});
function make(name: string, folder: Parameters<typeof writeTinyCausalLmFolder>[1] = {}) {
  const m = new LocalCausalLM({ modelDir: writeTinyCausalLmFolder(join(root, name), folder), threads: 1 });
  models.push(m);
  return m;
}

describe('LocalCausalLM with the tiny ONNX decoder (stands in for a real model)', () => {
  languageModelContract(async () => ({ model: make('contract') }));

  it('greedy decoding follows the favoured tokens; logprobs are ln 0.75 with the top alternative first', async () => {
    const lm = make('greedy');
    // The plain transcript ends with "Assistant:"; ":" is class "other" → "a" → "b" → " " → "a" …
    const r = await lm.generate([{ role: 'user', content: 'hi' }], { maxTokens: 5, logprobs: true, topLogprobs: 2 });
    const g = r.generations[0];
    expect(g.text).toBe('ab ab');
    expect(g.finishReason).toBe('length');
    expect(g.logprobs!.map((t) => t.token)).toEqual(['a', 'b', ' ', 'a', 'b']);
    for (const t of g.logprobs!) {
      expect(t.logprob).toBeCloseTo(Math.log(P_FAVOURED), 6);
      expect(t.top![0]).toEqual({ token: t.token, logprob: t.logprob });
      expect(t.top![1].logprob).toBeCloseTo(Math.log(P_OTHER), 6);
    }
    expect(r.usage).toEqual({ promptTokens: 'User: hi\nAssistant:'.length, completionTokens: 5 });
    expect(lm.info).toMatchObject({ vocabSize: TINY_LM_VOCAB_SIZE, hiddenStates: true, hiddenSize: 5, contextLength: 64, chatTemplate: false });
  });

  it('continueFinalMessage continues a trailing assistant message (vLLM continue_final_message semantics); without it a new turn starts', async () => {
    const lm = make('prefill');
    const msgs = [{ role: 'user' as const, content: 'hi' }, { role: 'assistant' as const, content: 'a' }];
    // Continued: the prompt ends "Assistant:a", so the next token follows "a" → "b" (p 0.75).
    const cont = await lm.generate(msgs, { maxTokens: 1, logprobs: true, topLogprobs: 1, continueFinalMessage: true });
    expect(cont.generations[0].text).toBe('b');
    expect(cont.usage.promptTokens).toBe('User: hi\nAssistant:a'.length);
    // A new assistant turn after "Assistant: a\nAssistant:" begins with "a" again.
    const fresh = await lm.generate(msgs, { maxTokens: 1 });
    expect(fresh.generations[0].text).toBe('a');
  });

  it('stops at stop strings (held back while streaming)', async () => {
    const lm = make('stop');
    const r = await lm.generate([{ role: 'user', content: 'hi' }], { maxTokens: 20, stop: [' a'] });
    expect(r.generations[0]).toEqual({ text: 'ab', finishReason: 'stop' });
    const it = lm.stream([{ role: 'user', content: 'hi' }], { maxTokens: 20, stop: ['b a'] });
    const deltas: string[] = [];
    let s = await it.next();
    while (!s.done) {
      deltas.push(s.value);
      s = await it.next();
    }
    expect(deltas.join('')).toBe('a');
    expect(s.value.generations[0].text).toBe('a');
  });

  it('forward gives the full distribution and the hidden states (one-hot token class)', async () => {
    const lm = make('forward');
    await lm.load();
    const ids = lm.encode('a.');
    expect(ids).toEqual([0x61, 0x2e]);
    const f = await lm.forward(ids);
    expect(f.length).toBe(2);
    expect(f.vocabSize).toBe(257);
    const row0 = f.logprobs.subarray(0, 257);
    expect(Math.exp(row0[0x62])).toBeCloseTo(0.75, 6);
    expect(Math.exp(row0[0x61])).toBeCloseTo(1 / 1024, 9);
    expect(Math.exp(f.logprobs[257 + 256])).toBeCloseTo(0.75, 6); // "." → EOS
    expect([...f.hidden!]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  });

  it('scoreContinuation: log p(" ab" | "b") = ln 0.75 + ln 0.75 + ln 0.75', async () => {
    const lm = make('score');
    const s = await lm.scoreContinuation('b', ' ab');
    expect(s.tokens.map((t) => t.token)).toEqual([' ', 'a', 'b']);
    expect(s.logprob).toBeCloseTo(3 * Math.log(0.75), 6);
    // Empty prompt: conditioned on <|endoftext|> (class other → favours "a").
    const e = await lm.scoreContinuation('', 'b');
    expect(e.logprob).toBeCloseTo(Math.log(1 / 1024), 6);
  });

  it('a graph without hidden-state outputs reports so; a missing folder is NotFoundError', async () => {
    const lm = make('nohidden', { hiddenStates: false, onnxSubfolder: true });
    await lm.load();
    expect(lm.hasHiddenStates).toBe(false);
    expect((await lm.forward([0x61])).hidden).toBeUndefined();
    await expect(new LocalCausalLM({ modelDir: join(root, 'absent') }).load()).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('every --method runs on the local model (the tiny ONNX decoder stands in for a real one)', () => {
  it('each method of the registry answers through LocalCausalLM (knn-lm and rog need a datastore / a graph and say so)', async () => {
    const lm = make('methods');
    const { methodNames, runMethod } = await import('../../src/methods/registry.js');
    const { context, MemoryRetriever } = await import('../methods/support/memory.js');
    const failures: string[] = [];
    for (const name of methodNames) {
      const ctx = context(lm as never, new MemoryRetriever());
      try {
        const r = await runMethod(name, 'What is the capital of France?', ctx);
        expect(typeof r.answer).toBe('string');
        expect(r.calls).toBeGreaterThan(0);
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
    expect(failures.filter((f) => !/^(knn-lm: .*datastore|rog: .*knowledge graph)/.test(f))).toEqual([]);
    expect(failures).toHaveLength(2);
  }, 120_000);
});
