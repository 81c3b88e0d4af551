/**
 * Benchmark fairness (#13 item 8): flexsearch is also measured with its English encoder (its
 * documented language pack), every system gets a full untimed pass before timing and its cold
 * first pass is reported beside the warm figure, and the paired randomization test is exact
 * where the sign flips can be enumerated.
 */
import { describe, expect, it } from 'vitest';
import type { ChildJob, ChildResult } from '../../bench/child.js';
import { pairedRandomizationP } from '../../bench/report.js';
import { runChild } from '../../bench/stats.js';
import { SYSTEM_NAMES, SYSTEMS } from '../../bench/systems.js';

describe('paired randomization test', () => {
  it('is exact for small samples: differences 1, 2, 3 → 2 of the 8 sign patterns reach |mean| 2 → p = 0.25', () => {
    expect(pairedRandomizationP([1, 2, 3], [0, 0, 0])).toBe(0.25);
    expect(pairedRandomizationP([1, 1], [0, 0])).toBe(0.5);
    // All differences zero: every pattern ties the observed 0.
    expect(pairedRandomizationP([0.5, 0.2], [0.5, 0.2])).toBe(1);
  });

  it('agrees with the exact value when sampling (n = 20 enumerated, the same data sampled with 20,000 trials)', () => {
    const a = Array.from({ length: 20 }, (_, i) => ((i * 7) % 11) / 10);
    const b = Array.from({ length: 20 }, (_, i) => ((i * 5) % 9) / 10);
    const exact = pairedRandomizationP(a, b);
    const sampled = pairedRandomizationP(a, b, 20_000, 3, { exactUpTo: 0 });
    expect(Math.abs(sampled - exact)).toBeLessThan(0.015);
  });
});

describe('flexsearch with its English encoder', () => {
  it('is a system of its own and stems: "run" finds "The runners were running"', async () => {
    expect(SYSTEM_NAMES).toContain('flexsearch-en');
    const docs = [
      { id: 'a', contents: 'The runners were running quickly' },
      { id: 'b', contents: 'Cats sleep all day' },
    ];
    const en = await SYSTEMS['flexsearch-en'].build(docs, '/nonexistent');
    expect(await en.search('run', 10)).toEqual(['a']);
    const plain = await SYSTEMS.flexsearch.build(docs, '/nonexistent');
    expect(await plain.search('run', 10)).toEqual([]);
  });
});

describe('bench/child.ts', () => {
  it('times the cold first pass on its own, then warm passes after it (synthetic 300 documents, 40 queries)', async () => {
    const job: ChildJob = { system: 'openbook', data: { kind: 'synthetic', numDocs: 300, numQueries: 40, seed: 7 }, topK: 10, minTimedMs: 0, maxPasses: 2 };
    const r = await runChild<ChildResult>(JSON.stringify(job));
    expect(r.coldLatenciesMs).toHaveLength(40);
    expect(r.passes).toBeGreaterThanOrEqual(1);
    expect(r.latenciesMs).toHaveLength(40 * r.passes);
    expect(Object.keys(r.run)).toHaveLength(40);
  }, 60_000);
});
