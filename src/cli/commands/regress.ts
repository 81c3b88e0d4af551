/**
 * `openbook regress`: runs every pinned regression in `bench/regressions/*.yaml` against the
 * datasets in `../shared/datasets` (relative to the repository root; `--datasets DIR` or
 * `$OPENBOOK_DATASETS` override it) and prints OK / OKISH / FAIL per value. Exits 1 on any
 * FAIL. When the datasets (the root, or one regression's own folder) are absent it skips them
 * with a line saying so and exits 0, except under `CI=true`, where a missing pinned dataset is a
 * failure (exit 1): CI must not pass without checking.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { datasetsAvailable, formatRegression, loadRegressions, runRegression } from '../../eval/regress.js';
import { action, printJson } from '../shared.js';

/** The repository root: three levels above this file (src/cli/commands or dist/cli/commands). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function register(program: Command): void {
  program
    .command('regress')
    .description('run the pinned regressions (bench/regressions/*.yaml) on ../shared/datasets')
    .addHelpText('after', '\nExamples:\n  $ openbook regress\n  $ openbook regress --only scifact --reuse-index')
    .option('--datasets <dir>', 'datasets root (default: ../shared/datasets from the repo root, or $OPENBOOK_DATASETS)')
    .option('--regressions <dir>', 'folder of regression YAML files (default: bench/regressions)')
    .option('--only <substring>', 'run only regressions whose name contains this')
    .option('--cache <dir>', 'eval-index cache folder (default: .openbook/eval-cache)')
    .option('--reuse-index', 'reuse cached eval indexes instead of rebuilding them')
    .option('--json', 'print JSON')
    .action(
      action(async (f: { datasets?: string; regressions?: string; only?: string; cache?: string; reuseIndex?: boolean; json?: boolean }) => {
        const datasetsRoot = path.resolve(f.datasets ?? process.env.OPENBOOK_DATASETS ?? path.join(repoRoot, '..', 'shared', 'datasets'));
        const shown = path.relative(process.cwd(), datasetsRoot) || '.';
        const ci = process.env.CI === 'true' || process.env.CI === '1';
        if (!(await datasetsAvailable(datasetsRoot))) {
          if (ci) {
            process.stderr.write(`error: datasets folder ${shown} not found; CI=true requires the pinned datasets\n`);
            process.exitCode = 1;
            return;
          }
          if (f.json) printJson({ skipped: `${shown} not found` });
          else process.stdout.write(`skipped: ${shown} not found\n`);
          return;
        }
        const specs = (await loadRegressions(path.resolve(f.regressions ?? path.join(repoRoot, 'bench', 'regressions')))).filter((s) => !f.only || s.name.includes(f.only));
        const deps = {
          cacheDir: path.resolve(f.cache ?? path.join('.openbook', 'eval-cache')),
          now: () => performance.now(),
          wallClock: Date.now,
          // Regressions check the current code: always rebuild, never trust a cached index.
          rebuild: !f.reuseIndex,
        };
        const results = [];
        const missing: Array<{ name: string; file: string; grade: 'SKIP' | 'FAIL'; reason: string }> = [];
        for (const spec of specs) {
          const dataset = path.join(datasetsRoot, spec.dataset);
          if (!(await datasetsAvailable(dataset))) {
            const reason = `dataset ${path.relative(process.cwd(), dataset) || '.'} not found${ci ? ' (CI=true requires it)' : ''}`;
            missing.push({ name: spec.name, file: spec.file, grade: ci ? 'FAIL' : 'SKIP', reason });
            if (!f.json) process.stdout.write(`${(ci ? 'FAIL' : 'SKIP').padEnd(5)} ${spec.name}  ${reason}\n`);
            continue;
          }
          const r = await runRegression(spec, datasetsRoot, deps);
          results.push(r);
          if (!f.json) process.stdout.write(formatRegression(r).join('\n') + '\n');
        }
        const failed = results.filter((r) => r.grade === 'FAIL').length + missing.filter((m) => m.grade === 'FAIL').length;
        const skipped = missing.filter((m) => m.grade === 'SKIP').length;
        const total = results.length + missing.length;
        if (f.json) {
          printJson([
            ...results.map((r) => ({ name: r.spec.name, file: r.spec.file, grade: r.grade, seconds: r.seconds, checks: r.checks })),
            ...missing,
          ]);
        } else {
          process.stdout.write(`\n${total} regression${total === 1 ? '' : 's'}: ${total - failed - skipped} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
        }
        if (failed > 0) process.exitCode = 1;
      }),
    );
}
