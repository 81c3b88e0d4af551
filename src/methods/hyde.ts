/**
 * HyDE: Gao, Ma, Lin, Callan, "Precise Zero-Shot Dense Retrieval without Relevance Labels",
 * ACL 2023 (arXiv 2212.10496).
 *
 * An instruction model writes K hypothetical documents that answer the question; each is
 * embedded with the passage encoder f and averaged together with the query embedding (paper §3.2):
 *
 *   v̂_q = 1/(K+1) · ( f(q) + Σ_{k=1..K} f(d̂_k) )
 *
 * and the corpus is searched by inner product with v̂_q. The generated documents may be wrong;
 * the encoder's bottleneck keeps what they share with real passages. Then the answer is read
 * from the retrieved passages, with citations.
 *
 * Without an embedder and dense index, the fallback (said in the trace) appends the
 * hypothetical documents to the question as one BM25 query — the query-expansion reading of
 * HyDE, not the paper's form.
 *
 * Parameters (paper names): `numHypotheses` K (default 8, as the authors sample; §4.1),
 * `temperature` 0.7, `maxTokens` per document 256.
 * Cost: 1 chat call with n = K (more if the endpoint ignores n) + 1 embedding call + 1 search +
 * 1 chat call for the answer.
 */
import { InvalidParameterError } from '../core/errors.js';
import { answerFromPassages } from './answer.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { renderPrompt } from './prompts.js';

export interface HydeParams {
  numHypotheses: number;
  temperature: number;
  maxTokens: number;
}

/**
 * Element-wise mean of vectors of one dimension.
 * @throws InvalidParameterError on an empty list or mixed dimensions
 */
export function meanVector(vectors: readonly Float32Array[]): Float32Array {
  if (vectors.length === 0) throw new InvalidParameterError('meanVector: no vectors');
  const dim = vectors[0].length;
  const out = new Float32Array(dim);
  for (const v of vectors) {
    if (v.length !== dim) throw new InvalidParameterError(`meanVector: vectors of dimension ${dim} and ${v.length} mixed`);
    for (let i = 0; i < dim; i++) out[i] += v[i];
  }
  for (let i = 0; i < dim; i++) out[i] /= vectors.length;
  return out;
}

export const hyde: Method<HydeParams> = {
  name: 'hyde',
  paper: 'Gao, Ma, Lin, Callan, "Precise Zero-Shot Dense Retrieval without Relevance Labels", ACL 2023 (arXiv 2212.10496).',
  defaults: { numHypotheses: 8, temperature: 0.7, maxTokens: 256 },
  cost: '1 chat call (n = K) + 1 embedding call + 1 search + 1 chat call',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'hyde');
    const p = { ...hyde.defaults, ...params };
    checkInteger('hyde', 'numHypotheses', p.numHypotheses, 1);
    const tracer = new Tracer(ctx);
    const messages = [{ role: 'user' as const, content: renderPrompt('hyde.user', { question }) }];
    const docs: string[] = [];
    for (let round = 0; docs.length < p.numHypotheses && round < p.numHypotheses; round++) {
      const need = p.numHypotheses - docs.length;
      const res = await tracer.generate(`hypothetical documents ${docs.length + 1}–${p.numHypotheses}`, messages, {
        temperature: p.temperature,
        maxTokens: p.maxTokens,
        n: need,
        ...(ctx.seed !== undefined ? { seed: ctx.seed + round } : {}),
      });
      docs.push(...res.generations.slice(0, need).map((g) => g.text.trim()));
    }
    let hits;
    if (ctx.embedder && ctx.denseSearch) {
      const [qv] = await tracer.embed('embed question', ctx.embedder, [question], 'query');
      const dv = await tracer.embed('embed hypothetical documents (passage encoder)', ctx.embedder, docs, 'passage');
      const v = tracer.time('transform', 'average f(q) and f(d̂_k)', () => meanVector([qv, ...dv]), (v) => ({
        input: { vectors: 1 + dv.length },
        output: { dimension: v.length, formula: `(f(q) + Σ f(d̂_k)) / ${1 + dv.length}` },
      }));
      const t0 = ctx.now();
      hits = await ctx.denseSearch(v, ctx.topK, ctx.signal);
      tracer.note('retrieve', 'dense search with the HyDE vector', { input: { topK: ctx.topK }, output: hits.map((h) => ({ rank: h.rank, chunkId: h.chunkId, score: h.score })) }, t0);
    } else {
      tracer.note('decide', 'no embedder: fall back to BM25 query expansion', {
        output: 'No passage encoder and dense index are configured, so the hypothetical documents are appended to the question as one BM25 query (query expansion), not averaged as vectors as in the paper.',
      });
      hits = await tracer.retrieve('BM25 with question + hypothetical documents', [question, ...docs].join('\n'), ctx.topK);
    }
    const g = await answerFromPassages(tracer, 'answer from passages', question, hits);
    return tracer.finishCited(g.text.trim(), hits);
  },
};
