/**
 * The token-level and scoring methods under each real server's semantics (the loopback server
 * stands in for vLLM, llama.cpp's server, Ollama, OpenAI and LM Studio; see `SERVER_SEMANTICS`
 * in test/support/openai-server.ts for what each mode does and the source it follows).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { mixNextToken, type TokenAlternative } from '../../src/methods/prob.js';
import { lamer } from '../../src/methods/lamer.js';
import { ragSequence } from '../../src/methods/rag-sequence.js';
import { ragToken } from '../../src/methods/rag-token.js';
import { recitation } from '../../src/methods/recitation.js';
import { autoReplugMode, replug } from '../../src/methods/replug.js';
import { knownCapabilities, OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import type { LanguageModelCapabilities } from '../../src/models/types.js';
import { startOpenAIServer, SERVER_MODES, type ChatRequest, type OpenAIServer, type ServerMode } from '../support/openai-server.js';
import { byDocument, chatBodies, context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';
// p(z|x) = softmax([5, 4]) = [0.731059, 0.268941] (MemoryRetriever word overlaps 5 and 4)
const LOG_PZ1 = Math.log(0.7310585786);
const LOG_PZ2 = Math.log(0.2689414214);

/** Modes whose chat endpoint continues a partial answer and returns logprobs: the token-level methods run. */
const RUNS: Record<ServerMode, boolean> = { generic: true, vllm: true, llamacpp: true, ollama: true, openai: false, lmstudio: false };

describe.each(SERVER_MODES)('token-level decoding under %s semantics (the loopback server stands in for the model)', (mode) => {
  it(RUNS[mode] ? 'RAG-Token greedy gives Paris with log p = log .731059 − .5' : 'RAG-Token refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: byDocument, mode });
    const run = ragToken.run(Q, context(model(server), new MemoryRetriever()));
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    // step 1: "Paris" = log(.731059 e^−.5 + 0) = −0.813262; step 2: EOS under doc 1 (log 1) ⇒ done
    expect(r.answer).toBe('Paris [1]');
    const s = r.trace.find((t) => t.name === 'token "Paris"')!;
    expect(s.scores!['log p mixture']).toBeCloseTo(LOG_PZ1 - 0.5, 5);
    // the step after "Paris" continues the assistant message with vLLM's fields
    const prefilled = server.requests.filter((q) => q.path.endsWith('/chat/completions') && (q.body!.messages as Array<{ role: string }>).at(-1)!.role === 'assistant');
    expect(prefilled.length).toBe(2);
    for (const q of prefilled) expect(q.body).toMatchObject({ continue_final_message: true, add_generation_prompt: false, max_tokens: 1, top_logprobs: 20 });
  });

  it(RUNS[mode] ? 'RAG-Token beam (N = 2) keeps Paris −1.126524 and "<alt1> ." −1.625926' : 'RAG-Token beam refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: byDocument, mode });
    const run = ragToken.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    // as in rag.test.ts: Paris + EOS = −0.813262 + log .731059 = −1.126524; "<alt1> ." = −1.525926 − 0.1
    const beams = r.trace.find((t) => t.name === 'beam search (N = 2)')!.output as Array<{ text: string; logprob: number }>;
    expect(beams.map((b) => b.text)).toEqual(['Paris', '<alt1> .']);
    expect(beams[0].logprob).toBeCloseTo(-1.126524, 5);
    expect(beams[1].logprob).toBeCloseTo(-1.625926, 5);
  });

  it(RUNS[mode] ? 'REPLUG token mode gives Paris [1]' : 'REPLUG token mode refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: byDocument, mode });
    const run = replug.run(Q, context(model(server), new MemoryRetriever()), { mode: 'token' });
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    expect(r.answer).toBe('Paris [1]');
    expect(r.trace.find((t) => t.name === 'token "Paris"')!.scores!['log p mixture']).toBeCloseTo(LOG_PZ1 - 0.5, 5);
  });

  it(RUNS[mode] ? 'RAG-Sequence beam (N = 2) gives log p(Paris | x) = log .731059 − .5' : 'RAG-Sequence beam refuses with CapabilityError', async () => {
    server = await startOpenAIServer({ chat: byDocument, mode });
    const run = ragSequence.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    if (!RUNS[mode]) return void (await expect(run).rejects.toThrow(CapabilityError));
    const r = await run;
    expect(r.trace.find((t) => t.kind === 'decide')!.scores!['log p(Paris | x)']).toBeCloseTo(LOG_PZ1 - 0.5, 5);
    expect(r.answer).toBe('Paris [1]');
  });
});

