/**
 * Precomputed Unicode property tables for the UAX #29 word-break scanner in `./tokenizer.ts`.
 *
 * JavaScript regexes cannot test `\p{Word_Break=…}` or `\p{Line_Break=…}` directly, so the
 * classes are derived from the properties they are defined by in UAX #29 ("Unicode Text
 * Segmentation", Table 3 "Word_Break Property Values") and UAX #14 (Line_Break = Complex_Context),
 * using the General_Category, Script and binary properties that `\p{…}` supports:
 *
 * - ALetter = (Alphabetic ∪ the listed extras) − Ideographic − Katakana − Complex_Context −
 *   Hiragana − Extend − Hebrew_Letter; split here into HANGUL (Script=Hangul) and ALETTER.
 * - Hebrew_Letter = Script=Hebrew ∧ General_Category=Lo.
 * - Numeric = Nd ∪ {U+066B} (Line_Break=Numeric minus U+066C; Lucene additionally counts the
 *   full-width digits U+FF10..FF19, which are Nd).
 * - Katakana = Script=Katakana ∪ {U+3031..3035, U+309B, U+309C, U+30A0, U+30FC, U+FF70}.
 * - Extend = Grapheme_Extend ∪ Mc; Format = Cf − {U+200B, U+200C, U+200D}; ZWJ = U+200D.
 * - MidLetter, MidNum, MidNumLet, Single_Quote, Double_Quote: the explicit lists of UAX #29.
 * - ExtendNumLet = Pc (U+202F NARROW NO-BREAK SPACE joined ExtendNumLet only in Unicode 11; Lucene's
 *   grammar is compiled for Unicode 9, so it is left out here).
 * - Complex_Context (South-East Asian scripts) ≈ letters and marks of Thai, Lao, Myanmar, Khmer,
 *   Tai Le, New Tai Lue, Tai Tham, Tai Viet and Ahom.
 * - Emoji_Modifier (U+1F3FB..1F3FF) is its own class (Unicode 9 `E_Modifier`), not Extend.
 *
 * The property data is the JavaScript engine's (Node 20: Unicode 15), while Lucene's
 * StandardTokenizer is generated for Unicode 9; the two differ only on characters added or
 * reclassified since, none of which occur in the English evaluation corpora.
 *
 * The tables cover U+0000..U+1FFFF (one byte per code point, 128 KiB each, built once at module
 * load in a few tens of milliseconds). Planes 2 and 3 are Han (CJK extensions), plane 14 holds
 * tags (Format) and variation selectors (Extend); everything else is OTHER.
 */

/** Word-break classes used by the scanner. Values are stable only within one process. */
export const enum WB {
  OTHER = 0,
  ALETTER = 1,
  HANGUL = 2,
  HEBREW = 3,
  NUMERIC = 4,
  KATAKANA = 5,
  EXTENDNUMLET = 6,
  MIDLETTER = 7,
  MIDNUM = 8,
  MIDNUMLET = 9,
  SINGLE_QUOTE = 10,
  DOUBLE_QUOTE = 11,
  /** Extend or Format, other than the two presentation selectors and ZWJ. */
  EXTEND = 12,
  /** U+FE0E / U+FE0F: Extend for words, but significant inside emoji sequences. */
  PRES_SEL = 13,
  ZWJ = 14,
  HAN = 15,
  HIRAGANA = 16,
  /** Line_Break = Complex_Context. */
  SOUTHEAST_ASIAN = 17,
  /** Complex_Context and also Extend (e.g. Thai vowel signs): continues a word or starts an SA run. */
  SOUTHEAST_ASIAN_EXTEND = 18,
  REGIONAL_INDICATOR = 19,
  EMOJI_MODIFIER = 20,
}

/** Bits of the emoji table. */
export const EMOJI_CHAR = 1;
export const EMOJI_MODIFIER_BASE = 2;
export const EMOJI_MODIFIER = 4;

const TABLE_SIZE = 0x20000;

/** Scripts whose letters and marks have Line_Break = Complex_Context (UAX #14, class SA). */
const SOUTHEAST_ASIAN_SCRIPTS = ['Thai', 'Lao', 'Myanmar', 'Khmer', 'Tai_Le', 'New_Tai_Lue', 'Tai_Tham', 'Tai_Viet', 'Ahom']
  .map((s) => `\\p{Script=${s}}`)
  .join('');

