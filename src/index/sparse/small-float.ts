/**
 * Lucene's one-byte document-length encoding (`org.apache.lucene.util.SmallFloat`, Lucene ≥ 7).
 *
 * A length is stored as a tiny float with a 4-bit mantissa (3 stored bits + an implicit leading 1)
 * and a 5-bit exponent. Lengths below {@link NUM_FREE_VALUES} (= 24) are stored exactly; larger
 * ones lose precision and are rounded *down* to the nearest representable value (e.g. 40..41 → 40,
 * 100 → 96, 1000 → 984). `BM25Similarity` and `ClassicSimilarity` score with the decoded length, so
 * reproducing Lucene's scores needs the same rounding.
 *
 * Algorithm (reimplemented from the description of Lucene's `SmallFloat.longToInt4`,
 * `int4ToLong`, `intToByte4` and `byte4ToInt`):
 *  - `longToInt4(i)`: with `numBits` = bit length of i, values with `numBits < 4` are stored as is
 *    ("subnormal"); otherwise `shift = numBits − 4`, keep the top 4 bits `i >>> shift`, drop the
 *    implicit top bit (`& 0x07`) and store `shift + 1` in bits 3.. of the result.
 *  - `intToByte4(i)`: `i` when `i < 24`, else `24 + longToInt4(i − 24)`.
 *    `longToInt4(2^31 − 1)` is 231, so 24 = 255 − 231 byte values are "free" for exact small lengths.
 */

/** Encodes a non-negative integer (< 2^53) keeping its 4 most significant bits. Result 0..(bits-dependent). */
export function longToInt4(i: number): number {
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`longToInt4: expected a non-negative integer, got ${i}`);
  const numBits = i === 0 ? 0 : Math.floor(Math.log2(i)) + 1;
  if (numBits < 4) return i; // subnormal: stored exactly
  const shift = numBits - 4;
  let encoded = Math.floor(i / 2 ** shift); // top 4 bits (the leading one included)
  encoded &= 0x07; // the leading one is implicit
  encoded |= (shift + 1) << 3; // 0 is reserved for subnormal values
  return encoded;
}

/** Decodes {@link longToInt4}. */
export function int4ToLong(i: number): number {
  const bits = i & 0x07;
  const shift = (i >>> 3) - 1;
  return shift === -1 ? bits : (bits | 0x08) * 2 ** shift;
}

/** `longToInt4(2^31 − 1)` = 231. */
export const MAX_INT4 = longToInt4(2 ** 31 - 1);
/** Byte values 0..23 encode lengths 0..23 exactly. */
export const NUM_FREE_VALUES = 255 - MAX_INT4;

/**
 * Lucene `SmallFloat.intToByte4`: a length 0..2^31−1 to one unsigned byte 0..255.
 * @throws RangeError for negative, non-integer or ≥ 2^31 values
 */
export function intToByte4(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i > 2 ** 31 - 1) {
    throw new RangeError(`intToByte4: expected an integer in [0, 2^31-1], got ${i}`);
  }
  return i < NUM_FREE_VALUES ? i : NUM_FREE_VALUES + longToInt4(i - NUM_FREE_VALUES);
}

/** Lucene `SmallFloat.byte4ToInt`: the (rounded-down) length an unsigned byte 0..255 stands for. */
export function byte4ToInt(b: number): number {
  const i = b & 0xff;
  return i < NUM_FREE_VALUES ? i : NUM_FREE_VALUES + int4ToLong(i - NUM_FREE_VALUES);
}

/** `byte4ToInt` of every byte value, as Lucene's `LENGTH_TABLE`. Returns a fresh array. */
export function lengthTable(): Float64Array {
  const t = new Float64Array(256);
  for (let i = 0; i < 256; i++) t[i] = byte4ToInt(i);
  return t;
}
