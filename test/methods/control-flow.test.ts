import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { duetrag, parseReferee } from '../../src/methods/duetrag.js';
import { augmentQuery, lamer } from '../../src/methods/lamer.js';
import type { NliModel } from '../../src/methods/method.js';
import { recitation } from '../../src/methods/recitation.js';
import { parseNliLabel, retrobust } from '../../src/methods/retrobust.js';
import { parseTurn, searchR1 } from '../../src/methods/search-r1.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { chatBodies, context, lastUser, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(async () => {
  await server.close();
});

const Q = 'What is the capital of France?';

describe('Search-R1 (the loopback server stands in for an LLM)', () => {
  it('stops at </search>, inserts the results inside <information>, and ends with <answer>', async () => {
    server.enqueueChat('<think>I need facts.</think><search> capital of France </search> (text after the stop is never seen)', '<think>Doc 1 says Paris.</think><answer> Paris </answer>');
    const retriever = new MemoryRetriever();
    const r = await searchR1.run(Q, context(model(server), retriever));
    expect(chatBodies(server)[0].stop).toEqual(['</search>', '</answer>']);
    expect(retriever.queries).toEqual(['capital of France']);
    const second = chatBodies(server)[1].messages as Array<{ role: string; content: string }>;
    // the model's turn goes back with its </search> restored, then the information block
    expect(second[1]).toEqual({ role: 'assistant', content: '<think>I need facts.</think><search> capital of France </search>' });
    expect(second[2].content).toMatch(/^<information>\nDoc 1\(Title: Paris\) Paris is the capital of France\. It lies on the Seine\.\nDoc 2\(Title: /);
    expect(r.answer).toBe('Paris [1]'); // "Paris" occurs in Doc 1, so Doc 1 is cited
    expect(r.citations[0].chunkId).toBe('d0#0');
    expect(r.calls).toBe(2);
    expect(r.trace.map((s) => `${s.kind}:${s.name}`)).toEqual(['generate:turn 1', 'retrieve:search 1 of 4', 'generate:turn 2', 'decide:turn 2: answer']);
  });

  it('respects the search budget B: a search past it is refused and the model must answer', async () => {
    server.enqueueChat('<search>France capital</search>', '<search>more about Paris</search>', '<answer>Paris</answer>');
    const retriever = new MemoryRetriever();
    const r = await searchR1.run(Q, context(model(server), retriever), { maxSearches: 1 });
    expect(retriever.queries).toEqual(['France capital']);
    expect(lastUser(chatBodies(server)[2])).toMatch(/Search budget of 1 exhausted/);
    expect(r.answer).toBe('Paris [1]');
    expect(r.trace.some((s) => s.name === 'turn 2: search refused (budget 1 used)')).toBe(true);
  });

  it('survives malformed and missing tags', async () => {
    expect(parseTurn('<think>x</think><answer> Seoul')).toEqual({ kind: 'answer', answer: 'Seoul', closed: false });
    expect(parseTurn('<search>a</search> then <answer>b</answer>')).toEqual({ kind: 'answer', answer: 'b', closed: true });
    expect(parseTurn('<think>hmm<search> rivers of Paris')).toEqual({ kind: 'search', query: 'rivers of Paris', closed: false });
    expect(parseTurn('<think>It is Paris.</think>')).toEqual({ kind: 'none', text: 'It is Paris.' });
    // an empty query is not sent; a turn without tags ends the run with its text
    server.enqueueChat('<search>   </search>', 'The capital is Lyon.');
    const retriever = new MemoryRetriever();
    const r = await searchR1.run(Q, context(model(server), retriever));
    expect(retriever.queries).toEqual([]);
    expect(r.answer).toBe('The capital is Lyon.');
    expect(r.trace.at(-1)!.name).toMatch(/no <search> or <answer> tag/);
  });
});

describe('RetRobust NLI gate (the loopback server stands in for an LLM)', () => {
  it('falls back to the closed-book answer when the top-1 passage does not entail question + answer', async () => {
    server.enqueueChat('Berlin [2]', 'contradiction', 'Paris');
    const r = await retrobust.run(Q, context(model(server), new MemoryRetriever()));
    expect(r.answer).toBe('Paris');
    expect(r.citations).toEqual([]);
    expect(r.calls).toBe(3); // answer + 1 NLI (top-1 passage) + closed-book
    const nli = chatBodies(server)[1];
    expect(lastUser(nli)).toContain('Premise: Paris is the capital of France. It lies on the Seine.');
    expect(lastUser(nli)).toContain('Hypothesis: What is the capital of France? The answer is: Berlin');
    expect(r.trace.find((s) => s.kind === 'decide')!.name).toMatch(/fall back to closed-book/);
  });

  it('keeps the retrieval answer when the top-1 passage entails it', async () => {
    server.enqueueChat('Paris [1]', 'Entailment');
    const r = await retrobust.run(Q, context(model(server), new MemoryRetriever()));
    expect(r.answer).toBe('Paris [1]');
    expect(r.citations[0].chunkId).toBe('d0#0');
    expect(r.calls).toBe(2);
  });

  it('uses a configured NLI model and its threshold on p_true = e / (e + c) (a fixed-probability NLI stands in for a model)', async () => {
    const nli: NliModel = { id: 'fixed-nli', classify: async () => ({ entailment: 0.3, neutral: 0.6, contradiction: 0.1 }) };
    server.enqueueChat('Paris [1]', 'Paris');
    const low = await retrobust.run(Q, context(model(server), new MemoryRetriever(), { nli }), { threshold: 0.8 });
    expect(low.answer).toBe('Paris'); // 0.75 ≤ 0.8: closed-book answer
    expect(low.calls).toBe(3); // 2 chat + 1 NLI
    server.enqueueChat('Paris [1]');
    const high = await retrobust.run(Q, context(model(server), new MemoryRetriever(), { nli }));
    expect(high.answer).toBe('Paris [1]'); // 0.75 > 0.5
    expect(parseNliLabel('The premise does not entail it: contradiction').label).toBe('contradiction'); // negated entailment is no label
    expect(parseNliLabel('Not entailed.').label).toBe('neutral');
    expect(parseNliLabel('entailment').entailment).toBe(1);
    expect(parseNliLabel('Contradiction.').label).toBe('contradiction');
    expect(parseNliLabel('unsure').label).toBe('neutral');
  });
});

describe('DuetRAG referee (the loopback server stands in for an LLM)', () => {
  it('by confidence: mean token log-probability picks the open-book answer', async () => {
    // toy log-probs are −0.1 per character: "Marseille" → −0.9 (mean −0.9);
    // "Paris [1]" → answer span "Paris" −0.5 (the marker tokens " [", "1", "]" are left out) → mean −0.5
    server.enqueueChat('Marseille', 'Paris [1]');
    const r = await duetrag.run(Q, context(model(server), new MemoryRetriever()));
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['mean log p A']).toBeCloseTo(-0.9, 9);
    expect(d.scores!['mean log p B']).toBeCloseTo(-0.5, 9);
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(2);
  });

  it('by referee prompt when the endpoint has no logprobs', async () => {
    await server.close();
    server = await startOpenAIServer({ logprobs: false });
    server.enqueueChat('Lyon', 'Paris [1]', 'B\nParis [1]');
    const r = await duetrag.run(Q, context(model(server, { logprobs: false }), new MemoryRetriever()));
    expect(lastUser(chatBodies(server)[2])).toContain('Answer A (from the model\'s own knowledge): Lyon');
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(3);
    expect(parseReferee('Answer A\nLyon')).toEqual({ choice: 'A', answer: 'Lyon' });
  });
});

