/**
 * The two answering steps most methods end with: from numbered passages (cite with `[n]`), or
 * closed-book. Both are one chat call at temperature 0 and return the text with its trace.
 */
import type { Hit } from '../core/types.js';
import type { Generation } from '../models/types.js';
import { formatPassages } from './cite.js';
import type { Tracer } from './method.js';
import { renderPrompt } from './prompts.js';

/** Upper bound on answer tokens (FlashRAG generates 32 new tokens for QA; a cited sentence needs a little more). */
export const ANSWER_MAX_TOKENS = 64;

/** One grounded answer from `hits` (markers refer to positions in `hits`). */
export async function answerFromPassages(
  tracer: Tracer,
  name: string,
  question: string,
  hits: readonly Hit[],
  options: { logprobs?: boolean; maxTokens?: number } = {},
): Promise<Generation> {
  const res = await tracer.generate(
    name,
    [
      { role: 'system', content: renderPrompt('answer.system', {}) },
      { role: 'user', content: renderPrompt('answer.user', { passages: formatPassages(hits), question }) },
    ],
    { temperature: 0, maxTokens: options.maxTokens ?? ANSWER_MAX_TOKENS, ...(options.logprobs ? { logprobs: true } : {}) },
  );
  return res.generations[0];
}

/** One answer from the model's own knowledge. */
export async function answerClosedBook(tracer: Tracer, name: string, question: string, options: { logprobs?: boolean; maxTokens?: number } = {}): Promise<Generation> {
  const res = await tracer.generate(
    name,
    [
      { role: 'system', content: renderPrompt('closed.system', {}) },
      { role: 'user', content: renderPrompt('closed.user', { question }) },
    ],
    { temperature: 0, maxTokens: options.maxTokens ?? ANSWER_MAX_TOKENS, ...(options.logprobs ? { logprobs: true } : {}) },
  );
  return res.generations[0];
}
