import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRelevant, parseSupport, parseUtility, parseYesNo, selfRag } from '../../src/methods/self-rag.js';
import { parseCandidates, parsePairwise, parseValidity, sure } from '../../src/methods/sure.js';
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

describe('SuRe (the loopback server stands in for an LLM)', () => {
  it('parses candidates, validity and pairwise verdicts', () => {
    expect(parseCandidates('(a) Paris, (b) Lyon', 2)).toEqual(['Paris', 'Lyon']);
    expect(parseCandidates('(a) "Paris". (b) Paris', 2)).toEqual(['Paris']);
    expect(parseCandidates('Paris\nLyon\nNice', 2)).toEqual(['Paris', 'Lyon']);
    expect(parseCandidates('(a) Paris', 2)).toEqual(['Paris']);
    expect(parseValidity('True.')).toBe(1);
    expect(parseValidity('False')).toBe(0);
    expect(parsePairwise('Passage 2 is better')).toBe(2);
    expect(parsePairwise('I cannot tell')).toBeUndefined();
  });

  it('candidates → summaries → validity → pairwise ranking → argmax(v + r)', async () => {
    server.enqueueChat(
      '(a) Paris, (b) Lyon',
      'Paris is the capital of France. [DONE] (cut by the stop string)',
      'Lyon is a large French city.',
      'True',
      'False',
      'Passage 1', // pair (1, 2): summary 1 wins
      'Passage 2', // pair (2, 1): summary 1, shown second, wins again
    );
    const r = await sure.run(Q, context(model(server), new MemoryRetriever()));
    // wins = [2, 0], comparisons 2(N−1) = 2 → r = [1, 0]; v = [1, 0] → totals [2, 0]
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores).toEqual({ 'v(Paris)': 1, 'r(Paris)': 1, 'total(Paris)': 2, 'v(Lyon)': 0, 'r(Lyon)': 0, 'total(Lyon)': 0 });
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(7); // 1 + 2 + 2 + 2
    expect(chatBodies(server)[1].stop).toEqual(['[DONE]']);
    expect(lastUser(chatBodies(server)[3])).toContain('Passage: Paris is the capital of France.');
    expect(lastUser(chatBodies(server)[6])).toMatch(/Passage 1: Lyon is a large French city\.\n\nPassage 2: Paris/);
  });

  it('an unparsable ranking verdict gives 0.5 to each side', async () => {
    server.enqueueChat('(a) Paris, (b) Lyon', 'S1', 'S2', 'False', 'True', 'hmm', 'Passage 1');
    const r = await sure.run(Q, context(model(server), new MemoryRetriever()));
    // pair (1,2) unparsable → 0.5 each; pair (2,1) "Passage 1" → summary 2 wins: wins = [0.5, 1.5] → r = [0.25, 0.75]
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['r(Paris)']).toBe(0.25);
    expect(d.scores!['total(Lyon)']).toBe(1.75);
    expect(r.answer).toBe('Lyon'); // no passage contains "Lyon": no citation invented
    expect(r.citations).toEqual([]);
  });
});

describe('Self-RAG, prompted (the loopback server stands in for an LLM)', () => {
  it('parses the judges', () => {
    expect(parseYesNo('No.')).toBe(false);
    expect(parseRelevant('Irrelevant')).toBe(false);
    expect(parseRelevant('Relevant.')).toBe(true);
    expect(parseRelevant('Yes')).toBe(true);
    expect(parseRelevant('No')).toBe(false);
    expect(parseSupport('Partially supported')).toBe(0.5);
    expect(parseSupport('No support')).toBe(0);
    expect(parseUtility('4')).toBe(0.5);
    expect(parseUtility('1')).toBe(-1);
  });

  it('retrieves, judges every passage, and returns the best-scoring answer', async () => {
    // per passage: [IsRel] (Yes/No), the answer, [IsSup], [IsUse]
    server.enqueueChat('Yes', 'Yes', 'Paris', 'Partially', '4', 'Yes', 'Berlin', 'Fully', '5');
    const r = await selfRag.run(Q, context(model(server), new MemoryRetriever()));
    // the loopback server's top lists hold the chosen label only: rel 1, sup 0.5 / 1, ut (4−3)/2 / (5−3)/2
    // passage 1: e^−0.5 + 1 + 0.5 + 0.5·0.5 = 2.356531; passage 2: e^−0.6 + 1 + 1 + 0.5·1 = 3.048812 → passage 2 wins
    const d = r.trace.at(-1)!;
    expect(d.scores!['score [1]']).toBeCloseTo(Math.exp(-0.5) + 1.75, 9);
    expect(d.scores!['score [2]']).toBeCloseTo(Math.exp(-0.6) + 2.5, 9);
    expect(r.answer).toBe('Berlin [2]');
    expect(r.citations[0].chunkId).toBe('d1#0');
    expect(r.calls).toBe(9);
  });

  it('answers closed-book when it decides not to retrieve', async () => {
    server.enqueueChat('No', 'Paris');
    const retriever = new MemoryRetriever();
    const r = await selfRag.run(Q, context(model(server), retriever));
    expect(r.answer).toBe('Paris');
    expect(retriever.queries).toEqual([]);
    expect(r.calls).toBe(2);
  });
});
