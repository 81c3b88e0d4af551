import { describe, expect, it } from 'vitest';
import { EnglishAnalyzer } from '../../src/analysis/english.js';
import { KoreanAnalyzer, stripKoreanSuffix } from '../../src/analysis/korean.js';
import { getAnalyzer } from '../../src/analysis/registry.js';
import { analyzerContract, CONTRACT_SAMPLES } from './analyzer-contract.js';

describe('korean', () => {
  analyzerContract(() => getAnalyzer('korean'));
  const a = getAnalyzer('korean');

  it('a query word matches its document form whatever the particle', () => {
    // 검색기 + 가/를/(none) → stem 검색기 → syllable bigrams 검색, 색기
    for (const w of ['검색기가', '검색기를', '검색기', '검색기에서는']) expect(a.analyze(w), w).toEqual(['검색', '색기']);
  });

  it('routes mixed Korean/English by script and drops a particle glued to Latin', () => {
    // BM25는 → bm25 + 는 (a whole particle after Latin: dropped); 기본이다 → 기본 (copula 이다 stripped)
    expect(a.analyze('BM25는 검색기의 기본이다')).toEqual(['bm25', '검색', '색기', '기본']);
  });

  it('keeps at least two syllables of stem (minStem 2): 날은 stays, bigram 날은', () => {
    expect(stripKoreanSuffix('날은', 2)).toBe('날은');
    expect(stripKoreanSuffix('날은', 1)).toBe('날');
    expect(stripKoreanSuffix('검색기를', 1)).toBe('검색기');
    expect(stripKoreanSuffix('시위를', 2)).toBe('시위');
  });

  it('gives stem bigram offsets inside the eojeol', () => {
    expect(a.tokens('검색기를')).toEqual([
      { term: '검색', start: 0, end: 2 },
      { term: '색기', start: 1, end: 3 },
    ]);
  });

  it('bigrams Hanja and stems English inside Korean text', () => {
    expect(a.analyze('大韓民國 Running')).toEqual(['大韓', '韓民', '民國', 'run']);
  });

  it('variants: eojeol keeps the word, strip keeps the stem, bigram splits the whole eojeol', () => {
    expect(new KoreanAnalyzer({ name: 'k', strategy: 'eojeol' }).analyze('검색기를')).toEqual(['검색기를']);
    expect(new KoreanAnalyzer({ name: 'k', strategy: 'strip' }).analyze('검색기를')).toEqual(['검색기']);
    expect(new KoreanAnalyzer({ name: 'k', strategy: 'bigram' }).analyze('검색기를')).toEqual(['검색', '색기', '기를']);
    expect(new KoreanAnalyzer({ name: 'k', strategy: 'strip-bigram' }).analyze('검색기를')).toEqual(['검색기', '검색', '색기']);
  });
});

describe('auto', () => {
  analyzerContract(() => getAnalyzer('auto'));

  it('equals english on text without Hangul, Han or kana', () => {
    const english = new EnglishAnalyzer();
    const auto = getAnalyzer('auto');
    for (const text of [CONTRACT_SAMPLES[0], CONTRACT_SAMPLES[1], CONTRACT_SAMPLES[5]]) {
      expect(auto.tokens(text)).toEqual(english.tokens(text));
    }
  });

  it('bigrams Japanese and strips Korean particles in one text', () => {
    expect(getAnalyzer('auto').analyze('東京都 검색기를 Dogs')).toEqual(['東京', '京都', '검색', '색기', 'dog']);
  });
});
