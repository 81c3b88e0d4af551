/**
 * Side-by-side benchmark of openbook's BM25 and the npm search libraries people use.
 *
 *   npm run bench -- --dataset ../shared/datasets/scifact [--reps 3] [--systems openbook,minisearch] [--json]
 *   npm run bench -- --smoke
 *
 * Every system indexes the same documents (title + "\n" + text) and answers the same test queries,
 * top-100 each (one cold pass right after the build, reported on its own and serving as every
 * system's warm-up, then timed warm passes), in its own child process (bench/child.ts) so peak RSS belongs to it alone; each
 * (system, repetition) is a fresh process and the table shows medians over repetitions. Runs are
 * scored with openbook's trec_eval-equal metrics (nDCG@10, Recall@100, `src/eval/metrics.ts`).
 *
 * `--smoke` (what `.ci/run` calls): ~300 SciFact documents and 50 queries when
 * ../shared/datasets/scifact exists, else 300 synthetic documents; one repetition. It exits
 * non-zero only when something is broken (a child crashes, a system returns no results at all,
 * openbook's nDCG@10 is 0), never because a speed ratio was missed.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { evaluateRun } from '../src/eval/metrics.js';
import type { Run } from '../src/eval/loaders/trec.js';
import type { ChildJob, ChildResult } from './child.js';
import { loadBenchData, type DataSpec } from './dataset.js';
import { formatReport, type BenchReport, type SystemSummary } from './report.js';
import { environment, median, percentile, runChild } from './stats.js';
import { SYSTEM_NAMES, type SystemName } from './systems.js';

interface Args {
  dataset?: string;
  split: string;
  smoke: boolean;
  json: boolean;
  reps: number;
  topK: number;
  systems: SystemName[];
  save?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { split: 'test', smoke: false, json: false, reps: 3, topK: 100, systems: [...SYSTEM_NAMES] };
  let repsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--dataset') a.dataset = v();
    else if (k === '--split') a.split = v();
    else if (k === '--smoke') a.smoke = true;
    else if (k === '--json') a.json = true;
    else if (k === '--reps') {
      a.reps = Number(v());
      repsGiven = true;
    } else if (k === '--topk') a.topK = Number(v());
    else if (k === '--save') a.save = v();
    else if (k === '--systems') {
      const names = v().split(',');
      for (const n of names) if (!(SYSTEM_NAMES as readonly string[]).includes(n)) throw new Error(`unknown system "${n}"; valid: ${SYSTEM_NAMES.join(', ')}`);
      a.systems = names as SystemName[];
    } else throw new Error(`unknown option ${k}; options: --dataset <BEIR dir> --split --smoke --json --reps N --topk N --systems a,b --save file.json`);
  }
  if (a.smoke && !repsGiven) a.reps = 1;
  if (!Number.isInteger(a.reps) || a.reps < 1) throw new Error(`--reps must be an integer ≥ 1, got ${a.reps}`);
  if (!a.systems.includes('openbook')) a.systems.unshift('openbook');
  return a;
}

const MB = 1e6;

/** Queries per second of time spent inside search calls. */
const qps = (latenciesMs: readonly number[]) => latenciesMs.length / (latenciesMs.reduce((s, x) => s + x, 0) / 1000);

