/**
 * Closed-book: the model answers from its parameters alone, no retrieval. The baseline every
 * retrieval method is measured against (FlashRAG's "naive generation"; the notes' "no RAG").
 *
 * Parameters: none. Cost: 1 chat call.
 */
import { answerClosedBook } from './answer.js';
import { Tracer, type Method } from './method.js';

export const closedBook: Method<Record<string, never>> = {
  name: 'closed-book',
  paper: 'Baseline without retrieval (no paper; the "w/o retrieval" rows of every RAG paper).',
  defaults: {},
  cost: '1 chat call',
  async run(question, ctx) {
    const tracer = new Tracer(ctx);
    const g = await answerClosedBook(tracer, 'closed-book answer', question);
    return tracer.finish(g.text.trim(), [], []);
  },
};
