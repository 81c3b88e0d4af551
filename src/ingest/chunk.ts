/**
 * Structure-aware chunking: `Document` → `Chunk[]`.
 *
 * The text is cut in this order of preference:
 *  1. sections — a new section starts at every heading (`Document.headings`) and every PDF page
 *     (`Document.pages`); sections are never merged, except that a section holding only its own
 *     heading line is joined to the section after it when that one starts with a deeper heading
 *     (so "# Title" directly followed by "## Intro" does not make a chunk of its own);
 *  2. paragraphs — gaps holding a blank line;
 *  3. sentences — after `.`, `?`, `!`, `…`, `。`, `！`, `？` (optionally followed by closing quotes
 *     or brackets) when whitespace follows and the next word does not start with a lowercase
 *     Latin letter, and not after an abbreviation of the sentence splitter's list (`ABBREVIATIONS` in
 *     src/analysis/sentences.ts: "e.g.", "i.e.", "Dr." …) or a single initial.
 *     Korean declaratives and polite endings ("…했다.", "…해요.") are caught by the same rule;
 *  4. lines — a single `\n`;
 *  5. words — any whitespace; and between two Han/Kana characters (CJK is written without spaces).
 * A piece is split at the next level only when it is longer than `chunkSize`. The pieces are then
 * packed greedily, in order, into chunks of at most `chunkSize` tokens; each chunk after the first
 * in a section starts with up to `chunkOverlap` tokens carried over from the end of the previous
 * chunk (fewer when the first new piece would not fit otherwise). Chunk boundaries always fall on
 * token boundaries, so a word or Korean eojeol is never split, and each chunk's span starts and
 * ends on a non-whitespace character. This is the recursive splitter design popularised by
 * LangChain's `RecursiveCharacterTextSplitter`, counted in words instead of characters.
 *
 * Tokens, for sizing: whitespace-separated words, except that every Han character (CJK Unified
 * Ideographs, incl. extensions and compatibility ideographs, and 々) and every Kana character
 * (Hiragana, Katakana, half-width Katakana) is a token of its own. Punctuation with no letter or
 * digit that touches a Han/Kana character inside a word rides along with it ("好」。" is one token).
 *
 * Cost: linear in the text length (one pass to find tokens, one pass per split level at most).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Chunk, Document } from '../core/types.js';
import { ABBREVIATIONS } from '../analysis/sentences.js';
import { lineAt, locatorOf } from '../core/locator.js';

export interface ChunkOptions {
  /** Maximum tokens per chunk (see `countTokens`), ≥ 1. */
  chunkSize: number;
  /** Tokens carried from the end of one chunk to the start of the next, 0 ≤ chunkOverlap < chunkSize. */
  chunkOverlap: number;
  /** One chunk for the whole document (BEIR corpora, where a line is already a passage). */
  noChunk?: boolean;
}

/** chunkSize 256 tokens, chunkOverlap 32 tokens. */
export const DEFAULT_CHUNKING: Readonly<Required<ChunkOptions>> = Object.freeze({
  chunkSize: 256,
  chunkOverlap: 32,
  noChunk: false,
});

// Split levels of the gap between two adjacent tokens (higher = better place to cut).
const GAP_CHAR = 0; // inside a CJK run: no whitespace
const GAP_WORD = 1;
const GAP_LINE = 2;
const GAP_SENTENCE = 3;
const GAP_PARAGRAPH = 4;

/** True for the UTF-16 code units JavaScript's `\s` matches. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Width in UTF-16 code units of the Han/Kana character at `i`, or 0 if there is none.
 * Supplementary ideographs (U+20000–U+3FFFF, Extensions B–H) are surrogate pairs D840–D8BF + DCxx.
 */
function hanKanaWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x3005) return 0;
  if (
    (c >= 0x4e00 && c <= 0x9fff) || // CJK Unified Ideographs
    (c >= 0x3400 && c <= 0x4dbf) || // Extension A
    (c >= 0x3040 && c <= 0x30ff) || // Hiragana, Katakana
    (c >= 0x31f0 && c <= 0x31ff) || // Katakana Phonetic Extensions
    (c >= 0xf900 && c <= 0xfaff) || // Compatibility Ideographs
    (c >= 0xff66 && c <= 0xff9f) || // Half-width Katakana
    c === 0x3005 // 々 iteration mark
  ) {
    return 1;
  }
  if (c >= 0xd840 && c <= 0xd8bf) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 0;
}

/** Letter or digit (ASCII fast path; `\p{L}\p{N}` beyond). */
function isAlnumAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
  const cp = text.codePointAt(i) ?? c;
  return ALNUM.test(String.fromCodePoint(cp));
}
const ALNUM = /[\p{L}\p{N}]/u;

