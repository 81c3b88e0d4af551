/**
 * docs/security.md, OWASP API Security Top 10: the items whose answer is a property of every
 * route rather than of one. API5 (function level authorization): with an API key, every operation
 * the OpenAPI document lists — read from /openapi.json, so a route added later is covered — answers
 * 401 without the token, 401 with a wrong one, and is not a 401 with the right one. API9
 * (inventory): every route the server answers under /v1 is in the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/listen.js';
import { makeFixture, startOn, type Fixture } from './helpers.js';

const KEY = 'owasp-test-key-0123456789';

describe('every operation is behind the same guard (OWASP API5)', () => {
  let fx: Fixture;
  let s: RunningServer;
  let ops: Array<[string, string]>;
  beforeAll(async () => {
    fx = await makeFixture();
    s = await startOn(fx, { apiKey: KEY });
    const doc = (await (await fetch(`${s.url}/openapi.json`, { headers: { Authorization: `Bearer ${KEY}` } })).json()) as { paths: Record<string, Record<string, unknown>> };
    ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => [m.toUpperCase(), p] as [string, string]));
  });
  afterAll(async () => {
    await s.close();
  });

  it('lists the /v1 operations (search, ask, documents, jobs, status at least)', () => {
    const paths = new Set(ops.map(([, p]) => p));
    for (const p of ['/v1/search', '/v1/ask', '/v1/documents', '/v1/jobs/{id}', '/v1/status']) expect(paths).toContain(p);
    expect(ops.length).toBeGreaterThanOrEqual(8);
  });

  it('each one answers 401 without the token and with a wrong one, and passes the guard with the right one', async () => {
    const url = (p: string) => `${s.url}${p.replace(/\{[^}]+\}/g, 'x')}${p === '/v1/search' ? '?q=bm25' : ''}`;
    const init = (method: string, auth?: string): RequestInit => ({
      method,
      headers: { 'Content-Type': 'application/json', 'X-Openbook-Request': '1', ...(auth ? { Authorization: auth } : {}) },
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    });
    for (const [method, p] of ops) {
      if (!p.startsWith('/v1')) continue;
      expect((await fetch(url(p), init(method))).status, `${method} ${p} without a token`).toBe(401);
      expect((await fetch(url(p), init(method, 'Bearer wrong'))).status, `${method} ${p} with a wrong token`).toBe(401);
      expect((await fetch(url(p), init(method, `Bearer ${KEY}`))).status, `${method} ${p} with the token`).not.toBe(401);
    }
  });

  it('a /v1 path the document does not list is a 404 even with the token, and every route the app registers under /v1 is listed (OWASP API9)', async () => {
    const r = await fetch(`${s.url}/v1/admin`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(r.status).toBe(404);
    const { createServer } = await import('../../src/server/app.js');
    const { app } = createServer({ indexDir: fx.indexDir, server: { host: '127.0.0.1', port: 0, apiKey: KEY, corsOrigins: [], allowedHosts: [], maxBodyBytes: 1 << 20, rateLimitPerMinute: 0, roots: [fx.docsDir] }, cwd: fx.dir, log: () => {} });
    const listed = new Set(ops.map(([m, p]) => `${m} ${p}`));
    const registered = app.routes
      .filter((rt) => rt.path.startsWith('/v1') && rt.method !== 'ALL')
      .map((rt) => `${rt.method} ${rt.path.replace(/:(\w+)\{[^}]*\}|:(\w+)/g, (_m, a: string | undefined, b: string | undefined) => `{${a ?? b}}`)}`);
    expect(registered.length).toBeGreaterThanOrEqual(8);
    for (const rt of registered) expect(listed, rt).toContain(rt);
  });
});
