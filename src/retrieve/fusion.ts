/**
 * Rank fusion: combine several ranked hit lists (e.g. BM25 and dense) into one.
 *
 * - Reciprocal Rank Fusion (RRF): Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms
 *   Condorcet and individual Rank Learning Methods", SIGIR 2009, eq. (1):
 *     RRFscore(d) = Σ_i w_i / (rrfK + rank_i(d)),  rank 1-based, rrfK = 60 in the paper.
 *   Lists in which d does not appear add nothing. (`rrfK` is not a cutoff: the cutoff is `topK`.)
 * - Normalised linear fusion (convex combination, e.g. Bruch, Gai & Ingber, "An Analysis of Fusion
 *   Functions for Hybrid Retrieval", ACM TOIS 2023): each list's scores are normalised with min-max
 *   or z-score, then fused(d) = Σ_i w_i · norm_i(d). With two lists and weight α this is
 *   (1 − α) · norm_1(d) + α · norm_2(d).
 *
 * Hits are matched by id — `chunkId` (default) or `docId` — never by text. Before fusion each list is
 * de-duplicated on that id, keeping its first (best-ranked) occurrence, and re-ranked 1..n.
 * The fused hit carries the fields (text, lines …) of its best-ranked occurrence across lists
 * (ties: the earlier list), `score` = the fused score, and `scores` = each list's original score
 * under the list's name plus the fused score under `rrf` or `linear`.
 * Ordering: fused score descending, then best input rank ascending, then id ascending (total
 * order, so results are deterministic).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';

/** One input list: the retriever's name (the key in `Hit.scores`) and its hits, best first. */
export interface RankedList {
  name: string;
  hits: Hit[];
}

/** What hits are matched on. `doc` fuses at document level (one hit per document). */
export type FuseBy = 'chunk' | 'doc';

export interface RrfOptions {
  /** The constant k of RRF; ≥ 0. Default 60 (Cormack et al. 2009). */
  rrfK?: number;
  /** One weight ≥ 0 per list, in list order. Default: all 1. */
  weights?: number[];
  /** Number of fused hits returned (≥ 1). Default: all. */
  topK?: number;
  /** Default 'chunk'. */
  by?: FuseBy;
}

/** Score normalisation for linear fusion. */
export type ScoreNormalization = 'min-max' | 'z-score';

export const scoreNormalizations: readonly ScoreNormalization[] = ['min-max', 'z-score'];

export interface LinearFusionOptions {
  /** One weight per list (any real numbers ≥ 0), in list order. Default: all 1. */
  weights?: number[];
  /** Default 'min-max'. */
  normalization?: ScoreNormalization;
  topK?: number;
  by?: FuseBy;
}

const DEFAULT_RRF_K = 60;

/** Removes later duplicates (same key) from one list; the first occurrence is the best-ranked one. */
export function dedupeHits(hits: Hit[], by: FuseBy = 'chunk'): Hit[] {
  const seen = new Set<string>();
  const out: Hit[] = [];
  for (const hit of hits) {
    const key = by === 'chunk' ? hit.chunkId : hit.docId;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(hit);
  }
  return out;
}

function checkWeights(weights: number[] | undefined, numLists: number, where: string): number[] {
  if (weights === undefined) return new Array<number>(numLists).fill(1);
  if (weights.length !== numLists) {
    throw new InvalidParameterError(`${where}: ${weights.length} weights given for ${numLists} lists; give one weight per list`);
  }
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0) throw new InvalidParameterError(`${where}: weight ${i} must be a finite number ≥ 0, got ${w}`);
  });
  return weights;
}

function checkTopK(topK: number | undefined, where: string): void {
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
    throw new InvalidParameterError(`${where}: topK must be an integer ≥ 1, got ${topK}`);
  }
}

interface Candidate {
  key: string;
  /** Representative hit: the best-ranked occurrence (ties → earlier list). */
  hit: Hit;
  bestRank: number;
  fused: number;
  scores: Record<string, number>;
}

/** Collects candidates over de-duplicated lists; `contribution(listIndex, rank, hit)` adds to the fused score. */
function collect(
  lists: RankedList[],
  by: FuseBy,
  contribution: (listIndex: number, rank: number, hit: Hit) => number,
): Map<string, Candidate> {
  const names = new Set<string>();
  for (const list of lists) {
    if (names.has(list.name)) throw new InvalidParameterError(`fusion: two lists are both named "${list.name}"; names key Hit.scores and must differ`);
    names.add(list.name);
  }
  const candidates = new Map<string, Candidate>();
  lists.forEach((list, listIndex) => {
    dedupeHits(list.hits, by).forEach((hit, i) => {
      const rank = i + 1;
      const key = by === 'chunk' ? hit.chunkId : hit.docId;
      let c = candidates.get(key);
      if (!c) {
        c = { key, hit, bestRank: rank, fused: 0, scores: {} };
        candidates.set(key, c);
      } else if (rank < c.bestRank) {
        c.hit = hit;
        c.bestRank = rank;
      }
      c.scores[list.name] = hit.score;
      c.fused += contribution(listIndex, rank, hit);
    });
  });
  return candidates;
}