function summarize(system: SystemName, results: ChildResult[], data: Awaited<ReturnType<typeof loadBenchData>>): SystemSummary {
  const first = results[0];
  const run: Run = new Map();
  let emptyResults = 0;
  for (const [qid, ids] of Object.entries(first.run)) {
    if (ids.length === 0) emptyResults++;
    // Ranks become descending scores so trec_eval's re-sort keeps each system's order.
    run.set(qid, ids.map((docId, i) => ({ docId, score: ids.length - i })));
  }
  const ev = evaluateRun(data.qrels, run, ['nDCG@10', 'Recall@100']);
  const per = (f: (r: ChildResult) => number) => median(results.map(f));
  return {
    system,
    ndcg10: ev.mean['nDCG@10'],
    recall100: ev.mean['Recall@100'],
    buildSeconds: per((r) => r.buildSeconds),
    buildCpuSeconds: per((r) => r.buildCpuSeconds),
    queriesPerSecond: per((r) => qps(r.latenciesMs)),
    coldQueriesPerSecond: per((r) => qps(r.coldLatenciesMs)),
    coldP50Ms: per((r) => percentile(r.coldLatenciesMs, 50)),
    queriesPerCpuSecond: per((r) => r.latenciesMs.length / (r.queriesCpuMs / 1000)),
    p50Ms: per((r) => percentile(r.latenciesMs, 50)),
    p99Ms: per((r) => percentile(r.latenciesMs, 99)),
    peakRssMB: per((r) => r.peakRssBytes) / MB,
    indexMemoryMB: per((r) => r.indexMemoryBytes) / MB,
    indexDiskMB: first.indexBytesOnDisk === null ? null : per((r) => r.indexBytesOnDisk ?? 0) / MB,
    failedQueries: first.failedQueries,
    emptyResults,
    reps: results.length,
    perQueryNdcg10: [...ev.perQuery.values()].map((v) => v['nDCG@10']),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scifact = resolve('../shared/datasets/scifact');
  let spec: DataSpec;
  if (args.smoke) {
    const dir = args.dataset ?? (existsSync(scifact) ? scifact : undefined);
    spec = dir ? { kind: 'beir', dir, split: args.split, maxDocs: 300, maxQueries: 50 } : { kind: 'synthetic', numDocs: 300, numQueries: 50, seed: 7 };
  } else {
    const dir = args.dataset ?? scifact;
    if (!existsSync(dir)) throw new Error(`no dataset at ${dir}; pass --dataset <BEIR folder> or use --smoke`);
    spec = { kind: 'beir', dir, split: args.split };
  }
  const data = await loadBenchData(spec);
  const env = environment();
  const log = (m: string) => {
    if (!args.json) process.stderr.write(m + '\n');
  };
  log(`${data.name}: ${data.docs.length} documents, ${data.queries.length} queries; ${args.systems.length} systems × ${args.reps} repetitions`);
  const summaries: SystemSummary[] = [];
  const broken: string[] = [];
  for (const system of args.systems) {
    const results: ChildResult[] = [];
    for (let rep = 0; rep < args.reps; rep++) {
      const job: ChildJob = { system, data: spec, topK: args.topK, minTimedMs: args.smoke ? 0 : 2000, maxPasses: 5 };
      try {
        const r = await runChild<ChildResult>(JSON.stringify(job));
        results.push(r);
        log(`  ${system} rep ${rep + 1}: build ${r.buildSeconds.toFixed(2)} s, cold ${qps(r.coldLatenciesMs).toFixed(1)} q/s, warm ${qps(r.latenciesMs).toFixed(1)} q/s`);
      } catch (err) {
        broken.push(`${system}: ${(err as Error).message}`);
        break;
      }
    }
    if (results.length === 0) continue;
    const s = summarize(system, results, data);
    if (s.emptyResults === data.queries.length) broken.push(`${system}: returned no results for any query`);
    summaries.push(s);
  }
  const ob = summaries.find((s) => s.system === 'openbook');
  if (!ob) broken.push('openbook produced no result');
  else if (!(ob.ndcg10 > 0)) broken.push(`openbook nDCG@10 is ${ob.ndcg10}`);
  let rawTextBytes = 0;
  for (const d of data.docs) rawTextBytes += Buffer.byteLength(d.contents);
  const report: BenchReport = {
    dataset: data.name,
    numDocs: data.docs.length,
    numQueries: data.queries.length,
    rawTextMB: rawTextBytes / MB,
    topK: args.topK,
    environment: env,
    reps: args.reps,
    systems: summaries,
  };
  if (ob) {
    if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(formatReport(report) + '\n');
    if (args.save) {
      await mkdir(resolve(args.save, '..'), { recursive: true });
      await writeFile(args.save, JSON.stringify(report, null, 2) + '\n');
    }
  }
  if (broken.length > 0) {
    process.stderr.write(`benchmark broken:\n  ${broken.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}

await main();
