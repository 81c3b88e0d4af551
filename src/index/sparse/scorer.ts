/**
 * Query evaluation over a {@link PostingsCsr}: exhaustive term-at-a-time scoring for every
 * similarity, and, for Lucene BM25 with the index's default parameters, precomputed impacts with
 * MaxScore dynamic pruning. Both return exactly the same top k (scores bit for bit, ties by
 * ascending chunk number); `test/index/pruning.test.ts` checks that on random corpora and queries.
 *
 * **Exhaustive (TAAT).** For each distinct query term, every posting adds `termScore(...)` into one
 * score buffer sized to the number of chunks; a touched-list records which entries are live, so
 * resetting costs O(matches), not O(numChunks). A bounded min-heap then keeps the top k.
 *
 * **Impacts.** BM25's per-posting score idf·tf/(tf + k1·(1 − b + b·dl/avgdl)) depends on the
 * query only through the query term frequency. With qtf = 1 it is fixed by the index, so the
 * scorer computes it once per posting when it is built (a Float32Array aligned with the postings,
 * the value Lucene's float arithmetic gives — see `termScoreLucene`), as bm25s precomputes its
 * score matrix (Lù, "BM25S: Orders of magnitude faster lexical search via eager sparse scoring",
 * arXiv:2407.03618). A query term typed n > 1 times is scored live with weight n·idf.
 *
 * **Impact TAAT** (short postings). Impacts are added into the score buffer term by term; the
 * selection then starts from θ₀, the largest over the query terms of the term's k′-th largest
 * impact (k′ ≥ k): at least k chunks score that much, so chunks below it are skipped with one
 * comparison instead of a heap operation (the "threshold from single-term top-k" idea of
 * block-max/Anytime engines; bound checked exact by the property test).
 *
 * **MaxScore** (Turtle & Flood, "Query evaluation: strategies and optimizations", IP&M 1995;
 * document-at-a-time as in Lucene's `MaxScoreBulkScorer`). Terms are sorted by their largest
 * impact; once the heap holds k chunks with worst score θ, the terms whose bounds sum to ≤ θ are
 * "non-essential": a chunk that contains none of the other ("essential") terms cannot enter the top
 * k, so candidates come only from the essential terms' postings, and the non-essential postings are
 * probed by galloping search only while the candidate's score plus the remaining bounds can still
 * beat θ. Chunks are visited in ascending order, so a later chunk with a score equal to θ never
 * enters (it would lose the tie); pruning at "bound ≤ θ" is therefore exact. Scores of surviving
 * chunks are summed in query-term order, as the exhaustive scorer does, so both give equal doubles.
 *
 * Memory: the score buffers belong to the scorer and are reused by every query (queries run
 * synchronously, one at a time); a query allocates only O(query terms + topK).
 */
import { InvalidParameterError } from '../../core/errors.js';
import type { PostingsCsr } from './postings.js';
import { lengthTable } from './small-float.js';
import {
  DEFAULT_B,
  DEFAULT_K1,
  getSimilarity,
  idfLucene,
  normInverseLucene,
  resolveSimilarityParams,
  termScoreLucene,
  type Similarity,
  type SimilarityName,
  type SimilarityParams,
} from './similarity.js';
import { TopK, type ScoredChunk } from './top-k.js';

/** What the scorer reads from an index. */
export interface ScoringIndex {
  readonly postings: PostingsCsr;
  readonly numChunks: number;
  /** Exact analysed length (tokens) of each chunk. */
  readonly docLens: Uint32Array;
  /** Lucene one-byte norm of each chunk, `intToByte4(docLen)`. */
  readonly normBytes: Uint8Array;
  /** Chunks with at least one term (Lucene `docCount`). */
  readonly docCount: number;
  /** Σ docLen (Lucene `sumTotalTermFreq`). */
  readonly sumDocLen: number;
  /** Lucene-style one-byte length norms (true) or exact lengths (false) when scoring. */
  readonly luceneNorms: boolean;
  /** Term id in the dictionary, or −1 when absent. */
  termId(term: string): number;
}