function finish(candidates: Map<string, Candidate>, fusedName: string, topK: number | undefined): Hit[] {
  const sorted = [...candidates.values()].sort(
    (a, b) => b.fused - a.fused || a.bestRank - b.bestRank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const cut = topK === undefined ? sorted : sorted.slice(0, topK);
  return cut.map((c, i) => ({ ...c.hit, rank: i + 1, score: c.fused, scores: { ...c.scores, [fusedName]: c.fused } }));
}

/**
 * Reciprocal Rank Fusion (Cormack, Clarke & Büttcher, SIGIR 2009): fused(d) = Σ_i w_i / (rrfK + rank_i(d)).
 * @param lists hit lists, best first; ranks are recomputed 1..n after de-duplication
 * @returns fused hits, ranks 1-based, `scores.rrf` = fused score, `scores[list.name]` = original scores
 * @throws InvalidParameterError on rrfK < 0, a weight count ≠ list count, a negative weight, topK < 1, duplicate list names
 */
export function reciprocalRankFusion(lists: RankedList[], options: RrfOptions = {}): Hit[] {
  const rrfK = options.rrfK ?? DEFAULT_RRF_K;
  if (!Number.isFinite(rrfK) || rrfK < 0) throw new InvalidParameterError(`reciprocalRankFusion: rrfK must be ≥ 0, got ${rrfK}`);
  checkTopK(options.topK, 'reciprocalRankFusion');
  const weights = checkWeights(options.weights, lists.length, 'reciprocalRankFusion');
  const candidates = collect(lists, options.by ?? 'chunk', (li, rank) => weights[li] / (rrfK + rank));
  return finish(candidates, 'rrf', options.topK);
}

/**
 * Normalises one list's scores (already de-duplicated), in order.
 * - min-max: (s − min) / (max − min); when max = min every hit gets 1 (each is its list's best).
 * - z-score: (s − mean) / σ with the population σ; when σ = 0 every hit gets 0.
 * @returns normalised scores and the value a hit absent from this list contributes:
 *   0 for min-max (the list's worst), the list's minimum z for z-score (absence is never better
 *   than the worst hit present); for an empty list, 0.
 */
export function normalizeScores(scores: number[], normalization: ScoreNormalization): { normalized: number[]; absent: number } {
  if (scores.length === 0) return { normalized: [], absent: 0 };
  if (normalization === 'min-max') {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const range = max - min;
    return { normalized: scores.map((s) => (range > 0 ? (s - min) / range : 1)), absent: 0 };
  }
  if (normalization === 'z-score') {
    const n = scores.length;
    const mean = scores.reduce((a, s) => a + s, 0) / n;
    const variance = scores.reduce((a, s) => a + (s - mean) * (s - mean), 0) / n;
    const sigma = Math.sqrt(variance);
    const normalized = scores.map((s) => (sigma > 0 ? (s - mean) / sigma : 0));
    return { normalized, absent: Math.min(...normalized) };
  }
  throw new InvalidParameterError(`unknown score normalization "${String(normalization)}"; valid: ${scoreNormalizations.join(', ')}`);
}

/**
 * Normalised linear fusion: fused(d) = Σ_i w_i · norm_i(d), with norm_i per `normalizeScores`
 * (a hit absent from list i gets that list's `absent` value).
 * @returns fused hits, ranks 1-based, `scores.linear` = fused score, `scores[list.name]` = original scores
 * @throws InvalidParameterError on a bad normalization name, weights or topK
 */
export function linearFusion(lists: RankedList[], options: LinearFusionOptions = {}): Hit[] {
  const normalization = options.normalization ?? 'min-max';
  if (!scoreNormalizations.includes(normalization)) {
    throw new InvalidParameterError(`linearFusion: unknown normalization "${normalization}"; valid: ${scoreNormalizations.join(', ')}`);
  }
  checkTopK(options.topK, 'linearFusion');
  const weights = checkWeights(options.weights, lists.length, 'linearFusion');
  const by = options.by ?? 'chunk';
  const deduped = lists.map((l) => ({ name: l.name, hits: dedupeHits(l.hits, by) }));
  const norms = deduped.map((l) => normalizeScores(l.hits.map((h) => h.score), normalization));
  // Start each candidate at Σ_i w_i · absent_i, then swap absent_i for norm_i(d) in each list d appears in.
  const baseline = norms.reduce((a, n, i) => a + weights[i] * n.absent, 0);
  const seen = new Set<string>();
  const candidates = collect(deduped, by, (li, rank, hit) => {
    const key = by === 'chunk' ? hit.chunkId : hit.docId;
    const first = !seen.has(key);
    seen.add(key);
    return (first ? baseline : 0) + weights[li] * (norms[li].normalized[rank - 1] - norms[li].absent);
  });
  return finish(candidates, 'linear', options.topK);
}
