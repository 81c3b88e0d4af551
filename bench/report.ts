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
  /** Queries / wall-clock seconds inside search calls, warm passes (after one full untimed-for-warm pass). */
  queriesPerSecond: number;
  /** The same over the cold first pass, right after the build (absent in reports from before it was measured). */
  coldQueriesPerSecond?: number;
  /** Median latency of the cold first pass, ms. */
  coldP50Ms?: number;
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
 * retrieval evaluation", CIKM 2007): under H0 each query's difference is as likely to have
 * either sign, and p is the share of sign patterns whose |mean| is ≥ the observed |mean|.
 * Exact — all 2^m patterns of the m non-zero differences enumerated — when m ≤ `exactUpTo`
 * (default 20); otherwise `trials` seeded random patterns (mulberry32), so p is reproducible.
 * @returns p in [0, 1]; 1 when the samples are equal (or empty)
 */
export function pairedRandomizationP(a: readonly number[], b: readonly number[], trials = 10_000, seed = 1, opts: { exactUpTo?: number } = {}): number {
  if (a.length !== b.length) throw new Error(`paired samples differ in length: ${a.length} vs ${b.length}`);
  const all = a.map((x, i) => x - b[i]);
  const n = all.length;
  if (n === 0) return 1;
  const observed = Math.abs(all.reduce((s, x) => s + x, 0));
  const eps = 1e-12 * Math.max(1, observed);
  // Zero differences do not change under a flip: only the others are enumerated.
  const d = all.filter((x) => x !== 0);
  const m = d.length;
  if (m <= (opts.exactUpTo ?? 20)) {
    let atLeast = 0;
    const patterns = 2 ** m;
    for (let mask = 0; mask < patterns; mask++) {
      let sum = 0;
      for (let i = 0; i < m; i++) sum += mask & (1 << i) ? -d[i] : d[i];
      if (Math.abs(sum) >= observed - eps) atLeast++;
    }
    return atLeast / patterns;
  }
  const rng = mulberry32(seed);
  let atLeast = 0;
  for (let k = 0; k < trials; k++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += rng() < 0.5 ? d[i] : -d[i];
    if (Math.abs(sum) >= observed - eps) atLeast++;
  }
  return atLeast / trials;
}

/** Significance level of the SciFact nDCG@10 target: a peer "significantly better" has p below it and a higher mean. */
export const SIGNIFICANCE = 0.05;

/** The peers whose nDCG@10 is higher than openbook's with paired randomization p < {@link SIGNIFICANCE}. */
export function significantlyBetter(report: BenchReport): Array<{ system: string; delta: number; p: number }> {
  const ob = report.systems.find((s) => s.system === 'openbook');
  if (!ob) return [];
  return report.systems
    .filter((s) => s.system !== 'openbook' && s.ndcg10 > ob.ndcg10)
    .map((s) => ({ system: s.system, delta: s.ndcg10 - ob.ndcg10, p: pairedRandomizationP(s.perQueryNdcg10, ob.perQueryNdcg10) }))
    .filter((x) => x.p < SIGNIFICANCE);
}

/** One line: which peers, if any, have a significantly higher nDCG@10 than openbook (p < 0.05). */
function significanceLine(r: BenchReport): string {
  const better = significantlyBetter(r);
  return better.length === 0
    ? `No peer has a significantly higher nDCG@10 than openbook (paired randomization p < ${SIGNIFICANCE}).`
    : `Significantly higher nDCG@10 than openbook (p < ${SIGNIFICANCE}): ${better.map((b) => `${b.system} +${b.delta.toFixed(4)} (p = ${b.p.toFixed(3)})`).join(', ')}.`;
}

/** The two Markdown tables (measurements, and ratios to openbook). */
export function formatReport(r: BenchReport): string {
  const rows = r.systems.map((s) => [
    s.system,
    s.ndcg10.toFixed(4),
    s.recall100.toFixed(4),
    fx(s.buildSeconds),
    fx(s.buildCpuSeconds),
    s.coldQueriesPerSecond === undefined ? '—' : qpsText(s.coldQueriesPerSecond),
    qpsText(s.queriesPerSecond),
    qpsText(s.queriesPerCpuSecond),
    s.coldP50Ms === undefined ? '—' : fx(s.coldP50Ms, 3),
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
      s.coldQueriesPerSecond === undefined || ob.coldQueriesPerSecond === undefined ? '—' : ratio(ob.coldQueriesPerSecond / s.coldQueriesPerSecond),
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
    `${r.dataset}: ${r.numDocs} documents (${r.rawTextMB.toFixed(1)} MB of text), ${r.numQueries} queries, top-${r.topK}, single-threaded; per process one cold full pass right after the build (the "cold" columns; it is also the warm-up), then warm full passes until 2 s have gone by (1–5 passes; the other speed columns).`,
    describeEnvironment(r.environment, r.reps) + '.',
    '',
    toMarkdown(['system', 'nDCG@10', 'Recall@100', 'build s', 'build CPU s', 'cold queries/s', 'queries/s', 'queries/CPU s', 'cold p50 ms', 'p50 ms', 'p99 ms', 'peak RSS MB', 'index heap MB', 'index disk MB'], rows),
    'Ratios to openbook (> 1× means openbook is better; nDCG@10 as the peer minus openbook, with the p-value of a two-sided paired randomization test over the queries: exact up to 20 non-zero differences, else 10,000 seeded sign flips):',
    '',
    toMarkdown(['system', 'ΔnDCG@10', 'p (paired)', 'cold queries/s', 'queries/s', 'queries/CPU s', 'p50', 'build time', 'build CPU', 'peak RSS', 'index heap', 'index disk'], ratioRows),
    significanceLine(r),
    ...notes,
  ].join('\n');
}

