/**
 * Search-R1 training data: rollouts of the raw-transcript loop (`transcriptRollout`,
 * src/methods/search-r1.ts) exported as trajectories for an RL trainer outside TypeScript, with what
 * the paper's training needs (Jin et al., arXiv 2503.09516, §3): the retrieved-token mask — the
 * `<information>` blocks (and invalid-action observations) are inserted by the environment, not
 * generated, so they are masked out of the policy loss (the reference's `info_mask`,
 * PeterGriffinJin/Search-R1:search_r1/llm_agent/generation.py) — and the outcome reward, exact match
 * of the final `<answer>` against the gold answers.
 *
 * The mask is given per segment, not per token: openbook does not hold the checkpoint's tokenizer.
 * Tokenise the prompt and each segment separately and concatenate (the reference tokenises each
 * response and each observation on its own too, `_batch_tokenize` / `_process_next_obs`); a token of a
 * segment with `loss` 0 gets mask 0.
 */
import { Tracer, type MethodContext } from '../methods/method.js';
import { transcriptRollout, type SearchR1Params, type TranscriptSegment } from '../methods/search-r1.js';

/** One exported trajectory. */
export interface SearchR1Trajectory {
  prompt: string;
  /** The response after the prompt: the segments' texts joined. */
  response: string;
  segments: TranscriptSegment[];
  answer?: string;
  searches: number;
  turns: number;
}

/**
 * The outcome reward: 1 when the answer, normalised, equals a normalised gold answer, else 0; 0
 * without an answer. `normalize` is the dataset's answer normalisation (SQuAD's `normalize_answer`,
 * which the reference's EM reward uses, or KorQuAD's; `normalizeSquadAnswer` / `normalizeKorquadAnswer`
 * in src/eval/qa-metrics.ts, passed in because training data does not depend on the evaluation stage).
 */
export function exactMatchReward(answer: string | undefined, golds: readonly string[], normalize: (s: string) => string): 0 | 1 {
  if (answer === undefined) return 0;
  const a = normalize(answer);
  return golds.some((g) => normalize(g) === a) ? 1 : 0;
}

/** One greedy rollout of `question` with the context's model (raw completions) and retriever. */
export async function searchR1Trajectory(ctx: MethodContext, question: string, p: Pick<SearchR1Params, 'maxSearches' | 'maxTokens' | 'topK'>): Promise<SearchR1Trajectory> {
  const t = await transcriptRollout(new Tracer(ctx), question, p);
  return {
    prompt: t.prompt,
    response: t.segments.map((s) => s.text).join(''),
    segments: t.segments,
    ...(t.answer !== undefined ? { answer: t.answer } : {}),
    searches: t.searches,
    turns: t.turns,
  };
}
