/**
 * The probability arithmetic the methods share, in natural-log space where products and sums
 * of small probabilities would underflow.
 *
 * - `softmax(scores, temperature)`: REPLUG's λ(d, x) = exp(s(d,x)/γ) / Σ_d' exp(s(d',x)/γ)
 *   (Shi et al. 2023, eq. 1 and §3.2) and RAG's p(z | x) ∝ exp(d(z)ᵀq(x)) (Lewis et al. 2020, §2.2).
 * - `logMixture(logps, weights)`: log Σ_d λ_d · p_d = logsumexp_d(log λ_d + log p_d) — REPLUG's
 *   ensemble p(y | x, D') = Σ_d p(y | d ∘ x) · λ(d, x) and RAG-Sequence's marginal.
 * - `mixNextToken`: RAG-Token's per-step marginal p(y_i | x, y_<i) = Σ_z p(z|x) p(y_i | x, z, y_<i)
 *   over the union of each document's top alternatives.
 * - `stepBeams`: beam search bookkeeping (keep the `beamSize` best partial hypotheses by summed
 *   log-probability; finished hypotheses compete with live ones).
 * - `majorityVote`: self-consistency over sampled answers (Wang et al. 2023, used by RECITE).
 */
import { InvalidParameterError } from '../core/errors.js';

/** log Σ exp(x_i), stable (subtracts the max); −∞ for an empty list or all −∞. */
export function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}

/**
 * softmax(s / temperature): weights in (0, 1] summing to 1.
 * @param scores retrieval scores (any real numbers; larger is better), length ≥ 1
 * @param temperature γ > 0 (REPLUG's γ; 1 = plain softmax; → 0 approaches argmax)
 * @throws InvalidParameterError on an empty list, a non-finite score, or temperature ≤ 0
 */
export function softmax(scores: readonly number[], temperature = 1): number[] {
  if (scores.length === 0) throw new InvalidParameterError('softmax: needs at least one score');
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new InvalidParameterError(`softmax: temperature must be a finite number > 0, got ${temperature}`);
  for (const s of scores) if (!Number.isFinite(s)) throw new InvalidParameterError(`softmax: scores must be finite, got ${s}`);
  const scaled = scores.map((s) => s / temperature);
  const z = logSumExp(scaled);
  return scaled.map((x) => Math.exp(x - z));
}

/**
 * log Σ_i w_i · exp(logp_i): the log of a weighted mixture of probabilities.
 * @param logps natural-log probabilities (−∞ allowed: that component contributes 0)
 * @param weights non-negative, same length; normally summing to 1
 * @throws InvalidParameterError when the lengths differ or a weight is negative
 */
export function logMixture(logps: readonly number[], weights: readonly number[]): number {
  if (logps.length !== weights.length) throw new InvalidParameterError(`logMixture: ${logps.length} log-probabilities but ${weights.length} weights`);
  const terms: number[] = [];
  for (let i = 0; i < logps.length; i++) {
    if (!(weights[i] >= 0)) throw new InvalidParameterError(`logMixture: weight ${i} must be ≥ 0, got ${weights[i]}`);
    if (weights[i] > 0) terms.push(Math.log(weights[i]) + logps[i]);
  }
  return logSumExp(terms);
}

/** Mean per-token log-probability (length-normalised sequence score); −∞ for no tokens. */
export function meanLogprob(tokenLogprobs: readonly number[]): number {
  if (tokenLogprobs.length === 0) return -Infinity;
  let s = 0;
  for (const x of tokenLogprobs) s += x;
  return s / tokenLogprobs.length;
}

/** One candidate next token with its log-probability under one distribution. */
export interface TokenAlternative {
  token: string;
  logprob: number;
  /** UTF-8 bytes when the endpoint reports them: the token's identity (two partial-UTF-8 tokens may share the string U+FFFD). */
  bytes?: number[];
}

/** A token's identity: its bytes when known, else its string. */
export function tokenKey(t: TokenAlternative): string {
  return t.bytes ? `b:${t.bytes.join(',')}` : `s:${t.token}`;
}

/** A next token under the mixture: its mixed log-probability and its log-probability per document (−∞ when absent from that document's top list). */
export interface MixedToken {
  token: string;
  logprob: number;
  perDoc: number[];
  bytes?: number[];
}

/**
 * Mixes per-document next-token distributions: log p(t) = logsumexp_d(log w_d + log p_d(t)),
 * over the union of the documents' top alternatives. A token outside a document's top list
 * gets probability 0 from it — a lower bound, since the API reveals only the top alternatives;
 * the trace reports the unseen mass.
 * Tokens are matched by `tokenKey` (bytes when reported), so distinct byte-level tokens that
 * print alike stay apart.
 * @param perDoc one list of alternatives per document (duplicates: the first wins)
 * @param weights one weight per document, ≥ 0
 * @returns the union, best first (ties: first seen)
 */
