/**
 * Naive RAG: retrieve the top-k passages for the question, answer from them, cite them.
 * Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
 * NeurIPS 2020 (arXiv 2005.11401), in its prompt-concatenation form, as FlashRAG's
 * `SequentialPipeline` runs it.
 *
 * Parameters: topK (context). Cost: 1 retrieval + 1 chat call.
 */
import { answerFromPassages } from './answer.js';
import { checkContext, Tracer, type Method } from './method.js';

export const naive: Method<Record<string, never>> = {
  name: 'naive',
  paper: 'Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks", NeurIPS 2020 (arXiv 2005.11401) — retrieve-then-read with passages in the prompt.',
  defaults: {},
  cost: '1 retrieval + 1 chat call',
  async run(question, ctx) {
    checkContext(ctx, 'naive');
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    const g = await answerFromPassages(tracer, 'answer from passages', question, hits);
    return tracer.finishCited(g.text.trim(), hits);
  },
};
