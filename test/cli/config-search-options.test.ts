/**
 * Issue 13 item 2, the options that had no config key: `retrieval.delta` (BM25L/BM25+ δ),
 * `retrieval.prior` and `retrieval.prWeight` (the PageRank prior) and `retrieval.context`
 * (small-to-big) — set in `openbook.config.json`, each changes `search`, `ask` and the HTTP API
 * of `openbook serve` exactly as its flag (or request field) does. And the HTTP request field of
 * the hit count is `topK`, as in the config file, with `k` kept as its alias.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe as startServeCli } from '../support/cli.js';

let dir: string;
const CONFIG = () => path.join(dir, 'openbook.config.json');
const QUERY = 'damping factor of the ranking';

type Hit = { chunkId: string; score: number; text: string; startLine: number; endLine: number };

/** `args --json` with `config` written as openbook.config.json (none when undefined). */
async function json(args: string[], config?: unknown): Promise<Record<string, unknown>> {
  rmSync(CONFIG(), { force: true });
  if (config !== undefined) writeFileSync(CONFIG(), JSON.stringify(config));
  try {
    const r = await runCli(dir, [...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    rmSync(CONFIG(), { force: true });
  }
}
const hits = (r: Record<string, unknown>) => (r.hits as Hit[]).map((h) => ({ chunkId: h.chunkId, score: h.score, text: h.text }));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-cfg-search-'));
  // Linked Markdown notes (a link graph for the PageRank prior), several sentences each (for sentence windows).
  const notes: Record<string, string> = {
    'pagerank.md': '# PageRank\n\nPageRank ranks pages by links. The damping factor d is 0.85 in the power iteration. Each page shares its rank over its out-links. See [BM25](bm25.md).\n',
    'bm25.md': '# BM25\n\nBM25 ranks documents by term frequency. Its damping of term frequency is k1. Length normalisation is b. See [PageRank](pagerank.md) and [HITS](hits.md).\n',
    'hits.md': '# HITS\n\nHITS computes hubs and authorities. A damping factor is not part of HITS. The ranking iterates to a fixed point. See [PageRank](pagerank.md).\n',
    'teleport.md': '# Teleportation\n\nThe random surfer teleports with probability 1 − d. The damping factor of the ranking is d. Teleportation makes the chain ergodic. See [PageRank](pagerank.md).\n',
  };
  for (const [name, text] of Object.entries(notes)) writeFileSync(path.join(dir, name), text);
  const r = await runCli(dir, ['index', '.', '--chunk-size', '24', '--chunk-overlap', '0']);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** [name, retrieval section, the flags that mean the same]; each case also differs from the defaults. */
const CASES: Array<[string, Record<string, unknown>, string[]]> = [
  ['delta', { similarity: 'bm25l', delta: 3 }, ['--similarity', 'bm25l', '--delta', '3']],
  ['prior, prWeight', { prior: 'pagerank', prWeight: 0.7 }, ['--prior', 'pagerank', '--pr-weight', '0.7']],
  ['context', { context: 'sentence-window:1' }, ['--context', 'sentence-window:1']],
];

describe('search and ask: each option from the file equals its flag', () => {
  for (const [name, retrieval, flags] of CASES) {
    it(`retrieval.${name}`, async () => {
      const byFlags = hits(await json(['search', QUERY, ...flags]));
      const byFile = hits(await json(['search', QUERY], { retrieval }));
      expect(byFile).toEqual(byFlags);
      // the option does something here: without it the hits differ
      const without = name === 'delta' ? ['--similarity', 'bm25l'] : [];
      expect(byFile).not.toEqual(hits(await json(['search', QUERY, ...without])));
      const ask = hits(await json(['ask', QUERY, '--extractive'], { retrieval }));
      expect(ask).toEqual(hits(await json(['ask', QUERY, '--extractive', ...flags])));
    }, 30_000);
  }

  it('a bad retrieval.context in the file is one line naming the file and field, exit 2', async () => {
    writeFileSync(CONFIG(), JSON.stringify({ retrieval: { context: 'window:3' } }));
    try {
      const r = await runCli(dir, ['search', QUERY]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/openbook\.config\.json.*retrieval\.context/);
    } finally {
      rmSync(CONFIG(), { force: true });
    }
  });
});

/** `openbook serve` on a free loopback port in `dir` (so it finds the config file there). */
function startServe(): Promise<{ url: string; child: ChildProcess }> {
  return startServeCli(['--port', '0'], { cwd: dir });
}

const askBody = (extra: Record<string, unknown> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: QUERY, ...extra }) });

