import { describe, expect, it } from 'vitest';
import { CjkAnalyzer } from '../../src/analysis/cjk.js';
import { CJK_STOP_WORDS } from '../../src/analysis/stopwords.js';
import { analyzerContract } from './analyzer-contract.js';

describe('cjk', () => {
  analyzerContract(() => new CjkAnalyzer());
  const a = new CjkAnalyzer();

  it('makes overlapping bigrams across adjacent Han and kana (CJKBigramFilter)', () => {
    expect(a.analyze('東京都に住む')).toEqual(['東京', '京都', '都に', 'に住', '住む']);
  });

  it('gives offsets spanning both characters of a bigram', () => {
    expect(a.tokens('東京都')).toEqual([
      { term: '東京', start: 0, end: 2 },
      { term: '京都', start: 1, end: 3 },
    ]);
  });

  it('keeps a lone CJK character as a unigram; a gap ends the run', () => {
    expect(a.analyze('日 本')).toEqual(['日', '本']);
  });

  it('folds half-width katakana to full width before bigramming', () => {
    expect(a.analyze('ｶﾀｶﾅ')).toEqual(['カタ', 'タカ', 'カナ']);
  });

  it('bigrams Hangul runs and splits Hangul glued to Latin', () => {
    expect(a.analyze('한국어 BM25는')).toEqual(['한국', '국어', 'bm25', '는']);
  });

  it('filters non-CJK tokens with Lucene\'s CJK stop set (English 33 + s, t, www), without stemming', () => {
    expect(CJK_STOP_WORDS.size).toBe(36);
    expect(a.analyze('The www sites')).toEqual(['sites']);
  });
});
