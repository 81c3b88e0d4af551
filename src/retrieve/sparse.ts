/**
 * Sparse (lexical) retrieval over an {@link IndexReader}: BM25 and its variants or TF-IDF, as
 * chosen by `similarity` (see `index/sparse/similarity.ts`).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { FilterExpr } from '../core/filter.js';
import type { Hit } from '../core/types.js';
import { getSimilarity, resolveSimilarityParams, type SimilarityName } from '../index/sparse/similarity.js';
import type { IndexReader } from '../index/store/reader.js';
import { hitFromChunk } from './hit.js';
import type { Retriever } from './types.js';

export interface SparseRetrieverOptions {
  /** Default 'bm25' (Lucene BM25Similarity). */
  similarity?: SimilarityName;
  /** Default 0.9. */
  k1?: number;
  /** Default 0.4. */
  b?: number;
  /** Default: the variant's δ (BM25L 0.5, BM25+ 1.0). */
  delta?: number;
  /** Only chunks whose metadata match (`core/filter.ts`); applied inside scoring, so k hits come back whenever k chunks match. */
  filter?: string | FilterExpr;
}

export class SparseRetriever implements Retriever {
  /** The similarity name ("bm25", "tfidf", …). */
  readonly name: string;
  private readonly opts: { similarity: SimilarityName; k1: number; b: number; delta: number };
  private readonly filter?: Uint8Array;

  /** @throws InvalidParameterError for an unknown similarity or k1/b/delta out of range; FilterSyntaxError for a bad filter */
  constructor(
    private readonly reader: IndexReader,
    opts: SparseRetrieverOptions = {},
  ) {
    const sim = getSimilarity(opts.similarity ?? 'bm25');
    const p = resolveSimilarityParams(sim, opts);
    this.name = sim.name;
    this.opts = { similarity: sim.name, ...p };
    if (opts.filter !== undefined) this.filter = reader.filterBits(opts.filter);
  }

  /**
   * @throws InvalidParameterError when topK is not an integer ≥ 1
   */
  async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
    signal?.throwIfAborted();
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    const scored = this.reader.search(query, { topK, ...this.opts, ...(this.filter ? { filter: this.filter } : {}) });
    return scored.map((s, i) => hitFromChunk(this.reader.chunk(s.chunk), s.score, i + 1));
  }
}
