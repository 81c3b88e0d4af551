/**
 * The single writer of an index directory: add, replace and remove documents in memory, then
 * `commit()` a new generation atomically.
 *
 * Commit protocol (crash-safe at every instant, including `kill -9`):
 *  1. write the new generation's five files under new names (`g<gen+1>.*`), each through
 *     write-temp → fsync → rename, then fsync the directory;
 *  2. write `manifest.json.tmp`, fsync, rename over `manifest.json`, fsync the directory —
 *     the rename is the commit point;
 *  3. delete the files of generations older than the previous one (the previous one stays, so a
 *     reader that has just read the old manifest can still open its files).
 * Files the current manifest names are never overwritten. Leftovers of an interrupted commit
 * (`*.tmp`, generations newer than the manifest) are removed when the next writer opens.
 *
 * Each commit rewrites the whole index from the writer's in-memory copy (documents, texts and a
 * forward index of term ids and frequencies per chunk), which is loaded from the last commit at
 * open. That keeps the format simple and every commit self-contained.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analyzer } from '../../analysis/analyzer.js';
import { getAnalyzer } from '../../analysis/registry.js';
import { InvalidParameterError } from '../../core/errors.js';
import type { Chunk, Document } from '../../core/types.js';
import { uintArrayFor, type PostingsCsr } from '../sparse/postings.js';
import { fsyncDir, TMP_SUFFIX, writeFileDurable } from './atomic-file.js';
import {
  checksum,
  decodeTextBlock,
  emptyChunkColumns,
  encodeGeneration,
  FILE_ROLES,
  FORMAT_VERSION,
  generationFileName,
  generationOfFile,
  MANIFEST_FILE,
  type DocumentRecord,
  type FileEntry,
  type FileRole,
  type IndexConfig,
  type Manifest,
} from './format.js';
import { acquireWriteLock, type WriteLock } from './lock.js';
import { loadGeneration } from './load.js';

/** What `commit()` reports. */
export interface CommitInfo {
  /** False when nothing was dirty and nothing was written. */
  changed: boolean;
  /** The generation now committed. */
  generation: number;
  /** ms since the epoch (the writer's clock). */
  committedAt: number;
  numDocuments: number;
  numChunks: number;
  numTerms: number;
  numPostings: number;
  /** Bytes written by this commit (0 when unchanged). */
  bytesWritten: number;
}

export interface WriterDeps {
  /** Clock, ms since the epoch (commit timestamps and the lock file). */
  now: () => number;
  /** The analyzer to use; by default `getAnalyzer(config.analyzer)`. Its name must equal the index's analyzer. */
  analyzer?: Analyzer;
}

interface ChunkEntry {
  ordinal: number;
  startChar: number;
  endChar: number;
  startLine: number;
  endLine: number;
  page: number;
  headingPath: string[];
  /** Writer-local term ids, distinct, and their frequencies in the chunk. */
  termIds: Uint32Array;
  termFreqs: Uint32Array;
  docLen: number;
}

interface DocEntry {
  record: DocumentRecord;
  text: string;
  chunks: ChunkEntry[];
}

function toRecord(doc: Document): DocumentRecord {
  const rec: Partial<Document> = { ...doc };
  delete rec.text;
  return rec as DocumentRecord;
}

/** Deterministic JSON of a record for equality checks (key order as produced by toRecord). */
const recordKey = (r: DocumentRecord): string => JSON.stringify(r);

export class IndexWriter {
  private readonly docs = new Map<string, DocEntry>();
  private readonly termIndex = new Map<string, number>();
  private readonly termList: string[] = [];
  private generation: number;
  private committedAt: number;
  private isDirty: boolean;
  private closed = false;

  private constructor(
    readonly dir: string,
    /** The index's configuration: the stored one for an existing index (with `luceneNorms` from the caller). */
    readonly config: IndexConfig,
    private readonly analyzer: Analyzer,
    private readonly lock: WriteLock,
    private readonly deps: WriterDeps,
    generation: number,
    committedAt: number,
  ) {
    this.generation = generation;
    this.committedAt = committedAt;
    this.isDirty = generation === 0; // a new index commits once even when empty
  }

