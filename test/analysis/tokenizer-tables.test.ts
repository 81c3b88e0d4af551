/**
 * The scanner's Unicode tables come precomputed (src/analysis/tokenizer-tables.ts, run-length
 * encoded, written by `npm run gen:tokenizer-tables`) instead of being derived with ~20 global
 * regex scans over every code point at module load: deriving them cost ~110 ms of every CLI start.
 * The derivation stays the definition; these tests hold the stored tables to it.
 */
import { describe, expect, it } from 'vitest';
import { buildWordBreakTables, EMOJI_CHAR, EMOJI_TABLE, WB_TABLE, wordBreakClass } from '../../src/analysis/tokenizer.js';
import { decodeRuns, EMOJI_RUNS, TABLES_UNICODE, WB_RUNS } from '../../src/analysis/tokenizer-tables.js';

describe('precomputed tokenizer tables', () => {
  it('decode to one byte per code point of planes 0–1', () => {
    expect(decodeRuns(WB_RUNS).length).toBe(0x20000);
    expect(decodeRuns(EMOJI_RUNS).length).toBe(0x20000);
    // [value, length] pairs: [3, 2, 0, 1, 7, 4] → 3 3 0 7 7 7 7
    expect([...decodeRuns([3, 2, 0, 1, 7, 4])]).toEqual([3, 3, 0, 7, 7, 7, 7]);
  });

  it('are the tables the scanner uses', () => {
    expect(Buffer.from(WB_TABLE).equals(Buffer.from(decodeRuns(WB_RUNS)))).toBe(true);
    expect(Buffer.from(EMOJI_TABLE).equals(Buffer.from(decodeRuns(EMOJI_RUNS)))).toBe(true);
    // spot checks by hand: a → ALETTER (1), 가 → HANGUL (2), 中 → HAN (15), ٣ → NUMERIC (4), 😀 is an emoji
    expect([wordBreakClass(0x61), wordBreakClass(0xac00), wordBreakClass(0x4e2d), wordBreakClass(0x663)]).toEqual([1, 2, 15, 4]);
    expect(EMOJI_TABLE[0x1f600] & EMOJI_CHAR).toBe(EMOJI_CHAR);
  });

  it.skipIf(process.versions.unicode !== TABLES_UNICODE)(
    `equal the tables derived from the JavaScript engine's Unicode properties (needs Unicode ${TABLES_UNICODE}, the version they were generated with)`,
    () => {
      const built = buildWordBreakTables();
      expect(Buffer.from(decodeRuns(WB_RUNS)).equals(Buffer.from(built.wb))).toBe(true);
      expect(Buffer.from(decodeRuns(EMOJI_RUNS)).equals(Buffer.from(built.emoji))).toBe(true);
    },
  );
});
