/**
 * A hand-written scanner for Unicode word segmentation (UAX #29, "Unicode Text Segmentation",
 * §4.1 word boundary rules WB4–WB13c) that keeps exactly the tokens Lucene's `StandardTokenizer`
 * keeps: the grammar in `lucene/core/.../standard/StandardTokenizerImpl.jflex` (Lucene 9).
 *
 * Token types (the `TokenType` values):
 * - ALPHANUM: letters and digits joined by WB5–WB13b, e.g. `U.S.A`, `don't`, `foo_bar`, `example.com`, `a1.5`.
 * - NUM: digits joined by MidNum/MidNumLet/Single_Quote and ExtendNumLet, e.g. `3.14`, `1,000`.
 * - SOUTHEAST_ASIAN: a run of Line_Break = Complex_Context characters (Thai, Lao, Khmer, Myanmar …).
 * - IDEOGRAPHIC: one Han character (WB999: each Han character is its own token).
 * - HIRAGANA: one hiragana character.
 * - KATAKANA: a run of katakana.
 * - HANGUL: a run of Hangul letters with nothing else (a Hangul run glued to Latin letters or digits,
 *   like `BM25는`, is one ALPHANUM token, as in Lucene).
 * - EMOJI: an emoji sequence (UTS #51: presentation, modifier, ZWJ, keycap, flag and tag sequences).
 *
 * Everything else (spaces, punctuation, symbols, lone marks) is dropped. Offsets are UTF-16
 * offsets into the input; a token's text is exactly `text.slice(start, end)` (Extend and Format
 * characters such as U+00AD SOFT HYPHEN stay inside the token, as in Lucene).
 *
 * Longest match wins; on a tie the earlier Lucene rule wins (emoji, then NUM, HANGUL, KATAKANA,
 * ALPHANUM). Tokens longer than `maxTokenLength` (default 255 UTF-16 units, Lucene's default)
 * are cut at that length and scanning resumes after the cut, as Lucene's non-growing 255-char
 * scanner buffer does.
 *
 * Where Lucene's grammar and UAX #29 disagree, Lucene is followed: a Hebrew letter followed by an
 * apostrophe may be followed by digits in the same token.
 */

import { decodeRuns, EMOJI_RUNS, WB_RUNS } from './tokenizer-tables.js';

/*
 * Part 1: precomputed Unicode property tables for the scanner below. (They live in this module so
 * that the class constants are inlined by every TypeScript compiler, including per-file ones.)
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
 * The property data is the deriving engine's (`TABLES_UNICODE`: Unicode 17.0 from Node 20.20), while Lucene's
 * StandardTokenizer is generated for Unicode 9; the two differ only on characters added or
 * reclassified since, none of which occur in the English evaluation corpora.
 *
 * The tables cover U+0000..U+1FFFF (one byte per code point, 128 KiB each). They are derived by
 * `buildWordBreakTables` below and stored run-length encoded in `./tokenizer-tables.ts`, which
 * records the Unicode version of the engine that derived them; the scanner decodes the stored
 * copy at module load (well under a millisecond), so tokens do not depend on the Node version
 * that runs the scanner. Planes 2 and 3 are Han (CJK extensions), plane 14 holds tags (Format)
 * and variation selectors (Extend); everything else is OTHER.
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

/**
 * Derives the word-break and emoji tables from the JavaScript engine's Unicode properties: the
 * definition of the tables. The scanner does not call it: it reads the same tables precomputed
 * (`./tokenizer-tables.ts`, written from this function by `npm run gen:tokenizer-tables`), since
 * the ~20 regex scans over every code point take ~110 ms, too long for every CLI start. A test
 * checks the stored tables equal this function's output on the Unicode version they record.
 */
