/**
 * `openbook doctor` against test servers standing in for models: the probe logic through
 * `runDoctor`, and once end to end through the CLI with the configuration taken from the
 * environment.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDoctor, runDoctor, type DoctorReport } from '../../src/cli/commands/doctor.js';
import { resolveConfig } from '../../src/config/index.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

const run = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-doctor-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const configFor = (env: Record<string, string>) => resolveConfig({ cwd: dir, configFile: false, env: { OPENBOOK_INDEX: path.join(dir, 'idx'), ...env } }).config;

describe('runDoctor against test servers standing in for models', () => {
  let full: OpenAIServer;
  let bare: OpenAIServer;
  beforeAll(async () => {
    full = await startOpenAIServer({ embeddingDim: 24 });
    bare = await startOpenAIServer({ logprobs: false, echo: false, embeddings: false, models: ['other-model'] });
  });
  afterAll(async () => {
    await full.close();
    await bare.close();
  });

  it('reports every capability, the embedding dimension and a working disk cache', async () => {
    const report = await runDoctor(
      configFor({ OPENBOOK_LLM_BASE_URL: full.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: full.url, OPENBOOK_EMBED_MODEL: 'e' }),
    );
    expect(report.ok).toBe(true);
    expect(report.llm).toMatchObject({ configured: true, reachable: true, modelListed: true, capabilities: { chat: true, streaming: true, logprobs: true, echoScoring: true, prefill: true } });
    expect(report.embeddings).toMatchObject({ configured: true, ok: true, dimension: 24 });
    expect(report.cache).toMatchObject({ enabled: true, backend: `disk:${path.join(dir, 'idx', 'cache')}`, ok: true });
    const table = renderDoctor(report);
    expect(table).toMatch(/token logprobs\s+supported\s+yes\s+\d+ ms/);
    expect(table).toMatch(/prefill\s+supported\s+yes\s+\d+ ms/);
    expect(table).toMatch(/n samples per request\s+supported\s+yes/);
    expect(table).toMatch(/replug auto\s+token \(per-token mixture with prefill\)/);
    expect(table).toMatch(/realm auto\s+continuation scoring/);
    expect(table).toMatch(/embeddings\s+.* dimension 24\s+yes/);
  });

  it('reports the absence of logprobs and echo scoring, an unlisted model and failing embeddings', async () => {
    const report = await runDoctor(
      configFor({ OPENBOOK_LLM_BASE_URL: bare.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: bare.url, OPENBOOK_EMBED_MODEL: 'e' }),
    );
    const llm = report.llm as Extract<DoctorReport['llm'], { configured: true }>;
    expect(llm.capabilities).toEqual({ chat: true, streaming: true, logprobs: false, echoScoring: false, prefill: true });
    expect(llm.modelListed).toBe(false);
    expect(report.embeddings).toMatchObject({ configured: true, ok: false });
    expect(report.ok).toBe(false);
    const table = renderDoctor(report);
    expect(table).toMatch(/token logprobs\s+not supported\s+no/);
    expect(table).toMatch(/echo scoring\s+not supported\s+no/);
    expect(table).toContain('echo scoring: ');
    // no logprobs and no echo: REPLUG auto and the token-level methods cannot run; prefill itself works
    expect(table).toMatch(/replug auto\s+refuses/);
    expect(table).toMatch(/rag-token, rag-sequence beam\s+refuse \(no logprobs\)/);
    expect(table).toMatch(/byte tokens\s+not supported\s+no/);
  });

  it('says what to set when nothing is configured, and skips the cache when disabled', async () => {
    const config = configFor({});
    config.cache.enabled = false;
    const report = await runDoctor(config);
    expect(report).toEqual({ llm: { configured: false }, embeddings: { configured: false }, cache: { enabled: false }, ok: true });
    expect(renderDoctor(report)).toContain('not configured (set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL, or OPENBOOK_LLM_MODEL_DIR)');
  });

  it('prints JSON from the CLI with the endpoint taken from OPENBOOK_LLM_BASE_URL', async () => {
    const root = path.resolve(__dirname, '../..');
    const { stdout } = await run(process.execPath, ['--import', path.join(root, 'node_modules/tsx/dist/esm/index.mjs'), path.join(root, 'src/cli/main.ts'), 'doctor', '--json'], {
      cwd: dir,
      env: { ...process.env, OPENBOOK_LLM_BASE_URL: bare.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_INDEX: path.join(dir, 'cli-idx'), OPENBOOK_EMBED_BASE_URL: '', REDIS_URL: '' },
      timeout: 60_000,
    });
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.llm).toMatchObject({ configured: true, capabilities: { chat: true, logprobs: false, echoScoring: false } });
  });
});

describe('runDoctor with a local causal LM folder (the tiny ONNX decoder stands in for a real model)', () => {
  it('reports the full distribution and whether the graph outputs hidden states', async () => {
    const { writeTinyCausalLmFolder } = await import('../support/tiny-causal-lm.js');
    const withHidden = writeTinyCausalLmFolder(path.join(dir, 'lm-h'));
    const without = writeTinyCausalLmFolder(path.join(dir, 'lm-n'), { hiddenStates: false });
    const a = await runDoctor(configFor({ OPENBOOK_LLM_MODEL_DIR: withHidden }));
    expect(a.localLlm).toMatchObject({ ok: true, info: { vocabSize: 257, hiddenStates: true, hiddenOutput: 'last_hidden_state', hiddenSize: 5, contextLength: 64 } });
    expect(renderDoctor(a)).toContain('last_hidden_state, 5 dims (kNN-LM keys)');
    const b = await runDoctor(configFor({ OPENBOOK_LLM_MODEL_DIR: without }));
    expect(b.localLlm?.info?.hiddenStates).toBe(false);
    expect(renderDoctor(b)).toContain('not output by the graph');
    const c = await runDoctor(configFor({ OPENBOOK_LLM_MODEL_DIR: path.join(dir, 'absent') }));
    expect(c.ok).toBe(false);
    expect(c.localLlm?.error).toContain('does not exist');
  });
});