/** Options of one search. */
export interface SearchOptions {
  /** Number of results, integer ≥ 0. */
  topK: number;
  /** Default 'bm25'. */
  similarity?: SimilarityName;
  /** Default 0.9. */
  k1?: number;
  /** Default 0.4. */
  b?: number;
  /** Default: the variant's (BM25L 0.5, BM25+ 1.0). */
  delta?: number;
  /**
   * Allowed chunks: `filter[c] === 1` lets chunk c in. Consulted before a chunk enters the top-k
   * heap, so k results come back whenever k allowed chunks match. Length = numChunks.
   */
  filter?: Uint8Array;
}

/** Precomputed BM25 impacts for one (k1, b). */
interface Impacts {
  k1: number;
  b: number;
  /** Lucene BM25 score of each posting with query weight = idf (qtf = 1), float32 values. */
  scores: Float32Array;
  /** Largest impact of each term. */
  maxScore: Float32Array;
  /** Lucene BM25 normInverse of a chunk for (k1, b), for query terms scored live. */
  normInverse: (chunk: number) => number;
}

/**
 * Below this many postings (Σ docFreq of the query terms) a query adds impacts term-at-a-time.
 * On BEIR SciFact (5,183 chunks, ~10 analysed terms and ~4,300 postings per query, top-100)
 * MaxScore's per-candidate bookkeeping cost more than the postings it skipped: 300 µs of CPU per
 * query against 104 µs for impact TAAT and 145 µs for exhaustive scoring (docs/performance.md).
 * Long postings — common terms of a large corpus — are where skipping pays.
 */
export const DEFAULT_MAXSCORE_ABOVE_POSTINGS = 100_000;

/**
 * Impact TAAT scans the whole score buffer instead of keeping a touched-list when the query's
 * postings times this factor reach the number of chunks. On SciFact (~4,400 postings over 5,183
 * chunks per query) the scan path costs about half as much: the accumulation loop loses a
 * data-dependent branch, and a sequential pass over the buffer is cheap.
 */
export const DENSE_SCAN_FACTOR = 4;

/** The k′ for which {@link TermAtATimeScorer} caches each term's k′-th largest impact. */
const KTH_BUCKETS = [10, 100, 1000] as const;

/** Relative slack added to MaxScore bounds so double rounding can never prune a chunk that belongs in the top k. */
const BOUND_SLACK = 1 + 1e-9;

export class TermAtATimeScorer {
  private readonly scores: Float64Array;
  private readonly seen: Uint8Array;
  private readonly touched: Uint32Array;
  private readonly normTable = new Float64Array(256);
  private readonly lengths = lengthTable();
  private readonly impacts: Impacts | null;

  private readonly maxScoreAbovePostings: number;
  private readonly denseScan: boolean | undefined;
  /** The last top-k collector, reused while queries ask for the same k (results() leaves it empty). */
  private top: TopK | null = null;
  /** queryTerms' scratch: position j of the query → its slot in `ids`, or −1 when absent. */
  private readonly slotOf: number[] = [];
  /** Per bucket of {@link KTH_BUCKETS}: each term's k′-th largest impact, −1 until computed. */
  private readonly kthCache: Array<Float32Array | null> = [null, null, null];

