/**
 * Issue #18 item 5: per-file faults stay per-file. Faults are injected into the real CLI with
 * `strace -e inject=…` (as the probe did), limited to one path with `-P`, so the file system itself
 * is untouched: a file that cannot be read (EACCES, EIO) or vanishes (ENOENT) at its hash check, in
 * the walk's stat, or at its read is one warning naming it and the run goes on; a file name that is
 * not valid UTF-8 is one warning; a run that cannot write the index fails in one line, exit 2.
 * Skipped, with one line saying why, where strace or ptrace is unavailable or the machine is not
 * x86-64 (the syscall names are x86-64 Linux's: Node's libuv stats with statx; newfstatat is the
 * fallback); a failure instead under OPENBOOK_STRACE_REQUIRED=1, which `.ci/run` sets once strace
 * can trace (test/support/strace.ts).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_MAIN, runCli, TSX, type CliResult } from '../support/cli.js';
import { STRACE, straceSkipReason } from '../support/strace.js';

const skipReason = straceSkipReason();
if (skipReason) console.warn(`fault-injection tests skipped: ${skipReason}`);

/** Runs the CLI under strace, failing `syscalls` on `target` (an absolute path) with `error`. */
function runWithFault(cwd: string, args: string[], fault: { target: string; syscalls: string; error: string }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(
      STRACE,
      ['-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-P', fault.target, '-e', `trace=${fault.syscalls}`, '-e', `inject=${fault.syscalls}:error=${fault.error}`, TSX, CLI_MAIN, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-faults-'));
  await mkdir(path.join(dir, 'docs'));
  await writeFile(path.join(dir, 'docs', 'a.md'), '# A\n\nThe aardvark digs.\n');
  await writeFile(path.join(dir, 'docs', 'b.md'), '# B\n\nThe bison grazes.\n');
  await writeFile(path.join(dir, 'docs', 'c.md'), '# C\n\nThe camel walks.\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hits = async (q: string): Promise<string[]> => {
  const r = await runCli(dir, ['search', q, '--json']);
  return (JSON.parse(r.stdout) as { hits: Array<{ docId: string }> }).hits.map((h) => h.docId);
};
const b = () => path.join(dir, 'docs', 'b.md');

describe.skipIf(skipReason !== undefined)('fault injection with strace (per-file faults stay per-file)', () => {
  it('an indexed file unreadable at its hash check (EACCES): one warning, the run goes on, its indexed version is kept', async () => {
    expect((await runCli(dir, ['index', 'docs'])).code).toBe(0);
    await writeFile(path.join(dir, 'docs', 'd.md'), '# D\n\nThe dingo howls.\n');
    const r = await runWithFault(dir, ['index', 'docs', '--json'], { target: b(), syscalls: 'openat', error: 'EACCES' });
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { added: number; skipped: number; removed: number; warnings: string[] };
    expect(out).toMatchObject({ added: 1, skipped: 1, removed: 0 });
    expect(out.warnings).toEqual(['docs/b.md: cannot read (EACCES: permission denied); kept the version already indexed']);
    expect(await hits('bison')).toEqual(['docs/b.md']);
    expect(await hits('dingo')).toEqual(['docs/d.md']);
  });

  it('an I/O error (EIO) at the hash check is the same one warning', async () => {
    expect((await runCli(dir, ['index', 'docs'])).code).toBe(0);
    const r = await runWithFault(dir, ['index', 'docs', '--json'], { target: b(), syscalls: 'openat', error: 'EIO' });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { warnings: string[] }).warnings).toEqual(['docs/b.md: cannot read (EIO: i/o error); kept the version already indexed']);
  });

  it('an indexed file that vanishes before its hash check (ENOENT): one warning, it is removed, the rest stays', async () => {
    expect((await runCli(dir, ['index', 'docs'])).code).toBe(0);
    const r = await runWithFault(dir, ['index', 'docs', '--json'], { target: b(), syscalls: 'openat', error: 'ENOENT' });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { removed: number; unchanged: number; warnings: string[] };
    expect(out.warnings).toEqual(['docs/b.md: vanished before it could be read (ENOENT); removed from the index']);
    expect(out).toMatchObject({ removed: 1, unchanged: 2 });
    expect(await hits('aardvark')).toEqual(['docs/a.md']);
  });

  it('a file that vanishes between listing and stat (ENOENT on stat) is one warning; the others are indexed', async () => {
    const r = await runWithFault(dir, ['index', 'docs', '--json'], { target: b(), syscalls: 'statx,newfstatat', error: 'ENOENT' });
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { added: number; warnings: string[] };
    expect(out.warnings).toEqual(['docs/b.md: vanished before it could be read (ENOENT); skipped']);
    expect(out.added).toBe(2);
  });

  it('a new file that cannot be opened at its read (EACCES) is one warning; the others are indexed', async () => {
    const r = await runWithFault(dir, ['index', 'docs', '--json'], { target: b(), syscalls: 'openat', error: 'EACCES' });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { added: number; warnings: string[] };
    expect(out.added).toBe(2);
    expect(out.warnings).toEqual(['docs/b.md: cannot read (EACCES: permission denied)']);
  });

  it('a run that cannot write the index fails in one line, exit 2', async () => {
    const r = await runWithFault(dir, ['index', 'docs'], { target: path.join(dir, '.openbook'), syscalls: 'mkdir,openat', error: 'EACCES' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('index:') && !l.startsWith('scan:'))).toEqual([
      `error: cannot write the index ${path.join(dir, '.openbook')} (EACCES: permission denied)`,
    ]);
  });

  it('a commit that cannot write (EROFS on the manifest) fails in one line, exit 2, and the last commit is intact', async () => {
    expect((await runCli(dir, ['index', 'docs'])).code).toBe(0);
    await writeFile(path.join(dir, 'docs', 'd.md'), '# D\n\nThe dingo howls.\n');
    const r = await runWithFault(dir, ['index', 'docs'], { target: path.join(dir, '.openbook', 'manifest.json.tmp'), syscalls: 'openat', error: 'EROFS' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: cannot write the index ${path.join(dir, '.openbook')} (EROFS: read-only file system)`);
    expect(await hits('bison')).toEqual(['docs/b.md']);
    expect(await hits('dingo')).toEqual([]);
  });
});

describe('file names that are not valid UTF-8', () => {
  it.skipIf(process.platform !== 'linux')('are one warning naming the file (bytes escaped); the run goes on', async () => {
    await writeFile(Buffer.concat([Buffer.from(path.join(dir, 'docs') + '/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.md')]), '# Bad\n\nThe badger.\n');
    const r = await runCli(dir, ['index', 'docs', '--json']);
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { added: number; skipped: number; warnings: string[] };
    expect(out.warnings).toEqual(['docs/bad\\xFF\\xFE.md: skipped, the file name is not valid UTF-8 (rename it to index it)']);
    expect(out).toMatchObject({ added: 3, skipped: 1 });
  });
});
