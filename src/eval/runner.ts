/**
 * Retrieval evaluation runs: build (or reuse) an index over a dataset's corpus, run every
 * query, evaluate with trec_eval's rules, and time it.
 *
 * Index: one `Document` and one `Chunk` per corpus document (`noChunk`), built with the
 * requested analyzer. With `fields: 'flat'` the indexed text is `title + "\n" + text`, exactly
 * as Anserini's `BeirFlatCollection` builds its `contents` field (the BEIR "flat" runs of
 * Pyserini/Anserini); `'text'` indexes the body alone; `'text+title'` stores the body and indexes
 * the title as a field of the chunk (the index setting `titleTerms`, what `openbook index` does):
 * the terms and statistics of `'flat'`, the quotes of `'text'`. Queries go through the same
 * analyzer (the index's), as in Pyserini's `LuceneSearcher`.
 *
 * Indexes are cached under `<cacheDir>/<sha256 of dataset files + index config>/` and reused
 * when their manifest exists.
 *
 * Queries run in-process one by one (`runQueries`), or as one batch on a `SearchPool` of worker
 * threads over the cached index's folder (`runQueriesThreaded`); both give the same run.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { getAnalyzer } from '../analysis/registry.js';
import { InvalidParameterError, IndexNotFoundError } from '../core/errors.js';
import { checkThreads } from '../core/workers.js';
import type { Chunk, Document } from '../core/types.js';
import { IndexReader, IndexWriter, SearchPool, similarityNames, type IndexConfig, type ScoredChunk, type SearchOptions, type SimilarityName } from '../index/index.js';
import { chunkAnalysisText } from '../index/store/format.js';
import type { FilterExpr } from '../core/filter.js';
import { evalCacheKey } from './cache.js';
import type { CorpusDoc } from './loaders/common.js';
import { roundRunScore, type Run } from './loaders/trec.js';

/**
 * How a corpus document is indexed: `flat` — title + "\n" + text as the text (BEIR flat parity;
 * the title is quotable); `text` — the body alone; `text+title` — the body as the text and the
 * title as an indexed field of its chunk (`IndexConfig.titleTerms`, as `openbook index` builds
 * every new index).
 */
export type FieldsMode = 'flat' | 'text' | 'text+title';
export const fieldsModes: FieldsMode[] = ['flat', 'text', 'text+title'];

/** Index-time settings of an eval index (part of the cache key). */
export interface EvalIndexConfig {
  analyzer: string;
  fields: FieldsMode;
  /** Lucene's lossy one-byte length norms (`SmallFloat.intToByte4`); default true for parity. */
  luceneNorms: boolean;
}

/** Query-time settings. */
export interface EvalSearchConfig {
  similarity: SimilarityName;
  k1: number;
  b: number;
  /** BM25L / BM25+ delta; undefined → the similarity's default. */
  delta?: number;
  /** Run depth per query (trec_eval reads what the run holds). Default 1000. */
  topK: number;
  /**
   * Only documents whose metadata match (`eval --filter`, the language of core/filter.ts over the
   * eval index's fields: id, title, path = the dataset name, and the corpus's own metadata, e.g.
   * BEIR `metadata.*`), applied inside scoring as in `search --filter`. The qrels are left as
   * they are: a relevant document the filter excludes counts as not retrieved.
   */
  filter?: string | FilterExpr;
}

export interface EvalDeps {
  /** Root of the eval-index cache, e.g. `<cwd>/.openbook/eval-cache`. */
  cacheDir: string;
  /** Monotonic clock in milliseconds (e.g. `performance.now`). */
  now: () => number;
  /** Wall clock for index metadata, ms since the epoch. */
  wallClock: () => number;
  /** Ignore a cached index and rebuild it. */
  rebuild?: boolean;
  onProgress?: (message: string) => void;
}

/** The stored text of one corpus document (its chunk's text; with `text+title` the title is indexed beside it, not in it). */
export function indexedText(doc: CorpusDoc, fields: FieldsMode): string {
  return fields === 'flat' ? `${doc.title}\n${doc.text}` : doc.text;
}

/** The eval index's `IndexConfig` for `config` (one chunk per document). */
export function evalIndexConfig(config: EvalIndexConfig): IndexConfig {
  return { analyzer: config.analyzer, chunkSize: 0, chunkOverlap: 0, noChunk: true, luceneNorms: config.luceneNorms, titleTerms: config.fields === 'text+title' };
}

/** Validates the query-time config, listing valid names from the similarity table. */
export function checkSearchConfig(c: EvalSearchConfig): void {
  if (!similarityNames.includes(c.similarity)) throw new InvalidParameterError(`--similarity must be one of ${similarityNames.join(', ')}, got "${c.similarity}"`);
  if (!(c.k1 >= 0)) throw new InvalidParameterError(`--k1 must be ≥ 0, got ${c.k1}`);
  if (!(c.b >= 0 && c.b <= 1)) throw new InvalidParameterError(`--b must be in [0, 1], got ${c.b}`);
  if (!Number.isInteger(c.topK) || c.topK < 1) throw new InvalidParameterError(`--top-k must be an integer ≥ 1, got ${c.topK}`);
}

