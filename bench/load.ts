/**
 * `npm run load` — load test of `GET /v1/search` and offline `POST /v1/ask` with autocannon.
 *
 * Loopback only and bounded: the target must be 127.0.0.1 / ::1 / localhost; each phase runs at
 * most `--duration` seconds (≤ 120) and stops early after `--max-requests` responses (≤ 1e6).
 *
 * Default: builds (once) a SciFact index in bench/out/scifact-index from
 * /work/shared/datasets/scifact (or --corpus), starts `openbook serve` on 127.0.0.1 in a child
 * process (rate limit off), and cycles through the SciFact queries. `--url` targets a server you
 * started yourself instead (it must be loopback, and its rate limit must allow the load).
 *
 *   npm run load -- [--connections 50] [--duration 30] [--warmup 5] [--index DIR] [--url http://127.0.0.1:8080]
 *                   [--queries FILE] [--phases search,ask] [--api-key KEY]
 *
 * Before the phases it measures the in-process ceiling on the same index and queries: one
 * thread calling `Engine.search` (topK=10) and the extractive `Engine.ask` (topK=5) back to back for
 * `--ceiling` seconds each (default 3; 0 skips; needs the index folder, so not with `--url` alone),
 * responses serialised as the server would (`JSON.stringify` of the JSON shapes). The ratio of
 * HTTP to in-process throughput is what the HTTP path costs.
 *
 * Each phase is one run on the same connections: a warm-up window (`--warmup` s, default 5),
 * reported on its own line, then the measured window; requests count in the window they started in. Prints p50/p99 latency (ms), requests/s and errors (errors + non-2xx +
 * timeouts over 10 s) per phase; writes bench/out/load.json; exits 1 if a measured phase had errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { Engine } from '../src/engine/engine.js';
import { answerJson, hitJson } from '../src/engine/json.js';
import { isLoopbackHost } from '../src/server/security.js';

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number };
  duration: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', fn: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): void;
  on(event: 'reqError', fn: (err: unknown) => void): void;
  stop(): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => AutocannonInstance;

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'max-requests': { type: 'string', default: '500000' },
    index: { type: 'string' },
    corpus: { type: 'string', default: '/work/shared/datasets/scifact/corpus.jsonl' },
    queries: { type: 'string', default: '/work/shared/datasets/scifact/queries.jsonl' },
    url: { type: 'string' },
    phases: { type: 'string', default: 'search,ask' },
    'api-key': { type: 'string' },
    ceiling: { type: 'string', default: '3' },
  },
});

const bounded = (name: string, v: string, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${v}`);
  return n;
};
const connections = bounded('connections', args.connections!, 1, 200);
const durationS = bounded('duration', args.duration!, 1, 120);
const maxRequests = bounded('max-requests', args['max-requests']!, 1, 1_000_000);
const warmupS = bounded('warmup', args.warmup!, 0, 30);
const ceilingS = bounded('ceiling', args.ceiling!, 0, 30);

function loadQueries(file: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const q = JSON.parse(line) as { text?: string };
    if (q.text) out.push(q.text);
  }
  if (out.length === 0) throw new Error(`no queries in ${file}`);
  return out;
}

function run(cmd: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...cmd], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd.join(' ')} exited ${code}`))));
  });
}

/** Starts `openbook serve` on 127.0.0.1:0 in a child process; resolves with its URL. */
function startServer(indexDir: string, cwd: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--index', indexDir, '--host', '127.0.0.1', '--port', '0', '--rate-limit', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, OPENBOOK_API_KEY: '' },
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s; output: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /page\s+(http:\/\/\S+?)\/\s/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

interface PhaseResult {
  phase: string;
  requests: number;
  durationS: number;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Connection errors and timeouts (over `TIMEOUT_S`). */
  errors: number;
  non2xx: number;
  timeouts: number;
}

/** A request with no response after this many seconds counts as a timeout error. */
const TIMEOUT_S = 10;

/** Exact percentile (nearest rank) of ascending `sorted`, p in (0, 100]. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One autocannon run of `warmupS + durationS` seconds on the same connections. Each request is
 * assigned to the window in which it *started* (completion time − latency; for a timeout,
 * completion − TIMEOUT_S), so a request delayed in the warm-up cannot leak into the measured
 * window and vice versa. Returns [warm-up, measured].
 */
async function phase(name: 'search' | 'ask', url: string, queries: string[], headers: Record<string, string>): Promise<PhaseResult[]> {
  let i = 0;
  const next = () => queries[i++ % queries.length];
  const request =
    name === 'search'
      ? { method: 'GET' as const, setupRequest: (r: Record<string, unknown>) => ({ ...r, path: `/v1/search?topK=10&q=${encodeURIComponent(next())}` }) }
      : {
          method: 'POST' as const,
          path: '/v1/ask',
          setupRequest: (r: Record<string, unknown>) => ({ ...r, body: JSON.stringify({ question: next(), topK: 5 }) }),
        };
  const total = warmupS + durationS;
  const instance = autocannon({
    url,
    connections,
    duration: total,
    timeout: TIMEOUT_S,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [request],
  });
  const windows = [0, 1].map(() => ({ latencies: [] as number[], non2xx: 0, errors: 0, timeouts: 0 }));
  const started = performance.now();
  const windowOf = (startMs: number) => windows[startMs - started < warmupS * 1000 ? 0 : 1];
  let seen = 0;
  instance.on('response', (_client, status, _bytes, ms) => {
    const w = windowOf(performance.now() - ms);
    w.latencies.push(ms);
    if (status < 200 || status > 299) w.non2xx++;
    if (++seen >= maxRequests) instance.stop();
  });
  instance.on('reqError', (err) => {
    const timedOut = /timed out/.test(String((err as Error)?.message));
    const w = windowOf(performance.now() - (timedOut ? TIMEOUT_S * 1000 : 0));
    w.errors++;
    if (timedOut) w.timeouts++;
  });
  const hardStop = setTimeout(() => instance.stop(), (total + 15) * 1000);
  const r = await instance;
  clearTimeout(hardStop);
  const label = name === 'search' ? 'GET /v1/search (topK=10)' : 'POST /v1/ask (extractive, topK=5)';
  const measuredS = Math.max(0, r.duration - warmupS);
  return windows.map((w, wi) => {
    const sorted = w.latencies.sort((x, y) => x - y);
    const secs = wi === 0 ? Math.min(warmupS, r.duration) : measuredS;
    return {
      phase: wi === 0 ? `${label} warm-up` : label,
      requests: sorted.length,
      durationS: secs,
      requestsPerSec: secs > 0 ? sorted.length / secs : 0,
      latencyP50Ms: percentile(sorted, 50),
      latencyP99Ms: percentile(sorted, 99),
      latencyMaxMs: sorted.at(-1) ?? 0,
      errors: w.errors - w.timeouts,
      non2xx: w.non2xx,
      timeouts: w.timeouts,
    };
  });
}

interface CeilingResult {
  what: string;
  calls: number;
  perSecond: number;
}

/**
 * The in-process ceiling: `Engine.search` (topK=10) and extractive `Engine.ask` (topK=5) over the
 * queries in turn, one thread, `seconds` each after a one-pass warm-up, with the response JSON
 * built as the server builds it.
 */
async function ceiling(indexDir: string, queries: string[], seconds: number): Promise<CeilingResult[]> {
  const engine = await Engine.open(indexDir);
  const out: CeilingResult[] = [];
  const runs: Array<[string, (q: string) => Promise<string>]> = [
    ['Engine.search (topK=10) + JSON', async (q) => JSON.stringify({ query: q, hits: (await engine.search(q, { topK: 10 })).map(hitJson) })],
    ['Engine.ask (extractive, topK=5) + JSON', async (q) => JSON.stringify(answerJson(await engine.ask(q, { topK: 5, extractive: true })))],
  ];
  for (const [what, call] of runs) {
    for (const q of queries) await call(q);
    let calls = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    while (performance.now() < until) await call(queries[calls++ % queries.length]);
    out.push({ what, calls, perSecond: calls / ((performance.now() - started) / 1000) });
  }
  return out;
}

async function main(): Promise<void> {
  const repo = process.cwd();
  const queries = loadQueries(args.queries!);
  let ceilings: CeilingResult[] = [];
  const loadAverageAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  let url = args.url;
  let child: ChildProcess | undefined;
  let indexForCeiling = args.index ? path.resolve(args.index) : undefined;
  if (url) {
    const host = new URL(url).hostname;
    if (!isLoopbackHost(host)) throw new Error(`--url must be a loopback address (127.0.0.1, ::1, localhost), got ${host}`);
  } else {
    const indexDir = path.resolve(args.index ?? 'bench/out/scifact-index');
    if (!existsSync(path.join(indexDir, 'manifest.json'))) {
      process.stderr.write(`building ${indexDir} from ${args.corpus} (whole documents, english analyzer)\n`);
      await run(['src/cli/main.ts', 'index', args.corpus!, '--index', indexDir, '--no-chunk', '--analyzer', 'english'], repo);
    }
    indexForCeiling = indexDir;
    if (ceilingS > 0) {
      process.stderr.write(`in-process ceiling: ${ceilingS} s each for search and ask\n`);
      ceilings = await ceiling(indexDir, queries, ceilingS);
    }
    ({ url, child } = await startServer(indexDir, repo));
  }
  if (child === undefined && indexForCeiling && ceilingS > 0) ceilings = await ceiling(indexForCeiling, queries, ceilingS);
  const headers: Record<string, string> = args['api-key'] ? { authorization: `Bearer ${args['api-key']}` } : {};
  const results: PhaseResult[] = [];
  try {
    for (const p of args.phases!.split(',').map((s) => s.trim())) {
      if (p !== 'search' && p !== 'ask') throw new Error(`unknown phase ${p}; use search, ask`);
      process.stderr.write(`${p}: ${connections} connections, ${warmupS} s warm-up + ${durationS} s measured, against ${url}\n`);
      results.push(...(await phase(p, url!, queries, headers)));
    }
  } finally {
    child?.kill('SIGTERM');
  }
  const env = {
    node: process.version,
    loadAverageAtStart,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    connections,
    durationS,
    queries: `${queries.length} from ${args.queries}`,
    target: args.url ?? 'openbook serve (child process) over SciFact',
  };
  const line = (r: PhaseResult) =>
    `${r.phase.padEnd(40)} ${String(r.requests).padStart(8)} ${r.requestsPerSec.toFixed(1).padStart(9)} ${r.latencyP50Ms.toFixed(0).padStart(7)} ${r.latencyP99Ms.toFixed(0).padStart(7)} ${r.latencyMaxMs.toFixed(0).padStart(7)} ${String(r.errors + r.non2xx + r.timeouts).padStart(7)}`;
  process.stdout.write(`\n${JSON.stringify(env)}\n`);
  process.stdout.write(`${'endpoint'.padEnd(40)} ${'requests'.padStart(8)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'errors'.padStart(7)}\n`);
  for (const r of results) process.stdout.write(line(r) + '\n');
  if (ceilings.length > 0) {
    process.stdout.write(`\nin-process ceiling (one thread, same index and queries, ${ceilingS} s each, before the HTTP phases):\n`);
    for (const c of ceilings) process.stdout.write(`${c.what.padEnd(40)} ${String(c.calls).padStart(8)} ${c.perSecond.toFixed(1).padStart(9)} calls/s\n`);
  }
  process.stdout.write(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores)\n`);
  mkdirSync('bench/out', { recursive: true });
  writeFileSync('bench/out/load.json', JSON.stringify({ env, results, ceilings }, null, 2) + '\n');
  if (results.some((r) => !r.phase.endsWith('warm-up') && r.errors + r.non2xx + r.timeouts > 0)) process.exitCode = 1;
}

await main();
