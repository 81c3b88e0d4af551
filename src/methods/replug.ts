/**
 * REPLUG: Shi, Min, Yasunaga, Seo, James, Lewis, Zettlemoyer, Yih, "REPLUG: Retrieval-Augmented
 * Black-Box Language Models", NAACL 2024 (arXiv 2301.12652), inference (§3).
 *
 * Each of the top-k documents d is prepended to the question x separately, and the model's
 * predictions are ensembled with weights from the retrieval scores s(d, x):
 *
 *   λ(d, x) = exp(s(d, x)/γ) / Σ_{d' ∈ D'} exp(s(d', x)/γ)
 *   p(y | x, D') = Σ_{d ∈ D'} λ(d, x) · p(y | d ∘ x)
 *
 * Two forms, picked by `mode` (default `auto`):
 * - `token`: greedy decoding on the per-token mixture Σ_d λ_d p(y_i | d ∘ x, y_<i), the
 *   paper's ensemble applied at every step (needs top-logprobs and assistant prefill; see
 *   `./mixture.ts`). Cost: k chat calls per generated token.
 * - `sequence`: one greedy candidate per document, then every candidate y scored under every
 *   document with `scoreContinuation`, log p(y | x, D') = logsumexp_d(log λ_d + log p(y | d ∘ x));
 *   the best mixture wins. p(y | d ∘ x) includes the end of the answer (`answerContinuation`:
 *   " y" and the newline that ends it), so a prefix of an answer does not outscore the answer. Cost: k chat calls + (distinct candidates × k) scorings.
 * - `auto`: `token` when the endpoint gives log-probabilities and continues a trailing assistant
 *   message (prefill; OpenAI's hosted models do not), else `sequence` when it scores
 *   continuations, else CapabilityError (`autoReplugMode`).
 *
 * FlashRAG departs from this: it mixes *logits* with sum-normalised raw scores w_d = s_d / Σ s
 * and samples; we mix probabilities with softmax weights and decode greedily, as in the paper.
 *
 * The answer cites the document with the largest posterior p(d | x, y) ∝ λ_d · p(y | d ∘ x).
 * Parameters: `gamma` γ > 0 (default 1: the paper's softmax over similarity scores; BM25 scores
 * span a wider range and usually want γ of 5–10), `mode`, `maxTokens` 32.
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import type { ChatMessage, LanguageModelCapabilities } from '../models/types.js';
import { formatPassage } from './cite.js';
import { checkContext, Tracer, type Method, type MethodContext, type MethodResult } from './method.js';
import { beamText, firstLine, mixtureDecode, requirePrefill } from './mixture.js';
import { argmax, logMixture, softmax } from './prob.js';
import { renderPrompt } from './prompts.js';

export type ReplugMode = 'auto' | 'token' | 'sequence';

export interface ReplugParams {
  gamma: number;
  mode: ReplugMode;
  maxTokens: number;
}

/** The chat prompt of one document. */
export function docMessages(hit: Hit, question: string): ChatMessage[] {
  return [{ role: 'user', content: renderPrompt('doc.user', { passage: formatPassage(hit), question }) }];
}

/** The raw prompt of one document for continuation scoring. */
export function docRawPrompt(hit: Hit, question: string): string {
  return renderPrompt('doc.raw', { passage: formatPassage(hit), question });
}

/**
 * The end of a one-line answer: the newline that closes the line (openbook's QA answers are one
 * line; the candidates are cut at it). Continuation scoring appends it, so log p(y | prompt)
 * includes the end of y as the papers' p(y | x) does (Lewis et al. 2020 §2.1: a sequence's
 * probability is that of all its tokens, end of sequence included) — without it a prefix of an
 * answer always outscores the answer (p(" Paris") ≥ p(" Paris, France")).
 */
export const ANSWER_END = '\n';

/** The continuation scored for answer y after a raw prompt ending in "Answer:": " y" + `ANSWER_END`. */
export function answerContinuation(answer: string): string {
  return ` ${answer}${ANSWER_END}`;
}

/**
 * What `auto` picks from a model's capabilities: `token` when it returns token log-probabilities
 * and continues a trailing assistant message (prefill), else `sequence` when it scores
 * continuations, else undefined (nothing runs). `openbook doctor` prints it.
 */
export function autoReplugMode(caps: Pick<LanguageModelCapabilities, 'logprobs' | 'prefill' | 'echoScoring'>): 'token' | 'sequence' | undefined {
  if (caps.logprobs && caps.prefill) return 'token';
  if (caps.echoScoring) return 'sequence';
  return undefined;
}

/** Picks `token` or `sequence` for `auto` from the model's capabilities (`autoReplugMode`); checks that `token` can run. */
export function resolveMode(mode: ReplugMode, ctx: MethodContext, method: string): 'token' | 'sequence' {
  if (mode === 'sequence') return mode;
  if (mode === 'token') {
    requirePrefill(ctx, `${method} (token mode)`, 'use --mode sequence (needs continuation scoring)');
    return mode;
  }
  const picked = autoReplugMode(ctx.llm.capabilities);
  if (picked) return picked;
  const caps = ctx.llm.capabilities;
  const token = !caps.logprobs ? 'returns no token log-probabilities' : 'does not continue a trailing assistant message (prefill)';
  throw new CapabilityError(
    `${method}: ${ctx.llm.id} ${token}, so the token-level ensemble cannot run, and it cannot score continuations (completions with echo + logprobs), so the sequence-level one cannot either; use a vLLM server (both), or a method that needs neither (naive, hyde)`,
  );
}

