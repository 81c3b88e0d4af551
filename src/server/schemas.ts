/**
 * Request and response shapes of the HTTP API, as zod schemas. Retrieval fields reuse the
 * validators of the configuration schema, which the option table builds (`config/options.ts`:
 * `retrieval.topK` as `topK` (alias `k`), `retriever`, `similarity`, `k1`, `b`, `delta`, `fusion`, `rrfK`,
 * `normalization`, `alpha`, `prior`, `prWeight`, `context`; `rerank.depth` as `rerankDepth`), so a value the CLI config rejects the API rejects with the same
 * rule. `/openapi.json` is generated from these schemas (`openapi.ts`), and the API tests
 * parse every response with them.
 */
import { z } from 'zod';
import { RerankConfig, RetrievalConfig } from '../config/schema.js';

/** Query-string numbers arrive as text: turn a numeric string into a number, leave the rest for the validator to reject. */
const fromQuery = <T extends z.ZodType>(inner: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), inner);

const topK = RetrievalConfig.shape.topK.unwrap().max(1000).describe('Hits (passages) to return, 1..1000');
const retriever = RetrievalConfig.shape.retriever.unwrap().describe('bm25 (offline), dense or hybrid (need an embedding model)');
const similarity = RetrievalConfig.shape.similarity.unwrap().describe('Sparse similarity, e.g. bm25, bm25l, bm25+, tfidf');
const k1 = RetrievalConfig.shape.k1.unwrap().describe('BM25 term-frequency saturation k1 ≥ 0');
const b = RetrievalConfig.shape.b.unwrap().describe('BM25 length normalisation b in [0, 1]');
const fusion = RetrievalConfig.shape.fusion.unwrap().describe('Hybrid fusion: rrf or linear');
const rrfK = RetrievalConfig.shape.rrfK.unwrap().describe('Reciprocal rank fusion constant ≥ 0 (not top-k)');
const normalization = RetrievalConfig.shape.normalization.unwrap().describe('Score normaliser of linear fusion: min-max or z-score');
const alpha = RetrievalConfig.shape.alpha.unwrap().describe('Linear fusion weight of the dense list in [0, 1]');
const delta = RetrievalConfig.shape.delta.unwrap().describe('δ of BM25L and BM25+ ≥ 0 (default: 0.5 for BM25L, 1.0 for BM25+)');
const prior = RetrievalConfig.shape.prior.unwrap().describe('A query-independent prior fused with the text score: pagerank (the documents\' link graph)');
const prWeight = RetrievalConfig.shape.prWeight.unwrap().describe('Weight of the PageRank prior in [0, 1] (default 0.2)');
const context = RetrievalConfig.shape.context.unwrap().describe('Small-to-big context: chunk, sentence-window:N (N ≤ 20) or parent[:T] (T ≥ 16)');
const question = z.string().trim().min(1).max(4000);
const rerank = z.boolean().describe('Rerank the first stage\'s candidates with the configured reranker (default: on when config rerank.kind is set)');
const rerankDepth = RerankConfig.shape.depth.unwrap().max(1000).describe('First-stage candidates the reranker scores (default rerank.depth, 50)');
/** `true`/`false` in a query string. */
const boolFromQuery = (inner: z.ZodBoolean) => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), inner);

/** `GET /v1/search?q=&topK=&retriever=&similarity=&k1=&b=&delta=&fusion=&rrfK=&normalization=&alpha=&prior=&prWeight=&context=&rerank=&rerankDepth=` (`k`: alias of `topK`) */
export const SearchQuery = z.strictObject({
  q: question.describe('The query text'),
  topK: fromQuery(topK).optional(),
  k: fromQuery(topK).optional().describe('Alias of topK (the older name); giving both with different values is refused'),
  delta: fromQuery(delta).optional(),
  prior: prior.optional(),
  prWeight: fromQuery(prWeight).optional(),
  context: context.optional(),
  retriever: retriever.optional(),
  similarity: similarity.optional(),
  k1: fromQuery(k1).optional(),
  b: fromQuery(b).optional(),
  fusion: fusion.optional(),
  rrfK: fromQuery(rrfK).optional(),
  normalization: normalization.optional(),
  alpha: fromQuery(alpha).optional(),
  rerank: boolFromQuery(rerank).optional(),
  rerankDepth: fromQuery(rerankDepth).optional(),
  filter: z.string().min(1).max(4000).optional().describe('Metadata filter: the filter language (format = "pdf" AND tags CONTAINS "보안") or its JSON form'),
  highlight: boolFromQuery(z.boolean().describe('Add each hit\'s highlights: UTF-16 spans of its text whose analysed term is a query term')).optional(),
});

