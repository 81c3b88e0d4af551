/**
 * The configuration with nothing configured, without the schema library (#13 item 3): with no
 * config file, no configuration variable and no flag value, the CLI takes the stored defaults
 * (src/config/defaults.ts, written from the schema by `npm run gen:config-defaults`) instead of
 * loading zod (95 of the ~180 modules `openbook search` loaded) to parse `{}`. These tests hold
 * the stored copy to the schema and the shortcut to resolveConfig.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { hasConfigLayers, resolveDefaultConfig } from '../../src/config/layers.js';
import { OpenbookConfig, resolveConfig } from '../../src/config/index.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-defaults-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('stored config defaults', () => {
  it('equal the schema parsing {} (else run npm run gen:config-defaults)', () => {
    expect(DEFAULT_CONFIG).toStrictEqual(OpenbookConfig.parse({}));
    // key order too: `openbook config` prints the fields in schema order
    expect(JSON.stringify(DEFAULT_CONFIG)).toBe(JSON.stringify(OpenbookConfig.parse({})));
  });

  it('resolve as resolveConfig does with no file, variable or flag: the same config and sources', () => {
    const fast = resolveDefaultConfig(root);
    const full = resolveConfig({ cwd: root, env: {}, configFile: false });
    expect(fast).toStrictEqual(full);
    expect(fast.config.index).toBe(path.join(root, '.openbook'));
    expect(fast.config.cache.dir).toBe(path.join(root, '.openbook', 'cache'));
    expect(fast.sources['retrieval.topK']).toBe('default');
    // a copy each time: callers may change what they get
    fast.config.retrieval.topK = 3;
    expect(resolveDefaultConfig(root).config.retrieval.topK).toBe(10);
  });

  it('are used only when nothing else is configured', () => {
    const sub = path.join(root, 'a');
    fs.mkdirSync(sub);
    expect(hasConfigLayers({ cwd: sub, env: {} })).toBe(false);
    // an empty variable counts as unset, a variable openbook does not read is ignored, undefined flag leaves are no flags
    expect(hasConfigLayers({ cwd: sub, env: { OPENBOOK_INDEX: '', HOME: '/root' }, flags: { retrieval: { topK: undefined } } })).toBe(false);
    expect(hasConfigLayers({ cwd: sub, env: { OPENBOOK_INDEX: 'idx' } })).toBe(true);
    expect(hasConfigLayers({ cwd: sub, env: {}, flags: { index: 'idx' } })).toBe(true);
    expect(hasConfigLayers({ cwd: sub, env: {}, configFile: 'other.json' })).toBe(true);
    expect(hasConfigLayers({ cwd: sub, env: {}, configFile: false })).toBe(false);
    fs.writeFileSync(path.join(root, 'openbook.config.json'), '{}');
    expect(hasConfigLayers({ cwd: sub, env: {} })).toBe(true);
    expect(hasConfigLayers({ cwd: sub, env: {}, configFile: false })).toBe(false);
  });
});