describe('the HTTP API of openbook serve', () => {
  for (const [name, retrieval, flags] of CASES) {
    it(`retrieval.${name} from the file equals the CLI flag`, async () => {
      const [expected, expectedAsk] = (await Promise.all([json(['search', QUERY, ...flags]), json(['ask', QUERY, '--extractive', ...flags])])).map(hits);
      writeFileSync(CONFIG(), JSON.stringify({ retrieval, server: { rateLimitPerMinute: 0 } }));
      const { url, child } = await startServe();
      try {
        const search = (await (await fetch(`${url}/v1/search?q=${encodeURIComponent(QUERY)}`)).json()) as Record<string, unknown>;
        expect(hits(search)).toEqual(expected);
        const ask = (await (await fetch(`${url}/v1/ask`, askBody())).json()) as Record<string, unknown>;
        expect(hits(ask)).toEqual(expectedAsk);
      } finally {
        child.kill('SIGTERM');
        rmSync(CONFIG(), { force: true });
      }
    }, 30_000);
  }

  it('request fields delta, prior, prWeight, context and topK (k its alias) mean what the flags mean', async () => {
    const all = ['--similarity', 'bm25l', '--delta', '3', '--prior', 'pagerank', '--pr-weight', '0.7', '--context', 'sentence-window:1'];
    const [expected, expectedAsk] = (await Promise.all([json(['search', QUERY, ...all, '--top-k', '2']), json(['ask', QUERY, '--extractive', ...all, '--top-k', '2'])])).map(hits);
    expect(expected).toHaveLength(2);
    writeFileSync(CONFIG(), JSON.stringify({ server: { rateLimitPerMinute: 0 } }));
    const { url, child } = await startServe();
    try {
      const fields = 'similarity=bm25l&delta=3&prior=pagerank&prWeight=0.7&context=sentence-window%3A1';
      const q = encodeURIComponent(QUERY);
      for (const count of ['topK=2', 'k=2', 'topK=2&k=2']) {
        const res = await fetch(`${url}/v1/search?q=${q}&${fields}&${count}`);
        expect(res.status, count).toBe(200);
        expect(hits((await res.json()) as Record<string, unknown>), count).toEqual(expected);
      }
      const both = await fetch(`${url}/v1/search?q=${q}&topK=2&k=3`);
      expect(both.status).toBe(400);
      expect(((await both.json()) as { error: { message: string } }).error.message).toMatch(/topK.*\bk\b/);
      const body = { similarity: 'bm25l', delta: 3, prior: 'pagerank', prWeight: 0.7, context: 'sentence-window:1' };
      for (const count of [{ topK: 2 }, { k: 2 }]) {
        const ask = (await (await fetch(`${url}/v1/ask`, askBody({ ...body, ...count }))).json()) as Record<string, unknown>;
        expect(hits(ask), JSON.stringify(count)).toEqual(expectedAsk);
      }
      const bad = await fetch(`${url}/v1/search?q=${q}&context=window`);
      expect(bad.status).toBe(400);
      const spec = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }> };
      expect(spec.paths['/v1/search'].get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['topK', 'k', 'delta', 'prior', 'prWeight', 'context']));
    } finally {
      child.kill('SIGTERM');
      rmSync(CONFIG(), { force: true });
    }
  }, 30_000);
});
