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
import { IndexFormatError, InvalidParameterError } from '../../core/errors.js';
import type { Chunk, Document } from '../../core/types.js';
import { uintArrayFor, type PostingsCsr } from '../sparse/postings.js';
import { fsyncDir, manifestText as manifestTextOf, TMP_SUFFIX, writeFileDurable } from './atomic-file.js';
import {
  checksum,
  chunkAnalysisText,
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
import { AnalysisPool } from './analysis-pool.js';
import { acquireWriteLock, type WriteLock } from './lock.js';
import { loadGeneration } from './load.js';
import { ChunkTermCounter, TermDictionary, type CountedChunks } from './term-counter.js';

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
  /**
   * Threads `addDocuments` analyses chunks on (default 1: the writer's own thread, no workers).
   * With more, that many worker threads each run the registry analyzer of the index, started on
   * the first call with more than one batch of text (~512K characters); a custom `analyzer`
   * instance always runs on the writer's thread. The index built is the same either way.
   */
  threads?: number;
}

interface ChunkEntry {
  ordinal: number;
  startChar: number;
  endChar: number;
  startLine: number;
  endLine: number;
  page: number;
  headingPath: string[];
  /**
   * The chunk's distinct writer term ids are `ids[start .. end)` with frequencies `tfs[start .. end)`;
   * the arrays may be shared with the other chunks analysed in the same batch.
   */
  ids: Uint32Array;
  tfs: Uint32Array;
  start: number;
  end: number;
  docLen: number;
}

interface DocEntry {
  record: DocumentRecord;
  text: string;
  chunks: ChunkEntry[];
}

/** A document validated by `addDocuments`, waiting for its chunks' analysis. */
interface PreparedDoc {
  doc: Document;
  record: DocumentRecord;
  chunks: Chunk[];
}

/** One document and its chunks, as `addDocument` takes them. */
export interface DocumentWithChunks {
  doc: Document;
  chunks: Chunk[];
}

/**
 * `addDocuments` sends chunk texts to the analysis workers in batches of about this many
 * characters (and ≥ 1 chunk): large enough that message passing is a small part of the cost,
 * small enough that several batches per worker keep both cores busy.
 */
const BATCH_CHARS = 1 << 19;

/** The document without its text. A rest copy, not `delete`: deleting a property turns the object into a slower, larger dictionary-mode object, one per document. */
function toRecord(doc: Document): DocumentRecord {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { text, ...record } = doc;
  return record;
}

/** Deterministic JSON of a record for equality checks (key order as produced by toRecord). */
const recordKey = (r: DocumentRecord): string => JSON.stringify(r);

