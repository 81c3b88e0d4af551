/**
 * The one configuration schema shared by the library, the CLI and the HTTP server.
 *
 * Shape of `openbook.config.json` (every field optional; defaults shown):
 * ```json
 * {
 *   "index": ".openbook",
 *   "llm":   { "baseUrl": null, "modelDir": null, "model": null, "apiKey": null, "timeoutMs": 60000, "maxRetries": 3, "maxConcurrency": 4 },
 *   "embed": { "baseUrl": null, "model": null, "apiKey": null, "modelDir": null, "pooling": "auto",
 *              "queryPrefix": "", "passagePrefix": "", "normalize": true, "batchSize": 32 },
 *   "cache": { "enabled": true, "dir": null, "redisUrl": null },
 *   "retrieval": { "retriever": "bm25", "topK": 10, "similarity": "bm25", "k1": 0.9, "b": 0.4,
 *                  "denseMetric": "cosine", "rrfK": 60, "fusion": "rrf", "normalization": "min-max", "alpha": 0.5 },
 *   "rerank": { "kind": null, "depth": 50, "firstStageWeight": 0, "modelDir": null, "batchSize": 16,
 *               "baseUrl": null, "api": "tei", "model": null, "apiKey": null },
 *   "nli": { "modelDir": null },
 *   "prompts": { "answer-with-citations": "…template text…" },
 *   "server": { "host": "127.0.0.1", "port": 8080, "apiKey": null, "corsOrigins": [], "maxBodyBytes": 1048576,
 *               "rateLimitPerMinute": null, "roots": [] },   // null: 0 (off) on loopback, 60 elsewhere
 *   "store": { "url": null }
 * }
 * ```
 * Unknown keys are rejected (a typo such as `"topk"` is an error, not a silently ignored
 * field). Paths (`index`, `llm.modelDir`, `embed.modelDir`, `rerank.modelDir`, `nli.modelDir`, `cache.dir`, `server.roots`) are resolved to
 * absolute paths by `resolveConfig`: relative to the config file's folder when they come from
 * the file, relative to the working directory otherwise.
 */
import { z } from 'zod';
import { RERANK_OPTIONS, RETRIEVAL_OPTIONS, SEARCH_OPTIONS, type OptionSpec } from './options.js';

/** Positive integer helper. */
const posInt = () => z.number().int().positive();

export const LlmConfig = z.strictObject({
  /** OpenAI-compatible base URL including `/v1`, e.g. `http://127.0.0.1:11434/v1`. Absent = no LLM (offline answers). */
  baseUrl: z.url().optional(),
  /** Folder of a local causal LM (ONNX decoder + tokenizer.json); used when `baseUrl` is unset. See docs/models.md. */
  modelDir: z.string().min(1).optional(),
  /** Model name as the endpoint knows it, e.g. `qwen2.5:7b`, `gpt-4o-mini`. */
  model: z.string().min(1).optional(),
  /** Bearer token. Secret: masked by `maskSecrets`. */
  apiKey: z.string().optional(),
  /** Per-request timeout in milliseconds (each attempt). */
  timeoutMs: posInt().default(60_000),
  /** Retries after the first attempt on 429, 5xx and connection errors (0 = no retry). */
  maxRetries: z.number().int().min(0).max(20).default(3),
  /** Requests in flight at once per model client. */
  maxConcurrency: posInt().default(4),
});

export const EmbedConfig = z.strictObject({
  /** OpenAI-compatible embeddings base URL; when absent and `modelDir` is set the local model is used. */
  baseUrl: z.url().optional(),
  model: z.string().min(1).optional(),
  /** Bearer token for the embeddings endpoint; `OPENAI_API_KEY` sets it too. Secret. */
  apiKey: z.string().optional(),
  /** Folder of a local sentence-embedding model (ONNX + tokenizer). */
  modelDir: z.string().min(1).optional(),
  /** Pooling of token vectors: `auto` follows the model folder's pooling config. */
  pooling: z.enum(['auto', 'mean', 'cls']).default('auto'),
  /** Prepended to queries (e5: `"query: "`). */
  queryPrefix: z.string().default(''),
  /** Prepended to passages (e5: `"passage: "`). */
  passagePrefix: z.string().default(''),
  /** L2-normalise vectors (cosine = dot). */
  normalize: z.boolean().default(true),
  /** Texts per embedding request / forward pass. */
  batchSize: posInt().max(4096).default(32),
});

export const CacheConfig = z.strictObject({
  enabled: z.boolean().default(true),
  /** Disk cache folder; default `<index>/cache`. */
  dir: z.string().min(1).optional(),
  /** `redis://…`; when set the Redis backend is used instead of disk. Secret (password masked). */
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
});

