import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import { InvalidParameterError } from '../../src/core/errors.js';
import type { Hit } from '../../src/core/types.js';
import { phraseRerank, queryPairs } from '../../src/retrieve/phrase-rerank.js';

const hit = (chunkId: string, score: number, text: string, title = ''): Hit => ({ rank: 0, score, docId: chunkId, chunkId, source: `${chunkId}.txt`, title, text, startLine: 1, endLine: 1 });

describe('queryPairs', () => {
  it('pairs consecutive analysed terms (stop words dropped by the analyzer), each pair once', () => {
    expect(queryPairs('average household size of Fresno and household size', getAnalyzer('english'))).toEqual([
      ['averag', 'household'],
      ['household', 'size'],
      ['size', 'fresno'],
      ['fresno', 'household'],
    ]);
  });

  it('does not pair two bigrams of one Korean word (their spans overlap)', () => {
    // auto: 대한민국 → 대한 한민 민국 (overlapping), 역사
    expect(queryPairs('대한민국 역사', getAnalyzer('auto'))).toEqual([['민국', '역사']]);
  });
});

describe('phraseRerank', () => {
  const english = getAnalyzer('english');

  it('adds w × the mean idf of each query pair a passage holds adjacent and in order (hand-computed)', () => {
    const idf = new Map([
      ['averag', 2],
      ['household', 3],
      ['size', 1],
    ]);
    const hits = [
      hit('a', 10, 'The size of each household grew on average.'), // the words, but no pair in order
      hit('b', 9.5, 'The average household size was 3.07.'), // both pairs: (2+3)/2 + (3+1)/2 = 4.5
      hit('c', 9.9, 'Average household incomes rose.'), // one pair: 2.5
    ];
    const out = phraseRerank('average household size', hits, { analyzer: english, idf: (t) => idf.get(t) ?? 0, topK: 3, titleTerms: false, weight: 0.3 });
    expect(out.map((h) => h.chunkId)).toEqual(['b', 'c', 'a']);
    expect(out.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(out[0].score).toBeCloseTo(9.5 + 0.3 * 4.5, 12);
    expect(out[0].scores).toEqual({ bm25: 9.5, phrase: 4.5 });
    expect(out[1].score).toBeCloseTo(9.9 + 0.3 * 2.5, 12);
    expect(out[2].score).toBe(10);
  });

  it('returns the best topK, keeps BM25 order on ties, and with weight 0 is BM25 itself', () => {
    const hits = [hit('a', 5, 'no match here'), hit('b', 5, 'nothing either'), hit('c', 4, 'household size')];
    const same = phraseRerank('household size', hits, { analyzer: english, idf: () => 1, topK: 2, titleTerms: false, weight: 0 });
    expect(same.map((h) => h.chunkId)).toEqual(['a', 'b']);
    // Default w 0.3: c scores 4 + 0.3 × 1 = 4.3 < 5 and stays out of the top 2; w 1.5 lifts it to 5.5.
    expect(phraseRerank('household size', hits, { analyzer: english, idf: () => 1, topK: 2, titleTerms: false }).map((h) => h.chunkId)).toEqual(['a', 'b']);
    const moved = phraseRerank('household size', hits, { analyzer: english, idf: () => 1, topK: 2, titleTerms: false, weight: 1.5 });
    expect(moved.map((h) => h.chunkId)).toEqual(['c', 'a']);
    expect(moved[0].score).toBe(5.5);
  });

  it('reads a pair across the title and the text only when the index has title terms', () => {
    const hits = [hit('a', 3, 'He wrote the treaty.'), hit('b', 2.9, 'Signed in 1998.', 'Treaty of Paris')];
    // "paris signed": the title's last term and the text's first are adjacent in the indexed text
    const withTitle = phraseRerank('Paris signed', hits, { analyzer: english, idf: () => 2, topK: 2, titleTerms: true });
    expect(withTitle.map((h) => h.chunkId)).toEqual(['b', 'a']);
    expect(withTitle[0].scores?.phrase).toBe(2);
    const without = phraseRerank('Paris signed', hits, { analyzer: english, idf: () => 2, topK: 2, titleTerms: false });
    expect(without.map((h) => h.chunkId)).toEqual(['a', 'b']);
  });

  it('rejects topK < 1 and a negative weight', () => {
    expect(() => phraseRerank('q', [], { analyzer: english, idf: () => 1, topK: 0, titleTerms: false })).toThrow(InvalidParameterError);
    expect(() => phraseRerank('q', [], { analyzer: english, idf: () => 1, topK: 1, titleTerms: false, weight: -1 })).toThrow(InvalidParameterError);
  });
});

