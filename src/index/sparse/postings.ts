/**
 * The inverted index in CSR (compressed sparse row) form, and its on-disk encoding.
 *
 * In memory, term t's postings are `chunkIds[offsets[t] .. offsets[t + 1])` (ascending chunk
 * numbers) with the matching `termFreqs`. The element types are the smallest unsigned arrays that
 * hold the largest value (chunk numbers < 2^16 fit a Uint16Array, term frequencies < 2^8 a
 * Uint8Array), which keeps a loaded index well under the size of its text.
 *
 * On disk (after a 4-byte magic "OBP1"): varint numTerms, varint numChunks, then for each term
 * varint docFreq, docFreq delta-coded chunk numbers (first absolute, then gaps ≥ 1) and docFreq
 * term frequencies, all varints.
 */
import { ByteReader, ByteWriter } from './varint.js';

export type UintArray = Uint8Array | Uint16Array | Uint32Array;

/** Postings of all terms; term ids are positions in the sorted term dictionary. */
export interface PostingsCsr {
  /** numTerms + 1 entries; offsets[numTerms] = numPostings. */
  offsets: Uint32Array;
  /** Chunk numbers, ascending within each term. */
  chunkIds: UintArray;
  /** Term frequency ≥ 1 of each posting. */
  termFreqs: UintArray;
}

const MAGIC = [0x4f, 0x42, 0x50, 0x31]; // "OBP1"

/** The smallest unsigned typed array able to hold values up to `maxValue`. */
export function uintArrayFor(maxValue: number, length: number): UintArray {
  if (maxValue < 2 ** 8) return new Uint8Array(length);
  if (maxValue < 2 ** 16) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** Encodes postings as described in the module doc. */
export function encodePostings(p: PostingsCsr, numChunks: number): Uint8Array {
  const numTerms = p.offsets.length - 1;
  const w = new ByteWriter(16 + p.chunkIds.length * 3);
  w.bytes(Uint8Array.from(MAGIC));
  w.varint(numTerms);
  w.varint(numChunks);
  for (let t = 0; t < numTerms; t++) {
    const start = p.offsets[t];
    const end = p.offsets[t + 1];
    w.varint(end - start);
    let prev = -1;
    for (let i = start; i < end; i++) {
      const c = p.chunkIds[i];
      w.varint(prev < 0 ? c : c - prev);
      prev = c;
    }
    for (let i = start; i < end; i++) w.varint(p.termFreqs[i]);
  }
  return w.finish();
}

/**
 * Decodes {@link encodePostings}.
 * @throws Error (RangeError) describing the defect when the bytes are malformed: bad magic, a
 * chunk number out of range or not ascending, a zero frequency, trailing bytes
 */
export function decodePostings(bytes: Uint8Array, expect: { numTerms: number; numPostings: number; numChunks: number }): PostingsCsr {
  const r = new ByteReader(bytes);
  const magic = r.bytes(4);
  for (let i = 0; i < 4; i++) if (magic[i] !== MAGIC[i]) throw new RangeError('bad magic (not an openbook postings file)');
  const numTerms = r.varint();
  const numChunks = r.varint();
  if (numTerms !== expect.numTerms) throw new RangeError(`holds ${numTerms} terms, manifest says ${expect.numTerms}`);
  if (numChunks !== expect.numChunks) throw new RangeError(`holds ${numChunks} chunks, manifest says ${expect.numChunks}`);
  const offsets = new Uint32Array(numTerms + 1);
  const chunkIds = uintArrayFor(Math.max(0, numChunks - 1), expect.numPostings);
  // Frequencies are decoded into Uint32 first, then narrowed once the maximum is known.
  const freqs = new Uint32Array(expect.numPostings);
  let maxTf = 0;
  let pos = 0;
  for (let t = 0; t < numTerms; t++) {
    offsets[t] = pos;
    const df = r.varint();
    if (df === 0) throw new RangeError(`term ${t} has no postings`);
    if (pos + df > expect.numPostings) throw new RangeError(`more postings than the manifest's ${expect.numPostings}`);
    let c = -1;
    for (let i = 0; i < df; i++) {
      const gap = r.varint();
      if (i > 0 && gap === 0) throw new RangeError(`term ${t}: chunk numbers not ascending`);
      c = i === 0 ? gap : c + gap;
      if (c >= numChunks) throw new RangeError(`term ${t}: chunk ${c} out of range (numChunks ${numChunks})`);
      chunkIds[pos + i] = c;
    }
    for (let i = 0; i < df; i++) {
      const tf = r.varint();
      if (tf === 0) throw new RangeError(`term ${t}: zero term frequency`);
      freqs[pos + i] = tf;
      if (tf > maxTf) maxTf = tf;
    }
    pos += df;
  }
  offsets[numTerms] = pos;
  if (pos !== expect.numPostings) throw new RangeError(`holds ${pos} postings, manifest says ${expect.numPostings}`);
  if (r.remaining !== 0) throw new RangeError(`${r.remaining} trailing bytes`);
  const termFreqs = uintArrayFor(maxTf, pos);
  termFreqs.set(freqs);
  return { offsets, chunkIds, termFreqs };
}
