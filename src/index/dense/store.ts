/**
 * Passage embeddings stored with the index, under `<indexDir>/dense/`, keyed by chunk id and the
 * SHA-256 of the chunk's text, so `openbook index --embed` is resumable: after an interruption
 * (or on a re-index) only chunks whose (id, text) pair has no committed vector are embedded again.
 *
 * Layout (all files written temp → fsync → rename; `dense-manifest.json` written last):
 *   dense-manifest.json            which files make up the committed state (format version 1)
 *   seg-g<G>.keys.json             [[chunkId, contentHash], …] for the rows of segment G, in row order
 *   seg-g<G>.ids.u32 / .vectors.*  the segment's vectors (ExactIndex format, ids = global row numbers)
 *   ann-g<G>.usearch               optional HNSW over all rows (ids = row numbers)
 * A commit that only adds vectors writes one new segment (cost ∝ the new vectors); a commit that
 * drops or replaces vectors compacts all rows into one new segment. Files of generations older
 * than the previous manifest are deleted after the new manifest is in place, so a reader that
 * opened the previous state keeps working.
 *
 * Concurrency: one writer at a time. The caller holds the sparse index's writer lock (the lead's
 * `IndexWriter`) while a `DenseStore` is open; readers use `DenseIndexReader` and never lock.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DimensionMismatchError, IndexFormatError, InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { fsyncDir, manifestText, readJsonManifest, TMP_SUFFIX, writeFileDurable } from '../store/atomic-file.js';
import { crc32 } from 'node:zlib';
import { ExactIndex } from './exact.js';
import { resolveVectorIndexKind } from './factory.js';
import { HnswIndex, type HnswIndexOptions } from './hnsw.js';
import {
  AUTO_HNSW_THRESHOLD,
  type VectorIndex,
  type VectorIndexDescriptor,
  type VectorIndexKind,
  type VectorMetric,
  type VectorStorage,
  DENSE_DIR,
  DENSE_MANIFEST,
} from './types.js';

export const DENSE_FORMAT_VERSION = 1;
// In types.ts so that a dense index can be detected without loading the vector code.
export { DENSE_DIR, DENSE_MANIFEST } from './types.js';

/** SHA-256 (hex) of a chunk's text, UTF-8: the content half of a stored vector's key. */
export function chunkContentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

interface SegmentRecord {
  keys: string;
  /** CRC-32 of the keys file (absent in manifests written before CRCs). */
  keysCrc32?: number;
  vectors: VectorIndexDescriptor;
}

/** The committed state of `<indexDir>/dense/`. */
export interface DenseManifest {
  formatVersion: number;
  generation: number;
  /** ms since the epoch, from the `now` the writer was given. */
  committedAt: number;
  /** `Embedder.id` of the model that made the vectors. */
  embedder: string;
  dimension: number;
  metric: VectorMetric;
  storage: VectorStorage;
  /** Number of vectors (rows are numbered 0..count−1 across segments after compaction; gaps never remain). */
  count: number;
  /** Next unused row number. */
  nextRow: number;
  segments: SegmentRecord[];
  /** HNSW over all rows, when one was built at the last commit. */
  ann?: VectorIndexDescriptor;
}

export interface DenseStoreOptions {
  /** `Embedder.id` of the model whose vectors go in; must equal the stored one unless `reset`. */
  embedder: string;
  dimension: number;
  /** Default 'cosine'. */
  metric?: VectorMetric;
  /** Default 'float32'. */
  storage?: VectorStorage;
  /** Discard any stored vectors (the CLI's `--force`). */
  reset?: boolean;
  /** Which search index `commit` prepares: 'auto' (default) builds HNSW from `AUTO_HNSW_THRESHOLD` vectors. */
  indexKind?: VectorIndexKind | 'auto';
  autoThreshold?: number;
  hnsw?: Omit<HnswIndexOptions, 'dimension' | 'metric' | 'storage'>;
}

export interface DenseCommitInfo {
  generation: number;
  count: number;
  /** Vectors added by this commit. */
  added: number;
  /** Vectors dropped (replaced or no longer retained). */
  removed: number;
  /** Whether all rows were rewritten into one segment. */
  compacted: boolean;
  /** The search index now on disk: 'hnsw' when an ANN file was written, else 'exact'. */
  indexKind: VectorIndexKind;
}

