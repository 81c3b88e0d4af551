import { describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import { mulberry32 } from '../../src/core/random.js';
import { MarkerStreamFilter, bestQuote, checkCitations, dice, features, parseMarkers, removeInvalidMarkers, stripMarkers } from '../../src/generate/citations.js';

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

describe('stripMarkers', () => {
  it('removes every marker with the white space before it, and leaves other brackets', () => {
    expect(stripMarkers('Paris [1, 2]. Big [ 3 ][4]\n[5] [x] [1.5]')).toBe('Paris. Big [x] [1.5]');
    expect(stripMarkers('  no markers  ')).toBe('no markers');
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

describe('MarkerStreamFilter', () => {
  const samples = [
    'Paris is the capital [1][7]. The Louvre opened in 1793 [2, 9, 2]. Lyon is big [0].',
    'A [12] b [1 ,  3] c [see 2] d [1234] e [12345] f [3]',
    '서울은 수도이다 [1]. 부산 [4][2] [ 9 ]',
    'trailing marker [',
    'trailing partial [1, 1',
    'spaces   \t [8] and [2]   ',
  ];

  it('streams exactly what checkCitations would return, for every random split (oracle check)', () => {
    const rng = mulberry32(7); // seeded, so the random splits are the same on every run
    for (const text of samples) {
      const expected = removeInvalidMarkers(text, 3).answer;
      for (let trial = 0; trial < 200; trial++) {
        const f = new MarkerStreamFilter(3);
        let out = '';
        let i = 0;
        while (i < text.length) {
          const len = 1 + Math.floor(rng() * 6);
          out += f.push(text.slice(i, i + len));
          i += len;
        }
        out += f.flush();
        expect(out).toBe(expected);
      }
    }
  });

  it('holds back only an unfinished marker and the spaces before it', () => {
    const f = new MarkerStreamFilter(2);
    expect(f.push('Paris is big [')).toBe('Paris is big');
    expect(f.push('9')).toBe('');
    expect(f.push('].')).toBe('.');
    expect(f.push(' Yes [2')).toBe(' Yes');
    expect(f.push(']')).toBe(' [2]');
    expect(f.flush()).toBe('');
  });
});