/**
 * Token spans of `text` in order: `starts[i]`..`ends[i]` (end-exclusive UTF-16 offsets).
 * Linear in `text.length`.
 */
function tokenize(text: string): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    // One whitespace-separated word: [i, wordEnd).
    let wordEnd = i;
    let hasHan = false;
    for (; wordEnd < n; wordEnd++) {
      const c = text.charCodeAt(wordEnd);
      if (c < 0x80) {
        if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) break;
        continue;
      }
      if (isSpace(c)) break;
      if (!hasHan && c >= 0x3005 && hanKanaWidth(text, wordEnd) > 0) hasHan = true;
    }
    if (!hasHan) {
      starts.push(i);
      ends.push(wordEnd);
      i = wordEnd;
      continue;
    }
    // A word with Han/Kana: each Han/Kana char starts a unit, except right after a unit that is
    // only punctuation ("「你" is one unit); a letter/digit after a Han/Kana unit starts a unit.
    let unitStart = i;
    let unitIsHan = false;
    let unitHasAlnum = false;
    let j = i;
    while (j < wordEnd) {
      const w = hanKanaWidth(text, j);
      if (w > 0) {
        if (j > unitStart && (unitIsHan || unitHasAlnum)) {
          starts.push(unitStart);
          ends.push(j);
          unitStart = j;
          unitHasAlnum = false;
        }
        unitIsHan = true;
        j += w;
        continue;
      }
      const alnum = isAlnumAt(text, j);
      if (alnum && unitIsHan && j > unitStart) {
        starts.push(unitStart);
        ends.push(j);
        unitStart = j;
        unitIsHan = false;
      }
      if (alnum) unitHasAlnum = true;
      const c = text.charCodeAt(j);
      j += c >= 0xd800 && c <= 0xdbff && j + 1 < wordEnd ? 2 : 1;
    }
    starts.push(unitStart);
    ends.push(wordEnd);
    i = wordEnd;
  }
  return { starts, ends };
}

/**
 * Number of sizing tokens in `text`: whitespace-separated words, with each Han/Kana character
 * counted as one token (see the module comment). `countTokens("RAG는 검색을 한다.")` is 3;
 * `countTokens("検索拡張生成")` is 6; `countTokens("")` is 0.
 */
export function countTokens(text: string): number {
  return tokenize(text).starts.length;
}

/** . ? ! … 。 ！ ？ ． as UTF-16 code units. */
const SENTENCE_END = new Set([0x2e, 0x3f, 0x21, 0x2026, 0x3002, 0xff01, 0xff1f, 0xff0e]);
/** " ' ” ’ ) ] } » 」 』 ） 】 〉 》 */
const CLOSERS = new Set([0x22, 0x27, 0x201d, 0x2019, 0x29, 0x5d, 0x7d, 0xbb, 0x300d, 0x300f, 0xff09, 0x3011, 0x3009, 0x300b]);
// The abbreviation list is the sentence splitter's (src/analysis/sentences.ts): one list in the codebase.

const LEADING_PUNCT = /^[^\p{L}\p{N}]+/u;

/** Does the token [s, e) end a sentence, given that the next token starts at `next`? */
function endsSentence(text: string, s: number, e: number, next: number, spaced: boolean): boolean {
  let k = e - 1;
  while (k > s && CLOSERS.has(text.charCodeAt(k))) k--;
  const ch = text.charCodeAt(k);
  if (!SENTENCE_END.has(ch)) return false;
  if (ch === 0x3002 || ch === 0xff01 || ch === 0xff1f) return true; // 。！？ end a sentence unspaced
  if (!spaced) return false;
  const c = text.charCodeAt(next);
  if (c >= 0x61 && c <= 0x7a) return false; // "… e.g. the" / "3.5 ms. then": next starts lowercase
  if (ch === 0x2e) {
    const word = text.slice(s, k).toLowerCase().replace(LEADING_PUNCT, '');
    if (ABBREVIATIONS.has(word)) return false;
    if (word.length === 1 && /[a-z]/.test(word)) return false; // an initial: "J. Smith"
  }
  return true;
}

/** Split level of the gap between token t-1 and token t. */
function gapLevel(text: string, starts: number[], ends: number[], t: number): number {
  const gs = ends[t - 1];
  const ge = starts[t];
  let newlines = 0;
  for (let k = gs; k < ge; k++) if (text.charCodeAt(k) === 0x0a) newlines++;
  if (newlines >= 2) return GAP_PARAGRAPH;
  if (endsSentence(text, starts[t - 1], gs, ge, ge > gs)) return GAP_SENTENCE;
  if (newlines === 1) return GAP_LINE;
  return ge > gs ? GAP_WORD : GAP_CHAR;
}

