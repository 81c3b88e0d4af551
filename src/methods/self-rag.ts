/**
 * Self-RAG: Asai, Wu, Wang, Sil, Hajishirzi, "Self-RAG: Learning to Retrieve, Generate, and
 * Critique through Self-Reflection", ICLR 2024 (arXiv 2310.11511), short-form inference as the
 * authors' script computes it (AkariAsai/self-rag:retrieval_lm/run_short_form.py,
 * `call_model_rerank_w_scores_batch`; reflection-token names from retrieval_lm/utils.py).
 *
 * The paper's model emits reflection tokens — [Retrieval] / [No Retrieval], [Relevant] /
 * [Irrelevant], [Fully supported] / [Partially supported] / [No support / Contradictory],
 * [Utility:1]…[Utility:5] — and inference reads their probabilities:
 *
 * 1. Retrieve iff P([Retrieval]) / (P([Retrieval]) + P([No Retrieval])) > δ at the first generated
 *    position (δ = `threshold`, 0.2 as FlashRAG and the paper's short-form runs use). Otherwise the
 *    answer is generated after "[No Retrieval]" (closed-book).
 * 2. Every retrieved passage d is scored — there is no relevance filter — from one continuation of
 *    `prompt + "[Retrieval]<paragraph>title\ntext</paragraph>"`:
 *      rel = P([Relevant]) / (P([Relevant]) + P([Irrelevant]))          (first position)
 *      grd = (P(Fully) + 0.5 · P(Partially)) / Σ of the three            (first support token)
 *      ut  = Σ_i u_i P([Utility:i]) / Σ_i P([Utility:i]), u = [−1, −0.5, 0, 0.5, 1]
 *      score(d) = exp(mean token log-probability of the continuation) + w_rel·rel + w_sup·grd + w_use·ut
 *    (a token outside the returned alternatives counts exp(−100), as the script's −100). The paper's
 *    segment score adds the generation's likelihood to the critique terms (§3.3); the script's
 *    `use_seqscore` form is exp(cumulative log-probability / tokens), i.e. exp of the *mean* token
 *    log-probability, which is what is added here (`useSeqScore`, default true). Weights: w_rel 1,
 *    w_sup 1, w_use 0.5 (the script's `generate` passes these).
 * 3. The best-scoring passage's answer (reflection tokens removed) is returned, cited to it.
 *
 * Two modes:
 * - `checkpoint`: a real Self-RAG model (selfrag/selfrag_llama2_7b, 13b) on `/v1/completions`, with
 *   the authors' prompt `### Instruction:\n{question}\n\n### Response:\n`; probabilities from the
 *   top-20 alternatives of each generated token; vLLM is asked for `skip_special_tokens: false` so the
 *   reflection tokens stay in the text. Without log-probabilities the reflection tokens are read from
 *   the raw text ([Retrieval] present → retrieve; rel/grd/ut one-hot; no generation term), as the
 *   script does when no threshold is given.
 * - `prompted` (default): no reflection-token model; each reflection is a judge prompt to the
 *   configured chat model (an LLM-as-judge approximation, labelled in the trace): retrieval and
 *   relevance are Yes/No questions scored P(Yes) / (P(Yes) + P(No)) from the first token's
 *   top-20 alternatives, support ("Fully", "Partially", "No") and utility (digit 1–5) from the same
 *   alternatives, and the generation term from the answer's token log-probabilities. Without
 *   log-probabilities the labels are parsed (one-hot) and the generation term is left out.
 *
 * Parameters: `mode` 'prompted', `threshold` δ 0.2, `wRel` 1, `wSup` 1, `wUse` 0.5, `useSeqScore`
 * true, `alwaysRetrieve` false, `maxTokens` 100 (checkpoint continuations).
 * Cost: prompted 1 + 4k chat calls; checkpoint 1 + k completions (2 without retrieval).
 */
import { InvalidParameterError } from '../core/errors.js';
import { stripMarkers } from '../generate/citations.js';
import type { TokenLogprob } from '../models/types.js';
import { answerClosedBook, ANSWER_MAX_TOKENS } from './answer.js';
import { checkContext, checkInteger, Tracer, type Method, type MethodContext, type MethodResult } from './method.js';
import { argmax, meanLogprob } from './prob.js';
import { renderPrompt } from './prompts.js';
import { docMessages } from './replug.js';

