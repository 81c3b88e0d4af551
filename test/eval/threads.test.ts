/**
 * `eval retrieval` with worker threads: the same run and metrics as the in-process loop, on a
 * BEIR folder the test writes; and the `--threads` flag of the command.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { AUTO_THREADS_MIN_QUERIES, evaluateRetrieval, type RetrievalEvalOptions } from '../../src/eval/retrieval.js';

const ROOT = path.resolve(__dirname, '../..');
const root = mkdtempSync(path.join(tmpdir(), 'openbook-eval-threads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 120 documents and 90 queries over a 60-word vocabulary (seeded); each query is judged
// relevant to the two documents it was sampled from, so the metrics are well above 0.
const beir = path.join(root, 'beir');
mkdirSync(path.join(beir, 'qrels'), { recursive: true });
{
  const rand = mulberry32(5);
  const vocab = Array.from({ length: 60 }, (_, i) => `term${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
  const pick = () => vocab[Math.floor(rand() * rand() * vocab.length)];
  const docs = Array.from({ length: 120 }, (_, i) => ({ _id: `D${i}`, title: pick(), text: Array.from({ length: 5 + Math.floor(rand() * 20) }, pick).join(' ') }));
  const queries: string[] = [];
  const qrels: string[] = ['query-id\tcorpus-id\tscore'];
  for (let q = 0; q < 90; q++) {
    const a = docs[Math.floor(rand() * docs.length)];
    const b = docs[Math.floor(rand() * docs.length)];
    const words = [...a.text.split(' ').slice(0, 2), ...b.text.split(' ').slice(0, 2)];
    queries.push(JSON.stringify({ _id: `q${q}`, text: words.join(' ') }));
    qrels.push(`q${q}\t${a._id}\t1`);
    if (b._id !== a._id) qrels.push(`q${q}\t${b._id}\t1`);
  }
  writeFileSync(path.join(beir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileSync(path.join(beir, 'queries.jsonl'), queries.join('\n') + '\n');
  writeFileSync(path.join(beir, 'qrels', 'test.tsv'), qrels.join('\n') + '\n');
}

const deps = { cacheDir: path.join(root, 'cache'), now: () => performance.now(), wallClock: () => 0 };
const options = (runFile: string, threads?: number | 'auto'): RetrievalEvalOptions => ({
  dataset: beir,
  index: { analyzer: 'standard', fields: 'flat', luceneNorms: true },
  search: { similarity: 'bm25', k1: 0.9, b: 0.4, topK: 100 },
  metrics: ['nDCG@10', 'R@100', 'MAP'],
  runFile,
  perQuery: true,
  ...(threads === undefined ? {} : { threads }),
});

describe('evaluateRetrieval with threads', () => {
  it('threads 2 writes the same run file and gives the same metrics as threads 1 (in-process)', async () => {
    const serialRun = path.join(root, 'serial.run');
    const threadedRun = path.join(root, 'threaded.run');
    const serial = await evaluateRetrieval(options(serialRun), deps);
    const threaded = await evaluateRetrieval(options(threadedRun, 2), deps);
    expect(serial.timings.threads).toBe(1);
    expect(serial.timings.workerStartSeconds).toBeUndefined();
    expect(threaded.timings.threads).toBe(2);
    expect(threaded.timings.workerStartSeconds).toBeGreaterThan(0);
    expect(threaded.timings.indexCached).toBe(true); // the second run reuses the first run's index
    // Identical runs: every query, every document, every rounded score, in order.
    const text = readFileSync(serialRun, 'utf8');
    expect(readFileSync(threadedRun, 'utf8')).toBe(text);
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThan(90 * 20);
    expect(threaded.metrics).toEqual(serial.metrics);
    expect(threaded.perQuery).toEqual(serial.perQuery);
    expect(serial.queries).toBe(90);
    expect(serial.metrics['nDCG@10']).toBeGreaterThan(0.3);
  }, 60_000);

  it("threads 'auto' stays in-process below AUTO_THREADS_MIN_QUERIES (90 queries here)", async () => {
    expect(AUTO_THREADS_MIN_QUERIES).toBe(2000);
    const r = await evaluateRetrieval({ ...options(path.join(root, 'auto.run')), threads: 'auto' }, deps);
    expect(r.timings.threads).toBe(1);
    expect(r.timings.workerStartSeconds).toBeUndefined();
  });

  it('rejects a bad thread count before reading the dataset', async () => {
    await expect(evaluateRetrieval({ ...options(path.join(root, 'x.run'), 0), dataset: path.join(root, 'absent') }, deps)).rejects.toThrow(
      '--threads must be an integer from 1 to 256, got 0',
    );
  });
});

describe('openbook eval retrieval --threads', () => {
  const cli = (args: string[]) => {
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/cli/main.ts'), 'eval', 'retrieval', '--dataset', beir, '--cache', deps.cacheDir, '--analyzer', 'standard', ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('--threads 2 --json reports timings.threads 2 and the library metrics', async () => {
    const lib = await evaluateRetrieval({ ...options(path.join(root, 'lib.run')), search: { similarity: 'bm25', k1: 0.9, b: 0.4, topK: 1000 }, metrics: ['nDCG@10', 'MAP'] }, deps);
    const r = cli(['--threads', '2', '--metrics', 'nDCG@10,MAP', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { metrics: Record<string, number>; timings: { threads: number; workerStartSeconds: number; queriesPerSecond: number } };
    expect(out.timings.threads).toBe(2);
    expect(out.timings.workerStartSeconds).toBeGreaterThan(0);
    expect(out.timings.queriesPerSecond).toBeGreaterThan(0);
    expect(out.metrics).toEqual(lib.metrics);
  }, 60_000);

  it('--threads 0 and --threads two fail with exit code 2 and say why', () => {
    const zero = cli(['--threads', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('error: --threads must be an integer from 1 to 256, got 0');
    const word = cli(['--threads', 'two']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('error: --threads must be an integer from 1 to 256, got "two"');
  }, 60_000);
});
