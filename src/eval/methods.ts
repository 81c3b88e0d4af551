/**
 * `openbook eval qa --methods naive,hyde,…`: the RAG methods side by side on one QA dataset,
 * one row per method — EM, F1, retrieval Recall@k, model calls, tokens, seconds, errors — with
 * every item's trace kept.
 *
 * Pipeline: load the dataset (SQuAD v1.1 / KorQuAD 1.0 `.json`, HotpotQA IRCoT `.jsonl`), take a
 * seeded sample (`limit`, `seed`), index its paragraphs (for HotpotQA: the pool of every
 * question's paragraphs, gold and distractors, see `loaders/hotpotqa.ts`) in the eval cache,
 * then run each method through `runMethodsOnQa` (src/methods/compare.ts) with the engine's
 * retriever (`bm25`, `dense`, `hybrid`), wrapped in RetRobust's noisy setting when asked.
 *
 * - Answer metric: the official script of the dataset (src/eval/qa-metrics.ts): SQuAD
 *   normalisation and token F1 for SQuAD and HotpotQA, KorQuAD normalisation and character F1
 *   for KorQuAD. `[n]` citation markers are removed before scoring.
 * - Recall@k of one item is 1 when **every** gold paragraph is among the k passages the method
 *   answered from, else 0 (`recall`); the fraction of gold paragraphs found is kept as
 *   `goldRecall`. With one gold paragraph (SQuAD, KorQuAD) the two are equal; for HotpotQA
 *   (two gold paragraphs per question) Recall@k means "both gold paragraphs retrieved", the
 *   multi-hop convention. Items where a method used no passages are left out of its mean.
 * - `extractive` is accepted as a method name: the offline extractive answerer exactly as `ask`
 *   runs it (content-word query, k passages, refusals; its short answer is scored), no model
 *   calls, so offline runs compare too.
 * - Each method gets a fresh rng seeded with `seed` (mulberry32), so a method's numbers do not
 *   depend on which methods ran before it, and the `random` setting draws the same passages for
 *   every method that retrieves once per question.
 *
 * With `outDir`, the run is saved as it goes: `config.json` (written first: options, resolved
 * settings, model ids, whatever `runConfig` the caller adds — secrets masked by the caller),
 * `traces.jsonl` (one line per item × method, appended as each finishes), and at the end
 * `report.md` (the table) and `summary.json`.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CapabilityError, InvalidParameterError, OpenbookError } from '../core/errors.js';
import type { Hit, TraceStep } from '../core/types.js';
import { mulberry32 } from '../core/random.js';
import type { EngineModels } from '../engine/engine.js';
import { runMethodsOnQa, type MethodSpec, type MethodSummary, type TraceRecord } from '../methods/compare.js';
import type { MethodContext } from '../methods/method.js';
import { checkParams, getMethod, methodNames } from '../methods/registry.js';
import { retrievalSettings, withRetrievalSetting, type RetrievalSetting } from '../methods/retrieval.js';
import type { IndexReader } from '../index/index.js';
import type { Retriever } from '../retrieve/types.js';
import { loadQaDataset } from './datasets.js';
import { checkRetrieverConfig, needsEmbedder, openEvalEngine, retrieverRecord, type EvalRetrieverConfig } from './engine-runner.js';
import type { LoadOptions, QaDataset, QaQuestion } from './loaders/common.js';
import { sampleQuestions } from './qa.js';
import { shortAnswer } from './extractive-qa.js';
import type { Engine } from '../engine/engine.js';
import { scoreAnswer } from './qa-metrics.js';
import { toMarkdown, type Cell } from './report.js';
import { groundedMetricNames, groundedValues, scoreGrounded, type EntailmentJudge, type GroundedScores } from './grounded.js';
import { compareMethods, formatP, formatWithCi, type BootstrapOptions, type ComparisonRow } from './stats.js';
import type { EvalDeps, EvalIndexConfig, EvalSearchConfig } from './runner.js';

/** The method name of the offline extractive answerer in a comparison. */
export const EXTRACTIVE_METHOD = 'extractive';

