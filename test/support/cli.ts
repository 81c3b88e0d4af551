/**
 * Runs the openbook CLI from source (tsx) as a child process, for end-to-end CLI tests:
 * `runCli(cwd, ['search', 'x', '--json'], { OPENBOOK_LLM_BASE_URL: url })`.
 * The environment is the test's with NO_COLOR=1 and OPENBOOK_INDEX cleared, then `env` on top.
 * `runCliSync` is the same, blocking (only where no server lives in the test's own process).
 * `startServe` starts `openbook serve` the same way and waits until it listens.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');
export const CLI_MAIN = path.join(REPO_ROOT, 'src/cli/main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [CLI_MAIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `runCli`, blocking: for tests with no server in their own process (spawnSync would stall it). */
export function runCliSync(cwd: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(TSX, [CLI_MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `openbook serve <args>` from source, run by node with tsx as a loader (so SIGTERM/SIGKILL reach
 * the server itself, not a launcher). Resolves with the page URL (`http://127.0.0.1:<port>`) once
 * the server prints it; rejects with its output when it exits before. Pass `--port 0` for a free
 * loopback port. The environment is the test's with OPENBOOK_API_KEY and OPENBOOK_INDEX cleared,
 * then `env` on top.
 */
export function startServe(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const loader = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', loader, CLI_MAIN, 'serve', ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OPENBOOK_API_KEY: '', OPENBOOK_INDEX: '', ...opts.env },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /page\s+(http:\/\/\S+?)\/\s/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening: ${out}`)));
  });
}

/** Resolves when `child` has exited (at once when it already has). */
export const exited = (child: ChildProcess): Promise<void> => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
