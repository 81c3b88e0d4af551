import { describe, expect, it } from 'vitest';
import { answerF1, exactMatch, normalizeKorquadAnswer, normalizeSquadAnswer, scoreAnswer } from '../../src/eval/qa-metrics.js';

describe('SQuAD v1.1 answer metrics', () => {
  it('normalises: lower-case, drop punctuation, drop a/an/the, collapse spaces', () => {
    expect(normalizeSquadAnswer('  The  Denver Broncos!  ')).toBe('denver broncos');
    expect(normalizeSquadAnswer('an apple, a day')).toBe('apple day');
    // "theatre" keeps its "the": articles go only as whole words
    expect(normalizeSquadAnswer('Theatre')).toBe('theatre');
    // Python's \b is Unicode-aware: "éthe" is one word, nothing removed
    expect(normalizeSquadAnswer('éthe')).toBe('éthe');
  });
  it('EM and token F1 with multiset overlap, max over gold answers', () => {
    expect(exactMatch('the Broncos', 'Broncos.', 'squad')).toBe(1);
    // pred "denver broncos team" vs gold "broncos": same 1, P 1/3, R 1 → F1 = 2·(1/3)/(4/3) = 0.5
    expect(answerF1('Denver Broncos team', 'Broncos', 'squad')).toBeCloseTo(0.5, 12);
    // repeated tokens count once each: pred "a b b" → "b b"; gold "b c": same 1, P 1/2, R 1/2 → 0.5
    expect(answerF1('a b b', 'b c', 'squad')).toBeCloseTo(0.5, 12);
    expect(scoreAnswer('Broncos team', ['Carolina', 'Denver Broncos', 'Broncos'], 'squad')).toEqual({ em: 0, f1: expect.closeTo(2 / 3, 12) });
    // best gold "Broncos": P 1/2, R 1 → 2/3; "Denver Broncos": P 1/2, R 1/2 → 1/2
    expect(answerF1('', 'x', 'squad')).toBe(0);
  });
});

describe('KorQuAD 1.0 answer metrics', () => {
  it('replaces quotes/brackets with spaces and keeps English articles', () => {
    expect(normalizeKorquadAnswer('《임꺽정》(소설)')).toBe('임꺽정 소설');
    expect(normalizeKorquadAnswer('The Beatles')).toBe('the beatles');
  });
  it('F1 is over characters', () => {
    // pred "임수경이" (4 chars) vs gold "임수경" (3): same 3, P 3/4, R 1 → F1 = 2·0.75/1.75 = 0.857142857
    expect(answerF1('임수경이', '임수경', 'korquad')).toBeCloseTo(0.857142857, 8);
    // SQuAD token F1 would give 0 for the same pair
    expect(answerF1('임수경이', '임수경', 'squad')).toBe(0);
    // spaces do not count: "1989년 2월" → chars 1,9,8,9,년,2,월 (7); gold "1989년" (5): same 5, P 5/7, R 1 → 10/12
    expect(answerF1('1989년 2월', '1989년', 'korquad')).toBeCloseTo(10 / 12, 12);
    expect(exactMatch('"임수경"', '임수경', 'korquad')).toBe(1);
  });
});