/** A number validator with the type and range of an option of the table (`options.ts`); zod rejects ±Infinity and NaN. */
function numberOf(s: OptionSpec): z.ZodNumber {
  let n = s.type === 'int' ? z.number().int() : z.number();
  if (s.min !== undefined) n = n.min(s.min);
  if (s.max !== undefined) n = n.max(s.max);
  return n;
}

const R = RETRIEVAL_OPTIONS;
const S = SEARCH_OPTIONS;

/** Built from the option table (`options.ts`): names, types, ranges, defaults and enumerations live there. */
export const RetrievalConfig = z.strictObject({
  /** `bm25`, `dense` or `hybrid` (`retrieverKinds` in `engine/engine.ts`). */
  retriever: z.enum(R.retriever.values).default(R.retriever.default),
  /** Hits returned (≥ 1). */
  topK: numberOf(R.topK).default(R.topK.default),
  /** Sparse similarity: the names of the similarity table (`similarityNames` in `index/sparse/similarity.ts`). */
  similarity: z.enum(R.similarity.values).default(R.similarity.default),
  /** BM25 term-frequency saturation k1 ≥ 0. Default 0.9, the Anserini/Pyserini BEIR setting the index uses. */
  k1: numberOf(R.k1).default(R.k1.default),
  /** BM25 length normalisation b ∈ [0, 1]. Default 0.4 (Anserini/Pyserini BEIR). */
  b: numberOf(R.b).default(R.b.default),
  /** Vector similarity of the dense index. */
  denseMetric: z.enum(['cosine', 'dot', 'l2']).default('cosine'),
  /** Reciprocal Rank Fusion constant: score = Σ 1 / (rrfK + rank) (Cormack et al., SIGIR 2009; 60 there). Not top-k. */
  rrfK: numberOf(R.rrfK).default(R.rrfK.default),
  /** `rrf` or `linear` (`fusionMethods` in `retrieve/hybrid.ts`). */
  fusion: z.enum(R.fusion.values).default(R.fusion.default),
  /** Score normaliser of linear fusion: the names of `scoreNormalizations` in `retrieve/fusion.ts`. */
  normalization: z.enum(R.normalization.values).default(R.normalization.default),
  /** Linear fusion weight of the dense list: α·dense + (1 − α)·sparse, α ∈ [0, 1]. */
  alpha: numberOf(R.alpha).default(R.alpha.default),
  /** δ of BM25L and BM25+ (≥ 0); absent = the similarity's own (0.5 for BM25L, 1.0 for BM25+). Search, ask and the HTTP API. */
  delta: numberOf(S.delta).optional(),
  /** A query-independent prior fused with the text score: `pagerank` (the documents' link graph); absent = none. */
  prior: z.enum(S.prior.values).optional(),
  /** Weight w ∈ [0, 1] of the PageRank prior: (1 − w)·norm(text) + w·norm(PR). */
  prWeight: numberOf(S.prWeight).default(S.prWeight.default),
  /** Small-to-big context: `chunk`, `sentence-window:N` (N ≤ 20) or `parent[:T]` (T ≥ 16; `retrieve/context.ts`). */
  context: z.string().regex(new RegExp(S.context.pattern), `must be ${S.context.grammar}`).default(S.context.default),
});

/**
 * The rerank stage (`retrieve/rerank.ts`). `kind` absent = no reranking unless a command asks
 * (`--rerank <kind>`); set, every search, ask, method and eval reranks with it.
 */
export const RerankConfig = z.strictObject({
  /** `cross-encoder` (local ONNX folder `modelDir`), `endpoint` (a /rerank API at `baseUrl`) or `llm` (the configured LLM's Yes/No log-probabilities). */
  kind: z.enum(['cross-encoder', 'endpoint', 'llm']).optional(),
  /** First-stage candidates the reranker scores (≥ 1; at least topK are always fetched). */
  depth: numberOf(RERANK_OPTIONS.depth).default(RERANK_OPTIONS.depth.default),
  /** Weight w ∈ [0, 1] of the min-max normalised first-stage score fused with the rerank score; 0 = rerank alone. */
  firstStageWeight: numberOf(RERANK_OPTIONS.firstStageWeight).default(RERANK_OPTIONS.firstStageWeight.default),
  /** Cross-encoder folder (sequence classification ONNX + tokenizer.json). See docs/models.md. */
  modelDir: z.string().min(1).optional(),
  /** Pairs per forward pass (cross-encoder) or documents per request (endpoint). */
  batchSize: posInt().max(4096).default(16),
  /** Rerank server base URL, or the full rerank URL. */
  baseUrl: z.url().optional(),
  /** Request/response shape of the endpoint: the names of `rerankApis` in `retrieve/rerank.ts`. */
  api: z.enum(RERANK_OPTIONS.api.values).default(RERANK_OPTIONS.api.default),
  /** Model name sent to the endpoint (Cohere and Jina need it). */
  model: z.string().min(1).optional(),
  /** Bearer token of the endpoint. Secret. */
  apiKey: z.string().optional(),
});

