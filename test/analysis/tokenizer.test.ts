import { describe, expect, it } from 'vitest';
import { standardTokens, TOKEN_TYPE_NAMES, TokenCursor } from '../../src/analysis/tokenizer.js';
import { mulberry32 } from '../../src/core/random.js';

const texts = (s: string, maxTokenLength?: number): string[] => standardTokens(s, maxTokenLength).map((t) => t.text);
const typed = (s: string): string[] => standardTokens(s).map((t) => `${t.text}/${TOKEN_TYPE_NAMES[t.type]}`);


describe('standard tokenizer (Lucene StandardTokenizer / UAX #29)', () => {
  it('keeps acronyms, decimals, thousands, contractions and underscores together (WB6/7, WB11/12, WB13a/b)', () => {
    expect(texts("U.S.A. 3.14 1,000 don't foo_bar")).toEqual(['U.S.A', '3.14', '1,000', "don't", 'foo_bar']);
  });

  it('splits at hyphens, @ and slashes but keeps dotted host names', () => {
    expect(texts('e-mail user@example.com http://www.example.com/path?q=1')).toEqual([
      'e', 'mail', 'user', 'example.com', 'http', 'www.example.com', 'path', 'q', '1',
    ]);
  });

  it('joins letters and digits both ways (WB9/10) but not across a mid character with different sides', () => {
    expect(texts('1.5x x1.5 a1.b a..b')).toEqual(['1.5x', 'x1.5', 'a1', 'b', 'a', 'b']);
  });

  it('keeps a colon between letters (MidLetter in Unicode 9) and drops leading/trailing quotes', () => {
    expect(texts("a:b 'quoted' .a.")).toEqual(['a:b', 'quoted', 'a']);
  });

  it('types tokens as Lucene does', () => {
    expect(typed('abc 123 한국어 カタカナ 漢字 ひら ไทย 😀')).toEqual([
      'abc/ALPHANUM', '123/NUM', '한국어/HANGUL', 'カタカナ/KATAKANA', '漢/IDEOGRAPHIC', '字/IDEOGRAPHIC',
      'ひ/HIRAGANA', 'ら/HIRAGANA', 'ไทย/SOUTHEAST_ASIAN', '😀/EMOJI',
    ]);
  });

  it('glues Hangul to Latin in one ALPHANUM token, as Lucene does', () => {
    expect(typed('BM25는 검색기의')).toEqual(['BM25는/ALPHANUM', '검색기의/HANGUL']);
  });

  it('does not join katakana to Latin letters except through ExtendNumLet (WB13, WB13a/b)', () => {
    expect(texts('カタabc カタ_abc')).toEqual(['カタ', 'abc', 'カタ_abc']);
  });

  it('recognises emoji sequences: modifier, ZWJ, flag, keycap, and © (Extended_Pictographic)', () => {
    expect(typed('👍🏽 👨‍👩‍👧 🇰🇷 1️⃣ ©')).toEqual(['👍🏽/EMOJI', '👨‍👩‍👧/EMOJI', '🇰🇷/EMOJI', '1️⃣/EMOJI', '©/EMOJI']);
  });

  it('needs a letter, digit or kana: underscores alone are no token', () => {
    expect(texts('_ __ _a 1_')).toEqual(['_a', '1_']);
  });

  it('keeps combining marks and soft hyphens inside the token (WB4)', () => {
    expect(texts('cafe\u0301 co\u00adoperate')).toEqual(['cafe\u0301', 'co\u00adoperate']);
  });

  it('reports UTF-16 offsets into the original text, including after astral characters', () => {
    const s = '𝒳 ab 😀 cd';
    const toks = standardTokens(s);
    for (const t of toks) expect(s.slice(t.start, t.end)).toBe(t.text);
    expect(toks.map((t) => [t.start, t.end])).toEqual([[0, 2], [3, 5], [6, 8], [9, 11]]);
  });

  it('cuts tokens at maxTokenLength and resumes after the cut', () => {
    expect(texts('abcdefgh', 3)).toEqual(['abc', 'def', 'gh']);
    // The cut falls inside "a.b": the longest match within 3 units is "a.b" itself, then "cd".
    expect(texts('a.bcd', 3)).toEqual(['a.b', 'cd']);
  });

  it('sets FLAG bits: 1 = non-ASCII, 2 = ASCII capital', () => {
    const cur = new TokenCursor('abc Abc café');
    const flags: number[] = [];
    while (cur.next()) flags.push(cur.flags);
    expect(flags).toEqual([0, 2, 1]);
  });

  it('agrees with Intl.Segmenter word boundaries on 2,000 random Latin strings (oracle)', () => {
    const rnd = mulberry32(20240611);
    const alphabet = 'aaeeiouxyzABCQ0123456789       ....,,,\'\'-_:;!?()"/@éÑ\u2019';
    const seg = new Intl.Segmenter('en', { granularity: 'word' });
    for (let n = 0; n < 2000; n++) {
      const len = 1 + Math.floor(rnd() * 40);
      let s = '';
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const oracle = [...seg.segment(s)]
        .filter((x) => x.isWordLike && !/^_+$/.test(x.segment)) // ICU calls "__" word-like; Lucene needs a letter or digit
        .map((x) => `${x.index}:${x.segment}`);
      const ours = standardTokens(s).map((t) => `${t.start}:${t.text}`);
      expect(ours, JSON.stringify(s)).toEqual(oracle);
    }
  });
});
