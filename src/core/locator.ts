/**
 * Addresses inside a document that are not lines of `Document.text`: the `Locator` of a span
 * from the document's `UnitSpan`s, and the file line of a text offset from its `LineAnchor`s.
 * Pure functions of the stored spans, so the embedded and the PostgreSQL stores derive the same
 * locator for a chunk at read time without storing it per chunk.
 */
import type { LineAnchor, Locator, UnitSpan } from './types.js';

/** Index of the last element with `start ≤ at` in spans sorted by start (−1 when none). */
function lastAtOrBefore(spans: readonly { start: number }[], at: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid].start <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * The locator of text `[startChar, endChar)`: the first and last unit it overlaps (units sorted
 * by `start`, not overlapping). A span that overlaps no unit (a heading line between units)
 * takes the next unit after it, else the last one before it; undefined when there are no units.
 * Rows of different sheets give the first row's sheet and the label names both ends.
 */
export function locatorOf(units: readonly UnitSpan[] | undefined, startChar: number, endChar: number): Locator | undefined {
  if (!units || units.length === 0) return undefined;
  let first = lastAtOrBefore(units, startChar);
  if (first < 0 || units[first].end <= startChar) first++;
  if (first >= units.length) first = units.length - 1;
  let last = lastAtOrBefore(units, Math.max(startChar, endChar - 1));
  if (last < first) last = first;
  const a = units[first];
  const b = units[last];
  const loc: Locator = { kind: a.kind, start: a.n, end: b.kind === a.kind ? b.n : a.n, label: '' };
  if (a.sheet !== undefined) loc.sheet = a.sheet;
  loc.label = locatorLabel(loc, b.sheet);
  return loc;
}

/** "¶ 3", "¶ 3–5", "slide 2", "slides 2–4", "Prices!4", "Prices!4:6", "chapter 3", "chapters 3–4". */
export function locatorLabel(loc: Omit<Locator, 'label'>, endSheet?: string): string {
  const range = loc.start === loc.end ? `${loc.start}` : `${loc.start}–${loc.end}`;
  switch (loc.kind) {
    case 'paragraph':
      return `¶ ${range}`;
    case 'slide':
      return loc.start === loc.end ? `slide ${range}` : `slides ${range}`;
    case 'chapter':
      return loc.start === loc.end ? `chapter ${range}` : `chapters ${range}`;
    case 'row': {
      const sheet = loc.sheet ?? '';
      if (endSheet !== undefined && endSheet !== sheet) return `${sheet}!${loc.start}…${endSheet}`;
      return loc.start === loc.end ? `${sheet}!${loc.start}` : `${sheet}!${loc.start}:${loc.end}`;
    }
  }
}

/** The file line of text offset `at` given anchors sorted by `start` (1 when before the first). */
export function lineAt(anchors: readonly LineAnchor[], at: number): number {
  const i = lastAtOrBefore(anchors, at);
  return i < 0 ? 1 : anchors[i].line;
}
