/**
 * Batch querying: serial `IndexReader.search` against a `SearchPool` of worker threads, on a BEIR
 * dataset's queries over its eval index (the one `openbook eval retrieval` builds and caches).
 *
 *   npx tsx bench/batch.ts --dataset ../shared/datasets/scifact [--threads 2] [--topk 1000] [--seconds 3]
 *
 * Each side runs warm-up passes over the queries, then the query list repeated `passes` times
 * (chosen so the serial side takes about `--seconds`): serially in a loop, and as one batch on the
 * pool (`searchBatch`, then `searchBatchPacked` as the eval runner uses it); all keep their results. Both are wall clock from the first query to the last result; worker start-up is reported
 * apart. The threaded results of the first pass are checked equal to the serial ones.
 * Run on an idle machine (the load average is printed).
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { loadRetrievalDataset } from '../src/eval/datasets.js';
import { openEvalIndex } from '../src/eval/runner.js';
import { SearchPool, type SearchOptions } from '../src/index/index.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: '../shared/datasets/scifact' },
    split: { type: 'string', default: 'test' },
    threads: { type: 'string', default: '2' },
    topk: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '3' },
    cache: { type: 'string', default: path.join('.openbook', 'eval-cache') },
  },
});
const threads = Number(values.threads);
const opts: SearchOptions = { topK: Number(values.topk), similarity: 'bm25', k1: 0.9, b: 0.4 };
const targetSeconds = Number(values.seconds);

const ds = await loadRetrievalDataset(values.dataset, values.split);
const index = await openEvalIndex(ds.name, ds.corpus, ds.files, { analyzer: 'english', fields: 'flat', luceneNorms: true }, {
  cacheDir: path.resolve(values.cache),
  now: () => performance.now(),
  wallClock: Date.now,
  onProgress: (m) => process.stderr.write(`${m}\n`),
});
const queries = [...ds.queries.values()];
const { reader } = index;

// Two serial warm-up passes; the second (JIT-warm) sizes the timed run.
let t = performance.now();
const serialFirst = queries.map((q) => reader.search(q, opts));
const serialColdSeconds = (performance.now() - t) / 1000;
t = performance.now();
for (const q of queries) reader.search(q, opts);
const passSeconds = (performance.now() - t) / 1000;
const passes = Math.max(1, Math.ceil(targetSeconds / passSeconds));
const batch = Array.from({ length: passes }, () => queries).flat();

// Both sides keep every result list, as a batch caller gets them.
t = performance.now();
const kept = batch.map((q) => reader.search(q, opts));
const serialSeconds = (performance.now() - t) / 1000;
kept.length = 0;

t = performance.now();
const pool = await SearchPool.open(index.dir, { threads, generation: reader.stats().generation });
const startSeconds = (performance.now() - t) / 1000;
let threadedSeconds: number;
let packedSeconds: number;
let poolColdSeconds: number;
let equal: boolean;
try {
  t = performance.now();
  const poolFirst = await pool.searchBatch(queries, opts); // warm-up pass, checked
  poolColdSeconds = (performance.now() - t) / 1000;
  equal = isDeepStrictEqual(poolFirst, serialFirst);
  t = performance.now();
  await pool.searchBatch(batch, opts);
  threadedSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  await pool.searchBatchPacked(batch, opts);
  packedSeconds = (performance.now() - t) / 1000;
} finally {
  await pool.close();
}

const qps = (s: number) => batch.length / s;
const result = {
  dataset: ds.name,
  split: values.split,
  queries: queries.length,
  passes,
  timedQueries: batch.length,
  topK: opts.topK,
  threads,
  loadAverage1m: Number(loadavg()[0].toFixed(2)),
  serial: { seconds: Number(serialSeconds.toFixed(3)), queriesPerSecond: Math.round(qps(serialSeconds)) },
  pool: { seconds: Number(threadedSeconds.toFixed(3)), queriesPerSecond: Math.round(qps(threadedSeconds)), workerStartSeconds: Number(startSeconds.toFixed(3)) },
  poolPacked: { seconds: Number(packedSeconds.toFixed(3)), queriesPerSecond: Math.round(qps(packedSeconds)) },
  // The first pass over the queries on a fresh reader / fresh workers (JIT cold), as one eval run sees it.
  firstPass: { serialSeconds: Number(serialColdSeconds.toFixed(3)), poolSeconds: Number(poolColdSeconds.toFixed(3)) },
  speedup: Number((serialSeconds / threadedSeconds).toFixed(2)),
  speedupPacked: Number((serialSeconds / packedSeconds).toFixed(2)),
  resultsEqual: equal,
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
if (!equal) process.exitCode = 1;
