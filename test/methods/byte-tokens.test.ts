/**
 * Token-level decoding of a Korean answer whose syllables span byte-level tokens, under each real
 * server's semantics (the loopback server stands in for the model; see `SERVER_SEMANTICS` and
 * `partialTokens` in test/support/openai-server.ts for how vLLM, llama.cpp, Ollama and OpenAI report
 * a token that holds part of a character, with sources).
 *
 * The stand-in splits every Hangul syllable into two byte-level tokens (its first two UTF-8 bytes,
 * then the last), each with log-probability −0.1, so a syllable costs −0.2. Document 1 (Paris
 * passage) answers "서울", document 2 "서산": both start with 서 = EC 84 9C; then 울 = EC 9A B8 and
 * 산 = EC 82 B0, whose first byte tokens [EC 9A] and [EC 82] both print as U+FFFD (and on vLLM and
 * Ollama both carry the bytes EF BF BD of U+FFFD).
 *
 * p(z | x) = softmax([5, 4]) = [0.731059, 0.268941] (MemoryRetriever word overlaps 5 and 4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { ragSequence } from '../../src/methods/rag-sequence.js';
import { ragToken } from '../../src/methods/rag-token.js';
import { replug } from '../../src/methods/replug.js';
import { startOpenAIServer, SERVER_MODES, type ChatRequest, type OpenAIServer, type ServerMode } from '../support/openai-server.js';
import { context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';
const LOG_W1 = Math.log(0.7310585786);
const LOG_W2 = Math.log(0.2689414214);

/** Document 1 continues to "서울", document 2 to "서산"; after the answer it ends; off its answer it writes " ." and ends. */
function koreanByDocument(req: ChatRequest): string {
  const user = req.messages.find((m) => m.role === 'user')!.content;
  const prefix = req.messages.at(-1)!.role === 'assistant' ? req.messages.at(-1)!.content : '';
  const target = user.includes('Title: Paris') ? '서울' : '서산';
  if (prefix === target || prefix.endsWith(' .')) return '';
  if (target.startsWith(prefix)) return target.slice(prefix.length);
  return ' .';
}

/** Modes that continue a partial answer and return logprobs: the token-level methods run there; elsewhere they refuse. */
const RUNS: Record<ServerMode, boolean> = { generic: true, vllm: true, llamacpp: true, ollama: true, openai: false, lmstudio: false };

describe.each(SERVER_MODES)('a Korean answer split into byte-level tokens under %s semantics (the loopback server stands in for the model)', (mode) => {
  it(RUNS[mode] ? 'RAG-Token greedy answers 서울 with log p = −0.2 + (log .731059 − .2) + log .731059' : 'RAG-Token refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: koreanByDocument, mode });
    const run = ragToken.run(Q, context(model(server), new MemoryRetriever()));
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    // step 1: 서 under both documents, −0.2 each ⇒ log(.731059 e^−.2 + .268941 e^−.2) = −0.2
    // step 2 after 서: 울 only under document 1 ⇒ log .731059 − .2; 산 would be log .268941 − .2; <alt1> −1.1
    // step 3 after 서울: EOS under document 1 ⇒ log .731059
    expect(r.answer).toBe('서울 [1]');
    const beams = r.trace.find((t) => t.name === 'beam search (N = 1)')!.output as Array<{ text: string; logprob: number }>;
    expect(beams[0].text).toBe('서울');
    expect(beams[0].logprob).toBeCloseTo(-0.2 + (LOG_W1 - 0.2) + LOG_W1, 5);
    expect(r.trace.find((t) => t.name === 'token "서"')!.scores!['log p mixture']).toBeCloseTo(-0.2, 5);
    const ul = r.trace.find((t) => t.name === 'token "울"')!.scores!;
    expect(ul['log p mixture']).toBeCloseTo(LOG_W1 - 0.2, 5);
    expect(ul['log p [1]']).toBeCloseTo(-0.2, 5);
    expect(ul['log p [2]']).toBe(-Infinity);
    // every prefix sent back is whole characters: '', '서', '서울'
    const prefixes = new Set(
      server.requests
        .filter((q) => q.path.endsWith('/chat/completions'))
        .map((q) => (q.body!.messages as Array<{ role: string; content: string }>).at(-1)!)
        .map((m) => (m.role === 'assistant' ? m.content : '')),
    );
    expect([...prefixes].sort()).toEqual(['', '서', '서울']);
  });

  it(RUNS[mode] ? 'RAG-Token beam (N = 2) keeps 서울 −1.026523 and "<alt1> ." −1.2' : 'RAG-Token beam refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: koreanByDocument, mode });
    const run = ragToken.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    // step 1: 서 −0.2, <alt1> −1.1 (both documents); step 2: 서울 −0.2 + (log .731059 − .2) = −0.713262,
    // "<alt1> ." −1.2 (both documents write " ." −0.1 after <alt1>); step 3: 서울 + EOS (log .731059) = −1.026523,
    // "<alt1> ." + EOS (0 under both) = −1.2
    const beams = r.trace.find((t) => t.name === 'beam search (N = 2)')!.output as Array<{ text: string; logprob: number }>;
    expect(beams.map((b) => b.text)).toEqual(['서울', '<alt1> .']);
    expect(beams[0].logprob).toBeCloseTo(-0.2 + (LOG_W1 - 0.2) + LOG_W1, 5);
    expect(beams[0].logprob).toBeCloseTo(-1.026523, 5);
    expect(beams[1].logprob).toBeCloseTo(-1.2, 5);
    expect(r.answer).toBe('서울 [1]');
  });

  it(RUNS[mode] ? 'REPLUG token mode answers 서울 [1]' : 'REPLUG token mode refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: koreanByDocument, mode });
    const run = replug.run(Q, context(model(server), new MemoryRetriever()), { mode: 'token' });
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    expect(r.answer).toBe('서울 [1]');
    expect(r.trace.find((t) => t.name === 'token "서"')!.scores!['log p mixture']).toBeCloseTo(-0.2, 5);
    expect(r.trace.find((t) => t.name === 'token "울"')!.scores!['log p mixture']).toBeCloseTo(LOG_W1 - 0.2, 5);
  });

  it(RUNS[mode] ? 'RAG-Sequence beam (N = 2) gives log p(서울 | x) = log .731059 − .4 and log p(서산 | x) = log .268941 − .4' : 'RAG-Sequence beam refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: koreanByDocument, mode });
    const run = ragSequence.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    // per document alone: 서울 (or 서산) = −0.2 −0.2 + EOS 0 = −0.4; "<alt1> ." = −1.1 −0.1 = −1.2 under both
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['log p(서울 | x)']).toBeCloseTo(LOG_W1 - 0.4, 5);
    expect(d.scores!['log p(서산 | x)']).toBeCloseTo(LOG_W2 - 0.4, 5);
    expect(d.scores!['log p(<alt1> . | x)']).toBeCloseTo(-1.2, 5);
    expect(r.answer).toBe('서울 [1]');
  });
});