  /**
   * @param opts.impacts precompute BM25 impacts for (k1 0.9, b 0.4) so such queries add up stored
   *   scores (default true; 4 bytes per posting)
   * @param opts.maxScoreAbovePostings use MaxScore when the query terms' postings add up to more
   *   than this, else add every impact term-at-a-time (cheaper for short lists: no per-candidate
   *   bookkeeping). Default {@link DEFAULT_MAXSCORE_ABOVE_POSTINGS}; 0 forces MaxScore, Infinity
   *   forces term-at-a-time. Both give the same results.
   * @param opts.denseScan impact TAAT: true scans the whole score buffer, false keeps a
   *   touched-list; default: chosen per query by {@link DENSE_SCAN_FACTOR}. Same results.
   */
  constructor(
    private readonly index: ScoringIndex,
    opts: { impacts?: boolean; maxScoreAbovePostings?: number; denseScan?: boolean } = {},
  ) {
    this.maxScoreAbovePostings = opts.maxScoreAbovePostings ?? DEFAULT_MAXSCORE_ABOVE_POSTINGS;
    this.denseScan = opts.denseScan;
    this.scores = new Float64Array(index.numChunks);
    this.seen = new Uint8Array(index.numChunks);
    this.touched = new Uint32Array(index.numChunks);
    this.impacts = opts.impacts === false || index.docCount === 0 ? null : this.computeImpacts(DEFAULT_K1, DEFAULT_B);
  }

  /**
   * Scores the chunks matching any of `terms` (already analysed; repeats count as query term
   * frequency) and returns the best `topK`, best first, ties by ascending chunk number. Uses
   * impacts + MaxScore when they apply (Lucene BM25 with the precomputed k1 and b), else
   * {@link searchExhaustive}; both give the same result.
   * @throws InvalidParameterError for a bad topK, similarity name, k1, b or delta
   */
  search(terms: readonly string[], opts: SearchOptions): ScoredChunk[] {
    const { sim, params } = this.check(opts);
    const imp = this.impacts;
    if (imp !== null && sim.name === 'bm25' && params.k1 === imp.k1 && params.b === imp.b) return this.searchImpacts(terms, opts.topK, imp, opts.filter);
    return this.runExhaustive(terms, opts.topK, sim, params, opts.filter);
  }

  /**
   * Exhaustive term-at-a-time scoring of every posting of every query term (the oracle the pruned
   * path is tested against). Same contract as {@link search}.
   * @throws InvalidParameterError for a bad topK, similarity name, k1, b or delta
   */
  searchExhaustive(terms: readonly string[], opts: SearchOptions): ScoredChunk[] {
    const { sim, params } = this.check(opts);
    return this.runExhaustive(terms, opts.topK, sim, params, opts.filter);
  }

  /** An empty top-k collector for `topK`. */
  private collector(topK: number): TopK {
    let top = this.top;
    if (top === null || top.topK !== topK || top.size !== 0) top = this.top = new TopK(topK);
    return top;
  }

  private check(opts: SearchOptions): { sim: Similarity; params: SimilarityParams } {
    const { topK } = opts;
    if (!Number.isInteger(topK) || topK < 0) throw new InvalidParameterError(`topK must be an integer ≥ 0, got ${topK}`);
    const sim = getSimilarity(opts.similarity ?? 'bm25');
    return { sim, params: resolveSimilarityParams(sim, opts) };
  }

  private avgdl(float32: boolean): number {
    const ix = this.index;
    return float32 ? Math.fround(ix.sumDocLen / ix.docCount) : ix.sumDocLen / ix.docCount;
  }

  /** Distinct query terms present in the index, in first-occurrence order, with their query frequencies. */
  private queryTerms(terms: readonly string[]): { ids: number[]; qtfs: number[] } {
    const ids: number[] = [];
    const qtfs: number[] = [];
    // Queries are short: a linear scan over the earlier terms beats allocating a Map per query.
    const pos = terms.length > 32 ? new Map<string, number>() : null;
    for (let j = 0; j < terms.length; j++) {
      const t = terms[j];
      let at: number | undefined;
      if (pos !== null) at = pos.get(t);
      else for (let i = 0; i < j; i++) if (terms[i] === t) { at = i; break; }
      if (at !== undefined) {
        // A repeat: count it on the term's first occurrence (which may be absent from the index).
        const slot = this.slotOf[at];
        if (slot >= 0) qtfs[slot]++;
        this.slotOf[j] = slot;
        continue;
      }
      const id = this.index.termId(t);
      const slot = id < 0 ? -1 : ids.length;
      if (pos !== null) pos.set(t, j);
      this.slotOf[j] = slot;
      if (id >= 0) {
        ids.push(id);
        qtfs.push(1);
      }
    }
    return { ids, qtfs };
  }

