/**
 * Exact (brute-force) vector search over one row-major matrix: every query scores every stored
 * vector and keeps the best `topK` in a bounded min-heap. O(size · dimension) per query, no
 * recall loss; the right choice below a few tens of thousands of vectors, and the oracle the
 * HNSW index is tested against.
 *
 * Storage: float32 (`Float32Array`, size·dim), float16 (`Uint16Array` of binary16 bits, decoded
 * through a 65 536-entry table) or int8 (`Int8Array` + one float32 scale per row, see
 * `quantize.ts`). For the cosine metric vectors are L2-normalised before they are stored, so
 * cosine = dot. On disk (little-endian, as the typed arrays lie in memory):
 *   `<base>.ids.u32` (size × uint32), `<base>.vectors.{f32|f16|i8}`, and for int8 `<base>.scales.f32`.
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { DimensionMismatchError, IndexFormatError, InvalidParameterError } from '../../core/errors.js';
import { fsyncDir, writeFileDurable } from '../store/atomic-file.js';
import { encodeFloat16, encodeInt8, fromFloat16Bits } from './quantize.js';
import {
  vectorMetrics,
  vectorStorages,
  type VectorHit,
  type VectorIndex,
  type VectorIndexDescriptor,
  type VectorMetric,
  type VectorStorage,
} from './types.js';

export interface ExactIndexOptions {
  /** Vector length ≥ 1. */
  dimension: number;
  /** Default 'cosine'. */
  metric?: VectorMetric;
  /** Default 'float32'. */
  storage?: VectorStorage;
}

const STORAGE_EXT: Record<VectorStorage, string> = { float32: 'f32', float16: 'f16', int8: 'i8' };

/** Checks the shared options; returns them with defaults filled in. */
export function checkVectorIndexOptions(o: ExactIndexOptions, where: string): Required<ExactIndexOptions> {
  if (!Number.isInteger(o.dimension) || o.dimension < 1) {
    throw new InvalidParameterError(`${where}: dimension must be an integer ≥ 1, got ${o.dimension}`);
  }
  const metric = o.metric ?? 'cosine';
  if (!vectorMetrics.includes(metric)) throw new InvalidParameterError(`${where}: unknown metric "${metric}"; valid: ${vectorMetrics.join(', ')}`);
  const storage = o.storage ?? 'float32';
  if (!vectorStorages.includes(storage)) {
    throw new InvalidParameterError(`${where}: unknown storage "${storage}"; valid: ${vectorStorages.join(', ')}`);
  }
  return { dimension: o.dimension, metric, storage };
}

/** Splits `vectors` into rows after checking count and dimension (shared by both indexes). */
export function toRows(ids: ArrayLike<number>, vectors: Float32Array | Float32Array[], dimension: number, where: string): Float32Array[] {
  const rows: Float32Array[] = [];
  if (Array.isArray(vectors)) {
    for (const v of vectors) {
      if (v.length !== dimension) throw new DimensionMismatchError(dimension, v.length);
      rows.push(v);
    }
  } else {
    if (vectors.length % dimension !== 0) throw new DimensionMismatchError(dimension, vectors.length % dimension);
    for (let off = 0; off < vectors.length; off += dimension) rows.push(vectors.subarray(off, off + dimension));
  }
  if (rows.length !== ids.length) {
    throw new InvalidParameterError(`${where}: ${ids.length} ids but ${rows.length} vectors; give one id per vector`);
  }
  const seen = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new InvalidParameterError(`${where}: id must be an integer in [0, 2^32), got ${id}`);
    if (seen.has(id)) throw new InvalidParameterError(`${where}: id ${id} appears twice in one add() call`);
    seen.add(id);
  }
  return rows;
}

/** ‖v‖₂-normalised copy (the zero vector stays zero). */
export function l2Normalized(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const out = new Float32Array(v.length);
  if (s === 0) return out;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export function checkTopK(topK: number, where: string): void {
  if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`${where}: topK must be an integer ≥ 1, got ${topK}`);
}