/** A chunk as the store needs it: its id and text (a `Chunk` fits). */
export interface ChunkRef {
  id: string;
  text: string;
}

async function readManifest(denseDir: string): Promise<DenseManifest | undefined> {
  const read = await readJsonManifest<DenseManifest>(join(denseDir, DENSE_MANIFEST), denseManifestProblem, 'rebuild with `openbook index --embed --force`');
  return read?.value;
}

/** What is wrong with a parsed dense manifest, or null. */
function denseManifestProblem(v: unknown): string | null {
  const m = v as Partial<DenseManifest> | null;
  if (m === null || typeof m !== 'object') return 'is not a JSON object; rebuild the dense index';
  if (typeof m.formatVersion !== 'number' || m.formatVersion > DENSE_FORMAT_VERSION) {
    return `has formatVersion ${String(m.formatVersion)}; this openbook reads up to ${DENSE_FORMAT_VERSION}: upgrade openbook or rebuild`;
  }
  if (!Array.isArray(m.segments) || typeof m.dimension !== 'number') return 'lacks segments or dimension; rebuild the dense index';
  return null;
}

async function readKeys(denseDir: string, seg: Pick<SegmentRecord, 'keys' | 'keysCrc32'>, expected: number): Promise<Array<[string, string]>> {
  const file = join(denseDir, seg.keys);
  let keys: Array<[string, string]>;
  try {
    const data = await readFile(file);
    if (seg.keysCrc32 !== undefined && crc32(data) !== seg.keysCrc32) {
      throw new IndexFormatError(`dense key file ${file} fails its CRC-32 check; rebuild the dense index (openbook index --embed --force)`);
    }
    keys = JSON.parse(data.toString('utf8')) as Array<[string, string]>;
  } catch (err) {
    if (err instanceof IndexFormatError) throw err;
    throw new IndexFormatError(`dense key file ${file} is missing or corrupt; rebuild the dense index`, { cause: err });
  }
  if (!Array.isArray(keys) || keys.length !== expected) {
    throw new IndexFormatError(`dense key file ${file} has ${Array.isArray(keys) ? keys.length : 'no'} rows, expected ${expected}`);
  }
  return keys;
}

/** Loads all segments into one ExactIndex (ids = row numbers) plus the row → chunk id table. */
async function loadAllRows(denseDir: string, m: DenseManifest): Promise<{ vectors: ExactIndex; rows: Map<number, [string, string]> }> {
  const vectors = new ExactIndex({ dimension: m.dimension, metric: m.metric, storage: m.storage });
  const rows = new Map<number, [string, string]>();
  for (const seg of m.segments) {
    const part = await ExactIndex.load(denseDir, seg.vectors);
    const keys = await readKeys(denseDir, seg, seg.vectors.size);
    const ids = part.idList();
    ids.forEach((row, i) => rows.set(row, keys[i]));
    vectors.appendFrom(part);
  }
  return { vectors, rows };
}

/**
 * Writer side: decides what needs embedding, takes new vectors, commits them atomically.
 *
 * ```ts
 * const store = await DenseStore.open(indexDir, { embedder: embedder.id, dimension: await embedder.dimension() }, { now: Date.now });
 * store.retain(allChunks.map((c) => c.id));          // drop vectors of chunks gone from the index
 * for (const batch of chunked(store.missing(allChunks), 64)) {
 *   const vecs = await embedder.embed(batch.map((c) => c.text), { kind: 'passage' });
 *   batch.forEach((c, i) => store.put(c, vecs[i]));
 *   if (store.pending >= 4096) await store.commit({ buildIndex: false });   // resumable checkpoints
 * }
 * await store.commit();                                // builds the HNSW file when large enough
 * ```
 */
export class DenseStore {
  readonly embedder: string;
  readonly dimension: number;
  readonly metric: VectorMetric;
  readonly storage: VectorStorage;
  private manifest: DenseManifest | undefined;
  private previousFiles = new Set<string>();
  /** chunkId → [row, contentHash] of committed rows that are still live. */
  private readonly byChunk = new Map<string, [number, string]>();
  private readonly dropped = new Set<number>();
  private pendingRows: Array<{ chunkId: string; hash: string; vector: Float32Array }> = [];
  private readonly pendingByChunk = new Map<string, number>();

  private constructor(
    private readonly denseDir: string,
    private readonly options: DenseStoreOptions,
    private readonly now: () => number,
  ) {
    this.embedder = options.embedder;
    this.dimension = options.dimension;
    this.metric = options.metric ?? 'cosine';
    this.storage = options.storage ?? 'float32';
  }