export function buildWordBreakTables(): { wb: Uint8Array; emoji: Uint8Array } {
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

/** Word-break class per code point of planes 0–1 (read-only after module load). */
export const WB_TABLE: Uint8Array = decodeRuns(WB_RUNS);
/** Emoji bits per code point of planes 0–1 (read-only after module load). */
export const EMOJI_TABLE: Uint8Array = decodeRuns(EMOJI_RUNS);

/** Word-break class of any code point 0..0x10FFFF. */
export function wordBreakClass(cp: number): WB {
  if (cp < TABLE_SIZE) return WB_TABLE[cp] as WB;
  if (cp < 0x40000) return HAN_ASTRAL.test(String.fromCodePoint(cp)) ? WB.HAN : WB.OTHER;
  if (cp >= 0xe0000 && cp <= 0xe0fff) return cp === 0xe0001 || (cp >= 0xe0020 && cp <= 0xe007f) || (cp >= 0xe0100 && cp <= 0xe01ef) ? WB.EXTEND : WB.OTHER;
  return WB.OTHER;
}

const HAN_ASTRAL = /^\p{Script=Han}$/u;

// Part 2: the scanner.


/** Lucene's StandardTokenizer token types. */
export const enum TokenType {
  ALPHANUM = 0,
  NUM = 1,
  SOUTHEAST_ASIAN = 2,
  IDEOGRAPHIC = 3,
  HIRAGANA = 4,
  KATAKANA = 5,
  HANGUL = 6,
  EMOJI = 7,
}

/** Printable names of `TokenType`, as Lucene writes them (`<ALPHANUM>` …). */
export const TOKEN_TYPE_NAMES = ['ALPHANUM', 'NUM', 'SOUTHEAST_ASIAN', 'IDEOGRAPHIC', 'HIRAGANA', 'KATAKANA', 'HANGUL', 'EMOJI'] as const;

/** Lucene's `StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH`. */
export const DEFAULT_MAX_TOKEN_LENGTH = 255;

/** `flags` bit: the token contains a code unit ≥ 0x80 (so NFKC may change it). */
export const FLAG_NON_ASCII = 1;
/** `flags` bit: the token contains an ASCII capital letter. */
export const FLAG_ASCII_UPPER = 2;

function classAt(text: string, i: number, len: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= len) return WB_TABLE[c];
  const d = text.charCodeAt(i + 1);
  if (d < 0xdc00 || d > 0xdfff) return WB_TABLE[c];
  return wordBreakClass(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
}

function codePointAt(text: string, i: number, len: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= len) return c;
  const d = text.charCodeAt(i + 1);
  if (d < 0xdc00 || d > 0xdfff) return c;
  return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
}

const isExtendLike = (cls: number): boolean =>
  cls === WB.EXTEND || cls === WB.PRES_SEL || cls === WB.ZWJ || cls === WB.SOUTHEAST_ASIAN_EXTEND;
const isAHLetter = (cls: number): boolean => cls === WB.ALETTER || cls === WB.HANGUL || cls === WB.HEBREW;
const emojiBits = (cp: number): number => (cp < 0x20000 ? EMOJI_TABLE[cp] : 0);

/** State after a Hebrew letter + apostrophe (WB7a): letters, digits or ExtendNumLet may follow, no Mid. */
const HEBREW_QUOTE = 100;

/**
 * A cursor over the tokens of one string. Allocation-free per token: read `start`, `end`, `type`
 * and `flags` after each `next()` that returns true.
 *
 * ```ts
 * const cur = new TokenCursor('U.S.A. costs 1,000$');
 * while (cur.next()) console.log(cur.start, cur.end, cur.type); // U.S.A | costs | 1,000
 * ```
 */
export class TokenCursor {
  /** Offset of the current token's first UTF-16 unit. */
  start = 0;
  /** End-exclusive offset of the current token. */
  end = 0;
  type: TokenType = TokenType.ALPHANUM;
  /** `FLAG_NON_ASCII | FLAG_ASCII_UPPER` bits of the current token. */
  flags = 0;
  private pos = 0;
  private readonly len: number;

  /**
   * @param text the text to scan (any string; lone surrogates and control characters are skipped)
   * @param maxTokenLength cut tokens at this many UTF-16 units, ≥ 1 (default 255)
   */
  constructor(
    readonly text: string,
    readonly maxTokenLength: number = DEFAULT_MAX_TOKEN_LENGTH,
  ) {
    this.len = text.length;
  }

