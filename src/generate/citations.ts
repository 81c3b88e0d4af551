/**
 * Citation markers in a model's answer: parse, check against the passages, clean, and turn
 * into `Citation`s whose quote is verbatim text of the cited chunk.
 *
 * Markers: `[n]`, `[n, m, …]` (commas, optional spaces) and runs like `[1][3]`; n is the
 * 1-based position of the passage in the prompt (= `hits[n − 1]`). A number with no passage
 * (0, or > hits.length) is removed from the answer and reported in `invalidCitations`; a
 * marker left empty disappears with the space before it. Other brackets (`[a]`, `[1.5]`,
 * `[see 2]`) are text, not markers.
 *
 * Quote choice: for citation n, the claims are the answer sentences that carry a marker
 * naming n (markers removed). Each sentence of the chunk (`splitSentences`) gets the Dice
 * coefficient 2·|S ∩ C| / (|S| + |C|) between its feature set S and the claims' set C, where
 * features are lower-cased words plus character bigrams inside each word (so Korean words
 * with different particles still overlap). The best sentence wins (the earliest on ties);
 * `quote = chunk.text.slice(start, end)`, so it is verbatim by construction.
 */
import { splitSentences } from '../analysis/sentences.js';
import type { Citation, Hit } from '../core/types.js';

/** One marker as written: `[1, 3]` at [start, end) with numbers [1, 3]. */
export interface MarkerOccurrence {
  start: number;
  end: number;
  numbers: number[];
}

const MARKER = /\[\s*(\d{1,4}(?:\s*,\s*\d{1,4})*)\s*\]/g;

/** A marker with the white space before it, for removing every marker from a text. */
const MARKER_WITH_SPACE = new RegExp(String.raw`\s*${MARKER.source}`, 'g');

/** Every marker in `text`, in order. */
export function parseMarkers(text: string): MarkerOccurrence[] {
  return [...text.matchAll(MARKER)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    numbers: m[1].split(',').map((s) => Number.parseInt(s.trim(), 10)),
  }));
}

export interface CheckedAnswer {
  /** The answer with invalid numbers removed from its markers. */
  answer: string;
  /** One per distinct valid number, in order of first appearance. */
  citations: Citation[];
  /** Distinct numbers that pointed at no passage, in order of first appearance. */
  invalidCitations: number[];
}

/**
 * Checks an answer's markers against `hits` and builds its citations.
 * @param answer model output
 * @param hits the passages as numbered in the prompt (marker n ↔ hits[n − 1])
 */
export function checkCitations(answer: string, hits: readonly Hit[]): CheckedAnswer {
  const { answer: cleaned, invalid } = removeInvalidMarkers(answer, hits.length);

  // Claims per passage number, from the cleaned answer.
  const claims = new Map<number, string[]>();
  const order: number[] = [];
  const spans = splitSentences(cleaned);
  for (const occ of parseMarkers(cleaned)) {
    let i = spans.findIndex((s) => occ.start >= s.start && occ.start < s.end);
    let claim = i >= 0 ? cleaned.slice(spans[i].start, spans[i].end).replace(MARKER, ' ') : cleaned.replace(MARKER, ' ');
    // A marker standing after the full stop ("Paris is the capital. [1]") cites the sentence before it.
    while (i > 0 && features(claim).size === 0) {
      i--;
      claim = cleaned.slice(spans[i].start, spans[i].end).replace(MARKER, ' ');
    }
    for (const n of occ.numbers) {
      if (!claims.has(n)) {
        claims.set(n, []);
        order.push(n);
      }
      claims.get(n)!.push(claim);
    }
  }
  const citations = order.map((n) => toCitation(n, hits[n - 1], claims.get(n)!.join(' ')));
  return { answer: cleaned, citations, invalidCitations: invalid };
}

/**
 * Removes marker numbers outside 1..numPassages: `[1, 9]` → `[1]`; a marker left empty goes
 * with the spaces and tabs before it (`"big [9]."` → `"big."`).
 * @returns the cleaned text and the distinct invalid numbers in order of first appearance
 */
