/**
 * Self-RAG as the paper defines it (Asai et al., ICLR 2024) and as the authors' short-form script
 * computes it (AkariAsai/self-rag:retrieval_lm/run_short_form.py, `call_model_rerank_w_scores_batch`):
 * retrieve iff P([Retrieval]) / (P([Retrieval]) + P([No Retrieval])) > threshold (0.2); every passage
 * scored, none dropped; score = exp(mean token log-probability of the segment) + w_rel·rel +
 * w_sup·grd + w_use·ut, with w_rel = 1, w_sup = 1, w_use = 0.5 (the script's `generate`), rel =
 * P([Relevant]) / (P([Relevant]) + P([Irrelevant])), grd = (P(Fully) + 0.5 P(Partially)) / Σ of the
 * three, ut = Σ u_i P([Utility:i]) / Σ with u = [−1, −0.5, 0, 0.5, 1]. The loopback server stands in
 * for the model: a Self-RAG checkpoint on /v1/completions (reflection tokens kept whole), or a chat
 * model answering judge prompts, with hand-set top log-probabilities.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { selfRag } from '../../src/methods/self-rag.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from '../support/openai-server.js';
import { context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';
const ln = Math.log;
const REFLECTION = [
  '[Retrieval]', '[No Retrieval]', '[Continue to Use Evidence]', '[Relevant]', '[Irrelevant]', '[Fully supported]', '[Partially supported]',
  '[No support / Contradictory]', '[Utility:1]', '[Utility:2]', '[Utility:3]', '[Utility:4]', '[Utility:5]', '<paragraph>', '</paragraph>',
];

/** The checkpoint: retrieval probability 0.3 against 0.7; the Paris passage is relevant and supports "Paris", the Berlin one does not. */
function checkpoint(prompt: string): string {
  if (prompt.endsWith('[No Retrieval]')) return 'Paris';
  if (prompt.includes('<paragraph>Paris')) return '[Relevant]Paris[Fully supported][Utility:5]';
  if (prompt.includes('<paragraph>Berlin')) return '[Irrelevant]Berlin[No support / Contradictory][Utility:2]';
  return '[Retrieval]';
}
function checkpointAlternatives(preceding: string, token: string): Record<string, number> | undefined {
  if (token === '[Retrieval]') return { '[No Retrieval]': ln(0.7), '[Retrieval]': ln(0.3) };
  const paris = preceding.includes('<paragraph>Paris');
  if (token === '[Relevant]' || token === '[Irrelevant]') return paris ? { '[Relevant]': ln(0.9), '[Irrelevant]': ln(0.1) } : { '[Irrelevant]': ln(0.8), '[Relevant]': ln(0.2) };
  if (token.endsWith('supported]') || token.startsWith('[No support')) {
    return paris
      ? { '[Fully supported]': ln(0.6), '[Partially supported]': ln(0.3), '[No support / Contradictory]': ln(0.1) }
      : { '[No support / Contradictory]': ln(0.8), '[Fully supported]': ln(0.1), '[Partially supported]': ln(0.1) };
  }
  if (token.startsWith('[Utility:')) return paris ? { '[Utility:5]': ln(0.5), '[Utility:4]': ln(0.3), '[Utility:3]': ln(0.2) } : { '[Utility:2]': ln(0.6), '[Utility:1]': ln(0.4) };
  return undefined;
}

