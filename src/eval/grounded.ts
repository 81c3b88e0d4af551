/**
 * Grounded-answer metrics for `eval qa --judge nli|llm`: is each statement of an answer supported
 * by the passages it cites, and by the passages the method retrieved?
 *
 * Statements: the answer (with its `[n]` markers) split into sentences (`splitSentences`); a
 * sentence's citations are the markers inside it, and markers that open a sentence ("… happy. [1]
 * Next …", as the extractive answerer writes them) belong to the sentence before. Marker n names
 * the passage of the answer's citation n (`Citation.n → chunkId`); a number with no citation is
 * ignored. φ(premise, hypothesis) ∈ {0, 1} is the judge's entailment decision.
 *
 * - Citation recall (ALCE, Gao et al., "Enabling Large Language Models to Generate Text with
 *   Citations", EMNLP 2023, §2.3; princeton-nlp/ALCE eval.py `compute_autoais`): statement s_i
 *   with citation set C_i scores φ(concat(C_i), s_i), and 0 when C_i is empty; an answer's recall
 *   is the mean over its statements. An answer without any citation therefore scores 0.
 * - Citation precision (same source): a citation c ∈ C_i counts as precise when the statement is
 *   supported (φ(concat(C_i), s_i) = 1) and, if |C_i| > 1, c is not irrelevant — irrelevant
 *   meaning φ(c, s_i) = 0 while φ(concat(C_i \ {c}), s_i) = 1. Precision = precise citations ÷ all
 *   citations of the answer; 0 for an answer with no citation (ALCE's convention).
 * - Faithfulness (RAGAS, Es et al., "RAGAS: Automated Evaluation of Retrieval Augmented
 *   Generation", EACL 2024 demo, §3: |V| / |S|): the share of statements entailed by the
 *   retrieved context — all passages the method answered from, concatenated in rank order.
 * - Answer relevance (`llm` judge only): p(Yes) of "Does the answer address the question?" from
 *   the judge's log-probabilities (`models/yes-no.ts`). An NLI model has no such question; with
 *   `--judge nli` the item is unscored with that reason.
 *
 * Passages are joined with "\n" (ALCE joins formatted documents with "\n"). An NLI model reads
 * at most its token limit: a long premise is truncated from its end (`longest_first`).
 *
 * A metric the judge cannot compute for an item — an answer with no statements (a refusal, an
 * error), no passages, or an LLM judge that put neither Yes nor No among its top tokens — is
 * `{ unscored: reason }`, left out of the mean and counted; never NaN.
 */
import { splitSentences } from '../analysis/sentences.js';
import { InvalidParameterError, ModelError } from '../core/errors.js';
import type { Citation } from '../core/types.js';
import { parseMarkers, stripMarkers } from '../generate/citations.js';
import { findLabel, type ClassifierInput } from '../models/sequence-classifier.js';
import type { ChatMessage, LanguageModel } from '../models/types.js';
import { judgeYesNo } from '../models/yes-no.js';

/** A judgement, or why there is none. */
export type Judged = boolean | { unscored: string };
/** A metric value in [0, 1], or why there is none. */
export type MetricValue = number | { unscored: string };

export interface EntailmentJudge {
  /** E.g. `nli:local:nli-deberta-v3-xsmall` or `llm:openai-compatible:qwen2.5`. */
  readonly id: string;
  readonly kind: 'nli' | 'llm';
  /** φ(premise, hypothesis) for each pair, in order. */
  entails(pairs: ReadonlyArray<{ premise: string; hypothesis: string }>, signal?: AbortSignal): Promise<Judged[]>;
  /** Answer relevance in [0, 1]; NLI judges return `{ unscored }`. */
  relevance(question: string, answer: string, signal?: AbortSignal): Promise<MetricValue>;
}

