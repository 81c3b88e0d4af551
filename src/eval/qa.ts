/**
 * `openbook eval qa` as a library call: per question, retrieve over the dataset's paragraphs,
 * score the rank of the gold paragraph (Recall@1/5/20, MRR@10, trec_eval rules), then answer
 * from the top `k` hits and score the answer (EM/F1; SQuAD token F1 or KorQuAD character F1).
 *
 * The answerer is a parameter so later methods (LLM answers, HyDE …) plug into the same
 * harness; `extractiveAnswerer` is the offline default.
 */
import { getAnalyzer } from '../analysis/registry.js';
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { extractiveAnswer } from '../generate/extractive.js';
import type { IndexReader } from '../index/index.js';
import type { LoadOptions, QaDataset, QaQuestion } from './loaders/common.js';
import { loadQaDataset, qaAsRetrieval } from './datasets.js';
import { evaluateRun } from './metrics.js';
import { scoreAnswer } from './qa-metrics.js';
import { checkSearchConfig, openEvalIndex, runQueries, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig } from './runner.js';
import { mulberry32 } from '../core/random.js';

/** Produces an answer string for a question from its ranked hits. */
export type Answerer = (question: string, hits: Hit[]) => string | Promise<string>;

export interface QaEvalOptions extends LoadOptions {
  dataset: string;
  index: EvalIndexConfig;
  /** `topK` is raised to at least 20 for Recall@20. */
  search: EvalSearchConfig;
  /** Hits given to the answerer, ≥ 1. Default 5. */
  k?: number;
  /** Evaluate a seeded random sample of this many questions (default: all). */
  limit?: number;
  /** Seed of the sample. Default 1. */
  seed?: number;
  /** Skip answering (retrieval metrics only). */
  noAnswers?: boolean;
}

export interface QaPerQuestion {
  id: string;
  question: string;
  gold: string[];
  prediction: string;
  /** 1-based rank of the first gold paragraph in the top 20, or 0. */
  goldRank: number;
  em: number;
  f1: number;
}

export interface QaEvalResult {
  dataset: string;
  answerMetric: 'squad' | 'korquad';
  config: EvalIndexConfig & EvalSearchConfig & { k: number; limit?: number; seed?: number; answerer: string };
  questions: number;
  /** `Recall@1`, `Recall@5`, `Recall@20`, `MRR@10`, and `EM`, `F1` (in [0, 1]) unless answers were skipped. */
  metrics: Record<string, number>;
  timings: { indexSeconds: number; queriesPerSecond: number; answerSeconds: number; indexCached: boolean };
  perQuestion: QaPerQuestion[];
}

/** A seeded sample of `limit` questions (Fisher–Yates on a copy), in dataset order. */
export function sampleQuestions(questions: readonly QaQuestion[], limit: number, seed: number): QaQuestion[] {
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidParameterError(`--limit must be an integer ≥ 1, got ${limit}`);
  if (limit >= questions.length) return [...questions];
  const rand = mulberry32(seed);
  const idx = questions.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, limit)
    .sort((a, b) => a - b)
    .map((i) => questions[i]);
}

/** Hits for the answerer from chunk numbers and scores. */
export function hitsFromReader(reader: IndexReader, ranked: ReadonlyArray<{ chunk: number; score: number }>): Hit[] {
  return ranked.map((h, i) => {
    const c = reader.chunk(h.chunk);
    return { rank: i + 1, score: h.score, docId: c.docId, chunkId: c.id, source: c.source, title: c.title, text: c.text, startLine: c.startLine, endLine: c.endLine };
  });
}

/**
 * The offline extractive answerer (src/generate/extractive.ts) as an `Answerer`: the answer is
 * the text of its best-scoring sentence (no citation markers), or "" when it found nothing.
 */
export function extractiveAnswerer(reader: IndexReader): Answerer {
  const analyzer = getAnalyzer(reader.config.analyzer);
  const stats = { numDocs: reader.stats().numChunks, docFreq: (t: string) => reader.docFreq(t) };
  return (question, hits) => {
    const ex = extractiveAnswer(question, hits, analyzer, stats, { maxSentences: 1 });
    return ex.found && ex.candidates.length > 0 ? ex.candidates[0].text : '';
  };
}

/** Runs the QA evaluation; `answerer` defaults to `extractiveAnswerer`. */
export async function evaluateQa(opts: QaEvalOptions, deps: EvalDeps, answerer?: { name: string; answer: Answerer }, loaded?: QaDataset): Promise<QaEvalResult> {
  const k = opts.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new InvalidParameterError(`-k must be an integer ≥ 1, got ${k}`);
  const search = { ...opts.search, topK: Math.max(opts.search.topK, 20, k) };
  checkSearchConfig(search);
  const qa = loaded ?? (await loadQaDataset(opts.dataset, opts));
  const questions = opts.limit === undefined ? qa.questions : sampleQuestions(qa.questions, opts.limit, opts.seed ?? 1);
  const ds = qaAsRetrieval({ ...qa, questions });
  const index = await openEvalIndex(qa.name, qa.corpus, qa.files, opts.index, deps);
  const { run, queriesPerSecond } = runQueries(index, ds.queries, search, deps.now);
  const ev = evaluateRun(ds.qrels, run, ['Recall@1', 'Recall@5', 'Recall@20', 'MRR@10'], { complete: true });

  const chunkOf = new Map<string, number>();
  index.docIdOfChunk.forEach((d, n) => chunkOf.set(d, n));
  const ans = opts.noAnswers ? undefined : (answerer ?? { name: 'extractive', answer: extractiveAnswerer(index.reader) });
  const t0 = deps.now();
  let emSum = 0;
  let f1Sum = 0;
  const perQuestion: QaPerQuestion[] = [];
  for (const q of questions) {
    const entries = run.get(q.id) ?? [];
    const goldIdx = entries.findIndex((e) => q.relevant.includes(e.docId));
    let prediction = '';
    let em = 0;
    let f1 = 0;
    if (ans) {
      const top = entries.slice(0, k).map((e) => ({ chunk: chunkOf.get(e.docId)!, score: e.score }));
      prediction = await ans.answer(q.question, hitsFromReader(index.reader, top));
      ({ em, f1 } = scoreAnswer(prediction, q.answers, qa.answerMetric));
      emSum += em;
      f1Sum += f1;
    }
    perQuestion.push({ id: q.id, question: q.question, gold: q.answers, prediction, goldRank: goldIdx >= 0 && goldIdx < 20 ? goldIdx + 1 : 0, em, f1 });
  }
  const answerSeconds = (deps.now() - t0) / 1000;
  const n = questions.length;
  const metrics: Record<string, number> = { ...ev.mean };
  if (ans) {
    metrics.EM = n > 0 ? emSum / n : 0;
    metrics.F1 = n > 0 ? f1Sum / n : 0;
  }
  return {
    dataset: qa.name,
    answerMetric: qa.answerMetric,
    config: { ...opts.index, ...search, k, ...(opts.limit === undefined ? {} : { limit: opts.limit, seed: opts.seed ?? 1 }), answerer: ans?.name ?? 'none' },
    questions: n,
    metrics,
    timings: { indexSeconds: index.indexSeconds, queriesPerSecond, answerSeconds, indexCached: index.cached },
    perQuestion,
  };
}
