/**
 * Issue #14 item 1 on the HTTP API: `serve --store` lists, reads and deletes documents as the
 * embedded server does (they answered 501 before), against a real PostgreSQL 15 started by
 * scripts/pg-cluster.sh. A delete is one committed store write under the writer's advisory lock:
 * it waits while another writer holds the lock, then lands as one commit after which the store's
 * statistics (and so BM25 scores) equal the embedded index's after the same delete.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfig } from '../../src/config/schema.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { PgStore } from '../../src/index/pg/store.js';
import { createServer, type OpenbookServer } from '../../src/server/app.js';
import { StoreEngineHolder } from '../../src/server/engine-holder.js';
import { DocumentDetail, DocumentList, JobSchema, SearchResponse, StatusResponse } from '../../src/server/schemas.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { EN_DOC, KO_DOC } from './helpers.js';

const available = pgAvailable();

const NOTES = '# Notes\n\n## Storage\n\nSegments are immutable files. A commit writes a new manifest.\n\n## Search\n\nQueries are analysed like documents. Postings are scored with BM25 and k1.\n';

describe.skipIf(!available)('serve --store: documents list, read and delete as on the embedded index (real PostgreSQL)', () => {
  let cluster: PgCluster;
  let tmp: string;
  let url: string;
  let emb: OpenbookServer;
  let sto: OpenbookServer;
  const now = () => 1_700_000_000_000;

  beforeAll(async () => {
    cluster = startPgCluster(0);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE docs');
    await admin.end();
    url = cluster.url.replace(/\/[^/?]+(\?|$)/, '/docs$1');
    tmp = mkdtempSync(path.join(tmpdir(), 'openbook-pg-docs-'));
    mkdirSync(path.join(tmp, 'docs'));
    writeFileSync(path.join(tmp, 'docs', 'bm25.md'), EN_DOC);
    writeFileSync(path.join(tmp, 'docs', 'rag-ko.md'), KO_DOC);
    writeFileSync(path.join(tmp, 'docs', 'notes.md'), NOTES);
    const common = { paths: ['docs'], cwd: tmp, now, chunkSize: 16, chunkOverlap: 0 };
    await indexPaths({ ...common, indexDir: path.join(tmp, 'emb') });
    const store = PgStore.connect(url);
    try {
      await indexPaths({ ...common, indexDir: path.join(tmp, 'state'), store });
    } finally {
      await store.close();
    }
    const cfg = ServerConfig.parse({ rateLimitPerMinute: 0, roots: [path.join(tmp, 'docs')] });
    emb = createServer({ indexDir: path.join(tmp, 'emb'), server: cfg, cwd: tmp, now, log: () => {} });
    sto = createServer({ indexDir: path.join(tmp, 'state'), storeUrl: url, server: cfg, cwd: tmp, now, log: () => {}, lockWaitMs: 30_000 });
  }, 120_000);
  afterAll(async () => {
    const holder = sto?.engines;
    if (holder instanceof StoreEngineHolder) await holder.close();
    cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const get = async (s: OpenbookServer, p: string, init?: RequestInit) => {
    const r = await s.app.request(p, init);
    return { status: r.status, body: (await r.json()) as unknown };
  };
  const del = (s: OpenbookServer, id: string) => get(s, `/v1/documents/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { 'X-Openbook-Request': '1' } });
  const job = async (s: OpenbookServer, id: string) => JobSchema.parse((await get(s, `/v1/jobs/${id}`)).body);
  const hits = async (s: OpenbookServer, q: string) => SearchResponse.parse((await get(s, `/v1/search?q=${encodeURIComponent(q)}&topK=10`)).body).hits.map((h) => [h.chunkId, h.score]);

  it('GET /v1/documents (and a page of it) equals the embedded server\'s listing', async () => {
    const a = await get(emb, '/v1/documents');
    const b = await get(sto, '/v1/documents');
    expect(b.status).toBe(200);
    const list = DocumentList.parse(b.body);
    expect(list.total).toBe(3);
    expect(list.documents.map((d) => d.id)).toEqual(['docs/bm25.md', 'docs/notes.md', 'docs/rag-ko.md']);
    expect(list.documents.every((d) => d.numChunks >= 1 && !d.uploaded)).toBe(true);
    expect(b.body).toEqual(a.body);
    expect((await get(sto, '/v1/documents?offset=1&limit=1')).body).toEqual((await get(emb, '/v1/documents?offset=1&limit=1')).body);
    const past = (await get(sto, '/v1/documents?offset=5')).body;
    expect(past).toMatchObject({ total: 3, offset: 5, documents: [] });
    expect(past).toEqual((await get(emb, '/v1/documents?offset=5')).body);
  });

  it('GET /v1/documents/:id gives the text and chunk offsets the embedded server gives; 404 when absent', async () => {
    for (const id of ['docs/bm25.md', 'docs/rag-ko.md', 'docs/notes.md']) {
      const a = await get(emb, `/v1/documents/${encodeURIComponent(id)}`);
      const b = await get(sto, `/v1/documents/${encodeURIComponent(id)}`);
      expect(b.status).toBe(200);
      const d = DocumentDetail.parse(b.body);
      for (const c of d.chunks) expect(d.text.slice(c.startChar, c.endChar).length).toBe(c.endChar - c.startChar);
      expect(b.body).toEqual(a.body);
    }
    const d = DocumentDetail.parse((await get(sto, `/v1/documents/${encodeURIComponent('docs/rag-ko.md')}`)).body);
    expect(d.text.trimEnd()).toBe(KO_DOC.trimEnd());
    const missing = await get(sto, '/v1/documents/nope.md');
    expect(missing).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no document with id "nope.md" in the index' } } });
  });

  it('DELETE /v1/documents/:id waits for the writer lock, then removes the document in one commit; statistics equal the embedded index\'s', async () => {
    const before = StatusResponse.parse((await get(sto, '/v1/status')).body).index!;
    // Another writer holds the store: the delete job waits and writes nothing.
    const store = PgStore.connect(url);
    const other = await store.writer({ now });
    let released = false;
    try {
      const r = await del(sto, 'docs/bm25.md');
      expect(r.status).toBe(202);
      const id = JobSchema.parse(r.body).id;
      for (let i = 0; i < 100 && (await job(sto, id)).progress?.phase !== 'waiting-for-lock'; i++) await new Promise((res) => setTimeout(res, 50));
      expect(await job(sto, id)).toMatchObject({ status: 'queued', progress: { phase: 'waiting-for-lock' } });
      expect(DocumentList.parse((await get(sto, '/v1/documents')).body).total).toBe(3);
      await other.close();
      released = true;
      await sto.jobs.idle();
      expect(await job(sto, id)).toMatchObject({ status: 'succeeded', result: { removed: 1, committed: true, generation: before.generation + 1, fileDeleted: false } });
    } finally {
      if (!released) await other.close();
      await store.close();
    }
    const e = await del(emb, 'docs/bm25.md');
    await emb.jobs.idle();
    expect(await job(emb, JobSchema.parse(e.body).id)).toMatchObject({ status: 'succeeded', result: { removed: 1, committed: true } });

    expect((await get(sto, '/v1/documents')).body).toEqual((await get(emb, '/v1/documents')).body);
    const sa = StatusResponse.parse((await get(emb, '/v1/status')).body).index!;
    const sb = StatusResponse.parse((await get(sto, '/v1/status')).body).index!;
    expect([sb.numDocuments, sb.numChunks]).toEqual([sa.numDocuments, sa.numChunks]);
    expect(sb.numDocuments).toBe(2);
    // BM25 over the remaining documents: document frequencies and lengths were updated in the same commit.
    expect(await hits(sto, 'BM25 k1 documents')).toEqual(await hits(emb, 'BM25 k1 documents'));
    expect((await hits(sto, 'saturation')).length).toBe(0);
    expect((await del(sto, 'docs/bm25.md')).status).toBe(404);
  });

  it('an uploaded document is deleted with its file', async () => {
    const form = new FormData();
    form.append('files', new Blob(['# HNSW\n\nHierarchical navigable small world graphs answer nearest neighbour queries.\n']), 'hnsw.md');
    const up = await get(sto, '/v1/documents', { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: form });
    expect(up.status).toBe(202);
    await sto.jobs.idle();
    expect(await job(sto, JobSchema.parse(up.body).id)).toMatchObject({ status: 'succeeded', result: { added: 1, committed: true } });
    const list = DocumentList.parse((await get(sto, '/v1/documents')).body);
    expect(list.documents.find((d) => d.id === 'uploads/hnsw.md')).toMatchObject({ uploaded: true, numChunks: 1, format: 'md' });
    const r = await del(sto, 'uploads/hnsw.md');
    expect(r.status).toBe(202);
    await sto.jobs.idle();
    expect(await job(sto, JobSchema.parse(r.body).id)).toMatchObject({ status: 'succeeded', result: { removed: 1, committed: true, fileDeleted: true } });
    expect(readdirSync(path.join(tmp, 'state', 'uploads'))).toEqual([]);
    expect(await hits(sto, 'navigable small world')).toEqual([]);
  });
});