export function removeInvalidMarkers(text: string, numPassages: number): { answer: string; invalid: number[] } {
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= numPassages;
  const invalid: number[] = [];
  let cleaned = '';
  let last = 0;
  for (const occ of parseMarkers(text)) {
    const keep = [...new Set(occ.numbers.filter(valid))];
    for (const n of occ.numbers) if (!valid(n) && !invalid.includes(n)) invalid.push(n);
    if (keep.length === occ.numbers.length) continue;
    let cutFrom = occ.start;
    if (keep.length === 0) {
      while (cutFrom > last && (text[cutFrom - 1] === ' ' || text[cutFrom - 1] === '\t')) cutFrom--;
    }
    cleaned += text.slice(last, cutFrom) + (keep.length > 0 ? `[${keep.join(', ')}]` : '');
    last = occ.end;
  }
  return { answer: cleaned + text.slice(last), invalid };
}

/**
 * The text with every marker (valid or not) and the white space before it removed, trimmed:
 * an answer as a plain string for EM/F1 or for another prompt. `"Paris [1, 2]."` → `"Paris."`.
 */
export function stripMarkers(text: string): string {
  return text.replace(MARKER_WITH_SPACE, '').trim();
}

function toCitation(n: number, hit: Hit, claim: string): Citation {
  const { quote, quoteStart } = bestQuote(hit.text, claim);
  return {
    n,
    chunkId: hit.chunkId,
    docId: hit.docId,
    source: hit.source,
    title: hit.title,
    startLine: hit.startLine,
    endLine: hit.endLine,
    ...(hit.page !== undefined ? { page: hit.page } : {}),
    ...(hit.locator !== undefined ? { locator: hit.locator } : {}),
    quote,
    quoteStart,
  };
}

/** Lower-cased words and the character bigrams inside each word of two or more characters. */
export function features(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    out.add(w);
    const chars = [...w];
    for (let i = 0; i + 1 < chars.length; i++) out.add(`${chars[i]}${chars[i + 1]}`);
  }
  return out;
}

/** Dice coefficient 2·|A ∩ B| / (|A| + |B|), in [0, 1]; 0 when both are empty. */
export function dice(a: Set<string>, b: Set<string>): number {
  if (a.size + b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return (2 * inter) / (a.size + b.size);
}

/**
 * The chunk sentence that best supports `claim` (see the module comment), as a verbatim
 * substring with its offset. A chunk with no sentence yields its trimmed whole text.
 */
export function bestQuote(chunkText: string, claim: string): { quote: string; quoteStart: number; score: number } {
  const spans = splitSentences(chunkText);
  if (spans.length === 0) {
    const start = chunkText.length - chunkText.trimStart().length;
    return { quote: chunkText.trim(), quoteStart: start, score: 0 };
  }
  const c = features(claim);
  let best = spans[0];
  let bestScore = -1;
  for (const s of spans) {
    const score = dice(features(chunkText.slice(s.start, s.end)), c);
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return { quote: chunkText.slice(best.start, best.end), quoteStart: best.start, score: bestScore };
}

/** Text after the last `[` that could still grow into a marker (`[`, `[1`, `[1, 2,`, `[ 3 `). */
const PARTIAL_MARKER = /\[\s*(?:\d{1,4}(?:\s*,\s*\d{0,4})*\s*)?$/;

/**
 * Removes markers that point at no passage from a stream of text deltas, as they arrive, so a
 * terminal never shows `[7]` for a 5-passage prompt. It holds back only what could still turn
 * into an invalid marker: an unfinished `[…` and the spaces before it. The concatenated output
 * of `push`es and the final `flush` equals `checkCitations(fullText, hits).answer` for the same
 * text (the test checks this over random splits).
 */
export class MarkerStreamFilter {
  private pending = '';

  /** @param numPassages markers 1..numPassages are valid */
  constructor(private readonly numPassages: number) {}

  /** Feeds one delta; returns the text that is now safe to show (possibly empty). */
  push(delta: string): string {
    this.pending += delta;
    let hold = this.pending.length;
    const partial = PARTIAL_MARKER.exec(this.pending);
    if (partial) hold = partial.index;
    while (hold > 0 && (this.pending[hold - 1] === ' ' || this.pending[hold - 1] === '\t')) hold--;
    const ready = this.pending.slice(0, hold);
    this.pending = this.pending.slice(hold);
    return this.clean(ready);
  }

  /** Returns whatever is still held back, cleaned. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return this.clean(rest);
  }

  private clean(text: string): string {
    return text.includes('[') ? removeInvalidMarkers(text, this.numPassages).answer : text;
  }
}
