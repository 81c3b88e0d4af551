/**
 * How `POST /v1/ask` turns a request into an `Answer`: a table of named answering methods.
 * `extractive` is always there; with a language model configured, `llm` and every method of
 * `src/methods/` join (`askMethodsFor`). Each entry is a function of the request, the current
 * engine and a token sink; pass your own table to `createServer({ methods })` to add more. The `method` field of
 * the request picks the entry; unknown names fail with the valid names listed from the table.
 */
import { filterFromInput } from '../core/filter.js';
import { InvalidParameterError } from '../core/errors.js';
import type { Answer } from '../core/types.js';
import type { AskOptions, EngineAnswer, EngineModels, SearchOptions } from '../engine/engine.js';
import { checkedAtEdge } from '../engine/engine.js';

/** What a method needs of an engine: the embedded `Engine` and the store's `PgEngine` both are one. */
export interface AskEngine {
  readonly models: EngineModels;
  ask(question: string, o?: AskOptions): Promise<EngineAnswer>;
}
import { methodNames, methods as methodRegistry } from '../methods/registry.js';
import type { AskRequest } from './schemas.js';
import { SEARCH_RETRIEVAL_OPTIONS, type OptionSpec, type RetrievalOptionKey, type SearchOptionKey } from '../config/options.js';

/** What a method run receives besides the request. */
export interface AskContext {
  /** The engine over the last committed index, fixed for this request. */
  engine: AskEngine;
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
 * Splits text into the pieces a stream would carry: each run of non-space characters with the
 * whitespace that follows it. `streamPieces(t).join('') === t`.
 */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The engine's search options of a request's retrieval fields, `topK` defaulting to `defaultTopK`,
 * marked as checked: the request schema checked them by the option table's rules, so the engine
 * does not again.
 */
export function httpSearchOptions(request: object, defaultTopK: number): SearchOptions {
  const o = retrievalOptionsOf(request);
  return checkedAtEdge({ ...o, topK: o.topK ?? defaultTopK });
}

/** The engine's ask options for a request (retrieval fields checked by the request schema). */
function askOptions(request: AskRequest, signal: AbortSignal, engine: AskEngine): AskOptions {
  return {
    ...httpSearchOptions(request, 5),
    ...rerankOptions(request, engine),
    ...(request.filter !== undefined ? { filter: filterFromInput(request.filter) } : {}),
    signal,
  };
}

/**
 * The offline answer: the best sentences of the top `k` passages, each cited (`Engine.ask` with
 * `extractive`, see `generate/extractive.ts`), even when a model is configured. The text is
 * computed at once and then streamed piece by piece, so clients handle one protocol whether or
 * not a model is behind it.
 */
export const extractiveMethod: AskMethod = {
  name: 'extractive',
  description: 'Offline: the best-matching sentences of the top passages, each cited (no model)',
  async run(request, ctx) {
    const answer = await ctx.engine.ask(request.question, { ...askOptions(request, ctx.signal, ctx.engine), extractive: true });
    for (const piece of streamPieces(answer.answer)) ctx.onToken(piece);
    return answer;
  },
};

/**
 * `llm`: retrieve, then one chat answer with `[n]` citations (`generate/llm-answer.ts` through
 * `Engine.ask`); tokens reach the client as the model writes them.
 */
export const llmMethod: AskMethod = {
  name: 'llm',
  description: 'Retrieve, then one streamed answer from the configured model with [n] citations',
  async run(request, ctx) {
    return ctx.engine.ask(request.question, { ...askOptions(request, ctx.signal, ctx.engine), onToken: ctx.onToken });
  },
};

/**
 * A method of `src/methods/` (HyDE, REPLUG, Self-RAG, …) by name, run by `Engine.ask({ method })`
 * over the requested retriever. The methods return whole answers, so the text is streamed piece by
 * piece once it is complete.
 */
export function registryMethod(name: string): AskMethod {
  const m = methodRegistry.get(name);
  if (!m) throw new InvalidParameterError(`unknown method ${JSON.stringify(name)}; valid: ${methodNames.join(', ')}`);
  return {
    name,
    description: m.paper,
    async run(request, ctx) {
      const answer = await ctx.engine.ask(request.question, { ...askOptions(request, ctx.signal, ctx.engine), method: name });
      for (const piece of streamPieces(answer.answer)) ctx.onToken(piece);
      return answer;
    },
  };
}

/** Just `extractive` (what an offline server offers). */
export function defaultAskMethods(): Map<string, AskMethod> {
  return new Map([[extractiveMethod.name, extractiveMethod]]);
}

/**
 * The table for the configured models: `extractive` always; with a language model also `llm`
 * and every method of the registry, in the order of the notes. A method that needs what the
 * model lacks (logprobs, echo scoring, an embedder) fails at run time with CapabilityError (501),
 * never silently.
 */
export function askMethodsFor(models: EngineModels): Map<string, AskMethod> {
  const table = defaultAskMethods();
  if (!models.llm) return table;
  table.set(llmMethod.name, llmMethod);
  for (const name of methodNames) table.set(name, registryMethod(name));
  return table;
}

/** Looks `name` up (default `extractive`); throws InvalidParameterError listing the table's names. */
export function pickMethod(methods: AskMethods, name: string | undefined): AskMethod {
  const m = methods.get(name ?? 'extractive') ?? (name === undefined ? methods.values().next().value : undefined);
  if (!m) throw new InvalidParameterError(`unknown method ${JSON.stringify(name)}; this server has: ${[...methods.keys()].join(', ')}`);
  return m;
}

/**
 * The option table's retrieval fields of a request (`k` → topK, `similarity`, `k1`, `b`,
 * `retriever`, `fusion`, `rrfK`, `normalization`, `alpha`) as engine options; the request schema
 * has already checked them by the table's rules.
 */
export function retrievalOptionsOf(request: object): Partial<SearchOptions> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SEARCH_RETRIEVAL_OPTIONS)) {
    const v = s.http !== undefined ? httpValue(request as Record<string, unknown>, s) : undefined;
    if (v !== undefined) out[key] = v;
  }
  return out as Partial<SearchOptions>;
}

