/**
 * The analyzer contract. An analyzer turns text into index terms; the same analyzer must
 * be used at index time and query time (the index manifest records its name).
 *
 * Implementations live beside this file, one per name (`english`, `cjk`, `korean`,
 * `standard`, `auto`), and are looked up with `getAnalyzer(name)` from `./registry.ts`.
 * Each runs the shared contract suite in `test/analysis/analyzer-contract.ts`.
 */
export interface Token {
  /** The index term (normalised, stemmed …). */
  term: string;
  /** Offset of the source span's first UTF-16 code unit in the analysed text. */
  start: number;
  /** End-exclusive offset of the source span. */
  end: number;
}

export interface Analyzer {
  /** Registry name, stored in the index manifest. */
  readonly name: string;
  /**
   * Index terms of `text`, in order, stop words removed. The hot path of indexing and
   * querying: implementations avoid per-call allocation beyond the result array.
   */
  analyze(text: string): string[];
  /**
   * The same terms with the source offsets they came from (for highlighting snippets and
   * picking answer sentences). `tokens(t).map(x => x.term)` equals `analyze(t)`.
   */
  tokens(text: string): Token[];
  /**
   * Optional index-time fast path, for analyzers in which each token becomes at most one term by
   * a function of the token alone (English: folded token → possessive, stop words, Porter).
   * `forEachKey` calls `visit` with each token's key, in order; `termOfKey` gives the key's term
   * or null (a stop word). Mapping the keys of a text through `termOfKey` and dropping nulls
   * equals `analyze(text)`. A caller can then cache key → term id and pay one hash lookup per
   * token (see `src/index/store/term-counter.ts`).
   */
  forEachKey?(text: string, visit: (key: string) => void): void;
  termOfKey?(key: string): string | null;
}