/** `POST /v1/ask` JSON body. */
export const AskRequest = z.strictObject({
  question: question.describe('The question'),
  topK: topK.optional(),
  k: topK.optional().describe('Alias of topK (the older name); giving both with different values is refused'),
  delta: delta.optional(),
  prior: prior.optional(),
  prWeight: prWeight.optional(),
  context: context.optional(),
  retriever: retriever.optional(),
  /** Answering method by name (see `GET /v1/status` → methods); default `extractive`. */
  method: z.string().min(1).max(64).optional().describe('Answering method name; GET /v1/status lists them'),
  similarity: similarity.optional(),
  k1: k1.optional(),
  b: b.optional(),
  fusion: fusion.optional(),
  rrfK: rrfK.optional(),
  normalization: normalization.optional(),
  alpha: alpha.optional(),
  rerank: rerank.optional(),
  rerankDepth: rerankDepth.optional(),
  filter: z.union([z.string().min(1).max(4000), z.record(z.string(), z.unknown())]).optional().describe('Metadata filter: the filter language or its JSON form'),
});
export type AskRequest = z.output<typeof AskRequest>;

/** `POST /v1/documents` JSON body: index server-side paths (must lie under `server.roots`). */
export const IndexPathsRequest = z.strictObject({
  paths: z.array(z.string().min(1).max(4096)).min(1).max(100).describe('Files or folders on the server, under server.roots'),
});

export const ErrorBody = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string() }),
});

/** Paragraph/slide/sheet-row/chapter of a source without file lines (core `Locator`). */
export const LocatorSchema = z.strictObject({
  kind: z.enum(['paragraph', 'slide', 'row', 'chapter']),
  start: z.number().int().min(1),
  end: z.number().int().min(1),
  sheet: z.string().optional(),
  label: z.string(),
});

export const HitSchema = z.strictObject({
  rank: z.number().int().min(1),
  score: z.number(),
  docId: z.string(),
  chunkId: z.string(),
  source: z.string(),
  title: z.string(),
  text: z.string(),
  startLine: z.number().int().min(1),
  endLine: z.number().int().min(1),
  page: z.number().int().min(1).optional(),
  locator: LocatorSchema.optional(),
  scores: z.record(z.string(), z.number()).optional(),
  meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional().describe("the document's metadata fields (lang, encoding, document properties, front matter, tags); dates are ms since the epoch"),
});

/** A search hit with `highlight=true`: spans `[start, end)` of `text` (UTF-16 offsets), sorted, non-overlapping. */
export const HighlightedHitSchema = HitSchema.extend({
  highlights: z.array(z.strictObject({ start: z.number().int().min(0), end: z.number().int().min(0) })).optional(),
});

export const SearchResponse = z.strictObject({
  query: z.string(),
  retriever: z.string(),
  hits: z.array(HighlightedHitSchema),
  tookMs: z.number().min(0),
});

export const CitationSchema = z.strictObject({
  n: z.number().int().min(1),
  chunkId: z.string(),
  docId: z.string(),
  source: z.string(),
  title: z.string(),
  startLine: z.number().int().min(1),
  endLine: z.number().int().min(1),
  page: z.number().int().min(1).optional(),
  locator: LocatorSchema.optional(),
  quote: z.string(),
  /** UTF-16 offset of `quote` in the chunk's text. */
  quoteStart: z.number().int().min(0),
  /** The short answer inside `quote` (extractive answers): UTF-16 offsets into `quote`, start < end ≤ quote length. */
  answerSpan: z.strictObject({ start: z.number().int().min(0), end: z.number().int().min(1) }).optional(),
});

const usage = z.strictObject({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0) });

