/**
 * Issue #12 item 3: the CLI highlights the short answer (`answerSpan`) where the answer leads with
 * it and inside the first quote; with colour off the text is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { highlightAnswer } from '../../src/cli/commands/ask.js';

const quote = 'The treaty was signed on July 4, 1776 in the hall.';
const at = quote.indexOf('July 4, 1776');
const a = {
  answer: `July 4, 1776 — ${quote} [1]`,
  citations: [{ n: 1, quote, answerSpan: { start: at, end: at + 12 } }],
};
const mark = (s: string) => `<${s}>`;

describe('highlightAnswer', () => {
  it('marks the leading short answer and the span inside the quote', () => {
    expect(highlightAnswer(a, mark)).toBe('<July 4, 1776> — The treaty was signed on <July 4, 1776> in the hall. [1]');
  });
  it('leaves an answer without a span, or a refusal, as it is', () => {
    expect(highlightAnswer({ answer: `${quote} [1]`, citations: [{ quote }] }, mark)).toBe(`${quote} [1]`);
    expect(highlightAnswer({ answer: 'No passage in the index answers this question.', citations: [] }, mark)).toBe('No passage in the index answers this question.');
  });
  it('finds the span in a quote whose line breaks the answer joined into spaces', () => {
    const q = 'The treaty was signed on\nJuly 4, 1776 in the hall.';
    const s = q.indexOf('July');
    expect(highlightAnswer({ answer: `July 4, 1776 — The treaty was signed on July 4, 1776 in the hall. [1]`, citations: [{ quote: q, answerSpan: { start: s, end: s + 12 } }] }, mark)).toBe(
      '<July 4, 1776> — The treaty was signed on <July 4, 1776> in the hall. [1]',
    );
  });
});
