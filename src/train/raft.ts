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
 * A "distractor" that contains a gold answer is dropped (the record lists it in
 * `droppedDistractors`) and the next candidate taken: training the model to ignore a passage that
 * answers the question would teach the wrong lesson.
 *
 * The paper's setting is an unlabelled domain corpus: {@link buildRaftRecordsFromChunks} has the
 * model write questions for each of the user's own chunks (the chunk is the oracle) and answer each
 * from it in the quoted chain-of-thought form, as LlamaIndex's RAFTDatasetPack does
 * (`generate_instructions_gen`, then `generate_label`); distractors are other chunks.
 *
 * Random draws, per question in input order: 1 draw for the oracle decision (u < P → oracle in);
 * the random distractor draws (`random` source only); then the shuffle (Fisher–Yates).
 * Cost per question: 1 BM25 search (bm25 source) + 1 model call (with a model); from chunks, + 1
 * model call per chunk for its questions.
 */
import { splitSentences } from '../analysis/sentences.js';
import { InvalidParameterError } from '../core/errors.js';
import type { LanguageModel } from '../models/types.js';
import {
  checkInt,
  label,
  oraclePassages,
  pickDistractors,
  shuffleInPlace,
  type ContextPassage,
  type DistractorSource,
  type PassagePool,
  type SkippedQuestion,
  type TrainPassage,
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
  /** Candidate distractors left out because they contain a gold answer, in the order met. */
  droppedDistractors: string[];
  /** Where the question came from: `dataset`, or `model:<id>` (written from the oracle chunk). */
  questionSource: string;
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

/**
 * The prompt that asks a model for the RAFT chain-of-thought answer from the oracle passage(s);
 * `answer` (a dataset's gold answer) is given to the model when known, else it answers itself.
 */
export function raftCotPrompt(question: string, oracles: readonly ContextPassage[], answer?: string): string {
  return [
    `Question: ${question}`,
    `Context:\n${oracles.map((p) => p.text).join('\n\n')}`,
    `Answer the question using only the context above. First say which information in the context answers it; copy ` +
      `the sentences you need verbatim, each between ${BEGIN_QUOTE} and ${END_QUOTE}; then explain in a sentence or two how ` +
      `they give the answer.${answer !== undefined ? ` The correct answer is "${answer}".` : ''} End with a line of the form: ${ANSWER_PREFIX} $answer`,
  ].join('\n\n');
}

/** The prompt that asks a model for `n` questions one chunk of the user's corpus answers. */
export function raftQuestionPrompt(chunk: TrainPassage, n: number): string {
  return (
    `Here is a passage from a document collection:\n\n${chunk.title ? `${chunk.title}\n` : ''}${chunk.text}\n\n` +
    `Write ${n} questions that a user of this collection might ask and that this passage answers on its own. ` +
    `Each question must make sense without seeing the passage and have a short factual answer in it. ` +
    `Write one question per line, numbered 1., 2., …, and nothing else.`
  );
}

/** The questions of a model's numbered list: numbering and bullets removed, blank and heading lines (ending ":") skipped, at most `max`. */
export function parseGeneratedQuestions(text: string, max: number): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*(?:\d+\s*[.)]|[-*•])\s*/, '').trim())
    .filter((l) => l !== '' && !l.endsWith(':'))
    .slice(0, max);
}

/** The final answer of a RAFT chain of thought: the text after the last `<ANSWER>:`, or null. */
export function parseFinalAnswer(cot: string): string | null {
  const at = cot.lastIndexOf(ANSWER_PREFIX);
  if (at < 0) return null;
  const a = cot.slice(at + ANSWER_PREFIX.length).split('\n')[0].trim();
  return a === '' ? null : a;
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
      const { context, dropped } = await raftContext(q, oracles, oracleIncluded, pool, k, source, o);
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
        records.push(raftRecord(q, oracles, oracleIncluded, source, context, dropped, cotAnswer, targetSource, 'dataset'));
      }
    }
    o.onProgress?.(++done, questions.length);
  }
  return { records, skipped };
}

