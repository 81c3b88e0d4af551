/**
 * `openbook eval qa` as a library call: per question, retrieve over the dataset's paragraphs,
 * score the rank of the gold paragraph (Recall@1/5/20, MRR@10, trec_eval rules), then answer
 * and score the answer (EM/F1; SQuAD token F1 or KorQuAD character F1).
 *
 * The answerer is a parameter (it gets the top `k` hits of the question as given). Without
 * one, the offline extractive answer is measured exactly as `ask` gives it — its own
 * content-word query, `k` passages and refusals — with answer-bearing@1 and the refusal rates
 * beside EM/F1 (src/eval/extractive-qa.ts).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { Engine } from '../engine/engine.js';
import { askExtractiveItem, summarizeExtractiveQa, type ExtractiveQaItem } from './extractive-qa.js';
import type { IndexReader } from '../index/index.js';
import type { LoadOptions, QaDataset, QaQuestion } from './loaders/common.js';
import { loadQaDataset, qaAsRetrieval } from './datasets.js';
import { evaluateRun } from './metrics.js';
import { scoreAnswer } from './qa-metrics.js';
import { bootstrapMeanCi, type BootstrapOptions, type Interval } from './stats.js';
import type { EvalIndexStats } from './retrieval.js';
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
  /** Bootstrap resamples and seed of the intervals (default 1,000, seed 1). */
  bootstrap?: BootstrapOptions;
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
  /** Extractive (ask's path) only: the first quoted unit ("" when refused), whether it holds a gold answer, whether ask refused, and the gold paragraph's rank among ask's k hits (0 = absent). */
  quote?: string;
  answerBearing?: number;
  refused?: boolean;
  askGoldRank?: number;
}

export interface QaEvalResult {
  dataset: string;
  answerMetric: 'squad' | 'korquad';
  config: EvalIndexConfig & EvalSearchConfig & { k: number; limit?: number; seed?: number; answerer: string };
  questions: number;
  /** `Recall@1`, `Recall@5`, `Recall@20`, `MRR@10`, and `EM`, `F1` (in [0, 1]) unless answers were skipped. */
  metrics: Record<string, number>;
  timings: { indexSeconds: number; queriesPerSecond: number; answerSeconds: number; indexCached: boolean };
  /** Statistics of the eval index (as `eval retrieval` reports them). */
  index: EvalIndexStats;
  perQuestion: QaPerQuestion[];
  /** 95 % percentile-bootstrap interval of each metric's mean over its questions (`stats.ts`; refusal|gold@1 over the gold@1 questions). */
  ci: Record<string, Interval>;
  bootstrap: { resamples: number; seed: number };
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
  const ans = opts.noAnswers ? undefined : answerer;
  // No answerer given: the offline extractive answer exactly as `ask` gives it (src/eval/extractive-qa.ts).
  const engine = opts.noAnswers || answerer ? undefined : await Engine.open(index.dir);
  const askSearch = { similarity: search.similarity, k1: search.k1, b: search.b, ...(search.delta !== undefined ? { delta: search.delta } : {}), ...(search.filter !== undefined ? { filter: search.filter } : {}) };
  const t0 = deps.now();
  let emSum = 0;
  let f1Sum = 0;
  const perQuestion: QaPerQuestion[] = [];
  const items: ExtractiveQaItem[] = [];
  for (const q of questions) {
    const entries = run.get(q.id) ?? [];
    const goldIdx = entries.findIndex((e) => q.relevant.includes(e.docId));
    let prediction = '';
    let em = 0;
    let f1 = 0;
    if (engine) {
      const item = await askExtractiveItem(engine, q, k, askSearch, qa.answerMetric);
      items.push(item);
      ({ prediction, em, f1 } = item);
      emSum += em;
      f1Sum += f1;
    } else if (ans) {
      const top = entries.slice(0, k).map((e) => ({ chunk: chunkOf.get(e.docId)!, score: e.score }));
      prediction = await ans.answer(q.question, hitsFromReader(index.reader, top));
      ({ em, f1 } = scoreAnswer(prediction, q.answers, qa.answerMetric));
      emSum += em;
      f1Sum += f1;
    }
    const item = engine ? items[items.length - 1] : undefined;
    perQuestion.push({
      id: q.id,
      question: q.question,
      gold: q.answers,
      prediction,
      goldRank: goldIdx >= 0 && goldIdx < 20 ? goldIdx + 1 : 0,
      em,
      f1,
      ...(item ? { quote: item.quote, answerBearing: item.answerBearing, refused: item.refused, askGoldRank: item.goldRank } : {}),
    });
  }
  const answerSeconds = (deps.now() - t0) / 1000;
  const st = index.reader.stats();
  const n = questions.length;
  const metrics: Record<string, number> = { ...ev.mean };
  if (engine) Object.assign(metrics, summarizeExtractiveQa(items));
  else if (ans) {
    metrics.EM = n > 0 ? emSum / n : 0;
    metrics.F1 = n > 0 ? f1Sum / n : 0;
  }
  // Per-question values behind each mean, for the intervals.
  const values: Record<string, number[]> = {};
  for (const m of ev.metrics) values[m] = questions.map((q) => ev.perQuery.get(q.id)?.[m] ?? 0);
  if (engine) {
    values.EM = items.map((i) => i.em);
    values.F1 = items.map((i) => i.f1);
    values['answer-bearing@1'] = items.map((i) => i.answerBearing);
    values.refusal = items.map((i) => (i.refused ? 1 : 0));
    values['refusal|gold@1'] = items.filter((i) => i.goldRank === 1).map((i) => (i.refused ? 1 : 0));
    values['gold@1'] = items.map((i) => (i.goldRank === 1 ? 1 : 0));
  } else if (ans) {
    values.EM = perQuestion.map((q) => q.em);
    values.F1 = perQuestion.map((q) => q.f1);
  }
  const bootstrap = { resamples: opts.bootstrap?.resamples ?? 1000, seed: opts.bootstrap?.seed ?? 1 };
  const ci: Record<string, Interval> = {};
  for (const [m, v] of Object.entries(values)) {
    const interval = bootstrapMeanCi(v, bootstrap);
    if (interval) ci[m] = interval;
  }
  return {
    dataset: qa.name,
    answerMetric: qa.answerMetric,
    config: { ...opts.index, ...search, k, ...(opts.limit === undefined ? {} : { limit: opts.limit, seed: opts.seed ?? 1 }), answerer: engine ? 'extractive (ask)' : (ans?.name ?? 'none') },
    questions: n,
    metrics,
    timings: { indexSeconds: index.indexSeconds, queriesPerSecond, answerSeconds, indexCached: index.cached },
    index: { documents: st.numDocuments, terms: st.numTerms, postings: st.numPostings, totalTerms: st.sumDocLen },
    perQuestion,
    ci,
    bootstrap,
  };
}