/** Every name `--methods` accepts: `extractive`, then the registry's methods. */
export const comparableMethodNames: readonly string[] = [EXTRACTIVE_METHOD, ...methodNames];

export interface QaMethodsEvalOptions extends LoadOptions {
  /** SQuAD/KorQuAD `.json` or HotpotQA `.jsonl` (or a folder holding one); see `detectDataset`. */
  dataset: string;
  /** Methods in table order; names from `comparableMethodNames`, params named as in each paper. */
  methods: MethodSpec[];
  index: EvalIndexConfig;
  /** Sparse scoring (`similarity`, `k1`, `b`, `delta`); `topK` is not used (see `k`). */
  search: EvalSearchConfig;
  /** Default `{ retriever: 'bm25' }`. */
  retriever?: EvalRetrieverConfig;
  /** Passages per retrieval (the methods' topK), ≥ 1. Default 5. */
  k?: number;
  /** Evaluate a seeded random sample of this many questions (default: all). */
  limit?: number;
  /** Seed of the sample and of every method's rng. Default 1. */
  seed?: number;
  /** RetRobust's retrieval setting: `top` (default), `low-rank` (ranks 11…10+k) or `random`. */
  retrieval?: RetrievalSetting;
  /**
   * Grounded-answer metrics (`grounded.ts`): ALCE citation recall and precision, faithfulness, and
   * (LLM judges) answer relevance, scored for every item × method by this judge.
   */
  judge?: EntailmentJudge;
  /** Bootstrap resamples and seed of the comparison table's intervals and paired tests (default 1,000, seed 1). */
  bootstrap?: BootstrapOptions;
}

export interface QaMethodsDeps extends EvalDeps {
  /** Configured models; a method other than `extractive` needs `llm`, dense/hybrid need `embedder`. */
  models: EngineModels;
  /** Save the run here (see the module comment). */
  outDir?: string;
  /** More settings for `config.json` (e.g. the masked openbook config, the command line, the git sha). */
  runConfig?: Record<string, unknown>;
  /** Called after each item × method (after it is appended to traces.jsonl). */
  onRecord?: (record: QaMethodRecord) => void | Promise<void>;
}

/** One item × method: compare.ts's record with Recall@k as defined above. */
export interface QaMethodRecord extends TraceRecord {
  /** 1 when every gold paragraph is among the passages used, 0 when not; null when none were used. */
  recall: number | null;
  /** |gold ∩ passages used| / |gold|; null when no passages were used. */
  goldRecall: number | null;
  /** The judge's metrics (with `judge`): each a value in [0, 1] or `{ unscored: reason }`, and the per-statement decisions. */
  grounded?: GroundedScores;
}

export interface QaMethodsResult {
  dataset: string;
  answerMetric: 'squad' | 'korquad';
  questions: number;
  /** Passages per retrieval. */
  k: number;
  /** What Recall@k counts, for the report header. */
  recallDefinition: string;
  summaries: MethodSummary[];
  records: QaMethodRecord[];
  /**
   * Metric rows × methods: EM, F1, Recall@k and (with a judge) the grounded metrics, each mean
   * with its bootstrap interval, and the paired randomization p against the first method.
   */
  comparison: ComparisonRow[];
  /** Per method and grounded metric: how many items the judge could not score, with the first reason. */
  unscored?: Record<string, Record<string, { count: number; reason: string }>>;
  bootstrap: { resamples: number; seed: number };
  /** The judge's id, when there was one. */
  judge?: string;
  /** Everything needed to re-run (also saved as config.json). */
  config: Record<string, unknown>;
  timings: { indexSeconds: number; indexCached: boolean; embedSeconds?: number; totalSeconds: number };
  /** Where the run was saved, when it was. */
  outDir?: string;
}

/**
 * Checks method names and parameters, and that the models they need are configured.
 * @throws InvalidParameterError for an unknown method or parameter (valid names listed)
 * @throws CapabilityError when a method needs a language model, or the retriever an embedder, that is not configured
 */
