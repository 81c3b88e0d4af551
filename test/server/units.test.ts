/** The server's small pieces on their own: loopback check, rate limiter, roots, job queue, upload names, methods table. */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputFormatError } from '../../src/core/errors.js';
import { JobQueue, type JobRecord } from '../../src/server/jobs.js';
import { defaultAskMethods, pickMethod, streamPieces } from '../../src/server/methods.js';
import { assertSafeBind, checkBearer, isLoopbackHost, RateLimiter, resolveUnderRoots } from '../../src/server/security.js';
import { checkMagic, sanitizeFileName } from '../../src/server/uploads.js';

describe('isLoopbackHost / assertSafeBind', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['128.0.0.1', false],
    ['127.0.0.256', false],
    ['example.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('needs a key only off loopback', () => {
    expect(() => assertSafeBind('127.0.0.1', undefined)).not.toThrow();
    expect(() => assertSafeBind('0.0.0.0', 'k')).not.toThrow();
    expect(() => assertSafeBind('0.0.0.0', undefined)).toThrow(/refusing to listen on 0.0.0.0 without an API key/);
  });

  it('checkBearer accepts exactly "Bearer <key>"', () => {
    expect(() => checkBearer('Bearer abc', 'abc')).not.toThrow();
    expect(() => checkBearer('bearer abc', 'abc')).not.toThrow();
    expect(() => checkBearer('Bearer abcd', 'abc')).toThrow('wrong API key');
    expect(() => checkBearer(undefined, 'abc')).toThrow(/needs an API key/);
    expect(() => checkBearer('abc', 'abc')).toThrow(/malformed/);
  });
});

describe('RateLimiter (token bucket)', () => {
  it('allows a burst of the limit, then one token per 60/limit seconds', () => {
    let t = 0;
    const rl = new RateLimiter(6, () => t); // 6/min: one token every 10 s
    expect([1, 2, 3, 4, 5, 6].map(() => rl.take('a'))).toEqual([0, 0, 0, 0, 0, 0]);
    // Empty bucket: the next token is 10 s away.
    expect(rl.take('a')).toBe(10);
    // Another client has its own bucket.
    expect(rl.take('b')).toBe(0);
    // After 4 s: 0.4 tokens → wait ceil(0.6 / (6/60000) / 1000) = 6 s.
    t = 4_000;
    expect(rl.take('a')).toBe(6);
    // After 10 s in total: 1.0 token → allowed, and then empty again.
    t = 10_000;
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBe(10);
  });

  it('0 per minute means no limit', () => {
    const rl = new RateLimiter(0, () => 0);
    for (let i = 0; i < 1000; i++) expect(rl.take('a')).toBe(0);
  });
});

