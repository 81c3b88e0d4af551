/**
 * DuetRAG: Jiao, Cai, Huang, Zhang, Tang, Zhuang, "DuetRAG: Collaborative Retrieval-Augmented
 * Generation", arXiv 2405.13002 (2024).
 *
 * Two answers to one question — closed-book (the paper's "Reciter", the model's own knowledge)
 * and open-book (its "Discoverer", from the retrieved passages) — and a referee (its "Arbiter")
 * that picks:
 * - `confidence`: the answer with the larger mean token log-probability
 *   (1/|y| Σ_i log p(y_i | ·), the length-normalised sequence probability) over the answer span
 *   only — tokens of citation markers ("[1]") are left out by offset (`answerSpanLogprobs`) — and
 *   an abstention ("the passages do not contain the answer", `isAbstention`) loses to an answer
 *   whatever its confidence; needs logprobs.
 * - `prompt`: a referee prompt reads the question, the evidence and both answers, names A or B
 *   and writes the final answer (the paper's summarising referee).
 * - `auto` (default): `confidence` when the endpoint returns log-probabilities, else `prompt`.
 * The paper fine-tunes Reciter and Discoverer with LoRA on the domain; here both are the
 * configured model.
 *
 * Cost: 1 retrieval + 2 chat calls (+1 for the prompt referee).
 */
import { CapabilityError } from '../core/errors.js';
import { answerClosedBook, answerFromPassages } from './answer.js';
import { stripMarkers } from '../generate/citations.js';
import { formatPassages } from './cite.js';
import { checkContext, Tracer, type Method } from './method.js';
import { meanLogprob } from './prob.js';
import { renderPrompt } from './prompts.js';

export interface DuetRagParams {
  referee: 'auto' | 'confidence' | 'prompt';
}

/** Citation markers as the answer prompt asks for them: "[1]", "[2, 3]", with the space before. */
const MARKER = /\s*\[\d+(?:\s*,\s*\d+)*\]/g;

/**
 * The tokens of the answer span: every token that overlaps a citation marker (located by its
 * character offsets in the joined token text) is left out, so markers — written with near
 * certainty — do not raise the answer's confidence.
 */
export function answerSpanLogprobs<T extends { token: string; logprob: number }>(tokens: readonly T[]): T[] {
  const text = tokens.map((t) => t.token).join('');
  const ranges = [...text.matchAll(MARKER)].map((m) => [m.index, m.index + m[0].length] as const);
  const out: T[] = [];
  let start = 0;
  for (const t of tokens) {
    const end = start + t.token.length;
    if (!ranges.some(([a, b]) => start < b && end > a)) out.push(t);
    start = end;
  }
  return out;
}

/**
 * Whether an answer abstains: empty, or saying the passages do not hold the answer / the model does
 * not know (the answer prompt asks the model to "say so"). Such an answer does not win on confidence.
 */
export function isAbstention(answer: string): boolean {
  const a = stripMarkers(answer).trim();
  if (a.length === 0) return true;
  return /\b(?:do(?:es)? not (?:contain|mention|say|provide|include)|(?:not|no) (?:enough|sufficient) information|cannot (?:be )?(?:answer|determin|find)|can't (?:answer|determin|find)|(?:i|we) (?:do not|don't) know|no answer|not (?:mentioned|stated|given) in)\b/i.test(a);
}

/** Reads "A"/"B" from the referee's first line and the final answer from the rest (default: the chosen answer). */
export function parseReferee(text: string): { choice: 'A' | 'B' | undefined; answer: string } {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const m = (lines[0] ?? '').match(/\b(?:answer\s*)?([AB])\b/i);
  const choice = m ? (m[1].toUpperCase() as 'A' | 'B') : undefined;
  return { choice, answer: lines.slice(1).join(' ').replace(/^final answer:\s*/i, '').trim() };
}

export const duetrag: Method<DuetRagParams> = {
  name: 'duetrag',
  paper: 'Jiao, Cai, Huang, Zhang, Tang, Zhuang, "DuetRAG: Collaborative Retrieval-Augmented Generation", arXiv 2405.13002 (2024).',
  defaults: { referee: 'auto' },
  cost: '1 retrieval + 2 chat calls (+1 referee call)',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'duetrag');
    const p = { ...duetrag.defaults, ...params };
    const referee = p.referee === 'auto' ? (ctx.llm.capabilities.logprobs ? 'confidence' : 'prompt') : p.referee;
    if (referee === 'confidence' && !ctx.llm.capabilities.logprobs) throw new CapabilityError(`duetrag: the confidence referee needs token log-probabilities, which ${ctx.llm.id} does not offer; use --referee prompt`);
    const tracer = new Tracer(ctx);
    const logprobs = referee === 'confidence';
    const closed = await answerClosedBook(tracer, 'closed-book answer (A)', question, { logprobs });
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    const open = await answerFromPassages(tracer, 'open-book answer (B)', question, hits, { logprobs });
    const a = stripMarkers(closed.text.trim());
    const b = open.text.trim();
    if (referee === 'confidence') {
      const ca = meanLogprob(answerSpanLogprobs(closed.logprobs ?? []).map((t) => t.logprob));
      const cb = meanLogprob(answerSpanLogprobs(open.logprobs ?? []).map((t) => t.logprob));
      const abstainsA = isAbstention(a);
      const abstainsB = isAbstention(b);
      // an abstention loses to an answer; between two answers (or two abstentions) the larger mean wins
      const pickB = abstainsA !== abstainsB ? abstainsA : cb >= ca;
      const why = abstainsA !== abstainsB ? (abstainsA ? '; A abstains' : '; B abstains') : '';
      tracer.note('decide', 'referee by confidence (mean token log-probability of the answer span)', {
        output: pickB ? `B (open-book${why})` : `A (closed-book${why})`,
        scores: { 'mean log p A': ca, 'mean log p B': cb },
      });
      if (!pickB) return tracer.finish(a, [], []);
      return tracer.finishCited(b, hits);
    }
    const r = await tracer.generate('referee prompt', [{ role: 'user', content: renderPrompt('duet.referee', { question, passages: formatPassages(hits), closed: a, open: b }) }], { temperature: 0, maxTokens: 96 });
    const verdict = parseReferee(r.generations[0].text);
    const final = verdict.answer || (verdict.choice === 'A' ? a : b);
    tracer.note('decide', 'referee verdict', { output: { choice: verdict.choice ?? 'unparsed (B kept)', answer: final } });
    if (verdict.choice === 'A' && !verdict.answer) return tracer.finish(a, [], []);
    return tracer.finishCited(final, hits);
  },
};
