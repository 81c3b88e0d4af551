/**
 * Dense retrieval: embed the query (kind 'query', so e5-style models get their "query: " prefix),
 * find the nearest stored passage vectors, and turn them into Hits through the sparse index's
 * chunk store (the one place chunk texts live).
 *
 * Vectors are keyed by chunk id (`${docId}#${ordinal}`); the chunk number in the current sparse
 * generation is found with `reader.chunksOf(docId)[ordinal]` and checked against the stored id.
 * A vector whose chunk is no longer in the sparse index (embeddings not yet refreshed) is
 * skipped, and the search is widened so that `topK` live hits still come back when they exist.
 */
import { DimensionMismatchError, InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import type { DenseMatch } from '../index/dense/store.js';
import type { StoredChunk } from '../index/store/format.js';
import type { Embedder } from '../models/types.js';
import { hitFromChunk } from './hit.js';
import type { Retriever } from './types.js';

/** What the retriever needs from the sparse `IndexReader`. */
export interface ChunkSource {
  chunk(n: number): StoredChunk;
  chunksOf(docId: string): number[];
}

/** What the retriever needs from a `DenseIndexReader`. */
export interface DenseSearcher {
  /** `Embedder.id` that made the stored vectors. */
  readonly embedder: string;
  readonly dimension: number;
  /** Number of stored vectors. */
  readonly count: number;
  search(vector: Float32Array, topK: number): DenseMatch[];
  /**
   * Exact top-k among the stored vectors whose chunk id passes `keep`, or undefined when the
   * searcher cannot do it now (`DenseIndexReader.searchAmong`, after `prepareExact` over HNSW).
   */
  searchAmong?(vector: Float32Array, keep: (chunkId: string) => boolean, topK: number): DenseMatch[] | undefined;
}

/**
 * A filter is "very selective" when it keeps at most this fraction of the stored vectors: then
 * dense search scores the allowed vectors exactly instead of widening a graph search past the
 * rest (#16 item 2). At 10 % a filtered HNSW search would already need ~10·k candidates per
 * allowed hit, and the exact pass costs one dot product per allowed vector.
 */
export const EXACT_FILTER_FRACTION = 0.1;

/** Whether `allow` (a chunk bitset) keeps at most {@link EXACT_FILTER_FRACTION} of `vectors` stored vectors. */
export function isSelectiveFilter(allow: Uint8Array, vectors: number): boolean {
  let n = 0;
  const limit = vectors * EXACT_FILTER_FRACTION;
  for (let i = 0; i < allow.length; i++) if (allow[i] === 1 && ++n > limit) return false;
  return true;
}

export interface DenseRetrieverOptions {
  /** Key in fused `Hit.scores`. Default 'dense'. */
  name?: string;
  /**
   * Refuse a query embedder whose id differs from the one that made the stored vectors (vectors
   * of different models are not comparable). Default true.
   */
  requireSameEmbedder?: boolean;
  /**
   * Only chunks with `allow[chunk number] === 1` (a metadata filter's bitset, `IndexReader.filterBits`).
   * The vector search widens past filtered-out vectors until `topK` allowed hits are found or every
   * vector has been seen, so over the exact index the result is exactly filter-then-rank; over
   * HNSW it is the graph's approximate order with the same guarantee of k hits when k match.
   * A very selective filter ({@link isSelectiveFilter}) is scored exactly over the allowed vectors
   * where the searcher offers `searchAmong`.
   */
  allow?: Uint8Array;
}

/** Splits `${docId}#${ordinal}` at the last '#'. */
export function parseChunkId(chunkId: string): { docId: string; ordinal: number } | undefined {
  const at = chunkId.lastIndexOf('#');
  if (at < 0) return undefined;
  const ordinal = Number(chunkId.slice(at + 1));
  if (!Number.isInteger(ordinal) || ordinal < 0) return undefined;
  return { docId: chunkId.slice(0, at), ordinal };
}

export class DenseRetriever implements Retriever {
  readonly name: string;
  private readonly requireSameEmbedder: boolean;
  private readonly allow?: Uint8Array;
  private readonly selective: boolean;

  /** Cheap: nothing is loaded or embedded here. */
  constructor(
    private readonly chunks: ChunkSource,
    private readonly dense: DenseSearcher,
    private readonly embedder: Embedder,
    options: DenseRetrieverOptions = {},
  ) {
    this.name = options.name ?? 'dense';
    this.requireSameEmbedder = options.requireSameEmbedder ?? true;
    if (options.allow) this.allow = options.allow;
    this.selective = options.allow !== undefined && dense.searchAmong !== undefined && isSelectiveFilter(options.allow, dense.count);
  }

  /** The stored chunk with this id in the current sparse generation (and allowed by the filter), or undefined. */
  resolve(chunkId: string): StoredChunk | undefined {
    const parsed = parseChunkId(chunkId);
    if (!parsed) return undefined;
    const numbers = this.chunks.chunksOf(parsed.docId);
    const allowed = (n: number) => this.allow === undefined || this.allow[n] === 1;
    const guess = numbers[parsed.ordinal];
    if (guess !== undefined && allowed(guess)) {
      const c = this.chunks.chunk(guess);
      if (c.id === chunkId) return c;
    }
    for (const n of numbers) {
      if (n === guess || !allowed(n)) continue;
      const c = this.chunks.chunk(n);
      if (c.id === chunkId) return c;
    }
    return undefined;
  }

  /**
   * @returns up to `topK` hits, best first, ranks 1-based, `score` = the vector similarity (cosine by default)
   * @throws InvalidParameterError when topK < 1 or the embedder differs from the one that made the vectors
   * @throws DimensionMismatchError when the query vector's dimension differs from the stored one
   */
  async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
    signal?.throwIfAborted();
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    if (this.requireSameEmbedder && this.embedder.id !== this.dense.embedder) {
      throw new InvalidParameterError(
        `the dense vectors were made by "${this.dense.embedder}" but the query embedder is "${this.embedder.id}"; configure the same model or re-run \`openbook index --embed --force\``,
      );
    }
    const [vector] = await this.embedder.embed([query], { kind: 'query', signal });
    signal?.throwIfAborted();
    return this.searchVector(vector, topK);
  }

  /**
   * Maximum inner product (or cosine/L2, as the index was built) search by a ready vector, e.g.
   * HyDE's average of hypothetical-document embeddings.
   * @returns up to `topK` hits, best first, ranks 1-based
   * @throws DimensionMismatchError when `vector.length` differs from the stored dimension
   */
  searchVector(vector: Float32Array, topK: number): Hit[] {
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    if (vector.length !== this.dense.dimension) throw new DimensionMismatchError(this.dense.dimension, vector.length);
    if (this.selective) {
      const hits = this.searchAllowedExactly(vector, topK);
      if (hits) return hits;
    }
    let want = topK;
    for (;;) {
      const matches = this.dense.search(vector, want);
      const hits = this.liveHits(matches, topK);
      // Enough hits, or nothing more to fetch: done. Otherwise widen past the stale vectors.
      if (hits.length === topK || matches.length < want || want >= this.dense.count) return hits;
      want = Math.min(this.dense.count, want * 2 + (topK - hits.length));
    }
  }

  /** Exact scores over the vectors of allowed chunks (a very selective filter), or undefined when the searcher cannot. */
  private searchAllowedExactly(vector: Float32Array, topK: number): Hit[] | undefined {
    const allow = this.allow!;
    const keep = (chunkId: string) => {
      const p = parseChunkId(chunkId);
      if (!p) return false;
      const numbers = this.chunks.chunksOf(p.docId);
      const guess = numbers[p.ordinal];
      return guess !== undefined ? allow[guess] === 1 : numbers.some((n) => allow[n] === 1);
    };
    let want = topK;
    for (;;) {
      const matches = this.dense.searchAmong!(vector, keep, want);
      if (matches === undefined) return undefined;
      const hits = this.liveHits(matches, topK);
      // A kept vector whose chunk changed place (a stale vector) resolves to nothing: widen.
      if (hits.length === topK || matches.length < want) return hits;
      want = want * 2 + (topK - hits.length);
    }
  }

  /** The first `topK` matches whose chunk is live in the sparse index (and allowed), as ranked hits. */
  private liveHits(matches: readonly DenseMatch[], topK: number): Hit[] {
    const hits: Hit[] = [];
    for (const m of matches) {
      const c = this.resolve(m.chunkId);
      if (!c) continue;
      hits.push(hitFromChunk(c, m.score, hits.length + 1));
      if (hits.length === topK) break;
    }
    return hits;
  }
}