  /**
   * Opens (creating `<indexDir>/dense/` if needed) the stored vectors of `indexDir`.
   * @throws InvalidParameterError when the stored vectors come from another embedder, dimension,
   *   metric or storage (message says to rebuild with --force)
   * @throws IndexFormatError on a corrupt or newer manifest
   */
  static async open(indexDir: string, options: DenseStoreOptions, deps: { now: () => number }): Promise<DenseStore> {
    if (!Number.isInteger(options.dimension) || options.dimension < 1) {
      throw new InvalidParameterError(`DenseStore: dimension must be an integer ≥ 1, got ${options.dimension}`);
    }
    const denseDir = join(indexDir, DENSE_DIR);
    await mkdir(denseDir, { recursive: true });
    const store = new DenseStore(denseDir, options, deps.now);
    const m = await readManifest(denseDir);
    if (!m && !options.reset) {
      // Segment files without a commit point: the manifest was lost. A commit would delete them.
      const segs = (await readdir(denseDir)).filter((f) => /^(seg|ann)-g\d+\./.test(f) && !f.endsWith(TMP_SUFFIX));
      if (segs.length > 0) {
        throw new IndexFormatError(`${denseDir} holds ${segs.length} vector files but no ${DENSE_MANIFEST}; nothing was deleted. Restore it, or rebuild with \`openbook index --embed --force\``);
      }
    }
    if (m && !options.reset) {
      const mismatch =
        m.embedder !== store.embedder
          ? `embedder "${m.embedder}", not "${store.embedder}"`
          : m.dimension !== store.dimension
            ? `dimension ${m.dimension}, not ${store.dimension}`
            : m.metric !== store.metric
              ? `metric ${m.metric}, not ${store.metric}`
              : m.storage !== store.storage
                ? `storage ${m.storage}, not ${store.storage}`
                : undefined;
      if (mismatch) {
        throw new InvalidParameterError(`the vectors in ${denseDir} were made with ${mismatch}; use the same settings or rebuild with --force`);
      }
      for (const seg of m.segments) {
        const keys = await readKeys(denseDir, seg, seg.vectors.size);
        const ids = await readRowIds(denseDir, seg.vectors);
        keys.forEach(([chunkId, hash], i) => store.byChunk.set(chunkId, [ids[i], hash]));
      }
    }
    store.manifest = m;
    if (m) store.previousFiles = filesOf(m);
    return store;
  }

  /** Committed + pending vectors, minus dropped ones. */
  get count(): number {
    return this.byChunk.size - this.dropped.size + this.pendingRows.length;
  }

  /** Vectors put since the last commit. */
  get pending(): number {
    return this.pendingRows.length;
  }

  /** The chunks (in input order) with no vector for their current text. */
  missing<T extends ChunkRef>(chunks: T[]): T[] {
    return chunks.filter((c) => !this.has(c.id, chunkContentHash(c.text)));
  }

  /** Whether a vector for `chunkId` with this content hash is stored or pending. */
  has(chunkId: string, contentHash: string): boolean {
    const p = this.pendingByChunk.get(chunkId);
    if (p !== undefined) return this.pendingRows[p].hash === contentHash;
    const c = this.byChunk.get(chunkId);
    return c !== undefined && !this.dropped.has(c[0]) && c[1] === contentHash;
  }

  /**
   * Stores the vector of `chunk` (replacing any older one of the same chunk id), pending until `commit`.
   * @throws DimensionMismatchError when `vector.length` ≠ `dimension`
   */
  put(chunk: ChunkRef, vector: Float32Array): void {
    if (vector.length !== this.dimension) throw new DimensionMismatchError(this.dimension, vector.length);
    const hash = chunkContentHash(chunk.text);
    const committed = this.byChunk.get(chunk.id);
    if (committed) this.dropped.add(committed[0]);
    const p = this.pendingByChunk.get(chunk.id);
    const row = { chunkId: chunk.id, hash, vector: Float32Array.from(vector) };
    if (p !== undefined) this.pendingRows[p] = row;
    else {
      this.pendingByChunk.set(chunk.id, this.pendingRows.length);
      this.pendingRows.push(row);
    }
  }

