import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { replug } from '../../src/methods/replug.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from '../support/openai-server.js';
import { context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const Q = 'What is the capital of France?';
// MemoryRetriever, topK 2: Paris passage shares {is, the, capital, of, france} = 5, Berlin {is, the, capital, of} = 4.
// λ = softmax([5, 4]) = [e/(e+1), 1/(e+1)] = [0.731059, 0.268941]
const L1 = 0.731059;
const L2 = 0.268941;

/** Per-document continuations: the Paris document answers "Paris", the Berlin one "Berlin", then " ." */
function byDocument(req: ChatRequest): string {
  const user = req.messages.find((m) => m.role === 'user')!.content;
  const prefix = req.messages.at(-1)!.role === 'assistant' ? req.messages.at(-1)!.content : '';
  const target = user.includes('Title: Paris') ? 'Paris' : 'Berlin';
  if (prefix === '') return target;
  if (prefix === target) return '';
  return ' .';
}

describe('REPLUG (the loopback server stands in for an LLM)', () => {
  it('token level: greedy on Σ_d λ_d p(y_i | d ∘ x), stopping on the mixed EOS; weights and per-document log-probabilities in the trace', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await replug.run(Q, context(model(server), new MemoryRetriever()), { mode: 'token' });
    expect(r.answer).toBe('Paris [1]');
    const weights = r.trace.find((s) => s.name.startsWith('λ(d, x)'))!.scores!;
    expect(weights['λ[1] d0#0']).toBeCloseTo(L1, 6);
    expect(weights['λ[2] d1#0']).toBeCloseTo(L2, 6);
    // step 1: "Paris" has log p −0.5 under doc 1 (−0.1 per character) and is outside doc 2's top list:
    // log(0.731059 · e^−0.5) = −0.313262 − 0.5 = −0.813262; "Berlin": log(0.268941) − 0.6 = −1.913262
    const step1 = r.trace.find((s) => s.name === 'token "Paris"')!;
    expect(step1.scores!['log p mixture']).toBeCloseTo(-0.813262, 5);
    expect(step1.scores!['log p [2]']).toBe(-Infinity);
    // step 2: doc 1 ends (EOS, p 1) and doc 2 continues " ." (log p −0.1):
    // EOS = log 0.731059 = −0.313262 beats " ." = log 0.268941 − 0.1 = −1.413262
    const step2 = r.trace.find((s) => s.name === 'token ""')!;
    expect(step2.scores!['log p mixture']).toBeCloseTo(-0.313262, 5);
    expect(r.calls).toBe(4); // 2 tokens × 2 documents
    expect(server.requests.filter((x) => x.path.endsWith('/chat/completions')).every((x) => x.body!.max_tokens === 1 && x.body!.top_logprobs === 20)).toBe(true);
    const post = r.trace.find((s) => s.name.startsWith('posterior'))!.scores!;
    expect(post['p(d[1] | x, y)']).toBe(1);
    expect(r.citations[0]).toMatchObject({ n: 1, chunkId: 'd0#0' });
  });

  it('sequence level: one candidate per document, each scored under every document, argmax of the mixture', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await replug.run(Q, context(model(server), new MemoryRetriever()), { mode: 'sequence' });
    // the toy scorer gives " Paris\n" −0.5 − 0.1 and " Berlin\n" −0.6 − 0.1 (the answer's end "\n" −0.1) under any prompt, so
    // log p(Paris) = logsumexp(log λ_d − 0.6) = −0.6 and log p(Berlin) = −0.7
    const decide = r.trace.find((s) => s.kind === 'decide')!;
    expect(decide.scores!['log p(Paris)']).toBeCloseTo(-0.6, 9);
    expect(decide.scores!['log p(Berlin)']).toBeCloseTo(-0.7, 9);
    expect(r.answer).toBe('Paris [1]');
    // equal per-document likelihoods → the posterior is λ itself
    expect(r.trace.find((s) => s.name.startsWith('posterior'))!.scores!['p(d[1] | x, y)']).toBeCloseTo(L1, 6);
    expect(r.calls).toBe(6); // 2 candidates + 2 × 2 scorings
    expect(server.count('/completions') - server.count('/chat/completions')).toBe(4);
  });

  it('auto falls back to sequence level without logprobs, and fails clearly with neither capability', async () => {
    server = await startOpenAIServer({ chat: byDocument, logprobs: false });
    const r = await replug.run(Q, context(model(server, { logprobs: false }), new MemoryRetriever()));
    expect(r.trace.some((s) => s.kind === 'decide')).toBe(true);
    await expect(replug.run(Q, context(model(server, { logprobs: false, echoScoring: false }), new MemoryRetriever()))).rejects.toThrow(CapabilityError);
    await expect(replug.run(Q, context(model(server), new MemoryRetriever()), { gamma: 0 })).rejects.toThrow(/gamma must be > 0/);
  });
});
