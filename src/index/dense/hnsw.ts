/**
 * Approximate nearest-neighbour search with HNSW (Malkov & Yashunin, "Efficient and robust
 * approximate nearest neighbor search using Hierarchical Navigable Small World graphs",
 * IEEE TPAMI 2020), via the `usearch` library (pinned ~2.25: its prebuilt binary needs no
 * compiler; 2.26+ needs Node 22).
 *
 * Parameters keep the paper's meaning: `connectivity` = M (links per node), `expansionAdd` =
 * efConstruction, `expansionSearch` = efSearch (larger → better recall, slower queries).
 * usearch distances are converted to "larger is better" scores: cos → 1 − d (= cosine),
 * ip → 1 − d (= dot), l2sq → −d (= −‖q − x‖²). Storage maps to usearch quantisation
 * (f32, f16, i8). One file on disk: `<base>.usearch` (usearch's own format).
 */
import { createRequire } from 'node:module';
import { readFile, rm } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import type { Index, MetricKind, ScalarKind } from 'usearch';
import { DimensionMismatchError, IndexFormatError, InvalidParameterError } from '../../core/errors.js';
import { fsyncDir, renameDurable, tempPathOf } from '../store/atomic-file.js';
import { checkTopK, checkVectorIndexOptions, toRows } from './exact.js';
import type { VectorHit, VectorIndex, VectorIndexDescriptor, VectorMetric, VectorStorage } from './types.js';

export interface HnswIndexOptions {
  dimension: number;
  /** Default 'cosine'. */
  metric?: VectorMetric;
  /** Default 'float32'. */
  storage?: VectorStorage;
  /** M, links per node. Default 16. */
  connectivity?: number;
  /** efConstruction. Default 128. */
  expansionAdd?: number;
  /** efSearch. Default 128. */
  expansionSearch?: number;
  /** Threads for add (0 = usearch decides). Default 0. */
  addThreads?: number;
  /** Threads for search. Default 1. */
  searchThreads?: number;
}

type Usearch = typeof import('usearch');
let usearchModule: Usearch | undefined;

/**
 * usearch and its native binary, loaded on the first HNSW index rather than when openbook is
 * imported. Through its CommonJS build: its ES build locates the binary from a stack-trace file
 * URL and, under a dynamic `import()` from a CommonJS caller (`node -e "import('openbook')"`),
 * walks up relative paths until the stack overflows; the CommonJS build starts from `__dirname`.
 */
function usearch(): Usearch {
  usearchModule ??= createRequire(import.meta.url)('usearch') as Usearch;
  return usearchModule;
}

