/**
 * Grid search of BM25 k1 and b on a BEIR dataset's train split, reporting the best setting's
 * nDCG@10 on the test split — how far tuning on training queries (never on test queries) moves
 * openbook against the peers of `npm run bench`:
 *
 *   npx tsx bench/tune.ts --dataset ../shared/datasets/scifact [--tune-split train] [--eval-split test]
 *
 * Indexes title + "\n" + text as the benchmark does (analyzer `english`, Lucene norms), then for
 * k1 ∈ {0.4, 0.5, …, 2.0} × b ∈ {0.2, 0.3, …, 1.0} runs every query of the tuning split (top-100,
 * exhaustive BM25 for parameters other than the precomputed 0.9/0.4) and scores nDCG@10 with
 * openbook's trec_eval-equal metric. Prints the five best settings on the tuning split and the
 * evaluation split's nDCG@10 for each, plus Anserini's 0.9/0.4 and Lucene's default 1.2/0.75.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBeir } from '../src/eval/loaders/beir.js';
import { evaluateRun } from '../src/eval/metrics.js';
import type { Run } from '../src/eval/loaders/trec.js';
import { IndexReader } from '../src/index/index.js';
import { loadBenchData } from './dataset.js';
import { SYSTEMS } from './systems.js';

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
}

const dataset = arg('--dataset');
const tuneSplit = arg('--tune-split', 'train');
const evalSplit = arg('--eval-split', 'test');
const work = await mkdtemp(join(tmpdir(), 'openbook-tune-'));
try {
  const data = await loadBenchData({ kind: 'beir', dir: dataset, split: evalSplit });
  await SYSTEMS.openbook.build(data.docs, work);
  const reader = await IndexReader.open(join(work, 'openbook-index'));
  const docOf: string[] = [];
  for (const rec of reader.documents()) for (const n of reader.chunksOf(rec.id)) docOf[n] = rec.id;
  const splits = new Map<string, { qrels: Awaited<ReturnType<typeof loadBeir>>['qrels']; queries: Array<[string, string]> }>();
  for (const split of [tuneSplit, evalSplit]) {
    const ds = await loadBeir(dataset, split);
    splits.set(split, { qrels: ds.qrels, queries: [...ds.queries] });
  }
  const ndcg = (split: string, k1: number, b: number): number => {
    const { qrels, queries } = splits.get(split)!;
    const run: Run = new Map();
    for (const [qid, q] of queries) run.set(qid, reader.search(q, { topK: 100, k1, b }).map((h) => ({ docId: docOf[h.chunk], score: h.score })));
    return evaluateRun(qrels, run, ['nDCG@10']).mean['nDCG@10'];
  };
  const grid: Array<{ k1: number; b: number; tune: number }> = [];
  for (let i = 4; i <= 20; i++) for (let j = 2; j <= 10; j++) grid.push({ k1: i / 10, b: j / 10, tune: ndcg(tuneSplit, i / 10, j / 10) });
  grid.sort((x, y) => y.tune - x.tune);
  const rows = [...grid.slice(0, 5).map((g, r) => ({ ...g, label: `#${r + 1} on ${tuneSplit}` })), { k1: 0.9, b: 0.4, label: 'Anserini default' }, { k1: 1.2, b: 0.75, label: 'Lucene default' }];
  console.log(`${dataset}: BM25 grid k1 0.4–2.0 × b 0.2–1.0 (${grid.length} settings) tuned on "${tuneSplit}" (${splits.get(tuneSplit)!.queries.length} queries), evaluated on "${evalSplit}" (${splits.get(evalSplit)!.queries.length} queries)\n`);
  console.log(`| setting | k1 | b | nDCG@10 ${tuneSplit} | nDCG@10 ${evalSplit} |\n|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.label} | ${r.k1} | ${r.b} | ${ndcg(tuneSplit, r.k1, r.b).toFixed(4)} | ${ndcg(evalSplit, r.k1, r.b).toFixed(4)} |`);
} finally {
  await rm(work, { recursive: true, force: true });
}
