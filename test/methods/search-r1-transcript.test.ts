/**
 * Search-R1's raw-transcript mode: one growing prompt on /v1/completions, as the released checkpoints
 * were trained (PeterGriffinJin/Search-R1:search_r1/llm_agent/generation.py: a response is cut after
 * its first </search> or </answer>; a search appends "\n\n<information>{docs}</information>\n\n" with
 * `_passages2string`'s "Doc i(Title: t) text\n" lines, numbered from 1 in every block; a turn with
 * neither tag gets the "My previous action is invalid." observation). The loopback server stands in
 * for the checkpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeSquadAnswer } from '../../src/eval/qa-metrics.js';
import { renderPrompt } from '../../src/methods/prompts.js';
import { searchR1 } from '../../src/methods/search-r1.js';
import { exactMatchReward, searchR1Trajectory } from '../../src/train/search-r1.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { context, MemoryRetriever, model, PASSAGES } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';
const doc = (i: number, n: number) => `Doc ${n}(Title: ${PASSAGES[i].title}) ${PASSAGES[i].text}`;

/** The checkpoint: searches "capital of France", then "Seine river", then answers Paris. */
function checkpoint(prompt: string): string {
  const blocks = prompt.split('\n\n<information>').length - 1; // the instruction itself names <information>
  if (blocks === 0) return '<think>I need the capital.</think>\n<search> capital of France </search>\nignored after the stop';
  if (blocks === 1) return '<think>Check the river.</think>\n<search> Seine river </search>';
  return '<think>Doc 1 says Paris.</think>\n<answer> Paris </answer> trailing';
}

describe('Search-R1 raw transcript on /v1/completions (the loopback server stands in for a Search-R1 checkpoint)', () => {
  it('grows one prompt: each response cut after its closing tag, <information> blocks numbered from Doc 1 per search', async () => {
    server = await startOpenAIServer({ complete: checkpoint });
    const retriever = new MemoryRetriever();
    const r = await searchR1.run(Q, context(model(server), retriever), { transport: 'completions' });
    expect(r.answer).toBe('Paris [1]');
    expect(retriever.queries).toEqual(['capital of France', 'Seine river']);
    const prompts = server.requests.filter((q) => q.path.endsWith('/completions')).map((q) => String(q.body!.prompt));
    const p0 = renderPrompt('searchr1.user', { question: Q });
    // search 1, top 3 by word overlap with "capital of France": Paris 3, Berlin 2, Hamlet 0 (first of the ties)
    const info1 = `\n\n<information>${[doc(0, 1), doc(1, 2), doc(2, 3)].join('\n')}</information>\n\n`;
    // search 2 ("Seine river"): Seine 2, Paris 1, Berlin 0 — numbered from Doc 1 again
    const info2 = `\n\n<information>${[doc(3, 1), doc(0, 2), doc(1, 3)].join('\n')}</information>\n\n`;
    expect(prompts).toEqual([
      p0,
      `${p0}<think>I need the capital.</think>\n<search> capital of France </search>${info1}`,
      `${p0}<think>I need the capital.</think>\n<search> capital of France </search>${info1}<think>Check the river.</think>\n<search> Seine river </search>${info2}`,
    ]);
    for (const q of server.requests) expect(q.body).toMatchObject({ stop: ['</search>', '</answer>'] });
    expect(server.count('/chat/completions')).toBe(0);
    // the answer's [1] is Doc 1 of the last block read: the Seine passage
    expect(r.citations[0].chunkId).toBe('d3#0');
  });

  it('the trajectory keeps the model text (loss mask 1) apart from the retrieved text (mask 0), and the reward is exact match', async () => {
    server = await startOpenAIServer({ complete: checkpoint });
    const t = await searchR1Trajectory(context(model(server), new MemoryRetriever()), Q, { maxSearches: 4, maxTokens: 512, topK: 3 });
    expect(t.segments.map((s) => s.loss)).toEqual([1, 0, 1, 0, 1]);
    expect(t.segments[0].text).toBe('<think>I need the capital.</think>\n<search> capital of France </search>');
    expect(t.segments[1].text.startsWith('\n\n<information>Doc 1(Title: Paris) ')).toBe(true);
    expect(t.segments[3].text.startsWith('\n\n<information>Doc 1(Title: Seine) ')).toBe(true);
    expect(t.segments[4].text).toBe('<think>Doc 1 says Paris.</think>\n<answer> Paris </answer>');
    expect(t.prompt + t.segments.map((s) => s.text).join('')).toBe(t.prompt + t.response);
    expect(t.answer).toBe('Paris');
    expect(t.searches).toBe(2);
    // SQuAD normalisation (lower case, punctuation and articles removed): "the Paris." matches "Paris"
    expect(exactMatchReward('the Paris.', ['Paris'], normalizeSquadAnswer)).toBe(1);
    expect(exactMatchReward('Lyon', ['Paris', 'City of Paris'], normalizeSquadAnswer)).toBe(0);
    expect(exactMatchReward(undefined, ['Paris'], normalizeSquadAnswer)).toBe(0);
  });

  it('a turn with neither tag gets the reference\'s invalid-action observation, and the budget ends the rollout without an answer', async () => {
    server = await startOpenAIServer({ complete: () => 'I think it is Paris.' });
    const t = await searchR1Trajectory(context(model(server), new MemoryRetriever()), Q, { maxSearches: 1, maxTokens: 512, topK: 3 });
    // one turn within the budget, then the final turn (no search executed after it)
    expect(t.segments.map((s) => [s.loss, s.text])).toEqual([
      [1, 'I think it is Paris.'],
      [0, '\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n'],
      [1, 'I think it is Paris.'],
    ]);
    expect(t.answer).toBeUndefined();
    expect(exactMatchReward(t.answer, ['Paris'], normalizeSquadAnswer)).toBe(0);
  });
});
