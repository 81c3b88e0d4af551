/**
 * `eval --filter` (#16 item 2): a metadata filter is applied inside scoring in `eval retrieval`
 * and `eval qa`, so their figures are exactly those of brute force — rank every document without
 * the filter, drop the documents a hand-written predicate over the corpus rejects (a code path
 * separate from the filter language), keep the first k, evaluate with the same qrels. The
 * datasets (BEIR layout with `metadata`, SQuAD v1.1 JSON) are made here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { loadQaDataset, loadRetrievalDataset, qaAsRetrieval } from '../../src/eval/datasets.js';
import { evaluateRun } from '../../src/eval/metrics.js';
import { evaluateQa } from '../../src/eval/qa.js';
import { evaluateRetrieval } from '../../src/eval/retrieval.js';
import { openEvalIndex, runQueries, type EvalDeps } from '../../src/eval/runner.js';
import type { Run } from '../../src/eval/loaders/trec.js';
import { runCli } from '../support/cli.js';

const WORDS = ['budget', 'audit', 'contract', 'security', 'password', 'network', 'policy', 'review', 'access', 'backup', 'renewal', 'vendor'];
const TAGS = ['보안', '계약', 'hr'];

let dir: string;
let deps: EvalDeps;
interface Line { _id: string; title: string; text: string; metadata: { year: number; tags: string[]; dept: string } }
const corpus: Line[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-eval-filter-'));
  deps = { cacheDir: path.join(dir, 'cache'), now: () => performance.now(), wallClock: () => 1_700_000_000_000 };
  const rng = mulberry32(1603);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  for (let i = 0; i < 60; i++) {
    const text = Array.from({ length: 6 + Math.floor(rng() * 10) }, () => pick(WORDS)).join(' ');
    corpus.push({ _id: `d${i}`, title: `${pick(WORDS)} memo ${i}`, text, metadata: { year: 2020 + Math.floor(rng() * 6), tags: TAGS.filter(() => rng() < 0.4), dept: pick(['legal', 'it', 'hr']) } });
  }
  const beir = path.join(dir, 'mini-beir');
  mkdirSync(path.join(beir, 'qrels'), { recursive: true });
  writeFileSync(path.join(beir, 'corpus.jsonl'), corpus.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const queries: string[] = [];
  const qrels: string[] = ['query-id\tcorpus-id\tscore'];
  for (let q = 0; q < 12; q++) {
    queries.push(JSON.stringify({ _id: `q${q}`, text: `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}` }));
    for (let r = 0; r < 4; r++) qrels.push(`q${q}\td${Math.floor(rng() * corpus.length)}\t${1 + Math.floor(rng() * 2)}`);
  }
  writeFileSync(path.join(beir, 'queries.jsonl'), queries.join('\n') + '\n');
  writeFileSync(path.join(beir, 'qrels/test.tsv'), [...new Set(qrels)].join('\n') + '\n');

  const articles = ['Seoul', 'Busan', 'Incheon'].map((title, a) => ({
    title,
    paragraphs: Array.from({ length: 4 }, (_, p) => {
      const context = `${title} paragraph ${p}: the ${WORDS[(a * 4 + p) % WORDS.length]} office opened in ${1990 + a * 10 + p}. It reviews ${WORDS[(a + p) % WORDS.length]} and ${WORDS[(a * 3 + p + 5) % WORDS.length]} every year.`;
      const year = String(1990 + a * 10 + p);
      return { context, qas: [{ id: `${title}-${p}`, question: `When did the ${WORDS[(a * 4 + p) % WORDS.length]} office open?`, answers: [{ text: year, answer_start: context.indexOf(year) }] }] };
    }),
  }));
  writeFileSync(path.join(dir, 'mini-squad.json'), JSON.stringify({ version: '1.1', data: articles }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const index = { analyzer: 'english', fields: 'flat' as const, luceneNorms: true };
const search = { similarity: 'bm25' as const, k1: 0.9, b: 0.4, topK: 10 };
const metrics = ['nDCG@10', 'Recall@5', 'Recall@10', 'MAP', 'MRR@10', 'P@5'];

/** Brute force: every document ranked without a filter, then `keep`, then the first k. */
async function bruteForceRun(datasetPath: string, keep: (id: string) => boolean, k: number): Promise<Run> {
  const ds = await loadRetrievalDataset(datasetPath, 'test', {});
  const opened = await openEvalIndex(ds.name, ds.corpus, ds.files, index, deps);
  const full = runQueries(opened, ds.queries, { ...search, topK: ds.corpus.length }, deps.now).run;
  const out: Run = new Map();
  for (const [qid, entries] of full) out.set(qid, entries.filter((e) => keep(e.docId)).slice(0, k));
  return out;
}

