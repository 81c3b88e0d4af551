/**
 * Index-time analysis of chunk texts into distinct term ids and term frequencies: the writer's
 * forward index. Used by the writer on its own thread and by each analysis worker
 * (`analysis-worker.ts`), which keeps a dictionary of its own.
 *
 * Per token this costs the analyzer's work plus one dictionary lookup; term frequencies are
 * counted in a reused typed array indexed by term id (no `Map` per chunk), and a batch of chunks
 * comes out as four flat typed arrays rather than two small arrays per chunk.
 */
import type { Analyzer } from '../../analysis/analyzer.js';

/** Term strings ↔ dense ids 0, 1, 2 … in order of first sight. */
export class TermDictionary {
  /** id → term. */
  readonly terms: string[] = [];
  private readonly ids = new Map<string, number>();

  /** Number of terms. */
  get size(): number {
    return this.terms.length;
  }

  /** The id of `term`, adding it when new. */
  idOf(term: string): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.terms.push(term);
      this.ids.set(term, id);
    }
    return id;
  }
}

/**
 * A batch of analysed chunks. Chunk i's distinct term ids are `ids[starts(i) .. ends[i])` with
 * frequencies `tfs[same range]`, where starts(0) = 0 and starts(i) = ends[i − 1]; ids are in
 * order of first occurrence in the chunk. `docLens[i]` counts the chunk's analysed tokens.
 */
export interface CountedChunks {
  ids: Uint32Array<ArrayBuffer>;
  tfs: Uint32Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  docLens: Uint32Array<ArrayBuffer>;
}

/**
 * Counts the terms of chunk texts against a {@link TermDictionary}. Not thread-safe; one per
 * thread. With an analyzer that has the keyed fast path (`Analyzer.forEachKey`/`termOfKey`), it
 * caches token key → term id (−1 for a stop word) for its whole life: one hash lookup per keyed
 * token instead of the analyzer's cache plus the dictionary; other terms take one dictionary
 * lookup each. The cache holds one entry per distinct
 * token key seen (it is the writer's or a worker's, and goes with it).
 */
export class ChunkTermCounter {
  private tf = new Uint32Array(1024);
  private ids = new Uint32Array(4096);
  private tfs = new Uint32Array(4096);
  private readonly keyIds: Map<string, number> | null;
  /** Output position and token count of the chunk being counted (keyed path). */
  private n = 0;
  private tokens = 0;
  private readonly visitKey: (key: string) => void;
  private readonly visitTerm: (term: string) => void;

  constructor(
    private readonly analyzer: Analyzer,
    readonly dict: TermDictionary,
  ) {
    const keyed = analyzer.forEachKey !== undefined && analyzer.termOfKey !== undefined;
    this.keyIds = keyed ? new Map() : null;
    this.visitKey = (key) => {
      const cache = this.keyIds!;
      let id = cache.get(key);
      if (id === undefined) {
        const term = this.analyzer.termOfKey!(key);
        id = term === null ? -1 : this.dict.idOf(term);
        cache.set(key, id);
      }
      if (id >= 0) this.add(id);
    };
    this.visitTerm = (term) => this.add(this.dict.idOf(term));
  }

  /** Analyses each text (in order) and returns its distinct terms and frequencies. */
  countAll(texts: readonly string[]): CountedChunks {
    const ends = new Uint32Array(texts.length);
    const docLens = new Uint32Array(texts.length);
    this.n = 0;
    for (let i = 0; i < texts.length; i++) {
      const start = this.n;
      this.tokens = 0;
      if (this.keyIds !== null) {
        this.analyzer.forEachKey!(texts[i], this.visitKey, this.visitTerm);
      } else {
        const terms = this.analyzer.analyze(texts[i]);
        const dict = this.dict;
        for (let j = 0; j < terms.length; j++) this.add(dict.idOf(terms[j]));
      }
      this.finishChunk(start);
      ends[i] = this.n;
      docLens[i] = this.tokens;
    }
    return { ids: this.ids.slice(0, this.n), tfs: this.tfs.slice(0, this.n), ends, docLens };
  }

  /** Counts one occurrence of term `id` in the current chunk. */
  private add(id: number): void {
    this.tokens++;
    if (id >= this.tf.length) this.tf = grow(this.tf, id + 1);
    if (this.tf[id]++ === 0) {
      if (this.n >= this.ids.length) {
        this.ids = grow(this.ids, this.n + 1);
        this.tfs = grow(this.tfs, this.n + 1);
      }
      this.ids[this.n++] = id;
    }
  }

  /** Reads the current chunk's counts (from output position `start`) into the output and resets them: O(distinct terms). */
  private finishChunk(start: number): void {
    const { ids, tfs, tf, n } = this;
    for (let k = start; k < n; k++) {
      tfs[k] = tf[ids[k]];
      tf[ids[k]] = 0;
    }
  }
}

/** A copy of `a` with room for at least `min` elements (doubling). */
function grow(a: Uint32Array, min: number): Uint32Array<ArrayBuffer> {
  let len = Math.max(16, a.length);
  while (len < min) len *= 2;
  const b = new Uint32Array(len);
  b.set(a);
  return b;
}