export interface SelfRagParams {
  mode: 'prompted' | 'checkpoint';
  /** δ: retrieve iff P(retrieve) / (P(retrieve) + P(no retrieval)) > δ. */
  threshold: number;
  wRel: number;
  wSup: number;
  wUse: number;
  /** Add exp(mean token log-probability) of the generation to the critique terms. */
  useSeqScore: boolean;
  alwaysRetrieve: boolean;
  /** Tokens per checkpoint continuation. */
  maxTokens: number;
}

/** Self-RAG's reflection tokens (AkariAsai/self-rag:retrieval_lm/utils.py). */
export const REFLECTION_TOKENS = {
  retrieval: ['[Retrieval]', '[No Retrieval]', '[Continue to Use Evidence]'],
  relevance: ['[Relevant]', '[Irrelevant]'],
  support: ['[Fully supported]', '[Partially supported]', '[No support / Contradictory]'],
  utility: ['[Utility:1]', '[Utility:2]', '[Utility:3]', '[Utility:4]', '[Utility:5]'],
  other: ['<paragraph>', '</paragraph>'],
} as const;

/** The utility weights u_i of [Utility:1]…[Utility:5]. */
export const UTILITY_WEIGHTS = [-1, -0.5, 0, 0.5, 1] as const;

/** What a reflection token missing from the returned alternatives counts (the script's log-probability −100). */
const ABSENT = Math.exp(-100);

/** Yes/No → true/false (first one named; neither → true, retrieval being the safe default). */
export function parseYesNo(text: string): boolean {
  const m = text.toLowerCase().match(/\b(yes|no)\b/);
  return m ? m[1] === 'yes' : true;
}

/** "Yes" / "Relevant" → true; "No" / "Irrelevant" / "not relevant" → false; neither → false. */
export function parseRelevant(text: string): boolean {
  const t = text.toLowerCase();
  if (/\b(irrelevant|not relevant|no)\b/.test(t)) return false;
  return /\b(relevant|yes)\b/.test(t);
}

/** "Fully supported" 1, "Partially supported" 0.5, else 0. */
export function parseSupport(text: string): number {
  const t = text.toLowerCase();
  if (/\bfull(y)?\b/.test(t)) return 1;
  if (/\bpartial(ly)?\b/.test(t)) return 0.5;
  return 0;
}

/** The first digit 1–5 as utility u = (rating − 3)/2; none → 0. */
export function parseUtility(text: string): number {
  const m = text.match(/[1-5]/);
  return m ? (Number(m[0]) - 3) / 2 : 0;
}

/**
 * Probability mass per label at one generated position: each alternative (and the chosen token)
 * whose text, trimmed and lower-cased, is one of a label's words adds exp(logprob) to that label.
 * @returns undefined when no alternative matches any label
 */
export function labelMass(position: TokenLogprob | undefined, labels: Record<string, readonly string[]>): Record<string, number> | undefined {
  if (!position) return undefined;
  const alts = new Map<string, number>();
  for (const t of position.top ?? []) if (!alts.has(t.token)) alts.set(t.token, t.logprob);
  if (!alts.has(position.token)) alts.set(position.token, position.logprob);
  const mass: Record<string, number> = Object.fromEntries(Object.keys(labels).map((k) => [k, 0]));
  let any = false;
  for (const [token, lp] of alts) {
    const w = token.trim().toLowerCase();
    for (const [label, words] of Object.entries(labels)) {
      if (words.includes(w)) {
        mass[label] += Math.exp(lp);
        any = true;
      }
    }
  }
  return any ? mass : undefined;
}

/** The generation term exp(mean token log-probability), or undefined without log-probabilities. */
function seqTerm(tokens: readonly TokenLogprob[] | undefined): number | undefined {
  return tokens && tokens.length > 0 ? Math.exp(meanLogprob(tokens.map((t) => t.logprob))) : undefined;
}

