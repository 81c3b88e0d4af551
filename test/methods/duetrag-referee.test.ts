/**
 * Issue 11, DuetRAG's confidence referee: the mean token log-probability is taken over the answer
 * span only (citation markers, which a model writes with near certainty, are excluded by their
 * offsets), and an abstention does not win on confidence. The loopback server stands in for the
 * model; its toy log-probabilities are −0.1 per character of a token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { answerSpanLogprobs, duetrag, isAbstention } from '../../src/methods/duetrag.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';

describe('DuetRAG confidence referee (the loopback server stands in for the model)', () => {
  it('averages over the answer span: "Paris [1]" is −0.5 (the marker tokens " [", "1", "]" left out), so Lyon −0.4 wins', async () => {
    server = await startOpenAIServer();
    server.enqueueChat('Lyon', 'Paris [1]');
    const r = await duetrag.run(Q, context(model(server), new MemoryRetriever()), { referee: 'confidence' });
    // with the markers: (−0.5 − 0.1 − 0.1 − 0.1) / 4 = −0.2 would beat Lyon's −0.4
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['mean log p A']).toBeCloseTo(-0.4, 9);
    expect(d.scores!['mean log p B']).toBeCloseTo(-0.5, 9);
    expect(r.answer).toBe('Lyon');
  });

  it('an abstention does not win on confidence', async () => {
    server = await startOpenAIServer();
    server.enqueueChat('Paris', 'The passages do not contain the answer.');
    const r = await duetrag.run(Q, context(model(server), new MemoryRetriever()), { referee: 'confidence' });
    // B's mean (−0.3 −0.8 −0.2 −0.3 −0.7 −0.3 −0.6 −0.1) / 8 = −0.4125 beats A's −0.5, but B abstains
    const d = r.trace.find((t) => t.kind === 'decide')!;
    expect(d.scores!['mean log p B']).toBeCloseTo(-0.4125, 9);
    expect(d.output).toBe('A (closed-book; B abstains)');
    expect(r.answer).toBe('Paris');
  });

  it('answerSpanLogprobs drops the tokens inside [n] markers by offset; isAbstention reads refusals', () => {
    const toks = ['Paris', ' [', '1', ']', ' and', ' Lyon', ' [', '2', ',', ' 3', ']'].map((token) => ({ token, logprob: -1 }));
    expect(answerSpanLogprobs(toks).map((t) => t.token)).toEqual(['Paris', ' and', ' Lyon']);
    expect(isAbstention('The passages do not contain the answer.')).toBe(true);
    expect(isAbstention("I don't know.")).toBe(true);
    expect(isAbstention('')).toBe(true);
    expect(isAbstention('Paris')).toBe(false);
  });
});