/** Bounded top-k by (score desc, id asc); the root holds the current worst. */
export class TopKHeap {
  private readonly scores: Float64Array;
  private readonly ids: Float64Array;
  private n = 0;
  constructor(private readonly k: number) {
    this.scores = new Float64Array(k);
    this.ids = new Float64Array(k);
  }
  private worse(i: number, j: number): boolean {
    return this.scores[i] < this.scores[j] || (this.scores[i] === this.scores[j] && this.ids[i] > this.ids[j]);
  }
  private swap(i: number, j: number): void {
    const s = this.scores[i];
    this.scores[i] = this.scores[j];
    this.scores[j] = s;
    const d = this.ids[i];
    this.ids[i] = this.ids[j];
    this.ids[j] = d;
  }
  push(id: number, score: number): void {
    if (this.n < this.k) {
      let i = this.n++;
      this.scores[i] = score;
      this.ids[i] = id;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    // Replace the root only when the newcomer is strictly better than it.
    if (score < this.scores[0] || (score === this.scores[0] && id > this.ids[0])) return;
    this.scores[0] = score;
    this.ids[0] = id;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.n && this.worse(l, m)) m = l;
      if (r < this.n && this.worse(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
  /** Contents best first. */
  sorted(): VectorHit[] {
    const out: VectorHit[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: this.ids[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact' as const;
  readonly dimension: number;
  readonly metric: VectorMetric;
  readonly storage: VectorStorage;
  private count = 0;
  private capacity = 0;
  private ids = new Uint32Array(0);
  private f32 = new Float32Array(0);
  private f16 = new Uint16Array(0);
  private i8 = new Int8Array(0);
  private scales = new Float32Array(0);
  private readonly rowOf = new Map<number, number>();
  private readonly f16Table: Float32Array | undefined;

  constructor(options: ExactIndexOptions) {
    const o = checkVectorIndexOptions(options, 'ExactIndex');
    this.dimension = o.dimension;
    this.metric = o.metric;
    this.storage = o.storage;
    if (this.storage === 'float16') {
      this.f16Table = new Float32Array(65536);
      for (let h = 0; h < 65536; h++) this.f16Table[h] = fromFloat16Bits(h);
    }
  }

  get size(): number {
    return this.count;
  }

  private grow(minCapacity: number): void {
    if (minCapacity <= this.capacity) return;
    const cap = Math.max(minCapacity, Math.ceil(this.capacity * 1.5), 16);
    const d = this.dimension;
    const ids = new Uint32Array(cap);
    ids.set(this.ids.subarray(0, this.count));
    this.ids = ids;
    if (this.storage === 'float32') {
      const a = new Float32Array(cap * d);
      a.set(this.f32.subarray(0, this.count * d));
      this.f32 = a;
    } else if (this.storage === 'float16') {
      const a = new Uint16Array(cap * d);
      a.set(this.f16.subarray(0, this.count * d));
      this.f16 = a;
    } else {
      const a = new Int8Array(cap * d);
      a.set(this.i8.subarray(0, this.count * d));
      this.i8 = a;
      const s = new Float32Array(cap);
      s.set(this.scales.subarray(0, this.count));
      this.scales = s;
    }
    this.capacity = cap;
  }

  private writeRow(row: number, v: Float32Array): void {
    const off = row * this.dimension;
    if (this.storage === 'float32') this.f32.set(v, off);
    else if (this.storage === 'float16') encodeFloat16(v, this.f16, off);
    else this.scales[row] = encodeInt8(v, this.i8, off);
  }

  add(ids: ArrayLike<number>, vectors: Float32Array | Float32Array[]): void {
    const rows = toRows(ids, vectors, this.dimension, 'ExactIndex.add');
    this.grow(this.count + rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = this.metric === 'cosine' ? l2Normalized(rows[i]) : rows[i];
      const id = ids[i];
      let row = this.rowOf.get(id);
      if (row === undefined) {
        row = this.count++;
        this.rowOf.set(id, row);
        this.ids[row] = id;
      }
      this.writeRow(row, v);
    }
  }

  /**
   * Copies every row of `other` (same dimension, metric and storage) into this index without
   * decoding, so quantised rows stay bit-identical; ids of `other` replace equal ids here.
   * @throws InvalidParameterError when the shapes differ
   */
  appendFrom(other: ExactIndex): void {
    if (other.dimension !== this.dimension || other.metric !== this.metric || other.storage !== this.storage) {
      throw new InvalidParameterError(
        `ExactIndex.appendFrom: cannot merge ${other.dimension}-d ${other.metric}/${other.storage} rows into ${this.dimension}-d ${this.metric}/${this.storage}`,
      );
    }
    this.grow(this.count + other.count);
    const d = this.dimension;
    for (let src = 0; src < other.count; src++) {
      const id = other.ids[src];
      let row = this.rowOf.get(id);
      if (row === undefined) {
        row = this.count++;
        this.rowOf.set(id, row);
        this.ids[row] = id;
      }
      if (this.storage === 'float32') this.f32.set(other.f32.subarray(src * d, (src + 1) * d), row * d);
      else if (this.storage === 'float16') this.f16.set(other.f16.subarray(src * d, (src + 1) * d), row * d);
      else {
        this.i8.set(other.i8.subarray(src * d, (src + 1) * d), row * d);
        this.scales[row] = other.scales[src];
      }
    }
  }

  /** The ids held, in insertion order. */
  idList(): Uint32Array {
    return this.ids.slice(0, this.count);
  }

  /** Decoded copy of the stored vector of `id` (normalised for cosine), or undefined. */
  vector(id: number): Float32Array | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    const d = this.dimension;
    const out = new Float32Array(d);
    for (let j = 0; j < d; j++) out[j] = this.component(row * d + j, row);
    return out;
  }

  private component(at: number, row: number): number {
    if (this.storage === 'float32') return this.f32[at];
    if (this.storage === 'float16') return this.f16Table![this.f16[at]];
    return this.i8[at] * this.scales[row];
  }

  search(query: Float32Array, topK: number): VectorHit[] {
    if (query.length !== this.dimension) throw new DimensionMismatchError(this.dimension, query.length);
    checkTopK(topK, 'ExactIndex.search');
    const q = this.metric === 'cosine' ? l2Normalized(query) : query;
    const heap = new TopKHeap(Math.min(topK, Math.max(this.count, 1)));
    for (let row = 0; row < this.count; row++) heap.push(this.ids[row], this.scoreRow(q, row));
    return this.count === 0 ? [] : heap.sorted();
  }

  /**
   * As {@link search}, over the vectors of `ids` only (an id not held is passed over): exact
   * filtered search, in time proportional to `ids.length`.
   * @throws DimensionMismatchError, InvalidParameterError when topK is not an integer ≥ 1
   */
  searchIds(query: Float32Array, ids: ArrayLike<number>, topK: number): VectorHit[] {
    if (query.length !== this.dimension) throw new DimensionMismatchError(this.dimension, query.length);
    checkTopK(topK, 'ExactIndex.searchIds');
    if (ids.length === 0) return [];
    const q = this.metric === 'cosine' ? l2Normalized(query) : query;
    const heap = new TopKHeap(Math.min(topK, ids.length));
    let any = false;
    for (let i = 0; i < ids.length; i++) {
      const row = this.rowOf.get(ids[i]);
      if (row === undefined) continue;
      heap.push(this.ids[row], this.scoreRow(q, row));
      any = true;
    }
    return any ? heap.sorted() : [];
  }

  /** The score of stored row `row` for the prepared query `q` (normalised for cosine): the dot product, or −L2² for l2. */
  private scoreRow(q: Float32Array, row: number): number {
    const d = this.dimension;
    const l2 = this.metric === 'l2';
    const off = row * d;
    let acc = 0;
    if (this.storage === 'float32') {
      const a = this.f32;
      if (l2) for (let j = 0; j < d; j++) { const t = q[j] - a[off + j]; acc += t * t; }
      else for (let j = 0; j < d; j++) acc += q[j] * a[off + j];
    } else if (this.storage === 'float16') {
      const a = this.f16;
      const table = this.f16Table!;
      if (l2) for (let j = 0; j < d; j++) { const t = q[j] - table[a[off + j]]; acc += t * t; }
      else for (let j = 0; j < d; j++) acc += q[j] * table[a[off + j]];
    } else {
      const a = this.i8;
      const s = this.scales[row];
      if (l2) for (let j = 0; j < d; j++) { const t = q[j] - a[off + j] * s; acc += t * t; }
      else {
        for (let j = 0; j < d; j++) acc += q[j] * a[off + j];
        acc *= s;
      }
    }
    return l2 ? -acc : acc;
  }

  async save(dir: string, baseName: string): Promise<VectorIndexDescriptor> {
    const n = this.count;
    const d = this.dimension;
    const files = [`${baseName}.ids.u32`, `${baseName}.vectors.${STORAGE_EXT[this.storage]}`];
    const data =
      this.storage === 'float32' ? this.f32.subarray(0, n * d) : this.storage === 'float16' ? this.f16.subarray(0, n * d) : this.i8.subarray(0, n * d);
    const blobs = [bytesOf(this.ids.subarray(0, n)), bytesOf(data)];
    if (this.storage === 'int8') {
      files.push(`${baseName}.scales.f32`);
      blobs.push(bytesOf(this.scales.subarray(0, n)));
    }
    for (let i = 0; i < files.length; i++) await writeFileDurable(join(dir, files[i]), blobs[i]);
    await fsyncDir(dir);
    return { kind: 'exact', dimension: d, metric: this.metric, storage: this.storage, size: n, files, crc32: blobs.map((b) => crc32(b)) };
  }

  /**
   * Reads an index written by `save`.
   * @throws IndexFormatError when a file is missing, its size does not match the descriptor, or it
   *   fails the CRC-32 the descriptor records (descriptors written before CRCs have none)
   */
  static async load(dir: string, desc: VectorIndexDescriptor): Promise<ExactIndex> {
    const index = new ExactIndex({ dimension: desc.dimension, metric: desc.metric, storage: desc.storage });
    const n = desc.size;
    const d = desc.dimension;
    const ids = new Uint32Array(await readExact(dir, desc.files[0], n * 4, desc.crc32?.[0]));
    const bytesPer = desc.storage === 'float32' ? 4 : desc.storage === 'float16' ? 2 : 1;
    const raw = await readExact(dir, desc.files[1], n * d * bytesPer, desc.crc32?.[1]);
    index.grow(n);
    index.ids.set(ids);
    if (desc.storage === 'float32') index.f32.set(new Float32Array(raw));
    else if (desc.storage === 'float16') index.f16.set(new Uint16Array(raw));
    else {
      index.i8.set(new Int8Array(raw));
      index.scales.set(new Float32Array(await readExact(dir, desc.files[2], n * 4, desc.crc32?.[2])));
    }
    index.count = n;
    for (let row = 0; row < n; row++) index.rowOf.set(ids[row], row);
    return index;
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Reads `dir/name` into a fresh ArrayBuffer of exactly `expectedBytes` bytes, checking its CRC-32
 * against `expectedCrc` when given.
 * @throws IndexFormatError naming the file when it is missing, of another size, or fails the CRC
 */
export async function readExact(dir: string, name: string | undefined, expectedBytes: number, expectedCrc?: number): Promise<ArrayBuffer> {
  if (name === undefined) throw new IndexFormatError(`dense index in ${dir}: the manifest lists too few files`);
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, name));
  } catch (err) {
    throw new IndexFormatError(`dense index file ${join(dir, name)} cannot be read`, { cause: err });
  }
  if (buf.byteLength !== expectedBytes) {
    throw new IndexFormatError(`dense index file ${join(dir, name)} has ${buf.byteLength} bytes, expected ${expectedBytes}; the index is corrupt: rebuild it`);
  }
  if (expectedCrc !== undefined && crc32(buf) !== expectedCrc) {
    throw new IndexFormatError(`dense index file ${join(dir, name)} fails its CRC-32 check; the index is corrupt: rebuild it (openbook index --embed --force)`);
  }
  const out = new ArrayBuffer(expectedBytes);
  new Uint8Array(out).set(buf);
  return out;
}
