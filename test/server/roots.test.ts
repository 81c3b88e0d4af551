/**
 * Issue #18, item 4: roots that hold, over a real server on 127.0.0.1. A file symlink inside an
 * allowed root that points outside is never indexed; no response carries an absolute path, a PID
 * or the host name; a path outside the roots answers the same whether or not it exists; and a
 * server write that meets another writer's lock waits (queued) instead of failing at once.
 */
import { hostname } from 'node:os';
import net from 'node:net';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireWriteLock } from '../../src/index/store/lock.js';
import type { RunningServer } from '../../src/server/listen.js';
import { makeFixture, startOn, waitForJob, type Fixture } from './helpers.js';

let fx: Fixture;
let srv: RunningServer;

const H = { 'X-Openbook-Request': '1' };
const post = (url: string, body: unknown) => fetch(`${url}/v1/documents`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const upload = (url: string, name: string, text: string) => {
  const form = new FormData();
  form.append('files', new Blob([text]), name);
  return fetch(`${url}/v1/documents`, { method: 'POST', headers: H, body: form });
};

/** Everything a client could learn about the machine from a response body. */
function leaks(body: string): string[] {
  const found: string[] = [];
  if (body.includes(fx.dir)) found.push(`absolute path ${fx.dir}`);
  if (body.includes(os.tmpdir() + '/')) found.push(`absolute path under ${os.tmpdir()}`);
  if (new RegExp(`\\bpid ${process.pid}\\b|\\b${process.pid}\\b`).test(body)) found.push(`pid ${process.pid}`);
  if (new RegExp(`\\b${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(body)) found.push(`host name ${hostname()}`);
  return found;
}

beforeAll(async () => {
  fx = await makeFixture();
  // docs/linked/ holds a real file and a file symlink to ../../outside/secret.md.
  await mkdir(path.join(fx.docsDir, 'linked'));
  await writeFile(path.join(fx.docsDir, 'linked', 'inside.md'), '# Inside\n\nA pangolin lives inside the root.\n');
  await symlink(path.join(fx.dir, 'outside', 'secret.md'), path.join(fx.docsDir, 'linked', 'secret.md'));
  srv = await startOn(fx, {}, { lockWaitMs: 1500 });
});
afterAll(async () => {
  await srv?.close();
  await rm(fx.dir, { recursive: true, force: true });
});

describe('symlinked files inside a root', () => {
  it('walking a root folder skips a file symlink that leads outside the roots, and indexes the rest', async () => {
    const r = await post(srv.url, { paths: ['linked'] });
    expect(r.status).toBe(202);
    const job = await waitForJob(srv.url, ((await r.json()) as { id: string }).id);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ added: 1, skipped: 1 });
    expect((await fetch(`${srv.url}/v1/documents/${encodeURIComponent('docs/linked/secret.md')}`)).status).toBe(404);
    expect((await fetch(`${srv.url}/v1/documents/${encodeURIComponent('docs/linked/inside.md')}`)).status).toBe(200);
    const hits = (await (await fetch(`${srv.url}/v1/search?q=launch+code`)).json()) as { hits: unknown[] };
    expect(hits.hits).toEqual([]);
  });

  it('naming the symlinked file itself is refused like any path outside the roots', async () => {
    const r = await post(srv.url, { paths: ['linked/secret.md'] });
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([403, 'FORBIDDEN_PATH']);
  });
});

describe('outside the roots, existing or not, answers alike', () => {
  it('gives the same status, code and message shape for existing and missing paths outside the roots', async () => {
    const pairs: Array<[string, string]> = [
      ['../outside/secret.md', '../outside/no-such-file.md'],
      ['/etc/passwd', '/etc/no-such-file-here'],
      ['../outside', '../no-such-folder/x.md'],
    ];
    for (const [exists, missing] of pairs) {
      const a = await post(srv.url, { paths: [exists] });
      const b = await post(srv.url, { paths: [missing] });
      const ea = ((await a.json()) as { error: { code: string; message: string } }).error;
      const eb = ((await b.json()) as { error: { code: string; message: string } }).error;
      expect([a.status, ea.code]).toEqual([403, 'FORBIDDEN_PATH']);
      expect([b.status, eb.code]).toEqual([403, 'FORBIDDEN_PATH']);
      expect(ea.message.replace(exists, 'P')).toBe(eb.message.replace(missing, 'P'));
    }
    // Inside the roots, a missing path is still a plain 404.
    const inside = await post(srv.url, { paths: ['no-such.md'] });
    expect(inside.status).toBe(404);
  });
});

describe('no absolute paths, PIDs or host names in responses', () => {
  it('/v1/status names the index folder relative to the working directory', async () => {
    const text = await (await fetch(`${srv.url}/v1/status`)).text();
    expect(leaks(text)).toEqual([]);
    expect((JSON.parse(text) as { index: { dir: string } }).index.dir).toBe('.openbook');
  });

  it('errors from an index that does not exist name no absolute path', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'openbook-noindex-'));
    const other = await startOn({ dir: empty, docsDir: empty, indexDir: path.join(empty, 'idx') });
    try {
      const text = await (await fetch(`${other.url}/v1/search?q=x`)).text();
      expect(JSON.parse(text).error.code).toBe('INDEX_NOT_FOUND');
      expect(leaks(text.replaceAll(empty, `LEAK${empty}`))).toEqual([]);
    } finally {
      await other.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('a server write that meets the CLI\'s lock', () => {
  it('waits queued while the lock is held and runs when it is released', async () => {
    const lock = await acquireWriteLock(fx.indexDir, Date.now);
    let released = false;
    try {
      const r = await upload(srv.url, 'waited.md', '# Waited\n\nThe okapi waited for the lock.\n');
      expect(r.status).toBe(202);
      const id = ((await r.json()) as { id: string }).id;
      await new Promise((res) => setTimeout(res, 400));
      const mid = (await (await fetch(`${srv.url}/v1/jobs/${id}`)).json()) as { status: string; progress?: { phase: string } };
      expect([mid.status, mid.progress?.phase]).toEqual(['queued', 'waiting-for-lock']);
      await lock.release();
      released = true;
      const job = await waitForJob(srv.url, id);
      expect(job.status).toBe('succeeded');
      expect(job.result).toMatchObject({ added: 1 });
    } finally {
      if (!released) await lock.release();
    }
  });

  it('fails after the bounded wait with INDEX_LOCKED and no path, PID or host name', async () => {
    const lock = await acquireWriteLock(fx.indexDir, Date.now);
    try {
      const started = Date.now();
      const r = await upload(srv.url, 'late.md', '# Late\n\nToo late.\n');
      const job = await waitForJob(srv.url, ((await r.json()) as { id: string }).id);
      const waitedMs = Date.now() - started;
      expect(job.status).toBe('failed');
      expect((job.error as { code: string }).code).toBe('INDEX_LOCKED');
      expect(leaks(JSON.stringify(job))).toEqual([]);
      // lockWaitMs is 1500: it waited at least that long, and not much longer.
      expect(waitedMs).toBeGreaterThanOrEqual(1500);
      expect(waitedMs).toBeLessThan(5000);
    } finally {
      await lock.release();
    }
  });
});

describe('after a 413', () => {
  it('answers the 413 in full and then either serves the next request on the same connection or closes it cleanly', async () => {
    const small = await startOn(fx, {}, { maxUploadBytes: 1024 });
    try {
      const port = small.port;
      const out = await new Promise<{ text: string; closed: boolean; error?: string }>((resolve) => {
        const sock = net.connect(port, '127.0.0.1');
        let text = '';
        const body = 'x'.repeat(64 * 1024);
        const boundary = 'b0undary';
        const payload = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n${body}\r\n--${boundary}--\r\n`;
        sock.on('connect', () => {
          sock.write(`POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Openbook-Request: 1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${payload.length}\r\n\r\n`);
          sock.write(payload);
          sock.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
        });
        sock.on('data', (d: Buffer) => {
          text += d.toString('utf8');
          if (text.includes('{"ok":true}')) {
            sock.destroy();
            resolve({ text, closed: false });
          }
        });
        sock.on('error', (err) => resolve({ text, closed: true, error: (err as NodeJS.ErrnoException).code }));
        sock.on('close', () => resolve({ text, closed: true }));
        setTimeout(() => {
          sock.destroy();
          resolve({ text, closed: false });
        }, 3000);
      });
      expect(out.error).toBeUndefined(); // no ECONNRESET before the client read the answer
      expect(out.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(out.text).toContain('PAYLOAD_TOO_LARGE');
      // Either the second request was answered on the same connection, or the server closed it cleanly.
      const healthAnswered = out.text.includes('{"ok":true}');
      expect(healthAnswered || out.closed).toBe(true);
    } finally {
      await small.close();
    }
  });
});

