import { describe, expect, it } from 'vitest';
import { ABBREVIATIONS, segmentText, splitSentences } from '../../src/analysis/sentences.js';

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

describe('segmentText: issue #12 (sentences and blocks as a reader sees them)', () => {
  it('joins a hard-wrapped Korean paragraph into whole sentences', () => {
    // README's example used to be cut at "… 긴"; every line but the last fills the wrap width.
    const t = 'BM25는 문서 길이를 평균 길이와 비교해 정규화하며, 이 길이 보정 덕분에 긴\n문서가 단어를 많이 담고 있다는 이유만으로 높은 점수를 받지 않습니다. 다음\n문장입니다.';
    expect(texts(t)).toEqual([
      'BM25는 문서 길이를 평균 길이와 비교해 정규화하며, 이 길이 보정 덕분에 긴\n문서가 단어를 많이 담고 있다는 이유만으로 높은 점수를 받지 않습니다.',
      '다음\n문장입니다.',
    ]);
  });

  it('does not end a sentence after i.e., e.g., etc., vs., Fig. or No.', () => {
    const t = 'Use a small k1, i.e. 0.9, vs. the default. See Fig. 2 and No. 5 for details. Done.';
    expect(texts(t)).toEqual(['Use a small k1, i.e. 0.9, vs. the default.', 'See Fig. 2 and No. 5 for details.', 'Done.']);
  });

  it('ends a Korean sentence at a terminal ending, with or without a space', () => {
    expect(texts('검색을 먼저 했다.그리고 답을 썼습니다')).toEqual(['검색을 먼저 했다.', '그리고 답을 썼습니다']);
    expect(texts('짧은 제목 줄\n본문 첫 문장은 여기서 끝납니다\n둘째 줄')).toEqual(['짧은 제목 줄', '본문 첫 문장은 여기서 끝납니다', '둘째 줄']);
  });

  it('types headings, list items, code blocks and table rows', () => {
    const t = '# 발전과정\nKNN-LM(2019) → REALM(2020) → RAG(2020)\n\nThe steps are:\n- index the folder,\n  then search\n- ask\n\n```sh\nopenbook ask "x"\n```\n| a | b |\n|---|---|';
    expect(segmentText(t).map((s) => [s.kind, t.slice(s.start, s.end)])).toEqual([
      ['heading', '# 발전과정'],
      ['sentence', 'KNN-LM(2019) → REALM(2020) → RAG(2020)'],
      ['sentence', 'The steps are:'],
      ['item', '- index the folder,\n  then search'],
      ['item', '- ask'],
      ['code', '```sh\nopenbook ask "x"\n```'],
      ['table', '| a | b |'],
      ['table', '|---|---|'],
    ]);
  });

  it('the chunker and the splitter share one abbreviation list', () => {
    expect(ABBREVIATIONS.has('i.e')).toBe(true);
    expect(ABBREVIATIONS.has('fig')).toBe(true);
  });
});

describe('segmentText: a short unpunctuated first line of a plain-text paragraph is a title (issue #12)', () => {
  it('types "✔️ 발전과정" as a heading and keeps a long first line as prose', () => {
    // As in ../shared/seeds/001: the line after the list of models is a long line of prose.
    const text = '✔️ 발전과정\nKNN-LM(2019) → REALM(2020) → RAG(2020)\n인풋에서 아웃풋이 나오는 과정에서 무슨 일이 일어나는지 정확하게 알 수 없다. 단지 언어모델의 어딘가에는 학습된 지식이 저장되어 있을 것이라고 추측할 뿐이다.';
    expect(segmentText(text).map((s) => [s.kind, text.slice(s.start, s.end)])).toEqual([
      ['heading', '✔️ 발전과정'],
      ['sentence', 'KNN-LM(2019) → REALM(2020) → RAG(2020)'],
      ['sentence', '인풋에서 아웃풋이 나오는 과정에서 무슨 일이 일어나는지 정확하게 알 수 없다.'],
      ['sentence', '단지 언어모델의 어딘가에는 학습된 지식이 저장되어 있을 것이라고 추측할 뿐이다.'],
    ]);
    // A one-line paragraph is never a title; a short line ending a sentence is not one either.
    expect(segmentText('Short note').map((s) => s.kind)).toEqual(['sentence']);
    expect(segmentText('It works.\nThe second line is a full sentence too.').map((s) => s.kind)).toEqual(['sentence', 'sentence']);
  });
});