  private runExhaustive(terms: readonly string[], topK: number, sim: Similarity, params: SimilarityParams, filter?: Uint8Array): ScoredChunk[] {
    const ix = this.index;
    if (topK === 0 || ix.docCount === 0 || terms.length === 0) return [];
    const avgdl = this.avgdl(sim.float32);
    let normTable: Float64Array | null = null;
    if (ix.luceneNorms) {
      normTable = this.normTable;
      for (let i = 0; i < 256; i++) normTable[i] = sim.lengthNorm(this.lengths[i], avgdl, params);
    }
    const { ids, qtfs } = this.queryTerms(terms);
    let numTouched = 0;
    for (let q = 0; q < ids.length; q++) {
      const id = ids[q];
      const docFreq = ix.postings.offsets[id + 1] - ix.postings.offsets[id];
      const weight = sim.queryWeight(qtfs[q], sim.idf(docFreq, ix.docCount));
      numTouched = this.accumulateTerm(id, weight, sim, params, avgdl, normTable, numTouched);
    }
    const top = this.collector(topK);
    const { scores, seen, touched } = this;
    for (let i = 0; i < numTouched; i++) {
      const c = touched[i];
      if (filter === undefined || filter[c] === 1) top.push(c, sim.float32 ? Math.fround(scores[c]) : scores[c]);
      scores[c] = 0;
      seen[c] = 0;
    }
    return top.results();
  }

  /** Adds term `id`'s contribution to every chunk in its postings; returns the new touched count. */
  private accumulateTerm(
    id: number,
    weight: number,
    sim: Similarity,
    params: SimilarityParams,
    avgdl: number,
    normTable: Float64Array | null,
    numTouched: number,
  ): number {
    const { offsets, chunkIds, termFreqs } = this.index.postings;
    const { docLens, normBytes } = this.index;
    const { scores, seen, touched } = this;
    for (let i = offsets[id], end = offsets[id + 1]; i < end; i++) {
      const c = chunkIds[i];
      const norm = normTable !== null ? normTable[normBytes[c]] : sim.lengthNorm(docLens[c], avgdl, params);
      const s = sim.termScore(weight, termFreqs[i], norm, params);
      if (seen[c] === 0) {
        seen[c] = 1;
        touched[numTouched++] = c;
        scores[c] = s;
      } else {
        scores[c] += s;
      }
    }
    return numTouched;
  }

  /** The Lucene BM25 normInverse of each chunk for (k1, b): by norm byte, or by exact length. */
  private chunkNormInverse(p: SimilarityParams, avgdl: number): (c: number) => number {
    const ix = this.index;
    if (ix.luceneNorms) {
      const table = new Float64Array(256);
      for (let i = 0; i < 256; i++) table[i] = normInverseLucene(this.lengths[i], avgdl, p);
      return (c) => table[ix.normBytes[c]];
    }
    const perChunk = new Float64Array(ix.numChunks);
    for (let c = 0; c < ix.numChunks; c++) perChunk[c] = normInverseLucene(ix.docLens[c], avgdl, p);
    return (c) => perChunk[c];
  }

  /** Lucene BM25 impact (qtf = 1) of every posting, and each term's maximum. */
  private computeImpacts(k1: number, b: number): Impacts {
    const ix = this.index;
    const { offsets, chunkIds, termFreqs } = ix.postings;
    const numTerms = offsets.length - 1;
    const p: SimilarityParams = { k1, b, delta: 0 };
    const normInverse = this.chunkNormInverse(p, this.avgdl(true));
    const scores = new Float32Array(chunkIds.length);
    const maxScore = new Float32Array(numTerms);
    for (let t = 0; t < numTerms; t++) {
      const start = offsets[t];
      const end = offsets[t + 1];
      const idf = idfLucene(end - start, ix.docCount);
      let max = 0;
      for (let i = start; i < end; i++) {
        const s = termScoreLucene(idf, termFreqs[i], normInverse(chunkIds[i]));
        scores[i] = s;
        if (s > max) max = s;
      }
      maxScore[t] = max;
    }
    return { k1, b, scores, maxScore, normInverse };
  }

