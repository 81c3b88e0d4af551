/**
 * The rerank stage: a first-stage retriever fetches `depth` candidates (default 50), a reranker
 * scores each (query, passage) pair, and the `topK` best by rerank score are returned. This is
 * the retrieve-then-rerank pipeline of Nogueira & Cho ("Passage Re-ranking with BERT",
 * arXiv:1901.04085) that FlashRAG runs as `rerank_topk` after `retrieval_topk`.
 *
 * Three kinds of reranker, one contract ({@link Reranker}):
 * - `cross-encoder` ({@link CrossEncoderReranker}): a local ONNX sequence-classification folder
 *   (`cross-encoder/ms-marco-MiniLM-L-6-v2`, `BAAI/bge-reranker-v2-m3`,
 *   `jinaai/jina-reranker-v2-base-multilingual`); score = the model's one logit for the pair
 *   (query, passage), as sentence-transformers' `CrossEncoder.predict` returns it before any
 *   activation. Batched by `OnnxSequenceClassifier`.
 * - `endpoint` ({@link EndpointReranker}): a `/rerank` HTTP API; {@link rerankApis} holds one
 *   request/response mapping per server, each cited.
 * - `llm` ({@link LlmReranker}): pointwise relevance p(Yes) / (p(Yes) + p(No)) from an
 *   OpenAI-compatible model's log-probabilities ({@link RERANK_LLM_PROMPT}, `models/yes-no.ts`).
 *
 * Order: candidates are sorted by rerank score, best first; ties keep first-stage order.
 * Candidates the reranker could not score (an LLM that put neither "Yes" nor "No" among its top
 * tokens) follow all scored ones, in first-stage order. Each returned hit keeps the first-stage
 * score in `scores.firstStage` (and its rank in `scores.firstStageRank`), the reranker's in
 * `scores.rerank`; `score` is the rerank score, or the fused one when `firstStageWeight` > 0:
 *
 *   fused(d) = (1 − w) · minmax(rerank)(d) + w · minmax(firstStage)(d)   over the scored candidates
 *
 * (min-max as `normalizeScores`; w = 0 by default, i.e. pure reranking).
 *
 * Cache: {@link CachedReranker} keeps each (model, query, passage) score in the response cache,
 * as `CachedEmbedder` keeps vectors, so a repeated query sends only new pairs to the model.
 */
import { CapabilityError, InvalidParameterError, ModelError } from '../core/errors.js';
import { cacheKey, type CacheBackend, type CacheStats } from '../models/cache.js';
import type { ClassifierInput } from '../models/sequence-classifier.js';
import type { ChatMessage, LanguageModel } from '../models/types.js';
import { judgeYesNo } from '../models/yes-no.js';

/** The reranker kinds, as `--rerank` and config `rerank.kind` name them. */
export type RerankKind = 'cross-encoder' | 'endpoint' | 'llm';
export const rerankKinds: readonly RerankKind[] = ['cross-encoder', 'endpoint', 'llm'];

// The stage itself (withRerank, rerankHits) and the Reranker contract live in ./rerank-stage.ts, so
// that a search without a reranker loads none of the rerankers, the response cache or the Yes/No judge.
export { DEFAULT_RERANK_DEPTH, rerankHits, withRerank, type Reranker, type RerankingRetrieverOptions, type RerankOptions, type RerankScore, type RerankTraceEntry } from './rerank-stage.js';
import type { Reranker, RerankScore } from './rerank-stage.js';

// ---------------------------------------------------------------------------------------------
// cross-encoder

