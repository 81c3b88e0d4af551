/**
 * `openbook eval retrieval` and `openbook eval qa`: reproducible retrieval and QA numbers on
 * a dataset, with an index cached under `.openbook/eval-cache/` (or `--cache DIR`).
 *
 * `eval retrieval --retriever dense|hybrid` and `eval qa --methods …` use the configured models
 * (`openbook config`); `eval qa --methods` saves each run (config, traces, report) in `--out DIR`.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { maskSecrets } from '../../config/index.js';
import { CapabilityError, InvalidParameterError } from '../../core/errors.js';
import { filterFromInput } from '../../core/filter.js';
import { MAX_DEFAULT_THREADS } from '../../core/workers.js';
import { needsEmbedder, type EvalRetrieverConfig } from '../../eval/engine-runner.js';
import { checkMethodsRun, comparableMethodNames, evaluateQaMethods, methodsTableHeaders, methodsTableRows, type QaMethodsResult } from '../../eval/methods.js';
import { evaluateQa, type QaEvalResult } from '../../eval/qa.js';
import { toCsv, toMarkdown, type Cell } from '../../eval/report.js';
import { AUTO_THREADS_MIN_QUERIES, evaluateRetrieval } from '../../eval/retrieval.js';
import { fieldsModes, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig, type FieldsMode } from '../../eval/runner.js';
import type { MethodSpec } from '../../methods/compare.js';
import { retrievalSettings, type RetrievalSetting } from '../../methods/retrieval.js';
import { loadCliModels, type CliModels, type RerankFlags } from '../models.js';
import { rerankLoadOptions, rerankOptions, tableRetrievalOptions, tableRetrievalValues } from './search.js';
import { RETRIEVAL_OPTIONS } from '../../config/options.js';
import { specValue } from '../options.js';
import { analyzerNames } from '../../analysis/registry.js';
import type { ComparisonRow } from '../../eval/rerank-eval.js';
import { formatP, formatWithCi } from '../../eval/stats.js';
import { checkJudgeKind, LlmJudge, NliJudge, type EntailmentJudge } from '../../eval/grounded.js';
import { findLabel, OnnxSequenceClassifier } from '../../models/sequence-classifier.js';
import { loadCliConfig } from './config.js';
import { resolveStoreUrl } from '../store-url.js';
import { action, floatFlag, intFlag, printJson, renderTable, threadsFlag } from '../shared.js';
import { parseParams } from './ask.js';
import { registerEvalContext } from './eval-context.js';
import { registerEvalLm } from './lm.js';

interface CommonFlags {
  dataset: string;
  topK?: string;
  similarity?: string;
  k1?: string;
  b?: string;
  delta?: string;
  normalization?: string;
  analyzer: string;
  fields?: string;
  luceneNorms: boolean;
  cache?: string;
  rebuild?: boolean;
  strict?: boolean;
  json?: boolean;
  config?: string;
  retriever?: string;
  fusion?: string;
  rrfK?: string;
  alpha?: string;
  filter?: string;
}

function common(cmd: Command, defaults: { analyzer: string; fields: string; topK: number; topKHelp: string }): Command {
  cmd.requiredOption('--dataset <path>', 'BEIR folder, SQuAD/KorQuAD .json, or HotpotQA .jsonl (or a folder holding one)');
  // The table's retrieval flags; --top-k is the eval's own depth (retrieval.topK does not change what an eval measures).
  tableRetrievalOptions(cmd, { topK: defaults.topK, topKHelp: defaults.topKHelp, topKNoConfig: true });
  return cmd
    .option('--delta <x>', 'δ for BM25L and BM25+ (default: 0.5 for BM25L, 1.0 for BM25+)')
    .option('--analyzer <name>', `analyzer of the eval index: ${analyzerNames.join(', ')}`, defaults.analyzer)
    .option('--fields <mode>', `flat (title + "\\n" + text as the text, as Pyserini's BEIR flat runs), text (body only) or text+title (body as the text, the title as an indexed field of its chunk: what openbook index builds)`, defaults.fields)
    .option('--no-lucene-norms', "exact document lengths instead of Lucene's one-byte norms")
    .option('--cache <dir>', 'eval-index cache folder (default: .openbook/eval-cache)')
    .option('--rebuild', 'rebuild the cached index')
    .option('--strict', 'fail on the first malformed input line instead of skipping it')
    .option('--config <file>', 'configuration file with the models (default: openbook.config.json found upward)')
    .option('--filter <expr>', 'only corpus documents whose metadata match, inside scoring as search --filter (fields: id, title, path = the dataset name, BEIR metadata.*; qrels unchanged: an excluded relevant document counts as missed)')
    .option('--json', 'print JSON');
}

/** The table's retrieval values for an eval: a flag wins, else the configuration (`openbook.config.json` ← env), else the defaults. */
async function evalRetrieval(f: CommonFlags) {
  const resolved = await loadCliConfig({ ...(f.config !== undefined ? { config: f.config } : {}) });
  const { topK: _depth, ...rest } = tableRetrievalValues({ ...f, topK: undefined }, resolved.config, resolved.sources);
  return { values: rest, config: resolved.config };
}

