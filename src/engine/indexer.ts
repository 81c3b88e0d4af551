/**
 * The indexing pipeline: walk paths → load documents → chunk → add to the index → one atomic
 * commit. Incremental: a file whose content hash is unchanged is not re-analysed; documents
 * whose source file is gone (within the paths being indexed) are removed; a run with no
 * change commits nothing and says so.
 *
 * Everything the pipeline needs from outside (clock, progress and warning sinks) arrives
 * as arguments; it never reads the environment.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getAnalyzer } from '../analysis/registry.js';
import { IndexWriteError, InputFormatError, InvalidParameterError, OpenbookError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { checkThreads } from '../core/workers.js';
import { IndexWriter, readManifest, type DocumentWithChunks, type IndexConfig } from '../index/index.js';
import { embedStore, type PgStore } from '../index/pg/store.js';
import { buildLinkGraph } from '../index/graph/index.js';
import { DEFAULT_CHUNKING, checkChunking, checkEncodingLabel, chunkDocument, loadFile, walkPaths, type WalkEntry } from '../ingest/index.js';
import { resolveBudgets, type LoadBudgets } from '../ingest/budgets.js';
import { errnoDescription } from '../ingest/load.js';
import { sharedParsePool, type Parsed } from '../ingest/parse-pool.js';
import { fetchWebPage, isWebUrl } from '../ingest/web.js';
import { META_VERSION, readSidecar, userMetaHash } from '../ingest/metadata.js';
import type { Embedder } from '../models/types.js';
import { embedIndex, type EmbedSummary } from './embed.js';

/** With analysis threads, documents reach the writer in groups of about this many characters (many analysis batches each). */
const GROUP_CHARS = 8 << 20;

export interface IndexOptions {
  /** Index folder (created when absent). */
  indexDir: string;
  /** Files, folders or globs, and http(s) URLs of web pages (fetched; see ingest/web.ts). */
  paths: string[];
  /** fetch for URL paths (default globalThis.fetch). */
  fetch?: typeof globalThis.fetch;
  /** Largest web page fetched, bytes (default 10 MiB). */
  maxPageBytes?: number;
  include?: string[];
  exclude?: string[];
  /** Analyzer name for a new index (default `auto`); an existing index keeps its own unless this names another (then InvalidParameterError). */
  analyzer?: string;
  /** Target chunk size in tokens (default 256) and overlap (default 32). */
  chunkSize?: number;
  chunkOverlap?: number;
  /** Keep each document whole (BEIR corpora). */
  noChunk?: boolean;
  /** Lucene's one-byte length norms (default true, for parity with Lucene/Anserini). */
  luceneNorms?: boolean;
  /**
   * The title as an indexed field of every chunk (`IndexConfig.titleTerms`; `index
   * --no-title-terms` turns it off) for a new index: default true. An existing index keeps its own
   * (an index built before the setting has it off); naming the other value is refused, since its
   * chunks were analysed the other way (`index --rebuild` builds it anew). With it on, JSONL titles
   * are indexed through it instead of as a title line prepended to the text.
   */
  titleTerms?: boolean;
  /** Treat malformed JSONL lines as errors instead of skipping them. */
  strict?: boolean;
  /** Metadata for every document of this run (`index --meta key=value`, see ingest/metadata.ts). */
  meta?: Record<string, string | number | boolean | string[]>;
  /** Analysis threads (`WriterDeps.threads`; default 1 = this thread only). The index is the same for any count. */
  threads?: number;
  cwd: string;
  /**
   * Keep JSONL ids bare (`_id`) instead of scoping them to their file (`corpus.jsonl#<_id>`);
   * then a line whose id another source already holds is refused with a warning naming both.
   */
  globalIds?: boolean;
  /**
   * Per-file budgets (ingest/budgets.ts): parse time, parser heap, decompressed bytes, parse
   * threads; unset fields take `DEFAULT_BUDGETS`. A file over one is skipped with a warning
   * naming it and the limit.
   */
  budgets?: Partial<LoadBudgets>;
  /** Allowed folders (absolute): files whose real path lies outside them are skipped (the server sets `server.roots`). */
  roots?: string[];
  now: () => number;
  onProgress?: (p: IndexProgress) => void;
  /** Text formats: a WHATWG encoding label forced on every file (`index --encoding`); default UTF-8/UTF-16, else detected. */
  encoding?: string;
  /**
   * One line per skipped file or line ("<file>[:line]: reason"; `kind` "skip"), or per problem
   * that skipped nothing (`kind` "note": front matter that is not valid YAML, a vanished file
   * removed from the index, an older index migrated).
   */
  onWarning?: (message: string, kind?: 'skip' | 'note') => void;
  /** With an embedder, passage vectors are computed for chunks that lack them (`index --embed`). */
  embedder?: Embedder;
  /** Discard stored vectors first (after changing the embedding model). */
  embedReset?: boolean;
  onEmbedProgress?: (p: { embedded: number; total: number; alreadyStored: number }) => void;
  /**
   * Index into this PostgreSQL store instead of `indexDir` (created or migrated first; same
   * incremental rules, one transaction per commit). No link graph is built there yet.
   */
  store?: PgStore;
}

