/**
 * Rule-based sentence segmentation for English and Korean prose, with offsets.
 *
 * A sentence ends at `.`, `?`, `!`, `。`, `？`, `！`, or `…` followed by whitespace or the end
 * of text (closing quotes and brackets stay with the sentence), except after common
 * abbreviations ("e.g.", "i.e.", "et al.", "Dr.", "vs.", "Fig."), single-letter initials and
 * between digits ("3.14"). A blank line always ends a sentence; a single newline ends one
 * unless the next line continues wrapped prose (starts with a lowercase Latin letter, or
 * the line before ends with a comma, hyphen or open bracket).
 */

/** A sentence's span in the source text: `text.slice(start, end)` is the sentence, trimmed. */
export interface SentenceSpan {
  start: number;
  end: number;
}

const ABBREVIATIONS = new Set([
  'e.g', 'i.e', 'etc', 'al', 'vs', 'cf', 'fig', 'figs', 'eq', 'eqs', 'dr', 'mr', 'mrs', 'ms', 'prof', 'no', 'vol',
  'pp', 'sec', 'approx', 'inc', 'ltd', 'co', 'jr', 'sr', 'st', 'u.s', 'u.k',
]);

/** A line that starts a list item, heading, quote or table row begins a new sentence. */
const LIST_OR_BLOCK = /^([-*+•·>|#]\s|\d+[.)]\s)/;

const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '」', '』', '》', '〉']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u3000' || c === '\u00a0';
}

/** The word (letters and dots) that ends just before offset `i` (the terminal period). */
function wordBefore(text: string, i: number): string {
  let s = i;
  while (s > 0 && /[\p{L}.]/u.test(text[s - 1])) s--;
  return text.slice(s, i).toLowerCase();
}

function isAbbreviation(text: string, dot: number): boolean {
  const w = wordBefore(text, dot);
  if (w.length === 0) return false;
  if (ABBREVIATIONS.has(w)) return true;
  // A single Latin letter initial ("J. Smith"), but not a Korean syllable.
  return /^[a-z]$/i.test(w) && /[A-Z]/.test(text[dot - 1]);
}

/** Splits `text` into trimmed sentence spans, in order; empty input → []. */
export function splitSentences(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  let start = 0;
  const push = (end: number) => {
    let s = start;
    let e = end;
    while (s < e && isSpace(text[s])) s++;
    while (e > s && isSpace(text[e - 1])) e--;
    if (e > s) spans.push({ start: s, end: e });
    start = end;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (c === '\n') {
      // Blank line, or a line break that is not wrapped prose.
      let j = i + 1;
      while (j < n && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r')) j++;
      const blank = j < n && text[j] === '\n';
      const prev = lastNonSpace(text, start, i);
      const next = text[j] ?? '';
      const startsBlock = LIST_OR_BLOCK.test(text.slice(j, j + 4));
      const wrapped =
        !blank &&
        j < n &&
        !startsBlock &&
        (/[a-z`]/.test(next) || (prev !== '' && /[,\-–([]/.test(prev)) || (/[A-Za-z0-9`)]/.test(prev) && /[A-Za-z0-9"'(]/.test(next)));
      if (!wrapped) push(i + 1);
      continue;
    }
    if (c === '.' || c === '?' || c === '!' || c === '。' || c === '？' || c === '！' || c === '…') {
      let e = i + 1;
      while (e < n && (text[e] === '.' || text[e] === '?' || text[e] === '!' || CLOSERS.has(text[e]))) e++;
      if (e < n && !isSpace(text[e])) continue; // "3.14", "example.com", "U.S.A."
      if (c === '.' && (isAbbreviation(text, i) || isListNumber(text, i))) continue;
      push(e);
      i = e - 1;
    }
  }
  push(n);
  return spans;
}

/** The "1." of an ordered list item: only digits between the line start and the period. */
function isListNumber(text: string, dot: number): boolean {
  let k = dot - 1;
  while (k >= 0 && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k--;
  if (k === dot - 1) return false;
  while (k >= 0 && (text[k] === ' ' || text[k] === '\t')) k--;
  return k < 0 || text[k] === '\n';
}

function lastNonSpace(text: string, from: number, to: number): string {
  for (let k = to - 1; k >= from; k--) if (!isSpace(text[k])) return text[k];
  return '';
}
