/**
 * Uncertainty for eval tables: percentile-bootstrap confidence intervals of a mean, and the paired
 * randomization (sign-flip permutation) test between two methods scored on the same items.
 *
 * - Bootstrap: Efron & Tibshirani, "An Introduction to the Bootstrap" (1993), §13.3, the
 *   percentile interval: resample the n per-item values with replacement B times (default
 *   1,000), take the mean of each resample, and report the (α/2, 1 − α/2) quantiles of those
 *   means (95 %: 2.5 % and 97.5 %). ARES (Saad-Falcon et al., NAACL 2024) reports RAG judge scores
 *   with such intervals. Quantile q of the sorted B means: the one at index round(q·(B − 1)).
 * - Paired randomization test: Fisher's permutation test on paired differences d_i = a_i − b_i,
 *   as recommended for IR by Smucker, Allan & Carterette ("A Comparison of Statistical
 *   Significance Tests for Information Retrieval Evaluation", CIKM 2007): under H0 each d_i's sign
 *   is exchangeable, so p = share of sign assignments s ∈ {±1}ⁿ with |mean(s·d)| ≥ |mean(d)|
 *   (two-sided). Exact (all 2ⁿ assignments) for n ≤ 16, else Monte Carlo
 *   with R random assignments and p = (1 + #{≥}) / (R + 1) (Phipson & Smyth 2010: never 0).
 *
 * Both are seeded (mulberry32), so a table is reproducible; nothing here returns NaN: an empty
 * sample gives `undefined`.
 */
import { InvalidParameterError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** B resamples, ≥ 1. Default 1,000. */
  resamples?: number;
  /** mulberry32 seed. Default 1. */
  seed?: number;
  /** Coverage in (0, 1). Default 0.95. */
  level?: number;
}

export interface RandomizationOptions {
  /** R random sign assignments for n > 16 (below, all 2ⁿ are enumerated). Default 10,000. */
  permutations?: number;
  /** mulberry32 seed. Default 1. */
  seed?: number;
}

export const DEFAULT_BOOTSTRAP_RESAMPLES = 1000;
export const DEFAULT_PERMUTATIONS = 10_000;

/** The value at quantile q ∈ [0, 1] of an ascending array: index round(q · (n − 1)); NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

function checkCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new InvalidParameterError(`${name} must be an integer ≥ 1, got ${v}`);
}

/** Arithmetic mean; undefined for an empty sample. */
export function mean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * Percentile-bootstrap interval of the mean of `values` (module comment).
 * @returns undefined for an empty sample
 * @throws InvalidParameterError for resamples < 1, a level outside (0, 1), or a non-finite value
 */
export function bootstrapMeanCi(values: readonly number[], o: BootstrapOptions = {}): Interval | undefined {
  const b = o.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const level = o.level ?? 0.95;
  checkCount('bootstrap resamples', b);
  if (!(level > 0 && level < 1)) throw new InvalidParameterError(`interval level must be in (0, 1), got ${level}`);
  for (const v of values) if (!Number.isFinite(v)) throw new InvalidParameterError(`bootstrap: values must be finite, got ${v}`);
  const n = values.length;
  if (n === 0) return undefined;
  const rng = mulberry32(o.seed ?? 1);
  const means = new Float64Array(b);
  for (let r = 0; r < b; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng() * n)];
    means[r] = s / n;
  }
  means.sort();
  const sorted = Array.from(means);
  return { low: percentile(sorted, (1 - level) / 2), high: percentile(sorted, 1 - (1 - level) / 2) };
}

/** Largest n enumerated exactly (2ⁿ sign assignments). */
const EXACT_MAX_N = 16;

/**
 * Two-sided paired randomization test of mean(a) = mean(b) (module comment).
 * @param a per-item scores of one method; `b` of the other, same items in the same order
 * @returns p ∈ (0, 1], with `exact` telling enumeration from Monte Carlo; undefined for no items
 * @throws InvalidParameterError when the lengths differ or a value is not finite
 */
