/**
 * Self-RAG, prompted form: Asai, Wu, Wang, Sil, Hajishirzi, "Self-RAG: Learning to Retrieve,
 * Generate, and Critique through Self-Reflection", ICLR 2024 (arXiv 2310.11511).
 *
 * The paper trains a model to emit reflection tokens ([Retrieve], [IsRel], [IsSup], [IsUse])
 * and reads their probabilities. No reflection-token model is assumed here: each reflection is
 * a separate prompt to the configured model, answered with a label (an LLM-as-judge
 * approximation of the paper, not the paper's trained critic), and the labels become the
 * scores the paper computes from token probabilities:
 *
 * 1. Retrieve?  "Yes" → retrieve top-k; "No" → answer closed-book (the paper's [No Retrieval]).
 * 2. IsRel per passage: Relevant → kept; if none is relevant, answer closed-book.
 * 3. Per relevant passage d: an answer y_d from d alone.
 * 4. IsSup(y_d, d): Fully supported 1, Partially 0.5, No support 0.
 *    IsUse(y_d): 1–5 mapped to u = (rating − 3)/2 ∈ [−1, 1] (the paper's utility weights
 *    −1, −0.5, 0, 0.5, 1).
 * 5. score(d) = w_rel · 1 + w_sup · IsSup + w_use · u (paper weights 1.0 each, the relevance term
 *    being 1 for every kept passage); the best-scoring answer is returned, cited to its passage.
 *
 * Parameters: `wSup` 1, `wUse` 1, `alwaysRetrieve` false.
 * Cost: 1 + 1 retrieval + k + 3R chat calls for R relevant passages (at most 1 + 4k).
 */
import { answerClosedBook, ANSWER_MAX_TOKENS } from './answer.js';
import { stripMarkers } from '../generate/citations.js';
import { checkContext, Tracer, type Method } from './method.js';
import { argmax } from './prob.js';
import { renderPrompt } from './prompts.js';
import { docMessages } from './replug.js';

export interface SelfRagParams {
  wSup: number;
  wUse: number;
  alwaysRetrieve: boolean;
}

/** Yes/No → true/false (first one named; neither → true, retrieval being the safe default). */
export function parseYesNo(text: string): boolean {
  const m = text.toLowerCase().match(/\b(yes|no)\b/);
  return m ? m[1] === 'yes' : true;
}

/** "Relevant" / "Irrelevant" (also "not relevant") → true/false; neither → false. */
export function parseRelevant(text: string): boolean {
  const t = text.toLowerCase();
  if (/\b(irrelevant|not relevant)\b/.test(t)) return false;
  return /\brelevant\b/.test(t);
}

/** "Fully supported" 1, "Partially supported" 0.5, else 0. */
export function parseSupport(text: string): number {
  const t = text.toLowerCase();
  if (/\bfull(y)?\b/.test(t)) return 1;
  if (/\bpartial(ly)?\b/.test(t)) return 0.5;
  return 0;
}

/** The first digit 1–5 as utility u = (rating − 3)/2; none → 0. */
export function parseUtility(text: string): number {
  const m = text.match(/[1-5]/);
  return m ? (Number(m[0]) - 3) / 2 : 0;
}

export const selfRag: Method<SelfRagParams> = {
  name: 'self-rag',
  paper: 'Asai et al., "Self-RAG: Learning to Retrieve, Generate, and Critique through Self-Reflection", ICLR 2024 (arXiv 2310.11511) — prompted approximation, no reflection-token model.',
  defaults: { wSup: 1, wUse: 1, alwaysRetrieve: false },
  cost: '1 + k + 3R chat calls + 1 retrieval (R = relevant passages)',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'self-rag');
    const p = { ...selfRag.defaults, ...params };
    const tracer = new Tracer(ctx);
    tracer.note('decide', 'prompted Self-RAG', { output: 'Reflection tokens are approximated by judge prompts to the configured model; no Self-RAG-trained critic is used.' });
    let retrieve = true;
    if (!p.alwaysRetrieve) {
      const r = await tracer.generate('[Retrieve]?', [{ role: 'user', content: renderPrompt('selfrag.retrieve', { question }) }], { temperature: 0, maxTokens: 4 });
      retrieve = parseYesNo(r.generations[0].text);
      tracer.note('decide', retrieve ? 'retrieve' : 'no retrieval: answer closed-book', { output: retrieve });
    }
    if (!retrieve) {
      const g = await answerClosedBook(tracer, 'closed-book answer', question);
      return tracer.finish(stripMarkers(g.text.trim()), [], []);
    }
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    const relevant: number[] = [];
    for (let i = 0; i < hits.length; i++) {
      const r = await tracer.generate(`[IsRel] passage ${i + 1}`, [{ role: 'user', content: renderPrompt('selfrag.relevant', { question, passage: hits[i].text }) }], { temperature: 0, maxTokens: 4 });
      if (parseRelevant(r.generations[0].text)) relevant.push(i);
    }
    if (relevant.length === 0) {
      tracer.note('decide', 'no relevant passage: answer closed-book', { output: [] });
      const g = await answerClosedBook(tracer, 'closed-book answer', question);
      return tracer.finish(stripMarkers(g.text.trim()), [], []);
    }
    const answers: string[] = [];
    const scores: number[] = [];
    const table: Record<string, number> = {};
    for (const i of relevant) {
      const g = await tracer.generate(`answer from passage ${i + 1}`, docMessages(hits[i], question), { temperature: 0, maxTokens: ANSWER_MAX_TOKENS });
      const answer = stripMarkers(g.generations[0].text.split('\n')[0].trim());
      const sup = await tracer.generate(`[IsSup] answer ${i + 1}`, [{ role: 'user', content: renderPrompt('selfrag.supported', { passage: hits[i].text, question, answer }) }], { temperature: 0, maxTokens: 6 });
      const use = await tracer.generate(`[IsUse] answer ${i + 1}`, [{ role: 'user', content: renderPrompt('selfrag.useful', { question, answer }) }], { temperature: 0, maxTokens: 2 });
      const s = parseSupport(sup.generations[0].text);
      const u = parseUtility(use.generations[0].text);
      const score = 1 + p.wSup * s + p.wUse * u;
      answers.push(answer);
      scores.push(score);
      table[`IsSup [${i + 1}]`] = s;
      table[`IsUse [${i + 1}]`] = u;
      table[`score [${i + 1}]`] = score;
    }
    const best = argmax(scores);
    const n = relevant[best] + 1;
    tracer.note('decide', 'best-supported answer', { input: answers, output: `${answers[best]} (passage ${n})`, scores: table });
    return tracer.finishCited(`${answers[best]} [${n}]`, hits);
  },
};