  /** BM25 from impacts: term-at-a-time for short postings, MaxScore for long ones. */
  private searchImpacts(terms: readonly string[], topK: number, imp: Impacts, filter?: Uint8Array): ScoredChunk[] {
    const ix = this.index;
    if (topK === 0 || ix.docCount === 0 || terms.length === 0) return [];
    const { ids, qtfs } = this.queryTerms(terms);
    if (ids.length === 0) return [];
    const offsets = ix.postings.offsets;
    let total = 0;
    for (const id of ids) total += offsets[id + 1] - offsets[id];
    return total > this.maxScoreAbovePostings ? this.maxScore(ids, qtfs, topK, imp, filter) : this.impactsTermAtATime(ids, qtfs, topK, imp, total, filter);
  }

  /**
   * Adds each query term's impacts into the score buffer (qtf > 1: live score with weight
   * qtf·idf), then keeps the top k.
   *
   * Two ways to find the chunks that were scored, chosen by the number of postings: when they
   * are many relative to the chunks (Σ docFreq · {@link DENSE_SCAN_FACTOR} ≥ numChunks) the
   * accumulation loop carries no bookkeeping and the buffer is scanned once afterwards; else a
   * touched-list records each chunk's first score (a zero buffer entry means "not yet scored":
   * every BM25 impact is > 0).
   *
   * Selection starts from a lower bound θ₀ on the k-th best score (see {@link kthImpact}), so the
   * heap only sees chunks that can still enter and the scan's branch is rarely taken.
   */
  private impactsTermAtATime(ids: number[], qtfs: number[], topK: number, imp: Impacts, totalPostings: number, filter?: Uint8Array): ScoredChunk[] {
    const ix = this.index;
    const { offsets, chunkIds, termFreqs } = ix.postings;
    const impacts = imp.scores;
    const { scores, touched } = this;
    const dense = this.denseScan ?? totalPostings * DENSE_SCAN_FACTOR >= ix.numChunks;
    let theta0 = 0;
    let numTouched = 0;
    for (let q = 0; q < ids.length; q++) {
      const id = ids[q];
      const start = offsets[id];
      const end = offsets[id + 1];
      if (qtfs[q] === 1) {
        // θ₀ counts unfiltered chunks, so it is no bound once a filter removes some
        const t = filter === undefined ? this.kthImpact(id, topK, imp) : 0;
        if (t > theta0) theta0 = t;
        if (dense) {
          for (let i = start; i < end; i++) scores[chunkIds[i]] += impacts[i];
        } else {
          for (let i = start; i < end; i++) {
            const c = chunkIds[i];
            const s = scores[c];
            if (s === 0) touched[numTouched++] = c;
            scores[c] = s + impacts[i];
          }
        }
      } else {
        const normInverse = imp.normInverse;
        const weight = Math.fround(Math.fround(qtfs[q]) * idfLucene(end - start, ix.docCount));
        for (let i = start; i < end; i++) {
          const c = chunkIds[i];
          const s = scores[c];
          if (!dense && s === 0) touched[numTouched++] = c;
          scores[c] = s + termScoreLucene(weight, termFreqs[i], normInverse(c));
        }
      }
    }
    // A chunk whose float32 score is ≥ θ₀ has a double sum ≥ θ₀·(1 − 2⁻²³) (rounding to float32
    // moves a value by at most 2⁻²⁴ of itself), so that is the cheap pre-test.
    const floor = theta0 > 0 ? theta0 * (1 - 2 ** -23) : Number.MIN_VALUE;
    const top = this.collector(topK);
    let theta = theta0 > 0 ? theta0 : -Infinity;
    if (dense) {
      for (let c = 0, n = ix.numChunks; c < n; c++) {
        const d = scores[c];
        if (d < floor || (filter !== undefined && filter[c] !== 1)) continue;
        const s = Math.fround(d);
        if (s < theta) continue; // cannot enter; equal scores may still win on a smaller chunk number
        top.push(c, s);
        const t = top.threshold();
        if (t > theta) theta = t;
      }
      scores.fill(0);
    } else {
      for (let i = 0; i < numTouched; i++) {
        const c = touched[i];
        const d = scores[c];
        scores[c] = 0;
        if (d < floor || (filter !== undefined && filter[c] !== 1)) continue;
        const s = Math.fround(d);
        if (s < theta) continue;
        top.push(c, s);
        const t = top.threshold();
        if (t > theta) theta = t;
      }
    }
    return top.results();
  }

