/**
 * The questions of bench/qa-notes and how an answer to one is judged (`npm run eval:notes`).
 *
 * questions.jsonl: one JSON object per line —
 *   { "id": string, "question": string, "answer": string, "file": string, "line": number }
 *  - `file`: the document holding the answer, as a path relative to the repository root
 *    ("docs/guide/methods.ko.md", "bench/qa-notes/notes/backup-manual.md",
 *    "../shared/seeds/001_cf7f3f2cbdb8dd02.txt" — the shared seeds, skipped when absent);
 *  - `line`: where the answer is — the 1-based file line for .txt/.md/.html, the paragraph
 *    number (the `¶` of its citations, headings counted) for .docx;
 *  - `answer`: the short answer, written exactly as the document has it on that line (checked by
 *    the test over the real files).
 *
 * Verdicts of one answer (first citation only, as a reader reads it):
 *  - `refused`: no citation;
 *  - `wrong`: the first quote is from another file, does not reach `line`, or does not contain the answer;
 *  - `right span`: the quote is right and its marked short answer (`answerSpan`) is the answer
 *    (equal after normalisation: NFKC, lower case, whitespace collapsed, outer punctuation dropped);
 *  - `right sentence`: the quote is right, with no span or a span that is not the answer.
 * "Right sentence" in the totals counts both right verdicts. A span is `verbatim` when
 * `quote.slice(start, end)` lies inside the quote and the quote is a substring of its chunk.
 */

export interface NotesQuestion {
  id: string;
  question: string;
  answer: string;
  file: string;
  line: number;
}

export type Verdict = 'right span' | 'right sentence' | 'wrong' | 'refused';

/** What the judge reads of a citation: where it points and what it quotes. */
export interface JudgedCitation {
  source: string;
  startLine: number;
  endLine: number;
  locator?: { kind: string; start: number; end: number };
  quote: string;
  answerSpan?: { start: number; end: number };
}

/** NFKC, lower case, whitespace runs → one space, outer punctuation and quotes dropped. */
export function normalizeAnswer(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^[\s"'“”‘’`.,;:()[\]]+|[\s"'“”‘’`.,;:()[\]]+$/g, '');
}

/** Whether the citation points at the question's file and covers its line (paragraph for DOCX). */
export function pointsAt(c: JudgedCitation, q: NotesQuestion): boolean {
  if (c.source !== q.file) return false;
  if (q.file.toLowerCase().endsWith('.docx')) return c.locator !== undefined && c.locator.start <= q.line && q.line <= c.locator.end;
  return c.startLine <= q.line && q.line <= c.endLine;
}

/** The verdict of the first citation of an answer; see the module comment. */
export function judge(q: NotesQuestion, citations: readonly JudgedCitation[]): Verdict {
  const c = citations[0];
  if (!c) return 'refused';
  const answer = normalizeAnswer(q.answer);
  if (!pointsAt(c, q) || !normalizeAnswer(c.quote).includes(answer)) return 'wrong';
  if (c.answerSpan && normalizeAnswer(c.quote.slice(c.answerSpan.start, c.answerSpan.end)) === answer) return 'right span';
  return 'right sentence';
}

/** Whether every citation's span lies inside its quote (offsets 0 ≤ start < end ≤ quote length). */
export function spansVerbatim(citations: readonly JudgedCitation[]): boolean {
  return citations.every((c) => !c.answerSpan || (0 <= c.answerSpan.start && c.answerSpan.start < c.answerSpan.end && c.answerSpan.end <= c.quote.length));
}

/**
 * Parses questions.jsonl text. Throws an Error naming `file:line` and the field for a malformed
 * line: not JSON, a missing or empty string field, a non-positive integer `line`, a duplicate id.
 */
export function parseQuestions(text: string, file = 'questions.jsonl'): NotesQuestion[] {
  const out: NotesQuestion[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`, { cause: e });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected a JSON object`);
    const o = v as Record<string, unknown>;
    for (const f of ['id', 'question', 'answer', 'file'] as const) {
      if (typeof o[f] !== 'string' || (o[f] as string).trim() === '') throw new Error(`${where}: field "${f}" must be a non-empty string`);
    }
    if (typeof o.line !== 'number' || !Number.isInteger(o.line) || o.line < 1) throw new Error(`${where}: field "line" must be an integer ≥ 1`);
    const id = o.id as string;
    if (ids.has(id)) throw new Error(`${where}: duplicate id "${id}"`);
    ids.add(id);
    out.push({ id, question: o.question as string, answer: o.answer as string, file: o.file as string, line: o.line });
  });
  return out;
}