function buildTables(): { wb: Uint8Array; emoji: Uint8Array } {
  const wb = new Uint8Array(TABLE_SIZE);
  const emoji = new Uint8Array(TABLE_SIZE);
  // Every code point of planes 0 and 1 except the surrogates, as one string; each property is
  // then applied with one global regex scan instead of one test per code point.
  const parts: string[] = [];
  for (let lo = 0; lo < TABLE_SIZE; lo += 0x1000) {
    const cps: number[] = [];
    for (let cp = lo; cp < lo + 0x1000; cp++) if (cp < 0xd800 || cp > 0xdfff) cps.push(cp);
    parts.push(String.fromCodePoint(...cps));
  }
  const all = parts.join('');
  const each = (re: RegExp, fn: (cp: number) => void): void => {
    for (const m of all.matchAll(re)) fn(m[0].codePointAt(0)!);
  };
  const set = (re: RegExp, cls: WB): void => each(re, (cp) => (wb[cp] = cls));
  const setList = (cps: number[], cls: WB): void => {
    for (const cp of cps) wb[cp] = cls;
  };
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  // Order matters: later assignments override earlier ones, mirroring the exclusions in the
  // ALetter definition.
  set(/\p{Alphabetic}/gu, WB.ALETTER);
  setList(
    [
      ...range(0x02c2, 0x02c5), ...range(0x02d2, 0x02d7), ...range(0x02de, 0x02df), ...range(0x02e5, 0x02eb),
      0x02ed, ...range(0x02ef, 0x02ff), ...range(0x055a, 0x055c), 0x055e, 0x058a, 0x05f3,
      ...range(0xa708, 0xa716), ...range(0xa720, 0xa721), ...range(0xa789, 0xa78a), 0xab5b,
    ],
    WB.ALETTER,
  );
  each(/[\p{Script=Hangul}]/gu, (cp) => {
    if (wb[cp] === WB.ALETTER) wb[cp] = WB.HANGUL;
  });
  set(/[\p{Ideographic}]/gu, WB.OTHER);
  set(/[\p{Script=Han}]/gu, WB.HAN);
  set(/[\p{Script=Hiragana}]/gu, WB.HIRAGANA);
  set(/[\p{Script=Katakana}]/gu, WB.KATAKANA);
  setList([...range(0x3031, 0x3035), 0x309b, 0x309c, 0x30a0, 0x30fc, 0xff70], WB.KATAKANA);
  set(new RegExp('[\\p{Script=Hebrew}&&\\p{Lo}]', 'gv'), WB.HEBREW);
  set(new RegExp(`[[${SOUTHEAST_ASIAN_SCRIPTS}]&&[\\p{L}\\p{M}]]`, 'gv'), WB.SOUTHEAST_ASIAN);
  set(/\p{Nd}/gu, WB.NUMERIC);
  wb[0x066b] = WB.NUMERIC;
  each(/[\p{Grapheme_Extend}\p{Mc}\p{Cf}]/gu, (cp) => {
    wb[cp] = wb[cp] === WB.SOUTHEAST_ASIAN ? WB.SOUTHEAST_ASIAN_EXTEND : WB.EXTEND;
  });
  wb[0x200b] = WB.OTHER;
  wb[0x200d] = WB.ZWJ;
  wb[0xfe0e] = WB.PRES_SEL;
  wb[0xfe0f] = WB.PRES_SEL;
  set(/\p{Pc}/gu, WB.EXTENDNUMLET);
  setList([0x003a, 0x00b7, 0x0387, 0x055f, 0x05f4, 0x2027, 0xfe13, 0xfe55, 0xff1a], WB.MIDLETTER);
  setList(
    [0x002c, 0x003b, 0x037e, 0x0589, 0x060c, 0x060d, 0x066c, 0x07f8, 0x2044, 0xfe10, 0xfe14, 0xfe50, 0xfe54, 0xff0c, 0xff1b],
    WB.MIDNUM,
  );
  setList([0x002e, 0x2018, 0x2019, 0x2024, 0xfe52, 0xff07, 0xff0e], WB.MIDNUMLET);
  wb[0x0027] = WB.SINGLE_QUOTE;
  wb[0x0022] = WB.DOUBLE_QUOTE;
  set(/\p{Regional_Indicator}/gu, WB.REGIONAL_INDICATOR);
  set(/\p{Emoji_Modifier}/gu, WB.EMOJI_MODIFIER);

  // Lucene's EmojiChar = Extended_Pictographic ∪ (Emoji − Regional_Indicator − [0-9#*] −
  // [©®™〰〽] − Emoji_Modifier); keycaps ([0-9#*] U+FE0F? U+20E3) are recognised by the scanner.
  each(/[\p{Extended_Pictographic}\p{Emoji}]/gu, (cp) => (emoji[cp] |= EMOJI_CHAR));
  for (const cp of [0x23, 0x2a, ...range(0x30, 0x39)]) emoji[cp] &= ~EMOJI_CHAR;
  each(/\p{Regional_Indicator}/gu, (cp) => (emoji[cp] &= ~EMOJI_CHAR));
  each(/\p{Emoji_Modifier}/gu, (cp) => (emoji[cp] = EMOJI_MODIFIER));
  each(/\p{Extended_Pictographic}/gu, (cp) => (emoji[cp] |= EMOJI_CHAR));
  each(/\p{Emoji_Modifier_Base}/gu, (cp) => (emoji[cp] |= EMOJI_MODIFIER_BASE));
  return { wb, emoji };
}

const TABLES = buildTables();
/** Word-break class per code point of planes 0–1 (read-only after module load). */
export const WB_TABLE: Uint8Array = TABLES.wb;
/** Emoji bits per code point of planes 0–1 (read-only after module load). */
export const EMOJI_TABLE: Uint8Array = TABLES.emoji;

/** Word-break class of any code point 0..0x10FFFF. */
export function wordBreakClass(cp: number): WB {
  if (cp < TABLE_SIZE) return WB_TABLE[cp] as WB;
  if (cp < 0x40000) return HAN_ASTRAL.test(String.fromCodePoint(cp)) ? WB.HAN : WB.OTHER;
  if (cp >= 0xe0000 && cp <= 0xe0fff) return cp === 0xe0001 || (cp >= 0xe0020 && cp <= 0xe007f) || (cp >= 0xe0100 && cp <= 0xe01ef) ? WB.EXTEND : WB.OTHER;
  return WB.OTHER;
}

const HAN_ASTRAL = /^\p{Script=Han}$/u;
