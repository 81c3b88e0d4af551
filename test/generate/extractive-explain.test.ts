/** `explain`: each candidate's score is the product its `ScoreParts` say, and the answer does not change. */
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer } from '../../src/generate/extractive.js';

const analyzer = getAnalyzer('english');
const hit = (rank: number, score: number, text: string): Hit => ({ rank, score, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `d${rank}.md`, title: 'Fresno', text, startLine: 1, endLine: 1 });

describe('extractiveAnswer with explain', () => {
  it('score = (match + pairs + context + variant + neighbour) × prior × type × (1 + fit)', () => {
    const hits = [
      hit(1, 8, 'How many households were there? There were 158,349 households in the city. The average household size was 3.07.'),
      hit(2, 6, 'The city was founded in 1872 as a railway station.'),
    ];
    const q = 'How many households were there in Fresno?';
    const plain = extractiveAnswer(q, hits, analyzer);
    const explained = extractiveAnswer(q, hits, analyzer, undefined, { explain: true });
    expect(explained.answer).toBe(plain.answer);
    expect(plain.candidates.every((c) => c.parts === undefined)).toBe(true);
    for (const c of explained.candidates) {
      const p = c.parts!;
      expect(c.score).toBeCloseTo((p.match + p.pairs + p.context + p.variant + p.neighbour) * p.prior * p.type * (1 + p.fit), 9);
      expect(p.prior).toBe(0.5 + 0.5 * (hits[c.hitIndex].score / 8));
    }
    // "How many households": the unit with a number before "households" has the count fit.
    expect(explained.candidates.find((c) => c.text.startsWith('There were 158,349'))!.parts!.fit).toBeGreaterThan(0);
  });
});
