import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedEmbedder, CachedLanguageModel, DiskCache, MemoryCache, cacheKey, canonicalJson, createCacheBackend } from '../../src/models/cache.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { OpenAIEmbedder } from '../../src/models/openai-embedder.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { embedderContract } from './embedder-contract.js';
import { languageModelContract } from './language-model-contract.js';

describe('cacheKey', () => {
  it('is sha256 of the canonical JSON, independent of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
    const k1 = cacheKey({ kind: 'chat', provider: 'p:m', params: { temperature: 0, n: 1 }, input: ['x'] });
    const k2 = cacheKey({ kind: 'chat', provider: 'p:m', params: { n: 1, temperature: 0 }, input: ['x'] });
    expect(k1).toBe(k2);
    expect(k1).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ kind: 'chat', provider: 'p:m2', params: { temperature: 0, n: 1 }, input: ['x'] })).not.toBe(k1);
    expect(cacheKey({ kind: 'chat', provider: 'p:m', params: { temperature: 0, n: 2 }, input: ['x'] })).not.toBe(k1);
  });
});

describe('DiskCache', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-cache-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips bytes in a fan-out folder and leaves no temporary files', async () => {
    const c = new DiskCache(dir);
    const key = 'ab'.repeat(32);
    expect(await c.get(key)).toBeUndefined();
    await c.set(key, Buffer.from([0, 1, 2, 255]));
    expect([...(await c.get(key))!]).toEqual([0, 1, 2, 255]);
    expect(fs.readdirSync(path.join(dir, 'ab'))).toEqual([key]);
    // a second instance (another process) sees the entry
    expect([...(await new DiskCache(dir).get(key))!]).toEqual([0, 1, 2, 255]);
  });

  it('refuses keys that are not hex (no path escapes)', async () => {
    await expect(new DiskCache(dir).get('../../etc/passwd')).rejects.toThrow('cache key must be lowercase hex');
  });

  it('is what createCacheBackend picks without a Redis URL', () => {
    expect(createCacheBackend({ dir }).name).toBe(`disk:${dir}`);
  });
});

describe('CachedLanguageModel over a test server standing in for a model', () => {
  languageModelContract(async () => {
    const server = await startOpenAIServer({ chat: () => 'one, two. three' });
    const model = new CachedLanguageModel(new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model' }), new MemoryCache());
    return { model, close: () => server.close() };
  });

  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({ chat: (req) => `reply to ${req.messages.at(-1)!.content}` });
  });
  afterAll(() => server.close());
  const inner = () => new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model' });

  it('answers a repeated request from the cache without a model call, counting hits and misses', async () => {
    const model = new CachedLanguageModel(inner(), new MemoryCache());
    const before = server.count('/chat/completions');
    const a = await model.generate([{ role: 'user', content: 'q1' }], { maxTokens: 20 });
    const b = await model.generate([{ role: 'user', content: 'q1' }], { maxTokens: 20 });
    expect(server.count('/chat/completions') - before).toBe(1);
    expect(b.generations).toEqual(a.generations);
    expect(b.cached).toBe(true);
    expect(a.cached).toBeUndefined();
    expect(model.stats).toEqual({ hits: 1, misses: 1 });
    // different parameters are a different request
    await model.generate([{ role: 'user', content: 'q1' }], { maxTokens: 5 });
    expect(model.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('serves a stream from an entry written by generate, and vice versa', async () => {
    const model = new CachedLanguageModel(inner(), new MemoryCache());
    const it1 = model.stream([{ role: 'user', content: 'q2' }]);
    let r = await it1.next();
    while (!r.done) r = await it1.next();
    const before = server.count('/chat/completions');
    const it2 = model.stream([{ role: 'user', content: 'q2' }]);
    const deltas: string[] = [];
    let r2 = await it2.next();
    while (!r2.done) {
      deltas.push(r2.value);
      r2 = await it2.next();
    }
    expect(deltas.join('')).toBe('reply to q2');
    expect(r2.value.cached).toBe(true);
    expect((await model.generate([{ role: 'user', content: 'q2' }])).generations[0].text).toBe('reply to q2');
    expect(server.count('/chat/completions')).toBe(before);
  });

  it('never caches sampling at temperature > 0 without a seed', async () => {
    const model = new CachedLanguageModel(inner(), new MemoryCache());
    const before = server.count('/chat/completions');
    await model.generate([{ role: 'user', content: 'q3' }], { temperature: 0.7 });
    await model.generate([{ role: 'user', content: 'q3' }], { temperature: 0.7 });
    expect(server.count('/chat/completions') - before).toBe(2);
    await model.generate([{ role: 'user', content: 'q3' }], { temperature: 0.7, seed: 1 });
    await model.generate([{ role: 'user', content: 'q3' }], { temperature: 0.7, seed: 1 });
    expect(server.count('/chat/completions') - before).toBe(3);
  });

  it('caches continuation scores on disk across instances', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-cache-'));
    const m1 = new CachedLanguageModel(inner(), new DiskCache(dir));
    const s1 = await m1.scoreContinuation('The capital of France is', ' Paris');
    const before = server.count('/completions');
    const m2 = new CachedLanguageModel(inner(), new DiskCache(dir));
    expect(await m2.scoreContinuation('The capital of France is', ' Paris')).toEqual(s1);
    expect(server.count('/completions')).toBe(before);
    expect(m2.stats).toEqual({ hits: 1, misses: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('CachedEmbedder over a test server standing in for an embedding model', () => {
  embedderContract(async () => {
    const server = await startOpenAIServer({ embeddingDim: 12 });
    return { embedder: new CachedEmbedder(new OpenAIEmbedder({ baseUrl: server.url, model: 'e' }), new MemoryCache()), close: () => server.close() };
  });

  it('sends only the texts it has not seen, in one call, and returns identical vectors', async () => {
    const server = await startOpenAIServer({ embeddingDim: 12 });
    const e = new CachedEmbedder(new OpenAIEmbedder({ baseUrl: server.url, model: 'e' }), new MemoryCache(), { params: { queryPrefix: '' } });
    const first = await e.embed(['a b', 'c d'], { kind: 'passage' });
    const second = await e.embed(['c d', 'e f', 'a b'], { kind: 'passage' });
    expect(server.requests.map((r) => r.body!.input)).toEqual([['a b', 'c d'], ['e f']]);
    expect(Array.from(second[0])).toEqual(Array.from(first[1]));
    expect(Array.from(second[2])).toEqual(Array.from(first[0]));
    expect(e.stats).toEqual({ hits: 2, misses: 3 });
    // the kind is part of the key: the same text as a query is a miss
    await e.embed(['a b'], { kind: 'query' });
    expect(e.stats.misses).toBe(4);
    await server.close();
  });
});