describe('eval --filter gives the brute-force figures', () => {
  const cases: Array<{ filter: string; keep: (c: Line) => boolean }> = [
    { filter: 'metadata.year >= 2023', keep: (c) => c.metadata.year >= 2023 },
    { filter: 'metadata.tags CONTAINS "보안"', keep: (c) => c.metadata.tags.includes('보안') },
    { filter: 'metadata.dept IN ["legal", "hr"] AND NOT metadata.year = 2021', keep: (c) => ['legal', 'hr'].includes(c.metadata.dept) && c.metadata.year !== 2021 },
    { filter: 'title GLOB "budget*" OR id = "d7"', keep: (c) => c.title.startsWith('budget') || c._id === 'd7' },
  ];

  it('eval retrieval (bm25): metrics of the filtered run equal brute-force filter-then-rank, for number, list, string and glob fields', async () => {
    const beir = path.join(dir, 'mini-beir');
    const ds = await loadRetrievalDataset(beir, 'test', {});
    let cut = 0;
    for (const c of cases) {
      const allowed = new Set(corpus.filter(c.keep).map((d) => d._id));
      expect(allowed.size, c.filter).toBeGreaterThan(0);
      if (allowed.size < corpus.length) cut++;
      const got = await evaluateRetrieval({ dataset: beir, index, search: { ...search, filter: c.filter }, metrics, perQuery: true }, deps);
      const expected = evaluateRun(ds.qrels, await bruteForceRun(beir, (id) => allowed.has(id), search.topK), metrics, { complete: true });
      expect(got.metrics, c.filter).toEqual(expected.mean);
      // and it is not the unfiltered figure
      const plain = await evaluateRetrieval({ dataset: beir, index, search, metrics }, deps);
      expect(got.metrics, c.filter).not.toEqual(plain.metrics);
    }
    expect(cut).toBe(cases.length);
  }, 120_000);

  it('eval retrieval --filter from the CLI prints the same figures, and a bad filter names the column', async () => {
    const run = (args: string[]) => runCli(dir, args, { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL_DIR: '' });
    const beir = path.join(dir, 'mini-beir');
    const ds = await loadRetrievalDataset(beir, 'test', {});
    const allowed = new Set(corpus.filter(cases[1].keep).map((d) => d._id));
    const r = await run(['eval', 'retrieval', '--dataset', beir, '--analyzer', 'english', '--cache', deps.cacheDir, '--metrics', metrics.join(','), '--filter', cases[1].filter, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const expected = evaluateRun(ds.qrels, await bruteForceRun(beir, (id) => allowed.has(id), 1000), metrics, { complete: true });
    for (const m of metrics) expect(out.metrics[m], m).toBeCloseTo(expected.mean[m], 12);
    const bad = await run(['eval', 'retrieval', '--dataset', beir, '--cache', deps.cacheDir, '--filter', 'metadata.year >=']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/filter: column \d+/);
  }, 120_000);

  it('eval qa: Recall@k and each gold rank of the filtered run equal brute force; answers come only from allowed paragraphs', async () => {
    const squad = path.join(dir, 'mini-squad.json');
    const qa = await loadQaDataset(squad, {});
    const filter = 'title IN ["Seoul", "Incheon"]';
    const allowedDocs = new Set(qa.corpus.filter((d) => d.title === 'Seoul' || d.title === 'Incheon').map((d) => d.id));
    // retrieval figures of the run (with answers on, Recall@k is the ask path's: summarizeExtractiveQa)
    const got = await evaluateQa({ dataset: squad, index: { ...index, fields: 'text' }, search: { ...search, filter }, k: 3, noAnswers: true }, deps);
    const answered = await evaluateQa({ dataset: squad, index: { ...index, fields: 'text' }, search: { ...search, filter }, k: 3 }, deps);
    // brute force over the same eval index, unfiltered, every paragraph ranked
    const opened = await openEvalIndex(qa.name, qa.corpus, qa.files, { ...index, fields: 'text' }, deps);
    const queries = new Map(qa.questions.map((q) => [q.id, q.question]));
    const full = runQueries(opened, queries, { ...search, topK: qa.corpus.length }, deps.now).run;
    const rank = new Map<string, number>();
    const bruteRun: Run = new Map();
    for (const q of qa.questions) {
      const kept = (full.get(q.id) ?? []).filter((e) => allowedDocs.has(e.docId)).slice(0, 20);
      bruteRun.set(q.id, kept);
      const i = kept.findIndex((e) => q.relevant.includes(e.docId));
      rank.set(q.id, i >= 0 ? i + 1 : 0);
    }
    for (const p of got.perQuestion) expect(p.goldRank, p.id).toBe(rank.get(p.id));
    // the metrics follow trec_eval's tie order (score, then docid), as evaluateRun applies it
    const brute = evaluateRun(qaAsRetrieval(qa).qrels, bruteRun, ['Recall@1', 'Recall@5', 'Recall@20', 'MRR@10'], { complete: true });
    for (const m of ['Recall@1', 'Recall@5', 'Recall@20', 'MRR@10']) expect(got.metrics[m], m).toBeCloseTo(brute.mean[m], 12);
    // Busan's questions cannot find their paragraph; the others' answers quote allowed paragraphs only
    expect(got.perQuestion.filter((p) => p.id.startsWith('Busan')).every((p) => p.goldRank === 0)).toBe(true);
    const busan = answered.perQuestion.filter((p) => p.id.startsWith('Busan'));
    expect(busan.every((p) => !/\b200\d\b/.test(p.prediction))).toBe(true);
    // no answer can come from Busan's paragraphs: at most the 8 allowed questions bear an answer
    expect(answered.metrics['answer-bearing@1']).toBeLessThanOrEqual(8 / 12);
    expect(got.metrics['Recall@1']).toBeGreaterThan(0);
    expect(got.config.filter).toBeDefined();
  }, 120_000);
});