  /**
   * Opens (creating if absent) the index in `dir`, takes the single-writer lock and loads the last
   * commit. `config` applies to a new index; an existing index keeps its chunking settings
   * (read them from `writer.config`) and takes `luceneNorms` from `config`.
   * @throws IndexLockedError naming the holder when another live process has the lock (a stale lock of a dead pid is taken over)
   * @throws InvalidParameterError when `config.analyzer` differs from the existing index's ("rebuild with --force"), or the given analyzer's name differs
   * @throws IndexFormatError when the existing index is corrupt or newer
   */
  static async open(dir: string, config: IndexConfig, deps: WriterDeps): Promise<IndexWriter> {
    await mkdir(dir, { recursive: true });
    const lock = await acquireWriteLock(dir, deps.now);
    try {
      let loaded: Awaited<ReturnType<typeof loadGeneration>> | null = null;
      try {
        loaded = await loadGeneration(dir);
      } catch (err) {
        if ((err as { code?: string }).code !== 'INDEX_NOT_FOUND') throw err;
      }
      let effective: IndexConfig = { ...config };
      if (loaded) {
        const stored = loaded.manifest.config;
        if (stored.analyzer !== config.analyzer) {
          throw new InvalidParameterError(
            `index ${dir} was built with analyzer "${stored.analyzer}", not "${config.analyzer}"; rebuild with --force to change it`,
          );
        }
        effective = { ...stored, luceneNorms: config.luceneNorms };
      }
      const analyzer = deps.analyzer ?? getAnalyzer(effective.analyzer);
      if (analyzer.name !== effective.analyzer) {
        throw new InvalidParameterError(`analyzer "${analyzer.name}" given for index ${dir}, which uses "${effective.analyzer}"`);
      }
      const writer = new IndexWriter(dir, effective, analyzer, lock, deps, loaded?.manifest.generation ?? 0, loaded?.manifest.committedAt ?? 0);
      if (loaded) {
        writer.restore(loaded.data);
        if (loaded.manifest.config.luceneNorms !== config.luceneNorms) writer.isDirty = true;
      }
      await writer.removeLeftovers();
      return writer;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** True when there is anything to commit. */
  get dirty(): boolean {
    return this.isDirty;
  }

  /** The document's record (without text), or undefined. */
  getDocument(docId: string): DocumentRecord | undefined {
    return this.docs.get(docId)?.record;
  }

  /** Ids of all documents, in index order. */
  documentIds(): Iterable<string> {
    return this.docs.keys();
  }

  /**
   * Adds `doc` with its `chunks`, or replaces the document with the same id (a replaced document
   * moves to the end of the index order, as a Lucene update does). Each chunk's text is analysed
   * with the index's analyzer. Re-adding an identical document (same contentHash and metadata) is
   * a no-op; same contentHash with changed metadata updates the record only.
   * @throws InvalidParameterError when a chunk does not belong to `doc`: wrong docId, ordinal ≠ position,
   *   id ≠ `${docId}#${ordinal}`, or text ≠ `doc.text.slice(startChar, endChar)`
   */
  addDocument(doc: Document, chunks: Chunk[]): void {
    this.assertOpen();
    const old = this.docs.get(doc.id);
    const record = toRecord(doc);
    if (old && old.record.contentHash === doc.contentHash && old.text === doc.text) {
      if (recordKey(old.record) !== recordKey(record)) {
        old.record = record;
        this.isDirty = true;
      }
      return;
    }
    const entries: ChunkEntry[] = [];
    chunks.forEach((ch, i) => {
      const where = `chunk ${i} of document ${JSON.stringify(doc.id)}`;
      if (ch.docId !== doc.id) throw new InvalidParameterError(`${where} has docId ${JSON.stringify(ch.docId)}`);
      if (ch.ordinal !== i) throw new InvalidParameterError(`${where} has ordinal ${ch.ordinal}; chunks must be given in order`);
      if (ch.id !== `${doc.id}#${i}`) throw new InvalidParameterError(`${where} has id ${JSON.stringify(ch.id)}, expected "${doc.id}#${i}"`);
      if (!(ch.startChar >= 0 && ch.startChar <= ch.endChar && ch.endChar <= doc.text.length) || doc.text.slice(ch.startChar, ch.endChar) !== ch.text) {
        throw new InvalidParameterError(`${where}: text is not document.text.slice(${ch.startChar}, ${ch.endChar})`);
      }
      entries.push(this.analyzeChunk(ch));
    });
    if (old) this.docs.delete(doc.id);
    this.docs.set(doc.id, { record, text: doc.text, chunks: entries });
    this.isDirty = true;
  }

  /** Removes a document and its chunks; false when there was none. */
  removeDocument(docId: string): boolean {
    this.assertOpen();
    const had = this.docs.delete(docId);
    if (had) this.isDirty = true;
    return had;
  }

  /**
   * Commits the current state as a new generation (protocol in the module doc). Does nothing
   * and returns `changed: false` when nothing is dirty.
   */
  async commit(): Promise<CommitInfo> {
    this.assertOpen();
    if (!this.isDirty) {
      return { changed: false, generation: this.generation, committedAt: this.committedAt, ...this.currentCounts(), bytesWritten: 0 };
    }
    const input = this.buildGeneration();
    const { files, counts } = encodeGeneration(input);
    const gen = this.generation + 1;
    const entries = {} as Record<FileRole, FileEntry>;
    let bytesWritten = 0;
    for (const role of FILE_ROLES) {
      const name = generationFileName(gen, role);
      await writeFileDurable(join(this.dir, name), files[role]);
      entries[role] = { name, bytes: files[role].length, crc32: checksum(files[role]) };
      bytesWritten += files[role].length;
    }
    await fsyncDir(this.dir);
    const committedAt = this.deps.now();
    const manifest: Manifest = { formatVersion: FORMAT_VERSION, generation: gen, committedAt, config: this.config, counts, files: entries };
    const manifestText = JSON.stringify(manifest, null, 2) + '\n';
    await writeFileDurable(join(this.dir, MANIFEST_FILE), manifestText);
    await fsyncDir(this.dir);
    bytesWritten += Buffer.byteLength(manifestText);
    this.generation = gen;
    this.committedAt = committedAt;
    this.isDirty = false;
    await this.deleteGenerationsBelow(gen - 1);
    return {
      changed: true,
      generation: gen,
      committedAt,
      numDocuments: counts.numDocuments,
      numChunks: counts.numChunks,
      numTerms: counts.numTerms,
      numPostings: counts.numPostings,
      bytesWritten,
    };
  }

  /** Releases the lock without committing. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.release();
  }

  // ------------------------------------------------------------------ internals

  private assertOpen(): void {
    if (this.closed) throw new InvalidParameterError(`the writer of ${this.dir} is closed`);
  }

  private termIdOf(term: string): number {
    let id = this.termIndex.get(term);
    if (id === undefined) {
      id = this.termList.length;
      this.termList.push(term);
      this.termIndex.set(term, id);
    }
    return id;
  }

  private analyzeChunk(ch: Chunk): ChunkEntry {
    const terms = this.analyzer.analyze(ch.text);
    const tf = new Map<number, number>();
    for (const t of terms) {
      const id = this.termIdOf(t);
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    const termIds = new Uint32Array(tf.size);
    const termFreqs = new Uint32Array(tf.size);
    let i = 0;
    for (const [id, f] of tf) {
      termIds[i] = id;
      termFreqs[i++] = f;
    }
    return {
      ordinal: ch.ordinal,
      startChar: ch.startChar,
      endChar: ch.endChar,
      startLine: ch.startLine,
      endLine: ch.endLine,
      page: ch.page ?? 0,
      headingPath: ch.headingPath,
      termIds,
      termFreqs,
      docLen: terms.length,
    };
  }

  private currentCounts(): { numDocuments: number; numChunks: number; numTerms: number; numPostings: number } {
    let numChunks = 0;
    let numPostings = 0;
    const live = new Uint8Array(this.termList.length);
    let numTerms = 0;
    for (const d of this.docs.values()) {
      numChunks += d.chunks.length;
      for (const c of d.chunks) {
        numPostings += c.termIds.length;
        for (const id of c.termIds) {
          if (live[id] === 0) {
            live[id] = 1;
            numTerms++;
          }
        }
      }
    }
    return { numDocuments: this.docs.size, numChunks, numTerms, numPostings };
  }

  /** Builds sorted term dictionary, CSR postings and chunk columns from the in-memory state. */
  private buildGeneration() {
    const docList = [...this.docs.values()];
    let numChunks = 0;
    for (const d of docList) numChunks += d.chunks.length;
    const cols = emptyChunkColumns(numChunks);
    const headingPaths: string[][] = [];
    const headingIds = new Map<string, number>();
    const docFreq = new Uint32Array(this.termList.length);
    let c = 0;
    docList.forEach((d, di) => {
      for (const ch of d.chunks) {
        cols.docIndex[c] = di;
        cols.ordinal[c] = ch.ordinal;
        cols.startChar[c] = ch.startChar;
        cols.endChar[c] = ch.endChar;
        cols.startLine[c] = ch.startLine;
        cols.endLine[c] = ch.endLine;
        cols.page[c] = ch.page;
        cols.docLen[c] = ch.docLen;
        const key = JSON.stringify(ch.headingPath);
        let hid = headingIds.get(key);
        if (hid === undefined) {
          hid = headingPaths.length;
          headingPaths.push(ch.headingPath);
          headingIds.set(key, hid);
        }
        cols.headingPathId[c] = hid;
        for (const id of ch.termIds) docFreq[id]++;
        c++;
      }
    });
    // Live terms sorted by UTF-16 code units (the order binary search in the reader uses).
    const liveIds: number[] = [];
    for (let id = 0; id < docFreq.length; id++) if (docFreq[id] > 0) liveIds.push(id);
    const list = this.termList;
    liveIds.sort((a, b) => (list[a] < list[b] ? -1 : list[a] > list[b] ? 1 : 0));
    const newId = new Int32Array(this.termList.length).fill(-1);
    const offsets = new Uint32Array(liveIds.length + 1);
    let numPostings = 0;
    let maxTf = 0;
    liveIds.forEach((id, t) => {
      newId[id] = t;
      offsets[t] = numPostings;
      numPostings += docFreq[id];
    });
    offsets[liveIds.length] = numPostings;
    const cursor = offsets.slice(0, liveIds.length);
    const chunkIds = uintArrayFor(Math.max(0, numChunks - 1), numPostings);
    const freqs = new Uint32Array(numPostings);
    c = 0;
    for (const d of docList) {
      for (const ch of d.chunks) {
        for (let i = 0; i < ch.termIds.length; i++) {
          const t = newId[ch.termIds[i]];
          const p = cursor[t]++;
          chunkIds[p] = c; // chunks visited in ascending order: postings come out sorted
          freqs[p] = ch.termFreqs[i];
          if (ch.termFreqs[i] > maxTf) maxTf = ch.termFreqs[i];
        }
        c++;
      }
    }
    const termFreqs = uintArrayFor(maxTf, numPostings);
    termFreqs.set(freqs);
    const postings: PostingsCsr = { offsets, chunkIds, termFreqs };
    return {
      documents: docList.map((d) => d.record),
      documentTexts: docList.map((d) => d.text),
      headingPaths,
      chunks: cols,
      terms: liveIds.map((id) => list[id]),
      postings,
    };
  }

  /** Rebuilds the in-memory state (texts, forward index) from a loaded generation. */
  private restore(g: Awaited<ReturnType<typeof loadGeneration>>['data']): void {
    const numChunks = g.chunks.docIndex.length;
    // terms keep their dictionary ids as writer ids
    for (const t of g.terms) this.termIdOf(t);
    // invert postings into per-chunk lists
    const distinct = new Uint32Array(numChunks);
    const { offsets, chunkIds, termFreqs } = g.postings;
    for (let p = 0; p < chunkIds.length; p++) distinct[chunkIds[p]]++;
    const ids: Uint32Array[] = [];
    const tfs: Uint32Array[] = [];
    for (let c = 0; c < numChunks; c++) {
      ids.push(new Uint32Array(distinct[c]));
      tfs.push(new Uint32Array(distinct[c]));
    }
    const fill = new Uint32Array(numChunks);
    for (let t = 0; t < g.terms.length; t++) {
      for (let p = offsets[t]; p < offsets[t + 1]; p++) {
        const c = chunkIds[p];
        ids[c][fill[c]] = t;
        tfs[c][fill[c]++] = termFreqs[p];
      }
    }
    const blockCache = new Map<number, string>();
    const textOf = (di: number): string => {
      const b = g.textLayout.docBlock[di];
      let s = blockCache.get(b);
      if (s === undefined) {
        blockCache.clear();
        s = decodeTextBlock(g, b);
        blockCache.set(b, s);
      }
      return s.slice(g.textLayout.docStart[di], g.textLayout.docEnd[di]);
    };
    const entries: DocEntry[] = g.documents.map((record, di) => ({ record, text: textOf(di), chunks: [] }));
    for (let c = 0; c < numChunks; c++) {
      const cols = g.chunks;
      entries[cols.docIndex[c]].chunks.push({
        ordinal: cols.ordinal[c],
        startChar: cols.startChar[c],
        endChar: cols.endChar[c],
        startLine: cols.startLine[c],
        endLine: cols.endLine[c],
        page: cols.page[c],
        headingPath: g.headingPaths[cols.headingPathId[c]],
        termIds: ids[c],
        termFreqs: tfs[c],
        docLen: cols.docLen[c],
      });
    }
    for (const e of entries) this.docs.set(e.record.id, e);
  }

  /** Removes `*.tmp` files and generation files other than the current and the previous one. */
  private async removeLeftovers(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const gen = generationOfFile(name);
      const stray = (name.endsWith(TMP_SUFFIX) && !name.startsWith('write.lock')) || (gen !== null && (gen > this.generation || gen < this.generation - 1));
      if (stray) await unlink(join(this.dir, name)).catch(ignoreMissing);
    }
  }

  private async deleteGenerationsBelow(keepFrom: number): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const gen = generationOfFile(name);
      if (gen !== null && gen < keepFrom) await unlink(join(this.dir, name)).catch(ignoreMissing);
    }
  }
}

/** A file already gone (e.g. removed by a concurrent cleanup) is fine; anything else is rethrown. */
function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
