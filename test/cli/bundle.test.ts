/**
 * The built `openbook` command is one bundled entry (#13 item 3, "instant CLI"): Node 20 resolves,
 * reads and compiles each ES module on its own, and `search` loaded 85 files of the build (60 of
 * ours, commander's 8, Node built-ins). `scripts/bundle-cli.mjs` bundles src/cli/main.ts with
 * esbuild into dist/cli/bundle/ (one chunk per lazily imported part) with commander and picocolors
 * inside; the other packages stay external. Each `import.meta.url` of a source file is rewritten
 * to the URL of that file's tsc build beside the bundle, so workers, the web page's static files
 * and `createRequire` resolve as from the unbundled build. Here the bundle is built into a
 * temporary dist/ and run; the wall-time figures are `npm run bench:cli`, not a timed test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const LOAD_LOG = path.join(ROOT, 'test/support/load-log.mjs');
const BUNDLER = path.join(ROOT, 'scripts/bundle-cli.mjs');

let work: string;
let dist: string;
let notes: string;

/** Runs the bundled CLI in `notes` with the load log; returns its output and the files it loaded. */
function bundled(args: string[]) {
  const log = path.join(work, `load-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', LOAD_LOG, path.join(dist, 'cli/main.js'), ...args], { cwd: notes, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', OPENBOOK_LOAD_LOG: log } });
  const files = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))].filter((u) => !u.startsWith('node:')).map((u) => (u.startsWith('file://') ? new URL(u).pathname : u));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, files };
}

/** The same command from the sources (tsx), for comparison. */
function fromSource(args: string[]) {
  return spawnSync(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: notes, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '' } });
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'openbook-bundle-'));
  // a package root beside node_modules' parent, as an installed openbook is: package.json + dist/
  const pkg = path.join(ROOT, '.bundle-test-' + path.basename(work));
  mkdirSync(pkg);
  copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  dist = path.join(pkg, 'dist');
  execFileSync(process.execPath, [BUNDLER, '--dist', dist], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  notes = path.join(work, 'notes');
  mkdirSync(notes);
  writeFileSync(path.join(notes, 'pagerank.md'), '# PageRank\n\nPageRank uses a damping factor d = 0.85 in its power iteration.\n');
  writeFileSync(path.join(notes, 'bm25.md'), '# BM25\n\nBM25 uses k1 and b to saturate and normalise term frequency.\n');
  const r = fromSource(['index', '.']);
  expect(r.status).toBe(0);
}, 120_000);
afterAll(() => {
  if (dist) rmSync(path.dirname(dist), { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the bundled CLI entry', () => {
  it('search answers as the sources do, loading only files of the bundle (no per-module build files, no commander files)', () => {
    const r = bundled(['search', 'damping factor']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fromSource(['search', 'damping factor']).stdout);
    const outside = r.files.filter((f) => !f.startsWith(path.join(dist, 'cli/bundle') + '/') && f !== path.join(dist, 'cli/main.js') && f !== path.join(path.dirname(dist), 'package.json'));
    expect(outside).toEqual([]);
    // 60 files of ours and commander's 8 before; the bundle's chunks now (a bound, not an exact count: chunking may change)
    expect(r.files.length).toBeLessThanOrEqual(30);
  });

  it('ask (extractive) answers as the sources do', () => {
    const r = bundled(['ask', 'What damping factor does PageRank use?']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fromSource(['ask', 'What damping factor does PageRank use?']).stdout);
  });

  it('--version reads the package version', () => {
    const r = bundled(['--version']);
    expect(r.stdout).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version + '\n');
  });

  it("every import.meta.url in the bundle is a source file's own, pointing at its tsc build", () => {
    const bundleDir = path.join(dist, 'cli/bundle');
    const rewritten = new Set<string>();
    for (const f of readdirSync(bundleDir)) {
      const text = readFileSync(path.join(bundleDir, f), 'utf8');
      // the banner's one use: the dist folder, two levels up
      expect(text.split('import.meta.url').length - 1).toBe(2);
      for (const m of text.matchAll(/new URL\("([^"]+\.js)", __obDist\)/g)) rewritten.add(m[1]);
    }
    // workers, the web page's static files and createRequire resolve from these files' places
    for (const f of ['index/dense/hnsw.js', 'server/app.js', 'index/parallel/search-pool.js', 'ingest/parse-pool.js', 'index/store/analysis-pool.js', 'cli/main.js']) expect(rewritten).toContain(f);
    for (const f of rewritten) expect(existsSync(path.join(ROOT, 'src', f.replace(/\.js$/, '.ts')))).toBe(true);
  });
});
