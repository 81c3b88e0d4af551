import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/core/errors.js';
import { OpenAIEmbedder } from '../../src/models/openai-embedder.js';
import { hashEmbedding, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { embedderContract } from './embedder-contract.js';

describe('OpenAIEmbedder against a test server standing in for an embedding model', () => {
  embedderContract(async () => {
    const server = await startOpenAIServer({ embeddingDim: 16 });
    return { embedder: new OpenAIEmbedder({ baseUrl: server.url, model: 'test-embed', batchSize: 2 }), close: () => server.close() };
  });
});

describe('OpenAIEmbedder against a test server standing in for an embedding model that ignores encoding_format', () => {
  embedderContract(async () => {
    const server = await startOpenAIServer({ embeddingDim: 16, ignoreEncodingFormat: true });
    return { embedder: new OpenAIEmbedder({ baseUrl: server.url, model: 'test-embed' }), close: () => server.close() };
  });
});

describe('OpenAIEmbedder requests against a test server standing in for an embedding model', () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({ embeddingDim: 8 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('always asks for encoding_format float, batches by batchSize and keeps input order', async () => {
    const before = server.requests.length;
    const e = new OpenAIEmbedder({ baseUrl: server.url, model: 'test-embed', batchSize: 2, maxConcurrency: 1 });
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const vs = await e.embed(texts, { kind: 'passage' });
    const sent = server.requests.slice(before);
    expect(sent.map((r) => r.body!.input)).toEqual([['alpha', 'beta'], ['gamma', 'delta'], ['epsilon']]);
    expect(sent.every((r) => r.body!.encoding_format === 'float')).toBe(true);
    for (let i = 0; i < texts.length; i++) expect(Array.from(vs[i])).toEqual(Array.from(new Float32Array(hashEmbedding(texts[i], 8))));
    expect(await e.dimension()).toBe(8);
    expect(e.totalUsage()).toMatchObject({ promptTokens: 5, requests: 3 });
  });

  it('prepends the e5 query and passage prefixes by kind', async () => {
    const e = new OpenAIEmbedder({ baseUrl: server.url, model: 'e5', queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    const [q] = await e.embed(['how tall'], { kind: 'query' });
    expect(server.requests.at(-1)!.body!.input).toEqual(['query: how tall']);
    await e.embed(['it is tall'], { kind: 'passage' });
    expect(server.requests.at(-1)!.body!.input).toEqual(['passage: it is tall']);
    // "query: how tall" → words query, how, tall hashed into 8 buckets, then unit length
    expect(Array.from(q)).toEqual(Array.from(new Float32Array(hashEmbedding('query: how tall', 8))));
  });

  it('normalises vectors the server returns unnormalised', async () => {
    const e = new OpenAIEmbedder({ baseUrl: server.url, model: 'm', normalize: true });
    const [v] = await e.embed(['same same same'], { kind: 'passage' });
    // one word three times → one bucket with 3, normalised by the server to 1; norm stays 1
    expect(v.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 6);
    expect(Math.max(...v)).toBeCloseTo(1, 6);
  });

  it('fails with a ModelError after retries when the endpoint keeps failing', async () => {
    const e = new OpenAIEmbedder({ baseUrl: server.url, model: 'm', maxRetries: 1, sleep: async () => {} });
    server.failNext(2, { status: 500, path: '/embeddings' });
    await expect(e.embed(['x'], { kind: 'query' })).rejects.toThrow(/embeddings \(model m\) failed after 2 attempts: HTTP 500/);
  });

  it('reports an endpoint without embeddings as a ModelError naming the URL', async () => {
    const none = await startOpenAIServer({ embeddings: false });
    const e = new OpenAIEmbedder({ baseUrl: none.url, model: 'm' });
    await expect(e.embed(['x'], { kind: 'query' })).rejects.toBeInstanceOf(ModelError);
    await expect(e.embed(['x'], { kind: 'query' })).rejects.toThrow(`POST ${none.url}/embeddings`);
    await none.close();
  });
});
