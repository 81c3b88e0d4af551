/**
 * REALM: Guu, Lee, Tung, Pasupat, Chang, "REALM: Retrieval-Augmented Language Model
 * Pre-Training", ICML 2020 (arXiv 2002.08909), in its inference-time form. Pre-training (masked
 * salient spans, the asynchronously refreshed MIPS index) and fine-tuning are out of scope: the
 * reader is the configured LLM and the retriever the configured one.
 *
 * The answer is marginalised over the top-k documents (§2.2, eq. 1–2):
 *
 *   p(y | x) = Σ_{z ∈ top-k} p(y | z, x) · p(z | x),   p(z | x) = exp f(x, z) / Σ_{z' ∈ top-k} exp f(x, z')
 *
 * REALM's relevance score is an inner product of embeddings, f(x, z) = Embed_input(x)ᵀ Embed_doc(z);
 * here f is the retriever's score (an inner product only for a dense retriever; BM25 or a fused
 * score otherwise — the trace names the retriever), divided by `temperature`.
 *
 * REALM's open-QA reader is extractive (§3.4): p(y | z, x) ∝ Σ_{s ∈ S(z, y)} exp(MLP([h_START(s); h_END(s)])),
 * summed over the spans s of z that match y, so p(y | z, x) = 0 when y is not in z. Here:
 * 1. reader: the LLM answers once per document with a short span (a candidate y per document);
 * 2. scoring (`scoring`): `continuation` — every candidate y is scored under every document z with
 *    `scoreContinuation` (log p(" y\n" | document prompt): the answer and the newline that ends it,
 *    so p(y | z, x) includes the end of y); `generation` — the fallback for endpoints
 *    without echo scoring: log p(y | z, x) is the log-probability of z's own generation when z
 *    produced y, else −∞ (0 probability); `auto` (default) picks `continuation` when the endpoint
 *    scores continuations, else `generation` when it returns token log-probabilities;
 * 3. `spanOnly` (default true): as in REALM, p(y | z, x) = 0 when y (case-folded) does not occur in
 *    z's text — those cells are not scored. When no candidate occurs in any document, every cell is
 *    scored instead, and the trace says so;
 * 4. the answer is argmax_y log p(y | x) = logsumexp_z(log p(z | x) + log p(y | z, x)), citing the
 *    document with the largest posterior p(z | x, y) ∝ p(z | x) p(y | z, x).
 *
 * Parameters: `temperature` 1 on f, `scoring` auto, `spanOnly` true, `maxTokens` 16 (span answers).
 * Cost: k chat calls + at most |Y| × k scorings (`continuation`).
 * @throws CapabilityError when the endpoint offers neither continuation scoring nor log-probabilities
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { argmax, logMixture, softmax } from './prob.js';
import { firstLine } from './mixture.js';
import { answerContinuation, docMessages, docRawPrompt, finishWithPosterior } from './replug.js';

export type RealmScoring = 'auto' | 'continuation' | 'generation';

export interface RealmParams {
  temperature: number;
  scoring: RealmScoring;
  spanOnly: boolean;
  maxTokens: number;
}

/**
 * log p(y | x) for every candidate: logsumexp_z(log p(z | x) + log p(y | z, x)).
 * @param pz p(z | x), one weight per document (≥ 0)
 * @param table table[y][z] = log p(y | z, x), −∞ for probability 0
 * @throws InvalidParameterError when a row's length differs from pz's
 */
export function realmMarginal(pz: readonly number[], table: ReadonlyArray<readonly number[]>): number[] {
  return table.map((row) => logMixture(row, pz));
}

/** Whether `span` occurs in the passage text, both lower-cased (REALM's S(z, y) ≠ ∅). */
export function isSpanOf(span: string, hit: Pick<Hit, 'text' | 'title'>): boolean {
  return hit.text.toLowerCase().includes(span.toLowerCase());
}

