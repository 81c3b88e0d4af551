/**
 * Passages in prompts, and citations out of answers.
 *
 * Passages are shown numbered, `[n] (Title: t) text`, n = 1-based position in the hit list
 * (the marker the model is asked to cite with). `citeAnswer` turns the answer's `[n]` markers
 * (also `[1, 3]` and `[1][2]`) into `Citation`s; a marker with no passage behind it is dropped
 * and reported in `unknownMarkers`. When the answer carries no marker but its text occurs in a
 * passage, that passage is cited and the marker appended — the answer is a span the passage
 * contains, so the citation is checkable. The quote is always a verbatim substring of the chunk:
 * the sentence that contains the answer, else the sentence sharing the most words with it.
 */
import { splitSentences } from '../analysis/sentences.js';
import type { Citation, Hit } from '../core/types.js';

/** `[1] (Title: t) text` blocks separated by blank lines. */
export function formatPassages(hits: readonly Hit[]): string {
  return hits.map((h, i) => `[${i + 1}] ${h.title ? `(Title: ${h.title}) ` : ''}${h.text.trim()}`).join('\n\n');
}

/** The 1-based markers in `text`, in order of first appearance. */
export function parseMarkers(text: string): number[] {
  const seen: number[] = [];
  for (const m of text.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const part of m[1].split(',')) {
      const n = Number.parseInt(part.trim(), 10);
      if (!seen.includes(n)) seen.push(n);
    }
  }
  return seen;
}

const words = (s: string): string[] => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** The best quote of `hit` for `answer`: offsets into `hit.text`. */
export function pickQuote(hit: Hit, answer: string): { quote: string; quoteStart: number } {
  const spans = splitSentences(hit.text);
  if (spans.length === 0) return { quote: hit.text, quoteStart: 0 };
  const bare = answer.replace(/\[\d+(?:\s*,\s*\d+)*\]/g, '').trim().toLowerCase();
  const aw = new Set(words(bare));
  let best = spans[0];
  let bestScore = -1;
  for (const s of spans) {
    const sent = hit.text.slice(s.start, s.end);
    const contains = bare.length > 0 && sent.toLowerCase().includes(bare) ? 1000 : 0;
    const overlap = words(sent).filter((w) => aw.has(w)).length;
    if (contains + overlap > bestScore) {
      bestScore = contains + overlap;
      best = s;
    }
  }
  return { quote: hit.text.slice(best.start, best.end), quoteStart: best.start };
}

function citation(n: number, hit: Hit, answer: string): Citation {
  const q = pickQuote(hit, answer);
  return {
    n,
    chunkId: hit.chunkId,
    docId: hit.docId,
    source: hit.source,
    title: hit.title,
    startLine: hit.startLine,
    endLine: hit.endLine,
    ...(hit.page !== undefined ? { page: hit.page } : {}),
    quote: q.quote,
    quoteStart: q.quoteStart,
  };
}

/**
 * Citations for `answer` over `hits` (marker n ↔ hits[n − 1]).
 * @returns the answer (with a marker appended when one was inferred), its citations in marker
 *   order, and markers that point past the list
 */
export function citeAnswer(answer: string, hits: readonly Hit[]): { answer: string; citations: Citation[]; unknownMarkers: number[] } {
  const markers = parseMarkers(answer);
  const citations: Citation[] = [];
  const unknownMarkers: number[] = [];
  for (const n of markers) {
    if (n >= 1 && n <= hits.length) citations.push(citation(n, hits[n - 1], answer));
    else unknownMarkers.push(n);
  }
  if (markers.length === 0) {
    const bare = answer.trim().replace(/[.。]$/, '').toLowerCase();
    const i = bare.length >= 2 ? hits.findIndex((h) => h.text.toLowerCase().includes(bare)) : -1;
    if (i >= 0) return { answer: `${answer.trim()} [${i + 1}]`, citations: [citation(i + 1, hits[i], answer)], unknownMarkers };
  }
  return { answer, citations, unknownMarkers };
}

/** Removes `[n]` markers (for scoring an answer as a string). */
export function stripMarkers(answer: string): string {
  return answer.replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '').trim();
}