describe('Self-RAG with a reflection-token checkpoint on /v1/completions (the loopback server stands in for selfrag-llama2)', () => {
  // passage 1: tokens [Relevant] ln .9, Paris −0.5 (toy model: −0.1 × length), [Fully supported] ln .6, [Utility:5] ln .5
  const seq1 = Math.exp((ln(0.9) - 0.5 + ln(0.6) + ln(0.5)) / 4);
  const score1 = seq1 + 1 * 0.9 + 1 * (0.6 + 0.5 * 0.3) + 0.5 * (0.5 * 1 + 0.3 * 0.5 + 0.2 * 0);
  // passage 2: [Irrelevant] ln .8, Berlin −0.6, [No support / Contradictory] ln .8, [Utility:2] ln .6
  const seq2 = Math.exp((ln(0.8) - 0.6 + ln(0.8) + ln(0.6)) / 4);
  const score2 = seq2 + 1 * 0.2 + 1 * (0.1 + 0.5 * 0.1) + 0.5 * (0.6 * -0.5 + 0.4 * -1);

  it('retrieves at P([Retrieval]) normalised = 0.3 > 0.2, scores both passages and answers Paris [1] (score 2.611…)', async () => {
    server = await startOpenAIServer({ complete: checkpoint, completionAlternatives: checkpointAlternatives, specialTokens: REFLECTION });
    const r = await selfRag.run(Q, context(model(server), new MemoryRetriever()), { mode: 'checkpoint' });
    expect(r.answer).toBe('Paris [1]');
    const retrieve = r.trace.find((t) => t.name.startsWith('[Retrieval]?'))!;
    expect(retrieve.scores!['P([Retrieval]) normalised']).toBeCloseTo(0.3, 9);
    const d = r.trace.at(-1)!;
    expect(d.scores!['score [1]']).toBeCloseTo(score1, 9);
    expect(d.scores!['score [2]']).toBeCloseTo(score2, 9);
    expect(score1).toBeCloseTo(2.611142, 5);
    expect(d.scores!['rel [2]']).toBeCloseTo(0.2, 9);
    expect(d.scores!['grd [1]']).toBeCloseTo(0.75, 9);
    expect(d.scores!['ut [2]']).toBeCloseTo(-0.7, 9);
    // the prompts are the authors' format: instruction, response, then [Retrieval]<paragraph>title\ntext</paragraph>
    const prompts = server.requests.filter((q) => q.path.endsWith('/completions')).map((q) => String(q.body!.prompt));
    expect(prompts[0]).toBe(`### Instruction:\n${Q}\n\n### Response:\n`);
    expect(prompts[1]).toBe(`### Instruction:\n${Q}\n\n### Response:\n[Retrieval]<paragraph>Paris\nParis is the capital of France. It lies on the Seine.</paragraph>`);
    expect(prompts).toHaveLength(3);
    expect(server.count('/chat/completions')).toBe(0);
  });

  it('with threshold 0.5 it does not retrieve: the prompt gets [No Retrieval] and the answer is generated after it', async () => {
    server = await startOpenAIServer({ complete: checkpoint, completionAlternatives: checkpointAlternatives, specialTokens: REFLECTION });
    const retriever = new MemoryRetriever();
    const r = await selfRag.run(Q, context(model(server), retriever), { mode: 'checkpoint', threshold: 0.5 });
    expect(r.answer).toBe('Paris');
    expect(retriever.queries).toEqual([]);
    expect(String(server.requests.at(-1)!.body!.prompt).endsWith('### Response:\n[No Retrieval]')).toBe(true);
  });

  it('without log-probabilities the reflection tokens are read from the raw text: [Retrieval] retrieves, rel/grd/ut one-hot', async () => {
    server = await startOpenAIServer({ complete: checkpoint, specialTokens: REFLECTION, mode: 'ollama' });
    const r = await selfRag.run(Q, context(model(server), new MemoryRetriever()), { mode: 'checkpoint' });
    // passage 1: 1 + 1 + 0.5·1 = 2.5; passage 2: 0 + 0 + 0.5·(−0.5) = −0.25 (no generation term without log-probabilities)
    const d = r.trace.at(-1)!;
    expect(d.scores!['score [1]']).toBeCloseTo(2.5, 9);
    expect(d.scores!['score [2]']).toBeCloseTo(-0.25, 9);
    expect(r.answer).toBe('Paris [1]');
  });
});

