import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { bootstrapMeanCi, formatP, formatWithCi, mean, pairedRandomizationTest, percentile } from '../../src/eval/stats.js';

describe('bootstrapMeanCi', () => {
  it('matches the closed form for a mean of 0/1 outcomes', () => {
    // 50 ones in 100: a resample's mean is Binomial(100, 0.5) / 100. Its 2.5 % quantile is 40
    // (P(X ≤ 39) = 0.0176 < 0.025 ≤ P(X ≤ 40) = 0.0284) and its 97.5 % quantile 60
    // (P(X ≤ 59) = 0.9716 < 0.975 ≤ P(X ≤ 60) = 0.9824) → [0.40, 0.60].
    const v = Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : 0));
    const ci = bootstrapMeanCi(v, { resamples: 20_000, seed: 3 })!;
    expect(ci.low).toBeCloseTo(0.4, 2);
    expect(ci.high).toBeCloseTo(0.6, 2);
    // the normal approximation agrees: 0.5 ± 1.96 · √(0.25 / 100) = [0.402, 0.598]
    expect(Math.abs(ci.low - (0.5 - 1.96 * 0.05))).toBeLessThan(0.012);
  });

  it('is reproducible under a seed and degenerate for a constant sample', () => {
    const v = [0.2, 0.9, 0.4, 0.4, 1, 0];
    expect(bootstrapMeanCi(v, { seed: 11 })).toEqual(bootstrapMeanCi(v, { seed: 11 }));
    expect(bootstrapMeanCi([1, 1, 1])).toEqual({ low: 1, high: 1 });
    // two values 0.5 and 1: resample means 0.5 (p 1/4), 0.75 (1/2), 1 (1/4) → [0.5, 1]
    expect(bootstrapMeanCi([0.5, 1])).toEqual({ low: 0.5, high: 1 });
    expect(bootstrapMeanCi([])).toBeUndefined();
    expect(() => bootstrapMeanCi([NaN])).toThrow(InvalidParameterError);
    expect(() => bootstrapMeanCi([1], { resamples: 0 })).toThrow(InvalidParameterError);
  });
});

describe('pairedRandomizationTest', () => {
  it('enumerates all 2ⁿ sign flips for small n', () => {
    // d = 1,1,1,1,1: only the all-plus and all-minus assignments reach |Σ| = 5 → 2 / 32
    expect(pairedRandomizationTest([1, 1, 1, 1, 1], [0, 0, 0, 0, 0])).toEqual({ p: 0.0625, exact: true, meanDifference: 1 });
    // d = 1, 0, 1: Σ ∈ {2, 0, 0, −2} over the signs of d1, d3 (d2 = 0 doubles every case) → 4 / 8
    expect(pairedRandomizationTest([1, 0, 1], [0, 0, 0])!.p).toBe(0.5);
    // equal methods: every assignment ties → p = 1
    expect(pairedRandomizationTest([0.3, 0.7], [0.3, 0.7])!.p).toBe(1);
  });

  it('uses (1 + #) / (R + 1) with R random flips for n > 16', () => {
    // d = 1 twenty times: exact p = 2 / 2²⁰ ≈ 1.9e-6, so no random assignment of 1,000 reaches |Σ| = 20
    const r = pairedRandomizationTest(new Array(20).fill(1), new Array(20).fill(0), { permutations: 1000, seed: 5 })!;
    expect(r).toEqual({ p: 1 / 1001, exact: false, meanDifference: 1 });
    expect(() => pairedRandomizationTest([1], [1, 2])).toThrow(/same items/);
    expect(pairedRandomizationTest([], [])).toBeUndefined();
  });
});

describe('helpers', () => {
  it('percentile, mean and the table formats', () => {
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5], 0.025)).toBe(1);
    expect(mean([])).toBeUndefined();
    expect(mean([1, 2])).toBe(1.5);
    expect(formatWithCi(0.5, { low: 0.25, high: 0.75 })).toBe('0.5000 [0.2500, 0.7500]');
    expect(formatP(0.00001)).toBe('<0.0001');
    expect(formatP(undefined)).toBe('—');
  });
});