async function retrieverConfig(f: CommonFlags): Promise<EvalRetrieverConfig> {
  const v = (await evalRetrieval(f)).values;
  return {
    retriever: v.retriever ?? 'bm25',
    ...(v.fusion !== undefined ? { fusion: v.fusion } : {}),
    ...(v.rrfK !== undefined ? { rrfK: v.rrfK } : {}),
    ...(v.alpha !== undefined ? { alpha: v.alpha } : {}),
    ...(v.normalization !== undefined ? { normalization: v.normalization } : {}),
  };
}

/**
 * The eval index and search settings: a flag wins, else `retrieval.similarity`/`k1`/`b` of the
 * resolved configuration (`openbook.config.json` ← env), else the Pyserini BEIR defaults.
 */
async function configs(f: CommonFlags, topK: number): Promise<{ index: EvalIndexConfig; search: EvalSearchConfig }> {
  const { values: v, config } = await evalRetrieval(f);
  const r = config.retrieval;
  const fields = (f.fields ?? 'flat') as FieldsMode;
  if (!fieldsModes.includes(fields)) throw new InvalidParameterError(`--fields must be one of ${fieldsModes.join(', ')}, got "${f.fields}"`);
  return {
    index: { analyzer: f.analyzer, fields, luceneNorms: f.luceneNorms },
    search: {
      similarity: v.similarity ?? r.similarity,
      k1: v.k1 ?? r.k1,
      b: v.b ?? r.b,
      ...(f.delta === undefined ? {} : { delta: floatFlag('--delta', f.delta, 0.5, 0) }),
      ...(f.filter === undefined ? {} : { filter: filterFromInput(f.filter) }),
      topK,
    },
  };
}

