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
