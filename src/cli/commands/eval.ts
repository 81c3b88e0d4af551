/**
 * `openbook eval retrieval` and `openbook eval qa`: reproducible retrieval and QA numbers on
 * a dataset, with an index cached under `.openbook/eval-cache/` (or `--cache DIR`).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { InvalidParameterError } from '../../core/errors.js';
import { evaluateQa, type QaEvalResult } from '../../eval/qa.js';
import { toCsv, toMarkdown, type Cell } from '../../eval/report.js';
import { evaluateRetrieval } from '../../eval/retrieval.js';
import { fieldsModes, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig, type FieldsMode } from '../../eval/runner.js';
import type { SimilarityName } from '../../index/index.js';
import { action, floatFlag, intFlag, printJson, renderTable } from '../shared.js';

interface CommonFlags {
  dataset: string;
  similarity: string;
  k1?: string;
  b?: string;
  delta?: string;
  analyzer: string;
  fields?: string;
  luceneNorms: boolean;
  cache?: string;
  rebuild?: boolean;
  strict?: boolean;
  json?: boolean;
}

function common(cmd: Command, defaults: { analyzer: string; fields: string }): Command {
  return cmd
    .requiredOption('--dataset <path>', 'BEIR folder, SQuAD/KorQuAD .json, or HotpotQA .jsonl (or a folder holding one)')
    .option('--similarity <name>', 'bm25, bm25-robertson, bm25-atire, bm25l, bm25+, tfidf', 'bm25')
    .option('--k1 <x>', 'BM25 k1 (default 0.9, as Pyserini)')
    .option('--b <x>', 'BM25 b (default 0.4, as Pyserini)')
    .option('--delta <x>', 'δ for BM25L / BM25+')
    .option('--analyzer <name>', 'analyzer of the eval index', defaults.analyzer)
    .option('--fields <mode>', `flat (title + "\\n" + text, as Pyserini's BEIR flat runs) or text (body only)`, defaults.fields)
    .option('--no-lucene-norms', "exact document lengths instead of Lucene's one-byte norms")
    .option('--cache <dir>', 'eval-index cache folder (default .openbook/eval-cache)')
    .option('--rebuild', 'rebuild the cached index')
    .option('--strict', 'fail on the first malformed input line instead of skipping it')
    .option('--json', 'print JSON');
}

function configs(f: CommonFlags, topK: number): { index: EvalIndexConfig; search: EvalSearchConfig } {
  const fields = (f.fields ?? 'flat') as FieldsMode;
  if (!fieldsModes.includes(fields)) throw new InvalidParameterError(`--fields must be one of ${fieldsModes.join(', ')}, got "${f.fields}"`);
  return {
    index: { analyzer: f.analyzer, fields, luceneNorms: f.luceneNorms },
    search: {
      similarity: f.similarity as SimilarityName,
      k1: floatFlag('--k1', f.k1, 0.9, 0),
      b: floatFlag('--b', f.b, 0.4, 0, 1),
      ...(f.delta === undefined ? {} : { delta: floatFlag('--delta', f.delta, 0.5, 0) }),
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
  const evalCmd = program.command('eval').description('measure retrieval and answers on a dataset (trec_eval-exact metrics)');

  common(evalCmd.command('retrieval').description('index a dataset, run its queries, print nDCG/Recall/MAP/MRR and timings'), { analyzer: 'english', fields: 'flat' })
    .option('--split <name>', 'BEIR qrels split', 'test')
    .option('--topk <n>', 'run depth per query', '1000')
    .option('--metrics <list>', 'comma-separated, e.g. nDCG@5,P@10 (default nDCG@10, Recall@1/5/10/20/100/1000, MAP, MRR@10)')
    .option('--run <file>', 'write the TREC run file here')
    .action(
      action(async (f: CommonFlags & { split: string; topk: string; metrics?: string; run?: string }) => {
        const { index, search } = configs(f, intFlag('--topk', f.topk, 1000, 1, 100_000));
        const res = await evaluateRetrieval(
          {
            dataset: f.dataset,
            split: f.split,
            index,
            search,
            metrics: f.metrics?.split(',').map((s) => s.trim()).filter(Boolean),
            runFile: f.run,
            strict: f.strict,
            onWarning: warn,
          },
          deps(f),
        );
        if (f.json) {
          printJson({
            dataset: res.dataset,
            split: res.split,
            config: res.config,
            queries: res.queries,
            metrics: res.metrics,
            timings: { indexSeconds: res.timings.indexSeconds, queriesPerSecond: res.timings.queriesPerSecond },
            index: { documents: res.index.documents, terms: res.index.terms, postings: res.index.postings, totalTerms: res.index.totalTerms, cached: res.timings.indexCached },
          });
          return;
        }
        process.stdout.write(`${res.dataset} (${res.split}), ${res.queries} queries; analyzer ${index.analyzer}, fields ${index.fields}, ${search.similarity} k1=${search.k1} b=${search.b}\n\n`);
        process.stdout.write(renderTable(['metric', 'value'], Object.entries(res.metrics).map(([k, v]) => [k, v])) + '\n\n');
        process.stdout.write(
          renderTable(
            ['index', 'value'],
            [
              ['documents', res.index.documents],
              ['terms', res.index.terms],
              ['postings', res.index.postings],
              ['total terms', res.index.totalTerms],
              ['index seconds', res.timings.indexCached ? 'cached' : res.timings.indexSeconds.toFixed(2)],
              ['queries/second', res.timings.queriesPerSecond.toFixed(1)],
            ],
          ) + '\n',
        );
        if (f.run) process.stdout.write(`\nrun written to ${f.run}\n`);
      }),
    );

  common(evalCmd.command('qa').description('paragraph Recall@1/5/20 and EM/F1 of the offline extractive answerer'), { analyzer: 'auto', fields: 'text' })
    .option('-k, --k <n>', 'passages given to the answerer', '5')
    .option('--limit <n>', 'evaluate a seeded random sample of questions')
    .option('--seed <n>', 'seed of the sample', '1')
    .option('--no-answers', 'retrieval metrics only')
    .option('--format <fmt>', 'table, markdown, json or csv (per question)', 'table')
    .option('--out <file>', 'write the report to a file instead of stdout')
    .action(
      action(async (f: CommonFlags & { k: string; limit?: string; seed: string; answers: boolean; format: string; out?: string }) => {
        const format = f.json ? 'json' : f.format;
        if (!['table', 'markdown', 'json', 'csv'].includes(format)) throw new InvalidParameterError(`--format must be table, markdown, json or csv, got "${format}"`);
        const { index, search } = configs(f, 20);
        const res = await evaluateQa(
          {
            dataset: f.dataset,
            index,
            search,
            k: intFlag('-k', f.k, 5, 1, 1000),
            limit: f.limit === undefined ? undefined : intFlag('--limit', f.limit, 0, 1),
            seed: intFlag('--seed', f.seed, 1, 0),
            noAnswers: !f.answers,
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
  const rows: Cell[][] = Object.entries(res.metrics).map(([k, v]) => [k, v]);
  const head = `${res.dataset}: ${res.questions} questions; analyzer ${res.config.analyzer}, fields ${res.config.fields}, ${res.config.similarity} k1=${res.config.k1} b=${res.config.b}; answerer ${res.config.answerer} (k=${res.config.k}, ${res.answerMetric} F1)\n\n`;
  const timing = `\nindex ${res.timings.indexCached ? 'cached' : `${res.timings.indexSeconds.toFixed(2)} s`}, ${res.timings.queriesPerSecond.toFixed(1)} queries/s, answering ${res.timings.answerSeconds.toFixed(1)} s\n`;
  if (format === 'markdown') return head + toMarkdown(['metric', 'value'], rows) + timing;
  return head + renderTable(['metric', 'value'], rows.map(([k, v]) => [k, typeof v === 'number' ? v.toFixed(4) : v])) + '\n' + timing;
}