/** Index of the first element of sorted `arr` that is ≥ x (arr.length if none). */
function lowerBound(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Section {
  start: number;
  end: number;
  headingPath: string[];
}

/** Is [from, to) only whitespace, or whitespace plus a setext underline (=== / ---)? */
function onlyUnderline(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (!isSpace(c) && c !== 0x3d && c !== 0x2d) return false;
  }
  return true;
}

/** Cut the text at headings and page starts; heading-only sections join the next one. */
function sections(doc: Document): Section[] {
  const text = doc.text;
  const headings = (doc.headings ?? [])
    .filter((h) => h.start >= 0 && h.start <= text.length)
    .slice()
    .sort((a, b) => a.start - b.start);
  const pageStarts = new Set<number>();
  for (const p of doc.pages ?? []) if (p.start > 0 && p.start <= text.length) pageStarts.add(p.start);
  // A slide or an EPUB chapter is a unit of its own, like a PDF page: no chunk spans two.
  for (const u of doc.units ?? []) if ((u.kind === 'slide' || u.kind === 'chapter') && u.start > 0 && u.start <= text.length) pageStarts.add(u.start);

  type Boundary = { at: number; heading?: (typeof headings)[number] };
  const bounds: Boundary[] = [{ at: 0 }];
  for (const h of headings) bounds.push({ at: h.start, heading: h });
  for (const at of pageStarts) bounds.push({ at });
  bounds.sort((a, b) => a.at - b.at || (a.heading ? 1 : 0) - (b.heading ? 1 : 0));

  const out: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  let pendingStart = -1; // start of a heading-only section waiting to join the next one
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i];
    const end = i + 1 < bounds.length ? bounds[i + 1].at : text.length;
    if (b.heading) {
      while (stack.length > 0 && stack[stack.length - 1].level >= b.heading.level) stack.pop();
      stack.push({ level: b.heading.level, text: b.heading.text });
    }
    if (end <= b.at && i + 1 < bounds.length) {
      // Two boundaries at one offset (a heading at a page start): the later one carries on.
      if (pendingStart === -1) pendingStart = b.at;
      continue;
    }
    const start = pendingStart === -1 ? b.at : pendingStart;
    const next = bounds[i + 1];
    if (b.heading && next?.heading && next.heading.level > b.heading.level && !pageStarts.has(next.at)) {
      const lineEnd = text.indexOf('\n', b.at);
      if (lineEnd === -1 || lineEnd >= end || onlyUnderline(text, lineEnd, end)) {
        pendingStart = start;
        continue;
      }
    }
    pendingStart = -1;
    out.push({ start, end, headingPath: stack.map((h) => h.text) });
  }
  return out;
}

/**
 * Checks chunking options: chunkSize an integer ≥ 1, chunkOverlap an integer with
 * 0 ≤ chunkOverlap < chunkSize (tokens). The indexer calls it before reading any file.
 * @throws InvalidParameterError naming the option and the value
 */
export function checkChunking(chunkSize: number, chunkOverlap: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidParameterError(`chunkSize must be an integer ≥ 1, got ${chunkSize}`);
  }
  if (!Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize) {
    throw new InvalidParameterError(
      `chunkOverlap must be an integer with 0 ≤ chunkOverlap < chunkSize (${chunkSize}), got ${chunkOverlap}`,
    );
  }
}

/**
 * Split `doc` into chunks (see the module comment for the rules).
 *
 * @param doc a loaded document; `headings` and `pages` are used when present
 * @param opts chunkSize ≥ 1 and 0 ≤ chunkOverlap < chunkSize, in tokens (`countTokens`)
 * @returns chunks in text order, ids `${doc.id}#${ordinal}`; `[]` when the text is only
 *   whitespace. Every chunk satisfies `chunk.text === doc.text.slice(chunk.startChar, chunk.endChar)`,
 *   holds at most chunkSize tokens, and starts and ends on non-whitespace. `startLine`/`endLine`
 *   are the 1-based lines of its first and last character (file lines through `doc.sourceLines`
 *   when given); `page` (PDFs) is the page of its first character; `locator` the paragraphs,
 *   slide, rows or chapter it spans when `doc.units` is given (slides and chapters also cut sections).
 * @throws InvalidParameterError when chunkSize or chunkOverlap is out of range
 */
