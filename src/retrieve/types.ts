/** The retriever contract shared by sparse, dense and fused retrievers. */
import type { Hit } from '../core/types.js';

export interface Retriever {
  /** Short name, used as the key in fused `Hit.scores` (e.g. "bm25", "dense"). */
  readonly name: string;
  /**
   * The `topK` best chunks for `query`, best first, ranks 1-based.
   * @param topK integer ≥ 1
   * @param signal aborts the call (rejects with the signal's reason)
   */
  retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]>;
}
