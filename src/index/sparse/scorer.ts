/**
 * Term-at-a-time query evaluation over a {@link PostingsCsr}.
 *
 * For each distinct query term, every posting adds `termScore(...)` into one score buffer sized to
 * the number of chunks; a touched-list records which entries are live, so resetting costs
 * O(matches), not O(numChunks). A bounded min-heap then keeps the top k. The buffers belong to
 * the scorer and are reused by every query (queries run synchronously, one at a time), so a query
 * allocates only O(query terms + topK).
 *
 * Extension point: `accumulateTerm` is the only place that turns postings into scores; precomputed
 * impacts or dynamic pruning (MaxScore/WAND) replace it without touching the rest.
 */
import { InvalidParameterError } from '../../core/errors.js';
import type { PostingsCsr } from './postings.js';
import { lengthTable } from './small-float.js';
import { getSimilarity, resolveSimilarityParams, type Similarity, type SimilarityName, type SimilarityParams } from './similarity.js';
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
}

export class TermAtATimeScorer {
  private readonly scores: Float64Array;
  private readonly seen: Uint8Array;
  private readonly touched: Uint32Array;
  private readonly normTable = new Float64Array(256);
  private readonly lengths = lengthTable();

  constructor(private readonly index: ScoringIndex) {
    this.scores = new Float64Array(index.numChunks);
    this.seen = new Uint8Array(index.numChunks);
    this.touched = new Uint32Array(index.numChunks);
  }

  /**
   * Scores the chunks matching any of `terms` (already analysed; repeats count as query term
   * frequency) and returns the best `topK`, best first, ties by ascending chunk number.
   * @throws InvalidParameterError for a bad topK, similarity name, k1, b or delta
   */
  search(terms: readonly string[], opts: SearchOptions): ScoredChunk[] {
    const { topK } = opts;
    if (!Number.isInteger(topK) || topK < 0) throw new InvalidParameterError(`topK must be an integer ≥ 0, got ${topK}`);
    const sim = getSimilarity(opts.similarity ?? 'bm25');
    const params = resolveSimilarityParams(sim, opts);
    const ix = this.index;
    if (topK === 0 || ix.docCount === 0 || terms.length === 0) return [];
    const avgdl = sim.float32 ? Math.fround(ix.sumDocLen / ix.docCount) : ix.sumDocLen / ix.docCount;

    const queryFreqs = new Map<string, number>();
    for (const t of terms) queryFreqs.set(t, (queryFreqs.get(t) ?? 0) + 1);

    let normTable: Float64Array | null = null;
    if (ix.luceneNorms) {
      normTable = this.normTable;
      for (let i = 0; i < 256; i++) normTable[i] = sim.lengthNorm(this.lengths[i], avgdl, params);
    }

    let numTouched = 0;
    for (const [term, queryFreq] of queryFreqs) {
      const id = ix.termId(term);
      if (id < 0) continue;
      const docFreq = ix.postings.offsets[id + 1] - ix.postings.offsets[id];
      const weight = sim.queryWeight(queryFreq, sim.idf(docFreq, ix.docCount));
      numTouched = this.accumulateTerm(id, weight, sim, params, avgdl, normTable, numTouched);
    }

    const top = new TopK(topK);
    const { scores, seen, touched } = this;
    for (let i = 0; i < numTouched; i++) {
      const c = touched[i];
      top.push(c, sim.float32 ? Math.fround(scores[c]) : scores[c]);
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
}