  /** Drops stored and pending vectors of chunks not in `chunkIds` (chunks removed from the index). Returns how many. */
  retain(chunkIds: Iterable<string>): number {
    const keep = new Set(chunkIds);
    let n = 0;
    for (const [chunkId, [row]] of this.byChunk) {
      if (!keep.has(chunkId) && !this.dropped.has(row)) {
        this.dropped.add(row);
        n++;
      }
    }
    const before = this.pendingRows.length;
    this.pendingRows = this.pendingRows.filter((r) => keep.has(r.chunkId));
    if (this.pendingRows.length !== before) {
      this.pendingByChunk.clear();
      this.pendingRows.forEach((r, i) => this.pendingByChunk.set(r.chunkId, i));
    }
    return n + before - this.pendingRows.length;
  }

  /** True when `commit` would write something. */
  get dirty(): boolean {
    return this.pendingRows.length > 0 || this.dropped.size > 0 || (this.options.reset === true && this.manifest !== undefined);
  }

  /**
   * Writes pending changes as a new generation and then the manifest, atomically. With nothing
   * dirty, does nothing and returns the current state.
   * @param opts.buildIndex build/extend and save the HNSW file when the index kind resolves to
   *   'hnsw' (default true); pass false for intermediate checkpoints while embedding
   */
  async commit(opts: { buildIndex?: boolean } = {}): Promise<DenseCommitInfo> {
    const prev = this.options.reset ? undefined : this.manifest;
    const count = this.count;
    const kind = resolveVectorIndexKind(this.options.indexKind, count, this.options.autoThreshold ?? AUTO_HNSW_THRESHOLD);
    const wantAnn = kind === 'hnsw' && opts.buildIndex !== false;
    const annCurrent = prev?.ann !== undefined && prev.ann.size === prev.count;
    if (!this.dirty && (!wantAnn || annCurrent)) {
      return { generation: prev?.generation ?? 0, count, added: 0, removed: 0, compacted: false, indexKind: prev?.ann ? 'hnsw' : 'exact' };
    }
    const generation = (this.manifest?.generation ?? 0) + 1;
    const removed = this.dropped.size;
    const added = this.pendingRows.length;
    const compacted = removed > 0;
    const base = `seg-g${generation}`;
    let segments: SegmentRecord[];
    let nextRow: number;
    let all: ExactIndex | undefined;

    const newSegment = new ExactIndex({ dimension: this.dimension, metric: this.metric, storage: this.storage });
    const keys: Array<[string, string]> = [];
    if (compacted && prev) {
      // Rewrite the surviving rows 0..n−1 in old row order, then the pending ones.
      const old = await loadAllRows(this.denseDir, prev);
      let row = 0;
      for (const id of old.vectors.idList()) {
        if (this.dropped.has(id)) continue;
        newSegment.add([row++], [old.vectors.vector(id)!]);
        keys.push(old.rows.get(id)!);
      }
      nextRow = row;
      segments = [];
    } else {
      nextRow = prev?.nextRow ?? 0;
      segments = prev ? [...prev.segments] : [];
    }
    const firstNewRow = nextRow;
    for (const r of this.pendingRows) {
      newSegment.add([nextRow++], [r.vector]);
      keys.push([r.chunkId, r.hash]);
    }
    if (newSegment.size > 0 || segments.length === 0) {
      const desc = await newSegment.save(this.denseDir, base);
      const keysBytes = Buffer.from(JSON.stringify(keys), 'utf8');
      await writeFileDurable(join(this.denseDir, `${base}.keys.json`), keysBytes);
      await fsyncDir(this.denseDir);
      segments.push({ keys: `${base}.keys.json`, keysCrc32: crc32(keysBytes), vectors: desc });
    }
    if (compacted || !prev) all = newSegment; // then the new segment holds every row

    let ann: VectorIndexDescriptor | undefined;
    if (wantAnn) {
      let hnsw: HnswIndex;
      if (!compacted && prev?.ann && prev.ann.size === prev.count) {
        hnsw = await HnswIndex.load(this.denseDir, prev.ann, this.options.hnsw);
        addRows(hnsw, newSegment, firstNewRow);
      } else {
        all ??= (await loadAllRows(this.denseDir, { ...prev!, segments })).vectors;
        hnsw = new HnswIndex({ dimension: this.dimension, metric: this.metric, storage: this.storage, ...this.options.hnsw });
        addRows(hnsw, all, 0);
      }
      ann = await hnsw.save(this.denseDir, `ann-g${generation}`);
    }

    // Segments written before CRCs get theirs now (read once; the files themselves are kept).
    for (const [i, seg] of segments.entries()) {
      if (seg.keysCrc32 !== undefined && seg.vectors.crc32 !== undefined) continue;
      segments[i] = {
        ...seg,
        keysCrc32: seg.keysCrc32 ?? crc32(await readFile(join(this.denseDir, seg.keys))),
        vectors: { ...seg.vectors, crc32: seg.vectors.crc32 ?? (await Promise.all(seg.vectors.files.map(async (f) => crc32(await readFile(join(this.denseDir, f)))))) },
      };
    }

    const manifest: DenseManifest = {
      formatVersion: DENSE_FORMAT_VERSION,
      generation,
      committedAt: this.now(),
      embedder: this.embedder,
      dimension: this.dimension,
      metric: this.metric,
      storage: this.storage,
      count,
      nextRow,
      segments,
      ...(ann ? { ann } : {}),
    };
    await writeFileDurable(join(this.denseDir, DENSE_MANIFEST), manifestText(manifest));
    await fsyncDir(this.denseDir);

    // Keep the files of this and the previous manifest; delete the rest (older generations, stray temps).
    const keep = new Set([...filesOf(manifest), ...this.previousFiles, DENSE_MANIFEST]);
    for (const name of await readdir(this.denseDir)) {
      if (!keep.has(name) && name !== DENSE_MANIFEST + TMP_SUFFIX) await rm(join(this.denseDir, name), { force: true });
    }
    this.previousFiles = filesOf(manifest);

    // Refresh the in-memory view: after a compaction (or a first commit) row i holds keys[i];
    // after an append the committed rows keep their numbers and the new ones follow.
    this.manifest = manifest;
    this.options.reset = false;
    if (compacted || !prev) {
      this.byChunk.clear();
      keys.forEach(([chunkId, hash], i) => this.byChunk.set(chunkId, [i, hash]));
    } else {
      this.pendingRows.forEach((r, i) => this.byChunk.set(r.chunkId, [firstNewRow + i, r.hash]));
    }
    this.dropped.clear();
    this.pendingRows = [];
    this.pendingByChunk.clear();
    return { generation, count, added, removed, compacted, indexKind: ann ? 'hnsw' : 'exact' };
  }
}

