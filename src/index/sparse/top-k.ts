/**
 * Bounded top-k selection with a binary min-heap: O(n log k) time, O(k) memory.
 *
 * Order: higher score first; equal scores by smaller chunk number first (Lucene breaks ties by
 * ascending doc id). The heap root is the *worst* kept entry, replaced when a better one arrives.
 */
export interface ScoredChunk {
  /** Chunk number in the reader (0-based). */
  chunk: number;
  score: number;
}

/** True when (sa, ca) ranks strictly below (sb, cb). */
const worse = (sa: number, ca: number, sb: number, cb: number): boolean => sa < sb || (sa === sb && ca > cb);

/** Collects the best `topK` of a stream of (chunk, score) pairs. */
export class TopK {
  private readonly chunks: Uint32Array;
  private readonly scores: Float64Array;
  private count = 0;

  constructor(readonly topK: number) {
    this.chunks = new Uint32Array(topK);
    this.scores = new Float64Array(topK);
  }

  /** Entries kept so far (≤ topK). */
  get size(): number {
    return this.count;
  }

  /**
   * The score a new candidate must beat (or tie with a smaller chunk number) to enter: the worst
   * kept score once topK entries are kept, −Infinity before (Infinity when topK is 0). Dynamic pruning compares upper bounds
   * with it.
   */
  threshold(): number {
    if (this.topK === 0) return Infinity;
    return this.count < this.topK ? -Infinity : this.scores[0];
  }

  /** Offers one candidate. */
  push(chunk: number, score: number): void {
    const k = this.topK;
    if (k === 0) return;
    if (this.count < k) {
      // sift up
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, chunk, this.scores[parent], this.chunks[parent])) break;
        this.scores[i] = this.scores[parent];
        this.chunks[i] = this.chunks[parent];
        i = parent;
      }
      this.scores[i] = score;
      this.chunks[i] = chunk;
      return;
    }
    if (!worse(this.scores[0], this.chunks[0], score, chunk)) return; // not better than the worst kept
    this.siftDown(score, chunk, k); // replace the root
  }

  /**
   * The kept entries, best first. Empties the collector: entries are popped off the heap (worst
   * first) into the output from its end, which costs O(k log k) without a comparator sort.
   */
  results(): ScoredChunk[] {
    const n = this.count;
    const out = new Array<ScoredChunk>(n);
    for (let j = n - 1; j >= 0; j--) {
      out[j] = { chunk: this.chunks[0], score: this.scores[0] };
      this.popRoot();
    }
    return out;
  }

  /** Removes the worst kept entry (the root) and restores the heap. */
  private popRoot(): void {
    const last = --this.count;
    this.siftDown(this.scores[last], this.chunks[last], last);
  }

  /** Puts (score, chunk) at the root of the heap's first `size` entries and sifts it down to its place. */
  private siftDown(score: number, chunk: number, size: number): void {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let m = l;
      if (r < size && worse(this.scores[r], this.chunks[r], this.scores[l], this.chunks[l])) m = r;
      if (!worse(this.scores[m], this.chunks[m], score, chunk)) break;
      this.scores[i] = this.scores[m];
      this.chunks[i] = this.chunks[m];
      i = m;
    }
    this.scores[i] = score;
    this.chunks[i] = chunk;
  }
}
