/**
 * Issue #12 item 2, choosing the unit: with the same question words matched, the sentence that
 * keeps two of them next to each other and in the question's order is quoted first. Passages made
 * up for the test; in each pair the other sentence is shorter and comes first, so it wins ties.
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
function firstQuote(question: string, text: string): string | undefined {
  const texts = [text, ...FILLER];
  return extractiveAnswer(question, texts.map((t, i) => hit(i + 1, t)), analyzer, statsOf(texts)).citations[0]?.quote;
}

describe('the unit that keeps the question words together and in order', () => {
  it('English: "northern railway" as a phrase beats "railway … northern"', () => {
    // Both match railway, northern, financed; the first is shorter (7 terms against 8).
    const text = 'The railway reached the northern towns, financed by local banks. Building the northern railway was financed by a large royal crown loan.';
    expect(firstQuote('How was the northern railway financed?', text)).toBe('Building the northern railway was financed by a large royal crown loan.');
  });

  it('Korean: "북부 철도의 건설 자금" in order beats "철도가 북부 … 건설 자금"', () => {
    // Both match 북부, 철도, 건설, 자금, 마련; the first is shorter.
    const text = '철도가 북부 지역까지 닿자 건설 자금은 지방 은행이 마련했다. 북부 철도의 건설 자금은 왕실이 오랜 협상 끝에 대출로 마련했다.';
    expect(firstQuote('북부 철도의 건설 자금은 어떻게 마련했나?', text)).toBe('북부 철도의 건설 자금은 왕실이 오랜 협상 끝에 대출로 마련했다.');
  });
});
