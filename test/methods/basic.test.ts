import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedBook } from '../../src/methods/closed-book.js';
import { hyde, meanVector } from '../../src/methods/hyde.js';
import { naive } from '../../src/methods/naive.js';
import { runMethod } from '../../src/methods/registry.js';
import { OpenAIEmbedder } from '../../src/models/openai-embedder.js';
import { hashEmbedding, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { context, lastUser, MemoryRetriever, model, PASSAGES, toHit } from './support/memory.js';

let server: OpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(async () => {
  await server.close();
});

describe('closed-book and naive (the loopback server stands in for an LLM)', () => {
  it('closed-book makes one call and retrieves nothing', async () => {
    server.enqueueChat('Paris');
    const retriever = new MemoryRetriever();
    const r = await closedBook.run('What is the capital of France?', context(model(server), retriever));
    expect(r.answer).toBe('Paris');
    expect(r.calls).toBe(1);
    expect(retriever.queries).toEqual([]);
    expect(r.citations).toEqual([]);
    expect(r.trace.map((s) => s.kind)).toEqual(['generate']);
  });

  it('naive puts the top-k passages in the prompt and turns [n] into citations', async () => {
    server.enqueueChat('Paris [1]');
    const r = await naive.run('What is the capital of France?', context(model(server), new MemoryRetriever()));
    // overlap with {what,is,the,capital,of,france}: Paris 5 (paris? no: is,the,capital,of,france), Berlin 4 (is,the,capital,of)
    expect(r.hits.map((h) => h.title)).toEqual(['Paris', 'Berlin']);
    expect(lastUser(server.requests[0].body)).toContain('[1] (Title: Paris) Paris is the capital of France.');
    expect(lastUser(server.requests[0].body)).toContain('[2] (Title: Berlin)');
    expect(r.answer).toBe('Paris [1]');
    expect(r.citations).toHaveLength(1);
    expect(r.citations[0]).toMatchObject({ n: 1, chunkId: 'd0#0', quote: 'Paris is the capital of France.', quoteStart: 0 });
    // the toy tokenizer splits "Paris [1]" into "Paris", " [", "1", "]"
    expect(r.usage.completionTokens).toBe(4);
  });
});

describe('markers that point at no passage (the loopback server stands in for an LLM)', () => {
  it('HyDE removes [9] from the answer (topK 2 → passages 1..2) and runMethod reports it for the CLI warning', async () => {
    server.enqueueChat({ content: ['Hamlet was written by Shakespeare.'] }, 'Shakespeare wrote it [1] [9].');
    const r = await runMethod('hyde', 'Who wrote Hamlet?', context(model(server), new MemoryRetriever()), { numHypotheses: 1 });
    expect(r.answer).toBe('Shakespeare wrote it [1].');
    expect(r.invalidCitations).toEqual([9]);
    expect(r.citations.map((c) => [c.n, c.chunkId])).toEqual([[1, 'd2#0']]);
  });

  it('naive keeps the valid number of a mixed marker: [2, 7] → [2]', async () => {
    server.enqueueChat('Berlin [2, 7]');
    const r = await naive.run('What is the capital of France?', context(model(server), new MemoryRetriever()));
    expect(r.answer).toBe('Berlin [2]');
    expect(r.invalidCitations).toEqual([7]);
    expect(r.citations.map((c) => c.chunkId)).toEqual(['d1#0']);
  });

  it('closed-book has no passages, so every marker is removed and reported', async () => {
    server.enqueueChat('Paris [1][3]');
    const r = await runMethod('closed-book', 'What is the capital of France?', context(model(server), new MemoryRetriever()));
    expect(r.answer).toBe('Paris');
    expect(r.invalidCitations).toEqual([1, 3]);
    expect(r.citations).toEqual([]);
  });

  it('an answer whose markers are all valid has no invalidCitations field', async () => {
    server.enqueueChat('Paris [1]');
    const r = await runMethod('naive', 'What is the capital of France?', context(model(server), new MemoryRetriever()));
    expect('invalidCitations' in r).toBe(false);
  });
});

describe('HyDE (the loopback server stands in for an LLM and an embedder)', () => {
  it('averages f(q) with the K hypothetical documents: hand-computed mean', () => {
    // ([1,0] + [0,1] + [1,1]) / 3 = [2/3, 2/3]
    const v = meanVector([Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(1, 1)]);
    expect(v[0]).toBeCloseTo(2 / 3, 6);
    expect(v[1]).toBeCloseTo(2 / 3, 6);
    expect(() => meanVector([Float32Array.of(1), Float32Array.of(1, 2)])).toThrow(/dimension 1 and 2/);
  });

  it('samples K = 4 documents (set) at temperature 0.7, embeds them as passages and searches with the average', async () => {
    const docs = ['Shakespeare wrote Hamlet.', 'Hamlet by Shakespeare.', 'The play Hamlet.', 'William Shakespeare, playwright.'];
    server.enqueueChat({ content: docs }, 'Shakespeare [1]');
    const embedder = new OpenAIEmbedder({ baseUrl: server.url, model: 'emb', maxRetries: 0 });
    const searched: Float32Array[] = [];
    const denseSearch = async (v: Float32Array, topK: number) => {
      searched.push(v);
      const dots = PASSAGES.map((p, i) => ({ i, s: hashEmbedding(p.text, 8).reduce((acc, x, j) => acc + x * v[j], 0) }));
      dots.sort((a, b) => b.s - a.s || a.i - b.i);
      return dots.slice(0, topK).map((d, r) => toHit(d.i, r + 1, d.s));
    };
    const retriever = new MemoryRetriever();
    const q = 'Who wrote Hamlet?';
    const r = await hyde.run(q, context(model(server), retriever, { embedder, denseSearch }), { numHypotheses: 4 });
    const first = server.requests.find((x) => x.path.endsWith('/chat/completions'))!.body!;
    expect(first).toMatchObject({ n: 4, temperature: 0.7 });
    // the searched vector is the mean of the 5 hash embeddings (query + 4 documents)
    const expected = [q, ...docs].map((t) => hashEmbedding(t, 8)).reduce((a, v) => a.map((x, j) => x + v[j] / 5), new Array(8).fill(0));
    expect(Array.from(searched[0]).map((x) => +x.toFixed(5))).toEqual(expected.map((x) => +x.toFixed(5)));
    expect(retriever.queries).toEqual([]); // no BM25 call on the dense path
    expect(r.trace.some((s) => s.name === 'average f(q) and f(d̂_k)')).toBe(true);
    expect(r.calls).toBe(4); // 1 chat (n=4) + 2 embedding calls + 1 chat answer
  });

  it('without an embedder appends the documents to the BM25 query and says so in the trace', async () => {
    server.enqueueChat({ content: ['Hamlet was written by Shakespeare.'] }, 'Shakespeare');
    const retriever = new MemoryRetriever();
    const r = await hyde.run('Who wrote Hamlet?', context(model(server), retriever), { numHypotheses: 1 });
    expect(retriever.queries).toEqual(['Who wrote Hamlet?\nHamlet was written by Shakespeare.']);
    expect(r.trace.find((s) => s.kind === 'decide')!.name).toMatch(/fall back to BM25/);
    // "Shakespeare" occurs in the Hamlet passage, so the citation is inferred and the marker appended
    expect(r.answer).toBe('Shakespeare [1]');
    expect(r.citations[0]).toMatchObject({ chunkId: 'd2#0', quote: 'Hamlet is a tragedy written by William Shakespeare around 1600.' });
  });
});
