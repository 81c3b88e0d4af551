/**
 * The rerank stage with each kind of reranker: the tiny ONNX cross-encoder (logits worked out by
 * hand), a loopback /rerank server answering in each API's shape, and a loopback chat server
 * whose first-token log-probabilities are scripted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CapabilityError, InvalidParameterError, ModelError } from '../../src/core/errors.js';
import type { Hit } from '../../src/core/types.js';
import { MemoryCache } from '../../src/models/cache.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { OnnxSequenceClassifier } from '../../src/models/sequence-classifier.js';
import { yesNoFromLogprobs } from '../../src/models/yes-no.js';
import { CachedReranker, CrossEncoderReranker, EndpointReranker, LlmReranker, rerankApiNames, rerankHits, rerankLlmMessages, withRerank, type RerankApi, type Reranker } from '../../src/retrieve/rerank.js';
import type { Retriever } from '../../src/retrieve/types.js';
import { TINY_CROSS_ENCODER, TINY_NLI, writeTinyClassifierFolder } from '../support/tiny-onnx.js';

const root = mkdtempSync(join(tmpdir(), 'openbook-rerank-'));
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
  rmSync(root, { recursive: true, force: true });
});

function hit(chunkId: string, text: string, score: number, rank: number): Hit {
  return { rank, score, docId: chunkId.split('#')[0], chunkId, source: `${chunkId}.txt`, title: chunkId, text, startLine: 1, endLine: 1 };
}

// First stage (BM25-like scores, best first). Passage-segment weights of TINY_CROSS_ENCODER:
// cat 2, dog 1, sat −1, play 0.5, anything else ([UNK], [SEP]) 0.
//   a "cat sat"      → 2 − 1     = 1
//   b "cat play"     → 2 + 0.5   = 2.5
//   c "cat dog dog"  → 2 + 1 + 1 = 4
//   d "sat sat"      → −2
const CANDIDATES = [hit('a#0', 'cat sat', 3.0, 1), hit('b#0', 'cat play', 2.0, 2), hit('c#0', 'cat dog dog', 1.5, 3), hit('d#0', 'sat sat', 1.0, 4)];

function crossEncoder(name = 'ce', weights = TINY_CROSS_ENCODER): CrossEncoderReranker {
  const m = new OnnxSequenceClassifier({ modelDir: writeTinyClassifierFolder(join(root, name), weights), threads: 1, batchSize: 3 });
  closers.push(() => m.close());
  return new CrossEncoderReranker(m);
}

describe('rerankHits with the tiny cross-encoder', () => {
  it('reorders by the hand-computed logits and keeps the first-stage scores', async () => {
    const r = await rerankHits('cat', CANDIDATES, crossEncoder(), { topK: 3 });
    expect(r.hits.map((h) => h.chunkId)).toEqual(['c#0', 'b#0', 'a#0']);
    expect(r.hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(r.hits.map((h) => h.score)).toEqual([4, 2.5, 1]);
    expect(r.hits[0].scores).toEqual({ firstStage: 1.5, firstStageRank: 3, rerank: 4 });
    // the trace lists every candidate, d (−2) last
    expect(r.trace.map((t) => [t.chunkId, t.firstStageRank, t.firstStageScore, t.rerankScore, t.rank])).toEqual([
      ['c#0', 3, 1.5, 4, 1],
      ['b#0', 2, 2, 2.5, 2],
      ['a#0', 1, 3, 1, 3],
      ['d#0', 4, 1, -2, 4],
    ]);
  });

  it('fuses min-max normalised first-stage and rerank scores when asked', async () => {
    // rerank 1, 2.5, 4, −2 → min-max over [−2, 4]: a 0.5, b 0.75, c 1, d 0
    // first stage 3, 2, 1.5, 1 → over [1, 3]: a 1, b 0.5, c 0.25, d 0
    // w = 0.5: a 0.75, b 0.625, c 0.625, d 0 → a, then b and c tied (first-stage order: b), d
    const r = await rerankHits('cat', CANDIDATES, crossEncoder('ce-fuse'), { topK: 4, firstStageWeight: 0.5 });
    expect(r.hits.map((h) => h.chunkId)).toEqual(['a#0', 'b#0', 'c#0', 'd#0']);
    expect(r.hits.map((h) => h.score)).toEqual([0.75, 0.625, 0.625, 0]);
  });

  it('refuses a three-logit (NLI) model as a reranker', async () => {
    await expect(rerankHits('cat', CANDIDATES, crossEncoder('nli', TINY_NLI), { topK: 2 })).rejects.toBeInstanceOf(ModelError);
  });

  it('withRerank fetches max(depth, topK) candidates and returns topK', async () => {
    const asked: number[] = [];
    const base: Retriever = {
      name: 'bm25',
      retrieve: async (_q, k) => {
        asked.push(k);
        return CANDIDATES.slice(0, k);
      },
    };
    const traces: number[] = [];
    const r = withRerank(base, crossEncoder('ce-depth'), { depth: 3, onTrace: (_q, entries) => traces.push(entries.length) });
    expect(r.name).toBe('bm25+rerank');
    // depth 3: a, b, c → c, b
    expect((await r.retrieve('cat', 2)).map((h) => h.chunkId)).toEqual(['c#0', 'b#0']);
    // topK 4 > depth: all four fetched
    expect((await r.retrieve('cat', 4)).map((h) => h.chunkId)).toEqual(['c#0', 'b#0', 'a#0', 'd#0']);
    expect(asked).toEqual([3, 4]);
    expect(traces).toEqual([3, 4]);
    expect(() => withRerank(base, crossEncoder('ce-bad'), { depth: 0 })).toThrow(InvalidParameterError);
  });

  it('CachedReranker sends only new pairs to the model', async () => {
    const calls: number[] = [];
    const inner: Reranker = {
      id: 'count',
      score: async (_q, passages) => {
        calls.push(passages.length);
        return passages.map((p) => p.length);
      },
    };
    const cached = new CachedReranker(inner, new MemoryCache());
    expect(await cached.score('q', ['ab', 'abc'])).toEqual([2, 3]);
    expect(await cached.score('q', ['abc', 'abcd'])).toEqual([3, 4]);
    expect(calls).toEqual([2, 1]);
    expect(cached.stats).toEqual({ hits: 1, misses: 3 });
  });
});

/** A loopback /rerank server that scores a document by its length in characters, answering in `api`'s shape. */
async function rerankServer(): Promise<{ url: string; requests: Array<{ path: string; body: Record<string, unknown> }> }> {
  const requests: Array<{ path: string; body: Record<string, unknown> }> = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as Record<string, unknown>;
      const path = req.url ?? '';
      requests.push({ path, body });
      res.setHeader('content-type', 'application/json');
      if (path === '/rerank' && Array.isArray(body.texts)) {
        // TEI: an array of { index, score }, sorted by score
        const ranks = (body.texts as string[]).map((t, index) => ({ index, score: t.length })).sort((x, y) => y.score - x.score);
        res.end(JSON.stringify(ranks));
        return;
      }
      if (Array.isArray(body.documents)) {
        const results = (body.documents as string[]).map((t, index) => ({ index, relevance_score: t.length / 10, document: { text: t } })).sort((x, y) => y.relevance_score - x.relevance_score);
        res.end(JSON.stringify({ id: 'r1', model: body.model, results, usage: { total_tokens: 3 } }));
        return;
      }
      res.statusCode = 422;
      res.end(JSON.stringify({ error: `unexpected body on ${path}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('EndpointReranker against a loopback /rerank server, one request shape per API', () => {
  // Scores: TEI returns the length; the others length / 10. Passages "cat sat" (7), "cat play" (8), "cat dog dog" (11).
  const expected: Record<RerankApi, { path: string; body: Record<string, unknown>; scores: number[] }> = {
    tei: { path: '/rerank', body: { query: 'cat', texts: ['cat sat', 'cat play', 'cat dog dog'], raw_scores: true, truncate: true }, scores: [7, 8, 11] },
    cohere: { path: '/v2/rerank', body: { model: 'm', query: 'cat', documents: ['cat sat', 'cat play', 'cat dog dog'], top_n: 3 }, scores: [0.7, 0.8, 1.1] },
    jina: { path: '/v1/rerank', body: { model: 'm', query: 'cat', documents: ['cat sat', 'cat play', 'cat dog dog'], top_n: 3 }, scores: [0.7, 0.8, 1.1] },
    vllm: { path: '/v1/rerank', body: { model: 'm', query: 'cat', documents: ['cat sat', 'cat play', 'cat dog dog'], top_n: 3 }, scores: [0.7, 0.8, 1.1] },
    llamacpp: { path: '/v1/rerank', body: { model: 'm', query: 'cat', documents: ['cat sat', 'cat play', 'cat dog dog'], top_n: 3 }, scores: [0.7, 0.8, 1.1] },
  };
  it.each(rerankApiNames)('%s', async (api) => {
    const s = await rerankServer();
    const r = new EndpointReranker({ baseUrl: s.url, api, model: 'm' });
    expect(await r.score('cat', ['cat sat', 'cat play', 'cat dog dog'])).toEqual(expected[api].scores);
    expect(s.requests).toEqual([{ path: expected[api].path, body: expected[api].body }]);
  });

  it('batches, keeps a full rerank URL as given, and names a malformed answer', async () => {
    const s = await rerankServer();
    const r = new EndpointReranker({ baseUrl: `${s.url}/v1/rerank`, api: 'jina', batchSize: 2 });
    expect(await r.score('q', ['a', 'bb', 'ccc'])).toEqual([0.1, 0.2, 0.3]);
    expect(s.requests.map((q) => [q.path, (q.body.documents as string[]).length])).toEqual([
      ['/v1/rerank', 2],
      ['/v1/rerank', 1],
    ]);
    // a TEI client against a Cohere-shaped answer
    const wrong = new EndpointReranker({ baseUrl: `${s.url}/v1/rerank`, api: 'tei' });
    await expect(wrong.score('q', ['a'])).rejects.toBeInstanceOf(ModelError);
    expect(() => new EndpointReranker({ baseUrl: s.url, api: 'nope' as RerankApi })).toThrow(/valid: tei, cohere, jina, vllm, llamacpp/);
  });
});

/** A loopback chat server whose single generated token has scripted top log-probabilities per passage. */
async function yesNoServer(topFor: (userText: string) => Array<{ token: string; logprob: number }>): Promise<{ url: string; bodies: Array<Record<string, unknown>> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as { messages: Array<{ content: string }> };
      bodies.push(body as unknown as Record<string, unknown>);
      const top = topFor(body.messages[body.messages.length - 1].content);
      const chosen = top[0];
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 0,
          model: 'judge',
          choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: chosen.token }, logprobs: { content: [{ token: chosen.token, logprob: chosen.logprob, bytes: null, top_logprobs: top.map((t) => ({ ...t, bytes: null })) }] } }],
          usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies };
}

describe('LlmReranker: p(Yes) / (p(Yes) + p(No)) from scripted log-probabilities', () => {
  it('scores each candidate from its first-token alternatives; an item without Yes/No is unscored and goes last', async () => {
    const s = await yesNoServer((text) => {
      if (text.includes('cat dog dog')) return [{ token: 'Yes', logprob: Math.log(0.6) }, { token: ' yes', logprob: Math.log(0.2) }, { token: 'No', logprob: Math.log(0.1) }];
      if (text.includes('cat play')) return [{ token: 'No', logprob: Math.log(0.5) }, { token: 'Yes', logprob: Math.log(0.25) }];
      if (text.includes('cat sat')) return [{ token: 'Maybe', logprob: Math.log(0.9) }, { token: 'Perhaps', logprob: Math.log(0.05) }];
      return [{ token: 'No', logprob: Math.log(0.9) }];
    });
    const llm = new OpenAICompatibleModel({ baseUrl: s.url, model: 'judge', apiKey: 'x' });
    const r = await rerankHits('cat', CANDIDATES, new LlmReranker(llm), { topK: 4 });
    // c: (0.6 + 0.2) / (0.8 + 0.1) = 0.888889; b: 0.25 / 0.75 = 0.333333; d: 0 / 0.9 = 0; a: unscored
    expect(r.hits.map((h) => h.chunkId)).toEqual(['c#0', 'b#0', 'd#0', 'a#0']);
    expect(r.hits[0].score).toBeCloseTo(0.888889, 5);
    expect(r.hits[1].score).toBeCloseTo(1 / 3, 5);
    expect(r.hits[2].score).toBe(0);
    expect(r.hits[3].scores?.rerank).toBeUndefined();
    expect(r.trace[3].unscored).toMatch(/neither "Yes" nor "No" among the model's top 2 first tokens/);
    // the request: one greedy token with 20 alternatives, and the documented prompt
    expect(s.bodies[0]).toMatchObject({ max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 20 });
    expect((s.bodies[0].messages as unknown[])[1]).toEqual(rerankLlmMessages('cat', 'cat sat')[1]);
  });

  it('refuses a model without log-probabilities; yesNoFromLogprobs never yields NaN', () => {
    const noLogprobs = { id: 'x', capabilities: { chat: true, streaming: true, logprobs: false, echoScoring: false } } as never;
    expect(() => new LlmReranker(noLogprobs)).toThrow(CapabilityError);
    expect(yesNoFromLogprobs(undefined)).toEqual({ unscored: 'the model returned no token log-probabilities' });
    expect(yesNoFromLogprobs([{ token: 'Yes', logprob: 0 }])).toEqual({ score: 1, pYes: 1, pNo: 0 });
  });
});
