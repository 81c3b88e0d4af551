/**
 * The rate limit's defaults (#13 item 5): off on a loopback bind unless configured, on (60 a
 * minute, configurable) on any other bind. Real servers on 127.0.0.1, plus the app object of a
 * 0.0.0.0-configured server (the bind decides the default, not the peer address).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfig } from '../../src/config/schema.js';
import { createServer } from '../../src/server/app.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { effectiveRateLimit } from '../../src/server/security.js';
import { StatusResponse } from '../../src/server/schemas.js';
import { makeFixture, type Fixture } from './helpers.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture();
});
afterAll(async () => {
  await rm(fx.dir, { recursive: true, force: true });
});

async function statuses(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${url}/v1/search?q=bm25`);
    await r.arrayBuffer();
    out.push(r.status);
  }
  return out;
}

describe('rate limit defaults', () => {
  it('a server on 127.0.0.1 with no rateLimitPerMinute answers 100 searches from one client without a 429', async () => {
    const s: RunningServer = await listen({ indexDir: fx.indexDir, server: ServerConfig.parse({ host: '127.0.0.1', port: 0 }), cwd: fx.dir, log: () => {} });
    try {
      const codes = await statuses(s.url, 100);
      expect(codes.filter((c) => c === 429)).toHaveLength(0);
      expect(codes.every((c) => c === 200)).toBe(true);
      const status = StatusResponse.parse(await (await fetch(`${s.url}/v1/status`)).json());
      expect(status.limits.rateLimitPerMinute).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('an explicit limit on 127.0.0.1 still applies: rateLimitPerMinute 5 → the 6th call is a 429', async () => {
    const s = await listen({ indexDir: fx.indexDir, server: ServerConfig.parse({ host: '127.0.0.1', port: 0, rateLimitPerMinute: 5 }), cwd: fx.dir, log: () => {} });
    try {
      const codes = await statuses(s.url, 8);
      expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    } finally {
      await s.close();
    }
  });

  it('a server configured for 0.0.0.0 limits by default: the 61st call in a minute is a 429', async () => {
    const t = 1_000_000;
    const server = createServer({ indexDir: fx.indexDir, server: ServerConfig.parse({ host: '0.0.0.0', apiKey: 'k-1234567890' }), cwd: fx.dir, log: () => {}, now: () => t });
    const codes: number[] = [];
    for (let i = 0; i < 61; i++) {
      const r = await server.app.request('/v1/status', { headers: { Host: '10.0.0.5:8080', Authorization: 'Bearer k-1234567890' } });
      codes.push(r.status);
    }
    expect(codes.slice(0, 60).every((c) => c === 200)).toBe(true);
    expect(codes[60]).toBe(429);
  });

  it('effectiveRateLimit: explicit value wins; unset is 0 on loopback names, 60 elsewhere', () => {
    expect(effectiveRateLimit({ host: '127.0.0.1' })).toBe(0);
    expect(effectiveRateLimit({ host: 'localhost' })).toBe(0);
    expect(effectiveRateLimit({ host: '[::1]' })).toBe(0);
    expect(effectiveRateLimit({ host: '0.0.0.0' })).toBe(60);
    expect(effectiveRateLimit({ host: '192.168.1.4' })).toBe(60);
    expect(effectiveRateLimit({ host: '0.0.0.0', rateLimitPerMinute: 0 })).toBe(0);
    expect(effectiveRateLimit({ host: '127.0.0.1', rateLimitPerMinute: 7 })).toBe(7);
  });
});
