/**
 * Vector component codecs for compact storage.
 *
 * - float16: IEEE 754 binary16, round-to-nearest-even, with subnormals, ±Inf and NaN (Node 20
 *   has no Float16Array, so the bit manipulation is done here). Max finite value 65504.
 * - int8: symmetric per-vector scalar quantisation: scale = max_i |x_i| / 127,
 *   q_i = round(x_i / scale) ∈ [−127, 127], x̂_i = q_i · scale (scale 0 for the zero vector).
 *   The error per component is ≤ scale / 2.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → binary16 bits (round to nearest even). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000; // implicit leading 1
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  const m = mant >>> 13;
  const rest = mant & 0x1fff;
  const out = sign | (e << 10) | m;
  // Round to nearest even; a carry out of the mantissa correctly bumps the exponent.
  return rest > 0x1000 || (rest === 0x1000 && (m & 1)) ? out + 1 : out;
}

/** binary16 bits → number. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes `src` into `out[offset … offset + src.length)` as binary16 bits. */
export function encodeFloat16(src: Float32Array, out: Uint16Array, offset: number): void {
  for (let i = 0; i < src.length; i++) out[offset + i] = toFloat16Bits(src[i]);
}

/** Quantises `src` into `out[offset …]` and returns the scale (max |x| / 127). */
export function encodeInt8(src: Float32Array, out: Int8Array, offset: number): number {
  let maxAbs = 0;
  for (let i = 0; i < src.length; i++) {
    const a = Math.abs(src[i]);
    if (a > maxAbs) maxAbs = a;
  }
  const scale = maxAbs / 127;
  for (let i = 0; i < src.length; i++) out[offset + i] = scale === 0 ? 0 : Math.round(src[i] / scale);
  return scale;
}