/** The context of one example: oracles (when included) + distractors without a gold answer, shuffled. */
async function raftContext(
  q: TrainQuestion,
  oracles: ContextPassage[],
  oracleIncluded: boolean,
  pool: PassagePool,
  k: number,
  source: DistractorSource,
  o: Pick<RaftOptions, 'rng' | 'signal'>,
): Promise<{ context: ContextPassage[]; dropped: string[] }> {
  const dropped: string[] = [];
  const distractors = await pickDistractors(q, pool, oracleIncluded ? k : k + oracles.length, source, o.rng, o.signal, { dropAnswerBearing: true, dropped });
  return { context: shuffleInPlace(oracleIncluded ? [...oracles, ...distractors] : distractors, o.rng), dropped };
}

function raftRecord(
  q: TrainQuestion,
  oracles: ContextPassage[],
  oracleIncluded: boolean,
  source: DistractorSource,
  context: ContextPassage[],
  dropped: string[],
  cotAnswer: string,
  targetSource: string,
  questionSource: string,
): RaftRecord {
  return {
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
    droppedDistractors: dropped,
    questionSource,
  };
}

export interface RaftChunkOptions extends RaftOptions {
  /** Writes the questions and their answers (required: an unlabelled corpus has neither). */
  llm: LanguageModel;
  /** Questions asked per chunk, ≥ 1. Default 5 (LlamaIndex RAFTDatasetPack's x). */
  questionsPerChunk?: number;
}

/**
 * RAFT records from the user's own chunks (the paper's unlabelled domain corpus): for each chunk,
 * in order, the model writes `questionsPerChunk` questions ({@link raftQuestionPrompt}); each is
 * answered from the chunk ({@link raftCotPrompt} without a gold answer), its final answer
 * (`<ANSWER>: …`) becomes the gold answer, the chunk the oracle (id `<chunk id>#q<n>`), and the
 * context is built as for a dataset question (P split, distractors from `pool` without that answer).
 * Random draws as {@link buildRaftRecords}, per generated question that got an answer.
 * Cost: 1 model call per chunk + 1 per question (+ 1 search each with bm25 distractors).
 * @throws InvalidParameterError on bad k, P or questionsPerChunk
 */
export async function buildRaftRecordsFromChunks(chunks: readonly TrainPassage[], pool: PassagePool, o: RaftChunkOptions): Promise<{ records: RaftRecord[]; skipped: SkippedQuestion[] }> {
  const k = o.numDistractors ?? 4;
  const p = o.oracleProbability ?? 0.8;
  const perChunk = o.questionsPerChunk ?? 5;
  checkInt('raft', 'numDistractors', k, 0);
  checkInt('raft', 'questionsPerChunk', perChunk, 1);
  if (!(p >= 0 && p <= 1)) throw new InvalidParameterError(`raft: oracleProbability P must be in [0, 1], got ${p}`);
  const source: DistractorSource = o.distractors ?? (pool.search ? 'bm25' : 'random');
  const model = `model:${o.llm.id}`;
  const records: RaftRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  let done = 0;
  for (const chunk of chunks) {
    const asked = await o.llm.generate([{ role: 'user', content: raftQuestionPrompt(chunk, perChunk) }], { temperature: 0, maxTokens: 64 * perChunk, signal: o.signal });
    const questions = parseGeneratedQuestions(asked.generations[0]?.text ?? '', perChunk);
    if (questions.length === 0) skipped.push({ id: chunk.id, reason: 'the model wrote no question for this chunk' });
    for (const [j, question] of questions.entries()) {
      const id = `${chunk.id}#q${j + 1}`;
      const oracle = label(chunk, 'oracle', 'gold', []);
      const r = await o.llm.generate([{ role: 'user', content: raftCotPrompt(question, [oracle]) }], { temperature: 0, maxTokens: 512, signal: o.signal });
      const cotAnswer = r.generations[0]?.text.trim() ?? '';
      const answer = parseFinalAnswer(cotAnswer);
      if (answer === null) {
        skipped.push({ id, reason: 'the model\'s answer has no "<ANSWER>:" line' });
        continue;
      }
      const q: TrainQuestion = { id, question, answers: [answer], oracleIds: [chunk.id] };
      const oracles = [label(chunk, 'oracle', 'gold', q.answers)];
      const oracleIncluded = o.rng() < p;
      const { context, dropped } = await raftContext(q, oracles, oracleIncluded, pool, k, source, o);
      records.push(raftRecord(q, oracles, oracleIncluded, source, context, dropped, cotAnswer, model, model));
    }
    o.onProgress?.(++done, chunks.length);
  }
  return { records, skipped };
}
