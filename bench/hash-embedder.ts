/**
 * A model-free embedder for latency benchmarks (bench:store): each word (a run of letters,
 * lower-cased) gets a fixed pseudo-random Gaussian vector seeded by its FNV-1a hash
 * (mulberry32 + Box–Muller), and a text's vector is the sum of its words' vectors — 64
 * dimensions by default. It has no semantics beyond word overlap; it stands in for a model so
 * that pgvector's HNSW search and the hybrid fusion are timed on real vectors of a real size
 * without a model download. test/index/pg-store-cluster.test.ts embeds with it too (HNSW recall, dense/hybrid parity).
 */
import { mulberry32 } from '../src/core/random.js';
import type { EmbedOptions, Embedder } from '../src/models/types.js';

export class HashEmbedder implements Embedder {
  readonly id: string;
  readonly normalized = false;
  private readonly table = new Map<string, Float32Array>();

  constructor(readonly dims = 64) {
    this.id = `bench:hash-${dims}`;
  }

  async dimension(): Promise<number> {
    return this.dims;
  }

  private wordVector(w: string): Float32Array {
    let v = this.table.get(w);
    if (!v) {
      let h = 2166136261;
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
      const rng = mulberry32(h >>> 0);
      v = new Float32Array(this.dims).map(() => Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng()));
      if (this.table.size < 1_000_000) this.table.set(w, v);
    }
    return v;
  }

  async embed(texts: string[], _o: EmbedOptions): Promise<Float32Array[]> {
    return texts.map((t) => {
      const out = new Float32Array(this.dims);
      for (const w of t.toLowerCase().match(/\p{L}+/gu) ?? []) {
        const v = this.wordVector(w);
        for (let i = 0; i < this.dims; i++) out[i] += v[i];
      }
      return out;
    });
  }
}
