/**
 * The `Method` contract: a named RAG pipeline that answers one question with its dependencies
 * injected, and returns the answer, its citations and a step-by-step trace.
 *
 * ```ts
 * const r = await hyde.run('Who wrote Hamlet?', { llm, retriever, embedder, denseSearch, topK: 5, rng: mulberry32(7), now: Date.now });
 * r.trace.forEach((s) => console.log(s.kind, s.name, s.durationMs));
 * ```
 *
 * Every model call, retrieval and decision goes through a `Tracer`, which times it with the
 * injected clock (`ctx.now`, milliseconds), adds its token usage, and counts model calls, so a
 * method's cost in model calls is measured, not estimated. The control-flow families
 * (sequential, conditional, branching, loop, reasoning) follow FlashRAG's pipeline taxonomy.
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Citation, Hit, TokenUsage, TraceStep } from '../core/types.js';
import { removeInvalidMarkers } from '../generate/citations.js';
import type { Retriever as BaseRetriever } from '../retrieve/types.js';
import type { ChatMessage, CompleteOptions, CompleteResult, ContinuationScore, Embedder, GenerateOptions, GenerateResult, LanguageModel } from '../models/types.js';
import { citeAnswer } from './cite.js';
import type { KnowledgeGraph } from './kg.js';

/**
 * What a method needs of a retriever: `retrieve(query, topK, signal)` of `src/retrieve/types.ts`
 * (`topK` ≥ 1 hits, best first, ranks 1-based). Every sparse, dense or hybrid retriever fits;
 * the noisy-retrieval wrappers of `./retrieval.ts` need no name.
 */
export type Retriever = Pick<BaseRetriever, 'retrieve'>;

/** An NLI model: probabilities of entailment / neutral / contradiction of `hypothesis` given `premise` (sum 1). */
export interface NliModel {
  readonly id: string;
  classify(premise: string, hypothesis: string, signal?: AbortSignal): Promise<{ entailment: number; neutral: number; contradiction: number }>;
}

/** What every method receives. Nothing is read from the environment. */
export interface MethodContext {
  llm: LanguageModel;
  retriever: Retriever;
  /** Passage encoder for dense methods (HyDE); optional. */
  embedder?: Embedder;
  /** Maximum-inner-product search over the dense index: `topK` hits for a query vector. */
  denseSearch?: (vector: Float32Array, topK: number, signal?: AbortSignal) => Promise<Hit[]>;
  /** Passages per retrieval, ≥ 1 (the notes' k; FlashRAG's default 5). */
  topK: number;
  /** Uniform [0, 1) random numbers, seeded by the caller (e.g. mulberry32). */
  rng: () => number;
  /** Clock in milliseconds, for step durations. */
  now: () => number;
  signal?: AbortSignal;
  /** A dedicated NLI model (RetRobust's gate); without it the LLM is prompted to judge entailment. */
  nli?: NliModel;
  /** Seed passed to sampling calls when the endpoint honours it. */
  seed?: number;
  /** A knowledge graph of triples for graph methods (RoG); `loadKnowledgeGraph(path)` of `./kg.ts` reads one. */
  kg?: KnowledgeGraph;
}

/** What every method returns. */
export interface MethodResult {
  answer: string;
  /** Citations of the passages the answer's `[n]` markers point to (n = 1-based position in `hits`). */
  citations: Citation[];
  /** The passages the final answer was generated from (empty for closed-book answers). */
  hits: Hit[];
  trace: TraceStep[];
  /** Tokens summed over all model calls. */
  usage: TokenUsage;
  /** Model calls made (chat generations + continuation scorings + embedding batches). */
  calls: number;
  /**
   * Distinct marker numbers the model wrote that point at no passage in `hits` (removed from
   * `answer`), in order of first appearance; absent when there were none.
   */
  invalidCitations?: number[];
}

/** A named method with its paper, defaults and `run`. `P` is its parameter record. */
export interface Method<P extends object = Record<string, unknown>> {
  /** Registry name, e.g. "hyde". */
  readonly name: string;
  /** One line: authors, title, venue/arXiv id. */
  readonly paper: string;
  /** The paper's defaults. */
  readonly defaults: Readonly<P>;
  /** Parameters without a fixed default (derived from others when absent), with their type. */
  readonly optional?: Readonly<Record<string, 'number' | 'string' | 'boolean'>>;
  /** Model calls as a formula of the parameters, for docs and `--help` ("K + 1 chat, 1 embed batch"). */
  readonly cost: string;
  run(question: string, ctx: MethodContext, params?: Partial<P>): Promise<MethodResult>;
}

/**
 * Checks that a count parameter is an integer ≥ `min`.
 * @throws InvalidParameterError "`method`: `field` must be an integer ≥ `min`, got `value`"
 */
export function checkInteger(method: string, field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidParameterError(`${method}: ${field} must be an integer ≥ ${min}, got ${value}`);
}

/** Validates the fields every method relies on; throws InvalidParameterError naming the field. */
export function checkContext(ctx: MethodContext, method: string): void {
  checkInteger(method, 'topK', ctx.topK, 1);
}

/** Adds two usages. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}

/**
 * Records the steps of one run. Each helper performs the call, times it with `now`, and
 * appends a `TraceStep`; `finish` assembles the `MethodResult`.
 */
export class Tracer {
  readonly steps: TraceStep[] = [];
  usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  calls = 0;

  constructor(private readonly ctx: MethodContext) {}

