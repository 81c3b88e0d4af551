import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer } from '../../src/generate/extractive.js';

function hit(rank: number, text: string, score: number, startLine = 1): Hit {
  return { rank, score, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: `Doc ${rank}`, text, startLine, endLine: startLine + text.split('\n').length - 1 };
}

describe('extractiveAnswer', () => {
  const analyzer = getAnalyzer('auto');

  it('picks the sentence that answers the question, not the first sentence of rank 1', () => {
    const hits = [
      hit(1, 'HyDE is a retrieval method from 2023.\nBefore it retrieves, HyDE asks a language model to write a hypothetical document that answers the question.', 10, 40),
      hit(2, 'BM25 normalises document length with b.', 5),
    ];
    const a = extractiveAnswer('What does HyDE generate before it retrieves?', hits, analyzer);
    expect(a.found).toBe(true);
    expect(a.citations[0].quote).toBe('Before it retrieves, HyDE asks a language model to write a hypothetical document that answers the question.');
    expect(a.citations[0].n).toBe(1);
    // The quote starts on the chunk's second line: 40 + 1.
    expect(a.citations[0].startLine).toBe(41);
    // A what question: the answer leads with the short answer, then the quote.
    expect(a.answer).toContain('Before it retrieves');
    expect(a.answer).toContain('[1]');
  });

  it('every quote is a verbatim substring of its chunk at quoteStart', () => {
    const hits = [
      hit(1, 'BM25는 문서 길이를 보정합니다. 문서가 평균보다 길면 점수가 낮아집니다.\n- avgdl은 평균 문서 길이입니다.', 3),
      hit(2, '검색기는 질문과 관련된 문서를 찾습니다. BM25의 k1은 포화를 조절합니다.', 2),
    ];
    const a = extractiveAnswer('BM25에서 문서 길이는 어떻게 보정하나요?', hits, analyzer);
    expect(a.found).toBe(true);
    for (const c of a.citations) {
      const chunk = hits.find((h) => h.chunkId === c.chunkId)!;
      expect(chunk.text.slice(c.quoteStart, c.quoteStart + c.quote.length)).toBe(c.quote);
    }
    expect(a.citations[0].quote).toContain('길이');
  });

  it('says so when nothing relevant is found', () => {
    const hits = [hit(1, 'Porter stemming removes suffixes from English words.', 1)];
    const en = extractiveAnswer('Who won the football world cup?', hits, analyzer);
    expect(en.found).toBe(false);
    expect(en.citations).toEqual([]);
    expect(en.answer).toBe('No passage in the index answers this question.');
    const ko = extractiveAnswer('월드컵 우승팀은 어디인가요?', [], analyzer);
    expect(ko.found).toBe(false);
    expect(ko.answer).toContain('찾지 못했습니다');
  });

  it('numbers sources in order of first use and does not repeat a sentence from overlapping chunks', () => {
    const s = 'Reciprocal rank fusion adds 1/(rrfK + rank) over the rankings.';
    const hits = [hit(1, `Intro text. ${s}`, 4), hit(2, `${s} More text about fusion weights.`, 3)];
    const a = extractiveAnswer('How does reciprocal rank fusion combine rankings?', hits, analyzer);
    expect(a.citations.filter((c) => c.quote === s)).toHaveLength(1);
    expect(a.citations.map((c) => c.n)).toEqual([...a.citations.map((c) => c.n)].sort((x, y) => x - y));
  });
});

describe('extractiveAnswer: sentences matching a single question word are not answers', () => {
  it('drops a sentence that shares only "before" with the question', () => {
    const analyzer = getAnalyzer('auto');
    const hits = [
      hit(1, 'Before it retrieves, HyDE asks a language model to write a hypothetical document.', 5),
      hit(2, 'Without one, the command stops before any work with exit 2.', 4),
    ];
    const a = extractiveAnswer('What does HyDE generate before it retrieves?', hits, analyzer);
    expect(a.citations.map((c) => c.chunkId)).toEqual(['d1#0']);
  });
});

describe('extractiveAnswer: issue #12 units (heading introduces its block, list stays with its intro)', () => {
  const analyzer = getAnalyzer('auto');

  it('quotes the line under a heading, never the heading, and a list with the sentence introducing it', () => {
    const hits = [
      hit(1, '# RAG 발전과정\nKNN-LM(2019) → REALM(2020) → RAG(2020) 순서로 검색 기반 모델이 나왔다.\n\n```\nRAG 발전과정 코드\n```', 3),
      hit(2, 'The index stores three arrays:\n- offsets of each term\n- document ids\n- term frequencies', 2),
    ];
    const ko = extractiveAnswer('RAG 발전과정은?', hits, analyzer);
    expect(ko.citations[0].quote).toBe('KNN-LM(2019) → REALM(2020) → RAG(2020) 순서로 검색 기반 모델이 나왔다.');
    const en = extractiveAnswer('Which arrays does the index store?', hits, analyzer);
    expect(en.citations[0].quote).toBe('The index stores three arrays:\n- offsets of each term\n- document ids\n- term frequencies');
  });
});

describe('extractiveAnswer: a plain-text note\'s title line introduces the line under it (issue #12, seeds/001)', () => {
  const analyzer = getAnalyzer('auto');
  it('quotes "KNN-LM(2019) → REALM(2020) → RAG(2020)", not the title line "✔️ 발전과정"', () => {
    // As in ../shared/seeds/001: the line after the list of models is a long line of prose.
    const text = '✔️ 발전과정\nKNN-LM(2019) → REALM(2020) → RAG(2020)\n인풋에서 아웃풋이 나오는 과정에서 무슨 일이 일어나는지 정확하게 알 수 없다. 단지 언어모델의 어딘가에는 학습된 지식이 저장되어 있을 것이라고 추측할 뿐이다.';
    const a = extractiveAnswer('RAG 발전과정은?', [hit(1, text, 1)], analyzer);
    expect(a.citations[0].quote).toBe('KNN-LM(2019) → REALM(2020) → RAG(2020)');
  });
});
