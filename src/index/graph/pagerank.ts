/**
 * PageRank by power iteration: Page, Brin, Motwani & Winograd, "The PageRank Citation Ranking:
 * Bringing Order to the Web", Stanford InfoLab tech. report 1999-66, §2.4–2.6, in the normalised
 * form whose scores are a probability distribution (the random surfer's stationary distribution):
 *
 *   PR_{t+1}(v) = (1 − d)/N + d · ( Σ_{u → v} PR_t(u) / L(u)  +  D_t / N )
 *   D_t         = Σ_{u : L(u) = 0} PR_t(u)          (mass of dangling nodes, spread uniformly)
 *
 * with N nodes, L(u) the number of distinct out-links of u, damping d (default 0.85, the paper's
 * value), PR_0 = 1/N. Iteration stops when ‖PR_{t+1} − PR_t‖₁ < tolerance (default 1e-10) or after
 * maxIterations (default 100). Every iterate sums to 1 (up to floating-point rounding); the
 * result is renormalised to sum 1 before it is returned.
 *
 * Equivalently PR is the solution of the linear system (I − d·M̂) PR = (1 − d)/N · 1 with
 * M̂ = M + (1/N)·1·aᵀ (M column-stochastic on non-dangling columns, a = dangling indicator);
 * the tests check the power iteration against that solve.
 */
import { InvalidParameterError } from '../../core/errors.js';
import type { LinkGraph } from './link-graph.js';

export interface PageRankOptions {
  /** Damping d ∈ [0, 1): probability of following a link. Default 0.85 (Page et al. 1999). */
  damping?: number;
  /** Stop when the L1 change of one iteration is below this (> 0). Default 1e-10. */
  tolerance?: number;
  /** Iteration cap (integer ≥ 1). Default 100. */
  maxIterations?: number;
}

export interface PageRankResult {
  /** PR per node, sums to 1; empty for an empty graph. */
  scores: Float64Array;
  /** Iterations run. */
  iterations: number;
  /** Whether the L1 change fell below the tolerance. */
  converged: boolean;
  /** L1 change of the last iteration. */
  l1Delta: number;
  damping: number;
  tolerance: number;
  maxIterations: number;
}

export const DEFAULT_DAMPING = 0.85;
export const DEFAULT_TOLERANCE = 1e-10;
export const DEFAULT_MAX_ITERATIONS = 100;

/**
 * PageRank of `graph` (see the module comment for the equation).
 * Cost per iteration: O(N + E) with the CSR out-edges.
 * @throws InvalidParameterError when damping ∉ [0, 1), tolerance ≤ 0, or maxIterations < 1
 */
export function pageRank(graph: Pick<LinkGraph, 'offsets' | 'targets'>, options: PageRankOptions = {}): PageRankResult {
  const damping = options.damping ?? DEFAULT_DAMPING;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (!(damping >= 0 && damping < 1)) throw new InvalidParameterError(`pagerank: damping must be in [0, 1), got ${damping}`);
  if (!(tolerance > 0)) throw new InvalidParameterError(`pagerank: tolerance must be > 0, got ${tolerance}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new InvalidParameterError(`pagerank: maxIterations must be an integer ≥ 1, got ${maxIterations}`);
  const { offsets, targets } = graph;
  const n = offsets.length - 1;
  const base = { damping, tolerance, maxIterations };
  if (n <= 0) return { scores: new Float64Array(0), iterations: 0, converged: true, l1Delta: 0, ...base };

  let pr = new Float64Array(n).fill(1 / n);
  let next = new Float64Array(n);
  let iterations = 0;
  let l1Delta = Infinity;
  while (iterations < maxIterations) {
    let dangling = 0;
    next.fill(0);
    for (let u = 0; u < n; u++) {
      const start = offsets[u];
      const end = offsets[u + 1];
      if (start === end) {
        dangling += pr[u];
        continue;
      }
      const share = pr[u] / (end - start);
      for (let e = start; e < end; e++) next[targets[e]] += share;
    }
    const teleport = (1 - damping) / n + (damping * dangling) / n;
    l1Delta = 0;
    for (let v = 0; v < n; v++) {
      const x = teleport + damping * next[v];
      next[v] = x;
      l1Delta += Math.abs(x - pr[v]);
    }
    [pr, next] = [next, pr];
    iterations++;
    if (l1Delta < tolerance) break;
  }
  let sum = 0;
  for (let v = 0; v < n; v++) sum += pr[v];
  for (let v = 0; v < n; v++) pr[v] /= sum;
  return { scores: pr, iterations, converged: l1Delta < tolerance, l1Delta, ...base };
}
