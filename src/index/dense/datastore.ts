/**
 * The kNN-LM datastore (Khandelwal et al., "Generalization through Memorization: Nearest
 * Neighbor Language Models", ICLR 2020, §2): one (key, value) pair per token position of a
 * corpus, key = the LM's final-layer representation of the context before the token, value =
 * the token id. Keys live in openbook's dense index with the squared-L2 metric the paper uses
 * (scores are −‖q − k‖², so the distance is −score).
 *
 * Layout of the datastore folder (every file temp → fsync → rename; the manifest last):
 *   knnlm-manifest.json      format version, model id, dimension, files done, segments
 *   seg-<n>.ids.u32 / .vectors.f32   the keys of segment n (ExactIndex format, ids = global rows)
 *   seg-<n>.values.i32       next-token id per row of segment n
 *   seg-<n>.positions.u32    (file number, token position) per row, for traces
 * One segment per corpus file, committed as soon as the file is done, so an interrupted build
 * resumes at the first file not in the manifest (files whose SHA-256 changed are an error: build
 * into a new folder). The search index is exact, or HNSW (usearch) built in memory at open.
 *
 * Two kinds of keys (`keys` in the manifest):
 *   'hidden-state' (the paper): the local model's final hidden state; values are its token ids.
 *   'embedder' (an approximation for API models, which expose no hidden states): the embedding,
 *     by the configured embedder, of the last `keyWords` words before the token; values index
 *     `vocabulary`, the server's tokens by identity (`tokenKey`: bytes when reported, else text).
 *     The vocabulary lives in the manifest, so it commits atomically with the segments.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexFormatError, InvalidParameterError } from '../../core/errors.js';
import { fsyncDir, manifestText, readJsonManifest, writeFileDurable } from '../store/atomic-file.js';
import { ExactIndex } from './exact.js';
import { HnswIndex } from './hnsw.js';
import type { VectorIndex, VectorIndexDescriptor, VectorIndexKind } from './types.js';

export const KNN_DATASTORE_MANIFEST = 'knnlm-manifest.json';
export const KNN_DATASTORE_FORMAT = 1;

export interface KnnDatastoreManifest {
  formatVersion: number;
  /** `id` of the model whose hidden states are the keys. */
  model: string;
  /** Key dimension (the model's hidden size). */
  dimension: number;
  /** Rows over all segments. */
  count: number;
  /** Window settings the keys were computed with (tokens). */
  context: number;
  stride: number;
  files: Array<{ source: string; sha256: string; tokens: number; rows: number }>;
  /** What the keys are (module comment); absent in datastores written before it was recorded = 'hidden-state'. */
  keys?: 'hidden-state' | 'embedder';
  /** With 'embedder' keys: the embedder's id and the words of context each key embeds. */
  embedder?: string;
  keyWords?: number;
  /** With 'embedder' keys: value → token identity (`tokenKey` of methods/prob.ts). */
  vocabulary?: string[];
  segments: Array<{ vectors: VectorIndexDescriptor; values: string; positions: string; rows: number; firstRow: number }>;
}

/** One neighbour: its distance (squared L2), next-token id and where it came from. */
export interface KnnNeighbor {
  row: number;
  distance: number;
  value: number;
  source: string;
  position: number;
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Appends segments to a datastore folder; see the module comment. One writer at a time. */
export class KnnDatastoreWriter {
  private constructor(
    private readonly dir: string,
    readonly manifest: KnnDatastoreManifest,
  ) {}