describe('byte-level tokens (the loopback server stands in for a byte-level BPE model)', () => {
  const korean = (req: ChatRequest) => (req.messages.find((m) => m.role === 'user')!.content.includes('Title: Paris') ? '서울' : '베를린');

  it.each(['vllm', 'llamacpp', 'ollama', 'openai'] as const)('RAG-Sequence greedy decodes a Korean answer from joined bytes under %s', async (mode) => {
    server = await startOpenAIServer({ chat: korean, mode });
    const r = await ragSequence.run(Q, context(model(server), new MemoryRetriever()));
    // "서울" = 2 syllables × 2 byte tokens × −0.1 = −0.4; "베를린" = 3 × 2 × −0.1 = −0.6
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['log p(서울 | x)']).toBeCloseTo(LOG_PZ1 - 0.4, 5);
    expect(d.scores!['log p(베를린 | x)']).toBeCloseTo(LOG_PZ2 - 0.6, 5);
    expect(r.answer).toBe('서울 [1]');
  });

  it('the mixture keys tokens by bytes: two partial-UTF-8 tokens that both print as U+FFFD stay distinct', () => {
    // 서 = EC 84 9C, 부 = EB B6 80: first byte tokens [EC 84] and [EB B6] both print "\uFFFD"
    const d1: TokenAlternative[] = [{ token: '\uFFFD', logprob: Math.log(0.6), bytes: [0xec, 0x84] } as TokenAlternative];
    const d2: TokenAlternative[] = [{ token: '\uFFFD', logprob: Math.log(0.8), bytes: [0xeb, 0xb6] } as TokenAlternative];
    const mixed = mixNextToken([d1, d2], [0.5, 0.5]);
    // distinct: 0.5·0.8 = 0.4 for [EB B6], 0.5·0.6 = 0.3 for [EC 84] (merged they would be 0.7)
    expect(mixed.map((m) => Math.exp(m.logprob))).toEqual([expect.closeTo(0.4, 9), expect.closeTo(0.3, 9)]);
  });
});

describe('n samples from servers that return one choice (the loopback server stands in for the model)', () => {
  const bySeed = (req: ChatRequest) => `sample seed ${String(req.seed)}`;
  it.each(SERVER_MODES)('generate(n = 3, seed 5) returns 3 samples under %s', async (mode) => {
    server = await startOpenAIServer({ chat: bySeed, mode });
    const r = await model(server, { logprobs: false }).generate([{ role: 'user', content: 'hi' }], { n: 3, temperature: 0.8, seed: 5 });
    expect(r.generations).toHaveLength(3);
    // servers that honour n answer once with 3 choices; the others are asked again with seeds 6 and 7
    if (mode === 'vllm' || mode === 'openai') expect(server.count('/chat/completions')).toBe(1);
    else expect(r.generations.map((g) => g.text)).toEqual(['sample seed 5', 'sample seed 6', 'sample seed 7']);
  });
});

describe('a newline as the first generated token (the loopback server stands in for the model)', () => {
  /** Each document first writes "\n", then its answer, then stops. */
  const newlineFirst = (req: ChatRequest) => {
    const user = req.messages.find((m) => m.role === 'user')!.content;
    const prefix = req.messages.at(-1)!.role === 'assistant' ? req.messages.at(-1)!.content : '';
    const target = user.includes('Title: Paris') ? 'Paris' : 'Berlin';
    if (prefix === '') return '\n';
    if (prefix === '\n') return target;
    return prefix === `\n${target}` ? '' : ' .';
  };
  const PREFILL_MODES = ['generic', 'vllm', 'llamacpp', 'ollama'] as const;

  it.each(PREFILL_MODES)('RAG-Token greedy goes on past a leading newline and answers Paris under %s', async (mode) => {
    server = await startOpenAIServer({ chat: newlineFirst, mode });
    const r = await ragToken.run(Q, context(model(server), new MemoryRetriever()));
    // step 1: "\n" −0.1 under both ⇒ log(.731059 e^−.1 + .268941 e^−.1) = −0.1 (a leading newline does not end the answer)
    // step 2 after "\n": Paris = log .731059 − .5 = −0.813262; step 3 after "\nParis": EOS = log .731059 = −0.313262 ⇒ done
    expect(r.answer).toBe('Paris [1]');
    const beams = r.trace.find((t) => t.name === 'beam search (N = 1)')!.output as Array<{ text: string; logprob: number }>;
    expect(beams[0].text).toBe('Paris');
    expect(beams[0].logprob).toBeCloseTo(-0.1 - 0.813262 - 0.313262, 5);
  });

  it.each(PREFILL_MODES)('REPLUG token mode goes on past a leading newline under %s', async (mode) => {
    server = await startOpenAIServer({ chat: newlineFirst, mode });
    const r = await replug.run(Q, context(model(server), new MemoryRetriever()), { mode: 'token' });
    expect(r.answer).toBe('Paris [1]');
    expect(r.trace.find((t) => t.name === 'token "Paris"')!.scores!['log p mixture']).toBeCloseTo(LOG_PZ1 - 0.5, 5);
  });

  it('RAG-Sequence beam (N = 2): the document-1 hypothesis "\\nParis" reads Paris, log p = log .731059 − .1 − .5', async () => {
    server = await startOpenAIServer({ chat: newlineFirst });
    const r = await ragSequence.run(Q, context(model(server), new MemoryRetriever()), { beamSize: 2 });
    // doc 1 alone: "\n" −.1, "Paris" −.5, EOS 0 ⇒ −0.6; fast decoding: log p(Paris | x) = log .731059 − .6 = −0.913262
    expect(r.trace.find((t) => t.kind === 'decide')!.scores!['log p(Paris | x)']).toBeCloseTo(LOG_PZ1 - 0.6, 5);
    expect(r.answer).toBe('Paris [1]');
  });
});