/**
 * A request's value of `s`: its field, else its older alias (`k` for `topK`).
 * @throws InvalidParameterError when both are given with different values
 */
function httpValue(request: Record<string, unknown>, s: OptionSpec): unknown {
  const v = request[s.http!];
  const alias = s.httpAlias !== undefined ? request[s.httpAlias] : undefined;
  if (v !== undefined && alias !== undefined && v !== alias) throw new InvalidParameterError(`give ${s.http} or its alias ${s.httpAlias}, not both with different values (${s.http}=${String(v)}, ${s.httpAlias}=${String(alias)})`);
  return v ?? alias;
}

/**
 * `request` with every retrieval field it leaves out taken from `defaults` (the server's
 * configured `retrieval` values, by config key): a config file's `{"retrieval":{"topK":3}}`
 * makes `GET /v1/search?q=x` return 3 hits, as it makes `openbook search x` print 3.
 */
export function withRetrievalDefaults<T extends object>(request: T, defaults: Partial<Record<RetrievalOptionKey | SearchOptionKey, number | string>> = {}): T {
  const out = { ...request } as Record<string, unknown>;
  for (const [key, s] of Object.entries(SEARCH_RETRIEVAL_OPTIONS) as Array<[RetrievalOptionKey | SearchOptionKey, OptionSpec]>) {
    if (s.http === undefined) continue;
    // the alias folds into the field's name first (refused when the two disagree)
    const v = httpValue(out, s);
    if (s.httpAlias !== undefined) delete out[s.httpAlias];
    if (v !== undefined) out[s.http] = v;
    else if (defaults[key] !== undefined) out[s.http] = defaults[key];
  }
  return out as T;
}

/**
 * The rerank fields of a search or ask request: on when asked, or by default when the server's
 * configuration has a reranker (`rerank.kind`); `rerankDepth` else the configured depth.
 */
export function rerankOptions(request: { rerank?: boolean | undefined; rerankDepth?: number | undefined }, engine: Pick<AskEngine, 'models'>): Pick<AskOptions, 'rerank' | 'rerankDepth' | 'rerankFirstStageWeight'> {
  const on = request.rerank ?? engine.models.reranker !== undefined;
  if (!on) return {};
  const d = engine.models.rerankDefaults;
  return {
    rerank: true,
    ...(request.rerankDepth !== undefined ? { rerankDepth: request.rerankDepth } : d?.depth !== undefined ? { rerankDepth: d.depth } : {}),
    ...(d?.firstStageWeight !== undefined ? { rerankFirstStageWeight: d.firstStageWeight } : {}),
  };
}
