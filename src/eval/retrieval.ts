/**
 * `openbook eval retrieval` as a library call: load → index (cached) → run → trec_eval metrics.
 */
import { basename } from 'node:path';
import type { LoadOptions, RetrievalDataset } from './loaders/common.js';
import { writeRun } from './loaders/trec.js';
import { loadRetrievalDataset } from './datasets.js';
import { defaultRetrievalMetrics, evaluateRun, parseMetric } from './metrics.js';
import { checkSearchConfig, openEvalIndex, runQueries, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig } from './runner.js';

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
}

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
  config: EvalIndexConfig & EvalSearchConfig;
  /** Number of judged queries the means are over (trec_eval -c). */
  queries: number;
  metrics: Record<string, number>;
  timings: { indexSeconds: number; queriesPerSecond: number; searchSeconds: number; indexCached: boolean };
  index: EvalIndexStats & { dir: string };
  perQuery?: Record<string, Record<string, number>>;
}

/** Runs one retrieval evaluation; see the module comment. */
export async function evaluateRetrieval(opts: RetrievalEvalOptions, deps: EvalDeps, loaded?: RetrievalDataset): Promise<RetrievalEvalResult> {
  checkSearchConfig(opts.search);
  const metrics = (opts.metrics ?? [...defaultRetrievalMetrics]).map((m) => parseMetric(m));
  const split = opts.split ?? 'test';
  const ds = loaded ?? (await loadRetrievalDataset(opts.dataset, split, opts));
  const index = await openEvalIndex(ds.name, ds.corpus, ds.files, opts.index, deps);
  const { run, queriesPerSecond, searchSeconds } = runQueries(index, ds.queries, opts.search, deps.now);
  if (opts.runFile) await writeRun(opts.runFile, run, `openbook-${opts.search.similarity}`);
  const ev = evaluateRun(ds.qrels, run, metrics, { complete: true });
  const st = index.reader.stats();
  return {
    dataset: ds.name || basename(opts.dataset),
    split,
    config: { ...opts.index, ...opts.search },
    queries: ev.numQueries,
    metrics: ev.mean,
    timings: { indexSeconds: index.indexSeconds, queriesPerSecond, searchSeconds, indexCached: index.cached },
    index: { documents: st.numDocuments, terms: st.numTerms, postings: st.numPostings, totalTerms: st.sumDocLen, dir: index.dir },
    ...(opts.perQuery ? { perQuery: Object.fromEntries(ev.perQuery) } : {}),
  };
}