describe('segmentText: a line ending in an operator or separator is wrapped (issue #12, docs/regressions.md)', () => {
  it('joins "… KorQuAD 0.7600 / EM 0.0000 /" with the next line', () => {
    // The first line is short against the second (no 70% fill), so only its final "/" says it continues.
    const text = 'KorQuAD 0.7600 / EM 0.0000 /\nF1 0.1307 / refusal 0.0149 / refusal|gold@1 0.0100; SQuAD 0.6777 / 0.0020 / 0.1654.';
    expect(texts(text)).toEqual([text]);
  });
});

describe('segmentText: a period followed by a lower-case word does not end a sentence (UAX #29 rule SB8)', () => {
  it('keeps "11:40 a.m. and 12 p.m. where …" and "Kenya ... reached" whole', () => {
    const t = 'A "General Question Time" takes place on a Thursday between 11:40 a.m. and 12 p.m. where members ask questions. Next one.';
    expect(texts(t)).toEqual(['A "General Question Time" takes place on a Thursday between 11:40 a.m. and 12 p.m. where members ask questions.', 'Next one.']);
    const e = 'Chinese investment in Kenya ... reached $474 million in 2013. It grew.';
    expect(texts(e)).toEqual(['Chinese investment in Kenya ... reached $474 million in 2013.', 'It grew.']);
  });

  it('keeps a dotted initialism before a number ("[O.S. 28 June]"), and still ends a sentence before a capital ("… the E.U. The …") or a number after a word', () => {
    const t = 'Tesla was born on 10 July [O.S. 28 June] 1856 into a Serb family. His father was a priest.';
    expect(texts(t)).toEqual(['Tesla was born on 10 July [O.S. 28 June] 1856 into a Serb family.', 'His father was a priest.']);
    expect(texts('The vote was held in the E.U. The result came a day later.')).toEqual(['The vote was held in the E.U.', 'The result came a day later.']);
    expect(texts('The index was rebuilt in 2019. 25 shards were added.')).toEqual(['The index was rebuilt in 2019.', '25 shards were added.']);
  });
});

describe('segmentText: SB8 stops at a Korean ending and at a line ending in a period', () => {
  it('ends "…구축한다." before a line opening with a lower-case Latin word, and "… done." before a wrapped line', () => {
    const ko = '임베딩을 가지고 key-value 데이터 스토어를 구축한다.\nkNN-LM에서는 모든 토큰에 대해 이 과정을 거친다.';
    expect(texts(ko)).toEqual(['임베딩을 가지고 key-value 데이터 스토어를 구축한다.', 'kNN-LM에서는 모든 토큰에 대해 이 과정을 거친다.']);
    const en = 'The nightly backup finished and the operator marked the ticket as done.\nnpm run regress checked the figures again after that.';
    expect(texts(en)).toEqual(['The nightly backup finished and the operator marked the ticket as done.', 'npm run regress checked the figures again after that.']);
  });
});

describe('segmentText: SB8 only after an initialism or an ellipsis', () => {
  it('still ends a sentence after a plain word before a lower-case start ("Run it. npm test …", "cat [1]. dog")', () => {
    expect(texts('Run the suite first. npm test prints one line per file.')).toEqual(['Run the suite first.', 'npm test prints one line per file.']);
    expect(texts('cat dog [1][2]. cat [1, 3].')).toEqual(['cat dog [1][2].', 'cat [1, 3].']);
  });
});
