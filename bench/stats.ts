/** Small statistics and environment helpers shared by the benchmarks. */
import { execFile } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile p ∈ (0, 100]: the ⌈p/100 · n⌉-th smallest value. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

export interface Environment {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  /** 1-minute load average when the run started; above ~0.5 the machine was not idle. */
  loadAvg1: number;
}

export function environment(): Environment {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAvg1: loadavg()[0] };
}

export function describeEnvironment(env: Environment, reps: number): string {
  const shared = env.loadAvg1 > 0.5 ? `shared (load average ${env.loadAvg1.toFixed(2)} at start)` : `idle (load average ${env.loadAvg1.toFixed(2)} at start)`;
  return `${env.cpu}, ${env.cores} cores, ${env.memGiB} GiB, Node ${env.node}; ${reps} repetition${reps === 1 ? '' : 's'}, medians reported; machine ${shared}`;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/**
 * Runs `script` (default bench/child.ts) in a fresh Node process with tsx and --expose-gc and
 * returns the JSON after its `RESULT ` line.
 * @throws Error with the child's stderr tail when it exits non-zero or prints no result
 */
export function runChild<T>(arg: string, opts: { script?: string; maxOldSpaceMb?: number; timeoutMs?: number } = {}): Promise<T> {
  const args = ['--expose-gc', '--import', 'tsx'];
  if (opts.maxOldSpaceMb) args.push(`--max-old-space-size=${opts.maxOldSpaceMb}`);
  args.push(opts.script ?? CHILD, arg);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 28, timeout: opts.timeoutMs ?? 0 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (err || line === undefined) {
        reject(new Error(`child ${arg.slice(0, 120)} failed: ${err?.message ?? 'no RESULT line'}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice('RESULT '.length)) as T);
    });
  });
}
