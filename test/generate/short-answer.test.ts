/**
 * Issue #12 item 3: the shortest span of the quoted unit that answers a what/which/where/who/
 * 무엇/누구/어디/어느 question (an entity, a name, a number, a date), and the reason clause for
 * why/왜. Each expected span is read off the quote by hand.
 */
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { answerTypeOf, extractiveAnswer, type TermStatistics } from '../../src/generate/extractive.js';

const analyzer = getAnalyzer('auto');
function hit(rank: number, text: string): Hit {
  return { rank, score: 1, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: '', text, startLine: 1, endLine: 1 };
}
function statsOf(texts: string[]): TermStatistics {
  const df = new Map<string, number>();
  for (const t of texts) for (const term of new Set(analyzer.analyze(t))) df.set(term, (df.get(term) ?? 0) + 1);
  return { numDocs: texts.length, docFreq: (t) => df.get(t) ?? 0 };
}
const FILLER = ['Unrelated notes about gardening and soil.', '정원 가꾸기와 흙에 관한 메모.'];
function ask(question: string, text: string) {
  const texts = [text, ...FILLER];
  const a = extractiveAnswer(question, texts.map((t, i) => hit(i + 1, t)), analyzer, statsOf(texts));
  const c = a.citations[0];
  return { a, quote: c?.quote, span: c?.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end) : undefined };
}

describe('short answers for what / which / where / 무엇 / 어디 / 어느 / 누구 questions', () => {
  it('English: the entity next to the question words', () => {
    expect(ask('What is Hamlet set in?', 'Hamlet is a tragedy set in Denmark.').span).toBe('Denmark');
    expect(ask('Which team won Super Bowl 50?', 'The Denver Broncos won Super Bowl 50 by defeating the Carolina Panthers.').span).toBe('Denver Broncos');
    expect(ask('Where is the default target of nightly-backup?', 'The default target of nightly-backup is /srv/backups.').span).toBe('/srv/backups');
  });

  it('Korean: the eojeols before the matched predicate, particle dropped', () => {
    expect(ask('알렉산더 헤이그는 어떤 직책을 맡았는가?', '알렉산더 헤이그는 레이건 정부 출범 당시 초대 국무장관직을 맡았다.').span).toBe('초대 국무장관직');
    expect(ask('알렉산더 헤이그가 나온 대학교는?', '헤이그는 노터데임 대학교를 나와 육군사관학교에 들어갔다.').span).toBe('노터데임 대학교');
    expect(ask('12월 장애 대응 당번은 누구인가요?', '12월 장애 대응 당번은 최민호가 맡는다.').span).toBe('최민호');
  });

  it('the answer leads with the span, and the span is inside the quote', () => {
    const r = ask('What is Hamlet set in?', 'Hamlet is a tragedy set in Denmark.');
    expect(r.a.answer).toBe('Denmark — Hamlet is a tragedy set in Denmark. [1]');
  });

  it('no span for a how question, or when every word of the quote is in the question', () => {
    expect(ask('How does BM25 normalise document length?', 'BM25 normalises document length with the parameter b.').span).toBeUndefined();
    expect(ask('Is Hamlet a tragedy set in Denmark?', 'Hamlet is a tragedy set in Denmark.').span).toBeUndefined();
  });
});

describe('why / 왜: the reason clause, and the sentence that gives the reason', () => {
  it('answerTypeOf reads why and 왜 as a reason', () => {
    expect(answerTypeOf('Why did the staging database run out of disk space?')).toBe('reason');
    expect(answerTypeOf('현재 분석기는 왜 재현율이 낮은가요?')).toBe('reason');
  });

  it('marks the clause after "because" / before "때문에"', () => {
    expect(ask('Why did the database run out of disk space?', 'The database ran out of disk space because the audit log table was never pruned.').span).toBe('the audit log table was never pruned');
    expect(ask('왜 검색 응답이 느려지나요?', '색인을 다시 만들기 때문에 검색 응답이 느려진다.').span).toBe('색인을 다시 만들기');
  });

  it('prefers the sentence holding the reason over the one restating the question', () => {
    const text = 'The login page is slow for users in Singapore. The page is slow because the font files are served from Frankfurt.';
    expect(ask('Why is the login page slow for users in Singapore?', text).quote).toBe('The page is slow because the font files are served from Frankfurt.');
  });
});

describe('a number span stops at a sentence end and before a separating comma', () => {
  it('"1973", not "1973. It" in a quote of two sentences', () => {
    const text = 'Telenet was incorporated in 1973. It was the first public data network in the country.';
    const a = extractiveAnswer('When was the first public data network incorporated?', [hit(1, text)], getAnalyzer('english'));
    const c = a.citations[0];
    expect(c.quote).toBe(text);
    expect(c.quote.slice(c.answerSpan!.start, c.answerSpan!.end)).toBe('1973');
  });
});
