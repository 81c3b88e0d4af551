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
import { EMOJI_CHAR, EMOJI_MODIFIER, EMOJI_MODIFIER_BASE, EMOJI_TABLE, WB, WB_TABLE, wordBreakClass } from './unicode.js';

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
    }
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
