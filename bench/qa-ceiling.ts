/**
 * How far the offline extractive answer could go by choosing its first quote better from the same
 * candidates — the headroom of lexical sentence selection on a QA dataset:
 *
 *   npx tsx bench/qa-ceiling.ts --dataset ../shared/datasets/squad-v1.1 --analyzer english [--limit N] [--json]
 *
 * Every question goes through `ask`'s path (`Engine.ask`, extractive, top 5, `explain` on: the 20
 * best candidate units with their score components, `ScoreParts` of src/generate/extractive.ts).
 * A unit is answer-bearing when it contains a gold answer after the dataset's normalisation
 * (`containsGold`, as `eval qa`). Printed:
 *
 *  - shipped: answer-bearing@1 of `ask`'s first quote (what `eval qa` reports);
 *  - oracle@n: share of questions with an answer-bearing unit among the n best candidates — the
 *    answer-bearing@1 a perfect reordering of those n would give;
 *  - learned: answer-bearing@1 of a linear ranker over the candidates' features (the score
 *    components, the passage rank, and text features: new capitalised words, a year, a new
 *    number, question bigrams, restated words), trained by listwise softmax cross-entropy (Adam,
 *    300 full-batch steps) on the questions of one half of the articles and measured on the other
 *    half (2-fold cross-validation by article, each question measured once, by the model that did
 *    not see its article). The "baseline" row is the shipped score's order on the same candidates.
 *
 * A learned ranker trained on the test set's own articles is an upper bound no shipped heuristic
 * reaches without labels; what it cannot reach needs new information (a reader model), not other
 * weights for the same features.
 */
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.js';
import { loadQaDataset } from '../src/eval/datasets.js';
import { containsGold } from '../src/eval/extractive-qa.js';
import { openEvalIndex } from '../src/eval/runner.js';
import type { ScoreParts } from '../src/generate/extractive.js';

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}
const dataset = arg('--dataset');
if (!dataset) throw new Error('--dataset is required');
const analyzer = arg('--analyzer', 'auto')!;
const limit = arg('--limit') === undefined ? undefined : Number(arg('--limit'));
const asJson = process.argv.includes('--json');
const K = 5;

interface Candidate {
  chunkId: string;
  text: string;
  score: number;
  coverage: number;
  contextCoverage: number;
  matched: number;
  parts: ScoreParts;
}
interface Question {
  fold: number;
  x: number[][];
  y: number[];
}

const qa = await loadQaDataset(dataset);
const questions = limit === undefined ? qa.questions : qa.questions.slice(0, limit);
const index = await openEvalIndex(qa.name, qa.corpus, qa.files, { analyzer, fields: 'text+title', luceneNorms: true }, {
  cacheDir: join(process.cwd(), '.openbook', 'eval-cache'),
  now: () => performance.now(),
  wallClock: Date.now,
  onProgress: (m) => process.stderr.write(`${m}\n`),
});
const engine = await Engine.open(index.dir);

/** Text features of a unit against its question (lower-cased word overlap, no analyzer). */
function textFeatures(question: string, text: string): number[] {
  const ql = question.toLowerCase();
  const qWords = new Set(ql.match(/[\p{L}\d]+/gu) ?? []);
  const qCaps = new Set(question.match(/\p{Lu}\p{Ll}+/gu) ?? []);
  const words = text.toLowerCase().match(/[\p{L}\d]+/gu) ?? [];
  const n = Math.max(1, words.length);
  const newCaps = (text.match(/(?<!^)\b\p{Lu}\p{Ll}+/gu) ?? []).filter((w) => !qCaps.has(w)).length;
  const qBigrams = new Set<string>();
  const qw = ql.match(/[\p{L}\d]+/gu) ?? [];
  for (let i = 0; i + 1 < qw.length; i++) qBigrams.add(`${qw[i]} ${qw[i + 1]}`);
  let bigrams = 0;
  for (let i = 0; i + 1 < words.length; i++) if (qBigrams.has(`${words[i]} ${words[i + 1]}`)) bigrams++;
  const restated = words.filter((w) => qWords.has(w)).length / n;
  return [newCaps / n, Math.log(1 + newCaps), /\b1\d{3}\b|\b20\d{2}\b/.test(text) ? 1 : 0, (text.match(/\d+/g) ?? []).some((d) => !qWords.has(d)) ? 1 : 0, bigrams, restated, Math.log(n)];
}

function features(c: Candidate, rank: number, question: string): number[] {
  const p = c.parts;
  const sum = p.match + p.pairs + p.context + p.variant + p.neighbour || 1;
  return [
    Math.log(c.score + 1e-6),
    Math.log(p.prior),
    Math.log(p.type),
    Math.log(1 + p.fit),
    p.match / sum,
    p.pairs / sum,
    p.context / sum,
    p.variant / sum,
    c.coverage,
    c.contextCoverage,
    c.matched,
    ...[0, 1, 2, 3].map((r) => (rank === r ? 1 : 0)),
    ...textFeatures(question, c.text),
  ];
}