export function checkMethodsRun(methods: readonly MethodSpec[], models: EngineModels, retriever: EvalRetrieverConfig): void {
  if (methods.length === 0) throw new InvalidParameterError(`--methods lists no method; valid: ${comparableMethodNames.join(', ')}`);
  const seen = new Set<string>();
  for (const m of methods) {
    if (seen.has(m.name)) throw new InvalidParameterError(`--methods lists ${m.name} twice`);
    seen.add(m.name);
    if (m.name === EXTRACTIVE_METHOD) {
      if (m.params && Object.keys(m.params).length > 0) throw new InvalidParameterError(`extractive: takes no parameters, got ${Object.keys(m.params).join(', ')}`);
      continue;
    }
    if (!methodNames.includes(m.name)) throw new InvalidParameterError(`unknown method ${JSON.stringify(m.name)}; valid: ${comparableMethodNames.join(', ')}`);
    checkParams(getMethod(m.name), m.params ?? {});
  }
  const needLlm = methods.filter((m) => m.name !== EXTRACTIVE_METHOD).map((m) => m.name);
  if (needLlm.length > 0 && !models.llm) {
    throw new CapabilityError(
      `${needLlm.join(', ')} ${needLlm.length === 1 ? 'needs' : 'need'} a language model: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL (see \`openbook config\`), or compare only ${EXTRACTIVE_METHOD}`,
    );
  }
  checkRetrieverConfig(retriever);
  if (needsEmbedder(retriever) && !models.embedder) {
    throw new CapabilityError(`--retriever ${retriever.retriever} needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR`);
  }
}

/** Recall@k as defined in the module comment: `all` (1/0) and the gold fraction. */
export function allGoldRecall(relevant: readonly string[], docIds: readonly string[]): { recall: number | null; goldRecall: number | null } {
  if (docIds.length === 0 || relevant.length === 0) return { recall: null, goldRecall: null };
  const got = new Set(docIds);
  const found = relevant.filter((r) => got.has(r)).length;
  return { recall: found === relevant.length ? 1 : 0, goldRecall: found / relevant.length };
}

/**
 * One table row from a method's records: EM, F1 = means over its items; Recall@k = mean over
 * items that used passages (null when none did); calls, tokens, seconds = sums.
 */
export function summarizeRecords(method: string, records: readonly QaMethodRecord[], error?: string): MethodSummary {
  const s: MethodSummary = { method, questions: records.length, EM: 0, F1: 0, recall: null, calls: 0, tokens: 0, seconds: 0, errors: 0, ...(error ? { error } : {}) };
  let recallSum = 0;
  let recallN = 0;
  for (const r of records) {
    s.EM += r.em;
    s.F1 += r.f1;
    s.calls += r.calls;
    s.tokens += r.usage.promptTokens + r.usage.completionTokens;
    s.seconds += r.seconds;
    if (r.error !== undefined) s.errors++;
    if (r.recall !== null) {
      recallSum += r.recall;
      recallN++;
    }
  }
  if (s.questions > 0) {
    s.EM /= s.questions;
    s.F1 /= s.questions;
  }
  s.recall = recallN > 0 ? recallSum / recallN : null;
  return s;
}

/** Column headers of the comparison table. */
export function methodsTableHeaders(k: number, multiGold: boolean): string[] {
  return ['method', 'n', 'EM', 'F1', multiGold ? `Recall@${k} (all gold)` : `Recall@${k}`, 'calls', 'tokens', 'seconds', 'errors'];
}

/** Table rows: EM, F1 and Recall@k in [0, 1] (4 decimals when printed; "–" for a null recall), seconds to 2 decimals. */
export function methodsTableRows(summaries: readonly MethodSummary[]): Cell[][] {
  return summaries.map((s) => [s.method, s.questions, s.EM, s.F1, s.recall === null ? '–' : s.recall, s.calls, s.tokens, s.seconds.toFixed(2), s.error ? `${s.errors} (${s.error})` : s.errors]);
}

