/**
 * LEB128-style unsigned varints (7 bits per byte, low bits first, high bit = "more follows"), as
 * Lucene's `DataOutput.writeVInt`. Values up to 2^53 − 1 are supported.
 */

/** A growable byte buffer for writing varints and raw bytes. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends `value` (integer in [0, 2^53)) as a varint. */
  varint(value: number): void {
    if (!(value >= 0) || !Number.isInteger(value)) throw new RangeError(`varint: expected a non-negative integer, got ${value}`);
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  /** The written bytes (a view; copy before writing more if you keep it). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads varints sequentially; throws RangeError past the end (callers turn it into IndexFormatError). */
export class ByteReader {
  pos = 0;

  constructor(readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError(`varint runs past the end at byte ${this.pos}`);
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new RangeError(`varint too long at byte ${this.pos}`);
    }
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) throw new RangeError(`need ${n} bytes at ${this.pos}, only ${this.remaining} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