  /** Advances to the next token; false at the end of the text. */
  next(): boolean {
    const text = this.text;
    const len = this.len;
    while (this.pos < len) {
      const i = this.pos;
      const limit = Math.min(len, i + this.maxTokenLength);
      const c = text.charCodeAt(i);
      // ASCII fast path for the common case: spaces and punctuation that start nothing.
      if (c < 0x80 && WB_TABLE[c] !== WB.ALETTER && WB_TABLE[c] !== WB.NUMERIC && c !== 0x5f && c !== 0x23 && c !== 0x2a) {
        this.pos = i + 1;
        continue;
      }
      const cp = codePointAt(text, i, len);
      const width = cp > 0xffff ? 2 : 1;
      const cls = cp < 0x20000 ? WB_TABLE[cp] : wordBreakClass(cp);
      let end = -1;
      let type = TokenType.ALPHANUM;
      switch (cls) {
        case WB.ALETTER:
        case WB.HANGUL:
        case WB.HEBREW:
        case WB.NUMERIC:
        case WB.KATAKANA:
        case WB.EXTENDNUMLET:
          end = this.scanWord(i, limit);
          type = this.wordType;
          break;
        case WB.SOUTHEAST_ASIAN:
        case WB.SOUTHEAST_ASIAN_EXTEND: {
          let p = i + width;
          while (p < limit) {
            const k = classAt(text, p, len);
            if (k !== WB.SOUTHEAST_ASIAN && !isExtendLike(k)) break;
            const w = text.charCodeAt(p) >= 0xd800 && text.charCodeAt(p) <= 0xdbff && p + 1 < len ? 2 : 1;
            if (p + w > limit) break;
            p += w;
          }
          end = p;
          type = TokenType.SOUTHEAST_ASIAN;
          break;
        }
        case WB.HAN:
        case WB.HIRAGANA:
          end = this.skipExtend(i + width, limit, true);
          type = cls === WB.HAN ? TokenType.IDEOGRAPHIC : TokenType.HIRAGANA;
          break;
        default:
          break;
      }
      if (
        (emojiBits(cp) !== 0 || cls === WB.REGIONAL_INDICATOR || c === 0x23 || c === 0x2a || (c >= 0x30 && c <= 0x39))
      ) {
        const emojiEnd = this.scanEmoji(i, limit);
        if (emojiEnd >= end && emojiEnd > i) {
          end = emojiEnd;
          type = TokenType.EMOJI;
        }
      }
      if (end <= i) {
        this.pos = i + width;
        continue;
      }
      this.start = i;
      this.end = end;
      this.type = type;
      this.pos = end;
      let flags = 0;
      for (let p = i; p < end; p++) {
        const u = text.charCodeAt(p);
        if (u >= 0x80) flags |= FLAG_NON_ASCII;
        else if (u >= 0x41 && u <= 0x5a) flags |= FLAG_ASCII_UPPER;
      }
      this.flags = flags;
      return true;
    }
    return false;
  }

  /** Skips Extend/Format/ZWJ (all of them when `withPresSel`, else not U+FE0E/U+FE0F). */
  private skipExtend(p: number, limit: number, withPresSel: boolean): number {
    const text = this.text;
    while (p < limit) {
      const k = classAt(text, p, this.len);
      if (!(k === WB.EXTEND || k === WB.ZWJ || k === WB.SOUTHEAST_ASIAN_EXTEND || (withPresSel && k === WB.PRES_SEL))) break;
      const w = text.charCodeAt(p) >= 0xd800 && text.charCodeAt(p) <= 0xdbff && p + 1 < this.len ? 2 : 1;
      if (p + w > limit) break;
      p += w;
    }
    return p;
  }

  private wordType: TokenType = TokenType.ALPHANUM;

