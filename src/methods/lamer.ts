/**
 * LameR: Shen, Long, Geng, Tao, Zhou, Jiang, "Large Language Models are Strong Zero-Shot
 * Retriever", Findings of ACL 2024 (arXiv 2304.14233).
 *
 * Retrieve the top-k passages for q with BM25; show them to the LLM as in-collection
 * candidates (right or wrong) and sample N possible answers; re-retrieve with BM25 for the
 * augmented query q' = q repeated R times ⊕ a_1 ⊕ … ⊕ a_N (concatenation; repeating q keeps the
 * question's terms from being outweighed by the answers); answer from the second ranking.
 *
 * Parameters: `numAnswers` N (default 5), `queryRepeats` R (default = N, our choice; the paper
 * concatenates q with its answers), `temperature` 0.7 for the samples, `maxTokens` 128 per answer.
 * Cost: 2 retrievals + 1 chat call with n = N + 1 chat call for the answer.
 */
import { answerFromPassages } from './answer.js';
import { formatPassages } from './cite.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { renderPrompt } from './prompts.js';

export interface LamerParams {
  numAnswers: number;
  queryRepeats?: number;
  temperature: number;
  maxTokens: number;
}

/** q' = q repeated `repeats` times, then the answers, newline-separated. */
export function augmentQuery(question: string, answers: readonly string[], repeats: number): string {
  return [...Array.from({ length: repeats }, () => question), ...answers].join('\n');
}

export const lamer: Method<LamerParams> = {
  name: 'lamer',
  paper: 'Shen et al., "Large Language Models are Strong Zero-Shot Retriever", Findings of ACL 2024 (arXiv 2304.14233).',
  defaults: { numAnswers: 5, temperature: 0.7, maxTokens: 128 },
  optional: { queryRepeats: 'number' },
  cost: '2 retrievals + 1 chat call (n = N) + 1 chat call',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'lamer');
    const p = { ...lamer.defaults, ...params };
    checkInteger('lamer', 'numAnswers', p.numAnswers, 1);
    const repeats = p.queryRepeats ?? p.numAnswers;
    const tracer = new Tracer(ctx);
    const first = await tracer.retrieve('BM25 candidates for q', question, ctx.topK);
    const res = await tracer.generate(
      'candidate answers from the in-collection candidates',
      [{ role: 'user', content: renderPrompt('lamer.user', { passages: formatPassages(first), question }) }],
      { temperature: p.temperature, n: p.numAnswers, maxTokens: p.maxTokens, ...(ctx.seed !== undefined ? { seed: ctx.seed } : {}) },
    );
    const answers = res.generations.map((g) => g.text.trim()).filter((a) => a.length > 0);
    const q2 = augmentQuery(question, answers, repeats);
    tracer.note('transform', "q' = q × R ⊕ answers", { input: { repeats, answers: answers.length }, output: q2 });
    const hits = await tracer.retrieve("BM25 with the augmented query q'", q2, ctx.topK);
    const g = await answerFromPassages(tracer, 'answer from the second ranking', question, hits);
    return tracer.finishCited(g.text.trim(), hits);
  },
};