  /**
   * Opens (or starts) the datastore in `dir`.
   * @throws InvalidParameterError when the stored model or dimension differs
   */
  static async open(
    dir: string,
    init: { model: string; dimension: number; context: number; stride: number; keys?: 'hidden-state' | 'embedder'; embedder?: string; keyWords?: number },
  ): Promise<KnnDatastoreWriter> {
    await mkdir(dir, { recursive: true });
    const stored = await readManifest(dir);
    const keys = init.keys ?? 'hidden-state';
    if (stored) {
      const storedKeys = stored.keys ?? 'hidden-state';
      if (stored.model !== init.model || stored.dimension !== init.dimension || storedKeys !== keys || stored.embedder !== init.embedder) {
        const what = (m: string, d: number, k: string, e?: string) => `${m} (dimension ${d}, ${k} keys${e ? ` from ${e}` : ''})`;
        throw new InvalidParameterError(`${dir} holds a datastore of ${what(stored.model, stored.dimension, storedKeys, stored.embedder)}; build into another folder for ${what(init.model, init.dimension, keys, init.embedder)}`);
      }
      return new KnnDatastoreWriter(dir, stored);
    }
    const manifest: KnnDatastoreManifest = { formatVersion: KNN_DATASTORE_FORMAT, ...init, keys, count: 0, files: [], segments: [] };
    if (keys === 'embedder') manifest.vocabulary = [];
    return new KnnDatastoreWriter(dir, manifest);
  }

  private vocabIndex?: Map<string, number>;

  /**
   * The value id of a token identity in an 'embedder' datastore, added to the vocabulary when
   * new (committed with the next `addFile`).
   * @throws InvalidParameterError for a 'hidden-state' datastore (its values are the model's ids)
   */
  tokenId(key: string): number {
    const vocab = this.manifest.vocabulary;
    if (!vocab) throw new InvalidParameterError('KnnDatastoreWriter.tokenId: only datastores with embedder keys have a vocabulary');
    if (!this.vocabIndex) this.vocabIndex = new Map(vocab.map((k, i) => [k, i]));
    let id = this.vocabIndex.get(key);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(key);
      this.vocabIndex.set(key, id);
    }
    return id;
  }

  /** The committed record of `source`, if it is done. */
  done(source: string): KnnDatastoreManifest['files'][number] | undefined {
    return this.manifest.files.find((f) => f.source === source);
  }

  /**
   * Commits one file's rows as a new segment, then the manifest (atomic: a crash before the
   * manifest leaves only unreferenced files).
   * @param keys row-major rows × dimension; values and positions one per row
   */
  async addFile(file: { source: string; sha256: string; tokens: number }, keys: Float32Array, values: Int32Array, positions: Uint32Array): Promise<void> {
    const rows = values.length;
    const d = this.manifest.dimension;
    if (keys.length !== rows * d || positions.length !== rows) throw new InvalidParameterError('KnnDatastoreWriter.addFile: keys, values and positions disagree in length');
    const n = this.manifest.segments.length;
    const firstRow = this.manifest.count;
    const index = new ExactIndex({ dimension: d, metric: 'l2' });
    const rowIds = Uint32Array.from({ length: rows }, (_, i) => firstRow + i);
    if (rows > 0) index.add(rowIds, keys);
    const base = `seg-${n}`;
    const vectors = await index.save(this.dir, base);
    const fileNo = this.manifest.files.length;
    const pos = new Uint32Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      pos[2 * i] = fileNo;
      pos[2 * i + 1] = positions[i];
    }
    await writeFileDurable(join(this.dir, `${base}.values.i32`), bytes(values));
    await writeFileDurable(join(this.dir, `${base}.positions.u32`), bytes(pos));
    this.manifest.segments.push({ vectors, values: `${base}.values.i32`, positions: `${base}.positions.u32`, rows, firstRow });
    this.manifest.files.push({ ...file, rows });
    this.manifest.count += rows;
    await writeFileDurable(join(this.dir, KNN_DATASTORE_MANIFEST), manifestText(this.manifest));
    await fsyncDir(this.dir);
  }
}

