/**
 * `openbook eval retrieval` as a library call: load → index (cached) → run → trec_eval metrics.
 *
 * With `retriever: { retriever: 'dense' | 'hybrid' }` the eval index also gets passage vectors
 * from `models.embedder` (cache key includes the embedder id) and queries run through the
 * engine's retriever (see `engine-runner.ts`); `bm25` keeps the direct `IndexReader.search`
 * loop the pinned regressions were measured with, or, with `threads` > 1, runs the same searches
 * as one batch on a `SearchPool` of worker threads (same run, wall-clock queries/s).
 */
import { basename } from 'node:path';
import { checkThreads, defaultThreads } from '../core/workers.js';
import type { LoadOptions, RetrievalDataset } from './loaders/common.js';
import { writeRun } from './loaders/trec.js';
import { loadRetrievalDataset } from './datasets.js';
import { defaultRetrievalMetrics, evaluateRun, parseMetric } from './metrics.js';
import type { EngineModels } from '../engine/engine.js';
import type { IndexReader } from '../index/index.js';
import { checkRetrieverConfig, openEvalEngine, retrieverRecord, runRetrieverQueries, type EvalRetrieverConfig } from './engine-runner.js';
import { compareRows, rerankRun, type ComparisonRow, type EvalRerankConfig } from './rerank-eval.js';
import { checkSearchConfig, indexedText, openEvalIndex, runQueriesThreaded, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig } from './runner.js';
import type { BootstrapOptions } from './stats.js';

export interface RetrievalEvalOptions extends LoadOptions {
  /** Dataset path (see `detectDataset`). */
  dataset: string;
  /** BEIR split; ignored for QA datasets. Default "test". */
  split?: string;
  index: EvalIndexConfig;
  search: EvalSearchConfig;
  /** Metric names; default `defaultRetrievalMetrics`. */
  metrics?: string[];
  /** Write the TREC run here. */
  runFile?: string;
  /** Keep per-query values in the result. */
  perQuery?: boolean;
  /** Which retriever runs the queries; default `{ retriever: 'bm25' }`. */
  retriever?: EvalRetrieverConfig;
  /**
   * Worker threads for the bm25 queries, integer in [1, 256], or `'auto'`: the available cores
   * (`defaultThreads()`) when the split has at least {@link AUTO_THREADS_MIN_QUERIES} queries,
   * else 1. Default 1 (in-process, no worker). Dense and hybrid retrievers always run serially:
   * their result records `timings.threads` 1.
   */
  threads?: number | 'auto';
  /**
   * Rerank the first-stage run (`rerank-eval.ts`): the result then has a second row, and with
   * `runFile` the reranked run is written to `<runFile>.reranked`.
   */
  rerank?: EvalRerankConfig;
  /** Bootstrap resamples and seed of the intervals and the paired test (default 1,000, seed 1). */
  bootstrap?: BootstrapOptions;
  /**
   * A PostgreSQL store URL: index the corpus into that store (the dataset's own database) and
   * score the queries in SQL instead of an embedded eval index (`store-eval.ts`). `threads` does
   * not apply; BM25 queries run 4 at a time on the store's pool.
   */
  store?: string;
}

/**
 * `threads: 'auto'` uses worker threads from this many queries on. Below it, starting workers
 * (~0.3–0.6 s) and their cold JIT cost more than they save: on SciFact's 300 test queries two
 * workers gave ~1,000 queries/s against ~1,700 in-process.
 */
export const AUTO_THREADS_MIN_QUERIES = 2_000;

/** Index statistics as pinned by regression files (Anserini's IndexReaderUtils names in comments). */
export interface EvalIndexStats {
  /** "documents" */
  documents: number;
  /** "unique terms" */
  terms: number;
  /** Number of (term, chunk) postings. */
  postings: number;
  /** "total terms": Σ document lengths after analysis (Lucene sumTotalTermFreq). */
  totalTerms: number;
}

export interface RetrievalEvalResult {
  dataset: string;
  split: string;
  /** Index and search settings, and the retriever (`retriever`, plus `fusion`/`rrfK`/`alpha` for hybrid, `embedder` for dense and hybrid). */
  config: EvalIndexConfig & EvalSearchConfig & { retriever: string; embedder?: string } & Record<string, unknown>;
  /** Number of judged queries the means are over (trec_eval -c). */
  queries: number;
  metrics: Record<string, number>;
  /**
   * `threads`: worker threads the queries ran on (1 = in-process). `queriesPerSecond` is
   * queries ÷ `searchSeconds`; with threads 1, `searchSeconds` sums the time inside each search,
   * with threads > 1 it is the wall-clock time of the whole batch (see `runQueriesThreaded`), so
   * the two are throughputs of different kinds. `workerStartSeconds`: starting the workers and
   * loading the index in each (threads > 1 only).
   */
  timings: {
    indexSeconds: number;
    queriesPerSecond: number;
    searchSeconds: number;
    indexCached: boolean;
    threads: number;
    workerStartSeconds?: number;
    embedSeconds?: number;
    embedded?: number;
  };
  index: EvalIndexStats & { dir: string };
  perQuery?: Record<string, Record<string, number>>;
  /**
   * The table: the first stage, then (with `rerank`) the reranked run, each metric's mean with
   * its bootstrap interval, the paired randomization p-value against the first row, and ms/query.
   */
  rows: ComparisonRow[];
  /** What the rerank row ran: reranker id, depth, weight, seconds in the reranker. */
  rerank?: { reranker: string; depth: number; firstStageWeight: number; rerankSeconds: number };
  /** Resamples and seed behind `rows[].ci` and `rows[].pValue`. */
  bootstrap: { resamples: number; seed: number };
}

