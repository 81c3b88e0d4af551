/**
 * Issue #12: the short answer is marked inside the quote (answerSpan), the unit holding the
 * asked-for kind of fact wins, and question words absent from a small index do not force a refusal.
 */
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { answerTypeOf, extractiveAnswer, type TermStatistics } from '../../src/generate/extractive.js';

const analyzer = getAnalyzer('auto');
function hit(rank: number, text: string, score = 1): Hit {
  return { rank, score, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: '', text, startLine: 1, endLine: 1 };
}
/** Every analysed term of `texts` with its document frequency over them (each text one document). */
function statsOf(texts: string[]): TermStatistics {
  const df = new Map<string, number>();
  for (const t of texts) for (const term of new Set(analyzer.analyze(t))) df.set(term, (df.get(term) ?? 0) + 1);
  return { numDocs: texts.length, docFreq: (t) => df.get(t) ?? 0 };
}
const span = (a: ReturnType<typeof extractiveAnswer>) => {
  const c = a.citations[0];
  return c?.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end) : undefined;
};

describe('answerTypeOf', () => {
  it('reads the kind of fact from the question words', () => {
    expect(answerTypeOf('How many people live in Warsaw?')).toBe('number');
    expect(answerTypeOf('반포주공아파트의 최대 평수는 얼마인가?')).toBe('number');
    expect(answerTypeOf('When was the treaty signed?')).toBe('date');
    expect(answerTypeOf('Who wrote Hamlet?')).toBe('person');
    expect(answerTypeOf('What does HyDE generate?')).toBe('entity');
    expect(answerTypeOf('How does HyDE work?')).toBe('none');
  });
});

describe('answerSpan: the short answer inside the quote', () => {
  const texts = [
    'The treaty was drafted in the old hall by the delegates. The treaty was signed on July 4, 1776 in the hall.',
    'Warsaw is the capital of Poland. Warsaw has a population of 1.7 million people, as of 2014.',
    '성요셉 아파트는 1971년에 약현성당이 지은 아파트이다. 성요셉 아파트는 최고층인 6층까지 주거 시설로 이용된다.',
    'Hamlet is a tragedy set in Denmark. Hamlet was written by William Shakespeare around 1600.',
    'Unrelated notes about gardening and soil.',
  ];
  const stats = statsOf(texts);
  const hits = texts.map((t, i) => hit(i + 1, t));

  it('marks a date, a number with its unit, a Korean floor count and a name', () => {
    const date = extractiveAnswer('When was the treaty signed?', [hits[0]], analyzer, stats);
    expect(date.citations[0].quote).toBe('The treaty was signed on July 4, 1776 in the hall.');
    expect(span(date)).toBe('July 4, 1776');
    expect(date.answer).toBe('July 4, 1776 — The treaty was signed on July 4, 1776 in the hall. [1]');
    expect(span(extractiveAnswer('How many people live in Warsaw?', [hits[1]], analyzer, stats))).toBe('1.7 million');
    const floors = extractiveAnswer('성요셉 아파트는 몇 층으로 구성된 아파트인가?', [hits[2]], analyzer, stats);
    // Both sentences match 성요셉/아파트; the one holding a number not in the question wins (×1.3), and its span is "6층".
    expect(floors.citations[0].quote).toBe('성요셉 아파트는 최고층인 6층까지 주거 시설로 이용된다.');
    expect(span(floors)).toBe('6층');
    expect(span(extractiveAnswer('Who was Hamlet written by?', [hits[3]], analyzer, stats))).toBe('William Shakespeare');
  });

  it('marks nothing for a question that names no kind of fact, and the span is always inside the quote', () => {
    const a = extractiveAnswer('How is Hamlet set?', [hits[3]], analyzer, stats);
    expect(a.found).toBe(true);
    expect(a.citations[0].answerSpan).toBeUndefined();
    for (const q of ['When was the treaty signed?', 'How many people live in Warsaw?', 'Who was Hamlet written by?']) {
      for (const c of extractiveAnswer(q, hits, analyzer, stats).citations) {
        if (c.answerSpan) expect(c.answerSpan.start >= 0 && c.answerSpan.end <= c.quote.length && c.answerSpan.start < c.answerSpan.end).toBe(true);
      }
    }
  });
});

describe('refusal: question terms no document holds do not count (two-document index)', () => {
  it('answers although four of the question words are absent from the index', () => {
    const texts = ['BM25 normalises document length with the parameter b.', 'PageRank uses a damping factor.'];
    // Terms: bm25 normalis document length (each df 1 of 2: idf ln(1 + 1.5/1.5) = 0.6931) and
    // elasticsearch opensearch lucen solr (df 0: idf ln(1 + 2.5/0.5) = 1.7918).
    // Before: coverage = 4·0.6931 / (4·0.6931 + 4·1.7918) = 0.2789 < 0.3 → refused.
    // Now the absent terms leave the mass: coverage = 1.
    const a = extractiveAnswer('How does BM25 normalise document length in Elasticsearch, OpenSearch, Lucene and Solr?', texts.map((t, i) => hit(i + 1, t)), analyzer, statsOf(texts));
    expect(a.found).toBe(true);
    expect(a.citations[0].quote).toBe('BM25 normalises document length with the parameter b.');
    expect(a.candidates[0].coverage).toBe(1);
  });
  it('still refuses when no question term is in the index', () => {
    const texts = ['BM25 normalises document length with the parameter b.', 'PageRank uses a damping factor.'];
    expect(extractiveAnswer('Who won the football world cup?', texts.map((t, i) => hit(i + 1, t)), analyzer, statsOf(texts)).found).toBe(false);
  });
});

describe('a sentence that refers back is quoted with the sentence it refers to (issue #12)', () => {
  it('quotes "HyDE … It …" whole when the answer is in the pronoun sentence', () => {
    const texts = [
      'HyDE was proposed by Gao et al. in 2023. It writes a hypothetical document before retrieval.',
      'BM25 normalises document length with the parameter b.',
    ];
    const a = extractiveAnswer('What does HyDE write before retrieval?', [hit(1, texts[0]), hit(2, texts[1])], analyzer, statsOf(texts));
    expect(a.citations[0].quote).toBe('HyDE was proposed by Gao et al. in 2023. It writes a hypothetical document before retrieval.');
  });
});