  /**
   * Longest match of Lucene's NUM / HANGUL / KATAKANA / ALPHANUM rules starting at `s`
   * (UAX #29 WB4–WB13b). Sets `wordType`. Returns the end offset, or `s` when nothing matches.
   */
  private scanWord(s: number, limit: number): number {
    const text = this.text;
    const len = this.len;
    let p = s;
    let prev: number = WB.OTHER; // class of the last non-Extend character; OTHER = none yet
    let end = s;
    let sawLetter = false; // ALetter/Hebrew/Hangul/Katakana (anything that is not NUM-typed)
    let allHangul = true;
    let allKatakana = true;
    let coreEnd = -1; // Lucene needs a letter, digit or katakana: `_` alone is no token
    while (p < limit) {
      const c = text.charCodeAt(p);
      const w = c >= 0xd800 && c <= 0xdbff && p + 1 < len && (text.charCodeAt(p + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      if (p + w > limit) break;
      const cls = w === 1 ? WB_TABLE[c] : classAt(text, p, len);
      if (isExtendLike(cls)) {
        if (prev === WB.OTHER) break;
        p += w;
        end = p; // WB4: X (Extend | Format | ZWJ)* → X, so an accepting state stays accepting
        continue;
      }
      let ok = false;
      switch (cls) {
        case WB.ALETTER:
        case WB.HANGUL:
        case WB.HEBREW:
        case WB.NUMERIC:
          ok = prev !== WB.KATAKANA; // WB5, WB9, WB10, WB8, WB13b
          break;
        case WB.KATAKANA:
          ok = prev === WB.OTHER || prev === WB.KATAKANA || prev === WB.EXTENDNUMLET; // WB13, WB13b
          break;
        case WB.EXTENDNUMLET:
          ok = true; // WB13a: anything word-like × ExtendNumLet
          break;
        case WB.MIDLETTER:
        case WB.MIDNUM:
        case WB.MIDNUMLET:
        case WB.SINGLE_QUOTE:
        case WB.DOUBLE_QUOTE: {
          // WB6/7 (letters), WB11/12 (digits), WB7a–c (Hebrew): the mid character only joins
          // when the next non-Extend character continues the same kind of run.
          const letterMid = isAHLetter(prev) && (cls === WB.MIDLETTER || cls === WB.MIDNUMLET || cls === WB.SINGLE_QUOTE);
          const numMid = prev === WB.NUMERIC && (cls === WB.MIDNUM || cls === WB.MIDNUMLET || cls === WB.SINGLE_QUOTE);
          const hebrewDq = prev === WB.HEBREW && cls === WB.DOUBLE_QUOTE;
          if (letterMid || numMid || hebrewDq) {
            const q = this.skipExtend(p + w, limit, true);
            if (q < limit) {
              const n = classAt(text, q, len);
              if ((letterMid && isAHLetter(n)) || (numMid && n === WB.NUMERIC) || (hebrewDq && n === WB.HEBREW)) {
                p = q; // the next iteration consumes the letter/digit; prev is unchanged
                continue;
              }
            }
          }
          if (prev === WB.HEBREW && cls === WB.SINGLE_QUOTE) {
            // WB7a: Hebrew_Letter × Single_Quote — the token may end here.
            p += w;
            end = p;
            prev = HEBREW_QUOTE;
            sawLetter = true;
            allHangul = false;
            allKatakana = false;
            continue;
          }
          break;
        }
        default:
          break;
      }
      if (!ok) break;
      if (cls !== WB.NUMERIC && cls !== WB.EXTENDNUMLET) sawLetter = true;
      if (cls !== WB.HANGUL) allHangul = false;
      if (cls !== WB.KATAKANA) allKatakana = false;
      prev = cls;
      p += w;
      end = p;
      if (cls !== WB.EXTENDNUMLET) coreEnd = p;
    }
    if (coreEnd < 0) return s;
    if (end > s) {
      this.wordType = !sawLetter ? TokenType.NUM : allHangul ? TokenType.HANGUL : allKatakana ? TokenType.KATAKANA : TokenType.ALPHANUM;
      if (this.wordType === TokenType.HANGUL || this.wordType === TokenType.KATAKANA) {
        // HANGUL/KATAKANA rules admit no ExtendNumLet or Mid characters.
        for (let q = s; q < end; q++) {
          const k = WB_TABLE[text.charCodeAt(q)];
          if (k === WB.EXTENDNUMLET || k === WB.MIDLETTER || k === WB.MIDNUMLET || k === WB.SINGLE_QUOTE || k === WB.MIDNUM) {
            this.wordType = TokenType.ALPHANUM;
            break;
          }
        }
      }
    }
    return end;
  }

  /** Longest emoji sequence at `s` (Lucene's EMOJI rule), or -1. */
  private scanEmoji(s: number, limit: number): number {
    const text = this.text;
    const len = this.len;
    const c = text.charCodeAt(s);
    if (c === 0x23 || c === 0x2a || (c >= 0x30 && c <= 0x39)) {
      // Keycap: [0-9#*] Ext* U+FE0F? U+20E3 Ext*
      let p = this.skipExtend(s + 1, limit, false);
      if (p < limit && text.charCodeAt(p) === 0xfe0f) p++;
      if (p < limit && text.charCodeAt(p) === 0x20e3) return this.skipExtend(p + 1, limit, false);
      return -1;
    }
    if (classAt(text, s, len) === WB.REGIONAL_INDICATOR) {
      const p = this.skipExtend(s + 2, limit, true);
      if (p + 1 < limit && classAt(text, p, len) === WB.REGIONAL_INDICATOR) return this.skipExtend(p + 2, limit, true);
      return -1;
    }
    let end = this.emojiElement(s, limit);
    if (end < 0) return -1;
    // Tag sequence: element [E0020-E007E]+ E007F (tags are Format, so skipExtend already took them).
    for (;;) {
      // ZWJ sequence: element (ZWJ element)*; the ZWJ may already sit at the end of `end`.
      let p = end;
      if (p < limit && text.charCodeAt(p) === 0x200d) p++;
      else if (!(p > s && text.charCodeAt(p - 1) === 0x200d)) break;
      const next = this.emojiElement(p, limit);
      if (next < 0) break;
      end = next;
    }
    return end;
  }

  /** One `EmojiCharOrPresSeqOrModSeq` of Lucene's grammar at `s`, or -1. */
  private emojiElement(s: number, limit: number): number {
    const text = this.text;
    const len = this.len;
    let p = s;
    while (p < limit && text.charCodeAt(p) === 0x200d) p++;
    if (p >= limit) return -1;
    const cp = codePointAt(text, p, len);
    const bits = emojiBits(cp);
    if (bits & EMOJI_MODIFIER_BASE) {
      const q = this.skipExtend(p + (cp > 0xffff ? 2 : 1), limit, false);
      if (q < limit && emojiBits(codePointAt(text, q, len)) & EMOJI_MODIFIER) {
        return this.skipExtend(q + 2, limit, false);
      }
    }
    if (bits & EMOJI_CHAR) {
      let q = this.skipExtend(p + (cp > 0xffff ? 2 : 1), limit, false);
      if (q < limit && text.charCodeAt(q) === 0xfe0f) q++;
      return q;
    }
    if (bits & EMOJI_MODIFIER) return this.skipExtend(p + 2, limit, false);
    return -1;
  }
}

/** One token of the standard tokenizer, with its Lucene type. */
export interface TypedToken {
  /** The exact source text, `text.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  type: TokenType;
}

/**
 * All tokens of `text` as Lucene's StandardTokenizer would emit them (before any filter).
 * Convenience for tests and tools; analyzers use `TokenCursor` directly.
 */
export function standardTokens(text: string, maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): TypedToken[] {
  const out: TypedToken[] = [];
  const cur = new TokenCursor(text, maxTokenLength);
  while (cur.next()) out.push({ text: text.slice(cur.start, cur.end), start: cur.start, end: cur.end, type: cur.type });
  return out;
}
