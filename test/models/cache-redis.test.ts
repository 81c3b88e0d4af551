/**
 * Redis cache tests against a real `redis-server` (Debian package `redis-server`) started on
 * 127.0.0.1 with a free port, no persistence. Skipped, with a line saying why, when the binary
 * is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheError, CachedLanguageModel, RedisCache, createCacheBackend } from '../../src/models/cache.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { startOpenAIServer } from '../support/openai-server.js';

const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasRedis) console.log('skipping Redis cache tests: redis-server is not installed (apt-get install -y redis-server)');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!hasRedis)('RedisCache against a real redis-server', () => {
  let proc: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'test-pw'], {
      stdio: 'ignore',
    });
    url = `redis://:test-pw@127.0.0.1:${port}/0`;
    await waitForPort(port, 10_000);
  });
  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('round-trips binary values and is what createCacheBackend picks when a Redis URL is set', async () => {
    const c = createCacheBackend({ dir: '/nonexistent', redisUrl: url });
    expect(c).toBeInstanceOf(RedisCache);
    expect(c.name).toMatch(/^redis:redis:\/\/\*\*\*\*@127\.0\.0\.1:\d+\/0$/); // password masked
    const key = 'cd'.repeat(32);
    expect(await c.get(key)).toBeUndefined();
    const bytes = Buffer.from(new Float32Array([0.5, -1.25, 3]).buffer);
    await c.set(key, bytes);
    expect(new Float32Array(new Uint8Array(await c.get(key).then((b) => b!)).buffer)).toEqual(new Float32Array([0.5, -1.25, 3]));
    await c.close();
  });

  it('lets a second client (another process) answer a repeated chat request with no model call', async () => {
    const server = await startOpenAIServer({ chat: () => 'cached answer [1]' });
    const first = new CachedLanguageModel(new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model' }), new RedisCache({ url }));
    await first.generate([{ role: 'user', content: 'same question' }]);
    const second = new CachedLanguageModel(new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model' }), new RedisCache({ url }));
    const r = await second.generate([{ role: 'user', content: 'same question' }]);
    expect(r.generations[0].text).toBe('cached answer [1]');
    expect(r.cached).toBe(true);
    expect(server.count('/chat/completions')).toBe(1);
    expect(second.stats).toEqual({ hits: 1, misses: 0 });
    await first.cache.close();
    await second.cache.close();
    await server.close();
  });

  it('expires entries after ttlSeconds', async () => {
    const c = new RedisCache({ url, ttlSeconds: 1, prefix: 'ttl-test:' });
    await c.set('ef'.repeat(32), Buffer.from('x'));
    expect((await c.get('ef'.repeat(32)))?.toString()).toBe('x');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await c.get('ef'.repeat(32))).toBeUndefined();
    await c.close();
  });

  it('raises CacheError naming the server when Redis is unreachable', async () => {
    const port = await freePort();
    const c = new RedisCache({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 });
    await expect(c.get('ab'.repeat(32))).rejects.toBeInstanceOf(CacheError);
    await expect(c.get('ab'.repeat(32))).rejects.toThrow(`127.0.0.1:${port}`);
    await c.close();
  });
});
