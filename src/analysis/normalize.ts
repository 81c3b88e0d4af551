/**
 * Per-token normalisation shared by the analyzers: NFKC (so full-width `ＦＵＬＬ` matches `full`,
 * ligatures `ﬁ` match `fi`, half-width katakana match full-width) followed by lower-casing.
 *
 * Normalisation is applied to each token's text, never to the whole input, so token offsets
 * stay offsets into the original string. ASCII tokens skip NFKC (it cannot change them).
 *
 * Lower-casing follows Java's `Character.toLowerCase` per code point, as Lucene's
 * `LowerCaseFilter` does: no final-sigma context rule (Σ → σ everywhere) and U+0130 İ → i
 * (JavaScript's `toLowerCase` gives ς at a word end and "i̇" for İ).
 */
import { FLAG_ASCII_UPPER, FLAG_NON_ASCII } from './tokenizer.js';

/** Java-style per-code-point lower case of `s`. */
export function lowerCase(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length === s.length && s.indexOf('\u03a3') < 0) return lower;
  let out = '';
  for (const ch of s) out += ch === '\u03a3' ? '\u03c3' : ch === '\u0130' ? 'i' : ch.toLowerCase();
  return out;
}

/**
 * The normalised text of `text.slice(start, end)`: NFKC when `nfkc` and the span is not ASCII,
 * then lower case. `flags` are the `TokenCursor.flags` of the span (they let ASCII spans skip work).
 */
export function foldSpan(text: string, start: number, end: number, flags: number, nfkc: boolean): string {
  const raw = text.slice(start, end);
  if ((flags & FLAG_NON_ASCII) === 0) return (flags & FLAG_ASCII_UPPER) === 0 ? raw : raw.toLowerCase();
  return lowerCase(nfkc ? raw.normalize('NFKC') : raw);
}

/** `FLAG_NON_ASCII | FLAG_ASCII_UPPER` bits of `text[start, end)`. */
export function spanFlags(text: string, start: number, end: number): number {
  let flags = 0;
  for (let p = start; p < end; p++) {
    const u = text.charCodeAt(p);
    if (u >= 0x80) flags |= FLAG_NON_ASCII;
    else if (u >= 0x41 && u <= 0x5a) flags |= FLAG_ASCII_UPPER;
  }
  return flags;
}
