/**
 * CI that can fail (#13): `.ci/run` type-checks the whole tree before the tests, under `set -e`,
 * so a type error anywhere in src/, test/ or bench/ stops CI; and the regressions run under
 * CI=true, where a missing pinned dataset is a failure (test/eval/regress.test.ts checks that).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
/** The commands `.ci/run` executes, comments and echo lines dropped, in order. */
const steps = run
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('echo'));

describe('.ci/run', () => {
  it('stops at the first failing command and exports CI=true', () => {
    expect(steps).toContain('set -euo pipefail');
    expect(steps).toContain('export CI=true');
  });

  it('type-checks before the tests, with the tsconfig that covers src, test, bench and scripts', () => {
    const typecheck = steps.findIndex((l) => /\bnpm run typecheck\b/.test(l));
    const tests = steps.findIndex((l) => /\bnpm test\b/.test(l));
    expect(typecheck).toBeGreaterThan(-1);
    expect(typecheck).toBeLessThan(tests);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.typecheck).toBe('tsc -p tsconfig.json --noEmit');
    const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as { include: string[] };
    expect(tsconfig.include).toEqual(expect.arrayContaining(['src', 'test', 'bench']));
  });

  it('runs the regressions (which fail under CI=true when a pinned dataset is missing)', () => {
    expect(steps).toContain('npm run regress');
  });
});

describe('.ci/run does not let the fault-injection and browser tests skip silently (#18)', () => {
  it('installs strace and chromium, and requires their tests once they work (strace on x86-64 only, where the syscall names hold)', () => {
    const install = steps.findIndex((l) => /need\+=\(strace\)/.test(l));
    expect(install).toBeGreaterThan(-1);
    const check = steps.findIndex((l) => /strace -qq -o \/dev\/null true/.test(l) && /x86_64/.test(l));
    const requireStrace = steps.findIndex((l) => /export OPENBOOK_STRACE_REQUIRED=1/.test(l));
    expect(check).toBeGreaterThan(install);
    expect(requireStrace).toBeGreaterThan(check);
    const requireBrowser = steps.findIndex((l) => /export OPENBOOK_BROWSER_REQUIRED=1/.test(l));
    expect(requireBrowser).toBeGreaterThan(install);
    const tests = steps.findIndex((l) => /\bnpm test\b/.test(l));
    expect(requireStrace).toBeLessThan(tests);
    expect(requireBrowser).toBeLessThan(tests);
  });

  it('with OPENBOOK_STRACE_REQUIRED=1 a missing strace or another architecture is a failure; without it, a skip with its reason', async () => {
    const { straceSkipReason } = await import('../support/strace.js');
    expect(() => straceSkipReason({ OPENBOOK_STRACE_REQUIRED: '1' }, '/nonexistent/strace', 'x64')).toThrow(/OPENBOOK_STRACE_REQUIRED=1 but \/nonexistent\/strace is missing/);
    expect(() => straceSkipReason({ OPENBOOK_STRACE_REQUIRED: '1' }, '/nonexistent/strace', 'arm64')).toThrow(/OPENBOOK_STRACE_REQUIRED=1 but/);
    expect(straceSkipReason({}, '/nonexistent/strace', 'x64')).toBe('/nonexistent/strace is missing (apt-get install strace)');
    const suite = readFileSync(path.join(root, 'test', 'engine', 'fs-faults.test.ts'), 'utf8');
    expect(suite).toMatch(/straceSkipReason\(\)/);
  });

  it('with OPENBOOK_BROWSER_REQUIRED=1 a missing chromium is a failure; without it, a skip with its reason', async () => {
    const { browserSkipReason } = await import('../browser/chromium.js');
    expect(() => browserSkipReason({ OPENBOOK_BROWSER_REQUIRED: '1' }, { skip: '/usr/bin/chromium is missing' })).toThrow(/OPENBOOK_BROWSER_REQUIRED=1 but \/usr\/bin\/chromium is missing/);
    expect(browserSkipReason({}, { skip: '/usr/bin/chromium is missing' })).toBe('/usr/bin/chromium is missing');
    expect(browserSkipReason({ OPENBOOK_BROWSER_REQUIRED: '1' }, { path: '/usr/bin/chromium' })).toBeUndefined();
  });
});