export class IndexWriter {
  private readonly docs = new Map<string, DocEntry>();
  private readonly dict = new TermDictionary();
  private readonly counter: ChunkTermCounter;
  private pool: AnalysisPool | null = null;
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
    this.counter = new ChunkTermCounter(analyzer, this.dict);
  }

  /**
   * Opens (creating if absent) the index in `dir`, takes the single-writer lock and loads the last
   * commit. `config` applies to a new index; an existing index keeps its chunking settings and
   * `titleTerms` (read them from `writer.config`) and takes `luceneNorms` from `config`.
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
        // No commit point, but generation files: the manifest was lost. Starting over would
        // delete them as leftovers (removeLeftovers); refuse instead, and keep everything.
        const gens = (await readdir(dir)).map(generationOfFile).filter((g): g is number => g !== null);
        if (gens.length > 0) {
          const last = String(Math.max(...gens)).padStart(8, '0');
          throw new IndexFormatError(
            `index ${dir} has generation files (g${last}.* …) but no ${MANIFEST_FILE}; nothing was deleted. Restore ${MANIFEST_FILE}, or move the folder away and index again`,
          );
        }
      }
      let effective: IndexConfig = { ...config, titleTerms: config.titleTerms === true };
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
   * moves to the end of the index order, as a Lucene update does). Each chunk's text — with the
   * document's title before it when the index has `titleTerms` ({@link chunkAnalysisText}) — is
   * analysed with the index's analyzer. Re-adding an identical document (same contentHash, text
   * and, with `titleTerms`, title) is a no-op; changed metadata alone updates the record only.
   * @throws InvalidParameterError when a chunk does not belong to `doc`: wrong docId, ordinal ≠ position,
   *   id ≠ `${docId}#${ordinal}`, or text ≠ `doc.text.slice(startChar, endChar)`
   */
  addDocument(doc: Document, chunks: Chunk[]): void {
    this.assertOpen();
    const prep = this.prepare(doc, chunks, this.docs.get(doc.id));
    if (prep === null) return;
    this.apply(prep, this.counter.countAll(chunks.map((c) => chunkAnalysisText(doc.title, c.text, this.config.titleTerms))), 0);
  }

  /**
   * Adds or replaces many documents: the same result, in the same index order, as calling
   * {@link addDocument} for each in turn, with chunk analysis spread over `deps.threads` worker
   * threads (see {@link WriterDeps.threads}). Resolves when every document is in; on an invalid
   * document it rejects with addDocument's error after adding the documents before it.
   * @param onProgress called with the number of documents added so far by this call
   * @throws InvalidParameterError as addDocument; Error when an analysis worker fails (documents
   *   not yet added are then not added)
   */
  async addDocuments(items: Iterable<DocumentWithChunks>, onProgress?: (added: number) => void): Promise<void> {
    this.assertOpen();
    const threads = this.deps.analyzer === undefined ? (this.deps.threads ?? 1) : 1;
    let added = 0;
    if (threads <= 1) {
      for (const { doc, chunks } of items) {
        this.addDocument(doc, chunks);
        onProgress?.(++added);
      }
      return;
    }
    const queue: Array<{ docs: PreparedDoc[]; counted: Promise<CountedChunks> }> = [];
    // Documents validated in this call but not applied yet: the newest of each id, for the no-op check.
    const waiting = new Map<string, PreparedDoc>();
    let docs: PreparedDoc[] = [];
    let texts: string[] = [];
    let chars = 0;
    const send = () => {
      const pool = (this.pool ??= new AnalysisPool(this.config.analyzer, threads, (t) => this.dict.idOf(t)));
      queue.push({ docs, counted: pool.analyze(texts) });
      docs = [];
      texts = [];
      chars = 0;
    };
    const applyOldest = async () => {
      const b = queue.shift()!;
      const counted = await b.counted;
      let chunk = 0;
      for (const d of b.docs) {
        this.apply(d, counted, chunk);
        chunk += d.chunks.length;
        if (waiting.get(d.doc.id) === d) waiting.delete(d.doc.id);
        onProgress?.(++added);
      }
    };
    try {
      for (const { doc, chunks } of items) {
        const newer = waiting.get(doc.id);
        const prep = this.prepare(doc, chunks, newer === undefined ? this.docs.get(doc.id) : { record: newer.record, text: newer.doc.text }, newer);
        if (prep === null) continue;
        waiting.set(doc.id, prep);
        docs.push(prep);
        for (const c of chunks) {
          texts.push(chunkAnalysisText(doc.title, c.text, this.config.titleTerms));
          chars += c.text.length;
        }
        if (chars >= BATCH_CHARS) {
          send();
          while (queue.length >= 2 * threads) await applyOldest();
        }
      }
    } finally {
      // The last, partial batch — also when a later document was invalid: everything before it
      // goes in. Less than one batch in all (no workers yet) is counted on this thread.
      if (docs.length > 0) {
        if (this.pool === null && queue.length === 0) queue.push({ docs, counted: Promise.resolve(this.counter.countAll(texts)) });
        else send();
      }
      while (queue.length > 0) await applyOldest();
    }
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
    // With analysis workers, they deflate the texts while this thread encodes the postings.
    const pool = this.pool;
    const { files, counts } = await encodeGeneration(input, pool === null ? undefined : (blocks) => pool.deflate(blocks));
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
    const manifestText = manifestTextOf(manifest);
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

  /** Stops the analysis workers and releases the lock without committing. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool?.close();
    } finally {
      await this.lock.release();
    }
  }

  // ------------------------------------------------------------------ internals

  private assertOpen(): void {
    if (this.closed) throw new InvalidParameterError(`the writer of ${this.dir} is closed`);
  }

  /**
   * Validates `doc` and its chunks against `old` (the stored document, or the newest one waiting
   * in `addDocuments`). Returns null when nothing needs analysing: identical content (a changed
   * record is updated in place on `pending`, or on the stored document).
   */
  private prepare(doc: Document, chunks: Chunk[], old: { record: DocumentRecord; text: string } | undefined, pending?: PreparedDoc): PreparedDoc | null {
    const record = toRecord(doc);
    // With title terms a changed title changes the chunks' terms: only an unchanged title is a record update.
    if (old && old.record.contentHash === doc.contentHash && old.text === doc.text && (this.config.titleTerms !== true || old.record.title === doc.title)) {
      if (recordKey(old.record) !== recordKey(record)) {
        if (pending) pending.record = record;
        else old.record = record;
        this.isDirty = true;
      }
      return null;
    }
    chunks.forEach((ch, i) => {
      const where = `chunk ${i} of document ${JSON.stringify(doc.id)}`;
      if (ch.docId !== doc.id) throw new InvalidParameterError(`${where} has docId ${JSON.stringify(ch.docId)}`);
      if (ch.ordinal !== i) throw new InvalidParameterError(`${where} has ordinal ${ch.ordinal}; chunks must be given in order`);
      if (ch.id !== `${doc.id}#${i}`) throw new InvalidParameterError(`${where} has id ${JSON.stringify(ch.id)}, expected "${doc.id}#${i}"`);
      if (!(ch.startChar >= 0 && ch.startChar <= ch.endChar && ch.endChar <= doc.text.length) || doc.text.slice(ch.startChar, ch.endChar) !== ch.text) {
        throw new InvalidParameterError(`${where}: text is not document.text.slice(${ch.startChar}, ${ch.endChar})`);
      }
    });
    return { doc, record, chunks };
  }

  /** Stores a prepared document whose chunks are counted chunks `first, first + 1, …` of `counted`. */
  private apply(prep: PreparedDoc, counted: CountedChunks, first: number): void {
    const entries: ChunkEntry[] = new Array(prep.chunks.length);
    for (let i = 0; i < prep.chunks.length; i++) {
      const ch = prep.chunks[i];
      const k = first + i;
      entries[i] = {
        ordinal: ch.ordinal,
        startChar: ch.startChar,
        endChar: ch.endChar,
        startLine: ch.startLine,
        endLine: ch.endLine,
        page: ch.page ?? 0,
        headingPath: ch.headingPath,
        ids: counted.ids,
        tfs: counted.tfs,
        start: k === 0 ? 0 : counted.ends[k - 1],
        end: counted.ends[k],
        docLen: counted.docLens[k],
      };
    }
    const id = prep.doc.id;
    if (this.docs.has(id)) this.docs.delete(id);
    this.docs.set(id, { record: prep.record, text: prep.doc.text, chunks: entries });
    this.isDirty = true;
  }

  private currentCounts(): { numDocuments: number; numChunks: number; numTerms: number; numPostings: number } {
    let numChunks = 0;
    let numPostings = 0;
    const live = new Uint8Array(this.dict.size);
    let numTerms = 0;
    for (const d of this.docs.values()) {
      numChunks += d.chunks.length;
      for (const c of d.chunks) {
        numPostings += c.end - c.start;
        for (let i = c.start; i < c.end; i++) {
          const id = c.ids[i];
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
    const docFreq = new Uint32Array(this.dict.size);
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
        for (let i = ch.start; i < ch.end; i++) docFreq[ch.ids[i]]++;
        c++;
      }
    });
    // Live terms sorted by UTF-16 code units (the order binary search in the reader uses).
    // Array.prototype.sort without a comparator orders strings by UTF-16 code units natively,
    // several times faster than a comparator over ids for millions of terms; the dictionary then
    // gives each sorted term its writer id back.
    const list = this.dict.terms;
    const sortedTerms: string[] = [];
    for (let id = 0; id < docFreq.length; id++) if (docFreq[id] > 0) sortedTerms.push(list[id]);
    sortedTerms.sort();
    const liveIds = sortedTerms.map((t) => this.dict.idOf(t));
    const newId = new Int32Array(this.dict.size).fill(-1);
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
        const { ids, tfs } = ch;
        for (let i = ch.start; i < ch.end; i++) {
          const t = newId[ids[i]];
          const p = cursor[t]++;
          chunkIds[p] = c; // chunks visited in ascending order: postings come out sorted
          const tf = tfs[i];
          freqs[p] = tf;
          if (tf > maxTf) maxTf = tf;
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
      terms: sortedTerms,
      postings,
    };
  }

  /** Rebuilds the in-memory state (texts, forward index) from a loaded generation. */
  private restore(g: Awaited<ReturnType<typeof loadGeneration>>['data']): void {
    const numChunks = g.chunks.docIndex.length;
    // terms keep their dictionary ids as writer ids
    for (const t of g.terms) this.dict.idOf(t);
    // invert postings into one forward index: chunk c's terms are at [starts[c], starts[c + 1])
    const { offsets, chunkIds, termFreqs } = g.postings;
    const starts = new Uint32Array(numChunks + 1);
    for (let p = 0; p < chunkIds.length; p++) starts[chunkIds[p] + 1]++;
    for (let c = 0; c < numChunks; c++) starts[c + 1] += starts[c];
    const ids = new Uint32Array(chunkIds.length);
    const tfs = new Uint32Array(chunkIds.length);
    const fill = starts.slice(0, numChunks);
    for (let t = 0; t < g.terms.length; t++) {
      for (let p = offsets[t]; p < offsets[t + 1]; p++) {
        const at = fill[chunkIds[p]]++;
        ids[at] = t;
        tfs[at] = termFreqs[p];
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
        ids,
        tfs,
        start: starts[c],
        end: starts[c + 1],
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
