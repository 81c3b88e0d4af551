/**
 * RAFT training data: Zhang, Patil, Jain, Shen, Zaharia, Stoica & Gonzalez, "RAFT: Adapting
 * Language Model to Domain Specific RAG", arXiv 2403.10131 (2024), §3.
 *
 * For each question q with oracle passage(s) D* and k distractors D_1..D_k:
 *   - with probability P (default 0.8):  context = D* ∪ {D_1..D_k}
 *   - otherwise:                         context = k + |D*| distractors (no oracle; same size, so the
 *                                        context length does not give the oracle's absence away — ours)
 * shuffled; target A* = a chain-of-thought answer that quotes the oracle verbatim between
 * `##begin_quote##` and `##end_quote##` and ends with `<ANSWER>: <answer>` (the paper's Fig. 3 format).
 * The paper uses k = 3–4 distractors and P ∈ [0.4, 1.0] depending on the dataset; k = 4, P = 0.8 here.
 *
 * The target comes from a language model when one is given (prompted to quote the oracle, then
 * checked: `quoteVerified` says whether every quoted span is a verbatim substring of an oracle
 * passage), else from a template that quotes the oracle sentence containing the gold answer
 * verbatim. `targetSource` says which (`template` or `model:<id>`).
 *
 * Random draws, per question in input order: 1 draw for the oracle decision (u < P → oracle in);
 * the random distractor draws (`random` source only); then the shuffle (Fisher–Yates).
 * Cost per question: 1 BM25 search (bm25 source) + 1 model call (with a model).
 */
import { splitSentences } from '../analysis/sentences.js';
import { InvalidParameterError } from '../core/errors.js';
import type { LanguageModel } from '../models/types.js';
import {
  checkInt,
  oraclePassages,
  pickDistractors,
  shuffleInPlace,
  type ContextPassage,
  type DistractorSource,
  type PassagePool,
  type SkippedQuestion,
  type TrainQuestion,
} from './common.js';

export const BEGIN_QUOTE = '##begin_quote##';
export const END_QUOTE = '##end_quote##';
export const ANSWER_PREFIX = '<ANSWER>:';

export interface RaftOptions {
  /** Distractors per example, k ≥ 0. Default 4. */
  numDistractors?: number;
  /** Probability P ∈ [0, 1] that the oracle is in the context. Default 0.8. */
  oracleProbability?: number;
  /** `bm25` hard negatives (needs `pool.search`) or `random`. Default `bm25` when the pool can search, else `random`. */
  distractors?: DistractorSource;
  /** Uniform [0, 1) numbers, seeded by the caller. */
  rng: () => number;
  /** Writes the chain-of-thought answer when given; otherwise the template does. */
  llm?: LanguageModel;
  signal?: AbortSignal;
  /** Called after each question with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface RaftRecord {
  method: 'raft';
  id: string;
  question: string;
  /** Gold answers (the first is the target's final answer). */
  answers: string[];
  /** Whether the oracle passage(s) are in `context` (the P split). */
  oracleIncluded: boolean;
  distractorSource: DistractorSource;
  /** The passages shown, shuffled, each labelled oracle or distractor. */
  context: ContextPassage[];
  /** The training input: the passages in `<DOCUMENT>` tags, then the question. */
  instruction: string;
  /** The training target: chain of thought with verbatim quotes, ending `<ANSWER>: …`. */
  cotAnswer: string;
  /** `template` (no model: quotes the gold answer's sentence) or `model:<id>`. */
  targetSource: string;
  /** Every `##begin_quote##…##end_quote##` span in `cotAnswer` occurs verbatim in an oracle passage. */
  quoteVerified: boolean;
}

/** The training input of one example: documents then question. */
export function raftInstruction(context: readonly ContextPassage[], question: string): string {
  return context.map((p) => `<DOCUMENT>${p.title ? `${p.title}\n` : ''}${p.text}</DOCUMENT>\n`).join('') + question;
}

/**
 * The template target: quotes the first sentence of an oracle passage that contains a gold answer
 * (answers tried in order; exact case first, then case-insensitive).
 * @returns null when no oracle passage contains any gold answer
 */