export function pairedRandomizationTest(a: readonly number[], b: readonly number[], o: RandomizationOptions = {}): { p: number; exact: boolean; meanDifference: number } | undefined {
  if (a.length !== b.length) throw new InvalidParameterError(`paired test: ${a.length} scores against ${b.length}; both methods must score the same items`);
  const r = o.permutations ?? DEFAULT_PERMUTATIONS;
  checkCount('permutations', r);
  const n = a.length;
  if (n === 0) return undefined;
  const d = a.map((x, i) => x - b[i]);
  for (const x of d) if (!Number.isFinite(x)) throw new InvalidParameterError(`paired test: scores must be finite, got ${x}`);
  const sum = d.reduce((s, x) => s + x, 0);
  const observed = Math.abs(sum);
  // tolerance for float sums that are equal in exact arithmetic
  const eps = 1e-9 * Math.max(1, d.reduce((s, x) => s + Math.abs(x), 0));
  if (n <= EXACT_MAX_N) {
    let atLeast = 0;
    const total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -d[i] : d[i];
      if (Math.abs(s) >= observed - eps) atLeast++;
    }
    return { p: atLeast / total, exact: true, meanDifference: sum / n };
  }
  const rng = mulberry32(o.seed ?? 1);
  let atLeast = 0;
  for (let k = 0; k < r; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng() < 0.5 ? -d[i] : d[i];
    if (Math.abs(s) >= observed - eps) atLeast++;
  }
  return { p: (1 + atLeast) / (r + 1), exact: false, meanDifference: sum / n };
}

/** A mean with its interval, as eval tables print it: `0.6789 [0.6512, 0.7043]`. */
export function formatWithCi(value: number, ci: Interval | undefined, digits = 4): string {
  return ci ? `${value.toFixed(digits)} [${ci.low.toFixed(digits)}, ${ci.high.toFixed(digits)}]` : value.toFixed(digits);
}

/** A p-value for a table cell: 4 decimals, or `<0.0001`. */
export function formatP(p: number | undefined): string {
  if (p === undefined) return '—';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

/** One row of an eval comparison table. */
export interface ComparisonRow {
  name: string;
  /** Each metric's mean over the items that have a value for it. */
  metrics: Record<string, number>;
  /** Items behind each mean (fewer than the sample when some were unscored). */
  n: Record<string, number>;
  /** Percentile-bootstrap interval of each metric's mean. */
  ci: Record<string, Interval>;
  /** Paired randomization p-value of each metric against the first row, over the items both have (absent on the first row). */
  pValue?: Record<string, number>;
  /** Milliseconds per query, when measured. */
  msPerQuery?: number;
}

/**
 * The comparison table of several methods scored item by item: per metric, each row's mean and
 * bootstrap interval over its own items with a value, and the paired randomization test of each
 * later row against the first over the items both scored (same seed for every cell).
 * @param rows `perItem`: item id → metric → value (a missing metric = unscored item)
 */
export function compareMethods(
  rows: ReadonlyArray<{ name: string; metrics: readonly string[]; perItem: ReadonlyMap<string, Readonly<Record<string, number>>>; msPerQuery?: number }>,
  bootstrap: BootstrapOptions = {},
): ComparisonRow[] {
  const valuesOf = (r: (typeof rows)[number], m: string, ids?: readonly string[]) => {
    const out: number[] = [];
    for (const id of ids ?? r.perItem.keys()) {
      const v = r.perItem.get(id)?.[m];
      if (v !== undefined) out.push(v);
    }
    return out;
  };
  return rows.map((r, i) => {
    const metrics: Record<string, number> = {};
    const n: Record<string, number> = {};
    const ci: Record<string, Interval> = {};
    const pValue: Record<string, number> = {};
    for (const m of r.metrics) {
      const v = valuesOf(r, m);
      n[m] = v.length;
      const mu = mean(v);
      if (mu === undefined) continue;
      metrics[m] = mu;
      const interval = bootstrapMeanCi(v, bootstrap);
      if (interval) ci[m] = interval;
      if (i > 0 && rows[0].metrics.includes(m)) {
        const both = [...r.perItem.keys()].filter((id) => r.perItem.get(id)?.[m] !== undefined && rows[0].perItem.get(id)?.[m] !== undefined);
        const t = pairedRandomizationTest(valuesOf(r, m, both), valuesOf(rows[0], m, both), bootstrap.seed !== undefined ? { seed: bootstrap.seed } : {});
        if (t) pValue[m] = t.p;
      }
    }
    return { name: r.name, metrics, n, ci, ...(i > 0 ? { pValue } : {}), ...(r.msPerQuery !== undefined ? { msPerQuery: r.msPerQuery } : {}) };
  });
}
