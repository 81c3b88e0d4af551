/**
 * `--rerank cross-encoder` end to end: `openbook search`, `ask --trace` and `eval retrieval` as
 * child processes over files the test writes, with the tiny ONNX cross-encoder
 * (test/support/tiny-onnx.ts) standing in for ms-marco-MiniLM. Its logit for (query, passage) is
 * 2·#cat + 1·#dog − 1·#sat + 0.5·#play over the passage tokens (everything else weighs 0).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_CROSS_ENCODER, writeTinyClassifierFolder } from '../support/tiny-onnx.js';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const MAIN = path.join(ROOT, 'src/cli/main.ts');
let dir: string;
let ce: string;

function run(args: string[]) {
  const r = spawnSync(TSX, [MAIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', OPENBOOK_LLM_BASE_URL: '', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL_DIR: '', OPENBOOK_RERANK_MODEL_DIR: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-rerank-cli-'));
  ce = writeTinyClassifierFolder(path.join(dir, 'tiny-ce'), TINY_CROSS_ENCODER);
  const docs = path.join(dir, 'docs');
  mkdirSync(docs);
  writeFileSync(path.join(docs, 'a.txt'), 'cat sat\n');
  writeFileSync(path.join(docs, 'b.txt'), 'cat play\n');
  writeFileSync(path.join(docs, 'c.txt'), 'cat dog dog\n');
  writeFileSync(path.join(docs, 'd.txt'), 'dog\n');
  expect(run(['index', 'docs']).code).toBe(0);
  // The same four passages as a BEIR folder: q1 "cat" → c relevant, q2 "play" → b relevant.
  const beir = path.join(dir, 'beir');
  mkdirSync(path.join(beir, 'qrels'), { recursive: true });
  const corpus = [
    ['a', 'cat sat'],
    ['b', 'cat play'],
    ['c', 'cat dog dog'],
    ['d', 'dog'],
  ];
  writeFileSync(path.join(beir, 'corpus.jsonl'), corpus.map(([id, text]) => JSON.stringify({ _id: id, title: '', text })).join('\n') + '\n');
  writeFileSync(path.join(beir, 'queries.jsonl'), [JSON.stringify({ _id: 'q1', text: 'cat' }), JSON.stringify({ _id: 'q2', text: 'play' })].join('\n') + '\n');
  writeFileSync(path.join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\tc\t1\nq2\tb\t1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('search --rerank cross-encoder', () => {
  it('reorders the BM25 hits exactly as the hand-computed logits say', () => {
    // BM25 for "cat": a and b (2 tokens) tie above c (3 tokens); d has no "cat".
    const first = JSON.parse(run(['search', 'cat', '--json']).stdout);
    expect(first.hits.map((h: { docId: string }) => h.docId)).toEqual(['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
    // logits: a "cat sat" 2 − 1 = 1, b "cat play" 2 + 0.5 = 2.5, c "cat dog dog" 2 + 1 + 1 = 4 → c, b, a
    const r = run(['search', 'cat', '--rerank', 'cross-encoder', '--rerank-model', ce, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout).hits as Array<{ docId: string; score: number; scores: Record<string, number> }>;
    expect(hits.map((h) => [h.docId, h.score, h.scores.firstStageRank])).toEqual([
      ['docs/c.txt', 4, 3],
      ['docs/b.txt', 2.5, 2],
      ['docs/a.txt', 1, 1],
    ]);
    expect(hits[0].scores.firstStage).toBeCloseTo(first.hits[2].score, 10);
    // depth 2: only a and b are reranked → b (2.5), a (1)
    const shallow = JSON.parse(run(['search', 'cat', '--rerank', 'cross-encoder', '--rerank-model', ce, '--rerank-depth', '2', '-k', '2', '--json']).stdout);
    expect(shallow.hits.map((h: { docId: string }) => h.docId)).toEqual(['docs/b.txt', 'docs/a.txt']);
  });

  it('takes the reranker from openbook.config.json, and --rerank none turns it off', () => {
    writeFileSync(path.join(dir, 'openbook.config.json'), JSON.stringify({ rerank: { kind: 'cross-encoder', modelDir: 'tiny-ce' } }));
    try {
      const on = JSON.parse(run(['search', 'cat', '--json']).stdout);
      expect(on.hits.map((h: { docId: string }) => h.docId)).toEqual(['docs/c.txt', 'docs/b.txt', 'docs/a.txt']);
      const off = JSON.parse(run(['search', 'cat', '--rerank', 'none', '--json']).stdout);
      expect(off.hits.map((h: { docId: string }) => h.docId)).toEqual(['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
    } finally {
      rmSync(path.join(dir, 'openbook.config.json'));
    }
  });

  it('ask --trace shows each candidate\'s first-stage and rerank scores', () => {
    const r = run(['ask', 'cat', '--rerank', 'cross-encoder', '--rerank-model', ce, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    const step = a.trace.find((s: { name: string }) => s.name.startsWith('rerank'));
    expect(step.output.map((e: { chunkId: string; firstStageRank: number; rerankScore: number }) => [e.chunkId.split('#')[0], e.firstStageRank, e.rerankScore])).toEqual([
      ['docs/c.txt', 3, 4],
      ['docs/b.txt', 2, 2.5],
      ['docs/a.txt', 1, 1],
    ]);
  });

  it('refuses an unknown kind and a missing model folder', () => {
    const bad = run(['search', 'cat', '--rerank', 'colbert']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rerank must be one of cross-encoder, endpoint, llm or none/);
    const missing = run(['search', 'cat', '--rerank', 'cross-encoder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/needs a model folder: --rerank-model DIR/);
  });
});

describe('eval retrieval --rerank cross-encoder', () => {
  it('prints the first-stage and reranked rows side by side, with intervals, p and ms/query', () => {
    const args = ['eval', 'retrieval', '--dataset', 'beir', '--cache', 'cache', '--metrics', 'nDCG@10,Recall@1', '--rerank', 'cross-encoder', '--rerank-model', ce];
    const r = run([...args, '--json', '--run', 'run.trec']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // q1 "cat": BM25 a, b, c → gold c at rank 3: nDCG@10 = 1/log2(4) = 0.5, R@1 0; reranked c first: 1, 1.
    // q2 "play": only b matches, rank 1 in both. Means: first stage nDCG 0.75, R@1 0.5; reranked 1, 1.
    expect(out.rows.map((x: { name: string; metrics: Record<string, number> }) => [x.name, x.metrics])).toEqual([
      ['bm25', { 'nDCG@10': 0.75, 'Recall@1': 0.5 }],
      ['bm25 + rerank (cross-encoder:local:tiny-ce, depth 50)', { 'nDCG@10': 1, 'Recall@1': 1 }],
    ]);
    // bootstrap of nDCG (0.5, 1): resample means 0.5, 0.75, 1 with p 1/4, 1/2, 1/4 → [0.5, 1]; reranked constant 1 → [1, 1]
    expect(out.rows[0].ci['nDCG@10']).toEqual({ low: 0.5, high: 1 });
    expect(out.rows[1].ci['nDCG@10']).toEqual({ low: 1, high: 1 });
    // paired differences (0.5, 0): both sign flips keep |Σ| = 0.5 → exact p = 1
    expect(out.rows[1].pValue['nDCG@10']).toBe(1);
    expect(out.rerank).toMatchObject({ reranker: 'cross-encoder:local:tiny-ce', depth: 50, firstStageWeight: 0 });
    expect(out.rows[1].msPerQuery).toBeGreaterThan(out.rows[0].msPerQuery);
    // the reranked run file: q1 c (4), b (2.5), a (1)
    const q1 = readFileSync(path.join(dir, 'run.trec.reranked'), 'utf8').split('\n').filter((l) => l.startsWith('q1 '));
    expect(q1.map((l) => l.split(' ').slice(2, 5))).toEqual([
      ['c', '1', '4.000000'],
      ['b', '2', '2.500000'],
      ['a', '3', '1.000000'],
    ]);
    const table = run(args).stdout;
    expect(table).toMatch(/metric +bm25 \[95% CI\] +bm25 \+ rerank \(cross-encoder:local:tiny-ce, depth 50\) \[95% CI\] +p/);
    expect(table).toMatch(/nDCG@10 +0\.7500 \[0\.5000, 1\.0000\] +1\.0000 \[1\.0000, 1\.0000\] +1\.0000/);
    expect(table).toMatch(/ms\/query +\d+\.\d\d +\d+\.\d\d/);
  });
});
