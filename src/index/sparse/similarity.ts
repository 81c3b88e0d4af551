/**
 * Term-weighting functions for the sparse index: Lucene's BM25, the BM25 variants compared by
 * Kamphuis, de Vries, Boytsov & Lin, "Which BM25 Do You Mean? A Large-Scale Reproducibility Study
 * of Scoring Variants", ECIR 2020 (Table 1), and Lucene's classic TF-IDF.
 *
 * Each variant is four small pure functions of index statistics, picked from {@link similarities}:
 *
 *   score(q, d) = Σ_{t ∈ q ∩ d} termScore(queryWeight(qtf_t, idf(df_t, N)), tf_{t,d}, lengthNorm(dl_d, avgdl))
 *
 * - `N` (docCount) is the number of chunks with at least one term, `df_t` (docFreq) the number of
 *   chunks containing t, `tf_{t,d}` (termFreq) its count in chunk d, `dl_d` (docLen) the chunk's
 *   number of analysed tokens, `avgdl = Σ dl / N` (Lucene: `sumTotalTermFreq / docCount`).
 * - `qtf_t` is how often t occurs in the analysed query. Lucene's `BooleanQuery.rewrite` merges
 *   repeated SHOULD clauses on the same term into one `BoostQuery` whose boost is the sum of the
 *   boosts, so a term typed twice counts twice: `queryWeight = qtf · idf`.
 * - `lengthNorm` depends only on the length, so with Lucene's one-byte norms it is tabulated over
 *   the 256 byte values (the scorer does that); with exact lengths it is computed per posting.
 * - Only chunks that contain a query term get a score (the sum runs over q ∩ d), also for BM25L
 *   and BM25+, whose δ would otherwise give every document a constant.
 *
 * `float32: true` variants reproduce Lucene's float arithmetic with `Math.fround` after every
 * operation Java performs in `float`, so scores (and ties) match Lucene bit for bit given the
 * same statistics; the query's per-term scores are summed in double and the sum rounded to float,
 * as Lucene's disjunction scorers do.
 */
import { InvalidParameterError } from '../../core/errors.js';

export type SimilarityName = 'bm25' | 'bm25-robertson' | 'bm25-atire' | 'bm25l' | 'bm25+' | 'tfidf';

/** BM25 parameters. k1 ≥ 0 (term-frequency saturation), b ∈ [0, 1] (length normalisation), delta ≥ 0 (BM25L/BM25+ lower bound). */
export interface SimilarityParams {
  k1: number;
  b: number;
  delta: number;
}

/** One scoring variant. All functions are pure. */
export interface Similarity {
  readonly name: SimilarityName;
  /** One line: what it is and where the formula comes from. */
  readonly description: string;
  /** Scores computed in float32 like Lucene (see module doc). */
  readonly float32: boolean;
  /** Default δ for this variant (0 when it has none). */
  readonly defaultDelta: number;
  /** Inverse document frequency from docFreq ≥ 1 and docCount ≥ docFreq. */
  idf(docFreq: number, docCount: number): number;
  /** Query-side weight of one term that occurs `queryFreq` times in the query. */
  queryWeight(queryFreq: number, idf: number): number;
  /** The length-dependent factor of a chunk with `docLen` tokens. */
  lengthNorm(docLen: number, avgdl: number, p: SimilarityParams): number;
  /** Contribution of one posting. */
  termScore(weight: number, termFreq: number, lengthNorm: number, p: SimilarityParams): number;
}

/** Pyserini/Anserini BM25 defaults (k1 = 0.9, b = 0.4). */
export const DEFAULT_K1 = 0.9;
export const DEFAULT_B = 0.4;

const f = Math.fround;

// ---------------------------------------------------------------- Lucene BM25 (float32)

/** Lucene ≥ 8 BM25 idf: ln(1 + (N − df + 0.5) / (df + 0.5)), computed in double, stored as float. Always > 0. */
export const idfLucene = (docFreq: number, docCount: number): number =>
  f(Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5)));

/** Lucene `BM25Scorer` weight = boost · idf in float, with boost = query term frequency. */
export const queryWeightLucene = (queryFreq: number, idf: number): number => f(f(queryFreq) * idf);

/**
 * Lucene's cached inverse norm: 1 / (k1 · ((1 − b) + b · dl / avgdl)), each operation in float
 * (`BM25Similarity.scorer`). Infinity when k1 = 0 (the score is then the weight).
 */
export function normInverseLucene(docLen: number, avgdl: number, p: SimilarityParams): number {
  const k1 = f(p.k1);
  const b = f(p.b);
  return f(1 / f(k1 * f(f(1 - b) + f(f(b * docLen) / f(avgdl)))));
}

