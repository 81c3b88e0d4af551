import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRows } from '../../src/cli/commands/config.js';
import { resolveConfig } from '../../src/config/index.js';

describe('openbook config rows', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openbook-config-cli-'));
    fs.writeFileSync(path.join(dir, 'openbook.config.json'), JSON.stringify({ server: { apiKey: 'server-secret-123456' }, prompts: { passage: '[{{n}}] {{text}}' } }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('masks every secret, shows empty strings as "" and names each source', () => {
    const resolved = resolveConfig({ cwd: dir, env: { OPENAI_API_KEY: 'sk-live-abcdefghijkl9876', REDIS_URL: 'redis://user:pw@127.0.0.1:6379' } });
    const rows = Object.fromEntries(configRows(resolved).map(([k, v, s]) => [k, [v, s]]));
    const file = path.join(dir, 'openbook.config.json');
    expect(rows['llm.apiKey']).toEqual(['****9876', 'env:OPENAI_API_KEY']);
    expect(rows['server.apiKey']).toEqual(['****3456', `file:${file}`]);
    expect(rows['cache.redisUrl']).toEqual(['redis://user:****@127.0.0.1:6379', 'env:REDIS_URL']);
    expect(rows['prompts.passage']).toEqual(['[{{n}}] {{text}}', `file:${file}`]);
    expect(rows['embed.queryPrefix']).toEqual(['""', 'default']);
    expect(rows['retrieval.rrfK']).toEqual(['60', 'default']);
    expect(JSON.stringify(rows)).not.toMatch(/abcdefghijkl|server-secret|:pw@/);
  });
});