  /**
   * A lower bound on the k-th best score of any query containing term `id` (with qtf 1): the
   * k′-th largest impact in its postings for the smallest bucket k′ ∈ {10, 100, 1000} with
   * k′ ≥ k, or 0 when there is none or the term has fewer than k′ postings. Every chunk's score
   * is at least its impact for each of its query terms (impacts are ≥ 0 and sums round
   * monotonically), so k′ ≥ k chunks score at least that much. Computed on first use per term
   * and bucket (a selection over the term's impacts), then cached.
   */
  private kthImpact(id: number, topK: number, imp: Impacts): number {
    if (topK > KTH_BUCKETS[2]) return 0;
    const b = topK <= KTH_BUCKETS[0] ? 0 : topK <= KTH_BUCKETS[1] ? 1 : 2;
    const k: number = KTH_BUCKETS[b];
    const { offsets } = this.index.postings;
    const df = offsets[id + 1] - offsets[id];
    if (df < k) return 0;
    let cache = this.kthCache[b];
    if (cache === null) cache = this.kthCache[b] = new Float32Array(offsets.length - 1).fill(-1);
    let v = cache[id];
    if (v < 0) v = cache[id] = kthLargest(imp.scores.slice(offsets[id], offsets[id + 1]), k);
    return v;
  }

