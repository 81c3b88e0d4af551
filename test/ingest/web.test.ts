/**
 * Issue #16 item 4: web pages by URL, against a loopback HTTP server — robots.txt honoured
 * (RFC 9309 longest match), a size limit, the URL as id and source, and file lines of the HTML.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexPaths } from '../../src/engine/indexer.js';
import { IndexReader } from '../../src/index/store/reader.js';
import { loadWebPage, robotsAllows, robotsRules } from '../../src/ingest/web.js';

let server: Server;
let base: string;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('User-agent: *\nDisallow: /private\nAllow: /private/ok\n\nUser-agent: otherbot\nDisallow: /\n');
    } else if (req.url === '/guide.html' || req.url === '/private/ok.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><head><title>설치 안내</title></head>\n<body>\n<h1>설치</h1>\n<p>설치 프로그램을 실행하고\n잠시 기다린다.</p>\n</body></html>');
    } else if (req.url === '/deep.html') {
      // A hostile page (issue #18 item 2): 100,000 nested <div>s, ~1.1 MB.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><body>${'<div>'.repeat(100_000)}deep${'</div>'.repeat(100_000)}</body></html>`);
    } else if (req.url === '/big.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<p>${'x'.repeat(5000)}</p>`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('robots.txt', () => {
  it('applies the longest matching rule of the group for our agent (Allow wins a tie)', () => {
    const rules = robotsRules('User-agent: *\nDisallow: /private\nAllow: /private/ok\nDisallow: /*.pdf$\n');
    expect(robotsAllows(rules, '/guide.html')).toBe(true);
    expect(robotsAllows(rules, '/private/x')).toBe(false);
    expect(robotsAllows(rules, '/private/ok.html')).toBe(true);
    expect(robotsAllows(rules, '/a/b.pdf')).toBe(false);
    expect(robotsAllows(rules, '/a/b.pdf?x=1')).toBe(true);
    expect(robotsAllows(robotsRules('User-agent: openbook\nDisallow: /\n\nUser-agent: *\nAllow: /\n'), '/x')).toBe(false);
  });
});

describe('loadWebPage', () => {
  it('fetches an allowed page: id and source are the URL, lines are lines of the HTML', async () => {
    const d = await loadWebPage(`${base}/guide.html`, { fetch: globalThis.fetch });
    expect(d.id).toBe(`${base}/guide.html`);
    expect(d.source).toBe(`${base}/guide.html`);
    expect(d.title).toBe('설치 안내');
    expect(d.text).toBe('설치\n\n설치 프로그램을 실행하고 잠시 기다린다.');
    expect(d.sourceLines).toEqual([
      { start: 0, line: 3 },
      { start: 4, line: 4 },
      { start: 18, line: 5 },
    ]);
  });

  it('refuses a page robots.txt disallows without fetching it, and one over the size limit', async () => {
    hits.length = 0;
    await expect(loadWebPage(`${base}/private/secret.html`, { fetch: globalThis.fetch })).rejects.toThrow(`${base}/private/secret.html: skipped: disallowed by ${base}/robots.txt for openbook`);
    expect(hits).toEqual(['/robots.txt']);
    await expect(loadWebPage(`${base}/big.html`, { fetch: globalThis.fetch, maxBytes: 1000 })).rejects.toThrow(/big\.html: skipped: the page is over the 1000-byte limit/);
    await expect(loadWebPage(`${base}/missing.html`, { fetch: globalThis.fetch })).rejects.toThrow(`${base}/missing.html: the server answered 404`);
  });

  it('indexes a URL next to files: the document is the URL and a disallowed URL is a skip', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-web-'));
    try {
      const warnings: string[] = [];
      const s = await indexPaths({ indexDir: path.join(dir, 'idx'), paths: [`${base}/guide.html`, `${base}/private/no.html`], cwd: dir, now: Date.now, onWarning: (m) => warnings.push(m) });
      expect([s.added, s.skipped]).toEqual([1, 1]);
      expect(warnings[0]).toContain('disallowed by');
      const reader = await IndexReader.open(path.join(dir, 'idx'));
      const c = reader.chunk(0);
      expect([c.source, c.startLine, c.endLine]).toEqual([`${base}/guide.html`, 3, 5]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fetched pages are parsed under the same budgets as files', () => {
  it('a page nested 100,000 deep is skipped at the time budget naming the URL; the other page is indexed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-web-budget-'));
    try {
      const warnings: string[] = [];
      const t0 = Date.now();
      // 5 s, not 1 s: the deep page needs ~28 s, and at load ~12 on 2 cores the small page's
      // parse in a fresh worker once passed 1 s too.
      const s = await indexPaths({ indexDir: path.join(dir, '.openbook'), paths: [`${base}/deep.html`, `${base}/guide.html`], cwd: dir, now: Date.now, budgets: { timeoutMs: 5000 }, onWarning: (m) => warnings.push(m) });
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(warnings).toEqual([`${base}/deep.html: skipped: parsing took longer than 5 s (limit timeoutMs)`]);
      expect(s).toMatchObject({ added: 1, skipped: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