export interface IndexProgress {
  phase: 'scan' | 'index' | 'commit';
  filesDone: number;
  filesTotal: number;
  chunks: number;
  /** Bytes read: the sizes of the files done, plus, within a JSONL file, its lines read so far (each with its newline). */
  bytesDone: number;
  /** Sum of the walked files' sizes (web pages count 0: their size is known only once fetched). */
  bytesTotal: number;
  /** The file being read. */
  current?: string;
}

export interface IndexSummary {
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** Files (or JSONL lines) that could not be read, each reported through onWarning. */
  skipped: number;
  /**
   * What was skipped and why, one entry per `skipped` (the first {@link MAX_SKIPPED_LISTED}):
   * `source` is the file's path as indexed (relative; a URL for web pages), `reason` the warning
   * line (which names the file, and the line for a JSONL line).
   */
  skippedFiles: Array<{ source: string; reason: string }>;
  /** Chunks written in this run (added + updated documents). */
  chunksWritten: number;
  files: number;
  committed: boolean;
  generation?: number;
  /** Present with `embedder`: what the dense pass did. */
  embed?: EmbedSummary;
  seconds: number;
}

/** Formats always loaded on the calling thread: linear-time decoders (JSONL is streamed line by line). */
const INLINE_FORMATS: ReadonlySet<string> = new Set(['jsonl', 'txt']);
/** Light text formats loaded on the calling thread when at most {@link INLINE_MAX_BYTES}: a worker round trip costs more than their parse. */
const INLINE_SMALL_FORMATS: ReadonlySet<string> = new Set(['md', 'csv', 'tsv']);
/** 16 KiB: the Markdown/CSV parsers take well under a millisecond on such a file. */
const INLINE_MAX_BYTES = 16 * 1024;
/** Files handed to the parse pool ahead of the one being indexed, per parse thread (keeps the workers busy while this thread chunks and commits). */
const PREFETCH_PER_THREAD = 2;
const parsedInline = (e: WalkEntry) => INLINE_FORMATS.has(e.format) || (INLINE_SMALL_FORMATS.has(e.format) && e.sizeBytes <= INLINE_MAX_BYTES);

/** Skipped files listed in `IndexSummary.skippedFiles` at most (the count goes on). */
export const MAX_SKIPPED_LISTED = 1000;

/** Folder of the server's uploads inside the index folder; their sources are relative to the index folder. */
export const UPLOADS_FOLDER = 'uploads';

/**
 * Whether a document's `source` names a server upload (`uploads/<name>`, a file in
 * `<indexDir>/uploads`) while this run resolves sources against another folder: then it is not
 * one of the run's files, whatever its relative path looks like.
 */
function isUploadElsewhere(source: string, indexDir: string, cwd: string): boolean {
  if (!source.startsWith(`${UPLOADS_FOLDER}/`)) return false;
  const asUpload = path.resolve(indexDir, source);
  return path.resolve(cwd, source) !== asUpload && existsSync(asUpload);
}

