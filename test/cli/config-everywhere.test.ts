/**
 * Issue 13 item 2: every retrieval option set in `openbook.config.json` is honoured by every
 * command that takes it — search, ask, eval retrieval and the HTTP API of `openbook serve` —
 * exactly as the same flag (or request field) would be. One test per option and face. A
 * loopback server (test/support/openai-server.ts, hashing embeddings) stands in for the
 * embedding model of the hybrid options.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe as startServeCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

let dir: string;
let server: OpenAIServer;
const CONFIG = () => path.join(dir, 'openbook.config.json');
const embedEnv = () => ({ OPENBOOK_EMBED_BASE_URL: server.url, OPENBOOK_EMBED_MODEL: 'test-embed' });

type Hit = { chunkId: string; score: number; scores?: Record<string, number> };

/** `args --json` with `config` written as openbook.config.json (none when undefined). */
async function json(args: string[], config?: unknown, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  rmSync(CONFIG(), { force: true });
  if (config !== undefined) writeFileSync(CONFIG(), JSON.stringify(config));
  try {
    const r = await runCli(dir, [...args, '--json'], { ...embedEnv(), ...env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    rmSync(CONFIG(), { force: true });
  }
}
const hits = (r: Record<string, unknown>) => r.hits as Hit[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-cfg-everywhere-'));
  server = await startOpenAIServer();
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  for (let i = 0; i < 6; i++) writeFileSync(path.join(dir, `d${i}.txt`), `retrieval ${'word '.repeat(i)}${words[i]} document number ${i}\n`);
  // A tiny BEIR set for eval retrieval: the same six documents, two queries.
  const beir = path.join(dir, 'beir');
  mkdirSync(path.join(beir, 'qrels'), { recursive: true });
  writeFileSync(path.join(beir, 'corpus.jsonl'), words.map((w, i) => JSON.stringify({ _id: `d${i}`, title: '', text: `retrieval ${'word '.repeat(i)}${w} document number ${i}` })).join('\n') + '\n');
  writeFileSync(path.join(beir, 'queries.jsonl'), [JSON.stringify({ _id: 'q1', text: 'word gamma document' }), JSON.stringify({ _id: 'q2', text: 'retrieval zeta' })].join('\n') + '\n');
  writeFileSync(path.join(beir, 'qrels/test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td5\t1\n');
  const r = await runCli(dir, ['index', '.', '--embed'], embedEnv());
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('search and ask: each hybrid option from the file equals its flag', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['retriever', { retriever: 'hybrid' }, ['--retriever', 'hybrid']],
    ['fusion', { retriever: 'hybrid', fusion: 'linear' }, ['--retriever', 'hybrid', '--fusion', 'linear']],
    ['rrfK', { retriever: 'hybrid', rrfK: 5 }, ['--retriever', 'hybrid', '--rrf-k', '5']],
    ['alpha', { retriever: 'hybrid', fusion: 'linear', alpha: 0.2 }, ['--retriever', 'hybrid', '--fusion', 'linear', '--alpha', '0.2']],
    ['normalization', { retriever: 'hybrid', fusion: 'linear', normalization: 'z-score' }, ['--retriever', 'hybrid', '--fusion', 'linear', '--normalization', 'z-score']],
  ];
  for (const [name, retrieval, flags] of cases) {
    it(`retrieval.${name}`, async () => {
      const byFlags = hits(await json(['search', 'word gamma document', ...flags]));
      const byFile = hits(await json(['search', 'word gamma document'], { retrieval }));
      expect(byFile).toEqual(byFlags);
      if (name === 'retriever') {
        // ask reads the same retrieval options (one parser for both commands)
        const ask = hits(await json(['ask', 'word gamma document', '--extractive'], { retrieval }));
        expect(ask).toEqual(hits(await json(['ask', 'word gamma document', '--extractive', ...flags])));
      }
      if (name === 'rrfK') expect(byFile[0].scores!.rrf).toBeCloseTo(2 / 6, 10); // rank 1 in both lists: 2 / (5 + 1)
      if (name === 'normalization') expect(byFile.map((h) => h.score)).not.toEqual(hits(await json(['search', 'word gamma document', '--retriever', 'hybrid', '--fusion', 'linear'])).map((h) => h.score));
    });
  }
});

describe('eval retrieval: each option from the file equals its flag', () => {
  const evalArgs = ['eval', 'retrieval', '--dataset', 'beir', '--cache', 'eval-cache', '--bootstrap', '10'];
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['similarity', { similarity: 'tfidf' }, ['--similarity', 'tfidf']],
    ['k1', { k1: 2 }, ['--k1', '2']],
    ['b', { b: 1 }, ['--b', '1']],
    ['retriever', { retriever: 'hybrid' }, ['--retriever', 'hybrid']],
    ['fusion', { retriever: 'hybrid', fusion: 'linear' }, ['--retriever', 'hybrid', '--fusion', 'linear']],
    ['rrfK', { retriever: 'hybrid', rrfK: 5 }, ['--retriever', 'hybrid', '--rrf-k', '5']],
    ['alpha', { retriever: 'hybrid', fusion: 'linear', alpha: 0.2 }, ['--retriever', 'hybrid', '--fusion', 'linear', '--alpha', '0.2']],
    ['normalization', { retriever: 'hybrid', fusion: 'linear', normalization: 'z-score' }, ['--retriever', 'hybrid', '--fusion', 'linear', '--normalization', 'z-score']],
  ];
  for (const [name, retrieval, flags] of cases) {
    it(`retrieval.${name}`, async () => {
      const byFlags = await json([...evalArgs, ...flags]);
      const byFile = await json(evalArgs, { retrieval });
      expect(byFile.config).toEqual(byFlags.config);
      expect(byFile.metrics).toEqual(byFlags.metrics);
      expect((byFile.config as Record<string, unknown>)[name]).toEqual(retrieval[name]);
    }, 30_000);
  }
});

/** `openbook serve` on a free loopback port in `dir` (so it finds the config file there). */
function startServe(): Promise<{ url: string; child: ChildProcess }> {
  return startServeCli(['--port', '0'], { cwd: dir, env: embedEnv() });
}

describe('the HTTP API of openbook serve: each option from the file equals the CLI flag', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['topK', { topK: 2, k1: 2, b: 1 }, ['--top-k', '2', '--k1', '2', '--b', '1']],
    ['similarity', { similarity: 'tfidf' }, ['--similarity', 'tfidf']],
    ['retriever', { retriever: 'hybrid', fusion: 'linear', rrfK: 5, alpha: 0.2, normalization: 'z-score' }, ['--retriever', 'hybrid', '--fusion', 'linear', '--rrf-k', '5', '--alpha', '0.2', '--normalization', 'z-score']],
  ];
  for (const [, retrieval, flags] of cases) {
    it(`retrieval.${Object.keys(retrieval).join(', ')}`, async () => {
      const [expected, expectedAsk] = (await Promise.all([json(['search', 'word gamma document', ...flags]), json(['ask', 'word gamma document', '--extractive', ...flags])])).map(hits);
      writeFileSync(CONFIG(), JSON.stringify({ retrieval, server: { rateLimitPerMinute: 0 } }));
      const { url, child } = await startServe();
      try {
        const search = (await (await fetch(`${url}/v1/search?q=${encodeURIComponent('word gamma document')}`)).json()) as { hits: Hit[] };
        const strip = (hs: Hit[]) => hs.map((h) => ({ chunkId: h.chunkId, score: h.score, scores: h.scores }));
        expect(strip(search.hits)).toEqual(strip(expected));
        const ask = (await (await fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'word gamma document' }) })).json()) as { hits: Hit[] };
        expect(strip(ask.hits)).toEqual(strip(expectedAsk));
      } finally {
        child.kill('SIGTERM');
        rmSync(CONFIG(), { force: true });
      }
    }, 30_000);
  }
});