export function mixNextToken(perDoc: ReadonlyArray<readonly TokenAlternative[]>, weights: readonly number[]): MixedToken[] {
  if (perDoc.length !== weights.length) throw new InvalidParameterError(`mixNextToken: ${perDoc.length} distributions but ${weights.length} weights`);
  const order: TokenAlternative[] = [];
  const table = new Map<string, number[]>();
  perDoc.forEach((alts, d) => {
    for (const a of alts) {
      const key = tokenKey(a);
      let row = table.get(key);
      if (!row) {
        row = new Array<number>(perDoc.length).fill(-Infinity);
        table.set(key, row);
        order.push(a);
      }
      if (row[d] === -Infinity) row[d] = a.logprob;
    }
  });
  const out: MixedToken[] = order.map((a) => {
    const row = table.get(tokenKey(a))!;
    return a.bytes ? { token: a.token, logprob: logMixture(row, weights), perDoc: row, bytes: a.bytes } : { token: a.token, logprob: logMixture(row, weights), perDoc: row };
  });
  return stableSortDesc(out, (x) => x.logprob);
}

/** A partial or finished hypothesis of beam search. */
export interface Beam {
  tokens: string[];
  /** Σ log p of its tokens. */
  logprob: number;
  done: boolean;
}

/** A beam after a step, with where it came from: `beam` = index in the previous list, `alternative` = index in that beam's expansions (−1 when a finished beam carried over). */
export interface SteppedBeam extends Beam {
  from: { beam: number; alternative: number };
}

/**
 * One step of beam search. Every live beam i is extended by each of `expansions[i]`
 * (an alternative whose token equals `eos` finishes the beam without adding a token);
 * finished beams carry over unchanged; the `beamSize` best by summed log-probability survive
 * (ties keep the earlier: beams in order, each beam's expansions in order).
 * @param expansions one list per beam in `beams` (ignored for finished beams)
 * @throws InvalidParameterError when beamSize < 1 or the lists do not line up
 */
export function stepBeams(beams: readonly Beam[], expansions: ReadonlyArray<readonly TokenAlternative[]>, beamSize: number, eos = ''): SteppedBeam[] {
  if (!Number.isInteger(beamSize) || beamSize < 1) throw new InvalidParameterError(`beam size must be an integer ≥ 1, got ${beamSize}`);
  if (expansions.length !== beams.length) throw new InvalidParameterError(`stepBeams: ${beams.length} beams but ${expansions.length} expansion lists`);
  const next: SteppedBeam[] = [];
  beams.forEach((b, i) => {
    if (b.done) {
      next.push({ tokens: b.tokens, logprob: b.logprob, done: true, from: { beam: i, alternative: -1 } });
      return;
    }
    expansions[i].forEach((a, j) => {
      const from = { beam: i, alternative: j };
      next.push(
        a.token === eos
          ? { tokens: b.tokens, logprob: b.logprob + a.logprob, done: true, from }
          : { tokens: [...b.tokens, a.token], logprob: b.logprob + a.logprob, done: false, from },
      );
    });
  });
  return stableSortDesc(next, (b) => b.logprob).slice(0, beamSize);
}

/**
 * The most frequent answer after `normalize`; ties go to the answer seen first.
 * @returns the first original spelling of the winner, its votes, and the tally
 * @throws InvalidParameterError on an empty list
 */
export function majorityVote(answers: readonly string[], normalize: (s: string) => string = (s) => s.trim().toLowerCase()): { answer: string; votes: number; tally: Record<string, number> } {
  if (answers.length === 0) throw new InvalidParameterError('majorityVote: no answers to vote on');
  const tally = new Map<string, { first: string; votes: number }>();
  for (const a of answers) {
    const key = normalize(a);
    const e = tally.get(key);
    if (e) e.votes++;
    else tally.set(key, { first: a, votes: 1 });
  }
  let best: { first: string; votes: number } | undefined;
  for (const e of tally.values()) if (!best || e.votes > best.votes) best = e;
  return { answer: best!.first, votes: best!.votes, tally: Object.fromEntries([...tally].map(([k, v]) => [k, v.votes])) };
}

/**
 * KL(P ‖ Q) = Σ_i P_i · log(P_i / Q_i), natural log; terms with P_i = 0 contribute 0, and
 * P_i > 0 with Q_i = 0 gives +∞. Used by REPLUG-LSR's loss (Shi et al. 2023, eq. 4).
 * @throws InvalidParameterError when the lengths differ
 */
export function klDivergence(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new InvalidParameterError(`klDivergence: distributions of length ${p.length} and ${q.length}`);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    if (q[i] === 0) return Infinity;
    s += p[i] * Math.log(p[i] / q[i]);
  }
  return s;
}

/** Index of the largest value (first on ties); −1 for an empty list. */
export function argmax(xs: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (best < 0 || xs[i] > xs[best]) best = i;
  return best;
}

function stableSortDesc<T>(xs: T[], key: (x: T) => number): T[] {
  return xs
    .map((x, i) => ({ x, i, k: key(x) }))
    .sort((a, b) => (a.k === b.k ? a.i - b.i : a.k < b.k ? 1 : -1))
    .map((e) => e.x);
}