/** Edge cases for the analyzer fingerprint: possessives, numbers, ExtendNumLet, ligatures, Hangul, Han. */
const FINGERPRINT_PROBE = "The cat's 3.5-fold U.S. e-mail _x_ ﬁbre x² naïve 1,000 don't 임종석이 여의도에서 東京 ひらがな";

/**
 * A hash of what the analyzer makes of a probe string and of the first 200 documents, so a
 * cached index is rebuilt when the analyzer's code changes behaviour (not only its name).
 * A change that only touches documents beyond the sample is not detected: `--rebuild` is the
 * remedy, and `openbook regress` always rebuilds.
 */
export function analyzerFingerprint(analyzer: string, corpus: readonly CorpusDoc[], fields: FieldsMode): string {
  const a = getAnalyzer(analyzer);
  const h = createHash('sha256');
  h.update(a.analyze(FINGERPRINT_PROBE).join('\u0001'));
  for (const doc of corpus.slice(0, 200)) h.update('\u0002' + a.analyze(chunkAnalysisText(doc.title, indexedText(doc, fields), fields === 'text+title')).join('\u0001'));
  return h.digest('hex').slice(0, 16);
}

export interface OpenedEvalIndex {
  reader: IndexReader;
  /** Where it lives. */
  dir: string;
  /** Seconds spent building it now; 0 when it came from the cache. */
  indexSeconds: number;
  cached: boolean;
  /** Chunk number → dataset document id. */
  docIdOfChunk: string[];
}

/** The one-chunk Document of a corpus document, as every eval index (embedded or store) holds it. */
export function toDocument(doc: CorpusDoc, text: string, source: string): { document: Document; chunk: Chunk } {
  const contentHash = createHash('sha256').update(text).digest('hex');
  let lines = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  const document: Document = { id: doc.id, source, title: doc.title, text, format: 'jsonl', contentHash, sizeBytes: Buffer.byteLength(text), mtimeMs: 0, ...(doc.meta ? { meta: doc.meta } : {}) };
  const chunk: Chunk = { id: `${doc.id}#0`, docId: doc.id, ordinal: 0, text, headingPath: [], startChar: 0, endChar: text.length, startLine: 1, endLine: lines };
  return { document, chunk };
}

/**
 * Opens the cached eval index for (dataset files, config), building it first when absent.
 * @param name dataset name, stored as each document's `source`
 * @param files the dataset's files (their bytes key the cache)
 * @param extraKey more index-time settings that make a separate cache entry (e.g. `{ embedder }`
 *   for an index that will hold passage vectors of that embedding model)
 */
