import { describe, expect, it } from 'vitest';
import { byte4ToInt, int4ToLong, intToByte4, longToInt4, NUM_FREE_VALUES } from '../../src/index/sparse/small-float.js';

describe('SmallFloat (Lucene one-byte length norms)', () => {
  it('has 24 free values: longToInt4(2^31 − 1) = 231', () => {
    // 2^31−1 has 31 bits → shift 27, top 4 bits 1111 → (7) | (27+1)<<3 = 7 + 224 = 231; 255 − 231 = 24
    expect(longToInt4(2 ** 31 - 1)).toBe(231);
    expect(NUM_FREE_VALUES).toBe(24);
  });

  it('stores lengths 0..39 exactly', () => {
    // < 24: the byte is the length; 24..39: 24 + (i − 24) with i − 24 < 16 fits 4 significant bits
    for (let i = 0; i < 40; i++) expect(byte4ToInt(intToByte4(i))).toBe(i);
    expect(intToByte4(23)).toBe(23);
    expect(intToByte4(39)).toBe(39);
  });

  it('rounds larger lengths down to a 4-bit mantissa', () => {
    // 41: 41 − 24 = 17 = 0b10001 → shift 1, keep 0b1000 → 16 → decoded 24 + 16 = 40
    expect(byte4ToInt(intToByte4(41))).toBe(40);
    // 100: 76 = 0b1001100 → shift 3, keep 0b1001 = 9 → byte 24 + (1 | 4<<3) = 24 + 33 = 57 → 24 + 9·8 = 96
    expect(intToByte4(100)).toBe(57);
    expect(byte4ToInt(57)).toBe(96);
    // 1000: 976 = 0b1111010000 → shift 6, keep 0b1111 → byte 24 + (7 | 7<<3) = 24 + 63 = 87 → 24 + 15·64 = 984
    expect(intToByte4(1000)).toBe(87);
    expect(byte4ToInt(87)).toBe(984);
    // the largest: byte 255 → 24 + 15·2^27 = 2013265944
    expect(intToByte4(2 ** 31 - 1)).toBe(255);
    expect(byte4ToInt(255)).toBe(2013265944);
  });

  it('is monotone, never rounds up, and decode∘encode∘decode = decode', () => {
    let prev = -1;
    for (let i = 0; i < 200_000; i += i < 5000 ? 1 : 97) {
      const b = intToByte4(i);
      expect(b).toBeGreaterThanOrEqual(prev);
      expect(byte4ToInt(b)).toBeLessThanOrEqual(i);
      prev = b;
    }
    for (let b = 0; b < 256; b++) expect(intToByte4(byte4ToInt(b))).toBe(b);
    expect(int4ToLong(longToInt4(7))).toBe(7);
  });

  it('rejects negative and fractional lengths', () => {
    expect(() => intToByte4(-1)).toThrow(RangeError);
    expect(() => intToByte4(1.5)).toThrow(RangeError);
  });
});
