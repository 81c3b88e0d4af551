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
   * Optional index-time fast path, for analyzers in which most tokens become at most one term by
   * a function of the token alone (English: folded token → possessive, stop words, Porter).
   * `forEachKey` walks the text once, in order, calling `visitKey` with such a token's key and
   * `visitTerm` with each term it produces any other way (e.g. Hangul or CJK bigrams);
   * `termOfKey` gives a key's term, or null (a stop word). Mapping the keys through `termOfKey`,
   * dropping nulls and keeping the terms where they came, equals `analyze(text)`. A caller can then
   * cache key → term id and pay one hash lookup per keyed token (`src/index/store/term-counter.ts`).
   */
  forEachKey?(text: string, visitKey: (key: string) => void, visitTerm: (term: string) => void): void;
  termOfKey?(key: string): string | null;
}