/** `count` distinct passages drawn uniformly from the index with `rng` (the `random` setting). */
export function randomPassagesOf(reader: IndexReader): (count: number, rng: () => number) => Promise<Hit[]> {
  return async (count, rng) => {
    const n = reader.stats().numChunks;
    const picked = new Set<number>();
    while (picked.size < Math.min(count, n)) picked.add(Math.floor(rng() * n));
    return [...picked].map((i, r) => {
      const c = reader.chunk(i);
      return { rank: r + 1, score: 0, docId: c.docId, chunkId: c.id, source: c.source, title: c.title, text: c.text, startLine: c.startLine, endLine: c.endLine };
    });
  };
}

/** Runs the comparison; see the module comment. Checks methods and models before loading anything. */
export async function evaluateQaMethods(opts: QaMethodsEvalOptions, deps: QaMethodsDeps, loaded?: QaDataset): Promise<QaMethodsResult> {
  const started = deps.now();
  const k = opts.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new InvalidParameterError(`-k must be an integer ≥ 1, got ${k}`);
  const seed = opts.seed ?? 1;
  const setting = opts.retrieval ?? 'top';
  if (!retrievalSettings.includes(setting)) throw new InvalidParameterError(`--retrieval must be one of ${retrievalSettings.join(', ')}, got "${setting}"`);
  const retrieverConfig = opts.retriever ?? { retriever: 'bm25' };
  checkMethodsRun(opts.methods, deps.models, retrieverConfig);

  const qa = loaded ?? (await loadQaDataset(opts.dataset, opts));
  const questions: QaQuestion[] = opts.limit === undefined ? qa.questions : sampleQuestions(qa.questions, opts.limit, seed);
  const multiGold = questions.some((q) => q.relevant.length > 1);
  const usesHyde = opts.methods.some((m) => m.name === 'hyde');
  const opened = await openEvalEngine(qa.name, qa.corpus, qa.files, opts.index, opts.search, retrieverConfig, {
    ...deps,
    // HyDE searches passage vectors with its hypothetical documents' mean embedding when it can.
    vectors: usesHyde && deps.models.embedder !== undefined,
  });
  const dense = deps.models.embedder && opened.engine.hasDenseIndex() ? await opened.engine.denseRetriever() : undefined;

  const config: Record<string, unknown> = {
    dataset: opts.dataset,
    datasetName: qa.name,
    datasetFiles: qa.files,
    answerMetric: qa.answerMetric,
    methods: opts.methods.map((m) => ({ name: m.name, params: m.params ?? {} })),
    k,
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    seed,
    retrieval: setting,
    ...retrieverRecord(retrieverConfig),
    index: opts.index,
    search: { similarity: opts.search.similarity, k1: opts.search.k1, b: opts.search.b, ...(opts.search.delta !== undefined ? { delta: opts.search.delta } : {}), ...(opts.search.filter !== undefined ? { filter: opts.search.filter } : {}) },
    models: { llm: deps.models.llm?.id ?? null, embedder: deps.models.embedder?.id ?? null, ...(deps.models.nli ? { nli: deps.models.nli.id } : {}), ...(opts.judge ? { judge: opts.judge.id } : {}) },
    questions: questions.length,
    recall: multiGold ? 'Recall@k = 1 when every gold paragraph is among the k passages used (HotpotQA: both gold paragraphs), else 0' : 'Recall@k = 1 when the gold paragraph is among the k passages used, else 0',
    evalIndex: opened.index.dir,
    ...(deps.runConfig ?? {}),
  };
  const tracesFile = deps.outDir ? join(deps.outDir, 'traces.jsonl') : undefined;
  if (deps.outDir) {
    await mkdir(deps.outDir, { recursive: true });
    await writeFile(join(deps.outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n', 'utf8');
    await writeFile(tracesFile!, '', 'utf8');
  }

  const score = (prediction: string, golds: readonly string[]) => scoreAnswer(prediction, golds, qa.answerMetric);
  const relevantOf = new Map(questions.map((q) => [q.id, q.relevant]));
  const records: QaMethodRecord[] = [];
  const summaries: MethodSummary[] = [];
  const emit = async (rec: QaMethodRecord) => {
    if (opts.judge) rec.grounded = await judgeRecord(rec, opts.judge);
    records.push(rec);
    if (tracesFile) await appendFile(tracesFile, JSON.stringify(rec) + '\n', 'utf8');
    await deps.onRecord?.(rec);
  };

  for (const spec of opts.methods) {
    const rng = mulberry32(seed);
    const retriever: Pick<Retriever, 'retrieve'> =
      setting === 'top' ? opened.retriever : withRetrievalSetting(opened.retriever, setting, { rng, randomPassages: randomPassagesOf(opened.index.reader) });
    const mine: QaMethodRecord[] = [];
    let stopReason: string | undefined;
    if (spec.name === EXTRACTIVE_METHOD) {
      for (const q of questions) {
        const rec = await extractiveRecord(q, retriever, opened.engine, retrieverConfig, k, score, deps.now);
        mine.push(rec);
        await emit(rec);
      }
    } else {
      const ctx: MethodContext = {
        llm: deps.models.llm!,
        retriever,
        topK: k,
        rng,
        now: deps.now,
        seed,
        ...(deps.models.embedder ? { embedder: deps.models.embedder } : {}),
        ...(deps.models.nli ? { nli: deps.models.nli } : {}),
        ...(dense ? { denseSearch: async (v: Float32Array, topK: number) => dense.searchVector(v, topK) } : {}),
      };
      const { summaries: s } = await runMethodsOnQa(questions, [spec], ctx, {
        score,
        onRecord: async (r) => {
          const rec = withAllGoldRecall(r, relevantOf.get(r.id) ?? []);
          mine.push(rec);
          await emit(rec);
        },
      });
      stopReason = s[0]?.error;
    }
    const summary = summarizeRecords(spec.name, mine, stopReason);
    summaries.push(summary);
    deps.onProgress?.(`${spec.name}: ${summary.questions} questions, EM ${summary.EM.toFixed(4)}, F1 ${summary.F1.toFixed(4)}, ${summary.calls} model calls`);
  }

  const bootstrap = { resamples: opts.bootstrap?.resamples ?? 1000, seed: opts.bootstrap?.seed ?? 1 };
  const { comparison, unscored } = compareQaMethods(opts.methods.map((m) => m.name), records, k, opts.judge, bootstrap);
  const result: QaMethodsResult = {
    dataset: qa.name,
    answerMetric: qa.answerMetric,
    questions: questions.length,
    k,
    recallDefinition: config.recall as string,
    summaries,
    records,
    comparison,
    ...(opts.judge ? { unscored, judge: opts.judge.id } : {}),
    bootstrap,
    config,
    timings: {
      indexSeconds: opened.index.indexSeconds,
      indexCached: opened.index.cached,
      ...(opened.embed ? { embedSeconds: opened.embed.seconds } : {}),
      totalSeconds: (deps.now() - started) / 1000,
    },
    ...(deps.outDir ? { outDir: deps.outDir } : {}),
  };
  if (deps.outDir) {
    await writeFile(join(deps.outDir, 'report.md'), renderMethodsReport(result), 'utf8');
    await writeFile(join(deps.outDir, 'summary.json'), JSON.stringify({ dataset: result.dataset, answerMetric: result.answerMetric, questions: result.questions, k, summaries, comparison, ...(opts.judge ? { unscored } : {}), bootstrap, timings: result.timings }, null, 2) + '\n', 'utf8');
  }
  return result;
}

/**
 * The grounded metrics of one record. A record whose method failed has no answer: every metric is
 * unscored with the method's error. A judge that fails on the item makes it unscored with that error.
 */
async function judgeRecord(rec: QaMethodRecord, judge: EntailmentJudge): Promise<GroundedScores> {
  const unscoredAll = (reason: string): GroundedScores => ({ citationRecall: { unscored: reason }, citationPrecision: { unscored: reason }, faithfulness: { unscored: reason }, answerRelevance: { unscored: reason }, statements: [] });
  if (rec.error !== undefined) return unscoredAll(`the method failed: ${rec.error}`);
  try {
    return await scoreGrounded({ question: rec.question, answer: rec.answer ?? rec.prediction, citations: rec.citations, passages: rec.passages ?? [] }, judge);
  } catch (err) {
    if (!(err instanceof OpenbookError)) throw err;
    return unscoredAll(`the judge failed: ${err.message}`);
  }
}

/** Recall@k's row name in the comparison table. */
const recallName = (k: number) => `Recall@${k}`;

/**
 * The comparison table of a QA run (`compareMethods`): EM, F1, Recall@k and, with a judge, the
 * grounded metrics (answer relevance only for an LLM judge), per method in `methods` order.
 */
export function compareQaMethods(
  methods: readonly string[],
  records: readonly QaMethodRecord[],
  k: number,
  judge: EntailmentJudge | undefined,
  bootstrap: BootstrapOptions,
): { comparison: ComparisonRow[]; unscored: Record<string, Record<string, { count: number; reason: string }>> } {
  const grounded = judge ? groundedMetricNames.filter((m) => m !== 'answer relevance' || judge.kind === 'llm') : [];
  const metrics = ['EM', 'F1', recallName(k), ...grounded];
  const unscored: Record<string, Record<string, { count: number; reason: string }>> = {};
  const rows = methods.map((name) => {
    const perItem = new Map<string, Record<string, number>>();
    unscored[name] = {};
    for (const r of records.filter((x) => x.method === name)) {
      const v: Record<string, number> = { EM: r.em, F1: r.f1 };
      if (r.recall !== null) v[recallName(k)] = r.recall;
      if (r.grounded) {
        const g = groundedValues(r.grounded);
        for (const m of grounded) {
          const x = g[m];
          if (typeof x === 'number') v[m] = x;
          else {
            const u = (unscored[name][m] ??= { count: 0, reason: x.unscored });
            u.count++;
          }
        }
      }
      perItem.set(r.id, v);
    }
    return { name, metrics, perItem };
  });
  return { comparison: compareMethods(rows, bootstrap), unscored };
}

/** The record's recall replaced by the all-gold indicator (the method's hits are the passages its answer used). */
function withAllGoldRecall(r: TraceRecord, relevant: readonly string[]): QaMethodRecord {
  // compare.ts stores |relevant ∩ hits| / |relevant|; all gold retrieved ⇔ that fraction is 1.
  const goldRecall = relevant.length === 0 ? null : r.recall;
  return { ...r, recall: goldRecall === null ? null : goldRecall === 1 ? 1 : 0, goldRecall };
}

/**
 * One question answered by the extractive answerer as `ask` answers it — the same query
 * (`engine.askQuery`: content words for BM25), k passages and refusals (`engine.extractiveFromHits`)
 * — from the run's retriever (the `top` setting: the engine's own), traced like a method. The
 * prediction is the first citation's short answer (its `answerSpan`, else its quote); "" when refused.
 */
async function extractiveRecord(
  q: QaQuestion,
  retriever: Pick<Retriever, 'retrieve'>,
  engine: Engine,
  retrieverConfig: EvalRetrieverConfig,
  k: number,
  score: (prediction: string, golds: readonly string[]) => { em: number; f1: number },
  now: () => number,
): Promise<QaMethodRecord> {
  const t0 = now();
  const base = { method: EXTRACTIVE_METHOD, id: q.id, question: q.question, gold: q.answers, calls: 0, usage: { promptTokens: 0, completionTokens: 0 }, citations: [] };
  try {
    const query = engine.askQuery(q.question, { retriever: retrieverConfig.retriever, rerank: retrieverConfig.rerank !== undefined });
    const hits = await retriever.retrieve(query, k);
    const t1 = now();
    const a = engine.extractiveFromHits(q.question, hits);
    const prediction = shortAnswer(a.citations[0]);
    const t2 = now();
    const trace: TraceStep[] = [
      { kind: 'retrieve', name: 'retrieve top-k', input: { query, topK: k }, output: hits.map((h) => ({ rank: h.rank, chunkId: h.chunkId, score: h.score, title: h.title })), durationMs: t1 - t0 },
      { kind: 'score', name: a.citations.length > 0 ? 'first quoted unit (extractive)' : 'refused (extractive)', output: prediction, durationMs: t2 - t1 },
    ];
    const { em, f1 } = score(prediction, q.answers);
    return {
      ...base,
      prediction,
      em,
      f1,
      ...allGoldRecall(q.relevant, hits.map((h) => h.docId)),
      seconds: (now() - t0) / 1000,
      trace,
      citations: a.citations,
      answer: a.citations.length > 0 ? a.answer : '',
      passages: hits.map((h) => ({ chunkId: h.chunkId, docId: h.docId, text: h.text })),
    };
  } catch (err) {
    return { ...base, prediction: '', em: 0, f1: 0, recall: null, goldRecall: null, seconds: (now() - t0) / 1000, trace: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/** The saved report: a header naming dataset, settings and the Recall@k definition, then the Markdown table. */
export function renderMethodsReport(r: QaMethodsResult): string {
  const c = r.config;
  const multi = String(c.recall).includes('every gold');
  const head = [
    `# ${r.dataset}: ${r.questions} questions, methods side by side`,
    '',
    `- retriever ${String(c.retriever)}${c.retriever === 'hybrid' ? ` (${String(c.fusion)}${c.fusion === 'rrf' ? `, rrfK ${String(c.rrfK)}` : ''}${c.alpha !== undefined ? `, alpha ${String(c.alpha)}` : ''})` : ''}, k = ${r.k}, retrieval setting ${String(c.retrieval)}, seed ${String(c.seed)}${c.limit !== undefined ? `, sample of ${String(c.limit)}` : ''}`,
    `- answer metric: ${r.answerMetric === 'korquad' ? 'KorQuAD 1.0 (character F1)' : 'SQuAD v1.1 (token F1)'}; EM, F1 and Recall@k in [0, 1]`,
    `- ${r.recallDefinition}`,
    `- models: llm ${String((c.models as Record<string, unknown>)?.llm ?? 'none')}, embedder ${String((c.models as Record<string, unknown>)?.embedder ?? 'none')}`,
    '',
  ].join('\n');
  // EM, F1 and Recall@k always with 4 decimals (formatMetric would print a whole 0 or 1 bare).
  const rows = methodsTableRows(r.summaries).map((row) => row.map((cell, i) => (typeof cell === 'number' && i >= 2 && i <= 4 ? cell.toFixed(4) : cell)));
  return head + '\n' + toMarkdown(methodsTableHeaders(r.k, multi), rows) + (r.comparison.length > 0 ? '\n' + comparisonMarkdown(r) : '');
}

/** The comparison table in Markdown: metric rows, one `mean [95% CI]` column per method, p against the first. */
function comparisonMarkdown(r: QaMethodsResult): string {
  const rows = r.comparison;
  const metrics = [...new Set(rows.flatMap((x) => Object.keys(x.n)))];
  const headers = ['metric', ...rows.map((x) => `${x.name} [95% CI]`), ...rows.slice(1).map((x) => `p (${x.name} vs ${rows[0].name})`)];
  const body: Cell[][] = metrics.map((m) => [m, ...rows.map((x) => (x.metrics[m] === undefined ? '—' : formatWithCi(x.metrics[m], x.ci[m]))), ...rows.slice(1).map((x) => formatP(x.pValue?.[m]))]);
  const note = `95% percentile bootstrap over questions (B = ${r.bootstrap.resamples}, seed ${r.bootstrap.seed}); p: two-sided paired randomization test${r.judge ? `; judge ${r.judge}` : ''}`;
  return toMarkdown(headers, body) + '\n' + note + '\n';
}