describe('LameR and RECITE (the loopback server stands in for an LLM)', () => {
  it('LameR re-retrieves with q repeated and the sampled answers', async () => {
    expect(augmentQuery('q', ['a', 'b'], 2)).toBe('q\nq\na\nb');
    server.enqueueChat({ content: ['The Seine flows through Paris.', 'Paris is the capital.'] }, 'Paris [1]');
    const retriever = new MemoryRetriever();
    const r = await lamer.run(Q, context(model(server), retriever), { numAnswers: 2 });
    expect(chatBodies(server)[0]).toMatchObject({ n: 2, temperature: 0.7 });
    expect(retriever.queries[1]).toBe(`${Q}\n${Q}\nThe Seine flows through Paris.\nParis is the capital.`);
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(2);
  });

  it('RECITE samples recitation paths and takes the majority answer', async () => {
    server.enqueueChat({ content: ['Paris is the capital of France.', 'Lyon is a city in France.', 'France: capital Paris.'] }, 'Paris', 'Lyon', 'paris');
    const retriever = new MemoryRetriever();
    const r = await recitation.run(Q, context(model(server), retriever), { numPaths: 3 });
    expect(chatBodies(server)[0]).toMatchObject({ n: 3, temperature: 0.7 });
    expect(lastUser(chatBodies(server)[2])).toContain('Passage: Lyon is a city in France.');
    expect(r.answer).toBe('Paris');
    expect(r.trace.at(-1)!.scores).toEqual({ paris: 2, lyon: 1 });
    expect(retriever.queries).toEqual([]);
    expect(r.calls).toBe(4);
  });
});
