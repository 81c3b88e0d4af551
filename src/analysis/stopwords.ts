/**
 * Stop sets. Each is exactly the list of the analyzer it reproduces.
 */

/**
 * Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (33 words), the default of Anserini/Pyserini's
 * English analysis (`DefaultEnglishAnalyzer`).
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it',
  'no', 'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they',
  'this', 'to', 'was', 'will', 'with',
]);

/**
 * Lucene's `CJKAnalyzer` default stop set (`cjk/stopwords.txt`): the English list above plus
 * `s`, `t` and `www`, applied to the non-CJK tokens of CJK text.
 */
export const CJK_STOP_WORDS: ReadonlySet<string> = new Set([...ENGLISH_STOP_WORDS, 's', 't', 'www']);
