/**
 * Picking and re-opening a vector index: exact search below `AUTO_HNSW_THRESHOLD` (20 000)
 * vectors, HNSW from there on, unless the caller forces a kind.
 */
import { InvalidParameterError } from '../../core/errors.js';
import { ExactIndex } from './exact.js';
import { HnswIndex, type HnswIndexOptions } from './hnsw.js';
import {
  AUTO_HNSW_THRESHOLD,
  vectorIndexKinds,
  type VectorIndex,
  type VectorIndexDescriptor,
  type VectorIndexKind,
  type VectorMetric,
  type VectorStorage,
} from './types.js';

export interface CreateVectorIndexOptions {
  dimension: number;
  metric?: VectorMetric;
  storage?: VectorStorage;
  /** 'auto' (default) decides from `expectedSize`. */
  kind?: VectorIndexKind | 'auto';
  /** Number of vectors the index will hold; used by 'auto'. */
  expectedSize: number;
  /** Vector count from which 'auto' picks HNSW. Default `AUTO_HNSW_THRESHOLD`. */
  autoThreshold?: number;
  /** HNSW parameters (ignored for exact). */
  hnsw?: Pick<HnswIndexOptions, 'connectivity' | 'expansionAdd' | 'expansionSearch' | 'addThreads' | 'searchThreads'>;
}

/** The kind 'auto' resolves to for `size` vectors. */
export function resolveVectorIndexKind(kind: VectorIndexKind | 'auto' | undefined, size: number, autoThreshold = AUTO_HNSW_THRESHOLD): VectorIndexKind {
  const k = kind ?? 'auto';
  if (!vectorIndexKinds.includes(k)) throw new InvalidParameterError(`unknown vector index kind "${k}"; valid: ${vectorIndexKinds.join(', ')}`);
  if (k !== 'auto') return k;
  return size >= autoThreshold ? 'hnsw' : 'exact';
}

/** A new, empty index of the resolved kind. */
export function createVectorIndex(options: CreateVectorIndexOptions): VectorIndex {
  const kind = resolveVectorIndexKind(options.kind, options.expectedSize, options.autoThreshold);
  const base = { dimension: options.dimension, metric: options.metric, storage: options.storage };
  return kind === 'exact' ? new ExactIndex(base) : new HnswIndex({ ...base, ...options.hnsw });
}

/** Re-opens an index from the descriptor its `save` returned. */
export async function loadVectorIndex(dir: string, desc: VectorIndexDescriptor, hnswOverrides: Partial<HnswIndexOptions> = {}): Promise<VectorIndex> {
  return desc.kind === 'exact' ? ExactIndex.load(dir, desc) : HnswIndex.load(dir, desc, hnswOverrides);
}
