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