/** Adds the rows of `src` with ids ≥ `fromRow` to `dst`, 1024 at a time. */
function addRows(dst: VectorIndex, src: ExactIndex, fromRow: number): void {
  const ids = [...src.idList()].filter((id) => id >= fromRow);
  for (let i = 0; i < ids.length; i += 1024) {
    const batch = ids.slice(i, i + 1024);
    dst.add(
      batch,
      batch.map((id) => src.vector(id)!),
    );
  }
}

async function readRowIds(denseDir: string, desc: VectorIndexDescriptor): Promise<Uint32Array> {
  let buf: Buffer;
  try {
    buf = await readFile(join(denseDir, desc.files[0]));
  } catch (err) {
    throw new IndexFormatError(`dense file ${join(denseDir, desc.files[0])} cannot be read; rebuild the dense index`, { cause: err });
  }
  if (buf.byteLength !== desc.size * 4) throw new IndexFormatError(`dense file ${join(denseDir, desc.files[0])} has the wrong size; rebuild the dense index`);
  if (desc.crc32?.[0] !== undefined && crc32(buf) !== desc.crc32[0]) {
    throw new IndexFormatError(`dense file ${join(denseDir, desc.files[0])} fails its CRC-32 check; rebuild the dense index (openbook index --embed --force)`);
  }
  const out = new Uint32Array(desc.size);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

function filesOf(m: DenseManifest): Set<string> {
  const s = new Set<string>();
  for (const seg of m.segments) {
    s.add(seg.keys);
    seg.vectors.files.forEach((f) => s.add(f));
  }
  m.ann?.files.forEach((f) => s.add(f));
  return s;
}

/** One dense search result, keyed back to the chunk. */
export interface DenseMatch {
  chunkId: string;
  score: number;
}

export interface DenseIndexReaderOptions {
  /** 'auto' (default): the stored HNSW file when there is one, else exact search. */
  kind?: VectorIndexKind | 'auto';
  /** Search-time HNSW overrides (efSearch = expansionSearch, threads). */
  hnsw?: Partial<HnswIndexOptions>;
}

/**
 * Read side: the committed vectors of `<indexDir>/dense/` behind one `search(vector, topK)`.
 * Loads the HNSW file when present (and not overridden), else all segments into an ExactIndex.
 */
export class DenseIndexReader {
  /** The stored rows as an exact index, for filtered exact search ({@link prepareExact}). */
  private exact: ExactIndex | undefined;
  private exactLoading: Promise<void> | undefined;

  private constructor(
    readonly manifest: DenseManifest,
    readonly index: VectorIndex,
    private readonly chunkIds: Map<number, string>,
    private readonly denseDir: string,
  ) {
    if (index instanceof ExactIndex) this.exact = index;
  }

  get embedder(): string {
    return this.manifest.embedder;
  }
  get dimension(): number {
    return this.manifest.dimension;
  }
  get count(): number {
    return this.manifest.count;
  }

  /**
   * @throws NotFoundError when `indexDir` has no dense vectors (run `openbook index --embed`)
   * @throws IndexFormatError on corrupt or missing files
   */
  static async open(indexDir: string, options: DenseIndexReaderOptions = {}): Promise<DenseIndexReader> {
    const denseDir = join(indexDir, DENSE_DIR);
    const m = await readManifest(denseDir);
    if (!m) {
      throw new NotFoundError(`no dense vectors in ${denseDir}; run \`openbook index --embed\` with an embedding model configured`);
    }
    const kind = options.kind ?? 'auto';
    const chunkIds = new Map<number, string>();
    for (const seg of m.segments) {
      const keys = await readKeys(denseDir, seg, seg.vectors.size);
      const ids = await readRowIds(denseDir, seg.vectors);
      keys.forEach(([chunkId], i) => chunkIds.set(ids[i], chunkId));
    }
    let index: VectorIndex;
    if (m.ann && kind !== 'exact') {
      index = await HnswIndex.load(denseDir, m.ann, options.hnsw);
    } else {
      const { vectors } = await loadAllRows(denseDir, m);
      if (kind === 'hnsw') {
        index = new HnswIndex({ dimension: m.dimension, metric: m.metric, storage: m.storage, ...options.hnsw });
        addRows(index, vectors, 0);
      } else index = vectors;
    }
    return new DenseIndexReader(m, index, chunkIds, denseDir);
  }

  /**
   * The `topK` nearest chunks to `vector`, best first.
   * @throws DimensionMismatchError when the vector's dimension differs from the stored one
   */
  search(vector: Float32Array, topK: number): DenseMatch[] {
    if (vector.length !== this.manifest.dimension) throw new DimensionMismatchError(this.manifest.dimension, vector.length);
    return this.index.search(vector, topK).map((h) => ({ chunkId: this.chunkIds.get(h.id) ?? '', score: h.score })).filter((m) => m.chunkId !== '');
  }

  /**
   * Makes {@link searchAmong} available: over HNSW, loads the stored rows (the segment files, as
   * an exact index: `count × dimension` values of the stored precision more in memory) once; over
   * the exact index, nothing to do.
   * @throws IndexFormatError on corrupt or missing files
   */
  async prepareExact(): Promise<void> {
    if (this.exact) return;
    this.exactLoading ??= loadAllRows(this.denseDir, this.manifest).then((r) => {
      this.exact = r.vectors;
    });
    await this.exactLoading;
  }

  /**
   * Exact top-k among the stored vectors whose chunk id passes `keep`, best first: the fallback for
   * a very selective filter, where a graph search would have to widen past most of the graph
   * (as Weaviate's flatSearchCutoff and Qdrant's full_scan_threshold do). `keep` is called once per
   * stored vector. Undefined over HNSW until {@link prepareExact} has run.
   * @throws DimensionMismatchError when the vector's dimension differs from the stored one
   */
  searchAmong(vector: Float32Array, keep: (chunkId: string) => boolean, topK: number): DenseMatch[] | undefined {
    if (vector.length !== this.manifest.dimension) throw new DimensionMismatchError(this.manifest.dimension, vector.length);
    if (!this.exact) return undefined;
    const rows: number[] = [];
    for (const [row, chunkId] of this.chunkIds) if (keep(chunkId)) rows.push(row);
    return this.exact.searchIds(vector, rows, topK).map((h) => ({ chunkId: this.chunkIds.get(h.id) ?? '', score: h.score }));
  }
}
