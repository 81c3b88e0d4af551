/**
 * `openbook eval lm` and `openbook knnlm build` end to end as child
 * processes, with the tiny ONNX decoder (test/support/tiny-causal-lm.ts) standing in for a real
 * local model and the loopback server (test/support/openai-server.ts) for an API model.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN as MAIN, REPO_ROOT as ROOT, runCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { writeTinyCausalLmFolder } from '../support/tiny-causal-lm.js';

let dir: string;
let model: string;
let server: OpenAIServer;

const run = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_LLM_MODEL_DIR: '', ...env });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-lm-cli-'));
  model = writeTinyCausalLmFolder(path.join(dir, 'tiny-lm'));
  writeFileSync(path.join(dir, 'a.txt'), 'ab ba');
  writeFileSync(path.join(dir, 'bad.jsonl'), '{"text": "ab"}\n{"body": 1}\n');
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LM commands (tiny decoder and loopback server stand in for models)', () => {
  it('eval lm prints perplexity and bits per byte with intervals; knnlm build + eval lm --knn side by side with a λ sweep', async () => {
    const r = await run(['eval', 'lm', '--dataset', 'a.txt', '--model', model, '--json', '--bootstrap', '50']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    // −(3 ln 0.75 + 2 ln(1/1024)) / 5 tokens (see test/eval/perplexity.test.ts)
    expect(j.overall.perplexity).toBeCloseTo(Math.exp(-(3 * Math.log(0.75) + 2 * Math.log(1 / 1024)) / 5), 6);
    expect(j.overall.perplexityCi.low).toBeGreaterThan(0);
    const b = await run(['knnlm', 'build', '--corpus', 'a.txt', '--model', model, '--out', 'store']);
    expect(b.stdout).toContain('5 keys (5 added, 0 files already in)');
    const k = await run(['eval', 'lm', '--dataset', 'a.txt', '--model', model, '--knn', 'store', '--bootstrap', '50']);
    expect(k.stdout).toContain('kNN-LM ppl');
    expect(k.stdout).toContain('λ sweep');
  }, 60_000);

  it('the API path goes through /v1/completions echo; a bad JSONL line is one clear error, exit 2', async () => {
    const r = await run(['eval', 'lm', '--dataset', 'a.txt', '--json', '--bootstrap', '20'], { OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model' });
    expect(JSON.parse(r.stdout).overall.tokens).toBe(1); // "ab" | " ba": the fake server's one token " ba"
    expect(server.requests.some((q) => q.path.endsWith('/completions') && (q.body as { echo?: boolean }).echo === true)).toBe(true);
    const bad = await run(['eval', 'lm', '--dataset', 'bad.jsonl', '--model', model]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.jsonl:2: field "text"');
  }, 60_000);

  it('ask --method knn-lm with a local model folder prints the answer and a per-token trace (neighbours, p_LM, p_kNN, mix)', async () => {
    writeFileSync(path.join(dir, 'dot.txt'), 'a.');
    expect((await run(['index', 'dot.txt', '--index', 'ix'])).code).toBe(0);
    expect((await run(['knnlm', 'build', '--corpus', 'dot.txt', '--model', model, '--out', 'dot-store'])).code).toBe(0);
    // As test/methods/knn-lm.test.ts: λ = 0.9 over the datastore of "a." decodes "a" then "."
    const r = await run(['ask', 'q', '--index', 'ix', '--method', 'knn-lm', '--param', 'datastore=dot-store', '--param', 'lambda=0.9', '--param', 'maxTokens=2', '--trace'], { OPENBOOK_LLM_MODEL_DIR: model });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('a.');
    expect(r.stdout).toContain('Trace (knn-lm)');
    expect(r.stdout).toMatch(/\[decide\] token 2/);
    expect(r.stdout).toMatch(/pKNN: 0\.8808/); // 1 / (1 + e^−2), shown to 4 places
    expect(r.stdout).toMatch(/distance.*0/);
  }, 60_000);

  it('over an API model: knnlm build keys with the embedder and eval lm --knn reports the approximation side by side', async () => {
    const env = { OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: server.url, OPENBOOK_EMBED_MODEL: 'test-embed' };
    writeFileSync(path.join(dir, 'words.txt'), 'one two one two one two');
    const b = await run(['knnlm', 'build', '--corpus', 'words.txt', '--out', 'api-store', '--json'], env);
    expect(b.stderr).toBe('');
    // 6 words: the first is context only, the loopback's tokens are words → 5 keys
    expect(JSON.parse(b.stdout)).toMatchObject({ keys: 'embedder', rows: 5, added: 5 });
    const k = await run(['eval', 'lm', '--dataset', 'words.txt', '--knn', 'api-store', '--bootstrap', '20', '--json'], env);
    expect(k.stderr).toContain('approximation');
    const j = JSON.parse(k.stdout);
    expect(j.overall.tokens).toBe(5);
    // the loopback gives each 3-letter word log p −0.3; λ = 0 of the sweep is the LM exactly
    expect(j.overall.perplexity).toBeCloseTo(Math.exp(0.3), 9);
    expect(j.lambdaSweep.find((x: { lambda: number }) => x.lambda === 0).perplexity).toBe(j.overall.perplexity);
    expect(j.overall.knn.perplexity).not.toBe(j.overall.perplexity);
    const noEmbed = await run(['knnlm', 'build', '--corpus', 'words.txt', '--out', 'x-store'], { OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: '' });
    expect(noEmbed.code).toBe(2);
    expect(noEmbed.stderr).toContain('embedder');
  }, 60_000);

  it('knnlm build killed (SIGKILL) mid-build leaves the last committed datastore readable, and a re-run completes it to the same rows', async () => {
    const corpus = path.join(dir, 'many');
    mkdirSync(corpus);
    for (let i = 0; i < 40; i++) writeFileSync(path.join(corpus, `f${String(i).padStart(2, '0')}.txt`), 'ab ba. '.repeat(150));
    // One process (node --import tsx), so SIGKILL hits the builder itself, not a tsx wrapper.
    const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, MAIN, 'knnlm', 'build', '--corpus', corpus, '--model', model, '--out', 'killed'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let killed = false;
    let seen = 0;
    child.stderr.on('data', (d: Buffer) => {
      seen += (String(d).match(/keys: /g) ?? []).length;
      if (seen >= 3 && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    await new Promise((r) => child.on('close', r));
    expect(killed).toBe(true);
    const { KnnDatastore } = await import('../../src/index/dense/datastore.js');
    const partial = await KnnDatastore.open(path.join(dir, 'killed'));
    // 1050 bytes per file after BOS → 1050 rows per committed file
    expect(partial.size % 1050).toBe(0);
    expect(partial.manifest.files.length).toBeGreaterThanOrEqual(3);
    expect(partial.manifest.files.length).toBeLessThan(40);
    const again = await run(['knnlm', 'build', '--corpus', corpus, '--model', model, '--out', 'killed', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 40 * 1050, skipped: partial.manifest.files.length });
  }, 120_000);
});