  /** MaxScore document-at-a-time over impacts (see the module doc). */
  private maxScore(ids: number[], qtfs: number[], topK: number, imp: Impacts, filter?: Uint8Array): ScoredChunk[] {
    const ix = this.index;
    const n = ids.length;
    const { offsets, chunkIds, termFreqs } = ix.postings;
    const impacts = imp.scores;

    // Query terms typed more than once are scored live with weight qtf·idf (Lucene's merged boost).
    const normInverse = imp.normInverse;
    const weight = new Float64Array(n);
    const bound = new Float64Array(n);
    for (let q = 0; q < n; q++) {
      const id = ids[q];
      if (qtfs[q] === 1) {
        bound[q] = imp.maxScore[id];
      } else {
        weight[q] = Math.fround(Math.fround(qtfs[q]) * idfLucene(offsets[id + 1] - offsets[id], ix.docCount));
        // w·x/(1 + x) is linear in w; float rounding stays far below the slack.
        bound[q] = qtfs[q] * imp.maxScore[id] * (1 + 1e-6);
      }
    }

    // Terms by ascending bound; cum[i] = Σ bound of sorted terms 0..i.
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => bound[x] - bound[y] || x - y);
    const cum = new Float64Array(n);
    for (let i = 0, s = 0; i < n; i++) cum[i] = s = (s + bound[order[i]]) * BOUND_SLACK;
    const pos = new Uint32Array(n);
    const end = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      pos[i] = offsets[ids[order[i]]];
      end[i] = offsets[ids[order[i]] + 1];
    }
    const contrib = new Float64Array(n); // by query-term position, for the canonical sum
    const stamp = new Int32Array(n).fill(-1); // contrib[q] is for chunk stamp[q]

    const top = this.collector(topK);
    let theta = -Infinity;
    let firstEssential = 0;
    const NONE = 0xffffffff;
    for (;;) {
      if (firstEssential === n - 1 && qtfs[order[n - 1]] === 1) {
        // One essential term (the usual state once θ has risen): skip its postings whose impact
        // plus every other term's bound cannot beat θ, without the per-candidate bookkeeping.
        const rest = firstEssential > 0 ? cum[firstEssential - 1] : 0;
        let p = pos[n - 1];
        const pe = end[n - 1];
        while (p < pe && impacts[p] + rest <= theta) p++;
        pos[n - 1] = p;
      }
      // Next candidate: the smallest current chunk among essential terms.
      let d = NONE;
      for (let i = firstEssential; i < n; i++) if (pos[i] < end[i] && chunkIds[pos[i]] < d) d = chunkIds[pos[i]];
      if (d === NONE) break;
      if (filter !== undefined && filter[d] !== 1) {
        // a filtered-out chunk never enters: step the essential terms past it
        for (let i = firstEssential; i < n; i++) if (pos[i] < end[i] && chunkIds[pos[i]] === d) pos[i]++;
        continue;
      }
      let partial = 0;
      for (let i = firstEssential; i < n; i++) {
        const p = pos[i];
        if (p < end[i] && chunkIds[p] === d) {
          const q = order[i];
          const s = qtfs[q] === 1 ? impacts[p] : termScoreLucene(weight[q], termFreqs[p], normInverse(d));
          contrib[q] = s;
          stamp[q] = d;
          partial += s;
          pos[i] = p + 1;
        }
      }
      // Non-essential terms, largest bound first, while the chunk can still beat θ.
      let pruned = false;
      for (let i = firstEssential - 1; i >= 0; i--) {
        if (partial + cum[i] <= theta) {
          pruned = true;
          break;
        }
        const p = advance(chunkIds, pos[i], end[i], d);
        pos[i] = p;
        if (p < end[i] && chunkIds[p] === d) {
          const q = order[i];
          const s = qtfs[q] === 1 ? impacts[p] : termScoreLucene(weight[q], termFreqs[p], normInverse(d));
          contrib[q] = s;
          stamp[q] = d;
          partial += s;
          pos[i] = p + 1;
        }
      }
      if (!pruned) {
        let sum = 0;
        for (let q = 0; q < n; q++) if (stamp[q] === d) sum += contrib[q];
        const score = Math.fround(sum);
        if (score > theta) {
          top.push(d, score);
          const t = top.threshold();
          if (t !== theta) {
            theta = t;
            while (firstEssential < n && cum[firstEssential] <= theta) firstEssential++;
          }
        }
      }
    }
    return top.results();
  }
}

/**
 * The first position in `chunkIds[from, end)` holding a chunk ≥ `target` (or `end`): galloping
 * (exponential) search, then binary search, so skipping m postings costs O(log m).
 */
function advance(chunkIds: ArrayLike<number>, from: number, end: number, target: number): number {
  if (from >= end || chunkIds[from] >= target) return from;
  let step = 1;
  let lo = from;
  let hi = from + 1;
  while (hi < end && chunkIds[hi] < target) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > end) hi = end;
  // chunkIds[lo] < target; answer in (lo, hi]
  let l = lo + 1;
  let h = hi;
  while (l < h) {
    const m = (l + h) >>> 1;
    if (chunkIds[m] < target) l = m + 1;
    else h = m;
  }
  return l;
}

/**
 * The k-th largest value of `values` (1 ≤ k ≤ values.length), by Hoare-style quickselect with a
 * middle pivot; reorders `values`. O(n) expected.
 */
function kthLargest(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1; // position in descending order
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] > pivot) i++;
      while (values[j] < pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target];
  }
  return values[target];
}
