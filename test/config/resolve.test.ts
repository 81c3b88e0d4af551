import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputFormatError, InvalidParameterError } from '../../src/core/errors.js';
import { findConfigFile, maskSecret, maskSecrets, resolveConfig } from '../../src/config/index.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-config-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function writeConfig(dir: string, value: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'openbook.config.json');
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('resolveConfig', () => {
  it('fills defaults and says so in sources when there is no file, env or flag', () => {
    const { config, sources, file } = resolveConfig({ cwd: root, env: {}, configFile: false });
    expect(file).toBeUndefined();
    expect(config.index).toBe(path.join(root, '.openbook'));
    expect(config.cache.dir).toBe(path.join(root, '.openbook', 'cache'));
    expect(config.retrieval).toMatchObject({ retriever: 'bm25', topK: 10, k1: 0.9, b: 0.4, rrfK: 60, fusion: 'rrf', alpha: 0.5 });
    expect(config.llm).toMatchObject({ timeoutMs: 60_000, maxRetries: 3, maxConcurrency: 4 });
    expect(config.llm.baseUrl).toBeUndefined();
    expect(sources['retrieval.k1']).toBe('default');
    expect(sources['index']).toBe('default');
  });

  it('finds openbook.config.json two folders up and resolves its paths against the file folder', () => {
    const file = writeConfig(root, { index: 'idx', retrieval: { topK: 5 }, embed: { modelDir: 'models/e5' } });
    const cwd = path.join(root, 'a', 'b');
    fs.mkdirSync(cwd, { recursive: true });
    expect(findConfigFile(cwd)).toBe(file);
    const { config, sources } = resolveConfig({ cwd, env: {} });
    expect(config.index).toBe(path.join(root, 'idx'));
    expect(config.embed.modelDir).toBe(path.join(root, 'models', 'e5'));
    expect(config.retrieval.topK).toBe(5);
    expect(sources['retrieval.topK']).toBe(`file:${file}`);
    expect(sources['retrieval.k1']).toBe('default');
  });

  it('lets env override the file and flags override env, field by field', () => {
    const file = writeConfig(root, { llm: { baseUrl: 'http://file.example/v1', model: 'file-model', timeoutMs: 1000 } });
    const { config, sources } = resolveConfig({
      cwd: root,
      env: { OPENBOOK_LLM_BASE_URL: 'http://env.example/v1', OPENBOOK_LLM_MODEL: 'env-model', OPENAI_API_KEY: 'sk-test-0123456789abcd', REDIS_URL: '' },
      flags: { llm: { model: 'flag-model', maxRetries: undefined } },
    });
    expect(config.llm.baseUrl).toBe('http://env.example/v1');
    expect(config.llm.model).toBe('flag-model');
    expect(config.llm.timeoutMs).toBe(1000);
    expect(config.llm.apiKey).toBe('sk-test-0123456789abcd');
    expect(config.embed.apiKey).toBe('sk-test-0123456789abcd');
    expect(config.cache.redisUrl).toBeUndefined(); // empty env value = unset
    expect(sources).toMatchObject({
      'llm.baseUrl': 'env:OPENBOOK_LLM_BASE_URL',
      'llm.model': 'flag',
      'llm.timeoutMs': `file:${file}`,
      'llm.apiKey': 'env:OPENAI_API_KEY',
      'llm.maxRetries': 'default',
    });
  });

  it('reads every documented environment variable', () => {
    const { config } = resolveConfig({
      cwd: root,
      configFile: false,
      env: {
        OPENBOOK_INDEX: 'my-index',
        OPENBOOK_EMBED_BASE_URL: 'http://127.0.0.1:9/v1',
        OPENBOOK_EMBED_MODEL: 'e5-small',
        OPENBOOK_EMBED_MODEL_DIR: 'models/e5',
        REDIS_URL: 'redis://:pw@127.0.0.1:6379/0',
      },
    });
    expect(config.index).toBe(path.join(root, 'my-index'));
    expect(config.embed).toMatchObject({ baseUrl: 'http://127.0.0.1:9/v1', model: 'e5-small', modelDir: path.join(root, 'models', 'e5') });
    expect(config.cache.redisUrl).toBe('redis://:pw@127.0.0.1:6379/0');
  });

  it('names the file and the field when a file value is invalid', () => {
    const file = writeConfig(root, { llm: { timeoutMs: 'soon' } });
    expect(() => resolveConfig({ cwd: root, env: {} })).toThrow(InputFormatError);
    expect(() => resolveConfig({ cwd: root, env: {} })).toThrow(`${file}: field "llm.timeoutMs"`);
  });

  it('rejects an unknown (misspelt) field in the file', () => {
    writeConfig(root, { retrieval: { topk: 5 } });
    expect(() => resolveConfig({ cwd: root, env: {} })).toThrow('unknown field "retrieval.topk"');
  });

  it('reports broken JSON with the file name', () => {
    const file = writeConfig(root, '{ "index": ');
    expect(() => resolveConfig({ cwd: root, env: {} })).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
  });

  it('names the environment variable when its value is invalid', () => {
    expect(() => resolveConfig({ cwd: root, configFile: false, env: { OPENBOOK_LLM_BASE_URL: 'not a url' } })).toThrow(InvalidParameterError);
    expect(() => resolveConfig({ cwd: root, configFile: false, env: { OPENBOOK_LLM_BASE_URL: 'not a url' } })).toThrow(
      'environment variable OPENBOOK_LLM_BASE_URL: field "llm.baseUrl"',
    );
  });

  it('rejects an out-of-range flag with the field name', () => {
    expect(() => resolveConfig({ cwd: root, configFile: false, env: {}, flags: { retrieval: { b: 1.5 } } })).toThrow('flag: field "retrieval.b"');
  });
});

describe('maskSecrets', () => {
  it('masks keys, keeping the last 4 characters of long ones, and only the password of URLs', () => {
    expect(maskSecret('sk-test-0123456789abcd')).toBe('****abcd');
    expect(maskSecret('short')).toBe('****');
    expect(maskSecret('redis://:hunter2@127.0.0.1:6379/0')).toBe('redis://:****@127.0.0.1:6379/0');
    expect(maskSecret('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    const { config } = resolveConfig({ cwd: root, configFile: false, env: { OPENAI_API_KEY: 'sk-test-0123456789abcd' } });
    const masked = maskSecrets(config);
    expect(masked.llm.apiKey).toBe('****abcd');
    expect(masked.embed.apiKey).toBe('****abcd');
    expect(config.llm.apiKey).toBe('sk-test-0123456789abcd'); // the original is untouched
    expect(JSON.stringify(masked)).not.toContain('0123456789');
  });
});
