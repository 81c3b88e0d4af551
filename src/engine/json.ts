/**
 * The JSON shapes of hits and answers, shared by `openbook search/ask --json` and the HTTP
 * API (`GET /v1/search`, `POST /v1/ask`): one definition, so the two faces cannot drift.
 * The server's zod schemas (`server/schemas.ts`) describe these shapes for OpenAPI.
 */
import type { Hit } from '../core/types.js';
import type { EngineAnswer } from './engine.js';

/** The JSON shape of a hit in `search --json`, `ask --json` and the HTTP API. */
export function hitJson(h: Hit) {
  return {
    rank: h.rank,
    score: h.score,
    docId: h.docId,
    chunkId: h.chunkId,
    source: h.source,
    title: h.title,
    text: h.text,
    startLine: h.startLine,
    endLine: h.endLine,
    ...(h.page !== undefined ? { page: h.page } : {}),
    ...(h.locator !== undefined ? { locator: h.locator } : {}),
    ...(h.scores ? { scores: h.scores } : {}),
  };
}

/** The JSON shape of `ask --json` and `POST /v1/ask`. */
export function answerJson(a: EngineAnswer) {
  return {
    question: a.question,
    answer: a.answer,
    method: a.method,
    citations: a.citations.map((c) => ({
      n: c.n,
      chunkId: c.chunkId,
      docId: c.docId,
      source: c.source,
      title: c.title,
      startLine: c.startLine,
      endLine: c.endLine,
      ...(c.page !== undefined ? { page: c.page } : {}),
      ...(c.locator !== undefined ? { locator: c.locator } : {}),
      quote: c.quote,
    })),
    hits: a.hits.map(hitJson),
    ...(a.model ? { model: a.model } : {}),
    ...(a.prompt ? { prompt: a.prompt } : {}),
    ...(a.usage ? { usage: a.usage } : {}),
    ...(a.latencyMs !== undefined ? { latencyMs: a.latencyMs } : {}),
    ...(a.calls !== undefined ? { modelCalls: a.calls } : {}),
    ...(a.invalidCitations && a.invalidCitations.length > 0 ? { invalidCitations: a.invalidCitations } : {}),
    ...(a.trace ? { trace: a.trace } : {}),
  };
}

