/**
 * Hybrid retrieval: run two retrievers (typically BM25 and dense) on the same query, in
 * parallel, and fuse their lists with Reciprocal Rank Fusion or normalised linear fusion
 * (see `fusion.ts` for the formulas and sources). Fused hits carry both retrievers' scores and
 * the fused one in `Hit.scores`, e.g. `{ bm25: 12.1, dense: 0.83, rrf: 0.0325 }`.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { linearFusion, reciprocalRankFusion, scoreNormalizations, type FuseBy, type ScoreNormalization } from './fusion.js';
import type { Retriever } from './types.js';

export type FusionMethod = 'rrf' | 'linear';
export const fusionMethods: readonly FusionMethod[] = ['rrf', 'linear'];

export interface HybridRetrieverOptions {
  /** Default 'rrf'. */
  fusion?: FusionMethod;
  /** RRF constant, ≥ 0. Default 60. */
  rrfK?: number;
  /**
   * Weight of the second retriever in [0, 1]; the first gets 1 − α. Sets `weights` to
   * [1 − α, α]; give `alpha` or `weights`, not both. Default: equal weights [1, 1].
   */
  alpha?: number;
  /** One weight ≥ 0 per retriever, [first, second]. */
  weights?: [number, number];
  /** Linear fusion's normalisation. Default 'min-max'. */
  normalization?: ScoreNormalization;
  /** Hits fetched from each retriever before fusion (the fusion depth); at least `topK` is used. Default 100. */
  candidates?: number;
  /** Fuse chunks (default) or documents. */
  by?: FuseBy;
  /** Default 'hybrid'. */
  name?: string;
}

export class HybridRetriever implements Retriever {
  readonly name: string;
  private readonly fusion: FusionMethod;
  private readonly weights: [number, number];
  private readonly candidates: number;

  /** @throws InvalidParameterError on an unknown fusion or normalization, α ∉ [0, 1], both α and weights, candidates < 1 */
  constructor(
    readonly first: Retriever,
    readonly second: Retriever,
    private readonly options: HybridRetrieverOptions = {},
  ) {
    this.name = options.name ?? 'hybrid';
    this.fusion = options.fusion ?? 'rrf';
    if (!fusionMethods.includes(this.fusion)) {
      throw new InvalidParameterError(`unknown fusion "${this.fusion}"; valid: ${fusionMethods.join(', ')}`);
    }
    if (options.normalization !== undefined && !scoreNormalizations.includes(options.normalization)) {
      throw new InvalidParameterError(`unknown normalization "${options.normalization}"; valid: ${scoreNormalizations.join(', ')}`);
    }
    if (options.alpha !== undefined && options.weights !== undefined) {
      throw new InvalidParameterError('give alpha or weights for hybrid fusion, not both');
    }
    if (options.alpha !== undefined) {
      const a = options.alpha;
      if (!Number.isFinite(a) || a < 0 || a > 1) throw new InvalidParameterError(`alpha must be in [0, 1], got ${a}`);
      this.weights = [1 - a, a];
    } else this.weights = options.weights ?? [1, 1];
    this.candidates = options.candidates ?? 100;
    if (!Number.isInteger(this.candidates) || this.candidates < 1) {
      throw new InvalidParameterError(`candidates must be an integer ≥ 1, got ${this.candidates}`);
    }
    if (first.name === second.name) {
      throw new InvalidParameterError(`the two retrievers are both named "${first.name}"; their names key Hit.scores and must differ`);
    }
  }

  /**
   * @returns the `topK` fused hits, ranks 1-based, `score` = fused score
   * @throws InvalidParameterError when topK < 1; rejects with whatever either retriever rejects with
   */
  async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
    signal?.throwIfAborted();
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    const depth = Math.max(topK, this.candidates);
    const [a, b] = await Promise.all([this.first.retrieve(query, depth, signal), this.second.retrieve(query, depth, signal)]);
    const lists = [
      { name: this.first.name, hits: a },
      { name: this.second.name, hits: b },
    ];
    const common = { weights: this.weights, topK, by: this.options.by };
    return this.fusion === 'rrf'
      ? reciprocalRankFusion(lists, { ...common, rrfK: this.options.rrfK })
      : linearFusion(lists, { ...common, normalization: this.options.normalization });
  }
}