export const realm: Method<RealmParams> = {
  name: 'realm',
  paper: 'Guu et al., "REALM: Retrieval-Augmented Language Model Pre-Training", ICML 2020 (arXiv 2002.08909) — inference-time marginalisation over the top-k; pre-training out of scope.',
  defaults: { temperature: 1, scoring: 'auto', spanOnly: true, maxTokens: 16 },
  cost: 'k chat calls + at most |Y| × k continuation scorings',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'realm');
    const p = { ...realm.defaults, ...params };
    if (!(p.temperature > 0) || !Number.isFinite(p.temperature)) throw new InvalidParameterError(`realm: temperature must be a finite number > 0, got ${p.temperature}`);
    if (p.scoring !== 'auto' && p.scoring !== 'continuation' && p.scoring !== 'generation')
      throw new InvalidParameterError(`realm: scoring must be "auto", "continuation" or "generation", got ${JSON.stringify(p.scoring)}`);
    checkInteger('realm', 'maxTokens', p.maxTokens, 1);
    const caps = ctx.llm.capabilities;
    const scoring = p.scoring === 'auto' ? (caps.echoScoring ? 'continuation' : caps.logprobs ? 'generation' : undefined) : p.scoring;
    if (scoring === undefined) throw new CapabilityError(`realm: ${ctx.llm.id} offers neither continuation scoring (completions with echo + logprobs) nor token log-probabilities, so p(y | z, x) cannot be computed`);
    if (scoring === 'continuation' && !caps.echoScoring) throw new CapabilityError(`realm (continuation scoring): ${ctx.llm.id} cannot score continuations (completions with echo + logprobs); use scoring "generation"`);
    if (scoring === 'generation' && !caps.logprobs) throw new CapabilityError(`realm (generation scoring): ${ctx.llm.id} does not return token log-probabilities`);

    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    if (hits.length === 0) return tracer.finish('No passages were retrieved.', [], []);
    const retrieverName = (ctx.retriever as { name?: unknown }).name;
    const pz = tracer.time('score', 'p(z | x) = softmax(f(x, z) / T)', () => softmax(hits.map((h) => h.score), p.temperature), (w) => ({
      input: {
        retriever: typeof retrieverName === 'string' ? retrieverName : 'unnamed',
        f: retrieverName === 'dense' ? 'inner product of embeddings, as in REALM' : "the retriever's score (REALM uses an inner product of embeddings)",
        temperature: p.temperature,
      },
      scores: Object.fromEntries(w.map((x, i) => [`p(z[${i + 1}] | x)`, x])),
    }));

    // reader: one short span per document; under `generation` scoring, its own log-probability
    const candidates: string[] = [];
    const own: Array<{ text: string; logprob: number } | undefined> = [];
    for (let z = 0; z < hits.length; z++) {
      const r = await tracer.generate(`reader: span from document [${z + 1}]`, docMessages(hits[z], question), {
        temperature: 0,
        maxTokens: p.maxTokens,
        ...(scoring === 'generation' ? { logprobs: true } : {}),
      });
      const g = r.generations[0];
      let text = '';
      let lp = 0;
      if (scoring === 'generation') {
        for (const t of g.logprobs ?? []) {
          lp += t.logprob;
          if (t.token.includes('\n') && text.trim().length > 0) break;
          text += t.token;
        }
      } else text = firstLine(g.text);
      text = text.trim();
      own.push(text ? { text, logprob: lp } : undefined);
      if (text && !candidates.includes(text)) candidates.push(text);
    }
    if (candidates.length === 0) return tracer.finish('', [], hits);

    const anySpan = candidates.some((y) => hits.some((h) => isSpanOf(y, h)));
    const spanOnly = p.spanOnly && anySpan;
    if (p.spanOnly && !anySpan) tracer.note('decide', 'no candidate is a span of any document: every cell scored', { input: { candidates } });
    const table: number[][] = [];
    for (const y of candidates) {
      const row: number[] = [];
      for (let z = 0; z < hits.length; z++) {
        if (spanOnly && !isSpanOf(y, hits[z])) row.push(-Infinity);
        else if (scoring === 'generation') row.push(own[z]?.text === y ? own[z]!.logprob : -Infinity);
        else row.push((await tracer.score(`log p(y | z[${z + 1}], x)`, docRawPrompt(hits[z], question), answerContinuation(y), { document: z + 1 }, true)).logprob);
      }
      table.push(row);
    }
    const marginal = realmMarginal(pz, table);
    const best = argmax(marginal);
    tracer.note('decide', `argmax_y Σ_z p(z | x) p(y | z, x) (${scoring} scoring${spanOnly ? ', spans only' : ''})`, {
      input: { candidates, 'log p(y | z, x)': table },
      output: candidates[best],
      scores: Object.fromEntries(candidates.map((y, i) => [`log p(${y} | x)`, marginal[i]])),
    });
    return finishWithPosterior(tracer, candidates[best], hits, pz, table[best]);
  },
};
