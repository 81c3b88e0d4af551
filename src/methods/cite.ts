/**
 * Passages in method prompts, and citations out of method answers.
 *
 * Passages are shown numbered, `[n] (Title: t) text`, n = 1-based position in the hit list
 * (the marker the model is asked to cite with). Marker grammar, the removal of markers that
 * point at no passage and the choice of the quote are those of `src/generate/citations.ts`
 * (`checkCitations`), so a method's answer is checked exactly like the LLM answer of `ask`.
 * What methods add: their answers are often a bare span ("Paris"), so when the answer carries
 * no marker at all but its text occurs in a passage, that passage is cited and `[n]` appended —
 * the passage contains the answer, so the citation is checkable.
 */
import type { Citation, Hit } from '../core/types.js';
import { checkCitations, parseMarkers } from '../generate/citations.js';

/** One passage as `(Title: t) text` (no title part when the hit has none), text trimmed. */
export function formatPassage(hit: Hit): string {
  return `${hit.title ? `(Title: ${hit.title}) ` : ''}${hit.text.trim()}`;
}

/** `[1] (Title: t) text` blocks separated by blank lines. */
export function formatPassages(hits: readonly Hit[]): string {
  return hits.map((h, i) => `[${i + 1}] ${formatPassage(h)}`).join('\n\n');
}

/**
 * Citations for a method's `answer` over `hits` (marker n ↔ hits[n − 1]).
 * @returns the answer with markers that point past the list removed (and with `[n]` appended
 *   when a marker was inferred), its citations in order of first appearance, and the distinct
 *   removed marker numbers in `invalidCitations`
 */
export function citeAnswer(answer: string, hits: readonly Hit[]): { answer: string; citations: Citation[]; invalidCitations: number[] } {
  if (parseMarkers(answer).length === 0) {
    const bare = answer.trim().replace(/[.。]$/, '').toLowerCase();
    const i = bare.length >= 2 ? hits.findIndex((h) => h.text.toLowerCase().includes(bare)) : -1;
    if (i >= 0) answer = `${answer.trim()} [${i + 1}]`;
  }
  return checkCitations(answer, hits);
}
