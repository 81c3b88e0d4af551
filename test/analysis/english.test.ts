import { describe, expect, it } from 'vitest';
import { EnglishAnalyzer } from '../../src/analysis/english.js';
import { ENGLISH_STOP_WORDS } from '../../src/analysis/stopwords.js';
import { analyzerContract } from './analyzer-contract.js';

describe('english', () => {
  analyzerContract(() => new EnglishAnalyzer());
  const a = new EnglishAnalyzer();

  it('uses exactly Lucene\'s 33 English stop words', () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(33);
    expect(a.analyze('the and of such their will with')).toEqual([]);
  });

  it('drops possessives (\', ’, ＇) before the stop filter, so "it\'s" disappears', () => {
    // bones → bone (1a; 5a keeps e: m("bon") = 1 and b-o-n is cvc); guide → guid (m = 1, "uid" not cvc)
    expect(a.analyze("John's dog's bones")).toEqual(['john', 'dog', 'bone']);
    expect(a.analyze("it's the user’s guide")).toEqual(['user', 'guid']);
    expect(a.analyze('Bob’s Ann＇s')).toEqual(['bob', 'ann']);
  });

  it('splits hyphenated words and stems the parts', () => {
    // state → state (m("stat") = 1 and "tat" is cvc, so 5a keeps the e); "of", "the" are stop words
    expect(a.analyze('state-of-the-art e-mail')).toEqual(['state', 'art', 'e', 'mail']);
  });

  it('keeps decimals and thousands, stems the plural of a year', () => {
    expect(a.analyze('3.14 1,000 2020s')).toEqual(['3.14', '1,000', '2020']);
  });

  it('keeps host names and file names whole, splits URLs and e-mail addresses at / : @', () => {
    // https → http (1a drops the s)
    expect(a.analyze('https://www.example.com/index.html')).toEqual(['http', 'www.example.com', 'index.html']);
    expect(a.analyze('user@example.com')).toEqual(['user', 'example.com']);
  });

  it('keeps acronyms with dots (without the final dot) and lower-cases them', () => {
    expect(a.analyze('U.S.A. and the U.K.')).toEqual(['u.s.a', 'u.k']);
  });

  it('folds full-width letters with NFKC; non-ASCII letters count as consonants for Porter', () => {
    // naïve → naïv: m("naïv") = 1 and "aïv" is not cvc because ï is a consonant to Porter
    expect(a.analyze('naïve cafés Ｆｕｌｌ ＦＵＬＬ')).toEqual(['naïv', 'café', 'full', 'full']);
    // Without NFKC (Lucene's exact behaviour) the full-width word stays full-width, lower-cased.
    expect(new EnglishAnalyzer({ nfkc: false }).analyze('ＦＵＬＬ')).toEqual(['ｆｕｌｌ']);
  });

  it('lower-cases like Java: Σ → σ even word-finally', () => {
    expect(a.analyze('ΣΟΦΟΣ')).toEqual(['σοφοσ']);
  });

  it('gives offsets of the source span, not of the stem', () => {
    expect(a.tokens('Running dogs')).toEqual([
      { term: 'run', start: 0, end: 7 },
      { term: 'dog', start: 8, end: 12 },
    ]);
  });

  it('bounds its cache: with stemCacheSize 2 the terms are the same', () => {
    const small = new EnglishAnalyzer({ stemCacheSize: 2 });
    const text = 'connections connected connecting connection generalizations oscillators';
    expect(small.analyze(text)).toEqual(a.analyze(text));
    expect(a.analyze(text)).toEqual(['connect', 'connect', 'connect', 'connect', 'gener', 'oscil']);
  });
});
