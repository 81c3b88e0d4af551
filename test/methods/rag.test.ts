import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { ragSequence } from '../../src/methods/rag-sequence.js';
import { ragToken } from '../../src/methods/rag-token.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { byDocument, context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';

describe('RAG-Token and RAG-Sequence (the loopback server stands in for an LLM)', () => {
  it('RAG-Token beam search (N = 2) on the per-step marginal', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await ragToken.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    // p(z|x) = softmax([5, 4]) = [0.731059, 0.268941]; toy log p = −0.1 per character, <alt i> = chosen − i.
    // step 1: Paris = log .731059 − .5 = −0.813262; <alt1> = log(.731059e^−1.5 + .268941e^−1.6) = log(.163122 + .054298) = log .217420 = −1.525926
    // step 2: "Paris"+EOS = −0.813262 + log .731059 = −1.126524; "<alt1> ." = −1.525926 − 0.1 = −1.625926
    // step 3: "<alt1> ." ends (EOS, log 1 = 0) → final beams: Paris −1.126524, "<alt1> ." −1.625926
    const beams = r.trace.find((s) => s.name === 'beam search (N = 2)')!.output as Array<{ text: string; logprob: number; finished: boolean }>;
    expect(beams.map((b) => b.text)).toEqual(['Paris', '<alt1> .']);
    expect(beams[0].logprob).toBeCloseTo(-1.126524, 5);
    expect(beams[1].logprob).toBeCloseTo(-1.625926, 5);
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(8); // step 1: 1 beam × 2 docs; step 2: 2 × 2; step 3: 1 × 2
  });

  it('RAG-Sequence fast decoding: hypotheses count only under the documents that produced them', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await ragSequence.run(Q, context(model(server), new MemoryRetriever()));
    // Paris from doc 1 (log p −0.5), Berlin from doc 2 (−0.6); p(y|x,z) = 0 elsewhere:
    // log p(Paris|x) = log .731059 − .5 = −0.813262; log p(Berlin|x) = log .268941 − .6 = −1.913262
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-0.813262, 5);
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-1.913262, 5);
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(2);
  });

  it('RAG-Sequence thorough decoding rescores every hypothesis under every document', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await ragSequence.run(Q, context(model(server), new MemoryRetriever()), { decoding: 'thorough' });
    // the toy scorer: " Paris\n" −0.5 − 0.1 and " Berlin\n" −0.6 − 0.1 (the answer's end "\n" −0.1) under both documents → marginals −0.6 and −0.7
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-0.6, 9);
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-0.7, 9);
    expect(r.calls).toBe(6); // 2 generations + 2 × 2 scorings
  });

  it('RAG-Sequence beam search per document (N = 2)', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await ragSequence.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    // doc 1 alone: step 1 Paris −0.5, <alt1> −1.5; step 2 Paris+EOS −0.5, Paris" ." ... "<alt1> ." −1.6 → top 2: Paris −0.5, "<alt1> ." −1.6
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(Math.log(0.731059) - 0.5, 5);
    expect(r.answer).toBe('Paris [1]');
  });

  it('needs log-probabilities', async () => {
    server = await startOpenAIServer({ chat: byDocument, logprobs: false });
    await expect(ragToken.run(Q, context(model(server, { logprobs: false }), new MemoryRetriever()))).rejects.toThrow(CapabilityError);
    await expect(ragSequence.run(Q, context(model(server, { echoScoring: false }), new MemoryRetriever()), { decoding: 'thorough' })).rejects.toThrow(/continuation scoring/);
  });
});
