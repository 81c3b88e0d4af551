/**
 * Per-file loading budgets (issue #18 item 2, #16 item 5): how long one file may take to parse,
 * how much heap its parser may use, and how many bytes it may decompress to. Parsing runs on
 * worker threads (parse-pool.ts) so a file over budget costs its worker, never the caller's
 * event loop; such a file is skipped with a `BudgetExceededError` naming it and the limit.
 *
 * Settable in `openbook.config.json` (`ingest.timeoutMs`, `ingest.maxHeapMb`,
 * `ingest.maxDecompressedBytes`, `ingest.parseThreads`) and by the flags `--parse-timeout-ms`,
 * `--max-heap-mb`, `--max-decompressed-mb` of `openbook index` and `openbook serve`.
 */
import { availableParallelism } from 'node:os';
import { InvalidParameterError } from '../core/errors.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './zip.js';

export interface LoadBudgets {
  /** Wall-clock time one file's parse may take, ms (≥ 100; default 60,000). Past it the worker is terminated. */
  timeoutMs: number;
  /** V8 old-generation heap of one parse worker, MB (≥ 32; default 1,024): `resourceLimits.maxOldGenerationSizeMb`. */
  maxHeapMb: number;
  /** Decompressed bytes of one file (zip members, PDF flate streams, HWP sections); default 256 MiB. */
  maxDecompressedBytes: number;
  /** Parse worker threads (1–64; default min(2, cores)). The server's RSS bound scales with it. */
  threads: number;
}

export const DEFAULT_BUDGETS: Readonly<LoadBudgets> = Object.freeze({
  timeoutMs: 60_000,
  maxHeapMb: 1024,
  maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
  threads: Math.max(1, Math.min(2, availableParallelism())),
});

/**
 * Fills in defaults and checks ranges.
 * @throws InvalidParameterError naming the field ("timeoutMs must be an integer ≥ 100, got 5")
 */
export function resolveBudgets(given: Partial<LoadBudgets> = {}): LoadBudgets {
  const b = { ...DEFAULT_BUDGETS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as LoadBudgets;
  const check = (name: keyof LoadBudgets, min: number, max: number) => {
    const v = b[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new InvalidParameterError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  check('timeoutMs', 100, 24 * 3600_000);
  check('maxHeapMb', 32, 1 << 20);
  check('maxDecompressedBytes', 1, Number.MAX_SAFE_INTEGER);
  check('threads', 1, 64);
  return b;
}

/** "60 s", "1.5 s", "800 ms". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
