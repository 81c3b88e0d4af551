/**
 * How `POST /v1/ask` turns a request into an `Answer`: a table of named answering methods.
 * The server ships `extractive` (offline, no model); the LLM answerer and the methods of
 * `src/methods/` join by adding entries to the table passed to `createServer({ methods })`,
 * each a function of the request, the current engine and a token sink. The `method` field of
 * the request picks the entry; unknown names fail with the valid names listed from the table.
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Answer } from '../core/types.js';
import type { Engine, SearchOptions } from '../engine/engine.js';
import { answerWithLlm } from '../generate/llm-answer.js';
import type { TemplateSet } from '../generate/prompts.js';
import { methodNames, methods as methodRegistry, runMethod } from '../methods/registry.js';
import type { LanguageModel } from '../models/types.js';
import type { AskRequest } from './schemas.js';

/** What a method run receives besides the request. */
export interface AskContext {
  /** The engine over the last committed index, fixed for this request. */
  engine: Engine;
  /** Streams a piece of the answer text as it is produced (SSE `token` events); the pieces concatenate to `Answer.answer`. */
  onToken(delta: string): void;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface AskMethod {
  name: string;
  /** One line for the settings drawer. */
  description: string;
  run(request: AskRequest, ctx: AskContext): Promise<Answer>;
}

/** A table of methods keyed by name. */
export type AskMethods = ReadonlyMap<string, AskMethod>;

/**
 * Fails early for a retriever the engine cannot serve: only `bm25` exists without an
 * embedding model.
 * @throws CapabilityError (501) for `dense` and `hybrid`
 */
export function checkRetriever(retriever: string | undefined): void {
  if (retriever !== undefined && retriever !== 'bm25')
    throw new CapabilityError(`retriever ${JSON.stringify(retriever)} needs an embedding model, and this server has none configured; use bm25`);
}

/**
 * Splits text into the pieces a stream would carry: each run of non-space characters with the
 * whitespace that follows it. `streamPieces(t).join('') === t`.
 */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The offline answer: the best sentences of the top `k` BM25 passages, each cited
 * (`Engine.ask`, see `generate/extractive.ts`). The text is computed at once and then streamed
 * piece by piece, so clients handle one protocol whether or not a model is behind it.
 */
export const extractiveMethod: AskMethod = {
  name: 'extractive',
  description: 'Offline: the best-matching sentences of the top passages, each cited (no model)',
  async run(request, ctx) {
    checkRetriever(request.retriever);
    const answer = await ctx.engine.ask(request.question, {
      topK: request.k ?? 5,
      similarity: request.similarity as SearchOptions['similarity'], // checked against the similarity table by the engine
      k1: request.k1,
      b: request.b,
      signal: ctx.signal,
    });
    for (const piece of streamPieces(answer.answer)) ctx.onToken(piece);
    return answer;
  },
};

/** The default table: just `extractive`. */
export function defaultAskMethods(): Map<string, AskMethod> {
  return new Map([[extractiveMethod.name, extractiveMethod]]);
}

/** Looks `name` up (default `extractive`); throws InvalidParameterError listing the table's names. */
export function pickMethod(methods: AskMethods, name: string | undefined): AskMethod {
  const m = methods.get(name ?? 'extractive') ?? (name === undefined ? methods.values().next().value : undefined);
  if (!m) throw new InvalidParameterError(`unknown method ${JSON.stringify(name)}; this server has: ${[...methods.keys()].join(', ')}`);
  return m;
}

/** What the model-backed methods need; the CLI builds it from the `llm` config section. */
export interface LlmMethodDeps {
  llm: LanguageModel;
  now: () => number;
  /** Seed of each request's random stream (mulberry32), so sampled methods repeat. Default 7. */
  seed?: number;
  /** Prompt templates in effect (`loadTemplates(config.prompts)`). */
  templates?: TemplateSet;
}

/**
 * mulberry32: a 32-bit seeded generator, uniform in [0, 1). Source: Tommy Ettinger's public-domain
 * mulberry32 (the constants 0x6D2B79F5, shifts 15/7/14 are his).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const retrievalOf = (r: AskRequest): SearchOptions => ({ similarity: r.similarity as SearchOptions['similarity'], k1: r.k1, b: r.b });

/**
 * `llm`: retrieve the top `k` (default 5) BM25 passages, then one streamed chat answer with `[n]`
 * markers (`generate/llm-answer.ts`); tokens reach the client as the model writes them.
 */
export function llmAnswerMethod(deps: LlmMethodDeps): AskMethod {
  return {
    name: 'llm',
    description: `Retrieve, then one streamed answer from ${deps.llm.id} with [n] citations`,
    async run(request, ctx) {
      checkRetriever(request.retriever);
      const topK = request.k ?? 5;
      const t0 = deps.now();
      const hits = await ctx.engine.search(request.question, { ...retrievalOf(request), topK, signal: ctx.signal });
      const t1 = deps.now();
      const a = await answerWithLlm({ llm: deps.llm, question: request.question, hits, templates: deps.templates, onToken: ctx.onToken, signal: ctx.signal, now: deps.now });
      return {
        question: a.question,
        answer: a.answer,
        citations: a.citations,
        hits: a.hits,
        method: 'llm',
        usage: a.usage,
        trace: [
          { kind: 'retrieve', name: 'BM25 top-k', input: { query: request.question, topK }, output: hits.map((h) => ({ rank: h.rank, chunkId: h.chunkId, score: h.score })), durationMs: t1 - t0 },
          {
            kind: 'generate',
            name: 'answer with citations',
            input: { prompt: a.prompt.at(-1)?.content ?? '' },
            output: a.rawAnswer,
            usage: a.usage,
            ...(a.invalidCitations.length > 0 ? { scores: { invalidCitations: a.invalidCitations.length } } : {}),
            durationMs: a.latencyMs,
          },
        ],
      };
    },
  };
}

/**
 * A method of `src/methods/` (HyDE, REPLUG, Self-RAG, …) over the engine's BM25 retriever. The
 * methods return whole answers, so the text is streamed piece by piece after it is complete.
 */
export function registryAskMethod(name: string, deps: LlmMethodDeps): AskMethod {
  const m = methodRegistry.get(name);
  if (!m) throw new InvalidParameterError(`unknown method ${JSON.stringify(name)}; valid: ${methodNames.join(', ')}`);
  return {
    name,
    description: m.paper,
    async run(request, ctx) {
      checkRetriever(request.retriever);
      const answer = await runMethod(name, request.question, {
        llm: deps.llm,
        retriever: ctx.engine.sparseRetriever(retrievalOf(request)),
        topK: request.k ?? 5,
        rng: mulberry32(deps.seed ?? 7),
        now: deps.now,
        signal: ctx.signal,
        ...(deps.seed !== undefined ? { seed: deps.seed } : {}),
      });
      for (const piece of streamPieces(answer.answer)) ctx.onToken(piece);
      return answer;
    },
  };
}

/**
 * The full table when a model is configured: `extractive`, `llm`, then every method of the
 * registry in the order of the notes. Methods that need what the model lacks (logprobs, echo
 * scoring, an embedder) fail at run time with CapabilityError (501), never silently.
 */
export function askMethodsWithLlm(deps: LlmMethodDeps): Map<string, AskMethod> {
  const table = defaultAskMethods();
  table.set('llm', llmAnswerMethod(deps));
  for (const name of methodNames) table.set(name, registryAskMethod(name, deps));
  return table;
}
