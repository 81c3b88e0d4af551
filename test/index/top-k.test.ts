import { describe, expect, it } from 'vitest';
import { TopK } from '../../src/index/index.js';
import { mulberry32 } from '../../src/core/random.js';


describe('TopK (bounded min-heap)', () => {
  it('equals a full sort (score desc, chunk asc) on random inputs with many ties', () => {
    const rng = mulberry32(42);
    for (let trial = 0; trial < 200; trial++) {
      const n = Math.floor(rng() * 300);
      const k = Math.floor(rng() * 20);
      const items = Array.from({ length: n }, (_, i) => ({ chunk: i, score: Math.floor(rng() * 10) / 2 }));
      // offer in a seeded random order so heap order and chunk order differ
      const shuffled = items.map((x) => ({ x, key: rng() })).sort((a, b) => a.key - b.key).map((y) => y.x);
      const top = new TopK(k);
      for (const it of shuffled) top.push(it.chunk, it.score);
      const oracle = [...items].sort((a, b) => b.score - a.score || a.chunk - b.chunk).slice(0, k);
      expect(top.results()).toEqual(oracle);
    }
  });

  it('keeps the smaller chunk number on equal scores', () => {
    const top = new TopK(2);
    for (const c of [9, 3, 7, 1]) top.push(c, 1.5);
    expect(top.results()).toEqual([
      { chunk: 1, score: 1.5 },
      { chunk: 3, score: 1.5 },
    ]);
  });
});