let shipped = 0;
const oracle = new Array<number>(K + 1).fill(0);
const data: Question[] = [];
let done = 0;
for (const q of questions) {
  const a = await engine.ask(q.question, { topK: K, extractive: true, similarity: 'bm25', k1: 0.9, b: 0.4, extractiveOptions: { explain: true } });
  if (a.citations[0] && containsGold(a.citations[0].quote, q.answers, qa.answerMetric)) shipped++;
  const step = a.trace?.find((s) => s.kind === 'score' && s.name === 'sentence scoring');
  const cands = (step?.output ?? []) as Candidate[];
  const y = cands.map((c) => (containsGold(c.text, q.answers, qa.answerMetric) ? 1 : 0));
  const first = y.indexOf(1);
  for (let n = 1; n <= K; n++) if (first >= 0 && first < n) oracle[n]++;
  const rankOf = new Map((a.hits ?? []).map((h, i) => [h.chunkId, i]));
  const article = q.relevant[0]?.split('.')[0] ?? q.id;
  const fold = /^\d+$/.test(article) ? Number(article) % 2 : [...article].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % 2;
  data.push({ fold, x: cands.map((c) => features(c, rankOf.get(c.chunkId) ?? K, q.question)), y });
  if (++done % 1000 === 0) process.stderr.write(`${done}/${questions.length} questions\n`);
}

// Standardise the features over all candidates.
const D = data.find((d) => d.x.length > 0)?.x[0].length ?? 0;
const mean = new Array<number>(D).fill(0);
const sd = new Array<number>(D).fill(0);
let rows = 0;
for (const d of data) for (const x of d.x) { rows++; x.forEach((v, j) => (mean[j] += v)); }
mean.forEach((_, j) => (mean[j] /= Math.max(1, rows)));
for (const d of data) for (const x of d.x) x.forEach((v, j) => (sd[j] += (v - mean[j]) ** 2));
sd.forEach((v, j) => (sd[j] = Math.sqrt(v / Math.max(1, rows)) || 1));
for (const d of data) for (const x of d.x) x.forEach((v, j) => (x[j] = (v - mean[j]) / sd[j]));

const dot = (w: number[], x: number[]) => x.reduce((s, v, j) => s + w[j] * v, 0);
/** Listwise softmax cross-entropy over each question's candidates (positives' share), Adam. */
function train(qs: Question[]): number[] {
  const w = new Array<number>(D).fill(0);
  w[0] = 1;
  const m = new Array<number>(D).fill(0);
  const v = new Array<number>(D).fill(0);
  const lr = 0.05;
  const l2 = 1e-4;
  const usable = qs.filter((q) => q.y.includes(1));
  for (let it = 1; it <= 300; it++) {
    const g = new Array<number>(D).fill(0);
    for (const q of usable) {
      const s = q.x.map((x) => dot(w, x));
      const mx = Math.max(...s);
      const e = s.map((z) => Math.exp(z - mx));
      const z = e.reduce((a, b) => a + b, 0);
      const zp = e.reduce((a, b, i) => a + (q.y[i] ? b : 0), 0);
      q.x.forEach((x, i) => {
        const c = e[i] / z - (q.y[i] ? e[i] / zp : 0);
        x.forEach((val, j) => (g[j] += c * val));
      });
    }
    for (let j = 0; j < D; j++) {
      const gj = g[j] / Math.max(1, usable.length) + l2 * w[j];
      m[j] = 0.9 * m[j] + 0.1 * gj;
      v[j] = 0.999 * v[j] + 0.001 * gj * gj;
      w[j] -= (lr * (m[j] / (1 - 0.9 ** it))) / (Math.sqrt(v[j] / (1 - 0.999 ** it)) + 1e-8);
    }
  }
  return w;
}
const top1 = (qs: Question[], w: number[]) =>
  qs.reduce((acc, q) => {
    let best = -1;
    let bs = -Infinity;
    q.x.forEach((x, i) => {
      const s = dot(w, x);
      if (s > bs) [bs, best] = [s, i];
    });
    return acc + (best >= 0 ? q.y[best] : 0);
  }, 0);
const base = new Array<number>(D).fill(0);
base[0] = 1;
let learned = 0;
let baseline = 0;
for (const fold of [0, 1]) {
  const test = data.filter((d) => d.fold === fold);
  const w = train(data.filter((d) => d.fold !== fold));
  learned += top1(test, w);
  baseline += top1(test, base);
}

const n = questions.length;
const result = {
  dataset: qa.name,
  questions: n,
  shipped: shipped / n,
  baseline: baseline / n,
  learned: learned / n,
  oracle: Object.fromEntries([1, 2, 3, 4, 5].map((k) => [`oracle@${k}`, oracle[k] / n])),
};
if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const f = (x: number) => x.toFixed(4);
  process.stdout.write(`${qa.name}: ${n} questions through ask's path (top ${K})\n\n`);
  process.stdout.write('| first quote chosen by | answer-bearing@1 |\n|---|---:|\n');
  process.stdout.write(`| ask as shipped | ${f(result.shipped)} |\n| its score over the 20 best units (baseline) | ${f(result.baseline)} |\n`);
  process.stdout.write(`| a linear ranker trained on the other half of the articles | ${f(result.learned)} |\n`);
  for (const [k, v] of Object.entries(result.oracle)) process.stdout.write(`| ${k} (a perfect choice among the ${k.slice(7)} best) | ${f(v)} |\n`);
}
