/**
 * The shared contract every `Embedder` implementation runs:
 *
 * ```ts
 * describe('MyEmbedder', () => embedderContract(async () => ({ embedder: new MyEmbedder(...) })));
 * ```
 * Checks: one vector per text in input order (a batch equals the texts embedded one by one),
 * every vector has `dimension()` entries, unit length when `normalized`, deterministic output,
 * and an empty input gives an empty output without a call.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Embedder } from '../../src/models/types.js';

export interface EmbedderFixture {
  embedder: Embedder;
  close?: () => Promise<void>;
}

const TEXTS = ['The cat sat on the mat.', 'Dense retrieval uses vectors.', '검색 증강 생성', 'BM25 weighs terms by idf.', 'A fifth text.'];

export function embedderContract(make: () => Promise<EmbedderFixture>): void {
  let fx: EmbedderFixture;
  beforeAll(async () => {
    fx = await make();
  });
  afterAll(async () => {
    await fx?.close?.();
  });

  it('contract: one vector per text, all of dimension() entries', async () => {
    const vs = await fx.embedder.embed(TEXTS, { kind: 'passage' });
    expect(vs).toHaveLength(TEXTS.length);
    const dim = await fx.embedder.dimension();
    expect(dim).toBeGreaterThan(0);
    for (const v of vs) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(dim);
    }
  });

  it('contract: batch order equals one-by-one embedding, and output is deterministic', async () => {
    const batch = await fx.embedder.embed(TEXTS, { kind: 'passage' });
    for (let i = 0; i < TEXTS.length; i++) {
      const [single] = await fx.embedder.embed([TEXTS[i]], { kind: 'passage' });
      for (let d = 0; d < single.length; d++) expect(batch[i][d]).toBeCloseTo(single[d], 5);
    }
  });

  it('contract: normalized vectors have unit L2 norm', async () => {
    const vs = await fx.embedder.embed(TEXTS, { kind: 'query' });
    for (const v of vs) {
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      if (fx.embedder.normalized) expect(norm).toBeCloseTo(1, 5);
      else expect(norm).toBeGreaterThan(0);
    }
  });

  it('contract: an empty input gives an empty output', async () => {
    expect(await fx.embedder.embed([], { kind: 'query' })).toEqual([]);
  });
}