function deps(f: CommonFlags): EvalDeps {
  return {
    cacheDir: path.resolve(f.cache ?? path.join('.openbook', 'eval-cache')),
    now: () => performance.now(),
    wallClock: Date.now,
    rebuild: f.rebuild,
    onProgress: (m) => process.stderr.write(`${m}\n`),
  };
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

export function register(program: Command): void {
  const evalCmd = program.command('eval').description('measure retrieval and answers on a dataset (trec_eval-exact metrics)').addHelpText('after', '\nExamples:\n  $ openbook eval retrieval --dataset ../shared/datasets/scifact\n  $ openbook eval qa --dataset ../shared/datasets/korquad-v1.0 --limit 500');
  registerEvalLm(evalCmd);
  registerEvalContext(evalCmd);

  rerankOptions(common(evalCmd.command('retrieval').description('index a dataset, run its queries, print nDCG/Recall/MAP/MRR and timings').addHelpText('after', '\nExamples:\n  $ openbook eval retrieval --dataset ../shared/datasets/scifact\n  $ openbook eval retrieval --dataset ../shared/datasets/scifact --similarity bm25l --k1 1.2 --b 0.75 --json\n  $ openbook eval retrieval --dataset ../shared/datasets/scifact --retriever hybrid --fusion linear --alpha 0.3'), { analyzer: 'auto', fields: 'flat', topK: 1000, topKHelp: 'run depth per query' }))
    .option('--bootstrap <n>', 'bootstrap resamples for the 95% intervals', '1000')
    .option('--seed <n>', 'seed of the bootstrap and the paired randomization test', '1')
    .option('--split <name>', 'BEIR qrels split', 'test')
    .option('--metrics <list>', 'comma-separated, e.g. nDCG@5,P@10 (default: nDCG@10, Recall@1/5/10/20/100/1000, MAP, MRR@10)')
    .option('--run <file>', 'write the TREC run file here')
    .option('--store <url>', 'index the dataset into this PostgreSQL store (a database of its own; never store.url or $OPENBOOK_STORE_URL) and score in SQL')
    .option('--threads <n>', `worker threads for the bm25 queries (default: the cores, at most ${MAX_DEFAULT_THREADS}, from ${AUTO_THREADS_MIN_QUERIES.toLocaleString('en')} queries on, else 1); 1 runs them in-process; with more, queries/s is wall-clock batch throughput`)
    .action(
      action(async (f: CommonFlags & RerankFlags & { split: string; topK?: string; metrics?: string; run?: string; threads?: string; bootstrap: string; seed: string; store?: string }) => {
        // Only the explicit flag: an eval writes its corpus into the store, so it never picks up the configured one.
        const store = f.store === undefined ? undefined : resolveStoreUrl(f.store);
        if (store !== undefined && f.threads !== undefined) warn('--threads does not apply with --store (queries run 4 at a time on the store\'s pool)');
        const { index, search } = await configs(f, specValue<number>(RETRIEVAL_OPTIONS.topK, f.topK) ?? 1000);
        const retriever = await retrieverConfig(f);
        const threadsGiven = f.threads === undefined ? undefined : threadsFlag(f.threads, 1);
        if (threadsGiven !== undefined && threadsGiven > 1 && retriever.retriever !== 'bm25') {
          warn(`--threads ${threadsGiven} applies to the bm25 retriever; ${retriever.retriever} queries run on one thread`);
        }
        const threads = retriever.retriever === 'bm25' ? (threadsGiven ?? 'auto') : 1;
        // BM25 needs no model: the configuration is read only when vectors or a reranker are needed.
        const rerankLoad = rerankLoadOptions(f);
        const wantRerank = f.rerank !== undefined && f.rerank !== 'none';
        const models = needsEmbedder(retriever) || wantRerank ? await loadCliModels(f, { llm: false, embedder: needsEmbedder(retriever), ...rerankLoad }) : undefined;
        const bootstrap = { resamples: intFlag('--bootstrap', f.bootstrap, 1000, 1, 1_000_000), seed: intFlag('--seed', f.seed, 1, 0) };
        try {
          const rerank = models?.reranker ? { reranker: models.reranker, depth: models.config.rerank.depth, firstStageWeight: models.config.rerank.firstStageWeight } : undefined;
          const res = await evaluateRetrieval(
            {
              dataset: f.dataset,
              split: f.split,
              index,
              search,
              retriever,
              metrics: f.metrics?.split(',').map((s) => s.trim()).filter(Boolean),
              runFile: f.run,
              strict: f.strict,
              onWarning: warn,
              threads,
              bootstrap,
              ...(rerank ? { rerank } : {}),
              ...(store !== undefined ? { store } : {}),
            },
            { ...deps(f), ...(models ? { models } : {}) },
          );
          if (f.json) {
            printJson({
              dataset: res.dataset,
              split: res.split,
              config: res.config,
              queries: res.queries,
              metrics: res.metrics,
              timings: {
                indexSeconds: res.timings.indexSeconds,
                queriesPerSecond: res.timings.queriesPerSecond,
                // queriesPerSecond: per-search CPU throughput with threads 1, wall-clock batch throughput above.
                threads: res.timings.threads,
                ...(res.timings.workerStartSeconds !== undefined ? { workerStartSeconds: res.timings.workerStartSeconds } : {}),
                ...(res.timings.embedSeconds !== undefined ? { embedSeconds: res.timings.embedSeconds, embedded: res.timings.embedded } : {}),
              },
              index: { documents: res.index.documents, terms: res.index.terms, postings: res.index.postings, totalTerms: res.index.totalTerms, cached: res.timings.indexCached },
              rows: res.rows,
              bootstrap: res.bootstrap,
              ...(res.rerank ? { rerank: res.rerank } : {}),
            });
            return;
          }
          const how =
            retriever.retriever === 'bm25'
              ? `${search.similarity} k1=${search.k1} b=${search.b}`
              : `${Object.entries(res.config)
                  .filter(([k]) => ['retriever', 'fusion', 'rrfK', 'alpha', 'embedder'].includes(k))
                  .map(([k, v]) => `${k}=${String(v)}`)
                  .join(' ')}${retriever.retriever === 'hybrid' ? ` (sparse: ${search.similarity} k1=${search.k1} b=${search.b})` : ''}`;
          process.stdout.write(`${res.dataset} (${res.split}), ${res.queries} queries; analyzer ${index.analyzer}, fields ${index.fields}, ${how}\n\n`);
          process.stdout.write(renderComparison(res.rows, res.bootstrap) + '\n\n');
          process.stdout.write(
            renderTable(
              ['index', 'value'],
              [
                ['documents', res.index.documents],
                ['terms', res.index.terms],
                ['postings', res.index.postings],
                ['total terms', res.index.totalTerms],
                ['index seconds', res.timings.indexCached ? 'cached' : res.timings.indexSeconds.toFixed(2)],
                ...(res.timings.embedSeconds !== undefined ? [['embedding seconds', `${res.timings.embedSeconds.toFixed(2)} (${res.timings.embedded} passages)`] as [string, string]] : []),
                [
                  store !== undefined ? `queries/second (wall clock, ${res.timings.threads} in flight on the store)` : res.timings.threads > 1 ? `queries/second (wall clock, ${res.timings.threads} threads)` : 'queries/second',
                  res.timings.queriesPerSecond.toFixed(1),
                ],
              ],
            ) + '\n',
          );
          if (f.run) process.stdout.write(`\nrun written to ${f.run}\n`);
        } finally {
          await models?.close();
        }
      }),
    );

  rerankOptions(common(evalCmd.command('qa').description('paragraph Recall@1/5/20 and EM/F1 of the offline extractive answerer, or of RAG methods side by side (--methods)').addHelpText('after', '\nExamples:\n  $ openbook eval qa --dataset ../shared/datasets/squad-v1.1 --limit 500\n  $ openbook eval qa --dataset ../shared/datasets/korquad-v1.0 --limit 100 --methods extractive,naive,hyde'), { analyzer: 'auto', fields: 'text+title', topK: 5, topKHelp: 'passages given to the answerer or each method' }))
    .option('--limit <n>', 'evaluate a seeded random sample of questions')
    .option('--seed <n>', 'seed of the sample (and, with --methods, of every method\'s sampling)', '1')
    .option('--no-answers', 'retrieval metrics only')
    .option('--methods <list>', `compare methods side by side, comma-separated: ${comparableMethodNames.join(', ')}`)
    .option('--param <method.name=value>', 'a method parameter, e.g. --param hyde.K=4 (repeatable; with --methods)', collect)
    .option('--retrieval <setting>', `passages given to the methods: ${retrievalSettings.join(', ')} (RetRobust's noisy settings; with --methods)`, 'top')
    .option('--judge <kind>', 'grounded-answer metrics (with --methods): nli (a local NLI model, --nli-model) or llm (the configured model\'s Yes/No log-probabilities): ALCE citation recall/precision, faithfulness, answer relevance (llm)')
    .option('--nli-model <dir>', 'NLI model folder (sequence classification ONNX + tokenizer.json, labels with "entailment") for --judge nli and RetRobust\'s gate (default: nli.modelDir)')
    .option('--bootstrap <n>', 'bootstrap resamples for the 95% intervals', '1000')
    .option('--format <fmt>', 'table, markdown, json or csv (per question)', 'table')
    .option('--out <path>', 'without --methods: write the report to this file; with --methods: the run folder (default: .openbook/eval-runs/<timestamp>/)')
    .action(
      action(async (f: QaFlags) => {
        if (f.methods !== undefined) {
          await qaMethods(f);
          return;
        }
        if (f.judge !== undefined) throw new InvalidParameterError('--judge scores the answers of --methods; add --methods extractive (or the methods to compare)');
        if (f.rerank !== undefined && f.rerank !== 'none') throw new InvalidParameterError('eval qa reranks with --methods; add --methods extractive (or the methods to compare)');
        const format = f.json ? 'json' : f.format;
        if (!['table', 'markdown', 'json', 'csv'].includes(format)) throw new InvalidParameterError(`--format must be table, markdown, json or csv, got "${format}"`);
        if (f.retriever !== undefined && f.retriever !== 'bm25') throw new InvalidParameterError('eval qa without --methods runs BM25 only; add --methods extractive to compare over a dense or hybrid retriever');
        const { index, search } = await configs(f, 20);
        const res = await evaluateQa(
          {
            dataset: f.dataset,
            index,
            search,
            k: intFlag('--top-k', f.topK, 5, 1, 1000),
            limit: f.limit === undefined ? undefined : intFlag('--limit', f.limit, 0, 1),
            seed: intFlag('--seed', f.seed, 1, 0),
            noAnswers: !f.answers,
            bootstrap: { resamples: intFlag('--bootstrap', f.bootstrap, 1000, 1, 1_000_000), seed: intFlag('--seed', f.seed, 1, 0) },
            strict: f.strict,
            onWarning: warn,
          },
          deps(f),
        );
        const text = renderQa(res, format);
        if (f.out) {
          await writeFile(f.out, text, 'utf8');
          process.stderr.write(`report written to ${f.out}\n`);
        } else process.stdout.write(text);
      }),
    );
}

/**
 * An eval comparison table: one row per metric, one column per method (mean [95 % CI]), and a
 * p column per later method (paired randomization test against the first); last row ms/query.
 */
export function renderComparison(rows: readonly ComparisonRow[], bootstrap: { resamples: number; seed: number }, unit = 'queries'): string {
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.n ?? r.metrics)))];
  const headers = ['metric', ...rows.map((r) => `${r.name} [95% CI]`), ...rows.slice(1).map((_, i) => (rows.length > 2 ? `p (${i + 2} vs 1)` : 'p'))];
  const body: Array<Array<string | number>> = metrics.map((m) => [m, ...rows.map((r) => (r.metrics[m] === undefined ? '—' : formatWithCi(r.metrics[m], r.ci[m]))), ...rows.slice(1).map((r) => formatP(r.pValue?.[m]))]);
  if (rows.some((r) => r.msPerQuery !== undefined)) body.push(['ms/query', ...rows.map((r) => (r.msPerQuery !== undefined ? r.msPerQuery.toFixed(2) : '—')), ...rows.slice(1).map(() => '')]);
  const note = `95% percentile bootstrap over ${unit} (B = ${bootstrap.resamples}, seed ${bootstrap.seed})${rows.length > 1 ? '; p: two-sided paired randomization test against the first column' : ''}`;
  return renderTable(headers, body) + '\n' + note;
}

