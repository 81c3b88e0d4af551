/**
 * The extractive answerer's per-commit cache of passage units (#13 item 5): a server answers
 * the same passages again and again, so the sentences of a passage and their analysed terms are
 * computed once per text. The answer must be identical with and without the cache, and a second
 * answer over the same passages must not analyse them again.
 */
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../src/analysis/analyzer.js';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer, PassageUnitCache } from '../../src/generate/extractive.js';

function hit(rank: number, text: string, score: number): Hit {
  return { rank, score, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: `Doc ${rank}`, text, startLine: 1, endLine: text.split('\n').length };
}

/** The english analyzer, counting calls of analyze() and tokens(). */
function counting(): { analyzer: Analyzer; calls: () => number } {
  const inner = getAnalyzer('english');
  let n = 0;
  return {
    analyzer: { name: inner.name, analyze: (t) => (n++, inner.analyze(t)), tokens: (t) => (n++, inner.tokens(t)) },
    calls: () => n,
  };
}

const hits = [
  hit(1, '# Length\n\nBM25 normalises document length with the parameter b. A longer document gets a lower score for the same term frequency. This keeps long documents from winning by size alone.', 9),
  hit(2, 'The saturation parameter k1 limits how much repeated terms add. Lucene sets k1 to 1.2 by default.\n\n- b = 0.75\n- k1 = 1.2', 6),
  hit(3, 'Dense retrieval encodes queries and passages as vectors. Their dot product ranks the passages.', 2),
];
const question = 'Which parameter normalises document length in BM25?';

describe('PassageUnitCache', () => {
  it('gives the same answer as no cache, and a repeated answer analyses no passage again', () => {
    const plain = counting();
    const expected = extractiveAnswer(question, hits, plain.analyzer);
    expect(expected.found).toBe(true);
    const sentences = 8; // 3 + 2 + 2 list items + 2 in the three passages (the heading is analysed too)
    expect(plain.calls()).toBeGreaterThanOrEqual(sentences);

    const cached = counting();
    const cache = new PassageUnitCache();
    const first = extractiveAnswer(question, hits, cached.analyzer, undefined, { unitCache: cache });
    const afterFirst = cached.calls();
    const second = extractiveAnswer(question, hits, cached.analyzer, undefined, { unitCache: cache });
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    // The second answer analyses the question (its content words, at most twice) and, for its short
    // answer, each quote once (a which question: issue #12's entity span) — no passage.
    expect(cached.calls() - afterFirst).toBeLessThanOrEqual(2 + second.citations.length);
  });

  it('a passage with the same chunk id but another text (a context window) is not served from the cache', () => {
    const { analyzer } = counting();
    const cache = new PassageUnitCache();
    extractiveAnswer(question, hits, analyzer, undefined, { unitCache: cache });
    const widened = [{ ...hits[0], text: 'Before this. ' + hits[0].text }, ...hits.slice(1)];
    const got = extractiveAnswer(question, widened, analyzer, undefined, { unitCache: cache });
    expect(got).toEqual(extractiveAnswer(question, widened, getAnalyzer('english')));
  });

  it('holds at most maxEntries passages', () => {
    const cache = new PassageUnitCache(2);
    extractiveAnswer(question, hits, getAnalyzer('english'), undefined, { unitCache: cache });
    expect(cache.size).toBe(2);
  });
});
