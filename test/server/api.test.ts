/**
 * The HTTP API against a real server on 127.0.0.1: search, ask (JSON and SSE), documents,
 * uploads and jobs, and every guard (auth, limits, traversal, malformed input).
 */
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AskMethod } from '../../src/server/methods.js';
import type { RunningServer } from '../../src/server/listen.js';
import { listen } from '../../src/server/listen.js';
import { createServer } from '../../src/server/app.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { ServerConfig } from '../../src/config/schema.js';
import {
  AnswerResponse,
  DocumentDetail,
  DocumentList,
  ErrorBody,
  JobSchema,
  SearchResponse,
  StatusResponse,
} from '../../src/server/schemas.js';
import { KO_DOC, makeFixture, parseSse, startOn, waitForJob, type Fixture } from './helpers.js';

let fx: Fixture;
let srv: RunningServer;
let url: string;

beforeAll(async () => {
  fx = await makeFixture();
  srv = await startOn(fx, { maxBodyBytes: 2048 }, { maxFileBytes: 64 * 1024 });
  url = srv.url;
});
afterAll(async () => {
  await srv?.close();
  await rm(fx.dir, { recursive: true, force: true });
});

const getJson = async (p: string, init?: RequestInit) => {
  const res = await fetch(`${url}${p}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
};
const postJson = (p: string, body: unknown, headers: Record<string, string> = {}) =>
  getJson(p, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const errorCode = (body: unknown) => ErrorBody.parse(body).error.code;

describe('read endpoints', () => {
  it('binds to 127.0.0.1 and answers /healthz', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await getJson('/healthz').then((r) => r.body)).toEqual({ ok: true });
  });

  it('GET /v1/status reports the committed index (2 documents, 2 chunks) and the extractive method', async () => {
    const { status, body } = await getJson('/v1/status');
    expect(status).toBe(200);
    const s = StatusResponse.parse(body);
    expect(s.index).toMatchObject({ numDocuments: 2, numChunks: 2, generation: 1 });
    expect(s.methods.map((m) => m.name)).toEqual(['extractive']);
    expect(s.auth).toBe(false);
  });

  it('GET /v1/search ranks the English document first for an English query and honours k', async () => {
    const { status, body } = await getJson('/v1/search?q=term%20frequency%20saturation&topK=1');
    expect(status).toBe(200);
    const r = SearchResponse.parse(body);
    expect(r.hits).toHaveLength(1);
    expect(r.hits[0]).toMatchObject({ rank: 1, docId: 'docs/bm25.md', source: 'docs/bm25.md', title: 'BM25', startLine: 1 });
    // the hit carries its document's metadata fields (#16 item 1), as search --json does
    expect(r.hits[0].meta).toMatchObject({ lang: 'en', encoding: 'utf-8' });
  });

  it('GET /v1/search finds the Korean document for a Korean query', async () => {
    const r = SearchResponse.parse((await getJson(`/v1/search?q=${encodeURIComponent('가상의 문서')}`)).body);
    expect(r.hits[0].docId).toBe('docs/rag-ko.md');
  });

  it('GET /v1/search and POST /v1/ask take a metadata filter (text or JSON form); a bad one is a 400 naming the column', async () => {
    const q = `/v1/search?q=${encodeURIComponent('문서 BM25 saturation')}`;
    const both = SearchResponse.parse((await getJson(q)).body).hits.map((h) => h.docId).sort();
    expect(both).toEqual(['docs/bm25.md', 'docs/rag-ko.md']);
    const ko = SearchResponse.parse((await getJson(`${q}&filter=${encodeURIComponent('lang = "ko"')}`)).body).hits.map((h) => h.docId);
    expect(ko).toEqual(['docs/rag-ko.md']);
    const json = SearchResponse.parse((await getJson(`${q}&filter=${encodeURIComponent(JSON.stringify({ field: 'path', op: 'glob', pattern: 'docs/bm25*' }))}`)).body).hits.map((h) => h.docId);
    expect(json).toEqual(['docs/bm25.md']);
    const a = AnswerResponse.parse((await postJson('/v1/ask', { question: '가상의 문서', filter: { field: 'lang', op: '=', value: 'en' } })).body);
    expect(a.hits.every((h) => h.docId === 'docs/bm25.md')).toBe(true);
    const bad = await getJson(`${q}&filter=${encodeURIComponent('lang = ')}`);
    expect(bad.status).toBe(400);
    expect(ErrorBody.parse(bad.body).error).toMatchObject({ code: 'FILTER_SYNTAX' });
    expect(ErrorBody.parse(bad.body).error.message).toMatch(/column 8/);
    const status = StatusResponse.parse((await getJson('/v1/status')).body);
    expect(status.index!.metadataFields.find((f) => f.field === 'lang')).toMatchObject({ types: ['string'], documents: 2 });
  });

  it.each([
    ['k=0', 'INVALID_PARAMETER', 400],
    ['k=abc', 'INVALID_PARAMETER', 400],
    ['k=1001', 'INVALID_PARAMETER', 400],
    ['b=1.5', 'INVALID_PARAMETER', 400],
    ['k1=-1', 'INVALID_PARAMETER', 400],
    ['nope=1', 'INVALID_PARAMETER', 400],
    ['retriever=magic', 'INVALID_PARAMETER', 400],
    ['retriever=dense', 'CAPABILITY_MISSING', 501],
    ['similarity=bm26', 'INVALID_PARAMETER', 400],
  ])('GET /v1/search?q=x&%s → %s (%i)', async (qs, code, status) => {
    const r = await getJson(`/v1/search?q=bm25&${qs}`);
    expect(r.status).toBe(status);
    expect(errorCode(r.body)).toBe(code);
  });

  it('GET /v1/search without q is a 400 that names the field', async () => {
    const r = await getJson('/v1/search');
    expect(r.status).toBe(400);
    expect(ErrorBody.parse(r.body).error.message).toContain('q:');
  });

  it('GET /v1/documents lists both, and /v1/documents/:id returns text and chunk offsets', async () => {
    const list = DocumentList.parse((await getJson('/v1/documents')).body);
    expect(list.total).toBe(2);
    expect(list.documents.map((d) => d.id).sort()).toEqual(['docs/bm25.md', 'docs/rag-ko.md']);
    const d = DocumentDetail.parse((await getJson(`/v1/documents/${encodeURIComponent('docs/rag-ko.md')}`)).body);
    expect(d.text.trimEnd()).toBe(KO_DOC.trimEnd());
    expect(d.text.slice(d.chunks[0].startChar, d.chunks[0].endChar)).toContain('HyDE는 질문에 대한 가상의 문서를');
    expect(d.chunks[0]).toMatchObject({ id: 'docs/rag-ko.md#0', startChar: 0, startLine: 1 });
    expect(d.uploaded).toBe(false);
    const missing = await getJson('/v1/documents/nope.md');
    expect(missing.status).toBe(404);
    expect(errorCode(missing.body)).toBe('NOT_FOUND');
  });

  it('unknown routes are JSON 404s', async () => {
    const r = await getJson('/v1/nothing');
    expect(r.status).toBe(404);
    expect(errorCode(r.body)).toBe('NOT_FOUND');
  });

  it('/openapi.json is generated from the schemas', async () => {
    const doc = (await getJson('/openapi.json')).body as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/v1/ask', '/v1/documents', '/v1/documents/{id}', '/v1/jobs/{id}', '/v1/search', '/v1/status']);
    expect(Object.keys(doc.components.schemas.AskRequest.properties ?? {})).toEqual(['question', 'topK', 'k', 'delta', 'prior', 'prWeight', 'context', 'retriever', 'method', 'similarity', 'k1', 'b', 'fusion', 'rrfK', 'normalization', 'alpha', 'rerank', 'rerankDepth', 'filter']);
    // topK (and k, its alias) take the config's topK rule (an integer ≥ 1, from the option table) with the API's cap of 1000.
    expect(doc.components.schemas.AskRequest.properties?.topK).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(doc.components.schemas.AskRequest.properties?.k).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
  });

  it('serves the page with a restrictive Content-Security-Policy', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<script type="module" src="/static/app.js">');
    expect((await fetch(`${url}/static/app.js`)).status).toBe(200);
    expect((await fetch(`${url}/static/..%2Fapp.ts`)).status).toBe(404);
  });
});

describe('POST /v1/ask', () => {
  it('answers with a cited, verbatim quote (JSON)', async () => {
    const { status, body } = await postJson('/v1/ask', { question: 'HyDE는 무엇을 생성하나?' });
    expect(status).toBe(200);
    const a = AnswerResponse.parse(body);
    expect(a.method).toBe('extractive');
    // 무엇을: the short answer (the object before 생성하고) leads, then the quote.
    expect(a.answer).toBe('가상의 문서 — HyDE는 질문에 대한 가상의 문서를 먼저 생성하고 그 문서로 검색한다. [1]');
    expect(a.citations[0]).toMatchObject({ n: 1, docId: 'docs/rag-ko.md', startLine: 4, endLine: 4 });
    // The quote sits at quoteStart in the cited chunk's text.
    const hit = a.hits.find((h) => h.chunkId === a.citations[0].chunkId)!;
    expect(hit.text.slice(a.citations[0].quoteStart, a.citations[0].quoteStart + a.citations[0].quote.length)).toBe(a.citations[0].quote);
    expect(a.trace?.map((s) => s.kind)).toEqual(['retrieve', 'score', 'score']); // BM25's pool, the phrase rerank, the sentence scoring
  });

  it('streams tokens, then citations, hits, trace and done as server-sent events', async () => {
    const res = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ question: 'What does k1 control?', topK: 1 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text());
    const names = events.map(([e]) => e);
    const firstNonToken = names.findIndex((n) => n !== 'token');
    expect(firstNonToken).toBeGreaterThan(1); // several tokens first
    expect(names.slice(firstNonToken)).toEqual(['citations', 'hits', 'trace', 'done']);
    const done = AnswerResponse.parse(events.at(-1)![1]);
    const streamed = events.filter(([e]) => e === 'token').map(([, d]) => (d as { delta: string }).delta).join('');
    expect(streamed).toBe(done.answer);
    expect(done.answer).toContain('k1 controls term-frequency saturation');
    expect(done.hits.map((h) => h.docId)).toEqual(['docs/bm25.md']);
  });

  it('rejects malformed JSON, a wrong Content-Type, unknown fields, an unknown method and an oversized body', async () => {
    const bad = await getJson('/v1/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"question": "x",' });
    expect([bad.status, errorCode(bad.body)]).toEqual([400, 'MALFORMED_JSON']);
    const type = await getJson('/v1/ask', { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Openbook-Request': '1' }, body: 'question' });
    expect([type.status, errorCode(type.body)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const extra = await postJson('/v1/ask', { question: 'x', topk: 3 });
    expect([extra.status, errorCode(extra.body)]).toEqual([400, 'INVALID_PARAMETER']);
    const empty = await postJson('/v1/ask', { question: '   ' });
    expect([empty.status, errorCode(empty.body)]).toEqual([400, 'INVALID_PARAMETER']);
    const method = await postJson('/v1/ask', { question: 'x', method: 'hyde' });
    expect(method.status).toBe(400);
    expect(ErrorBody.parse(method.body).error.message).toBe('unknown method "hyde"; this server has: extractive');
    // maxBodyBytes is 2048 in this server: a 3000-byte question is refused before parsing.
    const big = await postJson('/v1/ask', { question: 'a'.repeat(3000) });
    expect([big.status, errorCode(big.body)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });
});

describe('uploads, jobs, delete', () => {
  const upload = (files: Array<[string, string | Uint8Array]>) => {
    const form = new FormData();
    for (const [name, content] of files) form.append('files', new Blob([content]), name);
    return getJson('/v1/documents', { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: form });
  };

  it('indexes an upload as a job, finds it, lists it as uploaded, and deletes it with its file', async () => {
    const up = await upload([['hnsw.md', '# HNSW\n\nHierarchical navigable small world graphs answer approximate nearest neighbour queries.\n']]);
    expect(up.status).toBe(202);
    const queued = JobSchema.parse(up.body);
    expect(queued.kind).toBe('upload');
    const job = JobSchema.parse(await waitForJob(url, queued.id));
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ added: 1, committed: true, generation: 2 });
    expect(job.progress).toMatchObject({ phase: 'commit', filesDone: 1, filesTotal: 1 });

    const hits = SearchResponse.parse((await getJson('/v1/search?q=navigable%20small%20world')).body).hits;
    expect(hits[0].docId).toBe('uploads/hnsw.md');
    const list = DocumentList.parse((await getJson('/v1/documents')).body);
    expect(list.documents.find((d) => d.id === 'uploads/hnsw.md')).toMatchObject({ uploaded: true, numChunks: 1, format: 'md' });
    expect(await readdir(path.join(fx.indexDir, 'uploads'))).toEqual(['hnsw.md']);

    const del = await getJson(`/v1/documents/${encodeURIComponent('uploads/hnsw.md')}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const delJob = JobSchema.parse(await waitForJob(url, JobSchema.parse(del.body).id));
    expect(delJob.result).toMatchObject({ removed: 1, committed: true, generation: 3, fileDeleted: true });
    expect(SearchResponse.parse((await getJson('/v1/search?q=navigable%20small%20world')).body).hits).toEqual([]);
    expect(await readdir(path.join(fx.indexDir, 'uploads'))).toEqual([]);
    expect((await getJson(`/v1/documents/${encodeURIComponent('uploads/hnsw.md')}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps an uploaded name inside the upload folder ("../../evil.md" lands as uploads/evil.md)', async () => {
    const up = await upload([['../../evil.md', '# Evil\n\nNot so evil after all.\n']]);
    const job = await waitForJob(url, JobSchema.parse(up.body).id);
    expect(job.status).toBe('succeeded');
    expect(await readdir(path.join(fx.indexDir, 'uploads'))).toContain('evil.md');
    await expect(readFile(path.join(fx.dir, 'evil.md'))).rejects.toThrow();
  });

  it('refuses unsupported types, content that does not match the extension, oversized files and empty uploads', async () => {
    const exe = await upload([['tool.exe', 'MZ…']]);
    expect([exe.status, errorCode(exe.body)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const fakePdf = await upload([['paper.pdf', 'just text, no PDF header']]);
    expect([fakePdf.status, errorCode(fakePdf.body)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const binaryMd = await upload([['notes.md', new Uint8Array([0x23, 0x20, 0x00, 0x01, 0x02])]]);
    expect([binaryMd.status, errorCode(binaryMd.body)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    // maxFileBytes is 64 KiB in this server.
    const big = await upload([['big.txt', 'x'.repeat(65 * 1024)]]);
    expect([big.status, errorCode(big.body)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const none = await getJson('/v1/documents', { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: new FormData() });
    expect(none.status).toBe(400);
    const dup = await upload([['a.txt', 'one'], ['a.txt', 'two']]);
    expect([dup.status, errorCode(dup.body)]).toEqual([400, 'INVALID_PARAMETER']);
  });

  it('indexes server paths only under the roots: .., absolute paths and symlinks out are 403', async () => {
    await symlink(path.join(fx.dir, 'outside'), path.join(fx.docsDir, 'link-out'));
    for (const p of ['../outside/secret.md', path.join(fx.dir, 'outside', 'secret.md'), '/etc/passwd', 'link-out/secret.md', 'link-out', 'docs/../../outside']) {
      const r = await postJson('/v1/documents', { paths: [p] });
      expect([p, r.status, errorCode(r.body)]).toEqual([p, 403, 'FORBIDDEN_PATH']);
    }
    const missing = await postJson('/v1/documents', { paths: ['nope.md'] });
    expect(missing.status).toBe(404);
    await writeFile(path.join(fx.docsDir, 'extra.txt'), 'Reciprocal rank fusion adds 1 / (rrfK + rank) over lists.\n');
    const ok = await postJson('/v1/documents', { paths: ['extra.txt'] });
    expect(ok.status).toBe(202);
    const job = await waitForJob(url, JobSchema.parse(ok.body).id);
    expect(job).toMatchObject({ status: 'succeeded', result: { added: 1 } });
    const hits = SearchResponse.parse((await getJson('/v1/search?q=reciprocal%20rank%20fusion')).body).hits;
    expect(hits[0].docId).toBe('docs/extra.txt');
    // The secret was never indexed.
    expect(SearchResponse.parse((await getJson('/v1/search?q=launch%20code')).body).hits).toEqual([]);
  });

  it('GET /v1/jobs/:id of an unknown job is a 404', async () => {
    const r = await getJson('/v1/jobs/00000000-0000-0000-0000-000000000000');
    expect([r.status, errorCode(r.body)]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('concurrency', () => {
  it('searches answer from the last commit while an upload is being indexed', async () => {
    // A second server with the default 32 MiB file limit (the shared one allows 64 KiB).
    const big = await startOn(fx);
    const shared = url;
    url = big.url;
    try {
      // 4000 JSONL documents: indexing takes long enough to search while the job runs.
      const lines = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ _id: `n${i}`, title: `note ${i}`, text: `Quokka note number ${i} about marsupials and islands ${i % 7}.` }));
      const form = new FormData();
      form.append('files', new Blob([lines.join('\n') + '\n']), 'notes.jsonl');
      const up = await getJson('/v1/documents', { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: form });
      const id = JobSchema.parse(up.body).id;
      const before = SearchResponse.parse((await getJson('/v1/search?q=quokka')).body);
      let duringRunning = 0;
      let searches = 0;
      for (;;) {
        const job = JobSchema.parse((await getJson(`/v1/jobs/${id}`)).body);
        if (job.status === 'succeeded' || job.status === 'failed') break;
        const [s, a] = await Promise.all([getJson('/v1/search?q=term%20frequency'), postJson('/v1/ask', { question: 'What does k1 control?' })]);
        expect(s.status).toBe(200);
        expect(a.status).toBe(200);
        searches++;
        const after = JobSchema.parse((await getJson(`/v1/jobs/${id}`)).body);
        if (job.status === 'running' && after.status === 'running') duringRunning++;
      }
      expect(before.hits).toEqual([]);
      expect(searches).toBeGreaterThan(0);
      expect(duringRunning).toBeGreaterThan(0); // at least one search+ask pair finished inside the running job
      const done = JobSchema.parse((await getJson(`/v1/jobs/${id}`)).body);
      expect(done.result).toMatchObject({ added: 4000 });
      expect(SearchResponse.parse((await getJson('/v1/search?q=quokka&topK=3')).body).hits).toHaveLength(3);
    } finally {
      url = shared;
      await big.close();
    }
  });
});

describe('errors never leak internals', () => {
  it('an unexpected failure is a 500 with a reference, no stack and no message text', async () => {
    const boom: AskMethod = {
      name: 'boom',
      description: 'always fails (test stand-in for a broken method)',
      async run() {
        throw new Error('secret internal detail at /srv/x.ts:1');
      },
    };
    const logged: string[] = [];
    const s2 = await startOn(fx, {}, { methods: new Map([['boom', boom]]), log: (l) => logged.push(l) });
    try {
      const res = await fetch(`${s2.url}/v1/ask`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ question: 'x', method: 'boom' }) });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain('secret');
      expect(text).not.toContain('.ts:');
      expect(ErrorBody.parse(JSON.parse(text)).error.code).toBe('INTERNAL');
      expect(logged.join('\n')).toContain('secret internal detail');
    } finally {
      await s2.close();
    }
  });
});

describe('security settings', () => {
  it('with an API key: /v1 and /openapi.json need the bearer token; /healthz and the page do not', async () => {
    const s2 = await startOn(fx, { apiKey: 'test-key-1234567890' });
    try {
      const none = await fetch(`${s2.url}/v1/status`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="openbook"');
      expect(errorCode(await none.json())).toBe('UNAUTHORIZED');
      const wrong = await fetch(`${s2.url}/v1/search?q=bm25`, { headers: { Authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const basic = await fetch(`${s2.url}/v1/search?q=bm25`, { headers: { Authorization: 'Basic dXNlcjpwdw==' } });
      expect(basic.status).toBe(401);
      const right = await fetch(`${s2.url}/v1/search?q=bm25`, { headers: { Authorization: 'Bearer test-key-1234567890' } });
      expect(right.status).toBe(200);
      expect((await fetch(`${s2.url}/openapi.json`)).status).toBe(401);
      expect((await fetch(`${s2.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${s2.url}/`)).status).toBe(200);
    } finally {
      await s2.close();
    }
  });

  it('rate limit: the 4th request in a minute from one client is a 429 with Retry-After', async () => {
    const s2 = await startOn(fx, { rateLimitPerMinute: 3 });
    try {
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${s2.url}/v1/search?q=bm25`);
        codes.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get('retry-after');
          expect(errorCode(await r.json())).toBe('RATE_LIMITED');
        } else await r.arrayBuffer();
      }
      expect(codes).toEqual([200, 200, 200, 429]);
      // 3 per minute refills one token every 20 s; the bucket is nearly empty → 20 s.
      expect(retryAfter).toBe('20');
      expect((await fetch(`${s2.url}/healthz`)).status).toBe(200); // not rate limited
    } finally {
      await s2.close();
    }
  });

  it('CORS is off by default and allows exactly the configured origins', async () => {
    const off = await fetch(`${url}/v1/status`, { headers: { Origin: 'http://evil.example' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
    await off.arrayBuffer();
    const s2 = await startOn(fx, { corsOrigins: ['http://app.example'] });
    try {
      const ok = await fetch(`${s2.url}/v1/status`, { headers: { Origin: 'http://app.example' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://app.example');
      await ok.arrayBuffer();
      const other = await fetch(`${s2.url}/v1/status`, { headers: { Origin: 'http://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      await other.arrayBuffer();
    } finally {
      await s2.close();
    }
  });

  it('refuses to listen on a non-loopback host without an API key', async () => {
    const cfg = ServerConfig.parse({ host: '0.0.0.0', port: 0 });
    await expect(listen({ indexDir: fx.indexDir, server: cfg, cwd: fx.dir, log: () => {} })).rejects.toMatchObject({
      code: 'INSECURE_BIND',
      message: expect.stringContaining('refusing to listen on 0.0.0.0 without an API key'),
    });
  });

  it('a server over an empty folder says so: 404 INDEX_NOT_FOUND for search, empty document list', async () => {
    const empty = path.join(fx.dir, 'empty-index');
    await mkdir(empty);
    const s2 = await listen({ indexDir: empty, server: ServerConfig.parse({ port: 0, rateLimitPerMinute: 0 }), cwd: fx.dir, log: () => {} });
    try {
      const r = await fetch(`${s2.url}/v1/search?q=x`);
      expect(r.status).toBe(404);
      expect(errorCode(await r.json())).toBe('INDEX_NOT_FOUND');
      expect(await (await fetch(`${s2.url}/v1/documents`)).json()).toEqual({ total: 0, offset: 0, documents: [], metadataFields: [] });
      expect(StatusResponse.parse(await (await fetch(`${s2.url}/v1/status`)).json()).index).toBeNull();
    } finally {
      await s2.close();
    }
  });
});

describe('the app object without a socket (app.request)', () => {
  it('uploads into an index built with another analyzer (english) without asking to change it', async () => {
    const dir = path.join(fx.dir, 'english');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.md'), '# Running\n\nThe runners were running fast.\n');
    const indexDir = path.join(dir, 'idx');
    await indexPaths({ indexDir, paths: ['a.md'], cwd: dir, now: Date.now, analyzer: 'english' });
    const server = createServer({ indexDir, server: ServerConfig.parse({ rateLimitPerMinute: 0 }), cwd: dir, log: () => {} });
    const form = new FormData();
    form.append('files', new Blob(['# Swimming\n\nSwimmers swam in the lake.\n']), 'b.md');
    const up = await server.app.request('/v1/documents', { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: form });
    expect(up.status).toBe(202);
    const id = JobSchema.parse(await up.json()).id;
    await server.jobs.idle();
    const job = (await (await server.app.request(`/v1/jobs/${id}`)).json()) as Record<string, unknown>;
    expect(job).toMatchObject({ status: 'succeeded', result: { added: 1, generation: 2 } });
    // The english analyzer stems: the query "swimmer" finds "Swimmers".
    const hits = SearchResponse.parse(await (await server.app.request('/v1/search?q=swimmer')).json()).hits;
    expect(hits.map((h) => h.docId)).toEqual(['uploads/b.md']);
    const status = StatusResponse.parse(await (await server.app.request('/v1/status')).json());
    expect(status.index).toMatchObject({ analyzer: 'english', numDocuments: 2 });
  });
});
