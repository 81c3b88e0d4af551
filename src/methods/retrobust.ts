/**
 * RetRobust, training-free gate: Yoran, Wolfson, Ram, Berant, "Making Retrieval-Augmented
 * Language Models Robust to Irrelevant Context", ICLR 2024 (arXiv 2310.01558), §3.1. Followed:
 * the authors' code, oriyor/ret-robust `nli/src/utils.py` (`populate_question_with_entailment`)
 * and `nli/src/scripts/run_nli.py` (the decision rule).
 *
 * Answer with retrieval; run NLI with
 *   premise    = the top-1 retrieved passage (the context the first answer was generated from);
 *   hypothesis = question (a "?" appended when it has none) + " The answer is: " + answer
 *                (citation markers removed), see {@link retrobustHypothesis};
 *   p_true     = softmax over the [contradiction, entailment] logits only (neutral is thrown away)
 *              = p(e) / (p(e) + p(c)) of the model's full softmax;
 * keep the retrieval answer iff p_true > `threshold` (strict, 0.5 in run_nli.py), else return the
 * closed-book answer. The multi-hop form also requires every sub-question's p_true above the
 * threshold; openbook's methods answer single-hop, so that term is absent.
 *
 * The paper's NLI model is facebook/bart-large-mnli: `ctx.nli` (an ONNX folder through
 * `models/nli.ts`, `--nli-model DIR` / `nli.modelDir`). Without one the LLM is asked for one label
 * (entailment / neutral / contradiction) — an approximation, labelled so in the trace — read
 * one-hot: entailment → p_true 1, contradiction → 0, neutral → 0 (no entailment evidence).
 *
 * `premise: 'each'` (not the paper) checks the top-k passages in rank order and keeps the answer
 * once one passes. The small-training half of RetRobust is `train/retrobust.ts`; the
 * noisy-retrieval settings of `./retrieval.ts` reproduce its evaluation (top, low-rank, random).
 *
 * Parameters: `threshold` 0.5, `premise` top-1. Cost: 1 retrieval + 1 chat call + 1 NLI check
 * (an LLM call when no NLI model; up to k with premise=each) + 1 chat call when the gate falls back.
 */
import { InvalidParameterError } from '../core/errors.js';
import { answerClosedBook, answerFromPassages } from './answer.js';
import { stripMarkers } from '../generate/citations.js';
import { checkContext, Tracer, type Method, type MethodContext } from './method.js';
import { renderPrompt } from './prompts.js';

export type RetRobustPremise = 'top-1' | 'each';
export const retRobustPremises: readonly RetRobustPremise[] = ['top-1', 'each'];

export interface RetRobustParams {
  /** Keep the retrieval answer iff p_true > threshold; in [0, 1]. Default 0.5. */
  threshold: number;
  /** `top-1` (the paper: the top passage is the premise) or `each` (any of the top-k passages). */
  premise: RetRobustPremise;
}

export interface NliProbabilities {
  entailment: number;
  neutral: number;
  contradiction: number;
}

/**
 * The hypothesis of the authors' code: the trimmed question, "?" appended unless it ends with
 * one, then " The answer is: " and the answer with its citation markers removed.
 */
export function retrobustHypothesis(question: string, answer: string): string {
  const q = question.trim();
  return `${q.endsWith('?') ? q : `${q}?`} The answer is: ${stripMarkers(answer).trim()}`;
}

/** p_true = softmax over [contradiction, entailment] = p(e) / (p(e) + p(c)); 0 when both are 0 (a neutral one-hot label). */
export function pTrue(p: NliProbabilities): number {
  const z = p.entailment + p.contradiction;
  return z > 0 ? p.entailment / z : 0;
}

/**
 * Reads an LLM's NLI label: the first of entailment / neutral / contradiction (or entails,
 * contradicts …) it names, as a one-hot distribution. Negated entailment ("does not entail",
 * "not entailed") is not a label; a reply naming no label counts as neutral (not entailed).
 */
