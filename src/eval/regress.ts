/**
 * Regressions as data: each `bench/regressions/*.yaml` pins, for one dataset and config, the
 * metrics to 4 decimals and the index statistics. `runRegressions` re-runs them and grades
 * each value:
 *   OK     the value rounds to the pinned 4 decimals (or the statistic is equal);
 *   OKISH  within 0.0005 of the pinned value (float noise, a tie broken differently);
 *   FAIL   anything else — with expected and got.
 *
 * File shape:
 * ```yaml
 * name: scifact.bm25-flat
 * kind: retrieval            # retrieval | qa (paragraph retrieval of a QA dataset) | extractive
 * k: 5                       # extractive only: passages per question (ask's topK), default 5
 * dataset: scifact           # relative to the datasets root
 * split: test                # BEIR only
 * index:  { analyzer: english, fields: flat, luceneNorms: true }
 * search: { similarity: bm25, k1: 0.9, b: 0.4, topK: 1000 }
 * index_stats: { documents: 5183, terms: 0, postings: 0, total_terms: 838128 }
 * metrics: { nDCG@10: 0.6789, Recall@100: 0.9253, Recall@1000: 0.9767 }
 * reference: { source: "…", metrics: { … } }   # optional, documentation only
 * ```
 *
 * `kind: extractive` answers every question of a SQuAD/KorQuAD file through `ask`'s offline path
 * (`evaluateQa` without an answerer, src/eval/extractive-qa.ts) and pins its metrics:
 * `answer-bearing@1`, `EM`, `F1`, `refusal`, `refusal|gold@1`, `gold@1` (and any of the
 * retrieval metrics Recall@1/5/20, MRR@10 of the question as given).
 */
import { createRequire } from 'node:module';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputFormatError, InvalidParameterError } from '../core/errors.js';
import type { SimilarityName } from '../index/index.js';
import { extractiveQaMetricNames } from './extractive-qa.js';
import { parseMetric } from './metrics.js';
import { evaluateQa } from './qa.js';
import { evaluateRetrieval, type EvalIndexStats } from './retrieval.js';
import { fieldsModes, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig, type FieldsMode } from './runner.js';

// The YAML parser loads when a regression file is read, not with the library.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);

export interface RegressionSpec {
  /** The YAML file it came from. */
  file: string;
  name: string;
  kind: 'retrieval' | 'qa' | 'extractive';
  dataset: string;
  /** `extractive` only: passages per question. Default 5. */
  k: number;
  split: string;
  index: EvalIndexConfig;
  search: EvalSearchConfig;
  /** Pinned index statistics (any subset of documents, terms, postings, total_terms). */
  indexStats: Partial<Record<'documents' | 'terms' | 'postings' | 'total_terms', number>>;
  metrics: Record<string, number>;
}

export type Grade = 'OK' | 'OKISH' | 'FAIL';

export interface RegressionCheck {
  /** Metric name or `index.<stat>`. */
  what: string;
  expected: number;
  got: number;
  grade: Grade;
}

export interface RegressionResult {
  spec: RegressionSpec;
  checks: RegressionCheck[];
  seconds: number;
  /** Worst grade among the checks. */
  grade: Grade;
}

/** OKISH tolerance (absolute). */
export const OKISH_TOLERANCE = 0.0005;

