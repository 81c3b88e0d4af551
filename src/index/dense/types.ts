/**
 * The vector-index contract. A `VectorIndex` maps non-negative integer ids (< 2^32) to vectors
 * of a fixed dimension and answers top-k similarity queries. Implementations: `ExactIndex`
 * (brute force over one row-major matrix) and `HnswIndex` (approximate, usearch HNSW). Both run
 * the shared contract suite in `test/index/dense/vector-index-contract.ts`.
 *
 * Scores are "larger is better":
 *   - cosine: cos(q, x) ∈ [−1, 1] (vectors are L2-normalised on add and at query time);
 *   - dot:    q · x;
 *   - l2:     −‖q − x‖² (negated squared Euclidean distance).
 */

/** Similarity / distance a vector index ranks by. */
/** The dense index's folder inside an index folder, and its manifest there. */
export const DENSE_DIR = 'dense';
export const DENSE_MANIFEST = 'dense-manifest.json';

export type VectorMetric = 'cosine' | 'dot' | 'l2';
export const vectorMetrics: readonly VectorMetric[] = ['cosine', 'dot', 'l2'];

/** How vectors are stored: 4, 2 or 1 byte(s) per component (int8 adds one float32 scale per vector). */
export type VectorStorage = 'float32' | 'float16' | 'int8';
export const vectorStorages: readonly VectorStorage[] = ['float32', 'float16', 'int8'];

/** Which implementation; 'auto' picks exact below `autoHnswThreshold` vectors, HNSW from there on. */
export type VectorIndexKind = 'exact' | 'hnsw';
export const vectorIndexKinds: readonly (VectorIndexKind | 'auto')[] = ['auto', 'exact', 'hnsw'];

/** Collections with fewer vectors than this are searched exactly when the kind is 'auto'. */
export const AUTO_HNSW_THRESHOLD = 20_000;

/** One search result: the id given to `add` and its score (larger is better). */
export interface VectorHit {
  id: number;
  score: number;
}

/** What `save` returns and `loadVectorIndex` needs: the caller stores it in its manifest. */
export interface VectorIndexDescriptor {
  kind: VectorIndexKind;
  dimension: number;
  metric: VectorMetric;
  storage: VectorStorage;
  size: number;
  /** File names relative to the directory given to `save`. */
  files: string[];
  /** CRC-32 of each file in `files` (same order); absent in descriptors written before CRCs. */
  crc32?: number[];
  /** Implementation parameters (HNSW connectivity, expansion …). */
  params?: Record<string, number>;
}

export interface VectorIndex {
  readonly kind: VectorIndexKind;
  readonly dimension: number;
  readonly metric: VectorMetric;
  readonly storage: VectorStorage;
  /** Number of vectors held. */
  readonly size: number;
  /**
   * Adds vectors; an id already present is replaced.
   * @param ids one integer in [0, 2^32) per vector, no repeats within one call
   * @param vectors row-major `ids.length × dimension` Float32Array, or one Float32Array per id
   * @throws DimensionMismatchError when a vector's length is not `dimension`
   * @throws InvalidParameterError on a bad id, a repeated id or a count mismatch
   */
  add(ids: ArrayLike<number>, vectors: Float32Array | Float32Array[]): void;
  /**
   * The `topK` best vectors for `query`, best first (ties: smaller id first for exact search).
   * Returns fewer when the index holds fewer.
   * @throws DimensionMismatchError, InvalidParameterError when topK is not an integer ≥ 1
   */
  search(query: Float32Array, topK: number): VectorHit[];
  /**
   * Writes the index into `dir` as files whose names start with `baseName`, each atomically
   * (temp → fsync → rename → fsync dir). Nothing is referenced until the caller writes its
   * manifest with the returned descriptor.
   */
  save(dir: string, baseName: string): Promise<VectorIndexDescriptor>;
}
