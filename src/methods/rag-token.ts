/**
 * RAG-Token: Lewis, Perez, Piktus, Petroni, Karpukhin, Goyal, Küttler, Lewis, Yih, Rocktäschel,
 * Riedel, Kiela, "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
 * NeurIPS 2020 (arXiv 2005.11401), §2.1–2.5.
 *
 * Each target token may come from a different document; the next-token distribution is
 * marginalised over the top-k documents at every step:
 *
 *   p(z | x) = exp(s(z, x)) / Σ_z' exp(s(z', x))                    (retriever, top-k)
 *   p(y_i | x, y_<i) = Σ_z p(z | x) · p(y_i | x, z, y_<i)            (eq. for RAG-Token)
 *
 * and decoded greedily or with beam search (beam size N) on that mixed distribution — a
 * standard autoregressive decoder (§2.5). The paper uses a fine-tuned BART generator and DPR
 * inner products; here the generator is the configured chat model, p(y_i | x, z, y_<i) comes
 * from its top-20 log-probabilities with the partial answer prefilled (`./mixture.ts`), and
 * s(z, x) is the retriever's score divided by `temperature` (1 = the paper's softmax).
 *
 * Parameters: `beamSize` N (default 1 = greedy), `temperature` 1, `maxTokens` 32.
 * Cost: k × (live beams) chat calls per generated token.
 */
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { beamText, mixtureDecode, requireLogprobs, requirePrefill } from './mixture.js';
import { softmax } from './prob.js';
import { docMessages, finishWithPosterior } from './replug.js';

export interface RagTokenParams {
  beamSize: number;
  temperature: number;
  maxTokens: number;
}

export const ragToken: Method<RagTokenParams> = {
  name: 'rag-token',
  paper: 'Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks", NeurIPS 2020 (arXiv 2005.11401) — RAG-Token.',
  defaults: { beamSize: 1, temperature: 1, maxTokens: 32 },
  cost: 'k chat calls per live beam per generated token',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'rag-token');
    const p = { ...ragToken.defaults, ...params };
    checkInteger('rag-token', 'beamSize', p.beamSize, 1);
    requireLogprobs(ctx, 'rag-token');
    requirePrefill(ctx, 'rag-token', 'use rag-sequence (greedy, beamSize 1) or replug --mode sequence, which need no prefill');
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    if (hits.length === 0) return tracer.finish('No passages were retrieved.', [], []);
    const pz = tracer.time('score', 'p(z | x) = softmax(s(z, x))', () => softmax(hits.map((h) => h.score), p.temperature), (w) => ({
      scores: Object.fromEntries(w.map((x, i) => [`p(z[${i + 1}] | x)`, x])),
    }));
    const res = await mixtureDecode(tracer, hits.map((h) => docMessages(h, question)), pz, p.beamSize, p.maxTokens);
    for (const s of res.steps) {
      tracer.note('score', `token ${JSON.stringify(s.token)}`, {
        input: { prefix: s.prefix },
        scores: { 'log p mixture': s.logprob, ...Object.fromEntries(s.perDoc.map((x, d) => [`log p [${d + 1}]`, x])) },
      });
    }
    tracer.note('decide', `beam search (N = ${p.beamSize})`, {
      output: res.beams.map((b) => ({ text: beamText(b), logprob: b.logprob, finished: b.done })),
    });
    return finishWithPosterior(tracer, beamText(res.beams[0]), hits, pz, res.perDocLogprob);
  },
};
