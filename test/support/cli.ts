/**
 * Runs the openbook CLI from source (tsx) as a child process, for end-to-end CLI tests:
 * `runCli(cwd, ['search', 'x', '--json'], { OPENBOOK_LLM_BASE_URL: url })`.
 * The environment is the test's with NO_COLOR=1 and OPENBOOK_INDEX cleared, then `env` on top.
 * `runCliSync` is the same, blocking (only where no server lives in the test's own process).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

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