describe('capabilities probed per server and the auto modes chosen from them (the loopback server stands in for the model)', () => {
  // What each server's documented semantics give (SERVER_SEMANTICS) and what REPLUG `auto` then runs.
  const EXPECTED: Record<ServerMode, { caps: LanguageModelCapabilities; n: boolean; byteTokens: boolean; replugAuto: 'token' | 'sequence' | undefined }> = {
    generic: { caps: { chat: true, streaming: true, logprobs: true, echoScoring: true, prefill: true }, n: true, byteTokens: true, replugAuto: 'token' },
    // vLLM's chat serving and Ollama report a partial-character token as U+FFFD with bytes EF BF BD: byte identity is lost
    vllm: { caps: { chat: true, streaming: true, logprobs: true, echoScoring: true, prefill: true }, n: true, byteTokens: false, replugAuto: 'token' },
    llamacpp: { caps: { chat: true, streaming: true, logprobs: true, echoScoring: false, prefill: true }, n: false, byteTokens: true, replugAuto: 'token' },
    ollama: { caps: { chat: true, streaming: true, logprobs: true, echoScoring: false, prefill: true }, n: false, byteTokens: false, replugAuto: 'token' },
    openai: { caps: { chat: true, streaming: true, logprobs: true, echoScoring: false, prefill: false }, n: true, byteTokens: true, replugAuto: undefined },
    lmstudio: { caps: { chat: true, streaming: true, logprobs: false, echoScoring: false, prefill: true }, n: false, byteTokens: false, replugAuto: undefined },
  };

  it.each(['generic', ...SERVER_MODES] as const)('probeCapabilities under %s semantics measures prefill, n, byte tokens, logprobs and echo', async (mode) => {
    server = await startOpenAIServer({ mode });
    const llm = model(server);
    const report = await llm.probeCapabilities();
    const want = EXPECTED[mode];
    expect(report.capabilities).toEqual(want.caps);
    expect(report.probes.n.ok).toBe(want.n);
    expect(report.probes.byteTokens.ok).toBe(want.byteTokens);
    if (mode === 'vllm' || mode === 'ollama') expect(report.probes.byteTokens.error).toMatch(/U\+FFFD.*EF BF BD/);
    expect(autoReplugMode(report.capabilities)).toBe(want.replugAuto);
    // the prefill probe continues "1, 2, 3, 4," with vLLM's fields
    const probe = server.requests.find((q) => (q.body?.messages as Array<{ content: string }> | undefined)?.at(-1)?.content === '1, 2, 3, 4,')!;
    expect(probe.body).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
  });

  it('REPLUG auto on a probed OpenAI-like server refuses before any request: no prefill, no echo scoring', async () => {
    server = await startOpenAIServer({ chat: byDocument, mode: 'openai' });
    const llm = model(server);
    await llm.probeCapabilities();
    const before = server.requests.length;
    await expect(replug.run(Q, context(llm, new MemoryRetriever()))).rejects.toThrow(/prefill.*cannot score continuations/);
    expect(server.requests.length).toBe(before);
  });

  it('REPLUG auto on a server that scores continuations but cannot continue a message runs the sequence-level ensemble', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await replug.run(Q, context(model(server, { prefill: false }), new MemoryRetriever()));
    expect(r.trace.some((t) => t.name === "pick argmax_y Σ_d λ_d p(y | d ∘ x)")).toBe(true);
    expect(r.answer).toBe('Paris [1]');
    const prefilled = chatBodies(server).filter((b) => (b.messages as Array<{ role: string }>).at(-1)!.role === 'assistant');
    expect(prefilled).toHaveLength(0);
  });

  it('an unprobed model learns from refusals: after OpenAI rejects continue_final_message and echo, auto refuses before any request', async () => {
    server = await startOpenAIServer({ chat: byDocument, mode: 'openai' });
    const llm = model(server);
    expect(llm.capabilities.prefill).toBe(true); // assumed until measured
    await expect(replug.run(Q, context(llm, new MemoryRetriever()))).rejects.toThrow(CapabilityError);
    expect(llm.capabilities.prefill).toBe(false);
    // the next run picks sequence mode, whose scoring meets the 404 of /v1/completions: echo scoring is measured false too
    await expect(replug.run(Q, context(llm, new MemoryRetriever()))).rejects.toThrow(CapabilityError);
    expect(llm.capabilities.echoScoring).toBe(false);
    const before = server.requests.length;
    await expect(replug.run(Q, context(llm, new MemoryRetriever()))).rejects.toThrow(/prefill.*cannot score continuations/);
    expect(server.requests.length).toBe(before);
  });

  it('RAG-Token and RAG-Sequence beam refuse before any request without prefill, naming what runs instead', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const llm = model(server, { prefill: false });
    await expect(ragToken.run(Q, context(llm, new MemoryRetriever()))).rejects.toThrow(/prefill.*use rag-sequence/);
    await expect(ragSequence.run(Q, context(llm, new MemoryRetriever()), { beamSize: 2 })).rejects.toThrow(/prefill.*beamSize 1/);
    await expect(replug.run(Q, context(llm, new MemoryRetriever()), { mode: 'token' })).rejects.toThrow(/prefill.*--mode sequence/);
    expect(server.requests).toHaveLength(0);
  });

  it("OpenAI's hosted API is known by its address: no prefill and no echo scoring before any probe", () => {
    expect(knownCapabilities('https://api.openai.com/v1')).toEqual({ prefill: false, echoScoring: false });
    expect(knownCapabilities('http://127.0.0.1:8000/v1')).toEqual({});
    const llm = new OpenAICompatibleModel({ baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' });
    expect(autoReplugMode(llm.capabilities)).toBeUndefined();
  });
});