describe('makeRedactor', () => {
  it('rewrites paths by role, other machine paths to <path>, the host name and PIDs, and leaves API paths and MIME types alone', async () => {
    const { makeRedactor } = await import('../../src/server/redact.js');
    const r = makeRedactor({ indexDir: '/srv/kb/.openbook', roots: ['/srv/kb/docs', '/data/shared'], cwd: '/srv/kb' });
    expect(r('no index at /srv/kb/.openbook; run `openbook index <path>` first')).toBe('no index at .openbook; run `openbook index <path>` first');
    expect(r('/srv/kb/docs/a/b.md: cannot read (EACCES)')).toBe('docs/a/b.md: cannot read (EACCES)');
    expect(r('/data/shared/x.pdf: bad xref')).toBe('x.pdf: bad xref');
    expect(r('root /data/shared is empty')).toBe('root a server root is empty');
    expect(r(`cannot open /etc/shadow or "/usr/lib/x.so"`)).toBe('cannot open <path> or "<path>"');
    expect(r(`locked by pid 4242 on ${hostname()} since 2026-12-03`)).toBe('locked by pid on <host> since 2026-12-03');
    expect(r('no route for GET /v1/nope; send multipart/form-data or see http://127.0.0.1:8080/openapi.json')).toBe('no route for GET /v1/nope; send multipart/form-data or see http://127.0.0.1:8080/openapi.json');
  });
});
