import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer, type TermStatistics } from '../../src/generate/extractive.js';

function hit(rank: number, text: string, score: number): Hit {
  return { rank, score, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: '', text, startLine: 1, endLine: 1 };
}

/** Index statistics of a 1,000-document index where the named terms are rare and every other term common. */
function stats(rare: Record<string, number>): TermStatistics {
  return { numDocs: 1000, docFreq: (t) => rare[t] ?? 200 };
}

const analyzer = getAnalyzer('english');

describe('extractiveAnswer: one rare question term is enough when it carries most of the question', () => {
  it('quotes the only sentence naming FOTA for "What does FOTA stand for?"', () => {
    const hits = [
      hit(1, 'Since 1963, the Festival of the Arts (FOTA) takes over the campus for ten days of exhibitions.', 5),
      hit(2, 'The campus stands beside the river, and its library opens at eight.', 4),
    ];
    const a = extractiveAnswer('What does FOTA stand for?', hits, analyzer, stats({ fota: 1 }));
    expect(a.found).toBe(true);
    expect(a.citations[0].chunkId).toBe('d1#0');
  });

  it('still refuses a sentence sharing one common word with the question', () => {
    const hits = [hit(1, 'The campus stands beside the river, and its library opens at eight.', 4)];
    const a = extractiveAnswer('What does FOTA stand for?', hits, analyzer, stats({ fota: 1 }));
    expect(a.found).toBe(false);
  });
});

describe('extractiveAnswer: the best units are re-scored by whether they hold the kind of answer asked for', () => {
  it('"What was X?" prefers the unit defining X ("X was the …")', () => {
    const hits = [hit(1, 'Telenet was incorporated in 1973 and started operations in 1975. Telenet was the first public data network licensed by the regulator in the United States.', 5)];
    const a = extractiveAnswer('What was Telenet?', hits, analyzer, stats({ telenet: 2 }));
    expect(a.citations[0].quote).toBe('Telenet was the first public data network licensed by the regulator in the United States.');
  });

  it('"How many X …?" prefers a number standing right before X', () => {
    const hits = [
      hit(1, 'In 2009 the university made its vice president the new president. Beneath the president of the university are the provost and fourteen vice presidents.', 5),
    ];
    const a = extractiveAnswer('How many vice presidents does the university have?', hits, analyzer, stats({ vice: 20 }));
    expect(a.citations[0].quote).toBe('Beneath the president of the university are the provost and fourteen vice presidents.');
  });

  it('"Where …?" prefers a place: a preposition before a name the question does not hold', () => {
    const hits = [hit(1, 'The treaty was signed after long talks. The treaty was signed in Lisbon by both of the kings.', 5)];
    const a = extractiveAnswer('Where was the treaty signed?', hits, analyzer, stats({ treaty: 10 }));
    expect(a.citations[0].quote).toBe('The treaty was signed in Lisbon by both of the kings.');
  });
});

describe('extractiveAnswer: a word of the question matches its derivations by their first four letters', () => {
  it('"Who edited …?" quotes the sentence naming the editor (Porter keeps "edit" and "editor" apart)', () => {
    const hits = [
      hit(1, 'In 1917 the Electrical Review printed an article by Tesla. In 1888 the editor of the Electrical Review, Thomas Martin, arranged a demonstration.', 5),
    ];
    const a = extractiveAnswer('Who edited the Electrical Review?', hits, analyzer, stats({ review: 10, edit: 20, editor: 20 }));
    expect(a.citations[0].quote).toBe('In 1888 the editor of the Electrical Review, Thomas Martin, arranged a demonstration.');
  });

  it('a variant counts for the coverage rule: one rare variant can carry a unit ("Kenyan" for "Kenya")', () => {
    const hits = [hit(1, 'The Kenyan government unveiled Vision 2030 in 2007.', 5)];
    const a = extractiveAnswer('What did Kenya unveil?', hits, analyzer, stats({ kenya: 3, kenyan: 3, unveil: 30 }));
    expect(a.citations[0]?.quote).toBe('The Kenyan government unveiled Vision 2030 in 2007.');
  });
});

