/**
 * RetRobust, training-free gate: Yoran, Wolfson, Ram, Berant, "Making Retrieval-Augmented
 * Language Models Robust to Irrelevant Context", ICLR 2024 (arXiv 2310.01558), §3.1.
 *
 * Answer with retrieval; check with natural-language inference whether any retrieved passage
 * (premise) entails the question together with the answer (hypothesis "q a"); if none does,
 * the retrieved context is treated as irrelevant and the closed-book answer is returned.
 * The paper's NLI model is BART-large fine-tuned on MNLI; here `ctx.nli` when configured, else
 * the LLM is asked for one label (entailment / neutral / contradiction) per passage, which it
 * reports as probability 1 for that label. A passage entails when p(entailment) ≥ `threshold`.
 *
 * The small-training half of RetRobust (fine-tuning on mixed relevant/irrelevant contexts) is a
 * data builder, not an inference method; the noisy-retrieval settings of `./retrieval.ts`
 * reproduce its evaluation (top, low-rank, random passages).
 *
 * Parameters: `threshold` 0.5. Cost: 1 retrieval + 1 chat call + k NLI checks (LLM calls when no
 * NLI model) + 1 chat call when the gate falls back.
 */
import { InvalidParameterError } from '../core/errors.js';
import { answerClosedBook, answerFromPassages } from './answer.js';
import { stripMarkers } from '../generate/citations.js';
import { checkContext, Tracer, type Method, type MethodContext } from './method.js';
import { renderPrompt } from './prompts.js';

export interface RetRobustParams {
  threshold: number;
}

export interface NliProbabilities {
  entailment: number;
  neutral: number;
  contradiction: number;
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

async function classify(tracer: Tracer, ctx: MethodContext, premise: string, hypothesis: string, name: string): Promise<NliProbabilities> {
  if (ctx.nli) {
    const t0 = ctx.now();
    const p = await ctx.nli.classify(premise, hypothesis, ctx.signal);
    tracer.calls += 1;
    tracer.note('score', `${name} (${ctx.nli.id})`, { input: { hypothesis }, scores: { ...p } }, t0);
    return p;
  }
  const r = await tracer.generate(`${name} (LLM as NLI)`, [{ role: 'user', content: renderPrompt('nli.user', { premise, hypothesis }) }], { temperature: 0, maxTokens: 8 });
  const parsed = parseNliLabel(r.generations[0].text);
  tracer.steps[tracer.steps.length - 1].scores = { entailment: parsed.entailment, neutral: parsed.neutral, contradiction: parsed.contradiction };
  return parsed;
}

export const retrobust: Method<RetRobustParams> = {
  name: 'retrobust',
  paper: 'Yoran, Wolfson, Ram, Berant, "Making Retrieval-Augmented Language Models Robust to Irrelevant Context", ICLR 2024 (arXiv 2310.01558).',
  defaults: { threshold: 0.5 },
  cost: '1 retrieval + 1 chat call + k NLI checks (+1 chat call on fallback)',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'retrobust');
    const p = { ...retrobust.defaults, ...params };
    if (!(p.threshold >= 0 && p.threshold <= 1)) throw new InvalidParameterError(`retrobust: threshold must be in [0, 1], got ${p.threshold}`);
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    const g = await answerFromPassages(tracer, 'answer with retrieval', question, hits);
    const ragAnswer = g.text.trim();
    const hypothesis = `${question} ${stripMarkers(ragAnswer)}`;
    const entailing: number[] = [];
    for (let i = 0; i < hits.length; i++) {
      const probs = await classify(tracer, ctx, hits[i].text, hypothesis, `NLI: passage [${i + 1}] ⊨ question + answer?`);
      if (probs.entailment >= p.threshold) {
        entailing.push(i);
        break; // one entailing passage is enough to keep the answer
      }
    }
    if (entailing.length > 0) {
      tracer.note('decide', 'NLI gate: keep the retrieval answer', { output: `passage [${entailing[0] + 1}] entails "${hypothesis}"` });
      return tracer.finishCited(ragAnswer, hits);
    }
    tracer.note('decide', 'NLI gate: no passage entails the answer; fall back to closed-book', { output: { discarded: ragAnswer } });
    const c = await answerClosedBook(tracer, 'closed-book answer', question);
    return tracer.finish(stripMarkers(c.text.trim()), [], []);
  },
};