/** Posterior p(d | x, y) ∝ λ_d p(y | d ∘ x), from log p(y | d ∘ x). */
export function posterior(weights: readonly number[], logps: readonly number[]): number[] {
  const z = logMixture(logps, weights);
  return weights.map((w, d) => (z === -Infinity || w === 0 ? 0 : Math.exp(Math.log(w) + logps[d] - z)));
}

export const replug: Method<ReplugParams> = {
  name: 'replug',
  paper: 'Shi et al., "REPLUG: Retrieval-Augmented Black-Box Language Models", NAACL 2024 (arXiv 2301.12652).',
  defaults: { gamma: 1, mode: 'auto', maxTokens: 32 },
  cost: 'token: k chat calls per token; sequence: k chat calls + (candidates × k) scorings',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'replug');
    const p = { ...replug.defaults, ...params };
    if (!(p.gamma > 0)) throw new InvalidParameterError(`replug: gamma must be > 0, got ${p.gamma}`);
    const mode = resolveMode(p.mode, ctx, 'replug');
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    if (hits.length === 0) return tracer.finish('No passages were retrieved.', [], []);
    const lambda = tracer.time('score', 'λ(d, x) = softmax(s(d, x)/γ)', () => softmax(hits.map((h) => h.score), p.gamma), (w) => ({
      input: { gamma: p.gamma, scores: hits.map((h) => h.score) },
      scores: Object.fromEntries(w.map((x, i) => [`λ[${i + 1}] ${hits[i].chunkId}`, x])),
    }));
    return mode === 'token' ? replugToken(tracer, question, hits, lambda, p) : replugSequence(tracer, question, hits, lambda, ctx);
  },
};

async function replugToken(tracer: Tracer, question: string, hits: Hit[], lambda: number[], p: ReplugParams): Promise<MethodResult> {
  const res = await mixtureDecode(tracer, hits.map((h) => docMessages(h, question)), lambda, 1, p.maxTokens);
  for (const s of res.steps) {
    tracer.note('score', `token ${JSON.stringify(s.token)}`, {
      input: { prefix: s.prefix },
      output: s.token,
      scores: { 'log p mixture': s.logprob, ...Object.fromEntries(s.perDoc.map((x, d) => [`log p [${d + 1}]`, x])) },
    });
  }
  const answer = beamText(res.beams[0]);
  return finishWithPosterior(tracer, answer, hits, lambda, res.perDocLogprob);
}

async function replugSequence(tracer: Tracer, question: string, hits: Hit[], lambda: number[], ctx: MethodContext): Promise<MethodResult> {
  if (!ctx.llm.capabilities.echoScoring) throw new CapabilityError(`replug (sequence): ${ctx.llm.id} cannot score continuations (completions with echo + logprobs)`);
  const candidates: string[] = [];
  for (let d = 0; d < hits.length; d++) {
    const r = await tracer.generate(`candidate from document [${d + 1}]`, docMessages(hits[d], question), { temperature: 0, maxTokens: 32 });
    const c = firstLine(r.generations[0].text);
    if (c.length > 0 && !candidates.includes(c)) candidates.push(c);
  }
  if (candidates.length === 0) return tracer.finish('', [], hits);
  const table: number[][] = [];
  for (const c of candidates) {
    const row: number[] = [];
    for (let d = 0; d < hits.length; d++) row.push((await tracer.score(`log p(y | d[${d + 1}] ∘ x)`, docRawPrompt(hits[d], question), answerContinuation(c), { document: d + 1 }, true)).logprob);
    table.push(row);
  }
  const mixture = table.map((row) => logMixture(row, lambda));
  const best = argmax(mixture);
  tracer.note('decide', 'pick argmax_y Σ_d λ_d p(y | d ∘ x)', {
    input: { candidates, 'log p(y | d ∘ x)': table },
    output: candidates[best],
    scores: Object.fromEntries(candidates.map((c, i) => [`log p(${c})`, mixture[i]])),
  });
  return finishWithPosterior(tracer, candidates[best], hits, lambda, table[best]);
}

/** Cites the document with the largest posterior p(d | x, y) ∝ w_d · p(y | d, x) and finishes the run. */
export function finishWithPosterior(tracer: Tracer, answer: string, hits: Hit[], lambda: number[], logps: number[]): MethodResult {
  const post = posterior(lambda, logps);
  const top = argmax(post);
  tracer.note('score', 'posterior p(d | x, y) ∝ λ_d p(y | d ∘ x)', { output: `cite [${top + 1}]`, scores: Object.fromEntries(post.map((x, d) => [`p(d[${d + 1}] | x, y)`, x])) });
  if (answer.length === 0 || post[top] === 0) return tracer.finish(answer, [], hits);
  return tracer.finishCited(`${answer} [${top + 1}]`, hits);
}
