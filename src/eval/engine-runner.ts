/**
 * Evaluation through the engine's retrievers (`bm25`, `dense`, `hybrid`) instead of the raw
 * `IndexReader.search` loop of `runner.ts`.
 *
 * Dense and hybrid runs need passage vectors. They live in the eval index's `dense/` folder,
 * made by `embedIndex` (src/engine/embed.ts) with the configured embedder, and the eval-cache
 * key of such an index includes the embedder's id (`Embedder.id`, e.g.
 * `openai-compatible:text-embedding-3-small` or `local:multilingual-e5-small`) and its output
 * dimension: an index never mixes vectors of two models, and switching models builds (and
 * caches) another index. Embedding is resumable (only chunks without a vector are sent again)
 * and holds the eval index's writer lock, so two runs never write vectors into one index at once.
 *
 * Queries then go through `engine.retriever({ retriever, fusion, rrfK, alpha, similarity, k1, b })`,
 * exactly as `openbook search --retriever …` runs them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { Engine, retrieverKinds, type EngineModels, type RetrieverKind } from '../engine/engine.js';
import { embedIndex, type EmbedSummary } from '../engine/embed.js';
import { DENSE_DIR, DENSE_MANIFEST } from '../index/dense/index.js';
import { IndexWriter } from '../index/index.js';
import type { Embedder } from '../models/types.js';
import { fusionMethods, type FusionMethod } from '../retrieve/hybrid.js';
import type { ScoreNormalization } from '../retrieve/fusion.js';
import type { Reranker } from '../retrieve/rerank.js';
import type { Retriever } from '../retrieve/types.js';
import type { CorpusDoc } from './loaders/common.js';
import { roundRunScore, type Run } from './loaders/trec.js';
import { openEvalIndex, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig, type OpenedEvalIndex, type QueryRunResult } from './runner.js';

/** Which retriever an evaluation runs, and how a hybrid one fuses. */
export interface EvalRetrieverConfig {
  /** `bm25` (default), `dense` or `hybrid` (BM25 + dense, fused). */
  retriever: RetrieverKind;
  /** Hybrid only: reciprocal rank fusion (default) or normalised linear fusion. */
  fusion?: FusionMethod;
  /** Hybrid RRF constant ≥ 0 (default 60); not the number of hits. */
  rrfK?: number;
  /** Hybrid weight of the dense list in [0, 1] (default: equal weights). */
  alpha?: number;
  /** Linear fusion's score normaliser (default min-max). */
  normalization?: ScoreNormalization;
  /** Rerank the first stage's top `depth` candidates (eval qa --methods; eval retrieval reranks the run instead, see rerank-eval.ts). */
  rerank?: { reranker: Reranker; depth: number; firstStageWeight?: number };
}

/** Validates a retriever config, listing valid names from the engine's and the fusion's tables. */
export function checkRetrieverConfig(c: EvalRetrieverConfig): void {
  if (!retrieverKinds.includes(c.retriever)) throw new InvalidParameterError(`--retriever must be one of ${retrieverKinds.join(', ')}, got "${c.retriever}"`);
  if (c.fusion !== undefined && !fusionMethods.includes(c.fusion)) throw new InvalidParameterError(`--fusion must be one of ${fusionMethods.join(', ')}, got "${c.fusion}"`);
  if (c.rrfK !== undefined && !(c.rrfK >= 0)) throw new InvalidParameterError(`--rrf-k must be ≥ 0, got ${c.rrfK}`);
  if (c.alpha !== undefined && !(c.alpha >= 0 && c.alpha <= 1)) throw new InvalidParameterError(`--alpha must be in [0, 1], got ${c.alpha}`);
}

/** Whether the retriever needs passage vectors and an embedder. */
export const needsEmbedder = (c: EvalRetrieverConfig): boolean => c.retriever !== 'bm25';

/** The retriever config as recorded in `--json` and saved run configs (fusion fields only for hybrid). */
export function retrieverRecord(c: EvalRetrieverConfig): Record<string, unknown> {
  const rerank = c.rerank ? { rerank: { reranker: c.rerank.reranker.id, depth: c.rerank.depth, firstStageWeight: c.rerank.firstStageWeight ?? 0 } } : {};
  if (c.retriever !== 'hybrid') return { retriever: c.retriever, ...rerank };
  return { retriever: 'hybrid', fusion: c.fusion ?? 'rrf', ...(c.rrfK !== undefined ? { rrfK: c.rrfK } : { rrfK: 60 }), ...(c.alpha !== undefined ? { alpha: c.alpha } : {}), ...(c.normalization !== undefined ? { normalization: c.normalization } : {}), ...rerank };
}

export interface EvalEngine {
  index: OpenedEvalIndex;
  engine: Engine;
  retriever: Retriever;
  /** What embedding did in this run (absent for BM25). */
  embed?: EmbedSummary & { embedder: string };
}

