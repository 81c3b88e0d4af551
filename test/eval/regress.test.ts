import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFormatError } from '../../src/core/errors.js';
import { datasetsAvailable, formatRegression, gradeMetric, loadRegressions, parseRegression, runRegression } from '../../src/eval/regress.js';

const root = mkdtempSync(join(tmpdir(), 'openbook-regress-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A three-document BEIR collection written by the test.
//   A "cats purr softly"   B "dogs bark loudly"   C "birds sing"
//   q1 "cats"       → A relevant        → A is the only hit: nDCG@10 1, Recall@1 1
//   q2 "dogs birds" → B and C relevant  → both retrieved (one term each): nDCG@10 1; Recall@1 1/2
//   q3 "fish"       → A relevant        → nothing retrieved: 0, 0
// Means over 3 judged queries (trec_eval -c): nDCG@10 = 2/3 = 0.6667, Recall@1 = 1.5/3 = 0.5
// Index: 3 documents, 8 distinct terms, 8 postings, 3 + 3 + 2 = 8 tokens (analyzer "standard", body only).
const datasets = join(root, 'datasets');
mkdirSync(join(datasets, 'tiny', 'qrels'), { recursive: true });
writeFileSync(
  join(datasets, 'tiny', 'corpus.jsonl'),
  ['{"_id": "A", "title": "", "text": "cats purr softly"}', '{"_id": "B", "title": "", "text": "dogs bark loudly"}', '{"_id": "C", "title": "", "text": "birds sing"}'].join('\n') + '\n',
);
writeFileSync(join(datasets, 'tiny', 'queries.jsonl'), ['{"_id": "1", "text": "cats"}', '{"_id": "2", "text": "dogs birds"}', '{"_id": "3", "text": "fish"}'].join('\n') + '\n');
writeFileSync(join(datasets, 'tiny', 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\r\n1\tA\t1\r\n2\tB\t1\r\n2\tC\t1\r\n3\tA\t1\r\n');

const yaml = (name: string, ndcg: number) => `name: ${name}
kind: retrieval
dataset: tiny
split: test
index: { analyzer: standard, fields: text, luceneNorms: true }
search: { similarity: bm25, k1: 0.9, b: 0.4, topK: 1000 }
index_stats: { documents: 3, terms: 8, postings: 8, total_terms: 8 }
metrics: { nDCG@10: ${ndcg}, R@1: 0.5 }
`;
const regDir = join(root, 'regressions');
mkdirSync(regDir);
writeFileSync(join(regDir, 'a-pass.yaml'), yaml('tiny.pass', 0.6667));
writeFileSync(join(regDir, 'b-okish.yaml'), yaml('tiny.okish', 0.6671));
writeFileSync(join(regDir, 'c-fail.yaml'), yaml('tiny.fail', 0.7));

const deps = { cacheDir: join(root, 'cache'), now: () => performance.now(), wallClock: () => 0 };

describe('grading', () => {
  it('OK when equal to 4 decimals, OKISH within 0.0005, FAIL beyond', () => {
    expect(gradeMetric(0.6789, 0.67886)).toBe('OK'); // rounds to 0.6789
    expect(gradeMetric(0.6789, 0.6794)).toBe('OKISH'); // Δ 0.0005
    expect(gradeMetric(0.6789, 0.6795)).toBe('FAIL'); // Δ 0.0006
  });
  it('rejects a file with an unknown metric, naming the file', () => {
    expect(() => parseRegression('x.yaml', 'name: x\ndataset: d\nmetrics: { bpref: 0.3 }\n')).toThrow(InputFormatError);
    expect(() => parseRegression('x.yaml', 'name: x\ndataset: d\nmetrics: { bpref: 0.3 }\n')).toThrow(/^x\.yaml: unknown metric "bpref"/);
  });
});

describe('runRegression on a dataset the test writes', () => {
  it('grades metrics and index statistics', async () => {
    const specs = await loadRegressions(regDir);
    expect(specs.map((s) => s.name)).toEqual(['tiny.pass', 'tiny.okish', 'tiny.fail']);
    expect(specs[0].metrics).toEqual({ 'nDCG@10': 0.6667, 'Recall@1': 0.5 }); // R@1 canonicalised
    const [pass, okish, fail] = await Promise.all(specs.map((s) => runRegression(s, datasets, deps)));
    expect(pass.checks.map((c) => [c.what, c.got, c.grade])).toEqual([
      ['index.documents', 3, 'OK'],
      ['index.terms', 8, 'OK'],
      ['index.postings', 8, 'OK'],
      ['index.total_terms', 8, 'OK'],
      ['nDCG@10', expect.closeTo(2 / 3, 12), 'OK'],
      ['Recall@1', 0.5, 'OK'],
    ]);
    expect(pass.grade).toBe('OK');
    expect(okish.grade).toBe('OKISH'); // 0.6671 vs 0.66667: Δ 0.00043
    expect(fail.grade).toBe('FAIL');
    expect(formatRegression(fail).join('\n')).toMatch(/FAIL {2}nDCG@10 +expected +0\.7000 +got +0\.6667 +\(Δ -0\.0333\)/);
  });
  it('knows when the datasets root is absent', async () => {
    expect(await datasetsAvailable(datasets)).toBe(true);
    expect(await datasetsAvailable(join(root, 'nope'))).toBe(false);
  });
});

/** Runs `openbook regress` with CI set as given (the suite itself may run under CI=true). */
function regressCli(args: string[], ci: boolean): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'regress', ...args], { encoding: 'utf8', env: { ...process.env, CI: ci ? 'true' : '', NO_COLOR: '1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// A regression pinned to a dataset folder that is not there, beside one that is.
const missingDir = join(root, 'regressions-missing');
mkdirSync(missingDir);
writeFileSync(join(missingDir, 'a-pass.yaml'), yaml('tiny.pass', 0.6667));
writeFileSync(join(missingDir, 'b-missing.yaml'), yaml('gone.pass', 0.6667).replace('dataset: tiny', 'dataset: gone'));

describe('openbook regress (CLI)', () => {
  it('prints "skipped: <dir> not found" and exits 0 when the datasets are absent (outside CI)', () => {
    const r = regressCli(['--datasets', join(root, 'absent')], false);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^skipped: \S*absent not found\n$/);
  });
  it('under CI=true, absent datasets fail with exit 1 and one line naming the folder', () => {
    const r = regressCli(['--datasets', join(root, 'absent')], true);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: datasets folder \S*absent not found; CI=true requires the pinned datasets\n$/);
  });
  it('a regression whose own dataset is missing is SKIP outside CI (exit 0) and FAIL under CI=true (exit 1)', () => {
    const args = ['--datasets', datasets, '--regressions', missingDir, '--cache', join(root, 'missing-cache')];
    const local = regressCli(args, false);
    expect(local.status).toBe(0);
    expect(local.stdout).toMatch(/^OK {4}tiny\.pass/m);
    expect(local.stdout).toMatch(/^SKIP {2}gone\.pass +dataset \S*gone not found$/m);
    expect(local.stdout).toMatch(/2 regressions: 1 passed, 0 failed, 1 skipped/);
    const ci = regressCli(args, true);
    expect(ci.status).toBe(1);
    expect(ci.stdout).toMatch(/^FAIL {2}gone\.pass +dataset \S*gone not found \(CI=true requires it\)$/m);
    expect(ci.stdout).toMatch(/2 regressions: 1 passed, 1 failed/);
  });
  it('runs the regression files of a folder and exits 1 on FAIL', () => {
    let status = 0;
    let out: string;
    try {
      out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'regress', '--datasets', datasets, '--regressions', regDir, '--cache', join(root, 'cli-cache')], { encoding: 'utf8' });
    } catch (err) {
      const e = err as { status: number; stdout: string };
      status = e.status;
      out = e.stdout;
    }
    expect(status).toBe(1);
    expect(out).toMatch(/^OK {4}tiny\.pass/m);
    expect(out).toMatch(/^OKISH tiny\.okish/m);
    expect(out).toMatch(/^FAIL {2}tiny\.fail/m);
    expect(out).toMatch(/3 regressions: 2 passed, 1 failed/);
  });
});
