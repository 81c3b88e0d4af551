/**
 * A seeded synthetic corpus for scale measurements: Zipf-distributed vocabulary, log-normal
 * document lengths, and queries of 1–8 distinct terms drawn from a document of the same
 * distribution (that document is the query's one relevant document, so a synthetic run still has
 * qrels).
 *
 * - Vocabulary: `vocabSize` pseudo-words; rank r (1-based) has probability ∝ 1 / r^s (Zipf 1949;
 *   s ≈ 1 fits English text, Manning, Raghavan & Schütze, *Introduction to IR*, §5.1.2). Words are
 *   spelled as consonant–vowel syllables ("bafo", "kezuri", …) of at least two syllables, so none is
 *   an English stop word and the `english` analyzer keeps each as one token.
 * - Document length in tokens: round(exp(N(μ, σ²))), at least 1 (log-normal, as measured for web
 *   and newswire document lengths; μ = ln(median)).
 * - Sampling: Vose's alias method (Vose, "A linear algorithm for generating random numbers with a
 *   given distribution", IEEE TSE 1991), O(1) per token after O(vocabSize) set-up.
 * - Randomness: mulberry32 (`src/core/random.ts`) seeded by `seed`; the same options give the same
 *   corpus byte for byte.
 */
import { mulberry32 } from '../src/core/random.js';

export interface SyntheticOptions {
  numDocs: number;
  /** Distinct words that can occur. Default 500,000. */
  vocabSize?: number;
  /** Zipf exponent s. Default 1.0. */
  zipfS?: number;
  /** Median document length in tokens (e^μ). Default 100. */
  medianDocLen?: number;
  /** σ of ln(docLen). Default 0.7 (mean ≈ 1.28 × median). */
  sigmaDocLen?: number;
  /** Default 42. */
  seed?: number;
}

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';
const SYLLABLES: string[] = [];
for (const c of CONSONANTS) for (const v of VOWELS) SYLLABLES.push(c + v);

/** The pseudo-word of 0-based vocabulary rank `r`: base-70 syllables, at least two. */
export function syntheticWord(r: number): string {
  let n = r + SYLLABLES.length; // every word has ≥ 2 syllables
  let w = '';
  while (n > 0) {
    w = SYLLABLES[n % SYLLABLES.length] + w;
    n = Math.floor(n / SYLLABLES.length);
  }
  return w;
}

/** Vose alias table for sampling ranks 0..n−1 with the given weights. */
export class AliasSampler {
  private readonly prob: Float64Array;
  private readonly alias: Uint32Array;

  constructor(weights: Float64Array) {
    const n = weights.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i];
    this.prob = new Float64Array(n);
    this.alias = new Uint32Array(n);
    const scaled = new Float64Array(n);
    const small = new Uint32Array(n);
    const large = new Uint32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / sum;
      if (scaled[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns];
      const l = large[--nl];
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    while (nl > 0) this.prob[large[--nl]] = 1;
    while (ns > 0) this.prob[small[--ns]] = 1; // rounding leftovers
  }

  sample(rng: () => number): number {
    const n = this.prob.length;
    const u = rng() * n;
    const i = Math.floor(u);
    return u - i < this.prob[i] ? i : this.alias[i];
  }
}

/** Standard normal deviate (Box–Muller). */
function gaussian(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface SyntheticCorpus {
  /** Document i has id `d<i>`. */
  docs(): Generator<{ id: string; contents: string }>;
  /**
   * `count` queries of `numTerms` distinct terms each (or 1–8 uniformly when omitted), every one
   * drawn from one document generated with the same distributions; `relevant` is that document.
   */
  queries(count: number, numTerms?: number, seed?: number): Array<{ qid: string; text: string; relevant: string }>;
}

/** A corpus as described in the module doc. Documents are generated lazily (constant memory). */
export function syntheticCorpus(opts: SyntheticOptions): SyntheticCorpus {
  const vocabSize = opts.vocabSize ?? 500_000;
  const s = opts.zipfS ?? 1.0;
  const mu = Math.log(opts.medianDocLen ?? 100);
  const sigma = opts.sigmaDocLen ?? 0.7;
  const seed = opts.seed ?? 42;
  const weights = new Float64Array(vocabSize);
  for (let r = 0; r < vocabSize; r++) weights[r] = 1 / Math.pow(r + 1, s);
  const sampler = new AliasSampler(weights);
  const words = new Array<string>(vocabSize);
  for (let r = 0; r < vocabSize; r++) words[r] = syntheticWord(r);
  const docLen = (rng: () => number) => Math.max(1, Math.round(Math.exp(mu + sigma * gaussian(rng))));
  const docTerms = (rng: () => number): number[] => {
    const n = docLen(rng);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = sampler.sample(rng);
    return out;
  };
  return {
    *docs() {
      const rng = mulberry32(seed);
      for (let i = 0; i < opts.numDocs; i++) {
        const t = docTerms(rng);
        let text = words[t[0]];
        for (let j = 1; j < t.length; j++) text += ' ' + words[t[j]];
        yield { id: `d${i}`, contents: text };
      }
    },
    queries(count, numTerms, qseed = seed + 1) {
      // Queries come from the corpus's own documents: regenerate the chosen ones from the same stream.
      const rng = mulberry32(qseed);
      const picks = new Map<number, number[]>();
      const order: number[] = [];
      for (let q = 0; q < count; q++) {
        const d = Math.floor(rng() * opts.numDocs);
        order.push(d);
        picks.set(d, []);
      }
      const wanted = [...picks.keys()].sort((a, b) => a - b);
      const drng = mulberry32(seed);
      let next = 0;
      for (let i = 0; i < opts.numDocs && next < wanted.length; i++) {
        const t = docTerms(drng);
        if (i === wanted[next]) {
          picks.set(i, t);
          next++;
        }
      }
      return order.map((d, q) => {
        const distinct = [...new Set(picks.get(d)!)];
        const want = Math.min(distinct.length, numTerms ?? 1 + Math.floor(rng() * 8));
        // Partial Fisher–Yates: `want` distinct terms of the document.
        for (let i = 0; i < want; i++) {
          const j = i + Math.floor(rng() * (distinct.length - i));
          [distinct[i], distinct[j]] = [distinct[j], distinct[i]];
        }
        return { qid: `q${q}`, text: distinct.slice(0, want).map((r) => words[r]).join(' '), relevant: `d${d}` };
      });
    },
  };
}
