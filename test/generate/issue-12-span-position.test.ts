/**
 * Issue #12 item 3, short answers: where the answer sits relative to the question's words, and
 * the kinds of number and date a reader expects marked. Each passage is made up for the test and
 * each expected span is read off it by hand.
 */
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer, type TermStatistics } from '../../src/generate/extractive.js';

const analyzer = getAnalyzer('auto');
const FILLER = ['Unrelated notes about gardening and soil.', '정원 가꾸기와 흙에 관한 메모.'];
function hit(rank: number, text: string): Hit {
  return { rank, score: 1, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: '', text, startLine: 1, endLine: 1 };
}
function statsOf(texts: string[]): TermStatistics {
  const df = new Map<string, number>();
  for (const t of texts) for (const term of new Set(analyzer.analyze(t))) df.set(term, (df.get(term) ?? 0) + 1);
  return { numDocs: texts.length, docFreq: (t) => df.get(t) ?? 0 };
}
/** The marked span of the first citation, or undefined. */
function span(question: string, text: string): string | undefined {
  const texts = [text, ...FILLER];
  const c = extractiveAnswer(question, texts.map((t, i) => hit(i + 1, t)), analyzer, statsOf(texts)).citations[0];
  return c?.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end) : undefined;
}

describe('the answer stands where the wh-word stands', () => {
  it('a wh-word before an auxiliary leaves its gap at the end: the words after the matched verb', () => {
    // Runs: "Despite the protests" (before every matched word), "a new tram line to the airport" (after
    // "approved"; the indefinite article opening the noun phrase stays with it since the HyDE showcase of #12).
    expect(span('What did the city council approve in March?', 'Despite the protests, in March the city council approved a new tram line to the airport.')).toBe('a new tram line to the airport');
  });

  it('a wh-word inside the question: the run after the words before it', () => {
    expect(span('The festival moved to what town after the flood?', 'Founded in Leeds, the festival moved after the flood to the town of Otley, where it still runs.')).toBe('Otley');
  });

  it('Korean keeps the order: the argument after the words the question puts before 무엇', () => {
    // "예산 삭감을" has no matched word before it; "신규 채용을" follows "회의에서".
    expect(span('회의에서 김 팀장이 제안한 것은 무엇인가?', '이 대리는 예산 삭감을, 김 팀장은 회의에서 신규 채용을 제안했다.')).toBe('신규 채용');
  });

  it('Korean: the topic noun before 무엇 is the head the span keeps; -이라고 is not part of the name', () => {
    expect(span('신입 사원이 첫 주에 받는 교육은 무엇인가?', '신입 사원은 첫 주에 보안 교육을 받고, 둘째 주부터 현업에 배치된다.')).toBe('보안 교육');
    expect(span('도서관 2층의 열람실은 무엇이라고 부르는가?', '도서관 2층의 열람실은 햇살방이라고 부르며, 1층 로비는 만남터라고 부른다.')).toBe('햇살방');
  });

  it('who with no name the question lacks: the entity run, not a modal verb', () => {
    expect(span('Who can enforce the regulation?', 'Where member states provide lesser rights, the regulation can be enforced by the courts of member states.')).toBe('courts of member states');
  });
});

describe('numbers and dates a reader expects marked', () => {
  it('numbers in words, with their unit for how long', () => {
    expect(span('How many turnovers did the quarterback commit?', 'The defense sacked him seven times and forced him into three turnovers.')).toBe('three');
    expect(span('How long was the ship in dry dock?', 'The ship spent nine months in dry dock before its return to service.')).toBe('nine months');
  });

  it('a weekday, and a date whose year the question already names', () => {
    expect(span('On what day of the week is the farmers market held?', 'The farmers market is usually held on Tuesday mornings in the square.')).toBe('Tuesday');
    expect(span('When did the 1973 dock strike begin?', 'The 1973 dock strike began in October 1973 at the eastern harbour.')).toBe('October 1973');
  });

  it('몇 개의 X: a number without the counter 개 is still the answer', () => {
    expect(span('매리너 호의 통신 회선은 몇 개의 채널로 구성되었나?', '통신 회선은 3채널로 구성되어 있고, 채널마다 전송 속도가 다르다.')).toBe('3채널');
  });
});

describe('a bracketed title is one answer', () => {
  it('Korean title brackets: the whole title, without its brackets or the particle after them', () => {
    expect(span('한빛 출판사가 2019년에 펴낸 소설의 제목은?', '한빛 출판사는 2019년에 《겨울 바다의 시간》이라는 소설을 펴내 큰 인기를 얻었다.')).toBe('겨울 바다의 시간');
    expect(span('그 가수가 데뷔 앨범의 타이틀 곡으로 부른 노래는 무엇인가?', '그 가수는 데뷔 앨범의 타이틀 곡인 〈푸른 새벽〉을 불러 이름을 알렸다.')).toBe('푸른 새벽');
  });

  it('English quotes: the quoted title', () => {
    expect(span('What song did the band open the concert with?', 'The band opened the concert with “Northern Lights Tonight”, a song from their first album.')).toBe('Northern Lights Tonight');
  });

  it('a title the question names is not the answer', () => {
    expect(span('《겨울 바다의 시간》을 펴낸 출판사는?', '《겨울 바다의 시간》은 한빛 출판사가 2019년에 펴냈다.')).toBe('한빛 출판사');
  });
});