export const TraceStepSchema = z.strictObject({
  kind: z.enum(['retrieve', 'generate', 'score', 'decide', 'transform']),
  name: z.string(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  scores: z.record(z.string(), z.number()).optional(),
  usage: usage.optional(),
  durationMs: z.number().min(0),
});

export const AnswerResponse = z.strictObject({
  question: z.string(),
  answer: z.string(),
  method: z.string(),
  citations: z.array(CitationSchema),
  hits: z.array(HitSchema),
  trace: z.array(TraceStepSchema).optional(),
  usage: usage.optional(),
  /** Model answers only: model id, the messages sent, model latency (ms), model calls, and `[n]` markers that pointed at no passage. */
  model: z.string().optional(),
  prompt: z.unknown().optional(),
  latencyMs: z.number().min(0).optional(),
  modelCalls: z.number().int().min(0).optional(),
  invalidCitations: z.array(z.number().int()).optional(),
  tookMs: z.number().min(0),
});

export const JobSchema = z.strictObject({
  id: z.string(),
  kind: z.enum(['upload', 'index-paths', 'delete']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  inputs: z.array(z.string()),
  progress: z
    .strictObject({
      phase: z.string(),
      filesDone: z.number().int(),
      filesTotal: z.number().int(),
      chunks: z.number().int(),
      /** Bytes of the walked files read so far and in all (IndexProgress; absent while waiting for the writer lock). */
      bytesDone: z.number().int().min(0).optional(),
      bytesTotal: z.number().int().min(0).optional(),
      current: z.string().optional(),
    })
    .optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
});

export const DocumentSummary = z.strictObject({
  id: z.string(),
  source: z.string(),
  title: z.string(),
  format: z.string(),
  sizeBytes: z.number().int().min(0),
  mtimeMs: z.number(),
  numChunks: z.number().int().min(0),
  /** Whether the file lives in the server's upload folder (DELETE also removes the file). */
  uploaded: z.boolean(),
});

/** A filterable metadata field: its name, the type(s) its values have, how many documents have it. */
export const MetadataField = z.strictObject({ field: z.string(), types: z.array(z.enum(['string', 'number', 'boolean', 'string[]', 'date'])), documents: z.number().int().min(0) });

/** A document's own metadata fields (lang, encoding, document properties, front matter, JSONL fields, tags); dates are ms since the epoch. */
export const DocumentMeta = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]));

export const DocumentList = z.strictObject({
  total: z.number().int().min(0),
  offset: z.number().int().min(0),
  documents: z.array(DocumentSummary),
  metadataFields: z.array(MetadataField).describe('Filterable metadata fields of all documents with their types and how many documents have each (as GET /v1/status)'),
});

export const ChunkInfo = z.strictObject({
  id: z.string(),
  ordinal: z.number().int().min(0),
  startChar: z.number().int().min(0),
  endChar: z.number().int().min(0),
  startLine: z.number().int().min(1),
  endLine: z.number().int().min(1),
  page: z.number().int().min(1).optional(),
  locator: LocatorSchema.optional(),
  headingPath: z.array(z.string()),
});

export const DocumentDetail = DocumentSummary.extend({
  /** The document's own metadata fields (empty when it has none). */
  meta: DocumentMeta.describe("the document's metadata fields (lang, encoding, document properties, front matter, JSONL fields, tags); dates are ms since the epoch"),
  /** The document's plain text (chunk and citation offsets point into it). */
  text: z.string(),
  chunks: z.array(ChunkInfo),
});

export const ListQuery = z.strictObject({
  offset: fromQuery(z.number().int().min(0)).optional(),
  limit: fromQuery(z.number().int().min(1).max(1000)).optional(),
});

export const StatusResponse = z.strictObject({
  version: z.string(),
  index: z
    .strictObject({
      dir: z.string(),
      generation: z.number().int(),
      committedAt: z.number(),
      numDocuments: z.number().int().min(0),
      numChunks: z.number().int().min(0),
      analyzer: z.string(),
      metadataFields: z
        .array(MetadataField)
        .describe('Filterable metadata fields with their types and how many documents have each'),
    })
    .nullable(),
  jobs: z.strictObject({ active: z.number().int().min(0) }),
  methods: z.array(z.strictObject({ name: z.string(), description: z.string() })),
  retrievers: z.array(z.string()),
  /** Example questions from the index's document titles, for the web page's empty state (empty without an index). */
  examples: z.array(z.string()),
  auth: z.boolean(),
  limits: z.strictObject({ maxBodyBytes: z.number().int(), maxUploadBytes: z.number().int(), rateLimitPerMinute: z.number().int() }),
});

export const Health = z.strictObject({ ok: z.literal(true) });
