import type { Analyzer } from './analyzer.js';
import { EnglishAnalyzer } from './english.js';
import { StandardAnalyzer } from './standard.js';
import { InvalidParameterError } from '../core/errors.js';
const FACTORIES: Record<string, () => Analyzer> = {
  english: () => new EnglishAnalyzer(),
  'english-lucene': () => new EnglishAnalyzer({ nfkc: false, name: 'english-lucene' }),
  standard: () => new StandardAnalyzer(),
};
export const analyzerNames: readonly string[] = Object.keys(FACTORIES);
export function getAnalyzer(name: string): Analyzer {
  const f = FACTORIES[name];
  if (!f) throw new InvalidParameterError(`unknown analyzer "${name}"; valid names: ${analyzerNames.join(', ')}`);
  return f();
}
