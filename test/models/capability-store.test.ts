/**
 * Probed capabilities persist: `openbook doctor` (runDoctor) writes what it measured for the
 * endpoint + model to `<index>/capabilities.json`, and the configured client starts from it, so the
 * `auto` modes choose right in a later process without probing or meeting a refusal first. The
 * loopback server stands in for the model (OpenAI's semantics on 127.0.0.1, an address nothing is
 * known about in advance).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDoctor, runDoctor } from '../../src/cli/commands/doctor.js';
import { resolveConfig } from '../../src/config/index.js';
import { autoReplugMode } from '../../src/methods/replug.js';
import { loadStoredProbe, STORED_PROBE_MAX_AGE_MS } from '../../src/models/capability-store.js';
import { openAIModelFromConfig } from '../../src/models/from-config.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

let dir: string;
let server: OpenAIServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-caps-'));
  server = await startOpenAIServer({ mode: 'llamacpp' });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
const configFor = (index: string, model = 'test-model') =>
  resolveConfig({ cwd: dir, configFile: false, env: { OPENBOOK_INDEX: path.join(dir, index), OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: model } }).config;

describe('stored capability probes (the loopback server stands in for a llama.cpp server)', () => {
  it('doctor stores the probe; a later client starts from it without a request: no echo scoring, n one per request', async () => {
    const config = configFor('idx');
    expect(openAIModelFromConfig(config)!.capabilities.echoScoring).toBe(true); // nothing stored yet: assumed
    await runDoctor(config);
    const file = path.join(dir, 'idx', 'capabilities.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; entries: Array<{ baseUrl: string; model: string; capabilities: Record<string, boolean>; n: boolean; byteTokens: boolean; probedAt: string }> };
    expect(renderDoctor(await runDoctor(config))).toMatch(/stored for later runs\s+.*capabilities\.json/);
    expect(stored.version).toBe(1);
    expect(stored.entries).toHaveLength(1);
    expect(stored.entries[0]).toMatchObject({ baseUrl: server.url, model: 'test-model', n: false, byteTokens: true, capabilities: { chat: true, logprobs: true, echoScoring: false, prefill: true } });
    const before = server.requests.length;
    const llm = openAIModelFromConfig(config)!;
    expect(llm.capabilities).toEqual({ chat: true, streaming: true, logprobs: true, echoScoring: false, prefill: true });
    expect(autoReplugMode(llm.capabilities)).toBe('token');
    // n: the stored refusal means one sample per request straight away (no refused n = 3 first)
    await llm.generate([{ role: 'user', content: 'hi' }], { n: 3, temperature: 0.8, seed: 5 });
    expect(server.requests.slice(before).map((q) => [q.status, q.body!.n])).toEqual([
      [200, undefined],
      [200, undefined],
      [200, undefined],
    ]);
  });

  it('keys by endpoint and model, ignores probes older than the maximum age, and tolerates a damaged file', async () => {
    const config = configFor('idx2');
    await runDoctor(config);
    const file = path.join(dir, 'idx2', 'capabilities.json');
    const now = Date.now();
    expect(loadStoredProbe(file, server.url, 'test-model', now)?.capabilities.echoScoring).toBe(false);
    expect(loadStoredProbe(file, server.url, 'other-model', now)).toBeUndefined();
    expect(loadStoredProbe(file, 'http://127.0.0.1:1/v1', 'test-model', now)).toBeUndefined();
    expect(loadStoredProbe(file, server.url, 'test-model', now + STORED_PROBE_MAX_AGE_MS + 60_000)).toBeUndefined();
    expect(openAIModelFromConfig(configFor('idx2', 'other-model'))!.capabilities.echoScoring).toBe(true);
    fs.writeFileSync(file, '{ not json');
    expect(loadStoredProbe(file, server.url, 'test-model', now)).toBeUndefined();
    expect(openAIModelFromConfig(config)!.capabilities.echoScoring).toBe(true);
  });
});
