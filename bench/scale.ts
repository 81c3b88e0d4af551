/**
 * Scale curve of openbook's BM25 on the seeded synthetic corpus (bench/synthetic.ts):
 *
 *   npm run bench:scale [-- --sizes 10000,100000,1000000 --reps 3 --queries 1000 --passes 3 --threads N]
 *
 * `--threads` sets the writer's analysis threads (default: the available cores, at most 8;
 * queries stay single-threaded). For each size: index time, peak RSS, reader memory, index bytes on disk, and query latency
 * p50/p99 (top-100, single-threaded) for 3-term queries and for 1–8-term queries. Each size is
 * built `reps` times in fresh processes (sizes ≥ 1M once unless `--reps-large` says otherwise),
 * each process times `passes` passes over the queries; medians are reported. Writes
 * `bench/results/scale.json` (keeping earlier points of other sizes measured with the same seed,
 * queries and passes, so sizes can be run separately) and regenerates `docs/performance.md` (with the SciFact table from
 * `bench/results/scifact.json` when `npm run bench -- --save bench/results/scifact.json` wrote it)
 * and the SVG plot `docs/img/scale-latency.svg`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultThreads } from '../src/core/workers.js';
import { formatReport, type BenchReport } from './report.js';
import type { ScaleJob, ScaleResult } from './scale-child.js';
import { f2, f3, formatScale, latencySvg, MB, sizeLabel, targetsTable, type ScalePoint, type ScaleReport } from './scale-report.js';
import { environment, median, runChild } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCALE_CHILD = fileURLToPath(new URL('./scale-child.ts', import.meta.url));

function parseArgs(argv: string[]) {
  const a = { sizes: [10_000, 100_000, 1_000_000], reps: 3, repsLarge: 1, queries: 1000, passes: 3, seed: 42, docsOnly: false, threads: defaultThreads() };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i] ?? '';
    if (k === '--sizes') a.sizes = v().split(',').map(Number);
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--reps') a.reps = Number(v());
    else if (k === '--reps-large') a.repsLarge = Number(v());
    else if (k === '--queries') a.queries = Number(v());
    else if (k === '--passes') a.passes = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--docs-only') a.docsOnly = true;
    else throw new Error(`unknown option ${k}; options: --sizes a,b,c --reps N --reps-large N --queries N --passes N --seed N --docs-only`);
  }
  for (const n of a.sizes) if (!Number.isInteger(n) || n < 1) throw new Error(`--sizes: bad size ${n}`);
  return a;
}

/** Median of each numeric field over repetitions (latency summaries field by field). */
function medianPoint(results: ScaleResult[]): ScalePoint {
  const m = (f: (r: ScaleResult) => number) => median(results.map(f));
  const lat = (f: (r: ScaleResult) => ScaleResult['threeTerm']) => ({
    p50Ms: m((r) => f(r).p50Ms),
    p99Ms: m((r) => f(r).p99Ms),
    meanMs: m((r) => f(r).meanMs),
    cpuMsPerQuery: m((r) => f(r).cpuMsPerQuery),
  });
  const r0 = results[0];
  return {
    numDocs: r0.numDocs,
    rawTextBytes: r0.rawTextBytes,
    numTerms: r0.numTerms,
    numPostings: r0.numPostings,
    buildSeconds: m((r) => r.buildSeconds),
    buildCpuSeconds: m((r) => r.buildCpuSeconds),
    commitSeconds: m((r) => r.commitSeconds),
    openSeconds: m((r) => r.openSeconds),
    bytesOnDisk: m((r) => r.bytesOnDisk),
    readerMemoryBytes: results.some((r) => r.readerMemoryBytes === null) ? null : m((r) => r.readerMemoryBytes ?? 0),
    peakRssBytes: m((r) => r.peakRssBytes),
    threeTerm: lat((r) => r.threeTerm),
    mixed: lat((r) => r.mixed),
    reps: results.length,
  };
}

async function writeDocs(scale: ScaleReport | null): Promise<void> {
  const scifactFile = `${ROOT}bench/results/scifact.json`;
  const scifact = existsSync(scifactFile) ? (JSON.parse(await readFile(scifactFile, 'utf8')) as BenchReport) : null;
  const head = await readFile(`${ROOT}bench/performance-notes.md`, 'utf8');
  const parts = [head.trimEnd(), '', '## Targets', '', targetsTable(scifact, scale), ''];
  parts.push('## SciFact: openbook and the npm peers', '', 'Reproduce: `npm run bench -- --dataset ../shared/datasets/scifact --reps 3 --save bench/results/scifact.json`', '');
  parts.push(scifact ? formatReport(scifact) : '_not measured yet_', '');
  parts.push('## Scale curve (synthetic corpus)', '', 'Reproduce: `npm run bench:scale` (sizes 10k, 100k, 1M).', '');
  if (scale) {
    parts.push(formatScale(scale), '', '![latency vs corpus size](img/scale-latency.svg)', '');
    await mkdir(`${ROOT}docs/img`, { recursive: true });
    await writeFile(`${ROOT}docs/img/scale-latency.svg`, latencySvg(scale.points));
  } else parts.push('_not measured yet_', '');
  // Sections measured by other benchmarks (store, CLI start-up, HTTP load), kept by hand after the generated part.
  const tail = `${ROOT}bench/performance-notes-tail.md`;
  if (existsSync(tail)) parts.push((await readFile(tail, 'utf8')).trimEnd(), '');
  await writeFile(`${ROOT}docs/performance.md`, parts.join('\n'));
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const resultsFile = `${ROOT}bench/results/scale.json`;
  if (a.docsOnly) {
    await writeDocs(existsSync(resultsFile) ? (JSON.parse(await readFile(resultsFile, 'utf8')) as ScaleReport) : null);
    return;
  }
  const env = environment();
  const points: ScalePoint[] = [];
  for (const numDocs of a.sizes) {
    const reps = numDocs >= 1_000_000 ? a.repsLarge : a.reps;
    const results: ScaleResult[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const job: ScaleJob = { numDocs, seed: a.seed, numQueries: a.queries, passes: a.passes, topK: 100, threads: a.threads };
      const r = await runChild<ScaleResult>(JSON.stringify(job), { script: SCALE_CHILD, maxOldSpaceMb: 16_000 });
      process.stderr.write(
        `${sizeLabel(numDocs)} rep ${rep + 1}: build ${f2(r.buildSeconds)} s (CPU ${f2(r.buildCpuSeconds)} s), 3-term p50 ${f3(r.threeTerm.p50Ms)} ms p99 ${f3(r.threeTerm.p99Ms)} ms, peak RSS ${f2(r.peakRssBytes / MB)} MB\n`,
      );
      results.push(r);
    }
    points.push(medianPoint(results));
  }
  // Points of other sizes from an earlier run with the same settings are kept (runs can be split by size).
  if (existsSync(resultsFile)) {
    const prev = JSON.parse(await readFile(resultsFile, 'utf8')) as ScaleReport;
    if (prev.seed === a.seed && prev.numQueries === a.queries && prev.passes === a.passes) {
      for (const p of prev.points) if (!a.sizes.includes(p.numDocs)) points.push(p);
      points.sort((x, y) => x.numDocs - y.numDocs);
    }
  }
  const report: ScaleReport = { environment: env, seed: a.seed, numQueries: a.queries, passes: a.passes, topK: 100, threads: a.threads, points };
  process.stdout.write(formatScale(report) + '\n');
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  await writeFile(resultsFile, JSON.stringify(report, null, 2) + '\n');
  await writeDocs(report);
}

await main();