/**
 * Opens (or builds) the eval index, embeds its passages when the retriever needs vectors, and
 * returns the engine's retriever over it.
 * @throws CapabilityError when `dense`/`hybrid` is asked for without an embedder — before any work
 * @throws IndexLockedError when another run is embedding into the same cached index
 */
export async function openEvalEngine(
  name: string,
  corpus: readonly CorpusDoc[],
  files: readonly string[],
  index: EvalIndexConfig,
  search: Pick<EvalSearchConfig, 'similarity' | 'k1' | 'b' | 'delta' | 'filter'>,
  retriever: EvalRetrieverConfig,
  deps: EvalDeps & {
    models: EngineModels;
    /** Store passage vectors even for `bm25` (e.g. for HyDE's dense search), when an embedder is configured. */
    vectors?: boolean;
    onEmbedProgress?: (p: { embedded: number; total: number; alreadyStored: number }) => void;
  },
): Promise<EvalEngine> {
  checkRetrieverConfig(retriever);
  const embedder = deps.models.embedder;
  if (needsEmbedder(retriever) && !embedder) {
    throw new CapabilityError(`--retriever ${retriever.retriever} needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR`);
  }
  const withVectors = (needsEmbedder(retriever) || deps.vectors === true) && embedder !== undefined;
  const extraKey = withVectors ? await embedderKey(embedder) : {};
  const opened = await openEvalIndex(name, corpus, files, index, deps, extraKey);
  let embed: EvalEngine['embed'];
  if (withVectors) embed = { ...(await embedInto(opened, embedder, deps)), embedder: embedder.id };
  const engine = await Engine.open(opened.dir, deps.models);
  const r = await engine.retriever({
    retriever: retriever.retriever,
    similarity: search.similarity,
    k1: search.k1,
    b: search.b,
    ...(search.delta !== undefined ? { delta: search.delta } : {}),
    ...(search.filter !== undefined ? { filter: search.filter } : {}),
    ...(retriever.fusion !== undefined ? { fusion: retriever.fusion } : {}),
    ...(retriever.rrfK !== undefined ? { rrfK: retriever.rrfK } : {}),
    ...(retriever.alpha !== undefined ? { alpha: retriever.alpha } : {}),
    ...(retriever.normalization !== undefined ? { normalization: retriever.normalization } : {}),
    ...(retriever.rerank ? { rerank: retriever.rerank.reranker, rerankDepth: retriever.rerank.depth, ...(retriever.rerank.firstStageWeight !== undefined ? { rerankFirstStageWeight: retriever.rerank.firstStageWeight } : {}) } : {}),
  });
  return { index: opened, engine, retriever: r, ...(embed ? { embed } : {}) };
}

/** The eval-cache key fields of an index that holds this embedder's vectors. */
export async function embedderKey(embedder: Embedder): Promise<Record<string, unknown>> {
  return { embedder: embedder.id, embedderDimension: await embedder.dimension() };
}

/** Embeds the passages that have no vector yet, holding the index's writer lock. */
async function embedInto(opened: OpenedEvalIndex, embedder: Embedder, deps: EvalDeps & { onEmbedProgress?: (p: { embedded: number; total: number; alreadyStored: number }) => void }): Promise<EmbedSummary> {
  const complete = existsSync(join(opened.dir, DENSE_DIR, DENSE_MANIFEST));
  if (!complete) deps.onProgress?.(`embedding ${opened.docIdOfChunk.length} passages with ${embedder.id} into ${opened.dir}`);
  const writer = await IndexWriter.open(opened.dir, opened.reader.config, { now: deps.wallClock });
  try {
    return await embedIndex({ indexDir: opened.dir, embedder, now: deps.now, ...(deps.onEmbedProgress ? { onProgress: deps.onEmbedProgress } : {}) });
  } finally {
    await writer.close();
  }
}

/**
 * Runs every query through `retriever` (one at a time) and collects a run whose scores are
 * rounded to the 6 decimals of the TREC run file, as `runQueries` does.
 * @param topK hits per query ≥ 1
 */
export async function runRetrieverQueries(retriever: Retriever, queries: ReadonlyMap<string, string>, topK: number, now: () => number): Promise<QueryRunResult> {
  if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`--top-k must be an integer ≥ 1, got ${topK}`);
  const run: Run = new Map();
  let searchMs = 0;
  for (const [qid, text] of queries) {
    const t0 = now();
    const hits: Hit[] = await retriever.retrieve(text, topK);
    searchMs += now() - t0;
    run.set(qid, docRun(hits));
  }
  const searchSeconds = searchMs / 1000;
  return { run, searchSeconds, queriesPerSecond: searchSeconds > 0 ? queries.size / searchSeconds : 0 };
}

/** One query's run entries from hits: one per document (its best chunk), scores rounded. */
function docRun(hits: readonly Hit[]): Array<{ docId: string; score: number }> {
  const seen = new Set<string>();
  const out: Array<{ docId: string; score: number }> = [];
  for (const h of hits) {
    if (seen.has(h.docId)) continue;
    seen.add(h.docId);
    out.push({ docId: h.docId, score: roundRunScore(h.score) });
  }
  return out;
}