/** Grades a metric against its pinned 4-decimal value; see the module comment. */
export function gradeMetric(expected: number, got: number): Grade {
  if (got.toFixed(4) === expected.toFixed(4)) return 'OK';
  if (Math.abs(got - expected) <= OKISH_TOLERANCE + 1e-12) return 'OKISH';
  return 'FAIL';
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Parses and validates one regression file. @throws InputFormatError naming the file and field */
export function parseRegression(file: string, text: string): RegressionSpec {
  const bad = (what: string) => new InputFormatError(`${file}: ${what}`);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputFormatError(`${file}: not valid YAML (${(err as Error).message})`, { cause: err });
  }
  if (!isObj(doc)) throw bad('expected a mapping at the top level');
  const str = (v: unknown, field: string) => {
    if (typeof v !== 'string' || v === '') throw bad(`"${field}" must be a non-empty string`);
    return v;
  };
  const num = (v: unknown, field: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`"${field}" must be a number`);
    return v;
  };
  const kind = doc.kind ?? 'retrieval';
  if (kind !== 'retrieval' && kind !== 'qa' && kind !== 'extractive') throw bad(`"kind" must be retrieval, qa or extractive, got ${JSON.stringify(kind)}`);
  const index = isObj(doc.index) ? doc.index : {};
  const search = isObj(doc.search) ? doc.search : {};
  const fields = (index.fields ?? 'flat') as FieldsMode;
  if (!fieldsModes.includes(fields)) throw bad(`"index.fields" must be one of ${fieldsModes.join(', ')}`);
  if (!isObj(doc.metrics) || Object.keys(doc.metrics).length === 0) throw bad('"metrics" must map metric names to pinned values');
  const metrics: Record<string, number> = {};
  for (const [name, v] of Object.entries(doc.metrics)) {
    if (kind === 'extractive' && (extractiveQaMetricNames as readonly string[]).includes(name)) {
      metrics[name] = num(v, `metrics.${name}`);
      continue;
    }
    try {
      metrics[parseMetric(name).name] = num(v, `metrics.${name}`);
    } catch (err) {
      if (err instanceof InvalidParameterError) throw bad(err.message);
      throw err;
    }
  }
  const indexStats: RegressionSpec['indexStats'] = {};
  if (doc.index_stats !== undefined) {
    if (!isObj(doc.index_stats)) throw bad('"index_stats" must be a mapping');
    for (const [k, v] of Object.entries(doc.index_stats)) {
      if (k !== 'documents' && k !== 'terms' && k !== 'postings' && k !== 'total_terms') throw bad(`unknown index_stats key "${k}" (documents, terms, postings, total_terms)`);
      indexStats[k] = num(v, `index_stats.${k}`);
    }
  }
  return {
    file,
    name: str(doc.name, 'name'),
    kind,
    dataset: str(doc.dataset, 'dataset'),
    k: num(doc.k ?? 5, 'k'),
    split: typeof doc.split === 'string' ? doc.split : 'test',
    index: { analyzer: str(index.analyzer ?? 'auto', 'index.analyzer'), fields, luceneNorms: index.luceneNorms !== false },
    search: {
      similarity: str(search.similarity ?? 'bm25', 'search.similarity') as SimilarityName,
      k1: num(search.k1 ?? 0.9, 'search.k1'),
      b: num(search.b ?? 0.4, 'search.b'),
      ...(search.delta === undefined ? {} : { delta: num(search.delta, 'search.delta') }),
      topK: num(search.topK ?? 1000, 'search.topK'),
    },
    indexStats,
    metrics,
  };
}

/** Reads every `*.yaml` in `dir`, sorted by file name. */
export async function loadRegressions(dir: string): Promise<RegressionSpec[]> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return Promise.all(names.map(async (n) => parseRegression(join(dir, n), await readFile(join(dir, n), 'utf8'))));
}

const statKey: Record<string, keyof EvalIndexStats> = { documents: 'documents', terms: 'terms', postings: 'postings', total_terms: 'totalTerms' };

/** Runs one regression (its dataset resolved under `datasetsRoot`) and grades it. */
export async function runRegression(spec: RegressionSpec, datasetsRoot: string, deps: EvalDeps): Promise<RegressionResult> {
  const t0 = deps.now();
  const res =
    spec.kind === 'extractive'
      ? await evaluateQa({ dataset: join(datasetsRoot, spec.dataset), index: spec.index, search: spec.search, k: spec.k }, deps)
      : await evaluateRetrieval({ dataset: join(datasetsRoot, spec.dataset), split: spec.split, index: spec.index, search: spec.search, metrics: Object.keys(spec.metrics) }, deps);
  const checks: RegressionCheck[] = [];
  for (const [k, expected] of Object.entries(spec.indexStats)) {
    const got = res.index[statKey[k]];
    checks.push({ what: `index.${k}`, expected, got, grade: got === expected ? 'OK' : 'FAIL' });
  }
  for (const [name, expected] of Object.entries(spec.metrics)) {
    const got = res.metrics[name];
    checks.push({ what: name, expected, got, grade: gradeMetric(expected, got) });
  }
  const order: Grade[] = ['OK', 'OKISH', 'FAIL'];
  const grade = checks.reduce<Grade>((w, c) => (order.indexOf(c.grade) > order.indexOf(w) ? c.grade : w), 'OK');
  return { spec, checks, seconds: (deps.now() - t0) / 1000, grade };
}

/** Whether the datasets root exists (a folder). */
export async function datasetsAvailable(root: string): Promise<boolean> {
  try {
    return (await stat(resolve(root))).isDirectory();
  } catch {
    return false;
  }
}

/** One line per check: `  OK     nDCG@10  expected 0.6789  got 0.6791`. */
export function formatRegression(r: RegressionResult): string[] {
  const lines = [`${r.grade.padEnd(5)} ${r.spec.name}  (${r.seconds.toFixed(1)} s)`];
  for (const c of r.checks) {
    const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));
    lines.push(`  ${c.grade.padEnd(5)} ${c.what.padEnd(18)} expected ${f(c.expected).padStart(9)}  got ${f(c.got).padStart(9)}${c.grade === 'OK' ? '' : `  (Δ ${(c.got - c.expected).toFixed(4)})`}`);
  }
  return lines;
}