interface QaFlags extends CommonFlags, RerankFlags {
  topK?: string;
  limit?: string;
  seed: string;
  answers: boolean;
  format: string;
  out?: string;
  methods?: string;
  param?: string[];
  retrieval: string;
  judge?: string;
  nliModel?: string;
  bootstrap: string;
}

const collect = (v: string, prev: string[] = []) => prev.concat(v);

/** `--methods a,b` and `--param a.x=1` → method specs, in the order listed. */
export function parseMethodSpecs(list: string, params: string[] = []): MethodSpec[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const byMethod = new Map<string, string[]>();
  for (const p of params) {
    const dot = p.indexOf('.');
    const eq = p.indexOf('=');
    if (dot <= 0 || eq < 0 || dot > eq) throw new InvalidParameterError(`--param expects method.name=value with --methods, got ${JSON.stringify(p)}`);
    const method = p.slice(0, dot);
    if (!names.includes(method)) throw new InvalidParameterError(`--param ${p}: method ${method} is not in --methods (${names.join(', ')})`);
    byMethod.set(method, [...(byMethod.get(method) ?? []), p.slice(dot + 1)]);
  }
  return names.map((name) => {
    const ps = parseParams(byMethod.get(name) ?? []);
    return Object.keys(ps).length > 0 ? { name, params: ps } : { name };
  });
}

