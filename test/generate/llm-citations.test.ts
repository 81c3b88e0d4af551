import { describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import { bestQuote, checkCitations, dice, features, parseMarkers } from '../../src/generate/citations.js';

function hit(n: number, text: string, extra: Partial<Hit> = {}): Hit {
  return { rank: n, score: 1 / n, docId: `d${n}`, chunkId: `d${n}#0`, source: `docs/d${n}.md`, title: `Doc ${n}`, text, startLine: 1, endLine: 3, ...extra };
}

describe('parseMarkers', () => {
  it('finds [n], [n, m] and runs like [1][3], and ignores other brackets', () => {
    const text = 'A [1]. B [1, 3][2] c [x] [1.5] [see 2] [ 4 ,5 ]';
    expect(parseMarkers(text).map((m) => m.numbers)).toEqual([[1], [1, 3], [2], [4, 5]]);
    const [first] = parseMarkers(text);
    expect(text.slice(first.start, first.end)).toBe('[1]');
  });
});

describe('checkCitations', () => {
  const hits = [
    hit(1, 'Lyon is in France. Paris is the capital of France. It is large.'),
    hit(2, 'The Louvre is a museum in Paris. It opened in 1793.', { page: 4 }),
  ];

  it('removes markers that point at no passage, reports them, and keeps the rest', () => {
    const r = checkCitations('Paris is the capital [1][7]. The Louvre opened in 1793 [2, 9, 2]. Lyon is big [0].', hits);
    expect(r.answer).toBe('Paris is the capital [1]. The Louvre opened in 1793 [2]. Lyon is big.');
    expect(r.invalidCitations).toEqual([7, 9, 0]);
    expect(r.citations.map((c) => [c.n, c.chunkId])).toEqual([
      [1, 'd1#0'],
      [2, 'd2#0'],
    ]);
  });

  it('quotes the best-supporting sentence of each cited chunk, verbatim with its offset', () => {
    const r = checkCitations('Paris is the capital of France [1]. The Louvre opened in 1793 [2].', hits);
    expect(r.citations[0]).toMatchObject({ n: 1, quote: 'Paris is the capital of France.', quoteStart: 19, docId: 'd1', source: 'docs/d1.md', title: 'Doc 1' });
    expect(r.citations[1]).toMatchObject({ n: 2, quote: 'It opened in 1793.', quoteStart: 33, page: 4 });
    for (const c of r.citations) {
      const text = hits[c.n - 1].text;
      expect(text.slice(c.quoteStart, c.quoteStart + c.quote.length)).toBe(c.quote);
    }
  });

  it('lets a marker after the full stop cite the sentence before it', () => {
    const r = checkCitations('The Louvre opened in 1793. [2]', hits);
    expect(r.citations[0].quote).toBe('It opened in 1793.');
  });

  it('returns no citations and the answer unchanged when there are no markers', () => {
    expect(checkCitations('I do not know.', hits)).toEqual({ answer: 'I do not know.', citations: [], invalidCitations: [] });
  });
});

describe('quote scoring', () => {
  it('computes Dice over words and in-word bigrams, so Korean words with particles overlap', () => {
    // claim words 한국의 수도는 서울입니다 + bigrams 한국 국의 수도 도는 서울 울입 입니 니다 → |C| = 11
    // sentence 1 words 서울은 한국의 수도이다 + bigrams 서울 울은 한국 국의 수도 도이 이다 → |S| = 10
    // shared: 한국의 한국 국의 수도 서울 = 5 → Dice = 2·5 / 21 = 0.476190
    const claim = features('한국의 수도는 서울입니다');
    expect(claim.size).toBe(11);
    expect(dice(features('서울은 한국의 수도이다.'), claim)).toBeCloseTo(10 / 21, 6);
    const q = bestQuote('서울은 한국의 수도이다. 부산은 항구 도시이다.', '한국의 수도는 서울입니다');
    expect(q).toEqual({ quote: '서울은 한국의 수도이다.', quoteStart: 0, score: 10 / 21 });
  });

  it('falls back to the trimmed chunk when it has no sentence', () => {
    expect(bestQuote('   ', 'x')).toEqual({ quote: '', quoteStart: 3, score: 0 });
  });
});
