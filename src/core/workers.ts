/**
 * Worker threads for openbook's parallel stages (index-time analysis, batch querying).
 *
 * `startWorker(moduleUrl)` starts a `worker_threads` Worker on a module given relative to the
 * caller's `import.meta.url`. From the built package that module is a `.js` file next to the
 * caller. When the caller itself runs from TypeScript source (tests under vitest, `tsx` scripts),
 * the `.ts` sibling is started with `--import tsx`, so source and build run the same code.
 *
 * `defaultThreads()` is the thread count a parallel stage uses when none is given: the cores
 * Node reports (`os.availableParallelism()`), at most {@link MAX_DEFAULT_THREADS}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { InvalidParameterError } from './errors.js';

/** node:worker_threads, loaded with the first worker: a command that starts none (search, ask) does not load it (~1–2 ms a start). */
const workerThreads = () => createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');

/** Upper bound of {@link defaultThreads}: more workers than this rarely pay for their memory. */
export const MAX_DEFAULT_THREADS = 8;

/** Cores available to this process, at most {@link MAX_DEFAULT_THREADS}; ≥ 1. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, availableParallelism()));
}

/**
 * Checks a user-given thread count: an integer in [1, 256].
 * @param where names the option in the error, e.g. "--threads"
 * @throws InvalidParameterError otherwise
 */
export function checkThreads(n: number, where: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidParameterError(`${where} must be an integer from 1 to 256, got ${n}`);
  return n;
}

/**
 * Starts a worker on `relative` (written with a `.js` extension) resolved against `baseUrl`
 * (the caller's `import.meta.url`); see the module doc for TypeScript sources. `options.resourceLimits`
 * caps the worker's heap (`maxOldGenerationSizeMb`); past it the worker stops with an `error`
 * whose code is `ERR_WORKER_OUT_OF_MEMORY`.
 * @throws Error when neither the `.js` nor, from sources, the `.ts` module exists
 */
export function startWorker(relative: string, baseUrl: string, workerData?: unknown, options: Pick<WorkerOptions, 'resourceLimits'> = {}): Worker {
  const jsUrl = new URL(relative, baseUrl);
  if (baseUrl.endsWith('.ts')) {
    const tsUrl = new URL(relative.replace(/\.js$/, '.ts'), baseUrl);
    if (existsSync(fileURLToPath(tsUrl))) {
      // Register tsx's loader inside the worker, then import the TypeScript module. tsx is
      // resolved from the module's folder: an eval'd worker resolves bare names from the cwd.
      const tsxApi = tsxEsmApiUrl(tsUrl);
      const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(tsUrl.href)}); }).catch((e) => { setImmediate(() => { throw e; }); });`;
      return new (workerThreads().Worker)(boot, { eval: true, workerData, ...options });
    }
  }
  if (!existsSync(fileURLToPath(jsUrl))) throw new Error(`worker module not found: ${fileURLToPath(jsUrl)}`);
  return new (workerThreads().Worker)(jsUrl, { workerData, ...options });
}

/**
 * File URL of tsx's ESM `tsx/esm/api` entry as installed for the module at `from`, read from
 * tsx's package.json `exports` (its `require` entry cannot register the ESM loader).
 */
function tsxEsmApiUrl(from: URL): string {
  const pkgPath = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> };
  const entry = pkg.exports?.['./esm/api']?.import;
  const rel = typeof entry === 'string' ? entry : entry?.default;
  if (rel === undefined) throw new Error(`${pkgPath} exports no ESM "./esm/api" entry`);
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}
