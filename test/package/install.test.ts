/**
 * Install as a dependency (#13), as a newcomer does: `npm pack` this repository (which builds
 * dist/), install the tarball into a fresh project with the npm registry as the only network
 * (the npm cache first, `--ignore-scripts`, no optional peers), and use it from there:
 * `import('openbook')`, `require('openbook')`, the `openbook` command (index, search, ask), a
 * vector index (the native library loads on first use) and the local embedder (optional: it must
 * say how to install it). Prints the installed size and the import time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_RUNTIME_INSTALL } from '../../src/models/onnx-folder.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The optional local-model stack and the dependency that was never imported: none may be installed. */
const ABSENT = ['@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', 'gpt-tokenizer', 'sharp'];
const SIZE_TARGET_MB = 100;

let work: string;
let proj: string;

/** Bytes under a folder (files only, symlinks not followed), like `du --apparent-size -b`. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Every installed package's package.json under node_modules (scoped and nested included). */
function installedPackages(nm: string): Array<{ dir: string; json: { name: string; scripts?: Record<string, string> } }> {
  const out: Array<{ dir: string; json: { name: string; scripts?: Record<string, string> } }> = [];
  const visit = (folder: string) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const p = path.join(folder, e.name);
      if (e.name.startsWith('@')) {
        visit(p);
        continue;
      }
      try {
        out.push({ dir: p, json: JSON.parse(readFileSync(path.join(p, 'package.json'), 'utf8')) });
      } catch {
        continue;
      }
      visit(path.join(p, 'node_modules'));
    }
  };
  visit(nm);
  return out;
}

/** Runs node in the fresh project (no tsx, no repository on the path). */
function node(args: string[], timeoutMs = 60_000) {
  const r = spawnSync(process.execPath, args, { cwd: proj, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', NODE_OPTIONS: '' } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const openbook = (args: string[]) => node([path.join(proj, 'node_modules', 'openbook', 'dist', 'cli', 'main.js'), ...args]);

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'openbook-install-'));
  proj = path.join(work, 'project');
  mkdirSync(proj);
  // `npm pack` runs `prepare` (the build), so the tarball holds today's dist/.
  const packed = execFileSync(NPM, ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = path.join(work, (JSON.parse(packed.slice(packed.indexOf('['))) as Array<{ filename: string }>)[0].filename);
  writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'fresh-project', version: '1.0.0', private: true }));
  execFileSync(NPM, ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], { cwd: proj, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  mkdirSync(path.join(proj, 'notes'));
  writeFileSync(path.join(proj, 'notes', 'pagerank.md'), '# PageRank\n\nPageRank uses a damping factor d = 0.85 in its power iteration.\n');
  writeFileSync(path.join(proj, 'notes', 'bm25.md'), '# BM25\n\nBM25 uses k1 and b to saturate and normalise term frequency.\n');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack + install into a fresh project', () => {
  it(`installs without the optional local-model stack, under ${SIZE_TARGET_MB} MB`, () => {
    const nm = path.join(proj, 'node_modules');
    const names = installedPackages(nm).map((p) => p.json.name);
    expect(names).toContain('openbook');
    expect(names.filter((n) => ABSENT.includes(n))).toEqual([]);
    const mb = folderBytes(nm) / 1e6;
    console.log(`installed size: ${mb.toFixed(1)} MB in ${names.length} packages (node_modules of a fresh project, npm install <tarball>)`);
    expect(mb).toBeLessThanOrEqual(SIZE_TARGET_MB);
  });

  it('nothing installed has an install script that could reach the network (usearch finds its prebuilt binary)', () => {
    const withScripts = installedPackages(path.join(proj, 'node_modules'))
      .filter((p) => p.json.scripts && ['preinstall', 'install', 'postinstall'].some((s) => p.json.scripts![s] !== undefined))
      .map((p) => [p.json.name, p.json.scripts!.preinstall ?? p.json.scripts!.install ?? p.json.scripts!.postinstall]);
    // usearch's script is node-gyp-build, which only looks for a prebuilt binary (shipped in its tarball) before compiling.
    expect(withScripts).toEqual([['usearch', 'node-gyp-build']]);
    const prebuilds = readdirSync(path.join(proj, 'node_modules', 'usearch', 'prebuilds'));
    expect(prebuilds).toContain(`${process.platform}-${process.arch}`);
  });

  it("import('openbook') from a CommonJS script loads quickly and exposes the API", () => {
    const r = node(['-e', "const t = performance.now(); import('openbook').then((m) => console.log(JSON.stringify({ ms: performance.now() - t, Engine: typeof m.Engine, indexPaths: typeof m.indexPaths })))"], 30_000);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ms: number; Engine: string; indexPaths: string };
    expect(out).toMatchObject({ Engine: 'function', indexPaths: 'function' });
    console.log(`import('openbook'): ${out.ms.toFixed(0)} ms (node -e, one cold run)`);
  });

  it("require('openbook') fails with one line saying the package is ESM-only", () => {
    const r = node(['-e', "try { require('openbook'); } catch (e) { console.log(e.message); process.exit(3); }"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("openbook is an ES module package: use import('openbook') (or import { Engine } from 'openbook'); require() is not supported\n");
  });

  it('the vector index loads its native library on first use, from a dynamic import', () => {
    const script = [
      "import('openbook').then(({ dense }) => {",
      '  const idx = new dense.HnswIndex({ dimension: 2, metric: "dot" });',
      '  idx.add([0, 1], new Float32Array([1, 0, 0, 1]));',
      '  console.log(JSON.stringify(idx.search(new Float32Array([0, 1]), 1)));',
      '});',
    ].join('\n');
    const r = node(['-e', script], 30_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // q·x1 = 1 → score 1 (ip distance 1 − 1 = 0)
    expect(JSON.parse(r.stdout)).toEqual([{ id: 1, score: 1 }]);
  });

  it('the local embedder, without its runtime, raises CapabilityError with the exact install command', () => {
    const modelDir = path.join(work, 'model');
    mkdirSync(modelDir);
    writeFileSync(path.join(modelDir, 'model.onnx'), 'not a real graph');
    writeFileSync(path.join(modelDir, 'tokenizer.json'), '{}');
    const script = `import('openbook').then(async (m) => {
      try { await new m.LocalEmbedder({ modelDir: ${JSON.stringify(modelDir)} }).load(); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ capability: e instanceof m.CapabilityError, code: e.code, message: e.message })); }
    });`;
    const r = node(['-e', script], 30_000);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { capability: boolean; code: string; message: string };
    expect(out).toMatchObject({ capability: true, code: 'CAPABILITY_MISSING' });
    expect(out.message).toContain(LOCAL_RUNTIME_INSTALL);
  });

  it('openbook index, search and ask work from the installed package', () => {
    const idx = openbook(['index', 'notes']);
    expect(idx.stderr).not.toMatch(/error|warn/i);
    expect(idx.code).toBe(0);
    expect(idx.stdout).toMatch(/indexed 2 files/);
    const search = openbook(['search', 'damping factor', '--json']);
    expect(search.code).toBe(0);
    const hits = JSON.parse(search.stdout) as { hits: Array<{ source: string }> };
    expect(hits.hits[0].source).toBe('notes/pagerank.md');
    const ask = openbook(['ask', 'What damping factor does PageRank use?']);
    expect(ask.code).toBe(0);
    expect(ask.stdout).toMatch(/0\.85/);
    expect(ask.stdout).toMatch(/notes\/pagerank\.md/);
  });
});
