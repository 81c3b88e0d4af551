/**
 * RECITE: Sun, Wang, Tay, Yang, Zhou, "Recitation-Augmented Language Models", ICLR 2023
 * (arXiv 2210.01296).
 *
 * Closed-book in two steps: the model first recites a passage from its own memory that bears
 * on the question, then answers from the recitation. With `numPaths` > 1, several recitations
 * are sampled (path diversity) and each is answered; the final answer is the majority vote over
 * the paths (self-consistency, Wang et al. 2023). No retrieval, so no citations; the
 * recitations are in the trace.
 *
 * Parameters: `numPaths` (default 1; the paper's self-consistency runs use up to 20),
 * `temperature` (0 for one path, 0.7 when sampling several), `maxTokens` 256 per recitation.
 * Cost: 1 chat call (n = numPaths) + numPaths chat calls.
 */
import { ANSWER_MAX_TOKENS } from './answer.js';
import { stripMarkers } from '../generate/citations.js';
import { checkInteger, Tracer, type Method } from './method.js';
import { majorityVote } from './prob.js';
import { renderPrompt } from './prompts.js';

export interface RecitationParams {
  numPaths: number;
  temperature?: number;
  maxTokens: number;
}

export const recitation: Method<RecitationParams> = {
  name: 'recitation',
  paper: 'Sun et al., "Recitation-Augmented Language Models", ICLR 2023 (arXiv 2210.01296).',
  defaults: { numPaths: 1, maxTokens: 256 },
  optional: { temperature: 'number' },
  cost: '1 chat call (n = paths) + 1 chat call per path',
  async run(question, ctx, params = {}) {
    const p = { ...recitation.defaults, ...params };
    checkInteger('recitation', 'numPaths', p.numPaths, 1);
    const temperature = p.temperature ?? (p.numPaths > 1 ? 0.7 : 0);
    const tracer = new Tracer(ctx);
    const rec = await tracer.generate('recite from memory', [{ role: 'user', content: renderPrompt('recite.user', { question }) }], {
      temperature,
      n: p.numPaths,
      maxTokens: p.maxTokens,
      ...(ctx.seed !== undefined ? { seed: ctx.seed } : {}),
    });
    const recitations = rec.generations.map((g) => g.text.trim());
    const answers: string[] = [];
    for (let i = 0; i < recitations.length; i++) {
      const r = await tracer.generate(`answer from recitation ${i + 1}`, [{ role: 'user', content: renderPrompt('recite.answer', { recitation: recitations[i], question }) }], {
        temperature: 0,
        maxTokens: ANSWER_MAX_TOKENS,
      });
      answers.push(stripMarkers(r.generations[0].text.split('\n')[0].trim()));
    }
    const vote = majorityVote(answers);
    tracer.note('decide', answers.length > 1 ? 'majority vote over recitation paths' : 'single path', { input: answers, output: vote.answer, scores: vote.tally });
    return tracer.finish(vote.answer, [], []);
  },
};
