/**
 * Example questions for the web page's empty state, drawn from the index: "What is <title>?"
 * for a Latin-script document title, "<title>이란/란 무엇인가요?" for a Korean one (이란 after a
 * final consonant, 란 after a vowel). Titles that look like file names or run long are left out.
 */
import type { DocumentRecord } from '../index/store/format.js';

/** At most this many examples. */
export const MAX_EXAMPLES = 4;
/** Titles longer than this (in characters) make poor questions and are skipped. */
const MAX_TITLE_CHARS = 48;

/** Whether a Hangul syllable ends in a final consonant (받침). */
function hasFinalConsonant(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code >= 0xac00 && code <= 0xd7a3 && (code - 0xac00) % 28 !== 0;
}

/** The example question for one title, or undefined when the title does not make one. */
export function exampleQuestion(rawTitle: string): string | undefined {
  const title = rawTitle.trim().replace(/\s+/g, ' ');
  if (title.length < 2 || title.length > MAX_TITLE_CHARS) return undefined;
  if (/\.[A-Za-z0-9]{1,5}$/.test(title) || /[/\\#?]/.test(title)) return undefined; // a file name, a path or a question already
  if (/[\uac00-\ud7a3]/.test(title)) {
    const last = title.at(-1)!;
    if (!/[\uac00-\ud7a3]/.test(last)) return `${title}은(는) 무엇인가요?`;
    return `${title}${hasFinalConsonant(last) ? '이란' : '란'} 무엇인가요?`;
  }
  if (!/^[\p{Script=Latin}\d]/u.test(title)) return undefined;
  // "Retrieval evaluation" → "retrieval evaluation"; acronyms and names in capitals stay ("BM25").
  const lead = /^\p{Lu}\p{Ll}/u.test(title) && title.includes(' ') ? title[0].toLowerCase() + title.slice(1) : title;
  return `What is ${lead}?`;
}

/**
 * Up to {@link MAX_EXAMPLES} distinct questions from the titles of `documents`, spread over the
 * index (every n-th document) so one large folder does not supply them all.
 */
export function exampleQuestions(documents: readonly Pick<DocumentRecord, 'title'>[]): string[] {
  const out: string[] = [];
  const step = Math.max(1, Math.floor(documents.length / (MAX_EXAMPLES * 4)));
  for (let pass = 0; pass < 2 && out.length < MAX_EXAMPLES; pass++) {
    for (let i = pass === 0 ? 0 : 1; i < documents.length && out.length < MAX_EXAMPLES; i += pass === 0 ? step : 1) {
      const q = exampleQuestion(documents[i].title);
      if (q && !out.includes(q)) out.push(q);
    }
  }
  return out;
}
