/** The SciFact-style comparison report: shapes and the Markdown tables (shared by bench/run.ts and bench/scale.ts). */
import { mulberry32 } from '../src/core/random.js';
import { toMarkdown } from '../src/eval/report.js';
import { describeEnvironment, type Environment } from './stats.js';
import type { SystemName } from './systems.js';

export interface SystemSummary {
  system: SystemName;
  ndcg10: number;
  recall100: number;
  buildSeconds: number;
  buildCpuSeconds: number;
  /** Queries / wall-clock seconds inside search calls. */
  queriesPerSecond: number;
  /** Queries / CPU seconds of the query loop (what one unshared core would do). */
  queriesPerCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMB: number;
  indexMemoryMB: number;
  indexDiskMB: number | null;
  failedQueries: number;
  /** Queries with no result at all. */
  emptyResults: number;
  reps: number;
  /** nDCG@10 of each judged query, in qrels order (for the paired significance test). */
  perQueryNdcg10: number[];
}

export interface BenchReport {
  dataset: string;
  numDocs: number;
  numQueries: number;
  rawTextMB: number;
  topK: number;
  environment: Environment;
  reps: number;
  systems: SystemSummary[];
}

const qpsText = (q: number) => (q >= 100 ? q.toFixed(0) : q.toFixed(1));
const fx = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const ratio = (x: number) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : '—');

/**
 * Two-sided paired randomization (sign-flip) test of the mean difference of per-query values
 * (Smucker, Allan & Carterette, "A comparison of statistical significance tests for information
 * retrieval evaluation", CIKM 2007): the share of `trials` random sign flips of the differences
 * whose |mean| is ≥ the observed |mean|. Seeded (mulberry32), so the p-value is reproducible.
 */
export function pairedRandomizationP(a: readonly number[], b: readonly number[], trials = 10_000, seed = 1): number {
  const d = a.map((x, i) => x - b[i]);
  const n = d.length;
  if (n === 0) return 1;
  const observed = Math.abs(d.reduce((s, x) => s + x, 0) / n);
  const rng = mulberry32(seed);
  let atLeast = 0;
  for (let k = 0; k < trials; k++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += rng() < 0.5 ? d[i] : -d[i];
    if (Math.abs(sum / n) >= observed - 1e-12) atLeast++;
  }
  return atLeast / trials;
}

/** The two Markdown tables (measurements, and ratios to openbook). */
export function formatReport(r: BenchReport): string {
  const rows = r.systems.map((s) => [
    s.system,
    s.ndcg10.toFixed(4),
    s.recall100.toFixed(4),
    fx(s.buildSeconds),
    fx(s.buildCpuSeconds),
    qpsText(s.queriesPerSecond),
    qpsText(s.queriesPerCpuSecond),
    fx(s.p50Ms, 3),
    fx(s.p99Ms, 3),
    fx(s.peakRssMB, 0),
    fx(s.indexMemoryMB, 1),
    s.indexDiskMB === null ? '—' : fx(s.indexDiskMB, 1),
  ]);
  const ob = r.systems.find((s) => s.system === 'openbook')!;
  const ratioRows = r.systems
    .filter((s) => s.system !== 'openbook')
    .map((s) => [
      s.system,
      (s.ndcg10 - ob.ndcg10 >= 0 ? '+' : '') + (s.ndcg10 - ob.ndcg10).toFixed(4),
      s.perQueryNdcg10 && ob.perQueryNdcg10 ? pairedRandomizationP(s.perQueryNdcg10, ob.perQueryNdcg10).toFixed(3) : '—',
      ratio(ob.queriesPerSecond / s.queriesPerSecond),
      ratio(ob.queriesPerCpuSecond / s.queriesPerCpuSecond),
      ratio(s.p50Ms / ob.p50Ms),
      ratio(s.buildSeconds / ob.buildSeconds),
      ratio(s.buildCpuSeconds / ob.buildCpuSeconds),
      ratio(s.peakRssMB / ob.peakRssMB),
      ratio(s.indexMemoryMB / ob.indexMemoryMB),
      s.indexDiskMB === null || ob.indexDiskMB === null ? '—' : ratio(s.indexDiskMB / ob.indexDiskMB),
    ]);
  const notes: string[] = [];
  for (const s of r.systems) {
    if (s.failedQueries > 0) notes.push(`${s.system}: ${s.failedQueries} queries threw and count as empty.`);
  }
  return [
    `${r.dataset}: ${r.numDocs} documents (${r.rawTextMB.toFixed(1)} MB of text), ${r.numQueries} queries, top-${r.topK}, single-threaded; per process an untimed warm-up (one pass over the queries or 1 s, whichever first), then timed full passes until 2 s have gone by (1–5 passes).`,
    describeEnvironment(r.environment, r.reps) + '.',
    '',
    toMarkdown(['system', 'nDCG@10', 'Recall@100', 'build s', 'build CPU s', 'queries/s', 'queries/CPU s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'index heap MB', 'index disk MB'], rows),
    'Ratios to openbook (> 1× means openbook is better; nDCG@10 as the peer minus openbook, with the p-value of a two-sided paired randomization test over the queries, 10,000 seeded sign flips):',
    '',
    toMarkdown(['system', 'ΔnDCG@10', 'p (paired)', 'queries/s', 'queries/CPU s', 'p50', 'build time', 'build CPU', 'peak RSS', 'index heap', 'index disk'], ratioRows),
    ...notes,
  ].join('\n');
}

