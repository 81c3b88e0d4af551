/**
 * The phrase rerank of `ask`'s BM25 retrieval: a candidate pool of BM25 hits reordered by the
 * query's adjacent word pairs each passage holds adjacent and in order. This is the ordered-window
 * (#1) feature of the sequential dependence model (Metzler & Croft, "A Markov Random Field Model
 * for Term Dependencies", SIGIR 2005), added to the BM25 score:
 *
 *   score'(d) = BM25(d) + w · Σ_{(a, b) ∈ pairs(q), "a b" ∈ d} (idf(a) + idf(b)) / 2
 *
 * with pairs(q) the consecutive terms of the analysed query (each distinct pair once), "a b" ∈ d
 * when some position of d's term sequence holds a followed by b, and idf(t) Lucene's BM25 idf
 * (`idfLucene`, src/index/sparse/similarity.ts). Two terms of one source word do not make a pair: the
 * character bigrams of one Korean word overlap in the text and would match whenever the word does.
 * A passage's term sequence is that of its indexed text (`chunkAnalysisText`: its document's
 * title, a line break and its text when the index has title terms, else its text).
 *
 * Why: a question is usually written from one sentence and keeps some of its word pairs ("the
 * average household size"); BM25 scores the words apart. On SQuAD 1.1 dev (10,570 questions,
 * content-word query, pool 20, w 0.3) the gold paragraph is ranked first for 0.8130 of the
 * questions instead of 0.7955, and in the top 5 for 0.9456 instead of 0.9414 (docs/regressions.md).
 */
import type { Analyzer } from '../analysis/analyzer.js';
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { chunkAnalysisText } from '../index/store/format.js';

/** BM25 candidates the phrase rerank reorders: `max(topK, PHRASE_POOL)`. */
export const PHRASE_POOL = 20;
/** Weight w of the pair score, ≥ 0 (set on SQuAD and KorQuAD dev; docs/regressions.md). */
export const PHRASE_WEIGHT = 0.3;

export interface PhraseRerankOptions {
  analyzer: Analyzer;
  /** idf of an analysed query term (the formula of the module comment). */
  idf: (term: string) => number;
  /** Hits returned, ≥ 1. */
  topK: number;
  /** Whether passages are indexed with their document's title (`IndexConfig.titleTerms`). */
  titleTerms: boolean;
  /** w ≥ 0; default `PHRASE_WEIGHT`. */
  weight?: number;
}

/** The distinct consecutive term pairs of `query` as analysed, skipping pairs of one source word. */
export function queryPairs(query: string, analyzer: Analyzer): Array<[string, string]> {
  const tokens = analyzer.tokens(query);
  const seen = new Set<string>();
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i];
    const b = tokens[i + 1];
    if (b.start < a.end) continue; // overlapping spans: two bigrams of one word
    const key = `${a.term}\u0000${b.term}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([a.term, b.term]);
  }
  return pairs;
}

/**
 * `candidates` (BM25 hits, best first) reordered by score' (module comment), the best `topK`
 * returned with `rank` 1..n, `score` = score' and `scores` = `{ ...scores, bm25, phrase }` (the
 * BM25 score and the pair sum before weighting). Ties keep BM25's order.
 * @throws InvalidParameterError for topK < 1 or a negative weight
 */
export function phraseRerank(query: string, candidates: readonly Hit[], o: PhraseRerankOptions): Hit[] {
  const w = o.weight ?? PHRASE_WEIGHT;
  if (!Number.isInteger(o.topK) || o.topK < 1) throw new InvalidParameterError(`phrase rerank topK must be an integer ≥ 1, got ${o.topK}`);
  if (!(w >= 0)) throw new InvalidParameterError(`phrase rerank weight must be ≥ 0, got ${w}`);
  const pairs = queryPairs(query, o.analyzer);
  const weights = pairs.map(([a, b]) => (o.idf(a) + o.idf(b)) / 2);
  const scored = candidates.map((h, i) => {
    let phrase = 0;
    if (pairs.length > 0) {
      const seq = o.analyzer.analyze(chunkAnalysisText(h.title ?? '', h.text, o.titleTerms));
      const adjacent = new Set<string>();
      for (let k = 0; k + 1 < seq.length; k++) adjacent.add(`${seq[k]}\u0000${seq[k + 1]}`);
      pairs.forEach(([a, b], p) => {
        if (adjacent.has(`${a}\u0000${b}`)) phrase += weights[p];
      });
    }
    return { h, i, phrase, score: h.score + w * phrase };
  });
  scored.sort((x, y) => y.score - x.score || x.i - y.i);
  return scored.slice(0, o.topK).map((s, r) => ({ ...s.h, rank: r + 1, score: s.score, scores: { ...(s.h.scores ?? {}), bm25: s.h.score, phrase: s.phrase } }));
}
