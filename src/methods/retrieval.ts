/**
 * Noisy-retrieval settings of RetRobust (Yoran et al., ICLR 2024, §4 "retrieval settings"),
 * applicable to any method by wrapping its retriever:
 *
 * - `top`: the retriever's top-k (unchanged);
 * - `low-rank`: ranks 11–20 of the retriever's ranking (k of them from rank 11 on; the paper
 *   takes a passage ranked low for the question — relevant-looking but usually not useful);
 * - `random`: k passages drawn uniformly from the corpus with the seeded rng (irrelevant context).
 *
 * Hits keep their original scores and get ranks 1..k in the new list (the `rank` field is the
 * position in what the method sees; the original rank is kept in `scores.originalRank`).
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import type { Retriever } from './method.js';

export type RetrievalSetting = 'top' | 'low-rank' | 'random';
export const retrievalSettings: readonly RetrievalSetting[] = ['top', 'low-rank', 'random'];

/** First rank (1-based) of the low-rank setting. */
export const LOW_RANK_START = 11;

export interface RetrievalSettingOptions {
  /** Uniform [0, 1) numbers, seeded by the caller. */
  rng: () => number;
  /** Draws `count` passages uniformly from the corpus (needed for `random`). */
  randomPassages?: (count: number, rng: () => number, signal?: AbortSignal) => Promise<Hit[]>;
}

/**
 * Wraps `base` so that it returns passages of the given setting.
 * @throws InvalidParameterError for an unknown setting; CapabilityError for `random` without `randomPassages`
 */
export function withRetrievalSetting(base: Retriever, setting: RetrievalSetting, options: RetrievalSettingOptions): Retriever {
  if (!retrievalSettings.includes(setting)) throw new InvalidParameterError(`unknown retrieval setting ${JSON.stringify(setting)}; valid: ${retrievalSettings.join(', ')}`);
  if (setting === 'top') return base;
  const rerank = (hits: Hit[]): Hit[] => hits.map((h, i) => ({ ...h, rank: i + 1, scores: { ...(h.scores ?? {}), originalRank: h.rank } }));
  if (setting === 'low-rank') {
    return {
      async retrieve(query, topK, signal) {
        const hits = await base.retrieve(query, LOW_RANK_START - 1 + topK, signal);
        return rerank(hits.slice(LOW_RANK_START - 1, LOW_RANK_START - 1 + topK));
      },
    };
  }
  const draw = options.randomPassages;
  if (!draw) throw new CapabilityError('the random retrieval setting needs a way to draw passages from the corpus (randomPassages); the index in use does not provide one');
  return {
    async retrieve(_query, topK, signal) {
      return rerank(await draw(topK, options.rng, signal));
    },
  };
}
