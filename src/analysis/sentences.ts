/**
 * The one sentence and block splitter of openbook: English and Korean prose, Markdown/HTML-derived
 * plain text, with offsets. Used by the extractive answerer, citation checking and the chunker's
 * abbreviation rule.
 *
 * Blocks (line-level structure, decided first):
 *  - a blank line ends a paragraph;
 *  - a heading line (`# …` ATX, or a line underlined by `===`/`---`) is a `heading` segment, and so
 *    is a plain-text title line: the short (≤ 30 characters, ≤ 4 words) unpunctuated first line of
 *    a paragraph whose next line does not continue it ("✔️ 발전과정");
 *  - a document's first line, alone in its paragraph, short (≤ 40 characters, ≤ 6 words) and
 *    unpunctuated, is its title (`heading`); so is a short numbered line ("3. 장애 대응 당번", ≤ 30
 *    characters after the number) with an unnumbered prose line under it;
 *  - a list item (`- `, `* `, `+ `, `• `, `· `, `1. `, `1) `) is an `item` segment; its wrapped or
 *    indented continuation lines stay with it;
 *  - a fenced code block (``` or ~~~ up to the closing fence) is one `code` segment, and so is a
 *    leading YAML front-matter block (`---`, `key: value` lines, `---`);
 *  - a table row (a line starting with `|`) is a `table` segment;
 *  - a block quote line (`> `) starts a new sentence.
 *
 * Sentences inside a paragraph: a sentence ends at `.`, `?`, `!`, `。`, `？`, `！` or `…` followed
 * by whitespace or the end of the text (closing quotes and brackets stay with the sentence), except
 * after an abbreviation (`ABBREVIATIONS`: "e.g.", "i.e.", "etc.", "vs.", "Fig.", "No." …), a single
 * capital initial ("J. Smith"), between digits ("3.14"), before a lower-case word after an initialism
 * or an ellipsis ("11:40 a.m. and 12 p.m. where …"; rule SB8 of UAX #29), or after a dotted initialism before a number ("[O.S. 28
 * June]"). A Korean terminal ending followed by a
 * period ends a sentence even without a following space ("했다.그리고").
 *
 * Line breaks inside a paragraph (hard wrapping), for every script: a single newline joins the two
 * lines into one sentence when the line before does not end a sentence and either the next line
 * starts with a lowercase Latin letter, the line before ends with a comma, hyphen, open bracket or an
 * operator/separator (`/ + = & | → ·`),
 * the line before ends and the next starts with a Latin letter or digit (wrapped English),
 * or the line before is a wrapped line — at least 70% as wide as the widest line of its paragraph,
 * which is at least 40 columns wide (`displayWidth`: Hangul, Han and Kana count two columns, as in
 * the editor that wrapped them; hard-wrapped text fills its lines, a note's short title line does not). A line ending in a
 * Korean terminal ending without punctuation ("…합니다", "…했다") or in ":" ends there.
 */

/** A sentence's span in the source text: `text.slice(start, end)` is the sentence, trimmed. */
export interface SentenceSpan {
  start: number;
  end: number;
}

/** What a segment is: prose sentence, heading, list item, fenced code block or table row. */
export type SegmentKind = 'sentence' | 'heading' | 'item' | 'code' | 'table';

/** One segment (a sentence or a block line) with its kind and its paragraph number (0-based). */
export interface Segment extends SentenceSpan {
  kind: SegmentKind;
  paragraph: number;
}

/** Lower-cased words (without the final period) after which a period does not end a sentence; shared with the chunker. */
export const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'e.g', 'i.e', 'etc', 'al', 'vs', 'cf', 'fig', 'figs', 'eq', 'eqs', 'dr', 'mr', 'mrs', 'ms', 'prof', 'no', 'nos', 'vol',
  'pp', 'sec', 'approx', 'inc', 'ltd', 'co', 'corp', 'jr', 'sr', 'st', 'u.s', 'u.k', 'ca', 'ref', 'refs', 'resp', 'viz',
  'ie', 'eg',
]);