export async function openEvalIndex(
  name: string,
  corpus: readonly CorpusDoc[],
  files: readonly string[],
  config: EvalIndexConfig,
  deps: EvalDeps,
  extraKey: Record<string, unknown> = {},
): Promise<OpenedEvalIndex> {
  // Indexes built before documents kept their metadata hold none: a corpus with metadata gets its own key.
  const docMeta = corpus.some((d) => d.meta !== undefined) ? { docMeta: 1 } : {};
  const key = await evalCacheKey(files, { ...extraKey, ...config, ...docMeta, noChunk: true, analyzerFingerprint: analyzerFingerprint(config.analyzer, corpus, config.fields) });
  const dir = join(deps.cacheDir, key.slice(0, 32));
  let cached = false;
  let indexSeconds = 0;
  let reader: IndexReader | undefined;
  if (!deps.rebuild) {
    try {
      reader = await IndexReader.open(dir);
      cached = true;
    } catch (err) {
      if (!(err instanceof IndexNotFoundError)) throw err;
    }
  }
  if (!reader) {
    // Build beside the final folder, then rename into place: concurrent evaluations of the same
    // dataset and config never see a half-built index, and the loser of the race reuses the winner's.
    const building = `${dir}.building-${process.pid}-${Math.round(deps.now() * 1000)}`;
    await mkdir(building, { recursive: true });
    deps.onProgress?.(`indexing ${corpus.length} documents of ${name} (analyzer ${config.analyzer}, fields ${config.fields}) into ${dir}`);
    const t0 = deps.now();
    const indexConfig = evalIndexConfig(config);
    try {
      const writer = await IndexWriter.open(building, indexConfig, { now: deps.wallClock });
      try {
        for (const doc of corpus) {
          const { document, chunk } = toDocument(doc, indexedText(doc, config.fields), name);
          writer.addDocument(document, [chunk]);
        }
        await writer.commit();
      } finally {
        await writer.close();
      }
      indexSeconds = (deps.now() - t0) / 1000;
      if (deps.rebuild) await rm(dir, { recursive: true, force: true });
      try {
        await rename(building, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
    } finally {
      await rm(building, { recursive: true, force: true });
    }
    reader = await IndexReader.open(dir);
  }
  const docIdOfChunk: string[] = [];
  for (const rec of reader.documents()) for (const n of reader.chunksOf(rec.id)) docIdOfChunk[n] = rec.id;
  return { reader, dir, indexSeconds, cached, docIdOfChunk };
}

export interface QueryRunResult {
  /** qid → hits, best first, scores rounded to the 6 decimals of the run file. */
  run: Run;
  /**
   * Serial runs: seconds inside `reader.search` (query analysis, scoring, top-k), summed over
   * queries. Threaded runs ({@link runQueriesThreaded} with threads > 1): wall-clock seconds of
   * the whole batch (worker start-up excluded).
   */
  searchSeconds: number;
  /** Queries ÷ searchSeconds: per-query CPU throughput when serial, wall-clock batch throughput when threaded. */
  queriesPerSecond: number;
}

/** A {@link QueryRunResult} with the thread count it ran on. */
export interface ThreadedQueryRunResult extends QueryRunResult {
  /** 1: in-process `reader.search` loop (no worker); > 1: a `SearchPool` of that many workers. */
  threads: number;
  /** Seconds to start the workers and load the index in each; 0 when threads = 1. */
  workerStartSeconds: number;
}

/** Search options of an eval run (the filter as the reader's chunk bitset). */
function searchOptions(search: EvalSearchConfig, reader: IndexReader): SearchOptions {
  return {
    topK: search.topK,
    similarity: search.similarity,
    k1: search.k1,
    b: search.b,
    ...(search.delta === undefined ? {} : { delta: search.delta }),
    ...(search.filter === undefined ? {} : { filter: reader.filterBits(search.filter) }),
  };
}

/** One query's run entries: dataset document ids of the hit chunks, scores rounded as the run file writes them. */
function runEntries(index: OpenedEvalIndex, hits: readonly ScoredChunk[]): Array<{ docId: string; score: number }> {
  return hits.map((h) => ({ docId: index.docIdOfChunk[h.chunk], score: roundRunScore(h.score) }));
}

/**
 * Runs each query on one thread and collects a run. Scores are rounded as the TREC run file
 * writes them (6 decimals) so in-memory metrics equal trec_eval on the written file.
 */
export function runQueries(index: OpenedEvalIndex, queries: ReadonlyMap<string, string>, search: EvalSearchConfig, now: () => number): QueryRunResult {
  checkSearchConfig(search);
  const run: Run = new Map();
  let searchMs = 0;
  const opts = searchOptions(search, index.reader);
  for (const [qid, text] of queries) {
    const t0 = now();
    const hits = index.reader.search(text, opts);
    searchMs += now() - t0;
    run.set(qid, runEntries(index, hits));
  }
  const searchSeconds = searchMs / 1000;
  return { run, searchSeconds, queriesPerSecond: searchSeconds > 0 ? queries.size / searchSeconds : 0 };
}

/**
 * {@link runQueries} on `threads` worker threads. With threads = 1 it is exactly `runQueries`
 * (in-process, no worker). With threads > 1 a `SearchPool` opens `index.dir` at the generation
 * of `index.reader`, runs all queries as one batch and is closed again; the run is identical to
 * the serial one (same chunks, same scores), and `queriesPerSecond` is the batch's wall-clock
 * throughput: queries ÷ seconds from handing the batch to the pool until the last result came
 * back (worker start-up, reported as `workerStartSeconds`, is excluded).
 * @param threads integer in [1, 256]
 * @throws InvalidParameterError for a bad search config or thread count
 */
export async function runQueriesThreaded(
  index: OpenedEvalIndex,
  queries: ReadonlyMap<string, string>,
  search: EvalSearchConfig,
  now: () => number,
  threads: number,
): Promise<ThreadedQueryRunResult> {
  checkSearchConfig(search);
  checkThreads(threads, '--threads');
  // The search pool takes no filter: a filtered run stays in-process.
  if (threads === 1 || search.filter !== undefined) return { ...runQueries(index, queries, search, now), threads: 1, workerStartSeconds: 0 };
  const t0 = now();
  const pool = await SearchPool.open(index.dir, { threads, generation: index.reader.stats().generation });
  try {
    const t1 = now();
    const { offsets, chunks, scores } = await pool.searchBatchPacked([...queries.values()], searchOptions(search, index.reader));
    const searchSeconds = (now() - t1) / 1000;
    const run: Run = new Map();
    let i = 0;
    for (const qid of queries.keys()) {
      const entries: Array<{ docId: string; score: number }> = [];
      for (let o = offsets[i]; o < offsets[i + 1]; o++) entries.push({ docId: index.docIdOfChunk[chunks[o]], score: roundRunScore(scores[o]) });
      run.set(qid, entries);
      i++;
    }
    return { run, searchSeconds, queriesPerSecond: searchSeconds > 0 ? queries.size / searchSeconds : 0, threads, workerStartSeconds: (t1 - t0) / 1000 };
  } finally {
    await pool.close();
  }
}