export function templateCotAnswer(question: string, oracles: readonly ContextPassage[], answers: readonly string[]): string | null {
  for (const caseSensitive of [true, false]) {
    for (const answer of answers) {
      const a = answer.trim();
      if (a === '') continue;
      for (const p of oracles) {
        const hay = caseSensitive ? p.text : p.text.toLowerCase();
        const at = hay.indexOf(caseSensitive ? a : a.toLowerCase());
        if (at < 0) continue;
        const s = splitSentences(p.text).find((span) => span.start <= at && at < span.end) ?? { start: 0, end: p.text.length };
        const quote = p.text.slice(s.start, Math.max(s.end, at + a.length));
        const title = p.title ? ` "${p.title}"` : '';
        return (
          `##Reason: To answer "${question}", find the passage that states it. The document${title} says ` +
          `${BEGIN_QUOTE}${quote}${END_QUOTE} This sentence gives the answer: ${answers[0]}. ` +
          `The other documents do not answer the question.\n${ANSWER_PREFIX} ${answers[0]}`
        );
      }
    }
  }
  return null;
}

/** The quoted spans of a chain-of-thought answer, in order. */
export function quotedSpans(cot: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const b = cot.indexOf(BEGIN_QUOTE, from);
    if (b < 0) break;
    const e = cot.indexOf(END_QUOTE, b + BEGIN_QUOTE.length);
    if (e < 0) break;
    out.push(cot.slice(b + BEGIN_QUOTE.length, e));
    from = e + END_QUOTE.length;
  }
  return out;
}

/** True when `cot` has at least one quote and every quoted span (trimmed) is a substring of an oracle. */
export function quotesVerified(cot: string, oracles: readonly ContextPassage[]): boolean {
  const spans = quotedSpans(cot).map((s) => s.trim());
  return spans.length > 0 && spans.every((s) => s !== '' && oracles.some((p) => p.text.includes(s)));
}

/** The prompt that asks a model for the RAFT chain-of-thought answer from the oracle passage(s). */
export function raftCotPrompt(question: string, oracles: readonly ContextPassage[], answer: string): string {
  return [
    `Question: ${question}`,
    `Context:\n${oracles.map((p) => p.text).join('\n\n')}`,
    `Answer the question using only the context above. First say which information in the context answers it; copy ` +
      `the sentences you need verbatim, each between ${BEGIN_QUOTE} and ${END_QUOTE}; then explain in a sentence or two how ` +
      `they give the answer. The correct answer is "${answer}". End with a line of the form: ${ANSWER_PREFIX} $answer`,
  ].join('\n\n');
}

/**
 * RAFT records for `questions` (see the module comment).
 * @returns the records and the questions skipped (no oracle passage in the pool, or, without a model, no oracle containing a gold answer)
 * @throws InvalidParameterError on bad k or P, or `bm25` distractors without search
 */
export async function buildRaftRecords(questions: readonly TrainQuestion[], pool: PassagePool, o: RaftOptions): Promise<{ records: RaftRecord[]; skipped: SkippedQuestion[] }> {
  const k = o.numDistractors ?? 4;
  const p = o.oracleProbability ?? 0.8;
  checkInt('raft', 'numDistractors', k, 0);
  if (!(p >= 0 && p <= 1)) throw new InvalidParameterError(`raft: oracleProbability P must be in [0, 1], got ${p}`);
  const source: DistractorSource = o.distractors ?? (pool.search ? 'bm25' : 'random');
  const records: RaftRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  let done = 0;
  for (const q of questions) {
    const oracles = oraclePassages(q, pool);
    const oracleIncluded = o.rng() < p;
    if (oracles.length === 0) {
      skipped.push({ id: q.id, reason: `none of its oracle passages (${q.oracleIds.join(', ')}) is in the corpus` });
    } else {
      const distractors = await pickDistractors(q, pool, oracleIncluded ? k : k + oracles.length, source, o.rng, o.signal);
      const context = shuffleInPlace(oracleIncluded ? [...oracles, ...distractors] : distractors, o.rng);
      let cotAnswer: string | null;
      let targetSource: string;
      if (o.llm) {
        const r = await o.llm.generate([{ role: 'user', content: raftCotPrompt(q.question, oracles, q.answers[0]) }], { temperature: 0, maxTokens: 512, signal: o.signal });
        cotAnswer = r.generations[0]?.text.trim() ?? '';
        targetSource = `model:${o.llm.id}`;
      } else {
        cotAnswer = templateCotAnswer(q.question, oracles, q.answers);
        targetSource = 'template';
      }
      if (cotAnswer === null || cotAnswer === '') {
        skipped.push({ id: q.id, reason: o.llm ? 'the model returned an empty answer' : 'no oracle passage contains a gold answer to quote' });
      } else {
        records.push({
          method: 'raft',
          id: q.id,
          question: q.question,
          answers: q.answers,
          oracleIncluded,
          distractorSource: source,
          context,
          instruction: raftInstruction(context, q.question),
          cotAnswer,
          targetSource,
          quoteVerified: quotesVerified(cotAnswer, oracles),
        });
      }
    }
    o.onProgress?.(++done, questions.length);
  }
  return { records, skipped };
}