describe('extractiveAnswer: a Korean word\'s bigram terms share its weight', () => {
  it('a long compound the question repeats does not outweigh the sentence holding its other words', () => {
    const ko = getAnalyzer('auto');
    const hits = [hit(1, '대한민국역사박물관 관장은 어제 기자회견을 열었다. 관장이 발표한 전시 주제는 근대 도시의 생활이다.', 5)];
    const a = extractiveAnswer('대한민국역사박물관 관장이 발표한 전시 주제는?', hits, ko, { numDocs: 1000, docFreq: () => 30 });
    expect(a.citations[0].quote).toBe('관장이 발표한 전시 주제는 근대 도시의 생활이다.');
  });
});

describe('extractiveAnswer: the terms of a multi-word name in an English question share its weight', () => {
  it('the sentence repeating "the Royal Geographical Society of London" does not outweigh the one answering', () => {
    const hits = [hit(1, 'The Royal Geographical Society was founded in London in 1830. The coastal survey appeared in 1855, printed by the society.', 5)];
    const a = extractiveAnswer('When did the Royal Geographical Society of London publish its coastal survey?', hits, analyzer, { numDocs: 1000, docFreq: () => 30 });
    expect(a.citations[0].quote).toBe('The coastal survey appeared in 1855, printed by the society.');
  });
});

describe('extractiveAnswer: the question terms of a unit\'s context count for choosing it', () => {
  it('quotes the sentence under the title that names the director, not the one repeating the title', () => {
    const ko = getAnalyzer('auto');
    const hits = [{ ...hit(1, '《라라랜드》는 2016년 공개된 미국의 뮤지컬 영화이다. 데이미언 셔젤이 감독과 각본을 맡았다.', 5), title: '라라랜드' }];
    const a = extractiveAnswer('라라랜드의 감독의 이름은?', hits, ko, { numDocs: 1000, docFreq: () => 30 });
    expect(a.citations[0].quote).toBe('데이미언 셔젤이 감독과 각본을 맡았다.');
  });

  it('still refuses when no unit covers the question by its own words', () => {
    const ko = getAnalyzer('auto');
    const hits = [{ ...hit(1, '데이미언 셔젤이 감독과 각본을 맡았다.', 5), title: '라라랜드' }];
    const a = extractiveAnswer('라라랜드의 촬영 감독과 음악 감독의 이름은?', hits, ko, { numDocs: 1000, docFreq: () => 30 });
    expect(a.found).toBe(false);
  });
});

describe('extractiveAnswer: a Korean question asking for a name or a meaning prefers the unit that gives one', () => {
  const ko = getAnalyzer('auto');
  it('"…뭐라고 불렀는가?" quotes the sentence "…라고 불렀다", not the one repeating the question\'s words', () => {
    const hits = [hit(1, '마을 사람들은 힘이 센 임세영을 두려워했다. 그래서 사람들은 그를 돼지장수 임군이라고 불렀다.', 5)];
    const a = extractiveAnswer('마을 사람들은 임세영을 뭐라고 불렀는가?', hits, ko, { numDocs: 1000, docFreq: () => 30 });
    expect(a.citations[0].quote).toBe('그래서 사람들은 그를 돼지장수 임군이라고 불렀다.');
  });

  it('"…은 무엇을 뜻하나?" quotes the sentence "…을 뜻한다"', () => {
    const hits = [hit(1, '블루스의 탄생 배경에서 흑인 노예는 중요한 개념이다. 흑인 노예란 피압박 인종을 뜻한다.', 5)];
    const a = extractiveAnswer('블루스에서 흑인 노예는 무엇을 뜻하나?', hits, ko, { numDocs: 1000, docFreq: () => 30 });
    expect(a.citations[0].quote).toBe('흑인 노예란 피압박 인종을 뜻한다.');
  });
});

describe('extractiveAnswer: a count the question gives is not its answer', () => {
  it('"Despite being described as eight counties, how many counties …?" fits "10 counties", not "eight counties"', () => {
    const fit = (q: string, text: string) => extractiveAnswer(q, [hit(1, text, 5)], analyzer, stats({ counti: 20, eight: 30 }), { explain: true }).candidates[0].parts!.fit;
    const q = 'Despite being traditionally described as "eight counties", how many counties does this region actually have?';
    expect(fit(q, 'The region is traditionally described as "eight counties", based on economic ties.')).toBe(0);
    expect(fit(q, 'The region generally comprises the southernmost 10 counties of the state.')).toBeGreaterThan(0);
    expect(fit('How many counties does this region have?', 'The region is traditionally described as "eight counties", based on economic ties.')).toBeGreaterThan(0);
  });
});
