/**
 * The rerank stage over a first-stage retriever (`withRerank`) and the reranking of a candidate
 * list (`rerankHits`), with the `Reranker` contract every reranker of ./rerank.ts implements; the
 * order, the fusion with the first-stage score and the trace are described there. Apart from
 * ./rerank.ts so that the engine can offer the stage without loading the rerankers.
 */
import { InvalidParameterError, ModelError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { normalizeScores } from './fusion.js';
import type { Retriever } from './types.js';

/** Default number of first-stage candidates the reranker sees (`--rerank-depth`). */
export const DEFAULT_RERANK_DEPTH = 50;

/** A passage's rerank score (larger = more relevant), or why it has none. */
export type RerankScore = number | { unscored: string };

export interface Reranker {
  /** Keys caches and names the stage in traces, e.g. `cross-encoder:local:ms-marco-MiniLM-L-6-v2`. */
  readonly id: string;
  /**
   * One score per passage, in input order.
   * @throws ModelError when the model or server fails; the signal's reason when aborted
   */
  score(query: string, passages: readonly string[], signal?: AbortSignal): Promise<RerankScore[]>;
}


export interface RerankOptions {
  /** Hits to return, ≥ 1. */
  topK: number;
  /** Weight w ∈ [0, 1] of the first-stage score in the fused score; default 0 (rerank score alone). */
  firstStageWeight?: number;
  signal?: AbortSignal;
}

/** What the stage did, for traces: each candidate's first-stage and rerank score. */
export interface RerankTraceEntry {
  chunkId: string;
  firstStageRank: number;
  firstStageScore: number;
  rerankScore?: number;
  unscored?: string;
  rank: number;
}

/**
 * Reorders `candidates` (first-stage hits, best first) by `reranker` (module comment for the
 * order, the fused score and the `scores` fields). Ranks are 1-based.
 * @throws InvalidParameterError for topK < 1 or a weight outside [0, 1]
 */
export async function rerankHits(query: string, candidates: readonly Hit[], reranker: Reranker, o: RerankOptions): Promise<{ hits: Hit[]; trace: RerankTraceEntry[] }> {
  checkRerankOptions(o);
  const w = o.firstStageWeight ?? 0;
  const scores = candidates.length === 0 ? [] : await reranker.score(query, candidates.map((h) => h.text), o.signal);
  if (scores.length !== candidates.length) throw new ModelError(`${reranker.id} returned ${scores.length} scores for ${candidates.length} passages`);
  const scoredIdx = scores.flatMap((s, i) => (typeof s === 'number' ? [i] : []));
  const final = new Map<number, number>();
  if (w === 0) for (const i of scoredIdx) final.set(i, scores[i] as number);
  else {
    const r = normalizeScores(scoredIdx.map((i) => scores[i] as number), 'min-max').normalized;
    const f = normalizeScores(scoredIdx.map((i) => candidates[i].score), 'min-max').normalized;
    scoredIdx.forEach((i, j) => final.set(i, (1 - w) * r[j] + w * f[j]));
  }
  const order = candidates.map((_, i) => i);
  order.sort((a, b) => {
    const sa = final.get(a);
    const sb = final.get(b);
    if (sa === undefined || sb === undefined) return sa === undefined && sb === undefined ? a - b : sa === undefined ? 1 : -1;
    return sb - sa || a - b;
  });
  const trace: RerankTraceEntry[] = [];
  const hits: Hit[] = [];
  order.forEach((i, pos) => {
    const h = candidates[i];
    const s = scores[i];
    trace.push({ chunkId: h.chunkId, firstStageRank: h.rank, firstStageScore: h.score, ...(typeof s === 'number' ? { rerankScore: s } : { unscored: s.unscored }), rank: pos + 1 });
    if (pos >= o.topK) return;
    hits.push({
      ...h,
      rank: pos + 1,
      score: final.get(i) ?? -Infinity,
      scores: { ...h.scores, firstStage: h.score, firstStageRank: h.rank, ...(typeof s === 'number' ? { rerank: s } : {}) },
    });
  });
  return { hits, trace };
}

function checkRerankOptions(o: RerankOptions): void {
  if (!Number.isInteger(o.topK) || o.topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${o.topK}`);
  if (o.firstStageWeight !== undefined && !(o.firstStageWeight >= 0 && o.firstStageWeight <= 1)) throw new InvalidParameterError(`the first-stage weight must be in [0, 1], got ${o.firstStageWeight}`);
}

export interface RerankingRetrieverOptions {
  /** First-stage candidates, ≥ 1. Default {@link DEFAULT_RERANK_DEPTH}; at least `topK` are always fetched. */
  depth?: number;
  firstStageWeight?: number;
  /** Receives each query's rerank trace (the engine turns it into a trace step). */
  onTrace?: (query: string, entries: RerankTraceEntry[], durationMs: number) => void;
  /** Clock for `onTrace` durations (ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * A retriever that fetches max(depth, topK) candidates from `base` and returns the topK best by
 * `reranker`. Its `name` is `<base>+rerank`.
 * @throws InvalidParameterError for depth < 1
 */
export function withRerank(base: Retriever, reranker: Reranker, options: RerankingRetrieverOptions = {}): Retriever & { reranker: Reranker; depth: number } {
  const depth = options.depth ?? DEFAULT_RERANK_DEPTH;
  if (!Number.isInteger(depth) || depth < 1) throw new InvalidParameterError(`--rerank-depth must be an integer ≥ 1, got ${depth}`);
  if (options.firstStageWeight !== undefined) checkRerankOptions({ topK: 1, firstStageWeight: options.firstStageWeight });
  const now = options.now ?? Date.now;
  return {
    name: `${base.name}+rerank`,
    reranker,
    depth,
    async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
      const candidates = await base.retrieve(query, Math.max(depth, topK), signal);
      const t0 = now();
      const r = await rerankHits(query, candidates, reranker, { topK, ...(options.firstStageWeight !== undefined ? { firstStageWeight: options.firstStageWeight } : {}), ...(signal ? { signal } : {}) });
      options.onTrace?.(query, r.trace, now() - t0);
      return r.hits;
    },
  };
}