export function parseNliLabel(text: string): NliProbabilities & { label: keyof NliProbabilities } {
  const cleaned = text.toLowerCase().replace(/\b(?:not|n't|doesn't|never)\s+(?:be\s+)?entail\w*/g, ' ');
  const m = cleaned.match(/\b(entail\w*|neutral|contradict\w*)/);
  const word = m?.[1] ?? 'neutral';
  const label: keyof NliProbabilities = word.startsWith('entail') ? 'entailment' : word.startsWith('contradict') ? 'contradiction' : 'neutral';
  return { entailment: label === 'entailment' ? 1 : 0, neutral: label === 'neutral' ? 1 : 0, contradiction: label === 'contradiction' ? 1 : 0, label };
}

async function classify(tracer: Tracer, ctx: MethodContext, premise: string, hypothesis: string, name: string): Promise<number> {
  if (ctx.nli) {
    const t0 = ctx.now();
    const p = await ctx.nli.classify(premise, hypothesis, ctx.signal);
    tracer.calls += 1;
    const t = pTrue(p);
    tracer.note('score', `${name} (${ctx.nli.id})`, { input: { hypothesis }, scores: { contradiction: p.contradiction, neutral: p.neutral, entailment: p.entailment, p_true: t } }, t0);
    return t;
  }
  const r = await tracer.generate(`${name} (LLM as NLI, an approximation of the paper's bart-large-mnli)`, [{ role: 'user', content: renderPrompt('nli.user', { premise, hypothesis }) }], { temperature: 0, maxTokens: 8 });
  const parsed = parseNliLabel(r.generations[0].text);
  const t = pTrue(parsed);
  tracer.steps[tracer.steps.length - 1].scores = { contradiction: parsed.contradiction, neutral: parsed.neutral, entailment: parsed.entailment, p_true: t };
  return t;
}

export const retrobust: Method<RetRobustParams> = {
  name: 'retrobust',
  paper: 'Yoran, Wolfson, Ram, Berant, "Making Retrieval-Augmented Language Models Robust to Irrelevant Context", ICLR 2024 (arXiv 2310.01558).',
  defaults: { threshold: 0.5, premise: 'top-1' },
  cost: '1 retrieval + 1 chat call + 1 NLI check (k with premise=each) (+1 chat call on fallback)',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'retrobust');
    const p = { ...retrobust.defaults, ...params };
    if (!(p.threshold >= 0 && p.threshold <= 1)) throw new InvalidParameterError(`retrobust: threshold must be in [0, 1], got ${p.threshold}`);
    if (!retRobustPremises.includes(p.premise)) throw new InvalidParameterError(`retrobust: premise must be one of ${retRobustPremises.join(', ')}, got ${JSON.stringify(p.premise)}`);
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    const g = await answerFromPassages(tracer, 'answer with retrieval', question, hits);
    const ragAnswer = g.text.trim();
    const hypothesis = retrobustHypothesis(question, ragAnswer);
    const premises = p.premise === 'top-1' ? hits.slice(0, 1) : hits;
    let kept = -1;
    for (let i = 0; i < premises.length && kept < 0; i++) {
      const t = await classify(tracer, ctx, premises[i].text, hypothesis, `NLI: premise = passage [${i + 1}], p_true > ${p.threshold}?`);
      if (t > p.threshold) kept = i;
    }
    if (kept >= 0) {
      tracer.note('decide', 'NLI gate: keep the retrieval answer', { output: `passage [${kept + 1}] entails "${hypothesis}"` });
      return tracer.finishCited(ragAnswer, hits);
    }
    tracer.note('decide', `NLI gate: p_true ≤ ${p.threshold}; fall back to closed-book`, { output: { discarded: ragAnswer } });
    const c = await answerClosedBook(tracer, 'closed-book answer', question);
    return tracer.finish(stripMarkers(c.text.trim()), [], []);
  },
};
