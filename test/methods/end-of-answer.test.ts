/**
 * Issue 11: continuation scoring includes the end of the answer. The papers' p(y | x) is the
 * probability of the whole sequence y, end included (Lewis et al. 2020 §2.1; Shi et al. 2023 eq. 1);
 * scoring " y" without its end lets every prefix of an answer outscore the answer itself
 * (p(" Paris") ≥ p(" Paris, France")). openbook's answers are one line, so the end is the newline
 * that closes the line: `answerContinuation(y)` = " y\n".
 *
 * The loopback server stands in for a model whose end of answer depends on what came before:
 * after " Paris" it would go on with ", France", so "\n" there has log-probability −3; every other
 * token keeps the toy −0.1 × trimmed length ("\n" −0.1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { ragSequence } from '../../src/methods/rag-sequence.js';
import { realm } from '../../src/methods/realm.js';
import { replug } from '../../src/methods/replug.js';
import { buildLsrRecord } from '../../src/train/replug-lsr.js';
import { startOpenAIServer, tokenLogprob, type ChatRequest, type OpenAIServer, type ServerMode } from '../support/openai-server.js';
import { context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const Q = 'What is the capital of France?';
/** The Paris passage answers the prefix "Paris", the Berlin passage the full "Paris, France". */
const answers = (req: ChatRequest) => (req.messages.find((m) => m.role === 'user')!.content.includes('Title: Paris') ? 'Paris' : 'Paris, France');
const endAfterParis = (preceding: string, token: string) => (token === '\n' && preceding.endsWith(' Paris') ? -3 : tokenLogprob(token));
// Under both documents (the scorer ignores the document):
//   " Paris\n"         = −0.5 + (−3)                      = −3.5   (was −0.5 without the end)
//   " Paris, France\n" = −0.5 + −0.1 + −0.6 + (−0.1)        = −1.3   (was −1.2)
// and a mixture of equal cells is that cell: log Σ_d λ_d e^a = a. The posterior is then λ: cite [1].
const P_PREFIX = -3.5;
const P_FULL = -1.3;

async function start(mode: ServerMode = 'generic') {
  server = await startOpenAIServer({ chat: answers, completionLogprob: endAfterParis, mode });
  return server;
}

describe('continuation scores include the end of the answer (the loopback server stands in for the model)', () => {
  it('REPLUG sequence mode: the prefix "Paris" no longer outscores "Paris, France"', async () => {
    const s = await start();
    const r = await replug.run(Q, context(model(s), new MemoryRetriever()), { mode: 'sequence' });
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['log p(Paris)']).toBeCloseTo(P_PREFIX, 9);
    expect(d.scores!['log p(Paris, France)']).toBeCloseTo(P_FULL, 9);
    expect(r.answer).toBe('Paris, France [1]');
    // every scoring request ends the continuation with the newline
    const prompts = s.requests.filter((q) => q.path === '/v1/completions').map((q) => String(q.body!.prompt));
    expect(prompts).toHaveLength(4);
    for (const p of prompts) expect(p.endsWith(' Paris\n') || p.endsWith(' Paris, France\n')).toBe(true);
  });

  it('RAG-Sequence thorough decoding: log p(y | x) includes the end', async () => {
    const s = await start();
    const r = await ragSequence.run(Q, context(model(s), new MemoryRetriever()), { decoding: 'thorough' });
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(P_PREFIX, 9);
    expect(d.scores!['log p(Paris, France | x)']).toBeCloseTo(P_FULL, 9);
    expect(r.answer).toBe('Paris, France [1]');
  });

  it('REALM continuation scoring (spanOnly off): the full answer wins', async () => {
    const s = await start();
    const r = await realm.run(Q, context(model(s), new MemoryRetriever()), { scoring: 'continuation', spanOnly: false });
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(P_PREFIX, 9);
    expect(d.scores!['log p(Paris, France | x)']).toBeCloseTo(P_FULL, 9);
    expect(r.answer).toBe('Paris, France [1]');
  });

  it('REPLUG-LSR: log P_LM(y | d, x) of the gold answer includes its end', async () => {
    const s = await start();
    const prefix = await buildLsrRecord(model(s), new MemoryRetriever(), Q, 'Paris', { topK: 2, gamma: 1, beta: 1 });
    const full = await buildLsrRecord(model(s), new MemoryRetriever(), Q, 'Paris, France', { topK: 2, gamma: 1, beta: 1 });
    expect(prefix.lmLogprob).toEqual([expect.closeTo(P_PREFIX, 9), expect.closeTo(P_PREFIX, 9)]);
    expect(full.lmLogprob).toEqual([expect.closeTo(P_FULL, 9), expect.closeTo(P_FULL, 9)]);
  });

  it('RAG-Sequence greedy (fast) counts the newline token that ends the generated line', async () => {
    server = await startOpenAIServer({ chat: () => 'Paris\nBerlin' });
    const r = await ragSequence.run(Q, context(model(server), new MemoryRetriever()));
    // tokens "Paris" −0.5, "\nBerlin" −0.6 (the line's end, cut there); both documents give Paris −1.1 ⇒ log p(Paris | x) = −1.1
    expect(r.trace.find((t) => t.kind === 'decide')!.scores!['log p(Paris | x)']).toBeCloseTo(-1.1, 9);
  });

  it.each(['llamacpp', 'ollama', 'openai', 'lmstudio'] as const)('under %s semantics (no echo scoring) REPLUG sequence mode refuses with CapabilityError', async (mode) => {
    const s = await start(mode);
    await expect(replug.run(Q, context(model(s), new MemoryRetriever()), { mode: 'sequence' })).rejects.toThrow(CapabilityError);
  });

  it('under vLLM semantics the end term is scored the same way', async () => {
    const s = await start('vllm');
    const r = await replug.run(Q, context(model(s), new MemoryRetriever()), { mode: 'sequence' });
    expect(r.trace.find((t) => t.kind === 'decide')!.scores!['log p(Paris, France)']).toBeCloseTo(P_FULL, 9);
    expect(r.answer).toBe('Paris, France [1]');
  });
});
