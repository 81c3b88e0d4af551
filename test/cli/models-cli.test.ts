/**
 * The CLI with a model configured, end to end: each command is a child process; a real
 * HTTP server on 127.0.0.1 (test/support/openai-server.ts) stands in for the model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';


let dir: string;
let server: OpenAIServer;

/** Runs the CLI asynchronously (the server lives in this process, so spawnSync would block it). */
const run = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, env);

const chatRequests = () => server.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-models-cli-'));
  writeFileSync(path.join(dir, 'hyde.md'), '# HyDE\n\nHyDE asks a language model to write a hypothetical document before it retrieves.\n');
  writeFileSync(path.join(dir, 'bm25.md'), '# BM25\n\nBM25 normalises term frequency by document length with k1 and b.\n');
  server = await startOpenAIServer({ chat: () => 'It writes a hypothetical document first [1], see also [7].' });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openbook CLI with a model (loopback server stands in for the model)', () => {
  const llmEnv = () => ({ OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model' });
  const embedEnv = () => ({ OPENBOOK_EMBED_BASE_URL: server.url, OPENBOOK_EMBED_MODEL: 'test-embed' });

  it('index --embed stores passage vectors and a second run embeds nothing', async () => {
    const first = await run(['index', '.', '--embed'], embedEnv());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/embeddings: 2 chunks embedded, 0 already stored/);
    const second = await run(['index', '.', '--embed'], embedEnv());
    expect(second.stdout).toMatch(/no changes/);
    expect(second.stdout).toMatch(/embeddings: 0 chunks embedded, 2 already stored/);
  });

  it('search --retriever hybrid fuses BM25 and dense scores by chunk id', async () => {
    const r = await run(['search', 'hypothetical document', '--retriever', 'hybrid', '--json'], embedEnv());
    expect(r.code, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout).hits;
    expect(hits[0].chunkId).toBe('hyde.md#0');
    expect(Object.keys(hits[0].scores)).toEqual(expect.arrayContaining(['bm25', 'dense', 'rrf']));
    // RRF with rrfK 60: rank 1 in both lists → 2/61.
    expect(hits[0].scores.rrf).toBeCloseTo(2 / 61, 10);
  });

  it('dense retrieval without an embedder is refused with exit 2', async () => {
    const r = await run(['search', 'x', '--retriever', 'dense']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs an embedding model/);
  });

  it('ask streams an LLM answer; markers to no passage are removed and reported; citations resolve', async () => {
    const r = await run(['ask', 'What does HyDE write first?', '--json'], llmEnv());
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.method).toBe('llm');
    expect(a.model).toBe('test-model');
    expect(a.answer).toBe('It writes a hypothetical document first [1], see also.');
    expect(a.invalidCitations).toEqual([7]);
    expect(a.citations).toHaveLength(1);
    expect(a.citations[0].source).toBe('hyde.md');
    expect(a.hits[0].text).toContain(a.citations[0].quote);
    const human = await run(['ask', 'What does HyDE write first?'], llmEnv());
    expect(human.stdout).toMatch(/hypothetical document first \[1\]/);
    expect(human.stderr).toMatch(/removed citation markers that point to no passage: \[7\]/);
  });

  it('a second identical ask is answered from the cache with no model call', async () => {
    await run(['ask', 'Which parameters normalise BM25?', '--json'], llmEnv());
    const before = chatRequests();
    const r = await run(['ask', 'Which parameters normalise BM25?', '--json'], llmEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(chatRequests()).toBe(before);
  });

  it('--extractive answers offline even with a model configured', async () => {
    const before = chatRequests();
    const r = await run(['ask', 'What does HyDE write before it retrieves?', '--extractive', '--json'], llmEnv());
    const a = JSON.parse(r.stdout);
    expect(a.method).toBe('extractive');
    expect(a.citations[0].quote).toBe('HyDE asks a language model to write a hypothetical document before it retrieves.');
    expect(chatRequests()).toBe(before);
  });

  it('ask --method hyde --trace prints each step', async () => {
    const r = await run(['ask', 'What does HyDE write?', '--method', 'hyde', '--trace', '--param', 'numHypotheses=2'], llmEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Trace \(hyde\)/);
    expect(r.stdout).toMatch(/\[generate\] hypothetical documents/);
    expect(r.stdout).toMatch(/\[retrieve\]/);
  });

  it('a method without a model configured is a clear error', async () => {
    const r = await run(['ask', 'q', '--method', 'naive']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a language model/);
    const unknown = await run(['ask', 'q', '--method', 'no-such-method'], llmEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown method "no-such-method"; valid: .*hyde/);
  });
});