export function chunkDocument(doc: Document, opts: ChunkOptions): Chunk[] {
  const { chunkSize, chunkOverlap } = opts;
  checkChunking(chunkSize, chunkOverlap);
  const text = doc.text;
  const spans: { start: number; end: number; headingPath: string[] }[] = [];

  if (opts.noChunk) {
    let s = 0;
    let e = text.length;
    while (s < e && isSpace(text.charCodeAt(s))) s++;
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
    if (e > s) spans.push({ start: s, end: e, headingPath: headingPathAt(doc, s) });
  } else {
    const { starts, ends } = tokenize(text);
    for (const sec of sections(doc)) {
      const t0 = lowerBound(starts, sec.start);
      const t1 = lowerBound(starts, sec.end);
      if (t1 <= t0) continue;
      for (const [a, b] of packSection(text, starts, ends, t0, t1, chunkSize, chunkOverlap)) {
        spans.push({ start: starts[a], end: ends[b - 1], headingPath: sec.headingPath.slice() });
      }
    }
  }

  // Line numbers: newline offsets once, then a binary search per chunk edge.
  const newlines: number[] = [];
  for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) newlines.push(k);
  const pages = doc.pages;
  const anchors = doc.sourceLines && doc.sourceLines.length > 0 ? doc.sourceLines : undefined;
  return spans.map((sp, ordinal) => {
    const chunk: Chunk = {
      id: `${doc.id}#${ordinal}`,
      docId: doc.id,
      ordinal,
      text: text.slice(sp.start, sp.end),
      headingPath: sp.headingPath,
      startChar: sp.start,
      endChar: sp.end,
      startLine: anchors ? lineAt(anchors, sp.start) : lowerBound(newlines, sp.start) + 1,
      endLine: anchors ? lineAt(anchors, sp.end - 1) : lowerBound(newlines, sp.end - 1) + 1,
    };
    if (pages && pages.length > 0) chunk.page = pageAt(pages, sp.start);
    const locator = locatorOf(doc.units, sp.start, sp.end);
    if (locator) chunk.locator = locator;
    return chunk;
  });
}

/** The 1-based page holding offset `at` (the next page when `at` is in a separator). */
function pageAt(pages: NonNullable<Document['pages']>, at: number): number {
  for (const p of pages) if (at < p.end) return p.page;
  return pages[pages.length - 1].page;
}

/** Heading path (outermost first) in force at offset `at`. */
function headingPathAt(doc: Document, at: number): string[] {
  const stack: { level: number; text: string }[] = [];
  const hs = (doc.headings ?? []).slice().sort((a, b) => a.start - b.start);
  for (const h of hs) {
    if (h.start > at) break;
    while (stack.length > 0 && stack[stack.length - 1].level >= h.level) stack.pop();
    stack.push(h);
  }
  return stack.map((h) => h.text);
}

/**
 * Chunks of the token range [t0, t1) as token ranges [a, b): recursive split into pieces of at
 * most chunkSize tokens, then greedy packing with overlap.
 */
function packSection(
  text: string,
  starts: number[],
  ends: number[],
  t0: number,
  t1: number,
  chunkSize: number,
  chunkOverlap: number,
): [number, number][] {
  if (t1 - t0 <= chunkSize) return [[t0, t1]];

  // Gap levels for this section: levels[t - t0] is the gap before token t (t0 < t < t1).
  const levels = new Uint8Array(t1 - t0);
  for (let t = t0 + 1; t < t1; t++) levels[t - t0] = gapLevel(text, starts, ends, t);

  // Pieces: boundaries (token indices) of consecutive ranges each ≤ chunkSize tokens.
  const cuts: number[] = [t0];
  const split = (a: number, b: number, level: number): void => {
    if (b - a <= chunkSize || level < GAP_CHAR) {
      cuts.push(b);
      return;
    }
    let from = a;
    for (let t = a + 1; t < b; t++) {
      if (levels[t - t0] >= level) {
        split(from, t, level - 1);
        from = t;
      }
    }
    split(from, b, level - 1);
  };
  split(t0, t1, GAP_PARAGRAPH);

  const out: [number, number][] = [];
  let i = 0; // index into cuts: the next piece is [cuts[i], cuts[i + 1])
  const numPieces = cuts.length - 1;
  while (i < numPieces) {
    const pieceStart = cuts[i];
    let overlap = 0;
    if (out.length > 0 && chunkOverlap > 0) {
      overlap = Math.min(chunkOverlap, chunkSize - (cuts[i + 1] - pieceStart));
    }
    const chunkStart = pieceStart - overlap;
    let j = i + 1;
    while (j < numPieces && cuts[j + 1] - chunkStart <= chunkSize) j++;
    out.push([chunkStart, cuts[j]]);
    i = j;
  }
  return out;
}