const HEADING_LINE = /^#{1,6}(\s|$)/;
const SETEXT_UNDERLINE = /^(=+|-{2,})\s*$/;
const ITEM_LINE = /^([-*+•·]\s|\d{1,3}[.)]\s)/;
const FENCE = /^(```|~~~)/;
const TABLE_LINE = /^\|/;
const QUOTE_LINE = /^>\s?/;
/** Korean terminal endings that close a sentence at a line end even without punctuation. */
const KOREAN_TERMINAL = /(니다|니까|[어아여해]요|예요|에요|지요|죠|[했한였았었겠된있없]다|이다|까)$/;
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '」', '』', '》', '〉', '»', '）']);
const TERMINALS = new Set(['.', '?', '!', '。', '？', '！', '…']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u3000' || c === '\u00a0';
}

/** The word (letters and dots) that ends just before offset `i` (the terminal period). */
function wordBefore(text: string, i: number): string {
  let s = i;
  while (s > 0 && /[\p{L}.]/u.test(text[s - 1])) s--;
  return text.slice(s, i).toLowerCase();
}

/** Does the period at `dot` belong to an abbreviation or an initial rather than end a sentence? */
export function isAbbreviation(text: string, dot: number): boolean {
  const w = wordBefore(text, dot);
  if (w.length === 0) return false;
  if (ABBREVIATIONS.has(w)) return true;
  // A single Latin capital initial ("J. Smith"), but not a Korean syllable.
  return /^[a-z]$/i.test(w) && /[A-Z]/.test(text[dot - 1]);
}

interface Line {
  start: number;
  /** End of content (before `\n`, trailing spaces trimmed). */
  end: number;
  /** Content start (leading spaces skipped). */
  contentStart: number;
  text: string;
  indent: number;
}

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let s = 0;
  const n = text.length;
  while (s <= n) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = n;
    let cs = s;
    while (cs < e && isSpace(text[cs])) cs++;
    let ce = e;
    while (ce > cs && isSpace(text[ce - 1])) ce--;
    out.push({ start: s, end: ce, contentStart: cs, text: text.slice(cs, ce), indent: cs - s });
    if (e === n) break;
    s = e + 1;
  }
  return out;
}

/** Splits `text` into typed segments (sentences and block lines), in order; see the module comment. */
export function segmentText(text: string): Segment[] {
  const out: Segment[] = [];
  const lines = linesOf(text);
  let paragraph = 0;
  let i = 0;
  const push = (start: number, end: number, kind: SegmentKind) => {
    while (start < end && isSpace(text[start])) start++;
    while (end > start && isSpace(text[end - 1])) end--;
    if (end > start) out.push({ start, end, kind, paragraph });
  };
  // YAML front matter (`---` first line, `key: value` lines, closing `---` or `...`) is metadata, not prose.
  if (lines.length > 2 && lines[0].text === '---' && /^[\w-]+:/.test(lines[1].text)) {
    let j = 1;
    while (j < lines.length && lines[j].text !== '---' && lines[j].text !== '...') j++;
    if (j < lines.length) {
      push(lines[0].contentStart, lines[j].end, 'code');
      i = j + 1;
      paragraph++;
    }
  }
  while (i < lines.length) {
    const L = lines[i];
    if (L.text === '') {
      paragraph++;
      i++;
      continue;
    }
    if (FENCE.test(L.text)) {
      const fence = L.text.slice(0, 3);
      let j = i + 1;
      while (j < lines.length && !lines[j].text.startsWith(fence)) j++;
      const last = lines[Math.min(j, lines.length - 1)];
      push(L.contentStart, last.end, 'code');
      i = j + 1;
      paragraph++;
      continue;
    }
    if (HEADING_LINE.test(L.text)) {
      push(L.contentStart, L.end, 'heading');
      i++;
      continue;
    }
    if (i + 1 < lines.length && lines[i + 1].text !== '' && SETEXT_UNDERLINE.test(lines[i + 1].text) && !ITEM_LINE.test(L.text)) {
      push(L.contentStart, lines[i + 1].end, 'heading');
      i += 2;
      continue;
    }
    if (TABLE_LINE.test(L.text)) {
      push(L.contentStart, L.end, 'table');
      i++;
      continue;
    }
    // A plain-text note's title line ("✔️ 발전과정", "Meeting notes"): the first line of a paragraph,
    // short (≤ 30 characters, ≤ 4 words), not ending a sentence or introducing a list, and followed
    // by a line of the same paragraph that does not continue it.
    const item = ITEM_LINE.test(L.text);
    const firstOfParagraph = i === 0 || lines[i - 1].text === '';
    const nextText = i + 1 < lines.length ? lines[i + 1].text : '';
    // A document's title: its first line, alone in its paragraph, short and unpunctuated ("Platform standup, 2 October 2026").
    const firstLine = lines.slice(0, i).every((x) => x.text === '');
    if (firstLine && nextText === '' && i + 1 < lines.length && isTitle(L.text, 40, 6)) {
      push(L.contentStart, L.end, 'heading');
      i++;
      continue;
    }
    // A numbered section title ("3. 장애 대응 당번") over a prose line: short, unpunctuated, the next line not an item.
    if (/^\d{1,3}[.)]\s/.test(L.text) && nextText !== '' && !ITEM_LINE.test(nextText) && !HEADING_LINE.test(nextText) && lines[i + 1].indent === 0 && isTitle(L.text.replace(/^\d{1,3}[.)]\s+/, ''), 30, 5)) {
      push(L.contentStart, L.end, 'heading');
      i++;
      continue;
    }
    if (
      firstOfParagraph &&
      !item &&
      i + 1 < lines.length &&
      lines[i + 1].text !== '' &&
      [...L.text].length <= 30 &&
      L.text.split(/\s+/).length <= 4 &&
      !endsSentenceText(L.text) &&
      !/[:,;]$/.test(L.text) &&
      !QUOTE_LINE.test(L.text) &&
      !isWrapped(lines, i, i + 1)
    ) {
      push(L.contentStart, L.end, 'heading');
      i++;
      continue;
    }
    // A run of prose lines (or one list item with its continuation lines) up to the next block.
    let j = i + 1;
    while (j < lines.length) {
      const M = lines[j];
      if (M.text === '' || FENCE.test(M.text) || HEADING_LINE.test(M.text) || TABLE_LINE.test(M.text) || ITEM_LINE.test(M.text) || QUOTE_LINE.test(M.text)) break;
      if (j + 1 < lines.length && SETEXT_UNDERLINE.test(lines[j + 1].text) && lines[j + 1].text !== '') break;
      if (item && M.indent === 0 && !(/^[a-z`]/.test(M.text) || /[,\-–([]$/.test(lines[j - 1].text))) break;
      j++;
    }
    splitProse(text, lines, i, j, item ? 'item' : 'sentence', push);
    i = j;
  }
  return out;
}

