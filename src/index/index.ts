/** The sparse index: similarities, on-disk store, writer and reader. */
export * from './sparse/similarity.js';
export * from './sparse/small-float.js';
export { TopK, type ScoredChunk } from './sparse/top-k.js';
export type { SearchOptions } from './sparse/scorer.js';
export type { PostingsCsr } from './sparse/postings.js';
export {
  FORMAT_VERSION,
  MANIFEST_FILE,
  type DocumentRecord,
  type StoredChunk,
  type IndexConfig,
  type IndexCounts,
  type Manifest,
} from './store/format.js';
export { IndexWriter, type CommitInfo, type DocumentWithChunks, type WriterDeps } from './store/writer.js';
export { IndexReader, type IndexStats, type ReaderOptions } from './store/reader.js';
export { readManifest } from './store/load.js';
export { SearchPool, DEFAULT_BLOCK_SIZE, type PackedHits, type SearchPoolOptions } from './parallel/search-pool.js';
