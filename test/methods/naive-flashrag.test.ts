/**
 * The naive method's `flashrag` preset: the messages FlashRAG's standard RAG pipeline sends
 * (RUC-NLPIR/FlashRAG flashrag/prompt/base_prompt.py, `PromptTemplate` defaults and
 * `format_reference`), so EM is comparable with FlashRAG's tables. The loopback server stands in
 * for the LLM.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { naive } from '../../src/methods/naive.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { chatBodies, context, MemoryRetriever, model } from './support/memory.js';

let server: OpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(async () => {
  await server.close();
});

describe('naive preset=flashrag (the loopback server stands in for an LLM)', () => {
  it('sends FlashRAG\'s system prompt with "Doc i(Title: t) text" references and "Question: q", greedy', async () => {
    server.enqueueChat(' Paris ');
    const r = await naive.run('What is the capital of France?', context(model(server), new MemoryRetriever()), { preset: 'flashrag' });
    const body = chatBodies(server)[0];
    expect(body.messages).toEqual([
      {
        role: 'system',
        // FlashRAG joins its two sentences without a space; kept, since the point is the same prompt
        content:
          'Answer the question based on the given document.Only give me the answer and do not output any other words.\n' +
          'The following are given documents.\n\n' +
          'Doc 1(Title: Paris) Paris is the capital of France. It lies on the Seine.\n' +
          'Doc 2(Title: Berlin) Berlin is the capital of Germany. It has 3.7 million inhabitants.\n',
      },
      { role: 'user', content: 'Question: What is the capital of France?' },
    ]);
    expect(body.temperature).toBe(0);
    expect(body.max_tokens).toBe(32);
    expect(r.answer).toBe('Paris');
    expect(r.hits.map((h) => h.chunkId)).toEqual(['d0#0', 'd1#0']);
    expect(r.trace.map((s) => `${s.kind}:${s.name}`)).toEqual(['retrieve:retrieve top-k', 'generate:answer (FlashRAG standard prompt)']);
  });

  it('keeps openbook\'s cited prompt by default and refuses an unknown preset', async () => {
    server.enqueueChat('Paris [1]');
    const r = await naive.run('What is the capital of France?', context(model(server), new MemoryRetriever()));
    expect(r.answer).toBe('Paris [1]');
    expect((chatBodies(server)[0].messages as Array<{ content: string }>).at(-1)!.content).toMatch(/^Passages:/);
    await expect(naive.run('q', context(model(server), new MemoryRetriever()), { preset: 'nope' as never })).rejects.toThrow(/preset must be one of openbook, flashrag/);
  });
});