describe('n samples when the server refuses n or ignores it (the loopback server stands in for the model)', () => {
  it("llama.cpp's 500 \"Only one completion choice is allowed\" is not retried: one refused request, then one per sample, and later calls skip the refusal", async () => {
    server = await startOpenAIServer({ chat: (req) => `sample seed ${String(req.seed)}`, mode: 'llamacpp' });
    const waits: number[] = [];
    const llm = new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model', maxRetries: 3, sleep: async (ms) => void waits.push(ms) });
    const r = await llm.generate([{ role: 'user', content: 'hi' }], { n: 3, temperature: 0.8, seed: 5 });
    expect(r.generations.map((g) => g.text)).toEqual(['sample seed 5', 'sample seed 6', 'sample seed 7']);
    expect(server.requests.map((q) => q.status)).toEqual([500, 200, 200, 200]);
    expect(waits).toEqual([]);
    await llm.generate([{ role: 'user', content: 'hi' }], { n: 2, temperature: 0.8, seed: 5 });
    expect(server.requests.slice(4).map((q) => [q.status, q.body!.n])).toEqual([
      [200, undefined],
      [200, undefined],
    ]);
  });

  const bySeed = (req: ChatRequest) => (lastUser(req).startsWith('Question:') && lastUser(req).includes('Recite') ? `Paris is the capital (seed ${String(req.seed)}).` : req.messages.at(-1)!.content.includes('Candidate passages') ? `Paris, France (seed ${String(req.seed)})` : 'Paris');
  const lastUser = (req: ChatRequest) => [...req.messages].reverse().find((m) => m.role === 'user')!.content;

  it.each(['llamacpp', 'ollama', 'lmstudio'] as const)('RECITE gets its 3 recitation paths under %s semantics', async (mode) => {
    server = await startOpenAIServer({ chat: bySeed, mode });
    const r = await recitation.run(Q, context(model(server), new MemoryRetriever()), { numPaths: 3 });
    // 3 recitations (seeds: none, 0 + 1, 0 + 2), each answered "Paris": 3 votes
    const recite = r.trace.find((t) => t.name === 'recite from memory')!;
    expect(recite.output).toEqual(['Paris is the capital (seed undefined).', 'Paris is the capital (seed 1).', 'Paris is the capital (seed 2).']);
    expect(r.trace.find((t) => t.kind === 'decide')!.scores).toEqual({ paris: 3 });
  });

  it.each(['llamacpp', 'ollama', 'lmstudio'] as const)('LameR gets its N = 5 candidate answers under %s semantics', async (mode) => {
    server = await startOpenAIServer({ chat: bySeed, mode });
    const r = await lamer.run(Q, context(model(server), new MemoryRetriever()));
    const gen = r.trace.find((t) => t.kind === 'generate')!;
    expect(gen.output).toHaveLength(5);
    expect(new Set(gen.output as string[]).size).toBe(5);
  });
});
