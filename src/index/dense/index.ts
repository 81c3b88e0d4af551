/** Dense retrieval storage: vector indexes (exact, HNSW) and the resumable embeddings store. */
export * from './types.js';
export { ExactIndex, type ExactIndexOptions } from './exact.js';
export { HnswIndex, type HnswIndexOptions } from './hnsw.js';
export { createVectorIndex, loadVectorIndex, resolveVectorIndexKind, type CreateVectorIndexOptions } from './factory.js';
export { toFloat16Bits, fromFloat16Bits, encodeInt8 } from './quantize.js';
export {
  DenseStore,
  DenseIndexReader,
  chunkContentHash,
  DENSE_DIR,
  DENSE_MANIFEST,
  DENSE_FORMAT_VERSION,
  type DenseStoreOptions,
  type DenseCommitInfo,
  type DenseManifest,
  type DenseMatch,
  type DenseIndexReaderOptions,
  type ChunkRef,
} from './store.js';
export { KnnDatastore, KnnDatastoreWriter, KNN_DATASTORE_MANIFEST, type KnnDatastoreManifest, type KnnNeighbor } from './datastore.js';