/** The grounding score from masses of Fully / Partially / No support. */
function groundScore(m: Record<string, number>): number {
  const sum = m.full + m.partial + m.no;
  return sum > 0 ? (m.full + 0.5 * m.partial) / sum : 0;
}

/** The utility score Σ u_i P_i / Σ P_i from masses of ratings 1–5. */
function utilityScore(m: Record<string, number>): number {
  const ps = [1, 2, 3, 4, 5].map((i) => m[String(i)]);
  const sum = ps.reduce((a, b) => a + b, 0);
  return sum > 0 ? ps.reduce((a, p, i) => a + UTILITY_WEIGHTS[i] * p, 0) / sum : 0;
}

/** A checkpoint's answer text: the reflection tokens, `</s>` and newlines removed (the script's `postprocess_answer_option_conditioned`). */
export function stripReflection(text: string): string {
  let out = text;
  for (const t of [...REFLECTION_TOKENS.retrieval, ...REFLECTION_TOKENS.relevance, ...REFLECTION_TOKENS.support, ...REFLECTION_TOKENS.utility, ...REFLECTION_TOKENS.other, '</s>', '<|endoftext|>']) out = out.split(t).join('');
  return out.replace(/\n/g, '').trim();
}

/** The authors' prompt for a question (retrieval_lm/utils.py `prompt_no_input`). */
export function selfRagPrompt(question: string): string {
  return `### Instruction:\n${question}\n\n### Response:\n`;
}

interface Scored {
  answer: string;
  rel: number;
  grd: number;
  ut: number;
  seq: number | undefined;
}

export const selfRag: Method<SelfRagParams> = {
  name: 'self-rag',
  paper: 'Asai et al., "Self-RAG: Learning to Retrieve, Generate, and Critique through Self-Reflection", ICLR 2024 (arXiv 2310.11511) — checkpoint mode with reflection tokens, or prompted judges (approximation).',
  defaults: { mode: 'prompted', threshold: 0.2, wRel: 1, wSup: 1, wUse: 0.5, useSeqScore: true, alwaysRetrieve: false, maxTokens: 100 },
  cost: 'prompted: 1 + 4k chat calls; checkpoint: 1 + k completions',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'self-rag');
    const p = { ...selfRag.defaults, ...params };
    if (p.mode !== 'prompted' && p.mode !== 'checkpoint') throw new InvalidParameterError(`self-rag: mode must be "prompted" or "checkpoint", got ${JSON.stringify(p.mode)}`);
    if (!(p.threshold >= 0 && p.threshold <= 1)) throw new InvalidParameterError(`self-rag: threshold must be in [0, 1], got ${p.threshold}`);
    for (const k of ['wRel', 'wSup', 'wUse'] as const) if (!Number.isFinite(p[k])) throw new InvalidParameterError(`self-rag: ${k} must be a finite number, got ${p[k]}`);
    checkInteger('self-rag', 'maxTokens', p.maxTokens, 1);
    const tracer = new Tracer(ctx);
    return p.mode === 'checkpoint' ? runCheckpoint(tracer, question, ctx, p) : runPrompted(tracer, question, ctx, p);
  },
};

function decideRetrieval(tracer: Tracer, p: SelfRagParams, label: string, ratio: number | undefined, fallback: boolean): boolean {
  const retrieve = ratio === undefined ? fallback : ratio > p.threshold;
  tracer.note('decide', `[Retrieval]? ${retrieve ? 'retrieve' : 'no retrieval: answer closed-book'}`, {
    input: ratio === undefined ? { from: 'the text (no log-probabilities)' } : { threshold: p.threshold },
    output: retrieve,
    ...(ratio === undefined ? {} : { scores: { [label]: ratio } }),
  });
  return retrieve;
}

