/**
 * mulberry32: a small, fast, seeded PRNG with a 32-bit state, giving uniform numbers in
 * [0, 1). Tommy Ettinger's public-domain generator. Used wherever openbook samples
 * (evaluation subsets, random passages, training-data shuffles) so runs are reproducible.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
