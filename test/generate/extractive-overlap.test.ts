/**
 * A quote is never repeated inside the answer: a unit overlapping one already quoted from the same
 * passage (a sentence ending in ":" and the same sentence with the formula it introduces) is skipped.
 */
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer } from '../../src/generate/extractive.js';

const analyzer = getAnalyzer('auto');
const hit = (text: string): Hit => ({ rank: 1, score: 1, docId: 'd', chunkId: 'd#0', source: 'methods.ko.md', title: '', text, startLine: 1, endLine: 3 });

describe('extractive answer: no overlapping quotes from one passage', () => {
  it('quotes "…주변화됩니다:" with its formula once, not also alone', () => {
    const text = 'REALM은 검색기와 리더를 함께 사전 학습합니다. 답의 확률은 검색된 문서에 대해 주변화됩니다:\np(y | x) = Σ_z p(y | z, x) · p(z | x).';
    const a = extractiveAnswer('REALM에서 답의 확률은 어떻게 주변화되나요?', [hit(text)], analyzer);
    const spans = a.citations.map((c) => [c.quoteStart, c.quoteStart + c.quote.length]);
    for (let i = 0; i < spans.length; i++) for (let j = i + 1; j < spans.length; j++) expect(spans[i][0] >= spans[j][1] || spans[j][0] >= spans[i][1], `${a.citations[i].quote} / ${a.citations[j].quote}`).toBe(true);
    expect(a.citations.some((c) => c.quote.includes('p(y | x) = Σ_z'))).toBe(true);
  });
});