/** What the cross-encoder needs of `OnnxSequenceClassifier`. */
export interface PairClassifier {
  readonly id: string;
  classify(inputs: ClassifierInput[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** A local cross-encoder: score = logit of (text = query, textPair = passage). */
export class CrossEncoderReranker implements Reranker {
  readonly id: string;
  constructor(private readonly classifier: PairClassifier) {
    this.id = `cross-encoder:${classifier.id}`;
  }

  /** @throws ModelError when the model has more than one logit (an NLI model, not a reranker) */
  async score(query: string, passages: readonly string[], signal?: AbortSignal): Promise<RerankScore[]> {
    const logits = await this.classifier.classify(
      passages.map((p) => ({ text: query, textPair: p })),
      signal ? { signal } : {},
    );
    return logits.map((row) => {
      if (row.length !== 1) throw new ModelError(`${this.classifier.id} gives ${row.length} logits per pair; a cross-encoder reranker gives one (is it an NLI model?)`);
      return row[0];
    });
  }
}

// ---------------------------------------------------------------------------------------------
// endpoint

/** The `/rerank` APIs openbook speaks. */
export type RerankApi = 'tei' | 'cohere' | 'jina' | 'vllm' | 'llamacpp';

export interface RerankApiMapping {
  /** Path appended to the base URL when the URL does not already end in a rerank path. */
  path: string;
  /** The JSON request body. */
  request(model: string | undefined, query: string, documents: readonly string[]): Record<string, unknown>;
  /** Scores by input index from the JSON response. @throws ModelError on a malformed body */
  parse(body: unknown, count: number): number[];
  /** Where the shape is defined. */
  source: string;
}

/** `{ results: [{ index, relevance_score }] }`, the Cohere/Jina response, into scores by index. */
function parseResults(body: unknown, count: number, field: 'relevance_score' | 'score', api: string): number[] {
  const list = field === 'score' ? body : (body as { results?: unknown })?.results;
  if (!Array.isArray(list)) throw new ModelError(`${api} rerank response: expected ${field === 'score' ? 'an array of { index, score }' : '{ results: [{ index, relevance_score }] }'}, got ${JSON.stringify(body)?.slice(0, 200)}`);
  const out = new Array<number>(count).fill(NaN);
  for (const r of list as Array<Record<string, unknown>>) {
    const i = r?.index;
    const s = r?.[field];
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= count || typeof s !== 'number' || !Number.isFinite(s)) {
      throw new ModelError(`${api} rerank response: bad result ${JSON.stringify(r)} (need index in 0..${count - 1} and a finite ${field})`);
    }
    out[i] = s;
  }
  const missing = out.findIndex((s) => Number.isNaN(s));
  if (missing >= 0) throw new ModelError(`${api} rerank response has no score for document ${missing} of ${count} (was top_n set by the server?)`);
  return out;
}

const cohereLike = (path: string, source: string, api: string): RerankApiMapping => ({
  path,
  request: (model, query, documents) => ({ ...(model ? { model } : {}), query, documents: [...documents], top_n: documents.length }),
  parse: (body, count) => parseResults(body, count, 'relevance_score', api),
  source,
});

/**
 * One request/response mapping per server:
 * - `tei`: Hugging Face text-embeddings-inference `POST /rerank` `{ query, texts, raw_scores,
 *   truncate }` → `[{ index, score }]` (router/src/http/types.rs `RerankRequest`/`Rank`). We send
 *   `raw_scores: true` (the logit, as the local cross-encoder gives) and `truncate: true`.
 * - `cohere`: Cohere `POST /v2/rerank` `{ model, query, documents: string[], top_n }` →
 *   `{ id, results: [{ index, relevance_score }], meta }` (docs.cohere.com/reference/rerank).
 * - `jina`: Jina `POST /v1/rerank`, the same body → `{ model, usage, results: [{ index,
 *   relevance_score, document }] }` (jina.ai/reranker API).
 * - `vllm`: vLLM's OpenAI-compatible server `POST /v1/rerank` (Jina-compatible; `/v2/rerank` is
 *   the Cohere one), same body and results (vllm/entrypoints/openai/protocol.py `RerankRequest`,
 *   `RerankResponse`).
 * - `llamacpp`: llama.cpp `llama-server --reranking` `POST /v1/rerank` (aliases `/rerank`,
 *   `/reranking`), `{ model?, query, documents, top_n }` → `{ model, object, usage, results: [{
 *   index, relevance_score }] }` (tools/server/README.md, "POST /reranking").
 * `top_n` is always the number of documents, so every candidate comes back scored.
 */
export const rerankApis: Record<RerankApi, RerankApiMapping> = {
  tei: {
    path: '/rerank',
    request: (_model, query, documents) => ({ query, texts: [...documents], raw_scores: true, truncate: true }),
    parse: (body, count) => parseResults(body, count, 'score', 'tei'),
    source: 'huggingface/text-embeddings-inference router/src/http/types.rs',
  },
  cohere: cohereLike('/v2/rerank', 'docs.cohere.com/reference/rerank', 'cohere'),
  jina: cohereLike('/v1/rerank', 'jina.ai/reranker', 'jina'),
  vllm: cohereLike('/v1/rerank', 'vllm/entrypoints/openai/protocol.py RerankRequest', 'vllm'),
  llamacpp: cohereLike('/v1/rerank', 'llama.cpp tools/server/README.md POST /reranking', 'llamacpp'),
};
export const rerankApiNames = Object.keys(rerankApis) as RerankApi[];

export interface EndpointRerankerOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` (the API's path is appended) or the full rerank URL. */
  baseUrl: string;
  api: RerankApi;
  /** Model name sent in the body (Cohere/Jina need it; TEI ignores it). */
  model?: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Documents per request, ≥ 1. Default 64. */
  batchSize?: number;
  /** Injected fetch (tests, proxies); default the global `fetch`. */
  fetch?: typeof fetch;
}

/** A `/rerank` HTTP endpoint in one of {@link rerankApis}' shapes. */
export class EndpointReranker implements Reranker {
  readonly id: string;
  private readonly url: string;
  private readonly mapping: RerankApiMapping;

  constructor(private readonly options: EndpointRerankerOptions) {
    const mapping = rerankApis[options.api];
    if (!mapping) throw new InvalidParameterError(`unknown rerank API ${JSON.stringify(options.api)}; valid: ${rerankApiNames.join(', ')}`);
    if (!options.baseUrl) throw new InvalidParameterError('the endpoint reranker needs a base URL (--rerank-url or rerank.baseUrl)');
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) throw new InvalidParameterError(`rerank batchSize must be an integer ≥ 1, got ${options.batchSize}`);
    this.mapping = mapping;
    const base = options.baseUrl.replace(/\/+$/, '');
    this.url = /\/(v\d\/)?rerank(ing)?$/.test(base) ? base : base + mapping.path;
    this.id = `endpoint:${options.api}:${options.model ?? this.url}`;
  }

  async score(query: string, passages: readonly string[], signal?: AbortSignal): Promise<RerankScore[]> {
    const size = this.options.batchSize ?? 64;
    const out: number[] = [];
    for (let i = 0; i < passages.length; i += size) out.push(...(await this.call(query, passages.slice(i, i + size), signal)));
    return out;
  }

  private async call(query: string, documents: readonly string[], signal?: AbortSignal): Promise<number[]> {
    const f = this.options.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
        body: JSON.stringify(this.mapping.request(this.options.model, query, documents)),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new ModelError(`rerank request to ${this.url} failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new ModelError(`rerank endpoint ${this.url} answered ${res.status}: ${text.slice(0, 300)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ModelError(`rerank endpoint ${this.url} did not answer JSON: ${text.slice(0, 200)}`, { cause: err });
    }
    return this.mapping.parse(body, documents.length);
  }
}

// ---------------------------------------------------------------------------------------------
// llm

/**
 * The pointwise relevance prompt (one call per candidate). The answer position is read, not
 * parsed: score = p(Yes) / (p(Yes) + p(No)) over the top-20 first tokens.
 */
export const RERANK_LLM_PROMPT = {
  system: 'You judge whether a passage is relevant to a search query. Answer with one word: Yes or No.',
  user: 'Query: {query}\n\nPassage: {passage}\n\nIs the passage relevant to the query? Answer Yes or No.',
};

/** The chat messages the LLM reranker sends for one (query, passage). */
export function rerankLlmMessages(query: string, passage: string): ChatMessage[] {
  return [
    { role: 'system', content: RERANK_LLM_PROMPT.system },
    { role: 'user', content: RERANK_LLM_PROMPT.user.replace('{query}', () => query).replace('{passage}', () => passage) },
  ];
}

/** Pointwise LLM relevance (module comment). */
export class LlmReranker implements Reranker {
  readonly id: string;
  /** @throws CapabilityError when the model reports no log-probabilities */
  constructor(private readonly llm: LanguageModel) {
    if (!llm.capabilities.logprobs) throw new CapabilityError(`--rerank llm needs token log-probabilities, which ${llm.id} does not return`);
    this.id = `llm:${llm.id}`;
  }

  async score(query: string, passages: readonly string[], signal?: AbortSignal): Promise<RerankScore[]> {
    const out: RerankScore[] = [];
    for (const p of passages) {
      signal?.throwIfAborted();
      const j = await judgeYesNo(this.llm, rerankLlmMessages(query, p), signal);
      out.push('unscored' in j ? { unscored: j.unscored } : j.score);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// cache

/** A reranker whose (query, passage) scores are kept in a cache backend; `stats` counts pairs. */
export class CachedReranker implements Reranker {
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  constructor(
    readonly inner: Reranker,
    readonly cache: CacheBackend,
  ) {}
  get id(): string {
    return this.inner.id;
  }

  async score(query: string, passages: readonly string[], signal?: AbortSignal): Promise<RerankScore[]> {
    const keys = passages.map((passage) => cacheKey({ kind: 'rerank', provider: this.inner.id, params: {}, input: { query, passage } }));
    const out: Array<RerankScore | undefined> = await Promise.all(
      keys.map(async (k) => {
        const buf = await this.cache.get(k);
        return buf ? (JSON.parse(buf.toString('utf8')) as RerankScore) : undefined;
      }),
    );
    const missing = out.flatMap((v, i) => (v === undefined ? [i] : []));
    this.stats.hits += passages.length - missing.length;
    this.stats.misses += missing.length;
    if (missing.length > 0) {
      const fresh = await this.inner.score(
        query,
        missing.map((i) => passages[i]),
        signal,
      );
      await Promise.all(
        missing.map(async (i, j) => {
          out[i] = fresh[j];
          // An unscored pair is not stored: the next run asks again.
          if (typeof fresh[j] === 'number') await this.cache.set(keys[i], Buffer.from(JSON.stringify(fresh[j])));
        }),
      );
    }
    return out as RerankScore[];
  }
}