/** usearch's enum values (strings), typed as its enums. */
const METRIC: Record<VectorMetric, MetricKind> = { cosine: 'cos' as MetricKind.Cos, dot: 'ip' as MetricKind.IP, l2: 'l2sq' as MetricKind.L2sq };
const SCALAR: Record<VectorStorage, ScalarKind> = { float32: 'f32' as ScalarKind.F32, float16: 'f16' as ScalarKind.F16, int8: 'i8' as ScalarKind.I8 };

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly dimension: number;
  readonly metric: VectorMetric;
  readonly storage: VectorStorage;
  readonly connectivity: number;
  readonly expansionAdd: number;
  readonly expansionSearch: number;
  private readonly addThreads: number;
  private readonly searchThreads: number;
  private readonly index: Index;

  constructor(options: HnswIndexOptions) {
    const o = checkVectorIndexOptions(options, 'HnswIndex');
    if (o.storage === 'int8' && o.metric !== 'cosine') {
      // usearch's i8 maps a component x to round(127·x): only unit vectors (cosine) fit that range.
      throw new InvalidParameterError(`HnswIndex: int8 storage works only with the cosine metric, got "${o.metric}"; use float16 or float32`);
    }
    this.dimension = o.dimension;
    this.metric = o.metric;
    this.storage = o.storage;
    this.connectivity = options.connectivity ?? 16;
    this.expansionAdd = options.expansionAdd ?? 128;
    this.expansionSearch = options.expansionSearch ?? 128;
    this.addThreads = options.addThreads ?? 0;
    this.searchThreads = options.searchThreads ?? 1;
    this.index = new (usearch().Index)({
      dimensions: this.dimension,
      metric: METRIC[this.metric],
      quantization: SCALAR[this.storage],
      connectivity: this.connectivity,
      expansion_add: this.expansionAdd,
      expansion_search: this.expansionSearch,
      multi: false,
    });
  }

  get size(): number {
    return this.index.size();
  }

  add(ids: ArrayLike<number>, vectors: Float32Array | Float32Array[]): void {
    const rows = toRows(ids, vectors, this.dimension, 'HnswIndex.add');
    if (rows.length === 0) return;
    const keys = new BigUint64Array(rows.length);
    for (let i = 0; i < rows.length; i++) keys[i] = BigInt(ids[i]);
    // usearch refuses duplicate keys: replacing = remove, then add.
    const present = this.index.contains(keys);
    const existing = Array.isArray(present) ? keys.filter((_, i) => present[i]) : present ? keys : new BigUint64Array(0);
    if (existing.length > 0) this.index.remove(existing);
    const matrix = new Float32Array(rows.length * this.dimension);
    rows.forEach((r, i) => matrix.set(r, i * this.dimension));
    this.index.add(keys, matrix, this.addThreads);
  }

  search(query: Float32Array, topK: number): VectorHit[] {
    if (query.length !== this.dimension) throw new DimensionMismatchError(this.dimension, query.length);
    checkTopK(topK, 'HnswIndex.search');
    if (this.size === 0) return [];
    const m = this.index.search(query, Math.min(topK, this.size), this.searchThreads);
    const out: VectorHit[] = [];
    for (let i = 0; i < m.keys.length; i++) {
      const d = m.distances[i];
      out.push({ id: Number(m.keys[i]), score: this.metric === 'l2' ? -d : 1 - d });
    }
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }

  async save(dir: string, baseName: string): Promise<VectorIndexDescriptor> {
    const name = `${baseName}.usearch`;
    const path = join(dir, name);
    const tmp = tempPathOf(path);
    let crc: number;
    try {
      this.index.save(tmp);
      crc = crc32(await readFile(tmp));
      await renameDurable(tmp, path);
      await fsyncDir(dir);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return {
      kind: 'hnsw',
      dimension: this.dimension,
      metric: this.metric,
      storage: this.storage,
      size: this.size,
      files: [name],
      crc32: [crc],
      params: { connectivity: this.connectivity, expansionAdd: this.expansionAdd, expansionSearch: this.expansionSearch },
    };
  }

  /**
   * Reads an index written by `save`; `overrides` can change search-time parameters (efSearch, threads).
   * @throws IndexFormatError when the file is missing, unreadable or holds a different number of vectors
   */
  static async load(dir: string, desc: VectorIndexDescriptor, overrides: Partial<HnswIndexOptions> = {}): Promise<HnswIndex> {
    const index = new HnswIndex({
      dimension: desc.dimension,
      metric: desc.metric,
      storage: desc.storage,
      connectivity: desc.params?.connectivity,
      expansionAdd: desc.params?.expansionAdd,
      expansionSearch: desc.params?.expansionSearch,
      ...overrides,
    });
    const path = join(dir, desc.files[0] ?? '');
    const expected = desc.crc32?.[0];
    if (expected !== undefined) {
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (err) {
        throw new IndexFormatError(`HNSW file ${path} cannot be read; rebuild the dense index`, { cause: err });
      }
      if (crc32(data) !== expected) throw new IndexFormatError(`HNSW file ${path} fails its CRC-32 check; rebuild the dense index (openbook index --embed --force)`);
    }
    try {
      index.index.load(path);
    } catch (err) {
      throw new IndexFormatError(`HNSW file ${path} cannot be loaded; rebuild the dense index`, { cause: err });
    }
    if (index.size !== desc.size || index.index.dimensions() !== desc.dimension) {
      throw new IndexFormatError(
        `HNSW file ${path} holds ${index.size} vectors of dimension ${index.index.dimensions()}, the manifest says ${desc.size} of ${desc.dimension}; rebuild the dense index`,
      );
    }
    return index;
  }
}