/** A short (≤ maxChars characters, ≤ maxWords words) line that does not end a sentence or introduce what follows. */
function isTitle(t: string, maxChars: number, maxWords: number): boolean {
  return [...t].length <= maxChars && t.split(/\s+/).length <= maxWords && !endsSentenceText(t) && !/[:;,]$/.test(t) && !QUOTE_LINE.test(t) && !KOREAN_TERMINAL.test(t);
}

/** Is the break between line j-1 and line j a hard wrap inside one sentence? */
function isWrapped(lines: Line[], from: number, j: number): boolean {
  const A = lines[j - 1].text;
  const B = lines[j].text;
  if (endsSentenceText(A)) return false;
  if (A.endsWith(':')) return false;
  if (/^[a-z`]/.test(B)) return true;
  if (/[,\-–([/+=&|→·]$/.test(A)) return true; // a line ending in a comma, operator or separator continues
  if (KOREAN_TERMINAL.test(A)) return false;
  if (/[A-Za-z0-9`)*_]$/.test(A) && /^[A-Za-z0-9"'(*_`[]/.test(B)) return true; // wrapped English prose (also into **bold**, `code`, [links])
  if (/\b(the|a|an|of|and|or|to|in|for|with|by|from)$/i.test(A)) return true; // a line ending in a function word continues
  let max = 0;
  for (let k = from; k < lines.length && lines[k].text !== ''; k++) max = Math.max(max, displayWidth(lines[k].text));
  return displayWidth(A) >= 0.7 * max && max >= 40;
}

/** East Asian wide characters (Hangul, Han, Kana, full-width forms): two columns of a hard-wrapped line. */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Columns a line fills in a monospaced editor, where hard wrapping happens: wide characters count 2. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const c of s) w += WIDE.test(c) ? 2 : 1;
  return w;
}

