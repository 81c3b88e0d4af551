import { describe, expect, it } from 'vitest';
import { splitSentences } from '../../src/analysis/sentences.js';

const texts = (t: string) => splitSentences(t).map((s) => t.slice(s.start, s.end));

describe('splitSentences', () => {
  it('splits English prose at terminal punctuation, not inside numbers, domains or abbreviations', () => {
    const t = 'BM25 uses k1 = 0.9 here. See e.g. Lucene at lucene.apache.org for details! Is it fast? Yes.';
    expect(texts(t)).toEqual(['BM25 uses k1 = 0.9 here.', 'See e.g. Lucene at lucene.apache.org for details!', 'Is it fast?', 'Yes.']);
  });

  it('keeps closing quotes and brackets with the sentence', () => {
    expect(texts('He said "stop." Then (it ended.) Next.')).toEqual(['He said "stop."', 'Then (it ended.)', 'Next.']);
  });

  it('splits Korean sentences and note lines', () => {
    const t = '문서 길이를 보정합니다. 평균 길이는 avgdl입니다.\n- 첫째 항목\n- 둘째 항목';
    expect(texts(t)).toEqual(['문서 길이를 보정합니다.', '평균 길이는 avgdl입니다.', '- 첫째 항목', '- 둘째 항목']);
  });

  it('joins wrapped English lines but splits at blank lines', () => {
    const t = 'This sentence is wrapped\nacross two lines.\n\nA new paragraph';
    expect(texts(t)).toEqual(['This sentence is wrapped\nacross two lines.', 'A new paragraph']);
  });

  it('offsets always slice back to the sentence, trimmed', () => {
    const t = '  Leading space.   Trailing one.  \n\n  ';
    for (const s of splitSentences(t)) {
      const x = t.slice(s.start, s.end);
      expect(x).toBe(x.trim());
      expect(x.length).toBeGreaterThan(0);
    }
    expect(splitSentences('')).toEqual([]);
    expect(splitSentences('   \n  ')).toEqual([]);
  });
});

describe('splitSentences: wrapped Markdown prose', () => {
  it('keeps a sentence whose wrapped line starts with code or a capital word', () => {
    const t = 'A method receives its dependencies in `ctx`: `llm`, optional\n`nli` and a seeded rng from\nHyDE onwards.\n- a list item\n## Heading';
    expect(texts(t)).toEqual(['A method receives its dependencies in `ctx`: `llm`, optional\n`nli` and a seeded rng from\nHyDE onwards.', '- a list item', '## Heading']);
  });

  it('still ends a line of Korean notes at the line break', () => {
    expect(texts('1. Retrieval: Web Search (PageRank 알고리즘)\n웹 페이지의 중요도를 계산합니다.')).toEqual(['1. Retrieval: Web Search (PageRank 알고리즘)', '웹 페이지의 중요도를 계산합니다.']);
  });
});