/** The checked-out commit of this openbook, or null outside a git work tree. */
function gitSha(): string | null {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** `eval qa --methods …`: the comparison table, with config, traces and report saved in the run folder. */
async function qaMethods(f: QaFlags): Promise<void> {
  if (!f.answers) throw new InvalidParameterError('--no-answers cannot be combined with --methods (methods are compared on their answers)');
  const setting = f.retrieval as RetrievalSetting;
  if (!retrievalSettings.includes(setting)) throw new InvalidParameterError(`--retrieval must be one of ${retrievalSettings.join(', ')}, got "${f.retrieval}"`);
  const methods = parseMethodSpecs(f.methods ?? '', f.param);
  const retriever = await retrieverConfig(f);
  const k = intFlag('--top-k', f.topK, 5, 1, 1000);
  const limit = f.limit === undefined ? undefined : intFlag('--limit', f.limit, 0, 1);
  const seed = intFlag('--seed', f.seed, 1, 0);
  const { index, search } = await configs(f, Math.max(20, k));
  if (f.judge !== undefined) checkJudgeKind(f.judge);
  if (f.judge === 'nli' && !f.nliModel) throw new InvalidParameterError('--judge nli needs --nli-model DIR (an NLI model folder; docs/models.md says how to export one)');
  const bootstrap = { resamples: intFlag('--bootstrap', f.bootstrap, 1000, 1, 1_000_000), seed };
  const needLlm = methods.some((m) => m.name !== 'extractive') || f.judge === 'llm';
  const models: CliModels = await loadCliModels(f, {
    llm: needLlm,
    embedder: needsEmbedder(retriever) || methods.some((m) => m.name === 'hyde'),
    ...rerankLoadOptions(f),
    // the NLI folder gates RetRobust; --judge nli loads its own classifier below
    nli: methods.some((m) => m.name === 'retrobust'),
    ...(f.nliModel !== undefined ? { nliModel: f.nliModel } : {}),
  });
  if (models.reranker) retriever.rerank = { reranker: models.reranker, depth: models.config.rerank.depth, firstStageWeight: models.config.rerank.firstStageWeight };
  let closeJudge = async () => {};
  try {
    // Unknown names, bad parameters and missing models fail here, before the dataset is read.
    checkMethodsRun(methods, models, retriever);
    let judge: EntailmentJudge | undefined;
    if (f.judge === 'nli') {
      const model = new OnnxSequenceClassifier({ modelDir: f.nliModel! });
      await model.load();
      closeJudge = () => model.close();
      if (findLabel(model.labels ?? [], 'entail') < 0) throw new InvalidParameterError(`--nli-model ${f.nliModel}: its config.json id2label has no entailment label (${JSON.stringify(model.labels ?? [])}); is it an NLI model?`);
      judge = new NliJudge(model);
    } else if (f.judge === 'llm') {
      if (!models.llm) throw new CapabilityError('--judge llm needs a language model: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL (see `openbook config`)');
      if (!models.llm.capabilities.logprobs) throw new CapabilityError(`--judge llm reads Yes/No log-probabilities, which ${models.llm.id} does not return`);
      judge = new LlmJudge(models.llm);
    }
    const startedAt = new Date();
    const outDir = path.resolve(f.out ?? path.join('.openbook', 'eval-runs', startedAt.toISOString().replace(/[:.]/g, '-')));
    const done = new Map<string, number>();
    const progress = (method: string) => {
      done.set(method, (done.get(method) ?? 0) + 1);
      process.stderr.write(`\r${method} ${done.get(method)}   `);
    };
    const require = createRequire(import.meta.url);
    const { version } = require('../../../package.json') as { version: string };
    const res = await evaluateQaMethods(
      { dataset: f.dataset, methods, index, search, retriever, k, ...(limit !== undefined ? { limit } : {}), seed, retrieval: setting, strict: f.strict, onWarning: warn, bootstrap, ...(judge ? { judge } : {}) },
      {
        ...deps(f),
        models,
        outDir,
        // Progress on a terminal only: "naive 12" as each item finishes.
        ...(process.stderr.isTTY
          ? { onRecord: (r: { method: string }) => void progress(r.method), onProgress: (m: string) => void process.stderr.write(`\r\x1b[K${m}\n`) }
          : {}),
        runConfig: {
          command: ['openbook', ...process.argv.slice(2)],
          startedAt: startedAt.toISOString(),
          openbook: { version, gitSha: gitSha() },
          node: process.version,
          openbookConfig: maskSecrets(models.config),
        },
      },
    );
    if (f.json) printJson(methodsJson(res));
    else process.stdout.write(renderMethodsTable(res) + '\n' + renderQaComparison(res) + '\n');
    process.stderr.write(`run saved to ${outDir} (config.json, traces.jsonl, report.md, summary.json)\n`);
  } finally {
    await closeJudge();
    await models.close();
  }
}

/** `eval qa --methods … --json`. */
function methodsJson(r: QaMethodsResult) {
  return {
    dataset: r.dataset,
    answerMetric: r.answerMetric,
    questions: r.questions,
    k: r.k,
    recall: r.recallDefinition,
    summaries: r.summaries,
    comparison: r.comparison,
    bootstrap: r.bootstrap,
    ...(r.judge ? { judge: r.judge, unscored: r.unscored } : {}),
    timings: r.timings,
    outDir: r.outDir,
    config: r.config,
  };
}

/** The metric × method table with intervals and p, then one line per metric the judge left unscored. */
export function renderQaComparison(r: QaMethodsResult): string {
  const lines = [renderComparison(r.comparison, r.bootstrap, 'questions')];
  if (r.judge) lines.push(`judge: ${r.judge}`);
  for (const [method, byMetric] of Object.entries(r.unscored ?? {})) {
    for (const [metric, u] of Object.entries(byMetric)) lines.push(`${method}: ${metric} unscored for ${u.count} of ${r.questions} (${u.reason}); the mean is over the rest`);
  }
  return lines.join('\n') + '\n';
}

/** The terminal table of a methods comparison, with a header line naming the settings. */
export function renderMethodsTable(r: QaMethodsResult): string {
  const c = r.config;
  const multi = String(c.recall).includes('every gold');
  const rows = methodsTableRows(r.summaries).map((row) => row.map((cell, i) => (typeof cell === 'number' && (i === 2 || i === 3 || i === 4) ? cell.toFixed(4) : cell)));
  const head = `${r.dataset}: ${r.questions} questions; retriever ${String(c.retriever)}, k=${r.k}, retrieval ${String(c.retrieval)}, seed ${String(c.seed)}; ${r.answerMetric === 'korquad' ? 'KorQuAD character F1' : 'SQuAD token F1'}\n${r.recallDefinition}\n\n`;
  return head + renderTable(methodsTableHeaders(r.k, multi), rows) + '\n';
}

/** Renders a QA result in one of the report formats (CSV: one row per question, with a BOM). */
export function renderQa(res: QaEvalResult, format: string): string {
  if (format === 'json') {
    const { perQuestion, ...summary } = res;
    return JSON.stringify({ ...summary, perQuestion }, null, 2) + '\n';
  }
  if (format === 'csv') {
    const rows: Cell[][] = res.perQuestion.map((q) => [q.id, q.question, q.gold.join(' | '), q.prediction, q.goldRank, q.em, Number(q.f1.toFixed(6))]);
    return toCsv(['id', 'question', 'gold', 'prediction', 'goldRank', 'EM', 'F1'], rows);
  }
  const ciText = (k: string) => (res.ci[k] ? `[${res.ci[k].low.toFixed(4)}, ${res.ci[k].high.toFixed(4)}]` : '—');
  const rows: Cell[][] = Object.entries(res.metrics).map(([k, v]) => [k, v, ciText(k)]);
  const head = `${res.dataset}: ${res.questions} questions; analyzer ${res.config.analyzer}, fields ${res.config.fields}, ${res.config.similarity} k1=${res.config.k1} b=${res.config.b}; answerer ${res.config.answerer} (k=${res.config.k}, ${res.answerMetric} F1)\n\n`;
  const timing = `\nindex ${res.timings.indexCached ? 'cached' : `${res.timings.indexSeconds.toFixed(2)} s`}, ${res.timings.queriesPerSecond.toFixed(1)} queries/s, answering ${res.timings.answerSeconds.toFixed(1)} s\n`;
  const note = `\n95% percentile bootstrap over questions (B = ${res.bootstrap.resamples}, seed ${res.bootstrap.seed})\n`;
  if (format === 'markdown') return head + toMarkdown(['metric', 'value', '95% CI'], rows) + note + timing;
  return head + renderTable(['metric', 'value', '95% CI'], rows.map(([k, v, c]) => [k, typeof v === 'number' ? v.toFixed(4) : v, c])) + '\n' + note + timing;
}
