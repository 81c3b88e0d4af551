/**
 * `import('openbook')` loads no heavy library it does not need yet (#13 item 1: "native modules
 * load lazily, on first use"; the import time). A child process imports the library entry
 * (src/index.ts through tsx, as dist/index.js is its build) with the module hook of
 * test/support/load-log.mjs, which logs every ES module and CommonJS file loaded, and the test
 * checks which packages are among them — an assertion about what is loaded, not a timing (the
 * import time is measured in docs/performance.md). Then each lazy library is shown to load when
 * its feature is first used.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const TSX_LOADER = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const LOAD_LOG = path.join(ROOT, 'test/support/load-log.mjs');
const ENTRY = path.join(ROOT, 'src/index.ts');

/**
 * Packages `import('openbook')` must not load: the OpenAI client (154 modules), the PostgreSQL
 * driver, the YAML, HTML/XML, PDF and glob/gitignore parsers, the native vector library and every
 * loader, server or CLI package. zod stays: the config schema objects (`OpenbookConfig`, …) are
 * values of the public API.
 */
const LAZY = [
  'openai', 'pg', 'pg-copy-streams', 'yaml', 'htmlparser2', 'entities', 'domutils', 'unpdf', 'picomatch', 'ignore',
  'usearch', 'mammoth', 'linkedom', '@mozilla/readability', 'cfb', 'chardet', 'hono', '@hono/node-server', 'ioredis',
  'cli-progress', 'commander', 'onnxruntime-node', '@huggingface/transformers',
];

let dir: string;

/** Runs `script` (ESM, `openbook` bound to the library) with the load log; returns its output and the packages loaded. */
function run(script: string) {
  const log = path.join(dir, `load-${Math.random().toString(36).slice(2)}.txt`);
  const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(log, '');
  writeFileSync(file, `const openbook = await import(${JSON.stringify(ENTRY)});\n${script}\n`);
  const r = spawnSync(process.execPath, ['--import', TSX_LOADER, '--import', LOAD_LOG, file], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_LOAD_LOG: log } });
  const files = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => (u.startsWith('file://') ? new URL(u).pathname : u)))]
    .filter((f) => f.startsWith(ROOT + '/node_modules/'))
    .map((f) => path.relative(path.join(ROOT, 'node_modules'), f));
  const packages = [...new Set(files.map((f) => f.split('/').slice(0, f.startsWith('@') ? 2 : 1).join('/')))].filter((p) => p !== 'tsx' && p !== 'esbuild' && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("import('openbook') loads no heavy library before it is used", () => {
  it('the library imports with its API and none of the lazy packages', () => {
    const r = run("console.log(typeof openbook.Engine, typeof openbook.OpenAICompatibleModel, typeof openbook.indexPaths, typeof openbook.OpenbookConfig.parse);");
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('function function function function\n');
    expect(r.packages.filter((p) => LAZY.includes(p))).toEqual([]);
  });

  it('constructing the OpenAI-compatible model and embedder loads no OpenAI client; it loads on the first request', () => {
    // 127.0.0.1:9 (discard): nothing listens, so the request fails with a connection error after the SDK loaded
    const r = run(`
      const lm = new openbook.OpenAICompatibleModel({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', maxRetries: 0 });
      const emb = new openbook.OpenAIEmbedder({ baseUrl: 'http://127.0.0.1:9/v1', model: 'e', maxRetries: 0 });
      console.log(typeof lm.generate, typeof emb.embed);
      const fs = await import('node:fs');
      const before = fs.readFileSync(process.env.OPENBOOK_LOAD_LOG, 'utf8').includes('/node_modules/openai/');
      const err = await lm.generate([{ role: 'user', content: 'hi' }]).catch((e) => e);
      console.log(before, err instanceof openbook.ModelError, /127\\.0\\.0\\.1:9/.test(err.message));`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('function function\nfalse true true\n');
    expect(r.packages).toContain('openai');
  });

  it('loaders load their parsers on first use: YAML front matter, HTML', () => {
    const r = run(`
      const md = openbook.loadMarkdown(new TextEncoder().encode('---\\ntags: [a, b]\\n---\\n# BM25\\n\\nk1 and b.\\n'), { relPath: 'x.md', format: 'md', mtimeMs: 0 });
      const html = openbook.loadHtml(new TextEncoder().encode('<html><body><h1>PageRank</h1><p>d = 0.85</p></body></html>'), { relPath: 'x.html', format: 'html', mtimeMs: 0 });
      console.log(JSON.stringify([md.meta?.tags, html.text.includes('0.85')]));`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([['a', 'b'], true]);
    expect(r.packages).toEqual(expect.arrayContaining(['yaml', 'htmlparser2']));
  });
});