/** Does a line end with sentence-final punctuation (not an abbreviation)? */
function endsSentenceText(s: string): boolean {
  let k = s.length - 1;
  while (k > 0 && CLOSERS.has(s[k])) k--;
  if (!TERMINALS.has(s[k])) return false;
  return !(s[k] === '.' && isAbbreviation(s, k));
}

/**
 * Whether the sentence goes on after the period at `dot` (its closers end at `e`, the run at `e0`):
 * the period ends a dotted initialism or is part of an ellipsis and the next word, past spaces,
 * starts with a lower-case letter ("11:40 a.m. and 12 p.m. where …", "Kenya ... reached"; Unicode's
 * sentence-boundary rule SB8, UAX #29, which we keep to these two cases: after a plain word a
 * lower-case start is more often a new sentence about an identifier, "Run it. npm test …"), or
 * the period ends a dotted initialism and a number follows ("[O.S. 28 June] 1856"). Before a capital a period still ends
 * the sentence ("… the E.U. The result …"), and so does a word's period before a number.
 */
function continuesAfterPeriod(text: string, dot: number, e: number, e0: number): boolean {
  if (dot > 0 && /[\uac00-\ud7a3]/.test(text[dot - 1])) return false; // a Korean ending's period ends its sentence ("…구축한다.\nkNN-LM에서는")
  let k = e;
  while (k < e0 && isSpace(text[k])) k++;
  if (k >= e0) return false;
  const initialism = /^(?:\p{L}\.)+\p{L}$/u.test(wordBefore(text, dot));
  // Only after an initialism or inside an ellipsis: "cat dog [1]. cat …" stays two sentences.
  const ellipsis = text[dot] === '…' || text[dot + 1] === '.' || text[dot - 1] === '.';
  if (!initialism && !ellipsis) return false;
  // Across a line break only after an initialism: a line ending in a period ends its sentence.
  if (!initialism && text.slice(e, k).includes('\n')) return false;
  if (/\p{Ll}/u.test(text[k])) return true;
  return /\d/.test(text[k]) && initialism;
}

/** Sentences of lines [from, to): one run of prose lines, or one list item with its continuation. */
function splitProse(text: string, lines: Line[], from: number, to: number, kind: SegmentKind, push: (s: number, e: number, k: SegmentKind) => void): void {
  // Hard line boundaries: a break that is not a wrap ends the sentence there.
  const cuts = new Set<number>();
  for (let j = from + 1; j < to; j++) if (kind === 'sentence' && !isWrapped(lines, from, j)) cuts.add(lines[j].start);
  const s0 = lines[from].contentStart;
  const e0 = lines[to - 1].end;
  if (kind === 'item') {
    push(s0, e0, 'item');
    return;
  }
  let start = s0;
  for (let i = s0; i < e0; i++) {
    if (cuts.has(i)) {
      push(start, i, kind);
      start = i;
    }
    const c = text[i];
    if (!TERMINALS.has(c)) continue;
    let e = i + 1;
    while (e < e0 && (TERMINALS.has(text[e]) || CLOSERS.has(text[e]))) e++;
    const korean = c === '.' && i > 0 && /[다요까죠]/.test(text[i - 1]) && e < e0 && /[\uac00-\ud7a3]/.test(text[e]);
    if (e < e0 && !isSpace(text[e]) && !korean && c !== '。' && c !== '？' && c !== '！') continue; // "3.14", "example.com"
    if (c === '.' && isAbbreviation(text, i)) continue;
    if ((c === '.' || c === '…') && continuesAfterPeriod(text, i, e, e0)) continue;
    push(start, e, kind);
    start = e;
    i = e - 1;
  }
  push(start, e0, kind);
}

/** Splits `text` into trimmed sentence spans (every segment, of any kind), in order; empty input → []. */
export function splitSentences(text: string): SentenceSpan[] {
  return segmentText(text).map(({ start, end }) => ({ start, end }));
}