  /**
   * One chat generation, traced with its prompt (last user message) and outputs. `quiet`
   * counts the call and its tokens without a step of its own (token-by-token decoding, whose
   * caller records one step per decoded token instead).
   */
  async generate(name: string, messages: ChatMessage[], options: GenerateOptions = {}, quiet = false): Promise<GenerateResult> {
    const t0 = this.ctx.now();
    const res = await this.ctx.llm.generate(messages, { ...options, signal: this.ctx.signal });
    this.calls += 1;
    this.usage = addUsage(this.usage, res.usage);
    if (quiet) return res;
    const texts = res.generations.map((g) => g.text);
    this.steps.push({
      kind: 'generate',
      name,
      input: { prompt: messages[messages.length - 1]?.content ?? '', ...(options.temperature ? { temperature: options.temperature } : {}), ...(options.n && options.n > 1 ? { n: options.n } : {}) },
      output: texts.length === 1 ? texts[0] : texts,
      usage: res.usage,
      durationMs: this.ctx.now() - t0,
    });
    return res;
  }

  /**
   * One raw-prompt completion (`LanguageModel.complete`, `/v1/completions`), traced with the prompt's
   * tail and the generated text; `quiet` as for `generate`.
   * @throws CapabilityError when the model has no raw completions
   */
  async complete(name: string, prompt: string, options: CompleteOptions = {}, quiet = false): Promise<CompleteResult> {
    const llm = this.ctx.llm;
    if (!llm.complete) throw new CapabilityError(`${name}: ${llm.id} has no raw completions (/v1/completions); use a vLLM, llama.cpp or Ollama server`);
    const t0 = this.ctx.now();
    const res = await llm.complete(prompt, { ...options, signal: this.ctx.signal });
    this.calls += 1;
    this.usage = addUsage(this.usage, res.usage);
    if (quiet) return res;
    this.steps.push({
      kind: 'generate',
      name,
      input: { prompt: prompt.length > 300 ? `…${prompt.slice(-300)}` : prompt },
      output: res.text,
      usage: res.usage,
      durationMs: this.ctx.now() - t0,
    });
    return res;
  }

  /** log p(continuation | prompt) via `scoreContinuation`, traced. Not counted as tokens (the endpoint reports prompt tokens only). */
  async score(name: string, prompt: string, continuation: string, extra: Record<string, unknown> = {}, quiet = false): Promise<ContinuationScore> {
    const t0 = this.ctx.now();
    const res = await this.ctx.llm.scoreContinuation(prompt, continuation, { signal: this.ctx.signal });
    this.calls += 1;
    if (quiet) return res;
    this.steps.push({
      kind: 'score',
      name,
      input: { continuation, ...extra },
      output: { tokens: res.tokens.length },
      scores: { logprob: res.logprob },
      durationMs: this.ctx.now() - t0,
    });
    return res;
  }

  /** One retrieval, traced with the query and the hits' chunk ids and scores. */
  async retrieve(name: string, query: string, topK: number, retriever: Retriever = this.ctx.retriever): Promise<Hit[]> {
    const t0 = this.ctx.now();
    const hits = await retriever.retrieve(query, topK, this.ctx.signal);
    this.steps.push({
      kind: 'retrieve',
      name,
      input: { query, topK },
      output: hits.map((h) => ({ rank: h.rank, chunkId: h.chunkId, score: h.score, title: h.title })),
      durationMs: this.ctx.now() - t0,
    });
    return hits;
  }

  /** Embeds texts with the context's embedder (one call), traced. */
  async embed(name: string, embedder: Embedder, texts: string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
    const t0 = this.ctx.now();
    const vecs = await embedder.embed(texts, { kind, signal: this.ctx.signal });
    this.calls += 1;
    this.steps.push({ kind: 'transform', name, input: { kind, texts: texts.length }, output: { vectors: vecs.length, dimension: vecs[0]?.length ?? 0 }, durationMs: this.ctx.now() - t0 });
    return vecs;
  }

  /** A step computed locally (a decision, a score table, a transform); `started` is when the work began. */
  note(kind: TraceStep['kind'], name: string, fields: { input?: unknown; output?: unknown; scores?: Record<string, number> }, started?: number): void {
    const now = this.ctx.now();
    this.steps.push({ kind, name, ...fields, durationMs: started === undefined ? 0 : now - started });
  }

  /** Runs a timed local computation and records it. */
  time<T>(kind: TraceStep['kind'], name: string, fn: () => T, describe: (out: T) => { input?: unknown; output?: unknown; scores?: Record<string, number> }): T {
    const t0 = this.ctx.now();
    const out = fn();
    this.note(kind, name, describe(out), t0);
    return out;
  }

  /**
   * Assembles the result. Markers in `answer` that point at no passage of `hits` (all of them
   * when `hits` is empty) are removed and reported in `invalidCitations`, after the numbers the
   * caller already removed (`invalidCitations` argument).
   */
  finish(answer: string, citations: Citation[], hits: Hit[], invalidCitations: readonly number[] = []): MethodResult {
    const cleaned = removeInvalidMarkers(answer, hits.length);
    const invalid = [...new Set([...invalidCitations, ...cleaned.invalid])];
    return { answer: cleaned.answer, citations, hits, trace: this.steps, usage: this.usage, calls: this.calls, ...(invalid.length > 0 ? { invalidCitations: invalid } : {}) };
  }

  /** Cites `answer` over `hits` with `citeAnswer` (invalid markers removed and reported) and assembles the result. */
  finishCited(answer: string, hits: Hit[]): MethodResult {
    const cited = citeAnswer(answer, hits);
    return this.finish(cited.answer, cited.citations, hits, cited.invalidCitations);
  }
}