/** The NLI model of RetRobust's gate (`methods/retrobust.ts`, `models/nli.ts`). */
export const NliConfig = z.strictObject({
  /** Folder of an ONNX NLI model (sequence classification, config.json id2label with entailment and contradiction, tokenizer.json); absent = the LLM judges entailment. */
  modelDir: z.string().min(1).optional(),
});

export const ServerConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8080),
  /** When set, requests need `Authorization: Bearer <apiKey>`. Secret. */
  apiKey: z.string().min(1).optional(),
  corsOrigins: z.array(z.string()).default([]),
  /**
   * Extra `Host` names the server answers to, besides its bound address, `localhost`, `127.0.0.1`
   * and `[::1]` (a leading dot also admits subdomains: `.lan.example`). Any other `Host` gets 421,
   * which is what stops DNS rebinding.
   */
  allowedHosts: z.array(z.string().min(1)).default([]),
  maxBodyBytes: posInt().default(1_048_576),
  /**
   * Requests per minute per client on /v1 (0 = off). Unset: off when `host` is loopback (a local
   * script may call as fast as it likes), 60 on any other bind. See `server/security.effectiveRateLimit`.
   */
  rateLimitPerMinute: z.number().int().min(0).optional(),
  /** Folders the server may index/read; empty = the working directory only. */
  roots: z.array(z.string().min(1)).default([]),
});

/**
 * Per-file loading budgets (ingest/budgets.ts; issue #18 item 2): a file over one is skipped with
 * a warning naming it and the limit. Flags: `--parse-timeout-ms`, `--max-heap-mb`,
 * `--max-decompressed-mb` (index and serve).
 */
export const IngestConfig = z.strictObject({
  /** Wall-clock time one file's parse may take, ms. */
  timeoutMs: z.number().int().min(100).default(60_000),
  /** Heap of one parse worker, MB (V8 `maxOldGenerationSizeMb`). */
  maxHeapMb: z.number().int().min(32).default(1024),
  /** Bytes one file may decompress to (zip members, PDF flate streams, HWP sections). */
  maxDecompressedBytes: posInt().default(256 * 1024 * 1024),
  /** Parse worker threads (absent = min(2, cores)). */
  parseThreads: z.number().int().min(1).max(64).optional(),
});

export const StoreConfig = z.strictObject({
  /**
   * `postgres://user:password@host:5432/db?sslmode=require`: use the PostgreSQL (+ pgvector, +
   * Citus) store instead of the embedded index folder. Credentials may also come from the
   * standard PG* variables; TLS follows `sslmode` as the `pg` client documents. Secret (password masked).
   */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
});

export const OpenbookConfig = z.strictObject({
  /** Index folder. */
  index: z.string().min(1).default('.openbook'),
  llm: LlmConfig.prefault({}),
  embed: EmbedConfig.prefault({}),
  cache: CacheConfig.prefault({}),
  retrieval: RetrievalConfig.prefault({}),
  rerank: RerankConfig.prefault({}),
  nli: NliConfig.prefault({}),
  /** Named prompt-template overrides, e.g. `{ "answer-with-citations": "…{{passages}}…{{question}}" }`. */
  prompts: z.record(z.string().min(1), z.string().min(1)).default({}),
  server: ServerConfig.prefault({}),
  ingest: IngestConfig.prefault({}),
  /** The PostgreSQL store (absent = the embedded index under `index`). */
  store: StoreConfig.prefault({}),
});

/** The resolved configuration (all defaults filled in). */
export type OpenbookConfig = z.output<typeof OpenbookConfig>;
/** What a user may write: every field optional. */
export type OpenbookConfigInput = z.input<typeof OpenbookConfig>;
export type LlmConfig = z.output<typeof LlmConfig>;
export type EmbedConfig = z.output<typeof EmbedConfig>;
export type CacheConfig = z.output<typeof CacheConfig>;
export type RetrievalConfig = z.output<typeof RetrievalConfig>;
export type ServerConfig = z.output<typeof ServerConfig>;
export type IngestConfig = z.output<typeof IngestConfig>;
export type RerankConfig = z.output<typeof RerankConfig>;
export type NliConfig = z.output<typeof NliConfig>;

// The secret masking lives in ./secrets.ts (no schema library needed to print a config).
export { SECRET_PATHS, maskSecret, maskSecrets } from './secrets.js';