function finishBest(tracer: Tracer, p: SelfRagParams, scored: Scored[], hits: Parameters<Tracer['finishCited']>[1]): MethodResult {
  const table: Record<string, number> = {};
  const scores = scored.map((s, i) => {
    const score = (p.useSeqScore && s.seq !== undefined ? s.seq : 0) + p.wRel * s.rel + p.wSup * s.grd + p.wUse * s.ut;
    table[`rel [${i + 1}]`] = s.rel;
    table[`grd [${i + 1}]`] = s.grd;
    table[`ut [${i + 1}]`] = s.ut;
    if (s.seq !== undefined) table[`exp(mean log p) [${i + 1}]`] = s.seq;
    table[`score [${i + 1}]`] = score;
    return score;
  });
  const best = argmax(scores);
  tracer.note('decide', 'best segment score: exp(mean log p) + w_rel·rel + w_sup·grd + w_use·ut', {
    input: scored.map((s) => s.answer),
    output: `${scored[best].answer} (passage ${best + 1})`,
    scores: table,
  });
  if (!scored[best].answer) return tracer.finish('', [], hits);
  return tracer.finishCited(`${scored[best].answer} [${best + 1}]`, hits);
}

async function runCheckpoint(tracer: Tracer, question: string, ctx: MethodContext, p: SelfRagParams): Promise<MethodResult> {
  const prompt = selfRagPrompt(question);
  const opts = { temperature: 0, maxTokens: p.maxTokens, topLogprobs: 20, extra: { skip_special_tokens: false } };
  tracer.note('decide', 'Self-RAG checkpoint', { output: 'Reflection tokens read from a Self-RAG model on /v1/completions (authors\' prompt format).' });
  let retrieve = true;
  if (!p.alwaysRetrieve) {
    const c = await tracer.complete('generate: [Retrieval] or [No Retrieval]', prompt, opts);
    const m = labelMass(c.logprobs?.[0], { yes: ['[retrieval]'], no: ['[no retrieval]'] });
    const ratio = m ? (m.yes + ABSENT) / (m.yes + m.no + 2 * ABSENT) : undefined;
    retrieve = decideRetrieval(tracer, p, 'P([Retrieval]) normalised', ratio, c.text.includes('[Retrieval]'));
  }
  if (!retrieve) {
    const c = await tracer.complete('answer after [No Retrieval]', `${prompt}[No Retrieval]`, opts);
    return tracer.finish(stripReflection(c.text), [], []);
  }
  const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
  if (hits.length === 0) return tracer.finish('No passages were retrieved.', [], []);
  const scored: Scored[] = [];
  for (let i = 0; i < hits.length; i++) {
    const c = await tracer.complete(`continuation with passage ${i + 1}`, `${prompt}[Retrieval]<paragraph>${hits[i].title ?? ''}\n${hits[i].text}</paragraph>`, opts);
    scored.push({ answer: stripReflection(c.text), ...(c.logprobs ? critiqueFromLogprobs(c.logprobs) : critiqueFromText(c.text)) });
  }
  return finishBest(tracer, p, scored, hits);
}

/** rel, grd, ut and the generation term from a checkpoint continuation's token log-probabilities. */
function critiqueFromLogprobs(tokens: TokenLogprob[]): Omit<Scored, 'answer'> {
  const at = (names: readonly string[]) => tokens.find((t) => names.includes(t.token.trim()));
  const prob = (pos: TokenLogprob | undefined, name: string) => {
    if (!pos) return ABSENT;
    const lp = pos.token.trim() === name ? pos.logprob : pos.top?.find((t) => t.token.trim() === name)?.logprob;
    return lp === undefined ? ABSENT : Math.exp(lp);
  };
  const first = tokens[0];
  const [pr, pi] = REFLECTION_TOKENS.relevance.map((n) => prob(first, n));
  const g = at(REFLECTION_TOKENS.support);
  const grd = g ? groundScore({ full: prob(g, REFLECTION_TOKENS.support[0]), partial: prob(g, REFLECTION_TOKENS.support[1]), no: prob(g, REFLECTION_TOKENS.support[2]) }) : 0;
  const u = at(REFLECTION_TOKENS.utility);
  const ut = u ? utilityScore(Object.fromEntries(REFLECTION_TOKENS.utility.map((n, i) => [String(i + 1), prob(u, n)]))) : 0;
  return { rel: pr / (pr + pi), grd, ut, seq: seqTerm(tokens) };
}