/** Runs one retrieval evaluation; see the module comment. `deps.models` supplies the embedder for dense/hybrid. */
export async function evaluateRetrieval(opts: RetrievalEvalOptions, deps: EvalDeps & { models?: EngineModels }, loaded?: RetrievalDataset): Promise<RetrievalEvalResult> {
  checkSearchConfig(opts.search);
  const retriever = opts.retriever ?? { retriever: 'bm25' };
  checkRetrieverConfig(retriever);
  if (opts.threads !== 'auto') checkThreads(opts.threads ?? 1, '--threads');
  const metrics = (opts.metrics ?? [...defaultRetrievalMetrics]).map((m) => parseMetric(m));
  const split = opts.split ?? 'test';
  const ds = loaded ?? (await loadRetrievalDataset(opts.dataset, split, opts));
  const threads = opts.threads === 'auto' ? (ds.queries.size >= AUTO_THREADS_MIN_QUERIES ? defaultThreads() : 1) : (opts.threads ?? 1);
  let indexInfo: { indexSeconds: number; cached: boolean; dir: string; stats: EvalIndexStats };
  let runResult;
  let embed;
  if (opts.store !== undefined) {
    // The pg client loads only for a store run.
    const { runStoreRetrieval } = await import('./store-eval.js');
    const r = await runStoreRetrieval(opts.store, ds.name, ds.corpus, ds.queries, opts.index, opts.search, retriever, deps);
    indexInfo = r;
    embed = r.embed;
    runResult = { ...r, threads: r.concurrency, workerStartSeconds: 0 };
  } else if (retriever.retriever === 'bm25') {
    const index = await openEvalIndex(ds.name, ds.corpus, ds.files, opts.index, deps);
    indexInfo = { ...index, stats: readerStats(index.reader) };
    runResult = await runQueriesThreaded(index, ds.queries, opts.search, deps.now, threads);
  } else {
    const opened = await openEvalEngine(ds.name, ds.corpus, ds.files, opts.index, opts.search, retriever, { ...deps, models: deps.models ?? {} });
    indexInfo = { ...opened.index, stats: readerStats(opened.index.reader) };
    embed = opened.embed;
    runResult = { ...(await runRetrieverQueries(opened.retriever, ds.queries, opts.search.topK, deps.now)), threads: 1, workerStartSeconds: 0 };
  }
  const { run, queriesPerSecond, searchSeconds, workerStartSeconds } = runResult;
  if (opts.runFile) await writeRun(opts.runFile, run, `openbook-${retriever.retriever === 'bm25' ? opts.search.similarity : retriever.retriever}`);
  const ev = evaluateRun(ds.qrels, run, metrics, { complete: true });
  const firstMs = ds.queries.size > 0 ? (searchSeconds * 1000) / ds.queries.size : 0;
  const table: Array<{ name: string; evaluation: typeof ev; msPerQuery: number }> = [{ name: retriever.retriever, evaluation: ev, msPerQuery: firstMs }];
  let rerank: RetrievalEvalResult['rerank'];
  if (opts.rerank) {
    const byId = new Map(ds.corpus.map((d) => [d.id, d]));
    const textOf = (id: string) => {
      const d = byId.get(id);
      return d ? indexedText(d, opts.index.fields) : '';
    };
    deps.onProgress?.(`reranking the top ${opts.rerank.depth} of ${ds.queries.size} queries with ${opts.rerank.reranker.id}`);
    const rr = await rerankRun(run, ds.queries, textOf, opts.rerank, deps.now);
    if (opts.runFile) await writeRun(`${opts.runFile}.reranked`, rr.run, `openbook-rerank`);
    const rev = evaluateRun(ds.qrels, rr.run, metrics, { complete: true });
    table.push({ name: `${retriever.retriever} + rerank (${opts.rerank.reranker.id}, depth ${opts.rerank.depth})`, evaluation: rev, msPerQuery: firstMs + (ds.queries.size > 0 ? (rr.rerankSeconds * 1000) / ds.queries.size : 0) });
    rerank = { reranker: opts.rerank.reranker.id, depth: opts.rerank.depth, firstStageWeight: opts.rerank.firstStageWeight ?? 0, rerankSeconds: rr.rerankSeconds };
  }
  const bootstrap = { resamples: opts.bootstrap?.resamples ?? 1000, seed: opts.bootstrap?.seed ?? 1 };
  const rows = compareRows(table, ds.qrels, bootstrap);
  return {
    dataset: ds.name || basename(opts.dataset),
    split,
    config: { ...opts.index, ...opts.search, ...retrieverRecord(retriever), ...(embed ? { embedder: embed.embedder } : {}) } as RetrievalEvalResult['config'],
    queries: ev.numQueries,
    metrics: ev.mean,
    timings: {
      indexSeconds: indexInfo.indexSeconds,
      queriesPerSecond,
      searchSeconds,
      indexCached: indexInfo.cached,
      threads: runResult.threads,
      ...(runResult.threads > 1 ? { workerStartSeconds } : {}),
      ...(embed ? { embedSeconds: embed.seconds, embedded: embed.embedded } : {}),
    },
    index: { ...indexInfo.stats, dir: indexInfo.dir },
    ...(opts.perQuery ? { perQuery: Object.fromEntries(ev.perQuery) } : {}),
    rows,
    ...(rerank ? { rerank } : {}),
    bootstrap,
  };
}

function readerStats(reader: IndexReader): EvalIndexStats {
  const st = reader.stats();
  return { documents: st.numDocuments, terms: st.numTerms, postings: st.numPostings, totalTerms: st.sumDocLen };
}
