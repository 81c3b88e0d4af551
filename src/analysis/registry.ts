/**
 * Analyzer registry: `getAnalyzer(name)` builds a fresh, cheap analyzer by its registry name
 * (the name an index manifest records). Names, from the table below:
 *
 * - `english` — Anserini/Pyserini's default English analysis (Lucene StandardTokenizer,
 *   possessive, lower case, 33 stop words, Porter) + NFKC; `english-lucene` the same without NFKC.
 * - `standard` — tokenizer + NFKC + lower case.
 * - `cjk` — Lucene CJKAnalyzer-style bigrams.
 * - `korean`, `auto` — script routing: Hangul → particle stripping, Han/Kana → bigrams, the rest → english.
 * - `korean-eojeol`, `korean-strip`, `korean-strip2`, `korean-bigram`, `korean-strip-bigram`,
 *   `korean-stem-bigram`, `korean-stem-bigram2`, `korean-strip-eojeol-bigram` — the measured
 *   Korean variants (table in `./korean.ts`), kept so they can be measured again.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Analyzer } from './analyzer.js';
import { CjkAnalyzer } from './cjk.js';
import { EnglishAnalyzer } from './english.js';
import { KoreanAnalyzer, type KoreanStrategy } from './korean.js';
import { StandardAnalyzer } from './standard.js';

/** The Korean variant `korean` and `auto` use (chosen on KorQuAD 1.0 dev, see `./korean.ts`). */
const BEST_KOREAN: { strategy: KoreanStrategy; minStem: number } = { strategy: 'stem-bigram', minStem: 2 };

const FACTORIES: Readonly<Record<string, () => Analyzer>> = {
  english: () => new EnglishAnalyzer(),
  'english-lucene': () => new EnglishAnalyzer({ nfkc: false, name: 'english-lucene' }),
  standard: () => new StandardAnalyzer(),
  cjk: () => new CjkAnalyzer(),
  korean: () => new KoreanAnalyzer({ name: 'korean', ...BEST_KOREAN }),
  auto: () => new KoreanAnalyzer({ name: 'auto', ...BEST_KOREAN }),
  'korean-eojeol': () => new KoreanAnalyzer({ name: 'korean-eojeol', strategy: 'eojeol' }),
  'korean-strip': () => new KoreanAnalyzer({ name: 'korean-strip', strategy: 'strip', minStem: 1 }),
  'korean-strip2': () => new KoreanAnalyzer({ name: 'korean-strip2', strategy: 'strip', minStem: 2 }),
  'korean-bigram': () => new KoreanAnalyzer({ name: 'korean-bigram', strategy: 'bigram' }),
  'korean-strip-bigram': () => new KoreanAnalyzer({ name: 'korean-strip-bigram', strategy: 'strip-bigram', minStem: 1 }),
  'korean-stem-bigram': () => new KoreanAnalyzer({ name: 'korean-stem-bigram', strategy: 'stem-bigram', minStem: 1 }),
  'korean-stem-bigram2': () => new KoreanAnalyzer({ name: 'korean-stem-bigram2', strategy: 'stem-bigram', minStem: 2 }),
  'korean-strip-eojeol-bigram': () => new KoreanAnalyzer({ name: 'korean-strip-eojeol-bigram', strategy: 'strip-eojeol-bigram', minStem: 1 }),
};

/** Every registered analyzer name, in table order. */
export const analyzerNames: readonly string[] = Object.keys(FACTORIES);

/**
 * A new analyzer for `name`.
 * @throws InvalidParameterError when `name` is not registered; the message lists the valid names.
 */
export function getAnalyzer(name: string): Analyzer {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new InvalidParameterError(`unknown analyzer "${name}"; valid names: ${analyzerNames.join(', ')}`);
  }
  return factory();
}
