/**
 * A query-independent PageRank prior on top of any retriever (the notes' "text score + link
 * authority", cf. Page et al. 1999 §6 and the METHODS-REFERENCE recipe).
 *
 * The base retriever returns `candidates` hits (default max(topK, 100)); each hit h gets
 *
 *   score(h) = (1 − prWeight) · norm(textScore(h)) + prWeight · norm(PR(doc(h)))
 *
 * where norm is min-max over those candidates, (s − min)/(max − min), and 1 for every candidate
 * when max = min (`normalizeScores` in ./fusion.ts). A hit whose document has no PageRank (not in
 * the graph) gets PR 0 before normalisation. The hits are re-sorted by that score (ties: base rank,
 * then chunk id) and the first topK returned, ranks 1..topK; `scores` keeps the text score under the
 * base retriever's name, the raw PR under `pagerank`, and the combined score under `prior`.
 *
 * The convex combination and the default prWeight = 0.2 are ours (a tunable), not a paper's:
 * Page et al. do not give a formula for mixing PageRank with text relevance.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { computeLinkGraph, readLinkGraph, type PageRankOptions } from '../index/graph/index.js';
import type { DocumentRecord } from '../index/index.js';
import { normalizeScores } from './fusion.js';
import type { Retriever } from './types.js';

export const DEFAULT_PR_WEIGHT = 0.2;
export const DEFAULT_PRIOR_CANDIDATES = 100;

export interface GraphPriorOptions {
  /** Weight of the normalised PageRank, in [0, 1]. Default 0.2 (ours, not a paper's). */
  prWeight?: number;
  /** Hits asked of the base retriever before re-scoring; integer ≥ 1. Default max(topK, 100). */
  candidates?: number;
}

/** Document id → PageRank (a probability; the vector sums to 1 over the graph's documents). */
export type PageRankLookup = (docId: string) => number | undefined;

export class GraphPriorRetriever implements Retriever {
  readonly name: string;
  private readonly prWeight: number;

  /**
   * @param base the text retriever whose candidates are re-scored
   * @param pagerank PR of a document id (undefined = not in the graph, counted as 0)
   * @throws InvalidParameterError when prWeight ∉ [0, 1] or candidates is not an integer ≥ 1
   */
  constructor(
    private readonly base: Retriever,
    private readonly pagerank: PageRankLookup,
    private readonly options: GraphPriorOptions = {},
  ) {
    this.prWeight = options.prWeight ?? DEFAULT_PR_WEIGHT;
    if (!(this.prWeight >= 0 && this.prWeight <= 1)) throw new InvalidParameterError(`graph prior: prWeight must be in [0, 1], got ${options.prWeight}`);
    if (options.candidates !== undefined && (!Number.isInteger(options.candidates) || options.candidates < 1))
      throw new InvalidParameterError(`graph prior: candidates must be an integer ≥ 1, got ${options.candidates}`);
    this.name = `${base.name}+pagerank`;
  }

  async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`graph prior: topK must be an integer ≥ 1, got ${topK}`);
    const k = Math.max(topK, this.options.candidates ?? DEFAULT_PRIOR_CANDIDATES);
    const hits = await this.base.retrieve(query, k, signal);
    return rescoreWithPrior(hits, this.pagerank, this.prWeight, this.base.name).slice(0, topK).map((h, i) => ({ ...h, rank: i + 1 }));
  }
}

/**
 * Re-scores `hits` (best first) with the PageRank prior; see the module comment.
 * @returns all hits, re-sorted, ranks 1-based
 */
export function rescoreWithPrior(hits: readonly Hit[], pagerank: PageRankLookup, prWeight: number, baseName = 'text'): Hit[] {
  const pr = hits.map((h) => pagerank(h.docId) ?? 0);
  const text = normalizeScores(hits.map((h) => h.score), 'min-max').normalized;
  const prior = normalizeScores(pr, 'min-max').normalized;
  const scored = hits.map((h, i) => ({ h, i, s: (1 - prWeight) * text[i] + prWeight * prior[i] }));
  scored.sort((a, b) => b.s - a.s || a.i - b.i || (a.h.chunkId < b.h.chunkId ? -1 : a.h.chunkId > b.h.chunkId ? 1 : 0));
  return scored.map(({ h, i, s }, r) => ({ ...h, rank: r + 1, score: s, scores: { ...(h.scores ?? {}), [baseName]: h.score, pagerank: pr[i], prior: s } }));
}

/**
 * The PageRank of the documents of the index at `indexDir`: the stored vector when it is current,
 * else computed now from `documents` (the index's document records, e.g. `reader.documents()`).
 * @returns the lookup and where it came from
 * @throws IndexFormatError when a stored graph is corrupt
 */
export async function loadPageRank(
  indexDir: string,
  documents: Iterable<DocumentRecord>,
  options: PageRankOptions = {},
): Promise<{ lookup: PageRankLookup; origin: 'stored' | 'computed'; scores: Map<string, number> }> {
  const stored = await readLinkGraph(indexDir);
  const scores = new Map<string, number>();
  if (stored && !stored.stale && options.damping === undefined) {
    stored.graph.docIds.forEach((id, i) => scores.set(id, stored.pagerank[i]));
    return { lookup: (id) => scores.get(id), origin: 'stored', scores };
  }
  const { graph, pagerank } = computeLinkGraph([...documents], options);
  graph.docIds.forEach((id, i) => scores.set(id, pagerank.scores[i]));
  return { lookup: (id) => scores.get(id), origin: 'computed', scores };
}

/**
 * What `--prior pagerank` wires in: `base` re-scored with the index's PageRank.
 * @param index the index folder and its document records (an `IndexReader` has both: `reader.dir`, `reader.documents()`)
 */
export async function withPageRankPrior(base: Retriever, index: { dir: string; documents(): Iterable<DocumentRecord> }, options: GraphPriorOptions = {}): Promise<GraphPriorRetriever> {
  const { lookup } = await loadPageRank(index.dir, index.documents());
  return new GraphPriorRetriever(base, lookup, options);
}
