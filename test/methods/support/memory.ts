/**
 * Test fixtures for the methods: a small in-memory retriever (score = number of distinct
 * lower-cased words a passage shares with the query; ties by passage order) over a handful of
 * passages, a fixed clock, and a model client for the loopback server (which stands in for an LLM).
 */
import type { Hit } from '../../../src/core/types.js';
import type { MethodContext, Retriever } from '../../../src/methods/method.js';
import { OpenAICompatibleModel } from '../../../src/models/openai-compatible.js';
import type { ChatRequest, OpenAIServer } from '../../support/openai-server.js';

export const PASSAGES = [
  { title: 'Paris', text: 'Paris is the capital of France. It lies on the Seine.' },
  { title: 'Berlin', text: 'Berlin is the capital of Germany. It has 3.7 million inhabitants.' },
  { title: 'Hamlet', text: 'Hamlet is a tragedy written by William Shakespeare around 1600.' },
  { title: 'Seine', text: 'The Seine is a river that flows through Paris into the English Channel.' },
  { title: 'Everest', text: 'Mount Everest is the highest mountain above sea level, at 8849 metres.' },
];

const words = (s: string) => new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

export function toHit(i: number, rank: number, score: number): Hit {
  const p = PASSAGES[i];
  return { rank, score, docId: `d${i}`, chunkId: `d${i}#0`, source: `d${i}.txt`, title: p.title, text: p.text, startLine: 1, endLine: 1 };
}

/** Word-overlap retriever; records every query it was asked. */
export class MemoryRetriever implements Retriever {
  readonly queries: string[] = [];
  async retrieve(query: string, topK: number): Promise<Hit[]> {
    this.queries.push(query);
    const q = words(query);
    const scored = PASSAGES.map((p, i) => ({ i, score: [...words(p.title + ' ' + p.text)].filter((w) => q.has(w)).length }));
    scored.sort((a, b) => b.score - a.score || a.i - b.i);
    return scored.slice(0, topK).map((s, r) => toHit(s.i, r + 1, s.score));
  }
}

/** A retriever that returns fixed hits regardless of the query. */
export class FixedRetriever implements Retriever {
  readonly queries: string[] = [];
  constructor(private readonly hits: Hit[]) {}
  async retrieve(query: string, topK: number): Promise<Hit[]> {
    this.queries.push(query);
    return this.hits.slice(0, topK);
  }
}

export function model(server: OpenAIServer, capabilities: Partial<{ logprobs: boolean; echoScoring: boolean; prefill: boolean }> = {}): OpenAICompatibleModel {
  return new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model', maxRetries: 0, capabilities });
}

/** A context with a clock that advances 1 ms per reading and a seeded LCG. */
export function context(llm: OpenAICompatibleModel, retriever: Retriever, extra: Partial<MethodContext> = {}): MethodContext {
  let t = 0;
  let state = 7;
  return {
    llm,
    retriever,
    topK: 2,
    rng: () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    },
    now: () => t++,
    ...extra,
  };
}

/** The last user message of a logged chat request. */
export function lastUser(body: Record<string, unknown> | undefined): string {
  const msgs = (body?.messages ?? []) as Array<{ role: string; content: string }>;
  return [...msgs].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** The bodies of the chat requests the loopback server received, in order. */
export function chatBodies(server: OpenAIServer): Array<Record<string, unknown>> {
  return server.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body!);
}

/**
 * Scripted per-document continuation for RAG-Token / RAG-Sequence: the prompt holding the Paris
 * passage continues to "Paris", any other to "Berlin"; after the target, or after " .", the
 * answer ends (""); any other prefix gets " .".
 */
export function byDocument(req: ChatRequest): string {
  const user = req.messages.find((m) => m.role === 'user')!.content;
  const prefix = req.messages.at(-1)!.role === 'assistant' ? req.messages.at(-1)!.content : '';
  const target = user.includes('Title: Paris') ? 'Paris' : 'Berlin';
  if (prefix === '') return target;
  if (prefix === target || prefix.endsWith(' .')) return '';
  return ' .';
}
