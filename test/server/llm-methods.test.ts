/**
 * The model-backed ask methods through the HTTP API, with a local OpenAI-compatible test server
 * standing in for the model: `llm` streams the model's tokens as SSE, and a registry method
 * (`naive`) runs over the engine's BM25 retriever with its trace.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import type { RunningServer } from '../../src/server/listen.js';
import { AnswerResponse, StatusResponse } from '../../src/server/schemas.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { makeFixture, parseSse, startOn, type Fixture } from './helpers.js';

let fx: Fixture;
let model: OpenAIServer;
let srv: RunningServer;

beforeAll(async () => {
  fx = await makeFixture();
  model = await startOpenAIServer({});
  const llm = new OpenAICompatibleModel({ baseUrl: model.url, model: 'stand-in', maxRetries: 0 });
  srv = await startOn(fx, {}, { models: { llm } });
});
afterAll(async () => {
  await srv?.close();
  await model?.close();
  await rm(fx.dir, { recursive: true, force: true });
});

const ask = (body: unknown, accept = 'application/json') =>
  fetch(`${srv.url}/v1/ask`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: accept }, body: JSON.stringify(body) });

describe('ask methods with a stand-in model server', () => {
  it('status lists extractive, llm, then the methods of the registry', async () => {
    const s = StatusResponse.parse(await (await fetch(`${srv.url}/v1/status`)).json());
    expect(s.methods.slice(0, 3).map((m) => m.name)).toEqual(['extractive', 'llm', 'closed-book']);
    expect(s.methods.map((m) => m.name)).toContain('hyde');
  });

  it('llm (stand-in model): tokens stream as SSE and the answer cites the retrieved passage', async () => {
    model.enqueueChat({ content: 'k1 controls term-frequency saturation [1].' });
    const res = await ask({ question: 'What does k1 control?', method: 'llm', topK: 1 }, 'text/event-stream');
    const events = parseSse(await res.text());
    const tokens = events.filter(([e]) => e === 'token').map(([, d]) => (d as { delta: string }).delta);
    expect(tokens.length).toBeGreaterThan(3); // the stand-in streams one token per chunk
    const done = AnswerResponse.parse(events.at(-1)![1]);
    expect(tokens.join('')).toBe(done.answer);
    expect(done.answer).toBe('k1 controls term-frequency saturation [1].');
    expect(done.method).toBe('llm');
    expect(done.citations[0]).toMatchObject({ n: 1, docId: 'docs/bm25.md' });
    expect(done.trace?.map((s) => s.kind)).toEqual(['retrieve', 'score', 'generate']);
    expect(done.model).toBeDefined();
    // The prompt the model saw holds the retrieved passage.
    expect(JSON.stringify(model.requests.at(-1)!.body)).toContain('term-frequency saturation');
  });

  it('extractive stays offline even with a model configured (no model request)', async () => {
    const before = model.requests.length;
    const a = AnswerResponse.parse(await (await ask({ question: 'What does k1 control?', method: 'extractive', topK: 1 })).json());
    expect(a.method).toBe('extractive');
    expect(model.requests.length).toBe(before);
  });

  it('naive (stand-in model) runs through the registry with its trace', async () => {
    model.enqueueChat({ content: 'HyDE는 가상의 문서를 생성한다 [1].' });
    const res = await ask({ question: 'HyDE는 무엇을 생성하나?', method: 'naive', topK: 1 });
    expect(res.status).toBe(200);
    const a = AnswerResponse.parse(await res.json());
    expect(a.method).toBe('naive');
    expect(a.hits.map((h) => h.docId)).toEqual(['docs/rag-ko.md']);
    expect(a.citations[0]?.docId).toBe('docs/rag-ko.md');
    expect(a.trace?.[0]).toMatchObject({ kind: 'retrieve', input: { query: 'HyDE는 무엇을 생성하나?', topK: 1 } });
  });
});
