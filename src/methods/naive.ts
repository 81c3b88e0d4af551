/**
 * Naive RAG: retrieve the top-k passages for the question, answer from them, cite them.
 * Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
 * NeurIPS 2020 (arXiv 2005.11401), in its prompt-concatenation form, as FlashRAG's
 * `SequentialPipeline` runs it.
 *
 * Presets (parameter `preset`):
 *   - `openbook` (default): openbook's answer prompt, passages numbered `[n]`, the answer cites them.
 *   - `flashrag`: the messages of FlashRAG's standard RAG prompt, so EM is comparable with its
 *     tables. Followed: RUC-NLPIR/FlashRAG `flashrag/prompt/base_prompt.py` (`PromptTemplate`'s
 *     default system and user prompts, `format_reference`: one `Doc i(Title: t) text` line per
 *     passage) and `flashrag/config/basic_config.yaml` (`max_tokens: 32`; sampling left at the
 *     generator's default, greedy for its HF generator: temperature 0 here). System + user roles,
 *     as its HF and vLLM generators render them with the chat template. The answer carries no
 *     citation markers (the prompt asks for the answer only).
 *
 * Parameters: `preset` openbook; topK (context, FlashRAG's 5). Cost: 1 retrieval + 1 chat call.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import type { ChatMessage } from '../models/types.js';
import { answerFromPassages } from './answer.js';
import { checkContext, Tracer, type Method } from './method.js';

export type NaivePreset = 'openbook' | 'flashrag';
export const naivePresets: readonly NaivePreset[] = ['openbook', 'flashrag'];

export interface NaiveParams {
  preset: NaivePreset;
}

/** FlashRAG's default system prompt; `{reference}` is replaced by {@link flashragReference}. Its two sentences are joined without a space, as in FlashRAG. */
export const FLASHRAG_SYSTEM_PROMPT =
  'Answer the question based on the given document.Only give me the answer and do not output any other words.\nThe following are given documents.\n\n{reference}';

/** FlashRAG's `format_reference`: `Doc i(Title: title) text` and a newline per passage, i from 1. */
export function flashragReference(hits: readonly Hit[]): string {
  return hits.map((h, i) => `Doc ${i + 1}(Title: ${h.title}) ${h.text}\n`).join('');
}

/** The two messages FlashRAG's standard RAG pipeline sends for `question` over `hits`. */
export function flashragMessages(question: string, hits: readonly Hit[]): ChatMessage[] {
  return [
    { role: 'system', content: FLASHRAG_SYSTEM_PROMPT.replace('{reference}', flashragReference(hits)) },
    { role: 'user', content: `Question: ${question}` },
  ];
}

export const naive: Method<NaiveParams> = {
  name: 'naive',
  paper: 'Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks", NeurIPS 2020 (arXiv 2005.11401) — retrieve-then-read with passages in the prompt.',
  defaults: { preset: 'openbook' },
  cost: '1 retrieval + 1 chat call',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'naive');
    const p = { ...naive.defaults, ...params };
    if (!naivePresets.includes(p.preset)) throw new InvalidParameterError(`naive: preset must be one of ${naivePresets.join(', ')}, got ${JSON.stringify(p.preset)}`);
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    if (p.preset === 'flashrag') {
      const g = await tracer.generate('answer (FlashRAG standard prompt)', flashragMessages(question, hits), { temperature: 0, maxTokens: 32 });
      return tracer.finish(g.generations[0]?.text.trim() ?? '', [], hits);
    }
    const g = await answerFromPassages(tracer, 'answer from passages', question, hits);
    return tracer.finishCited(g.text.trim(), hits);
  },
};
