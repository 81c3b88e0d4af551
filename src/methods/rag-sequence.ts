/**
 * RAG-Sequence: Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP
 * Tasks", NeurIPS 2020 (arXiv 2005.11401), §2.2 and §2.5.
 *
 * One document generates the whole answer; the answer's probability is marginalised over the
 * top-k documents:
 *
 *   p(y | x) = Σ_z p(z | x) · Π_i p(y_i | x, z, y_<i),   p(z | x) = softmax_z s(z, x)
 *
 * Decoding (§2.5): beam search (size N) per document gives hypotheses Y = ∪_z beam(z); then
 * - `thorough`: every y ∈ Y is scored under every z (here with `scoreContinuation` on the
 *   document's raw prompt, end of the answer included: `answerContinuation`), and argmax_y p(y | x)
 *   is returned;
 * - `fast`: p(y | x, z) ≈ 0 whenever y was not in z's beam, so no extra passes: each y's
 *   marginal sums only the documents that produced it, with their beam scores.
 * Greedy (N = 1) needs one chat call per document with log-probabilities (a hypothesis's score
 * includes the newline token that ends its line when the model wrote one; an end by EOS is not
 * reported by chat endpoints and counts as probability 1); N > 1 decodes token by token with
 * prefill (`./mixture.ts`), where the end is an explicit token.
 *
 * Parameters: `beamSize` N (default 1), `decoding` "thorough" | "fast" (default "fast" — it
 * needs only chat log-probabilities), `temperature` 1 on s(z, x), `maxTokens` 32.
 * Cost: k chat calls (N = 1) or k × N per token (N > 1); thorough adds |Y| × k scorings.
 */
import { InvalidParameterError } from '../core/errors.js';
import { tokensText, type TokenLogprob } from '../models/types.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { beamText, mixtureDecode, requireEchoScoring, requireLogprobs, requirePrefill } from './mixture.js';
import { argmax, logMixture, softmax } from './prob.js';
import { answerContinuation, docMessages, docRawPrompt, finishWithPosterior } from './replug.js';

export interface RagSequenceParams {
  beamSize: number;
  decoding: 'thorough' | 'fast';
  temperature: number;
  maxTokens: number;
}

export const ragSequence: Method<RagSequenceParams> = {
  name: 'rag-sequence',
  paper: 'Lewis et al., "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks", NeurIPS 2020 (arXiv 2005.11401) — RAG-Sequence.',
  defaults: { beamSize: 1, decoding: 'fast', temperature: 1, maxTokens: 32 },
  cost: 'k chat calls (greedy) + |Y| × k scorings (thorough)',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'rag-sequence');
    const p = { ...ragSequence.defaults, ...params };
    checkInteger('rag-sequence', 'beamSize', p.beamSize, 1);
    if (p.decoding !== 'thorough' && p.decoding !== 'fast') throw new InvalidParameterError(`rag-sequence: decoding must be "thorough" or "fast", got ${JSON.stringify(p.decoding)}`);
    requireLogprobs(ctx, 'rag-sequence');
    if (p.beamSize > 1) requirePrefill(ctx, `rag-sequence (beamSize ${p.beamSize})`, 'use beamSize 1 (one greedy answer per document needs no prefill)');
    if (p.decoding === 'thorough') requireEchoScoring(ctx, 'rag-sequence (thorough decoding)');
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    if (hits.length === 0) return tracer.finish('No passages were retrieved.', [], []);
    const pz = tracer.time('score', 'p(z | x) = softmax(s(z, x))', () => softmax(hits.map((h) => h.score), p.temperature), (w) => ({
      scores: Object.fromEntries(w.map((x, i) => [`p(z[${i + 1}] | x)`, x])),
    }));
    // beams[z] = hypotheses of document z with log p(y | x, z)
    const beams: Array<Map<string, number>> = [];
    for (let z = 0; z < hits.length; z++) {
      const found = new Map<string, number>();
      if (p.beamSize === 1) {
        const r = await tracer.generate(`greedy answer from document [${z + 1}]`, docMessages(hits[z], question), { temperature: 0, maxTokens: p.maxTokens, logprobs: true });
        const g = r.generations[0];
        // text is decoded from the joined bytes (a Hangul syllable may span byte-level tokens)
        const kept: TokenLogprob[] = [];
        let lp = 0;
        for (const t of g.logprobs ?? []) {
          lp += t.logprob;
          // the newline that ends the line is the end of the answer: its probability counts, its text does not
          if (t.token.includes('\n') && tokensText(kept).trim().length > 0) break;
          kept.push(t);
        }
        // where partial tokens come back as U+FFFD's bytes (vLLM's chat serving, Ollama) the joined bytes
        // cannot be decoded: the message text (whole characters) up to its first answer line is the answer
        let text = tokensText(kept);
        if (text.includes('\uFFFD') && !g.text.includes('\uFFFD')) text = g.text.trimStart().split('\n')[0];
        if (text.trim()) found.set(text.trim(), lp);
      } else {
        const res = await mixtureDecode(tracer, [docMessages(hits[z], question)], [1], p.beamSize, p.maxTokens);
        for (const b of res.beams) if (beamText(b) && !found.has(beamText(b))) found.set(beamText(b), b.logprob);
        tracer.note('generate', `beam search on document [${z + 1}] (N = ${p.beamSize})`, { output: [...found].map(([text, logprob]) => ({ text, logprob })) });
      }
      beams.push(found);
    }
    const hypotheses = [...new Set(beams.flatMap((m) => [...m.keys()]))];
    if (hypotheses.length === 0) return tracer.finish('', [], hits);
    const table: number[][] = [];
    for (const y of hypotheses) {
      const row: number[] = [];
      for (let z = 0; z < hits.length; z++) {
        if (p.decoding === 'fast') row.push(beams[z].get(y) ?? -Infinity);
        else row.push((await tracer.score(`log p(y | x, z[${z + 1}])`, docRawPrompt(hits[z], question), answerContinuation(y), { document: z + 1 }, true)).logprob);
      }
      table.push(row);
    }
    const marginal = table.map((row) => logMixture(row, pz));
    const best = argmax(marginal);
    tracer.note('decide', `argmax_y Σ_z p(z | x) p(y | x, z) (${p.decoding} decoding)`, {
      input: { hypotheses, 'log p(y | x, z)': table },
      output: hypotheses[best],
      scores: Object.fromEntries(hypotheses.map((y, i) => [`log p(${y} | x)`, marginal[i]])),
    });
    return finishWithPosterior(tracer, hypotheses[best], hits, pz, table[best]);
  },
};