/** What the NLI judge needs of `OnnxSequenceClassifier`. */
export interface NliClassifier {
  readonly id: string;
  readonly labels: string[] | undefined;
  load(): Promise<void>;
  classify(inputs: ClassifierInput[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/**
 * φ from an NLI model: entailed ⇔ the entailment logit is the largest (argmax over the labels of
 * `config.json` `id2label`, found by the prefix "entail"). Premise = text, hypothesis = text pair.
 */
export class NliJudge implements EntailmentJudge {
  readonly kind = 'nli' as const;
  readonly id: string;
  constructor(private readonly model: NliClassifier) {
    this.id = `nli:${model.id}`;
  }

  /** @throws ModelError when the model has no label named entailment */
  async entails(pairs: ReadonlyArray<{ premise: string; hypothesis: string }>, signal?: AbortSignal): Promise<Judged[]> {
    if (pairs.length === 0) return [];
    await this.model.load();
    const e = findLabel(this.model.labels ?? [], 'entail');
    if (e < 0) throw new ModelError(`${this.model.id} has no entailment label (id2label: ${JSON.stringify(this.model.labels ?? [])}); an NLI judge needs one`);
    const logits = await this.model.classify(
      pairs.map((p) => ({ text: p.premise, textPair: p.hypothesis })),
      signal ? { signal } : {},
    );
    return logits.map((row) => {
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
      return best === e;
    });
  }

  async relevance(): Promise<MetricValue> {
    return { unscored: 'answer relevance needs --judge llm (an NLI model has no question-answer label)' };
  }
}

/** The prompts of the LLM judge: one Yes/No question each, read from the log-probabilities. */
export const JUDGE_PROMPTS = {
  system: 'You are a careful fact checker. Answer with one word: Yes or No.',
  entailment: 'Premise:\n{premise}\n\nHypothesis:\n{hypothesis}\n\nIs the hypothesis fully supported by the premise? Answer Yes or No.',
  relevance: 'Question:\n{question}\n\nAnswer:\n{answer}\n\nDoes the answer address the question? Answer Yes or No.',
};

const fill = (template: string, vars: Record<string, string>) => template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);

/** φ from an LLM: entailed ⇔ p(Yes) / (p(Yes) + p(No)) > 0.5 on {@link JUDGE_PROMPTS}.entailment. */
export class LlmJudge implements EntailmentJudge {
  readonly kind = 'llm' as const;
  readonly id: string;
  constructor(private readonly llm: LanguageModel) {
    this.id = `llm:${llm.id}`;
  }

  private ask(user: string, signal?: AbortSignal) {
    const messages: ChatMessage[] = [
      { role: 'system', content: JUDGE_PROMPTS.system },
      { role: 'user', content: user },
    ];
    return judgeYesNo(this.llm, messages, signal);
  }

  async entails(pairs: ReadonlyArray<{ premise: string; hypothesis: string }>, signal?: AbortSignal): Promise<Judged[]> {
    const out: Judged[] = [];
    for (const p of pairs) {
      const j = await this.ask(fill(JUDGE_PROMPTS.entailment, { premise: p.premise, hypothesis: p.hypothesis }), signal);
      out.push('unscored' in j ? { unscored: j.unscored } : j.score > 0.5);
    }
    return out;
  }

  async relevance(question: string, answer: string, signal?: AbortSignal): Promise<MetricValue> {
    const j = await this.ask(fill(JUDGE_PROMPTS.relevance, { question, answer }), signal);
    return 'unscored' in j ? { unscored: j.unscored } : j.score;
  }
}

/** One statement of an answer and the passage numbers it cites (distinct, in order). */
export interface Statement {
  text: string;
  cites: number[];
}

/** The answer's statements (module comment), markers removed from each text. */
export function splitStatements(answer: string): Statement[] {
  const out: Statement[] = [];
  const leading = /^(\s*\[\s*\d{1,4}(?:\s*,\s*\d{1,4})*\s*\])+/;
  for (const span of splitSentences(answer)) {
    let s = answer.slice(span.start, span.end);
    const lead = leading.exec(s);
    if (lead && out.length > 0) {
      const prev = out[out.length - 1];
      for (const m of parseMarkers(lead[0])) for (const n of m.numbers) if (!prev.cites.includes(n)) prev.cites.push(n);
      s = s.slice(lead[0].length);
    }
    const cites: number[] = [];
    for (const m of parseMarkers(s)) for (const n of m.numbers) if (!cites.includes(n)) cites.push(n);
    const text = stripMarkers(s);
    if (/[\p{L}\p{N}]/u.test(text)) out.push({ text, cites });
    else if (out.length > 0) for (const n of cites) if (!out[out.length - 1].cites.includes(n)) out[out.length - 1].cites.push(n);
  }
  return out;
}

/** What an item needs: its answer with markers, its citations (n → chunk) and the passages it used. */
export interface GroundedInput {
  question: string;
  /** The answer text with its `[n]` markers. */
  answer: string;
  citations: ReadonlyArray<Pick<Citation, 'n' | 'chunkId'>>;
  /** The passages the method answered from, in rank order. */
  passages: ReadonlyArray<{ chunkId: string; text: string }>;
}

export interface GroundedScores {
  citationRecall: MetricValue;
  citationPrecision: MetricValue;
  faithfulness: MetricValue;
  answerRelevance: MetricValue;
  /** Per statement: its citations and the judge's decisions (for the trace). */
  statements: Array<{ text: string; cites: number[]; supported?: Judged; entailedByContext?: Judged }>;
}

/** Metric names as the tables print them, in order. */
export const groundedMetricNames = ['citation recall', 'citation precision', 'faithfulness', 'answer relevance'] as const;

/**
 * Citation recall and precision (ALCE), faithfulness and answer relevance of one answer (module
 * comment), all judgements of the item batched into one `entails` call.
 */
export async function scoreGrounded(input: GroundedInput, judge: EntailmentJudge, signal?: AbortSignal): Promise<GroundedScores> {
  const statements = splitStatements(input.answer);
  const textOf = new Map(input.passages.map((p) => [p.chunkId, p.text]));
  const chunkOf = new Map<number, string>();
  for (const c of input.citations) if (!chunkOf.has(c.n) && textOf.has(c.chunkId)) chunkOf.set(c.n, c.chunkId);
  const none = (reason: string): GroundedScores => ({ citationRecall: { unscored: reason }, citationPrecision: { unscored: reason }, faithfulness: { unscored: reason }, answerRelevance: { unscored: reason }, statements: [] });
  if (statements.length === 0) return none('the answer has no statement to judge (empty or refused)');
  const cited = statements.map((s) => s.cites.filter((n) => chunkOf.has(n)));
  const join = (ns: readonly number[]) => ns.map((n) => textOf.get(chunkOf.get(n)!)!).join('\n');
  const context = input.passages.map((p) => p.text).join('\n');

  // Batch: joint support of each cited statement, then faithfulness of each statement.
  const pairs: Array<{ premise: string; hypothesis: string }> = [];
  const jointAt: number[] = [];
  statements.forEach((s, i) => {
    jointAt.push(cited[i].length > 0 ? pairs.push({ premise: join(cited[i]), hypothesis: s.text }) - 1 : -1);
  });
  const faithAt = context ? statements.map((s) => pairs.push({ premise: context, hypothesis: s.text }) - 1) : [];
  const first = await judge.entails(pairs, signal);

  // Precision needs, for multi-citation statements that are supported, each citation alone and the rest.
  const extra: Array<{ premise: string; hypothesis: string }> = [];
  const probes: Array<{ stmt: number; n: number; alone: number; rest: number }> = [];
  statements.forEach((s, i) => {
    if (cited[i].length < 2 || first[jointAt[i]] !== true) return;
    for (const n of cited[i]) {
      const alone = extra.push({ premise: join([n]), hypothesis: s.text }) - 1;
      const rest = extra.push({ premise: join(cited[i].filter((m) => m !== n)), hypothesis: s.text }) - 1;
      probes.push({ stmt: i, n, alone, rest });
    }
  });
  const second = extra.length > 0 ? await judge.entails(extra, signal) : [];

  const unscoredOf = (xs: Judged[]) => xs.find((x): x is { unscored: string } => typeof x !== 'boolean');
  // citation recall
  const joint = statements.map((_, i) => (jointAt[i] < 0 ? false : first[jointAt[i]]));
  const jointBad = unscoredOf(joint);
  const citationRecall: MetricValue = jointBad ? { unscored: `the judge could not score a statement: ${jointBad.unscored}` } : joint.filter((x) => x === true).length / statements.length;
  // citation precision
  let citationPrecision: MetricValue;
  const total = cited.reduce((a, c) => a + c.length, 0);
  const probeBad = unscoredOf(second);
  if (jointBad || probeBad) citationPrecision = { unscored: `the judge could not score a citation: ${(jointBad ?? probeBad)!.unscored}` };
  else if (total === 0) citationPrecision = 0;
  else {
    let precise = 0;
    statements.forEach((_, i) => {
      if (joint[i] !== true) return;
      if (cited[i].length === 1) precise++;
      else for (const p of probes.filter((q) => q.stmt === i)) if (second[p.alone] === true || second[p.rest] !== true) precise++;
    });
    citationPrecision = precise / total;
  }
  // faithfulness
  let faithfulness: MetricValue;
  if (!context) faithfulness = { unscored: 'the method used no passages' };
  else {
    const f = faithAt.map((j) => first[j]);
    const bad = unscoredOf(f);
    faithfulness = bad ? { unscored: `the judge could not score a statement: ${bad.unscored}` } : f.filter((x) => x === true).length / statements.length;
  }
  const answerRelevance = await judge.relevance(input.question, stripMarkers(input.answer), signal);
  return {
    citationRecall,
    citationPrecision,
    faithfulness,
    answerRelevance,
    statements: statements.map((s, i) => ({ text: s.text, cites: cited[i], supported: joint[i], ...(context ? { entailedByContext: first[faithAt[i]] } : {}) })),
  };
}

/** The metric values of `scoreGrounded` by table name. */
export function groundedValues(g: GroundedScores): Record<(typeof groundedMetricNames)[number], MetricValue> {
  return { 'citation recall': g.citationRecall, 'citation precision': g.citationPrecision, faithfulness: g.faithfulness, 'answer relevance': g.answerRelevance };
}

/** Judge kinds, as `--judge` names them. */
export const judgeKinds = ['nli', 'llm'] as const;
export type JudgeKind = (typeof judgeKinds)[number];

export function checkJudgeKind(kind: string): asserts kind is JudgeKind {
  if (!(judgeKinds as readonly string[]).includes(kind)) throw new InvalidParameterError(`--judge must be one of ${judgeKinds.join(', ')}, got "${kind}"`);
}
