/**
 * Instant CLI (#13): a command loads only what it uses. Each case runs the real `openbook` (tsx on
 * src/cli/main.ts) with a module hook that logs every ES module and CommonJS file the process
 * loads (test/support/load-log.mjs), and checks what must stay out. The wall-time figures are
 * `npm run bench:cli` (bench/cli-startup.ts), not a timed test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const LOAD_LOG = path.join(ROOT, 'test/support/load-log.mjs');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

let dir: string;

/** Runs openbook with the load log on; returns the output and the loaded files (relative to the repository). */
function loaded(args: string[]) {
  const log = path.join(dir, `load-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', TSX_LOADER, '--import', LOAD_LOG, MAIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', OPENBOOK_LOAD_LOG: log } });
  const files = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => (u.startsWith('file://') ? new URL(u).pathname : u)))]
    .filter((f) => f.startsWith(ROOT + '/'))
    .map((f) => path.relative(ROOT, f));
  const packages = [...new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1].startsWith('@') ? 3 : 2).join('/')))];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, files, packages };
}

/** Stages and packages no search or extractive answer needs (zod: the config schema, not loaded with no config file, variable or flag). */
const NOT_FOR_SEARCH = {
  folders: ['src/server/', 'src/eval/', 'src/train/', 'src/ingest/'],
  files: [
    'src/methods/registry.ts', 'src/engine/pg-engine.ts', 'src/index/pg/store.ts',
    // the index writer, the vector code (an index without --embed has none), the link graph (--prior), the search workers, the LLM answer
    'src/index/store/writer.ts', 'src/index/dense/store.ts', 'src/index/dense/exact.ts', 'src/index/dense/hnsw.ts', 'src/index/graph/store.ts', 'src/index/parallel/search-pool.ts', 'src/generate/llm-answer.ts',
    // the rerankers, the response cache and the Yes/No judge, with no reranker configured
    'src/retrieve/rerank.ts', 'src/models/cache.ts', 'src/models/yes-no.ts',
  ],
  packages: ['hono', '@hono/node-server', 'pg', 'pg-copy-streams', 'openai', 'yaml', 'unpdf', 'mammoth', 'linkedom', '@mozilla/readability', 'cli-progress', 'usearch', 'onnxruntime-node', '@huggingface/transformers', 'ioredis', 'zod'],
};

function expectLean(r: ReturnType<typeof loaded>): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.files.filter((f) => NOT_FOR_SEARCH.folders.some((d) => f.startsWith(d)))).toEqual([]);
  expect(r.files.filter((f) => NOT_FOR_SEARCH.files.includes(f))).toEqual([]);
  expect(r.packages.filter((p) => NOT_FOR_SEARCH.packages.includes(p))).toEqual([]);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-lazy-'));
  writeFileSync(path.join(dir, 'pagerank.md'), '# PageRank\n\nPageRank uses a damping factor d = 0.85 in its power iteration.\n');
  writeFileSync(path.join(dir, 'bm25.md'), '# BM25\n\nBM25 uses k1 and b to saturate and normalise term frequency.\n');
  const r = spawnSync(process.execPath, ['--import', TSX_LOADER, MAIN, 'index', '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '' } });
  expect(r.status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('each command loads only what it uses', () => {
  it('search loads no server, eval, train, ingest, method registry, pg, HTTP, model or loader package', () => {
    const r = loaded(['search', 'damping factor']);
    expect(r.stdout).toMatch(/^ 1\. pagerank\.md:1-3/);
    expectLean(r);
    expect(r.files).toContain('src/cli/commands/search.ts');
    expect(r.files).not.toContain('src/cli/commands/eval.ts');
  });

  it('ask (extractive) loads the same and not the method implementations', () => {
    const r = loaded(['ask', 'What damping factor does PageRank use?']);
    expect(r.stdout).toMatch(/0\.85/);
    expectLean(r);
    expect(r.files.filter((f) => f.startsWith('src/methods/') && !['src/methods/format.ts', 'src/methods/retrieval.ts'].includes(f))).toEqual([]);
  });

  it('--version loads no engine or index code', () => {
    const r = loaded(['--version']);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.files.filter((f) => f.startsWith('src/') && !f.startsWith('src/cli/') && !f.startsWith('src/core/'))).toEqual([]);
  });

  it('ask --help still lists every method by name (from the registry)', async () => {
    const { methodNames } = await import('../../src/methods/registry.js');
    const r = loaded(['ask', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`a RAG method by name: ${methodNames.join(', ')}`);
  });

  it('top-level --help lists every command', () => {
    const r = loaded(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['index', 'search', 'ask', 'status', 'config', 'doctor', 'eval', 'regress', 'serve', 'graph', 'train-data', 'knnlm', 'store']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
  });
});
