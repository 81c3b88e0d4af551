/**
 * Yes/No judgements from a language model's log-probabilities, without parsing text: the model
 * is asked a question whose answer is one token ("Yes" or "No"), generates one token with its
 * top alternatives, and the judgement is the probability mass of "Yes" against "No" at that
 * position:
 *
 *   p(Yes) = Σ exp(logprob) over alternatives whose text, trimmed and lower-cased, is "yes"
 *   p(No)  = the same for "no"
 *   score  = p(Yes) / (p(Yes) + p(No))  ∈ [0, 1]
 *
 * This is the pointwise relevance of Nogueira et al. ("Document Ranking with a Pretrained
 * Sequence-to-Sequence Model", Findings of EMNLP 2020: softmax over the "true"/"false" logits)
 * and the relevance generation of Liang et al. (HELM, 2022, §B.1: P(Yes) from the top
 * log-probabilities), applied to an OpenAI-compatible chat model. When neither word is among the
 * returned alternatives the item is unscored, with the reason; it never becomes NaN.
 */
import { CapabilityError } from '../core/errors.js';
import type { ChatMessage, LanguageModel, TokenLogprob } from './types.js';

/** A judgement, or the reason none could be made. */
export type YesNoJudgement = { score: number; pYes: number; pNo: number } | { unscored: string };

/** Alternatives asked for at the answer position (OpenAI's maximum is 20). */
export const YES_NO_TOP_LOGPROBS = 20;

/**
 * p(Yes) / (p(Yes) + p(No)) from the first generated token's alternatives (the chosen token
 * counts too when the endpoint leaves it out of `top`). Variants "Yes", " yes", "YES" are summed.
 * @returns `{ unscored }` when there is no token, or neither word is among the alternatives
 */
export function yesNoFromLogprobs(tokens: readonly TokenLogprob[] | undefined): YesNoJudgement {
  const first = tokens?.[0];
  if (!first) return { unscored: 'the model returned no token log-probabilities' };
  const alts = new Map<string, number>();
  for (const t of first.top ?? []) alts.set(t.token, t.logprob);
  if (!alts.has(first.token)) alts.set(first.token, first.logprob);
  let pYes = 0;
  let pNo = 0;
  for (const [token, lp] of alts) {
    const w = token.trim().toLowerCase();
    if (w === 'yes') pYes += Math.exp(lp);
    else if (w === 'no') pNo += Math.exp(lp);
  }
  if (pYes + pNo === 0) return { unscored: `neither "Yes" nor "No" among the model's top ${alts.size} first tokens (chosen: ${JSON.stringify(first.token)})` };
  return { score: pYes / (pYes + pNo), pYes, pNo };
}

/**
 * Asks `llm` the Yes/No question in `messages` (greedy, one token, top-20 log-probabilities) and
 * judges it with {@link yesNoFromLogprobs}.
 * @throws CapabilityError when the model does not report log-probabilities
 */
export async function judgeYesNo(llm: LanguageModel, messages: ChatMessage[], signal?: AbortSignal): Promise<YesNoJudgement> {
  if (!llm.capabilities.logprobs) throw new CapabilityError(`${llm.id} does not return token log-probabilities; Yes/No judgements need them (no text parsing)`);
  const r = await llm.generate(messages, { temperature: 0, maxTokens: 1, logprobs: true, topLogprobs: YES_NO_TOP_LOGPROBS, ...(signal ? { signal } : {}) });
  return yesNoFromLogprobs(r.generations[0]?.logprobs);
}