describe('resolveUnderRoots', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-roots-'));
    await mkdir(path.join(dir, 'root', 'sub'), { recursive: true });
    await mkdir(path.join(dir, 'root-sibling'));
    await writeFile(path.join(dir, 'root', 'sub', 'a.md'), 'a');
    await writeFile(path.join(dir, 'root-sibling', 'b.md'), 'b');
    await symlink(path.join(dir, 'root-sibling'), path.join(dir, 'root', 'escape'));
    await symlink(path.join(dir, 'root', 'sub'), path.join(dir, 'root', 'inside'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns real paths under a root', async () => {
    const root = path.join(dir, 'root');
    expect(await resolveUnderRoots('sub/a.md', [root])).toBe(path.join(await realRoot(root), 'sub', 'a.md'));
    expect(await resolveUnderRoots('.', [root])).toBe(await realRoot(root));
    // A symlink that stays inside the root resolves to its target.
    expect(await resolveUnderRoots('inside/a.md', [root])).toBe(path.join(await realRoot(root), 'sub', 'a.md'));
  });

  it.each(['../root-sibling/b.md', 'escape/b.md', 'sub/../../root-sibling', '/etc/hostname', 'sub/a.md\0.txt'])('refuses %s', async (p) => {
    await expect(resolveUnderRoots(p, [path.join(dir, 'root')])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH', httpStatus: 403 });
  });

  it('a sibling folder sharing the root name as a prefix is outside ("root-sibling" vs "root")', async () => {
    await expect(resolveUnderRoots(path.join(dir, 'root-sibling', 'b.md'), [path.join(dir, 'root')])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
  });

  it('no roots admit nothing; a missing path is a 404', async () => {
    await expect(resolveUnderRoots('a', [])).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    await expect(resolveUnderRoots('sub/nope.md', [path.join(dir, 'root')])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

async function realRoot(p: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(p);
}

describe('JobQueue', () => {
  it('runs jobs one at a time in arrival order and records failures by code', async () => {
    let t = 100;
    const q = new JobQueue({ now: () => t++ });
    const log: string[] = [];
    let running = 0;
    const body = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${name}`);
      running--;
      return { name };
    };
    const a = q.enqueue('upload', ['a'], body('a'));
    const b = q.enqueue('upload', ['b'], async () => {
      throw new InputFormatError('b.jsonl:3: not JSON');
    });
    const c = q.enqueue('delete', ['c'], body('c'));
    expect(a.job.status).toBe('queued');
    expect(q.active).toBe(3);
    const [ja, jb, jc] = await Promise.all([a.done, b.done, c.done]);
    expect(log).toEqual(['start a', 'end a', 'start c', 'end c']);
    expect([ja.status, jb.status, jc.status]).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(jb.error).toEqual({ code: 'INPUT_FORMAT', message: 'b.jsonl:3: not JSON' });
    expect(ja.result).toEqual({ name: 'a' });
    expect(q.active).toBe(0);
  });

  it('an unexpected error is reported generically to clients and fully to the log', async () => {
    const logged: unknown[] = [];
    const q = new JobQueue({ now: () => 0, onUnexpectedError: (_j, e) => logged.push(e) });
    const { done } = q.enqueue('upload', [], async () => {
      throw new TypeError('x is undefined at secret.ts:3');
    });
    const j = await done;
    expect(j.error?.code).toBe('INTERNAL');
    expect(j.error?.message).not.toContain('secret');
    expect(String(logged[0])).toContain('secret.ts');
  });

  it('recover() fails the records a killed process left queued or running', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-jobs-'));
    try {
      const left: JobRecord[] = [
        { id: 'j1', kind: 'upload', status: 'running', createdAt: 1, startedAt: 2, inputs: ['a.md'] },
        { id: 'j2', kind: 'upload', status: 'queued', createdAt: 3, inputs: ['b.md'] },
        { id: 'j3', kind: 'delete', status: 'succeeded', createdAt: 0, finishedAt: 1, inputs: ['c.md'], result: { removed: 1 } },
      ];
      for (const r of left) await writeFile(path.join(dir, `${r.id}.json`), JSON.stringify(r));
      await writeFile(path.join(dir, 'torn.json'), '{"id": "j4", "sta');
      const q = new JobQueue({ dir, now: () => 50 });
      expect((await q.recover()).sort()).toEqual(['j1', 'j2']);
      expect(q.get('j1')).toMatchObject({ status: 'failed', finishedAt: 50, error: { code: 'JOB_INTERRUPTED' } });
      expect(q.get('j1')?.error?.message).toContain('while this job was running');
      expect(q.get('j2')?.error?.message).toContain('while this job was queued');
      expect(q.get('j3')?.status).toBe('succeeded');
      // The failure was written back, so a second restart sees it too.
      expect(JSON.parse(await readFile(path.join(dir, 'j1.json'), 'utf8')).status).toBe('failed');
      expect(q.list().map((j) => j.id)).toEqual(['j2', 'j1', 'j3']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('upload names and content checks', () => {
  it.each([
    ['notes.md', 'notes.md'],
    ['../../etc/passwd.txt', 'passwd.txt'],
    ['C:\\Users\\me\\보고서.MD', '보고서.md'],
    ['a<b>|c?.txt', 'a_b__c_.txt'],
    ['검색 증강 생성 (RAG).md', '검색 증강 생성 (RAG).md'],
  ])('%s → %s', (raw, safe) => {
    expect(sanitizeFileName(raw)).toBe(safe);
  });

  it.each(['', '..', '.env', 'dir/', '/'])('refuses %j', (raw) => {
    expect(() => sanitizeFileName(raw)).toThrow(/unusable upload file name/);
  });

  it('checks the first bytes against the format', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(() => checkMagic('a.pdf', 'pdf', enc('%PDF-1.7\n'))).not.toThrow();
    expect(() => checkMagic('a.pdf', 'pdf', enc('<html>'))).toThrow('a.pdf: not a PDF');
    expect(() => checkMagic('a.docx', 'docx', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0]))).not.toThrow();
    expect(() => checkMagic('a.docx', 'docx', enc('PK'))).toThrow('a.docx: not a DOCX');
    expect(() => checkMagic('a.txt', 'txt', new Uint8Array([0x61, 0, 0x62]))).toThrow(/looks binary/);
    // UTF-16 text has NUL bytes but starts with a byte-order mark.
    expect(() => checkMagic('a.txt', 'txt', new Uint8Array([0xff, 0xfe, 0x61, 0]))).not.toThrow();
  });
});

describe('methods table', () => {
  it('streamPieces splits at word ends and joins back to the text', () => {
    const t = 'HyDE는 가상의 문서를  생성한다. [1]\nNext';
    expect(streamPieces(t)).toEqual(['HyDE는 ', '가상의 ', '문서를  ', '생성한다. ', '[1]\n', 'Next']);
    expect(streamPieces(t).join('')).toBe(t);
    expect(streamPieces('')).toEqual([]);
  });

  it('pickMethod defaults to extractive and lists the table on a miss', () => {
    const m = defaultAskMethods();
    expect(pickMethod(m, undefined).name).toBe('extractive');
    expect(() => pickMethod(m, 'self-rag')).toThrow('unknown method "self-rag"; this server has: extractive');
  });
});