/**
 * Lucene ≥ 9 `BM25Scorer.score`: weight − weight / (1 + freq · normInverse), in float. Equal to
 * idf · freq / (freq + k1 · (1 − b + b · dl / avgdl)) — Lucene ≥ 8 dropped the constant (k1 + 1).
 */
export const termScoreLucene = (weight: number, termFreq: number, normInverse: number): number =>
  f(weight - f(weight / f(1 + f(termFreq * normInverse))));

// ---------------------------------------------------------------- Kamphuis et al. variants (double)

/** K = k1 · (1 − b + b · dl / avgdl), the length-normalised saturation constant shared by the variants below. */
export const saturationK = (docLen: number, avgdl: number, p: SimilarityParams): number =>
  p.k1 * (1 - p.b + (p.b * docLen) / avgdl);

/** Robertson et al. idf: ln((N − df + 0.5) / (df + 0.5)). Negative when df > N/2 (kept, as in the paper). */
export const idfRobertson = (docFreq: number, docCount: number): number =>
  Math.log((docCount - docFreq + 0.5) / (docFreq + 0.5));

/** Robertson / Lucene tf part: tf / (tf + K). */
export const tfRobertson = (termFreq: number, k: number): number => termFreq / (termFreq + k);

/** ATIRE idf: ln(N / df). */
export const idfAtire = (docFreq: number, docCount: number): number => Math.log(docCount / docFreq);

/** ATIRE tf part: (k1 + 1) · tf / (tf + K). */
export const tfAtire = (termFreq: number, k: number, p: SimilarityParams): number =>
  ((p.k1 + 1) * termFreq) / (termFreq + k);

/** BM25L idf (Lv & Zhai 2011): ln((N + 1) / (df + 0.5)). */
export const idfBm25l = (docFreq: number, docCount: number): number => Math.log((docCount + 1) / (docFreq + 0.5));

/** BM25L length factor 1 − b + b · dl / avgdl (c_td = tf / this). */
export const lengthRatioBm25l = (docLen: number, avgdl: number, p: SimilarityParams): number =>
  1 - p.b + (p.b * docLen) / avgdl;

/** BM25L tf part: (k1 + 1) · (c + δ) / (k1 + c + δ) with c = tf / (1 − b + b · dl / avgdl). */
export function tfBm25l(termFreq: number, lengthRatio: number, p: SimilarityParams): number {
  const c = termFreq / lengthRatio;
  return ((p.k1 + 1) * (c + p.delta)) / (p.k1 + c + p.delta);
}

/** BM25+ idf (Lv & Zhai 2011): ln((N + 1) / df). */
export const idfBm25Plus = (docFreq: number, docCount: number): number => Math.log((docCount + 1) / docFreq);

/** BM25+ tf part: (k1 + 1) · tf / (K + tf) + δ. */
export const tfBm25Plus = (termFreq: number, k: number, p: SimilarityParams): number =>
  ((p.k1 + 1) * termFreq) / (k + termFreq) + p.delta;

// ---------------------------------------------------------------- TF-IDF (Lucene ClassicSimilarity, float32)

/** ClassicSimilarity idf: 1 + ln((N + 1) / (df + 1)), in float. */
export const idfClassic = (docFreq: number, docCount: number): number =>
  f(Math.log((docCount + 1) / (docFreq + 1)) + 1);

/** ClassicSimilarity length norm: 1 / sqrt(dl), in float (1 for an empty chunk, which has no postings anyway). */
export const lengthNormClassic = (docLen: number): number => (docLen > 0 ? f(1 / Math.sqrt(docLen)) : 1);

/** ClassicSimilarity tf: sqrt(freq), in float. */
export const tfClassic = (termFreq: number): number => f(Math.sqrt(termFreq));

// ---------------------------------------------------------------- the table

const lengthK = (docLen: number, avgdl: number, p: SimilarityParams) => saturationK(docLen, avgdl, p);
const plainWeight = (queryFreq: number, idf: number) => queryFreq * idf;

/**
 * The variants by name. Formulas per Kamphuis et al. (ECIR 2020) Table 1 except where noted.
 */
