/**
 * `npm run bench:cli` — how long the `openbook` command takes to answer, as a whole process,
 * beside `node -e 0` (the floor: starting Node itself).
 *
 * Builds nothing: it runs the built CLI (`dist/cli/main.js`, so `npm run build` first) with plain
 * `node`, as an installed `openbook` runs. A temporary folder holds four small Markdown files,
 * indexed once, and the code cache (`OPENBOOK_COMPILE_CACHE`, src/cli/code-cache.ts) starts empty
 * there; then every command runs `--warmup` times untimed (default 1: it writes the command's
 * cache) and `--runs` times timed (default 5), one process at a time, the commands taking turns
 * (round i runs each command once) so that a change in the machine's load falls on all of them
 * alike. The table gives the median, min and max wall time and the ratio of medians to
 * `node -e 0`. Targets (#13): search ≤ 2×, ask (extractive) ≤ 2.5×. The row `search, no code
 * cache` is the same search with the cache off (OPENBOOK_COMPILE_CACHE=off: the ES-module chunks).
 * `--cli FILE` times another build's entry (a before/after).
 *
 *   npm run bench:cli -- [--runs 5] [--warmup 1] [--cli dist/cli/main.js] [--json]
 *
 * Prints the hardware and Node version first; exits 0 whatever the figures (a benchmark, not a test).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/shared.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Case {
  name: string;
  args: string[];
  /** Variables over the run's environment. */
  env?: Record<string, string>;
  /** Target ratio of medians to `node -e 0`, when the issue sets one. */
  target?: number;
}

const cases = (MAIN: string): Case[] => [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'openbook --version', args: [MAIN, '--version'] },
  { name: 'openbook search "damping factor"', args: [MAIN, 'search', 'damping factor'], target: 2 },
  { name: 'openbook ask (extractive)', args: [MAIN, 'ask', 'What damping factor does PageRank use?'], target: 2.5 },
  { name: 'openbook status', args: [MAIN, 'status'] },
  { name: 'openbook search, no code cache', args: [MAIN, 'search', 'damping factor'], env: { OPENBOOK_COMPILE_CACHE: 'off' } },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function timeOnce(args: string[], cwd: string, env: Record<string, string> = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', OPENBOOK_COMPILE_CACHE: path.join(cwd, '.compile-cache'), ...env } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return ms;
}

function main(): void {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' }, cli: { type: 'string', default: path.join(ROOT, 'dist', 'cli', 'main.js') }, json: { type: 'boolean', default: false } },
  });
  const MAIN = path.resolve(values.cli);
  const CASES = cases(MAIN);
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new Error('--runs must be an integer ≥ 1 and --warmup ≥ 0');
  if (!existsSync(MAIN)) throw new Error(`${path.relative(process.cwd(), MAIN)} not found: run npm run build first`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'openbook-bench-cli-'));
  try {
    writeFileSync(path.join(dir, 'pagerank.md'), '# PageRank\n\nPageRank uses a damping factor d = 0.85 in its power iteration.\n');
    writeFileSync(path.join(dir, 'bm25.md'), '# BM25\n\nBM25 uses k1 and b to saturate and normalise term frequency.\n');
    writeFileSync(path.join(dir, 'hyde.md'), '# HyDE\n\nHyDE writes a hypothetical document for the question and retrieves with its embedding.\n');
    writeFileSync(path.join(dir, 'rrf.md'), '# Reciprocal rank fusion\n\nRRF adds 1 / (k + rank) over the lists, with k = 60.\n');
    timeOnce([MAIN, 'index', '.'], dir);

    const rows: Array<{ name: string; medianMs: number; minMs: number; maxMs: number; ratio: number; target?: number }> = [];
    let floor = 0;
    for (let i = 0; i < warmup; i++) for (const c of CASES) timeOnce(c.args, dir, c.env);
    const times = CASES.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) CASES.forEach((c, k) => times[k].push(timeOnce(c.args, dir, c.env)));
    for (const [k, c] of CASES.entries()) {
      const ms = times[k];
      const m = median(ms);
      if (c.name === 'node -e 0') floor = m;
      rows.push({ name: c.name, medianMs: m, minMs: Math.min(...ms), maxMs: Math.max(...ms), ratio: m / floor, target: c.target });
    }
    const cpus = os.cpus();
    const env = `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}; load average ${os.loadavg()[0].toFixed(2)}`;
    if (values.json) {
      process.stdout.write(JSON.stringify({ environment: env, runs, warmup, rows }, null, 2) + '\n');
      return;
    }
    process.stdout.write(`${env}\nwall time of whole processes, median of ${runs} after ${warmup} warm-up run${warmup === 1 ? '' : 's'}, the commands taking turns, four-document index\n\n`);
    process.stdout.write(
      renderTable(
        ['command', 'median ms', 'min ms', 'max ms', '× node -e 0', 'target', 'met'],
        rows.map((r) => [r.name, r.medianMs.toFixed(0), r.minMs.toFixed(0), r.maxMs.toFixed(0), r.ratio.toFixed(2), r.target ? `≤ ${r.target}×` : '–', r.target ? (r.ratio <= r.target ? 'yes' : 'no') : '–']),
      ) + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