/** rel, grd, ut one-hot from the reflection tokens in a checkpoint's raw text (no log-probabilities). */
function critiqueFromText(text: string): Omit<Scored, 'answer'> {
  const first = (names: readonly string[]) => names.map((n) => ({ n, i: text.indexOf(n) })).filter((x) => x.i >= 0).sort((a, b) => a.i - b.i)[0]?.n;
  const rel = first(REFLECTION_TOKENS.relevance) === '[Relevant]' ? 1 : 0;
  const s = first(REFLECTION_TOKENS.support);
  const grd = s === '[Fully supported]' ? 1 : s === '[Partially supported]' ? 0.5 : 0;
  const u = first(REFLECTION_TOKENS.utility);
  const ut = u ? UTILITY_WEIGHTS[REFLECTION_TOKENS.utility.indexOf(u as (typeof REFLECTION_TOKENS.utility)[number])] : 0;
  return { rel, grd, ut, seq: undefined };
}

async function runPrompted(tracer: Tracer, question: string, ctx: MethodContext, p: SelfRagParams): Promise<MethodResult> {
  const lp = ctx.llm.capabilities.logprobs;
  const judge = { temperature: 0, maxTokens: 4, ...(lp ? { logprobs: true, topLogprobs: 20 } : {}) };
  const YES_NO = { yes: ['yes'], no: ['no'] };
  tracer.note('decide', 'prompted Self-RAG', { output: 'Reflection tokens are approximated by judge prompts to the configured model; no Self-RAG-trained critic is used.' });
  let retrieve = true;
  if (!p.alwaysRetrieve) {
    const r = await tracer.generate('ask [Retrieval]', [{ role: 'user', content: renderPrompt('selfrag.retrieve', { question }) }], judge);
    const m = labelMass(r.generations[0].logprobs?.[0], YES_NO);
    retrieve = decideRetrieval(tracer, p, 'P(Yes) normalised', m ? m.yes / (m.yes + m.no) : undefined, parseYesNo(r.generations[0].text));
  }
  if (!retrieve) {
    const g = await answerClosedBook(tracer, 'closed-book answer', question);
    return tracer.finish(stripMarkers(g.text.trim()), [], []);
  }
  const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
  if (hits.length === 0) return tracer.finish('No passages were retrieved.', [], []);
  const scored: Scored[] = [];
  for (let i = 0; i < hits.length; i++) {
    const relR = await tracer.generate(`[IsRel] passage ${i + 1}`, [{ role: 'user', content: renderPrompt('selfrag.relevant', { question, passage: hits[i].text }) }], judge);
    const relM = labelMass(relR.generations[0].logprobs?.[0], YES_NO);
    const rel = relM ? relM.yes / (relM.yes + relM.no) : parseRelevant(relR.generations[0].text) ? 1 : 0;
    const g = (await tracer.generate(`answer from passage ${i + 1}`, docMessages(hits[i], question), { temperature: 0, maxTokens: ANSWER_MAX_TOKENS, ...(lp ? { logprobs: true } : {}) })).generations[0];
    const answer = stripMarkers(g.text.split('\n')[0].trim());
    // the generation term over the answer line (tokens up to the first newline after text)
    const line: TokenLogprob[] = [];
    for (const t of g.logprobs ?? []) {
      if (t.token.includes('\n') && line.length > 0) break;
      line.push(t);
    }
    const supR = await tracer.generate(`[IsSup] answer ${i + 1}`, [{ role: 'user', content: renderPrompt('selfrag.supported', { passage: hits[i].text, question, answer }) }], judge);
    const supM = labelMass(supR.generations[0].logprobs?.[0], { full: ['fully', 'full'], partial: ['partially', 'partial'], no: ['no'] });
    const useR = await tracer.generate(`[IsUse] answer ${i + 1}`, [{ role: 'user', content: renderPrompt('selfrag.useful', { question, answer }) }], judge);
    const useM = labelMass(useR.generations[0].logprobs?.[0], { '1': ['1'], '2': ['2'], '3': ['3'], '4': ['4'], '5': ['5'] });
    scored.push({
      answer,
      rel,
      grd: supM ? groundScore(supM) : parseSupport(supR.generations[0].text),
      ut: useM ? utilityScore(useM) : parseUtility(useR.generations[0].text),
      seq: seqTerm(line),
    });
  }
  return finishBest(tracer, p, scored, hits);
}