async function readManifest(dir: string): Promise<KnnDatastoreManifest | null> {
  const r = await readJsonManifest<KnnDatastoreManifest>(
    join(dir, KNN_DATASTORE_MANIFEST),
    (v) => {
      const m = v as Partial<KnnDatastoreManifest>;
      if (m.formatVersion !== KNN_DATASTORE_FORMAT) return `format version ${String(m.formatVersion)} (this openbook reads ${KNN_DATASTORE_FORMAT})`;
      if (typeof m.model !== 'string' || typeof m.dimension !== 'number' || !Array.isArray(m.segments) || !Array.isArray(m.files)) return 'missing fields';
      if (m.keys === 'embedder' && (!Array.isArray(m.vocabulary) || typeof m.embedder !== 'string')) return 'embedder keys without a vocabulary or embedder id';
      return null;
    },
    'rebuild it with `openbook knnlm build`',
  );
  return r?.value ?? null;
}

/** A datastore opened for search. */
export class KnnDatastore {
  private constructor(
    readonly manifest: KnnDatastoreManifest,
    private readonly index: VectorIndex,
    private readonly values: Int32Array,
    private readonly positions: Uint32Array,
  ) {}

  get size(): number {
    return this.manifest.count;
  }

  /**
   * Opens the datastore in `dir`.
   * @param kind 'exact' (default) or 'hnsw' (approximate; built in memory from the stored keys)
   * @throws IndexFormatError when there is no datastore or a file is damaged
   */
  static async open(dir: string, kind: VectorIndexKind = 'exact'): Promise<KnnDatastore> {
    if (!existsSync(join(dir, KNN_DATASTORE_MANIFEST))) throw new IndexFormatError(`${dir} holds no kNN-LM datastore (no ${KNN_DATASTORE_MANIFEST}); build one with \`openbook knnlm build\``);
    const m = (await readManifest(dir))!;
    const values = new Int32Array(m.count);
    const positions = new Uint32Array(m.count * 2);
    const exact = new ExactIndex({ dimension: m.dimension, metric: 'l2' });
    for (const seg of m.segments) {
      const v = new Int32Array((await readFile(join(dir, seg.values))).buffer.slice(0));
      const p = new Uint32Array((await readFile(join(dir, seg.positions))).buffer.slice(0));
      if (v.length !== seg.rows || p.length !== seg.rows * 2) throw new IndexFormatError(`${join(dir, seg.values)}: ${v.length} rows, the manifest says ${seg.rows}; rebuild the datastore`);
      values.set(v, seg.firstRow);
      positions.set(p, seg.firstRow * 2);
      if (seg.rows === 0) continue;
      const part = await ExactIndex.load(dir, seg.vectors);
      // Re-add into one index: search then scans one matrix.
      const rows = Uint32Array.from({ length: seg.rows }, (_, i) => seg.firstRow + i);
      const keys = new Float32Array(seg.rows * m.dimension);
      for (let i = 0; i < seg.rows; i++) keys.set(part.vector(rows[i])!, i * m.dimension);
      exact.add(rows, keys);
    }
    let index: VectorIndex = exact;
    if (kind === 'hnsw' && m.count > 0) {
      const h = new HnswIndex({ dimension: m.dimension, metric: 'l2' });
      const all = Uint32Array.from({ length: m.count }, (_, i) => i);
      const keys = new Float32Array(m.count * m.dimension);
      for (let i = 0; i < m.count; i++) keys.set(exact.vector(i)!, i * m.dimension);
      h.add(all, keys);
      index = h;
    }
    return new KnnDatastore(m, index, values, positions);
  }

  /** Whether the keys are embeddings of the context text (the API approximation) rather than the model's hidden states. */
  get embedderKeys(): boolean {
    return this.manifest.keys === 'embedder';
  }

  /** A value's token identity (`tokenKey`) in an 'embedder' datastore; undefined otherwise. */
  valueKey(value: number): string | undefined {
    return this.manifest.vocabulary?.[value];
  }

  /** The `k` nearest keys of `query` (squared L2, nearest first). */
  search(query: Float32Array, k: number): KnnNeighbor[] {
    if (this.size === 0) return [];
    return this.index.search(query, Math.min(k, this.size)).map((h) => ({
      row: h.id,
      distance: -h.score,
      value: this.values[h.id],
      source: this.manifest.files[this.positions[2 * h.id]]?.source ?? '',
      position: this.positions[2 * h.id + 1],
    }));
  }
}
