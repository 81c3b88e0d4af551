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
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
/** The code cache folder of these runs. */
let cache: string;

/** Runs the bundled CLI in `notes` with the load log; returns its output and the files it loaded. */
function bundled(args: string[], o: { entry?: string; env?: NodeJS.ProcessEnv } = {}) {
  const log = path.join(work, `load-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const env = { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', OPENBOOK_LOAD_LOG: log, OPENBOOK_COMPILE_CACHE: cache, ...o.env };
  const r = spawnSync(process.execPath, ['--import', LOAD_LOG, path.join(dist, o.entry ?? 'cli/main.js'), ...args], { cwd: notes, encoding: 'utf8', env });
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
  cache = path.join(work, 'compile-cache');
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
    const own = [path.join(dist, 'cli/main.js'), path.join(path.dirname(dist), 'package.json')];
    const outside = r.files.filter((f) => !f.startsWith(path.join(dist, 'cli/bundle') + '/') && !own.includes(f));
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

  it('the ES-module bundle (what runs with the code cache off) answers as the sources do', () => {
    for (const args of [['search', 'damping factor'], ['ask', 'What damping factor does PageRank use?']]) {
      const r = bundled(args, { entry: 'cli/bundle/main.js' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(fromSource(args).stdout);
    }
  });

  it('a package loaded on first use (the OpenAI SDK, for a configured LLM) comes through the entry: the same answer as the sources, no warning', () => {
    const env = { OPENBOOK_LLM_BASE_URL: 'http://127.0.0.1:9/v1', OPENBOOK_LLM_MODEL: 'x' };
    const config = path.join(work, 'no-retries.json');
    writeFileSync(config, JSON.stringify({ llm: { maxRetries: 0 } }));
    const args = ['ask', 'What damping factor?', '--config', config];
    const r = bundled(args, { env });
    const src = spawnSync(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: notes, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', ...env } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Connection error');
    expect(r.stderr).not.toMatch(/Warning/);
    expect(r.stderr).toBe(src.stderr);
    // the SDK was imported by the ES-module entry, beside the bundle
    expect(r.files.some((f) => f.includes('/node_modules/openai/'))).toBe(true);
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
      // the banner's one use in each ES chunk: the dist folder, two levels up (from __filename in cli.cjs)
      const cjs = f.endsWith('.cjs');
      expect(text.split('import.meta.url').length - 1).toBe(cjs ? 0 : 2);
      if (cjs) expect(text).not.toContain('import.meta');
      for (const m of text.matchAll(/new URL\("([^"]+\.js)", __obDist\)/g)) rewritten.add(m[1]);
    }
    // workers, the web page's static files and createRequire resolve from these files' places
    for (const f of ['index/dense/hnsw.js', 'server/app.js', 'index/parallel/search-pool.js', 'ingest/parse-pool.js', 'index/store/analysis-pool.js', 'cli/main.js']) expect(rewritten).toContain(f);
    for (const f of rewritten) expect(existsSync(path.join(ROOT, 'src', f.replace(/\.js$/, '.ts')))).toBe(true);
  });
});

describe('the code cache of the bundled CLI (cli/code-cache.ts)', () => {
  const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

  it('the first run of a command writes its cache, a second run reads it and writes nothing', () => {
    const dir = path.join(work, 'cache-first');
    const r1 = bundled(['search', 'damping factor'], { env: { OPENBOOK_COMPILE_CACHE: dir } });
    expect(r1.code).toBe(0);
    const written = files(dir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(new RegExp(`^[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}-search\\.cache$`));
    expect((statSync(path.join(dir, written[0])).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    const before = readFileSync(path.join(dir, written[0]));
    utimesSync(path.join(dir, written[0]), new Date(0), new Date(0));
    const r2 = bundled(['search', 'damping factor'], { env: { OPENBOOK_COMPILE_CACHE: dir } });
    expect(r2.stdout).toBe(r1.stdout);
    // accepted by V8, so not written again
    expect(statSync(path.join(dir, written[0])).mtimeMs).toBe(0);
    expect(readFileSync(path.join(dir, written[0])).equals(before)).toBe(true);
    // another command has its own
    expect(bundled(['ask', 'What damping factor does PageRank use?'], { env: { OPENBOOK_COMPILE_CACHE: dir } }).code).toBe(0);
    expect(files(dir).map((f) => f.replace(/^.*-/, '')).sort()).toEqual(['ask.cache', 'search.cache']);
  });

  it('a cache V8 rejects (garbage, another build) costs a compile: the answer is the same and the cache is written again', () => {
    const dir = path.join(work, 'cache-garbage');
    const first = bundled(['search', 'damping factor'], { env: { OPENBOOK_COMPILE_CACHE: dir } });
    const [name] = files(dir);
    writeFileSync(path.join(dir, name), Buffer.alloc(4096, 7));
    const r = bundled(['search', 'damping factor'], { env: { OPENBOOK_COMPILE_CACHE: dir } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(first.stdout);
    expect(readFileSync(path.join(dir, name)).equals(Buffer.alloc(4096, 7))).toBe(false);
  });

  it("writing a command's cache removes that command's caches of other builds and Node versions (and stray .tmp files) not written for a day; other commands' caches stay", () => {
    const dir = path.join(work, 'cache-prune');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tag = `${process.version}-${process.arch}`;
    const ago = (hours: number) => new Date(Date.now() - hours * 3600 * 1000);
    const files25h = ['0123456789abcdef-' + tag + '-search.cache', '0123456789abcdef-v18.0.0-' + process.arch + '-search.cache', '0123456789abcdef-' + tag + '-search.cache.4242.tmp'];
    const otherCommand25h = '0123456789abcdef-' + tag + '-ask.cache';
    const otherCommand31d = '0123456789abcdef-' + tag + '-serve.cache';
    const recent = 'fedcba9876543210-' + tag + '-search.cache';
    const unrelated = 'notes.txt';
    for (const f of [...files25h, otherCommand25h, otherCommand31d, recent, unrelated]) writeFileSync(path.join(dir, f), 'x', { mode: 0o600 });
    for (const f of [...files25h, otherCommand25h]) utimesSync(path.join(dir, f), ago(25), ago(25));
    for (const f of [otherCommand31d, unrelated]) utimesSync(path.join(dir, f), ago(31 * 24), ago(31 * 24));
    expect(bundled(['search', 'damping factor'], { env: { OPENBOOK_COMPILE_CACHE: dir } }).code).toBe(0);
    const left = files(dir);
    const kept = [otherCommand25h, otherCommand31d, recent, unrelated];
    const written = left.filter((f) => !kept.includes(f));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(new RegExp(`^[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}-search\\.cache$`));
    expect(left).toEqual([...kept, written[0]].sort());
  });

  it('OPENBOOK_COMPILE_CACHE=off and NODE_DISABLE_COMPILE_CACHE=1 write nothing; a folder others may write to is not used', () => {
    const off = path.join(work, 'cache-off');
    for (const env of [{ OPENBOOK_COMPILE_CACHE: 'off' }, { OPENBOOK_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: '1' }]) {
      const r = bundled(['search', 'damping factor'], { env: { ...env, TMPDIR: off } });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('PageRank');
    }
    expect(files(off)).toEqual([]);
    const shared = path.join(work, 'cache-shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const r = bundled(['search', 'damping factor'], { env: { OPENBOOK_COMPILE_CACHE: shared } });
    expect(r.code).toBe(0);
    expect(files(shared)).toEqual([]);
  });
});