describe('Self-RAG, prompted judges with log-probabilities (the loopback server stands in for a chat LLM)', () => {
  const user = (req: ChatRequest) => req.messages.find((m) => m.role === 'user')!.content;
  const isBerlin = (req: ChatRequest) => user(req).includes('Berlin');
  function reply(req: ChatRequest): string {
    const u = user(req);
    if (u.includes('look up external documents')) return 'No';
    if (u.includes('Is the passage relevant')) return isBerlin(req) ? 'No' : 'Yes';
    if (u.includes('supported by the passage')) return isBerlin(req) ? 'No' : 'Fully';
    if (u.includes('Rate how useful')) return isBerlin(req) ? '2' : '5';
    return isBerlin(req) ? 'Berlin' : 'Paris';
  }
  function alternatives(req: ChatRequest, _token: string, position: number): Record<string, number> | undefined {
    if (position > 0) return undefined;
    const u = user(req);
    if (u.includes('look up external documents')) return { No: ln(0.7), Yes: ln(0.3) };
    if (u.includes('Is the passage relevant')) return isBerlin(req) ? { No: ln(0.8), Yes: ln(0.2) } : { Yes: ln(0.9), No: ln(0.1) };
    if (u.includes('supported by the passage')) return isBerlin(req) ? { No: ln(0.8), Fully: ln(0.1), Partially: ln(0.1) } : { Fully: ln(0.6), Partially: ln(0.3), No: ln(0.1) };
    if (u.includes('Rate how useful')) return isBerlin(req) ? { '2': ln(0.6), '1': ln(0.4) } : { '5': ln(0.5), '4': ln(0.3), '3': ln(0.2) };
    return undefined;
  }

  it('retrieves at P(Yes) normalised 0.3 > 0.2 though the model wrote "No", keeps the irrelevant passage scored, and adds exp(mean log p) of each answer', async () => {
    server = await startOpenAIServer({ chat: reply, chatAlternatives: alternatives });
    const r = await selfRag.run(Q, context(model(server), new MemoryRetriever()));
    const d = r.trace.at(-1)!;
    // answers "Paris" (−0.5) and "Berlin" (−0.6), one token each
    expect(d.scores!['score [1]']).toBeCloseTo(Math.exp(-0.5) + 0.9 + 0.75 + 0.5 * 0.65, 9);
    expect(d.scores!['score [2]']).toBeCloseTo(Math.exp(-0.6) + 0.2 + 0.15 + 0.5 * -0.7, 9);
    expect(r.answer).toBe('Paris [1]');
    expect(r.trace.find((t) => t.name.startsWith('[Retrieval]?'))!.scores!['P(Yes) normalised']).toBeCloseTo(0.3, 9);
  });

  it('the threshold is a parameter: 0.5 answers closed-book', async () => {
    server = await startOpenAIServer({ chat: reply, chatAlternatives: alternatives });
    const retriever = new MemoryRetriever();
    const r = await selfRag.run(Q, context(model(server), retriever), { threshold: 0.5 });
    expect(retriever.queries).toEqual([]);
    expect(r.hits).toEqual([]);
  });

  it('without log-probabilities the labels are one-hot and every passage is still scored (no IsRel filter)', async () => {
    server = await startOpenAIServer({ chat: reply, logprobs: false });
    const r = await selfRag.run(Q, context(model(server, { logprobs: false }), new MemoryRetriever()));
    // "No" to retrieval: closed-book, as the label says
    expect(r.hits).toEqual([]);
    const r2 = await selfRag.run(Q, context(model(server, { logprobs: false }), new MemoryRetriever()), { alwaysRetrieve: true });
    const d = r2.trace.at(-1)!;
    // passage 1: 1 + 1 + 0.5·1 = 2.5; passage 2 (irrelevant, kept): 0 + 0 + 0.5·(−0.5) = −0.25
    expect(d.scores!['score [1]']).toBeCloseTo(2.5, 9);
    expect(d.scores!['score [2]']).toBeCloseTo(-0.25, 9);
    expect(r2.answer).toBe('Paris [1]');
  });
});