export const similarities: Readonly<Record<SimilarityName, Similarity>> = {
  bm25: {
    name: 'bm25',
    description:
      'Lucene BM25Similarity (Lucene ≥ 8): idf ln(1 + (N − df + 0.5)/(df + 0.5)) · tf/(tf + k1·(1 − b + b·dl/avgdl)), float32',
    float32: true,
    defaultDelta: 0,
    idf: idfLucene,
    queryWeight: queryWeightLucene,
    lengthNorm: normInverseLucene,
    termScore: (w, tf, ni) => termScoreLucene(w, tf, ni),
  },
  'bm25-robertson': {
    name: 'bm25-robertson',
    description: 'Robertson et al.: ln((N − df + 0.5)/(df + 0.5)) · tf/(tf + K) (idf may be negative)',
    float32: false,
    defaultDelta: 0,
    idf: idfRobertson,
    queryWeight: plainWeight,
    lengthNorm: lengthK,
    termScore: (w, tf, k) => w * tfRobertson(tf, k),
  },
  'bm25-atire': {
    name: 'bm25-atire',
    description: 'ATIRE (Trotman et al.): ln(N/df) · (k1 + 1)·tf/(tf + K)',
    float32: false,
    defaultDelta: 0,
    idf: idfAtire,
    queryWeight: plainWeight,
    lengthNorm: lengthK,
    termScore: (w, tf, k, p) => w * tfAtire(tf, k, p),
  },
  bm25l: {
    name: 'bm25l',
    description: 'BM25L (Lv & Zhai, CIKM 2011): ln((N + 1)/(df + 0.5)) · (k1 + 1)(c + δ)/(k1 + c + δ), c = tf/(1 − b + b·dl/avgdl)',
    float32: false,
    defaultDelta: 0.5,
    idf: idfBm25l,
    queryWeight: plainWeight,
    lengthNorm: lengthRatioBm25l,
    termScore: (w, tf, r, p) => w * tfBm25l(tf, r, p),
  },
  'bm25+': {
    name: 'bm25+',
    description: 'BM25+ (Lv & Zhai, CIKM 2011): ln((N + 1)/df) · ((k1 + 1)·tf/(K + tf) + δ)',
    float32: false,
    defaultDelta: 1.0,
    idf: idfBm25Plus,
    queryWeight: plainWeight,
    lengthNorm: lengthK,
    termScore: (w, tf, k, p) => w * tfBm25Plus(tf, k, p),
  },
  tfidf: {
    name: 'tfidf',
    description:
      'TF-IDF after Lucene ClassicSimilarity: sqrt(tf) · idf² · 1/sqrt(dl), idf = 1 + ln((N + 1)/(df + 1)), float32',
    float32: true,
    defaultDelta: 0,
    idf: idfClassic,
    // idf² as in the documented ClassicSimilarity formula (the query side and the document side each
    // contribute one idf). Note: Lucene ≥ 7's TFIDFScorer code multiplies idf only once
    // (queryWeight = boost · idf); we follow the documented formula.
    queryWeight: (queryFreq, idf) => f(f(f(queryFreq) * idf) * idf),
    lengthNorm: (docLen) => lengthNormClassic(docLen),
    termScore: (w, tf, norm) => f(f(tfClassic(tf) * w) * norm),
  },
};

/** All variant names, in table order. */
export const similarityNames: SimilarityName[] = Object.keys(similarities) as SimilarityName[];

/**
 * The variant called `name`.
 * @throws InvalidParameterError naming the valid variants when `name` is unknown
 */
export function getSimilarity(name: string): Similarity {
  if (!Object.prototype.hasOwnProperty.call(similarities, name)) {
    throw new InvalidParameterError(`unknown similarity "${name}"; valid: ${similarityNames.join(', ')}`);
  }
  return similarities[name as SimilarityName];
}

/**
 * Fills in defaults (k1 0.9, b 0.4, δ = the variant's default) and checks ranges.
 * @throws InvalidParameterError when k1 < 0 or not finite, b ∉ [0, 1], or δ < 0 or not finite
 */
export function resolveSimilarityParams(
  sim: Similarity,
  opts: { k1?: number; b?: number; delta?: number },
): SimilarityParams {
  const k1 = opts.k1 ?? DEFAULT_K1;
  const b = opts.b ?? DEFAULT_B;
  const delta = opts.delta ?? sim.defaultDelta;
  if (!Number.isFinite(k1) || k1 < 0) throw new InvalidParameterError(`k1 must be a finite number ≥ 0, got ${k1}`);
  if (!Number.isFinite(b) || b < 0 || b > 1) throw new InvalidParameterError(`b must be in [0, 1], got ${b}`);
  if (!Number.isFinite(delta) || delta < 0) {
    throw new InvalidParameterError(`delta must be a finite number ≥ 0, got ${delta}`);
  }
  return { k1, b, delta };
}
