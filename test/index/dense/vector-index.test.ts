import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../src/core/errors.js';
import { mulberry32 } from '../../../src/core/random.js';
import { ExactIndex } from '../../../src/index/dense/exact.js';
import { createVectorIndex, resolveVectorIndexKind } from '../../../src/index/dense/factory.js';
import { HnswIndex } from '../../../src/index/dense/hnsw.js';
import { encodeInt8, fromFloat16Bits, toFloat16Bits } from '../../../src/index/dense/quantize.js';
import { vectorIndexContract } from './vector-index-contract.js';

vectorIndexContract('ExactIndex', (o) => new ExactIndex(o));
vectorIndexContract('HnswIndex', (o) => new HnswIndex({ ...o, connectivity: 16, expansionSearch: 64 }));

/** Standard normal via Box–Muller. */
function gaussianMatrix(rng: () => number, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

describe('HnswIndex against exact search (oracle)', () => {
  it('recall@10 ≥ 0.95 on 5 000 random 32-d vectors, 100 queries (seeded)', () => {
    const n = 5000;
    const dim = 32;
    const rng = mulberry32(42);
    const data = gaussianMatrix(rng, n, dim);
    const ids = Array.from({ length: n }, (_, i) => i);
    const exact = new ExactIndex({ dimension: dim, metric: 'cosine' });
    const hnsw = new HnswIndex({ dimension: dim, metric: 'cosine', connectivity: 16, expansionAdd: 128, expansionSearch: 128, addThreads: 1 });
    exact.add(ids, data);
    hnsw.add(ids, data);
    const queries = gaussianMatrix(rng, 100, dim);
    let found = 0;
    for (let q = 0; q < 100; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const truth = new Set(exact.search(query, 10).map((h) => h.id));
      for (const h of hnsw.search(query, 10)) if (truth.has(h.id)) found++;
    }
    const recall = found / (100 * 10);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });
});

describe('choosing the index kind', () => {
  it('auto is exact below 20 000 vectors and HNSW from 20 000 on; explicit kinds win', () => {
    expect(resolveVectorIndexKind('auto', 19_999)).toBe('exact');
    expect(resolveVectorIndexKind('auto', 20_000)).toBe('hnsw');
    expect(resolveVectorIndexKind('hnsw', 10)).toBe('hnsw');
    expect(resolveVectorIndexKind('exact', 1e6)).toBe('exact');
    expect(createVectorIndex({ dimension: 4, expectedSize: 100 }).kind).toBe('exact');
    expect(createVectorIndex({ dimension: 4, expectedSize: 100, kind: 'hnsw' }).kind).toBe('hnsw');
    expect(() => resolveVectorIndexKind('flat' as never, 1)).toThrow(/valid: auto, exact, hnsw/);
  });

  it('HNSW int8 is refused outside cosine', () => {
    expect(() => new HnswIndex({ dimension: 2, metric: 'dot', storage: 'int8' })).toThrow(InvalidParameterError);
  });
});

describe('quantisation codecs', () => {
  it('float16 encodes known values exactly and rounds to nearest even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff); // largest finite binary16
    expect(toFloat16Bits(1e6)).toBe(0x7c00); // overflow → +Inf
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    // 1 + 2^-11 lies exactly between 1 (0x3c00) and 1 + 2^-10 (0x3c01): ties to even → 0x3c00
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // between 0x3c01 and 0x3c02 → even 0x3c02
    expect(fromFloat16Bits(0x3555)).toBeCloseTo(0.333251953125, 12); // 1/3 rounded: (1 + 341/1024)·2^-2
    for (const x of [0.1, -0.75, 3.14159, 1000.5]) expect(fromFloat16Bits(toFloat16Bits(x))).toBeCloseTo(x, 2);
  });

  it('int8 uses scale max|x|/127', () => {
    const out = new Int8Array(3);
    // max |x| = 2.54 → scale 0.02; 1.0/0.02 = 50, −2.54/0.02 = −127, 0.011/0.02 = 0.55 → 1
    const scale = encodeInt8(new Float32Array([1, -2.54, 0.011]), out, 0);
    expect(scale).toBeCloseTo(0.02, 7);
    expect([...out]).toEqual([50, -127, 1]);
  });
});