/** Indexes `paths` into `indexDir`; see the module comment for the incremental rules. */
export async function indexPaths(opts: IndexOptions): Promise<IndexSummary> {
  const started = opts.now();
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNKING.chunkSize;
  const chunkOverlap = opts.chunkOverlap ?? DEFAULT_CHUNKING.chunkOverlap;
  // An existing index keeps its analyzer unless one is named explicitly (a different one is refused by the writer).
  const existingConfig = opts.store ? await opts.store.config() : (await readManifest(opts.indexDir))?.manifest.config;
  if (existingConfig && opts.titleTerms !== undefined && opts.titleTerms !== (existingConfig.titleTerms === true)) {
    const target = opts.store ? 'the store' : `index ${opts.indexDir}`;
    const remedy = opts.store ? 'index into a new database' : 'build it anew with `openbook index --rebuild`';
    throw new InvalidParameterError(
      `${target} was built ${existingConfig.titleTerms === true ? 'with' : 'without'} title terms (the title as an indexed field of every chunk); its chunks cannot be analysed the other way incrementally: leave out --${opts.titleTerms ? '' : 'no-'}title-terms, or ${remedy}`,
    );
  }
  const config: IndexConfig = {
    analyzer: opts.analyzer ?? existingConfig?.analyzer ?? 'auto',
    chunkSize,
    chunkOverlap,
    noChunk: opts.noChunk ?? false,
    luceneNorms: opts.luceneNorms ?? true,
    titleTerms: existingConfig ? existingConfig.titleTerms === true : (opts.titleTerms ?? true),
  };
  getAnalyzer(config.analyzer); // validates the name before taking the lock
  if (opts.encoding !== undefined) checkEncodingLabel(opts.encoding);
  checkChunking(chunkSize, chunkOverlap); // before any file is read (an error here would otherwise be one warning per file)
  const budgets = resolveBudgets(opts.budgets);
  if (opts.paths.length === 0) throw new InvalidParameterError('index needs at least one path');

  const warnOf = opts.onWarning ?? (() => {});
  const warn = (m: string) => warnOf(m, 'skip');
  const note = (m: string) => warnOf(m, 'note');
  const progress = opts.onProgress ?? (() => {});
  const entries: WalkEntry[] = [];
  /** Files the walk skipped (outside the roots, vanished, unreadable, undecodable names). */
  const outsideRoots: Array<{ source: string; reason: string }> = [];
  const walkOpts = {
    include: opts.include,
    exclude: opts.exclude,
    cwd: opts.cwd,
    roots: opts.roots,
    onOutsideRoots: (m: string) => {
      // The walker's message is "<relative path>: skipped, …".
      outsideRoots.push({ source: m.slice(0, Math.max(0, m.indexOf(': skipped'))), reason: m });
      warn(m);
    },
    // An explicitly named file of an unsupported type ("<path>: skipped, unsupported extension …").
    onWarning: (m: string) => {
      outsideRoots.push({ source: m.slice(0, Math.max(0, m.indexOf(': '))), reason: m });
      warn(m);
    },
    onUnreadable: (m: string) => {
      outsideRoots.push({ source: m.slice(0, Math.max(0, m.indexOf(': '))), reason: m });
      warn(m);
    },
  };
  // http(s) URLs are fetched (robots.txt honoured, size-capped) instead of walked.
  const urls = opts.paths.filter(isWebUrl);
  const filePaths = opts.paths.filter((p) => !isWebUrl(p));
  for await (const e of walkPaths(filePaths, walkOpts)) {
    entries.push(e);
    if (entries.length % 200 === 0) progress({ phase: 'scan', filesDone: 0, filesTotal: entries.length, chunks: 0, bytesDone: 0, bytesTotal: 0 });
  }

  const threads = opts.threads === undefined ? 1 : checkThreads(opts.threads, 'threads');
  if (opts.store) await opts.store.init(config);
  const writer = opts.store ? await opts.store.writer({ now: opts.now, threads }) : await asIndexWrite(opts.indexDir, () => IndexWriter.open(opts.indexDir, config, { now: opts.now, threads }));
  try {
    const chunking = { chunkSize: writer.config.chunkSize, chunkOverlap: writer.config.chunkOverlap, noChunk: writer.config.noChunk };
    const summary: IndexSummary = { added: 0, updated: 0, removed: 0, unchanged: 0, skipped: outsideRoots.length, skippedFiles: outsideRoots.slice(0, MAX_SKIPPED_LISTED), chunksWritten: 0, files: entries.length, committed: false, seconds: 0 };
    /** Counts a skipped file (or JSONL line), lists it with its reason, and warns. */
    const skip = (source: string, reason: string) => {
      summary.skipped++;
      if (summary.skippedFiles.length < MAX_SKIPPED_LISTED) summary.skippedFiles.push({ source, reason });
      warn(reason);
    };
    const seenDocs = new Set<string>();
    /** Source of each id put in this run, for naming both sides of a collision. */
    const seenSource = new Map<string, string>();
    const collision = (doc: Document, holder: string) => {
      const hint = opts.globalIds ? ' (ids are global: scope them to their file by leaving out --global-ids)' : '';
      skip(doc.source, `${doc.source}: document id ${JSON.stringify(doc.id)} is already taken by a document from ${holder}; skipped${hint}`);
    };
    const walkedSources = new Set<string>();
    /** Marks every document from `source` as seen, so the end-of-run removal keeps them. */
    const keepSource = (source: string) => {
      for (const id of writer.documentIds()) if (writer.getDocument(id)?.source === source) seenDocs.add(id);
    };
    let filesDone = 0;
    /** Documents with unchanged bytes read again because an older openbook stored them without their metadata. */
    let reread = 0;

    // Documents to add go to the writer in groups, so its analysis threads get whole batches.
    let group: DocumentWithChunks[] = [];
    let groupChars = 0;
    const flushGroup = async () => {
      if (group.length === 0) return;
      const items = group;
      group = [];
      groupChars = 0;
      await writer.addDocuments(items);
    };
    const put = async (doc: Document) => {
      const old = writer.getDocument(doc.id);
      // An id held by another source is never silently taken over (a moved file gets a new id anyway: its path).
      if (old && old.source !== doc.source && !seenDocs.has(doc.id)) return collision(doc, old.source);
      seenDocs.add(doc.id);
      seenSource.set(doc.id, doc.source);
      if (old && old.contentHash === doc.contentHash && old.source === doc.source && old.userMetaHash === doc.userMetaHash) {
        if (old.metaVersion === doc.metaVersion) {
          summary.unchanged++;
          return;
        }
        // Stored by an older openbook, before its metadata was read: the record is updated.
        reread++;
      }
      const chunks = chunkDocument(doc, chunking);
      group.push({ doc, chunks });
      groupChars += doc.text.length;
      if (threads === 1 || groupChars >= GROUP_CHARS) await flushGroup();
      summary.chunksWritten += chunks.length;
      if (old) summary.updated++;
      else summary.added++;
      if ((summary.added + summary.updated) % 1000 === 0) {
        progress({ phase: 'index', filesDone, filesTotal: entries.length, chunks: summary.chunksWritten, bytesDone: doneBytes + fileBytes, bytesTotal, current: doc.source });
      }
    };

    // JSONL lines, the run's options for every loader.
    const loadOpts = {
      strict: opts.strict,
      // JSONL titles are searchable: as the chunks' title terms, or (an index built without them) as a title line of the text (BEIR "flat": title and text together).
      prependTitle: writer.config.titleTerms !== true,
      idScope: opts.globalIds ? ('global' as const) : ('file' as const),
      maxDecompressedBytes: budgets.maxDecompressedBytes,
      ...(opts.meta ? { meta: opts.meta } : {}),
      ...(opts.encoding !== undefined ? { encoding: opts.encoding } : {}),
    };
    let currentSource = '';
    /** Progress in bytes: the sizes of the files before the current one, and the current file's bytes read. */
    const bytesTotal = entries.reduce((sum, e) => sum + e.sizeBytes, 0);
    let doneBytes = 0;
    let fileBytes = 0;
    let bytesReported = 0;
    const onLoadWarning = (m: string) => skip(currentSource, m);
    // Every format but JSONL (streamed line by line), plain text (decoded in one linear pass) and
    // Markdown/CSV/TSV files of at most 16 KiB is parsed on the parse pool's workers under the time
    // and heap budgets; the next files are handed out while this one is committed, so the workers
    // parse in parallel.
    const pool = entries.some((e) => !parsedInline(e)) ? sharedParsePool(budgets.maxHeapMb, budgets.threads) : undefined;
    /** unchanged: skip; fault: the file could not be read (the message says what was done); else parse (parsed, or inline when absent). */
    type Prepared = { unchanged: true } | { unchanged: false; fault?: { message: string; keep: boolean }; parsed?: Parsed };
    const prepare = async (entry: WalkEntry): Promise<Prepared> => {
      if (entry.format !== 'jsonl') {
        // One document per file, id = relPath: skip parsing when its bytes are unchanged.
        const old = writer.getDocument(entry.relPath);
        if (old) {
          let bytes: Buffer;
          try {
            bytes = await readFile(entry.absPath);
          } catch (err) {
            return { unchanged: false, fault: readFault(entry.relPath, err) };
          }
          const hash = createHash('sha256').update(bytes).digest('hex');
          if (hash === old.contentHash && old.userMetaHash === userMetaHash(opts.meta, readSidecar(entry.absPath)) && old.metaVersion === META_VERSION) return { unchanged: true };
        }
      }
      if (!pool || parsedInline(entry)) return { unchanged: false };
      return { unchanged: false, parsed: await pool.parse(entry, loadOpts, budgets.timeoutMs) };
    };
    const ahead = new Map<number, Promise<Prepared>>();
    const prepared = (i: number): Promise<Prepared> => {
      for (let j = i; j < Math.min(entries.length, i + PREFETCH_PER_THREAD * budgets.threads); j++) {
        if (!ahead.has(j)) {
          const p = prepare(entries[j]);
          p.catch(() => {}); // rejections are taken when the entry's turn comes
          ahead.set(j, p);
        }
      }
      const p = ahead.get(i)!;
      ahead.delete(i);
      return p;
    };

    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      walkedSources.add(entry.relPath);
      currentSource = entry.relPath;
      if (i > 0) doneBytes += entries[i - 1].sizeBytes;
      fileBytes = 0;
      bytesReported = 0;
      progress({ phase: 'index', filesDone, filesTotal: entries.length, chunks: summary.chunksWritten, bytesDone: doneBytes, bytesTotal, current: entry.relPath });
      try {
        const ready = await prepared(i);
        if (ready.unchanged) {
          seenDocs.add(entry.relPath);
          summary.unchanged++;
          filesDone++;
          continue;
        }
        if (ready.fault) {
          // Unreadable: keep what is indexed (a passing fault must not delete it); vanished: it goes.
          if (ready.fault.keep) {
            keepSource(entry.relPath);
            skip(entry.relPath, ready.fault.message);
          } else note(ready.fault.message);
          filesDone++;
          continue;
        }
        const docs: Iterable<Document> | AsyncIterable<Document> = ready.parsed ? ready.parsed.docs : loadFile(entry, { ...loadOpts, onWarning: onLoadWarning, onNote: note });
        for (const m of ready.parsed?.warnings ?? []) onLoadWarning(m);
        for (const m of ready.parsed?.notes ?? []) note(m);
        for await (const doc of docs) {
          // A JSONL document's sizeBytes is its line's (without the newline): the bytes read so far, for the progress of one big file.
          if (entry.format === 'jsonl') {
            fileBytes = Math.min(entry.sizeBytes, fileBytes + doc.sizeBytes + 1);
            // every MiB also when the lines are unchanged (a re-run writes nothing, so the 1,000-document reports stay away)
            if (fileBytes - bytesReported >= 1 << 20) {
              bytesReported = fileBytes;
              progress({ phase: 'index', filesDone, filesTotal: entries.length, chunks: summary.chunksWritten, bytesDone: doneBytes + fileBytes, bytesTotal, current: entry.relPath });
            }
          }
          if (seenDocs.has(doc.id)) {
            collision(doc, seenSource.get(doc.id) ?? 'this run');
            continue;
          }
          await put(doc);
        }
      } catch (err) {
        if (!(err instanceof OpenbookError) || (opts.strict && err instanceof InputFormatError)) throw err;
        skip(entry.relPath, err.message);
        // A file that could not be read (not one that could not be parsed) keeps its indexed documents.
        const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
        if (typeof code === 'string' && code !== 'ENOENT') keepSource(entry.relPath);
      }
      filesDone++;
    }

    for (const url of urls) {
      progress({ phase: 'index', filesDone, filesTotal: entries.length + urls.length, chunks: summary.chunksWritten, bytesDone: bytesTotal, bytesTotal, current: url });
      try {
        const bytes = await fetchWebPage(url, { fetch: opts.fetch ?? globalThis.fetch, ...(opts.maxPageBytes !== undefined ? { maxBytes: opts.maxPageBytes } : {}) });
        // Parsed on the parse pool, under the same budgets as a file.
        const { docs } = await sharedParsePool(budgets.maxHeapMb, budgets.threads).parse({ absPath: '', relPath: url, format: 'html', mtimeMs: 0, bytes }, loadOpts, budgets.timeoutMs);
        for (const doc of docs) if (!seenDocs.has(doc.id)) await put(doc);
      } catch (err) {
        if (!(err instanceof OpenbookError) || (opts.strict && err instanceof InputFormatError)) throw err;
        skip(url, err.message);
      }
      filesDone++;
    }

    await flushGroup();
    // Remove documents whose source lies under the walked paths but was not seen this run. Server
    // uploads (sources relative to the index folder, under uploads/) are not under a CLI run's paths.
    const roots = filePaths.map((p) => toPosix(path.relative(opts.cwd, path.resolve(opts.cwd, p))));
    const bareIds = new Map<string, number>();
    for (const id of [...writer.documentIds()]) {
      if (seenDocs.has(id)) continue;
      const rec = writer.getDocument(id)!;
      const underRoot = walkedSources.has(rec.source) || roots.some((r) => r === '' || rec.source === r || rec.source.startsWith(r + '/'));
      if (!underRoot || isUploadElsewhere(rec.source, opts.indexDir, opts.cwd)) continue;
      if (writer.removeDocument(id)) summary.removed++;
      if (rec.format === 'jsonl' && !opts.globalIds && !id.startsWith(`${rec.source}#`) && walkedSources.has(rec.source)) bareIds.set(rec.source, (bareIds.get(rec.source) ?? 0) + 1);
    }
    if (reread > 0) {
      note(`${reread} document${reread === 1 ? ' was' : 's were'} indexed by an older openbook, before ${reread === 1 ? 'its' : 'their'} metadata fields were read; read ${reread === 1 ? 'it' : 'them'} again for ${reread === 1 ? 'its' : 'their'} fields (once)`);
    }
    for (const [source, n] of bareIds) {
      note(`${source}: ${n} document${n === 1 ? '' : 's'} had bare JSONL ids (an older openbook, or --global-ids); they are now ${source}#<_id> (the _id stays in the field _id)`);
    }

    progress({ phase: 'commit', filesDone, filesTotal: entries.length, chunks: summary.chunksWritten, bytesDone: bytesTotal, bytesTotal });
    if (writer.dirty) {
      const info = opts.store ? await writer.commit() : await asIndexWrite(opts.indexDir, () => writer.commit());
      summary.committed = true;
      summary.generation = info.generation;
      if (!opts.store) await buildLinkGraph(opts.indexDir, opts.now); // link graph + PageRank under <index>/graph/; writes nothing when no document has links
    }
    if (opts.embedder) {
      // Still holding the writer lock, so no other writer changes the chunks being embedded.
      if (opts.store) {
        const t0 = opts.now();
        const embedder = opts.embedder;
        const e = await embedStore(opts.store, {
          model: embedder.id,
          dimension: await embedder.dimension(),
          embed: (texts, signal) => embedder.embed(texts, { kind: 'passage', ...(signal ? { signal } : {}) }),
          reset: opts.embedReset, ...(opts.onEmbedProgress ? { onProgress: opts.onEmbedProgress } : {}) });
        summary.embed = { ...e, removed: 0, seconds: (opts.now() - t0) / 1000 };
      } else summary.embed = await embedIndex({ indexDir: opts.indexDir, embedder: opts.embedder, reset: opts.embedReset, now: opts.now, onProgress: opts.onEmbedProgress });
    }
    summary.seconds = (opts.now() - started) / 1000;
    return summary;
  } finally {
    await writer.close();
  }
}

/**
 * What a failed read of an already indexed file means: vanished (ENOENT) → its documents go at
 * the end of the run; anything else (EACCES, EIO …) → they are kept, as a passing fault must not
 * delete them.
 */
function readFault(relPath: string, err: unknown): { message: string; keep: boolean } {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { message: `${relPath}: vanished before it could be read (ENOENT); removed from the index`, keep: false };
  const reason = errnoDescription(err) ?? (err instanceof Error ? err.message : String(err));
  return { message: `${relPath}: cannot read (${reason}); kept the version already indexed`, keep: true };
}

/**
 * Runs a write to the index folder; a file-system error (EACCES, EROFS, ENOSPC …) becomes one
 * IndexWriteError naming the folder, so a run that can write nothing fails in one line.
 */
async function asIndexWrite<T>(indexDir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const d = errnoDescription(err);
    if (d === null) throw err;
    throw new IndexWriteError(`cannot write the index ${indexDir} (${d})`, { cause: err });
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
