/**
 * The store's writer streams (#14: 1M documents must index): documents are analysed and COPYed
 * into the commit's open transaction as they are added, in batches of about `flushChars`
 * characters, instead of held in memory until `commit()`. Against real PostgreSQL 15 and Citus:
 *  - rows reach the server before the commit (the relation grows) while readers still see the
 *    previous commit, whole, until it commits;
 *  - a writer whose heap is far smaller than the text it is given indexes it all (a child process
 *    with `--max-old-space-size`; the writer that held every pending document ran out of heap);
 *  - documents replaced or removed after their batch was sent, and documents of earlier commits
 *    replaced or removed (their postings found through the primary key from a re-analysis of the
 *    stored chunk text: there is no seq index since schema 3), give the embedded index's
 *    statistics, top-10 and scores; when the stored text no longer analyses to a chunk's postings
 *    (the deleted tfs do not add up to its length), the rest are deleted by seq all the same.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { IndexReader, IndexWriter, type IndexConfig } from '../../src/index/index.js';
import { PgStore, type PgStoreWriter } from '../../src/index/pg/store.js';
import { pgAvailable, startPgCluster, type PgCluster, sql } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };
const VOCAB = 'stream batch flush copy commit reader writer heap postings shard vacuum btree term chunk analysis pipeline'.split(' ');

function corpus(n: number, seed: number, prefix = 'doc') {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const paras = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => Array.from({ length: 3 + Math.floor(rng() * 50) }, () => VOCAB[Math.floor(VOCAB.length * rng() ** 2)]).join(' '));
    return makeDoc(`${prefix}-${String(i).padStart(4, '0')}`, paras.join('\n\n'));
  });
}
const QUERIES = ['stream batch', 'flush copy commit', 'heap', 'reader writer postings', 'shard vacuum btree term', 'pipeline analysis chunk'];

describe.skipIf(!available)('the store writer streams documents into the open transaction (real PostgreSQL and Citus)', () => {
  let cluster: PgCluster;
  let dir: string;
  const first = corpus(60, 1, 'old');
  const added = corpus(400, 2);
  const replacedLater = corpus(30, 5).map((d, i) => makeDoc(added[i * 7].doc.id, `${d.doc.text}\n\nreplaced after its batch was sent`));
  const db = (name: string) => cluster.url.replace(/\/postgres$/, `/${name}`);

  /** The second commit's changes, applied to either writer: adds (some replaced again after their batch), removals and replacements of the first commit's documents. */
  async function secondCommit(w: { addDocuments(items: ReturnType<typeof corpus>): Promise<void>; removeDocument(id: string): boolean }) {
    await w.addDocuments(added);
    await w.addDocuments(replacedLater);
    for (let i = 0; i < 20; i++) w.removeDocument(added[i * 11 + 3].doc.id);
    for (let i = 0; i < 10; i++) w.removeDocument(first[i * 3].doc.id);
    await w.addDocuments(first.slice(40, 50).map((d) => makeDoc(d.doc.id, `${d.doc.text} pipeline pipeline`)));
  }

  beforeAll(async () => {
    cluster = startPgCluster(2);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    for (const x of ['stream_rows', 'stream_bulk', 'stream_stale', 'stream_heap']) await admin.query(`CREATE DATABASE ${x}`);
    await admin.end();
    dir = await mkdtemp(join(tmpdir(), 'openbook-pg-stream-'));
    const w = await IndexWriter.open(dir, config, { now: () => 1 });
    await w.addDocuments(first);
    await w.commit();
    await secondCommit(w);
    await w.commit();
    await w.close();
  }, 120_000);
  afterAll(async () => {
    cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('single node: rows reach the server before commit() while a reader sees the previous commit; the result equals the embedded index', async () => {
    const url = db('stream_rows');
    const store = PgStore.connect(url);
    let w: PgStoreWriter | undefined;
    try {
      await store.init(config);
      w = await store.writer({ now: () => 1 });
      await w.addDocuments(first);
      await w.commit();
      await w.close();
      const reader = await store.reader();
      const before = await Promise.all(QUERIES.map((q) => reader.search(q, { topK: 10 })));
      const size0 = Number((await sql<{ s: string }>(url, `SELECT pg_relation_size('ob_chunks') + pg_relation_size('ob_postings') AS s`))[0].s);

      w = await store.writer({ now: () => 2, threads: 2, flushChars: 2_000, bulkLoadMinPostings: Number.MAX_SAFE_INTEGER });
      await w.addDocuments(added);
      // Sent, not committed: the relations hold the new rows' pages, no reader sees them.
      const size1 = Number((await sql<{ s: string }>(url, `SELECT pg_relation_size('ob_chunks') + pg_relation_size('ob_postings') AS s`))[0].s);
      expect(size1).toBeGreaterThan(size0 + 8192 * 4);
      expect((await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM ob_documents'))[0].n).toBe(String(first.length));
      expect(await Promise.all(QUERIES.map((q) => reader.search(q, { topK: 10 })))).toEqual(before);
      await w.addDocuments(replacedLater);
      for (let i = 0; i < 20; i++) w.removeDocument(added[i * 11 + 3].doc.id);
      for (let i = 0; i < 10; i++) w.removeDocument(first[i * 3].doc.id);
      await w.addDocuments(first.slice(40, 50).map((d) => makeDoc(d.doc.id, `${d.doc.text} pipeline pipeline`)));
      expect(await Promise.all(QUERIES.map((q) => reader.search(q, { topK: 10 })))).toEqual(before);
      expect((await w.commit()).generation).toBe(2);
      await w.close();
      await expectEmbedded(store);
    } finally {
      await w?.close(); // before the pool ends, which waits for the writer's connection
      await store.close();
    }
  }, 120_000);

  for (const kind of ['single node, bulk path', 'Citus, 2 workers'] as const) {
    it(`${kind}: batches of a first commit, then replacements and removals, equal the embedded index`, async () => {
      const store = PgStore.connect(kind === 'Citus, 2 workers' ? cluster.url : db('stream_bulk'));
      try {
        await store.init(config);
        let w = await store.writer({ now: () => 1, threads: 2, flushChars: 1_000, bulkLoadMinPostings: 1 });
        await w.addDocuments(first);
        await w.commit();
        await w.close();
        w = await store.writer({ now: () => 2, threads: 1, flushChars: 3_000 });
        await secondCommit(w);
        await w.commit();
        await w.close();
        await expectEmbedded(store);
      } finally {
        await store.close();
      }
    }, 120_000);
  }

  it('single node: a removed document whose stored text no longer analyses to its postings (an analyzer changed since) still loses every posting', async () => {
    const url = db('stream_stale');
    const store = PgStore.connect(url);
    try {
      await store.init(config);
      let w = await store.writer({ now: () => 1 });
      await w.addDocuments(first);
      await w.commit();
      await w.close();
      // As if the analyzer had changed: re-analysing doc old-0005's stored text gives other terms.
      const [{ seq }] = await sql<{ seq: string }>(url, `SELECT seq FROM ob_documents WHERE id = 'old-0005'`);
      await sql(url, `UPDATE ob_chunks SET text = 'unrelated words only' WHERE seq = ${seq}`);
      w = await store.writer({ now: () => 2 });
      expect(w.removeDocument('old-0005')).toBe(true);
      expect(w.removeDocument('old-0006')).toBe(true); // one whose text still analyses to its postings
      await w.commit();
      await w.close();
      const [real] = await sql<{ left: string; p: string; df: string; m: string; d: string; md: string }>(
        url,
        `SELECT (SELECT count(*) FROM ob_postings WHERE seq = ${seq}) AS left, (SELECT count(*) FROM ob_postings) AS p,
                (SELECT coalesce(sum(df), 0) FROM ob_terms) AS df, (SELECT num_postings FROM ob_meta) AS m,
                (SELECT count(*) FROM ob_documents) AS d, (SELECT num_documents FROM ob_meta) AS md`,
      );
      expect(real.left).toBe('0');
      expect([real.df, real.m]).toEqual([real.p, real.p]);
      expect([real.d, real.md]).toEqual([String(first.length - 2), String(first.length - 2)]);
      expect((await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM ob_terms WHERE df <= 0'))[0].n).toBe('0');
    } finally {
      await store.close();
    }
  }, 120_000);

  it('a writer with a 96 MB heap indexes 160 MB of text (the writer that held the commit in memory ran out of heap)', async () => {
    const url = db('stream_heap');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = join(dir, 'heap-writer.mts');
    await writeFile(
      script,
      `import { PgStore } from ${JSON.stringify(join(root, 'src/index/pg/store.ts'))};
       const store = PgStore.connect(${JSON.stringify(url)});
       await store.init(${JSON.stringify(config)});
       const w = await store.writer({ now: () => 1, threads: 1 });
       const words = ${JSON.stringify(VOCAB)};
       function* docs() {
         for (let i = 0; i < 8000; i++) {
           const parts = [];
           for (let k = 0; k < 3000; k++) parts.push(words[(i * 7 + k * k) % words.length]);
           const text = 'doc' + i + ' ' + parts.join(' ');
           const doc = { id: 'd' + i, source: 'd' + i + '.txt', title: '', text, format: 'txt', contentHash: 'h' + i, sizeBytes: text.length, mtimeMs: 0 };
           yield { doc, chunks: [{ id: doc.id + '#0', docId: doc.id, ordinal: 0, text, headingPath: [], startChar: 0, endChar: text.length, startLine: 1, endLine: 1 }] };
         }
       }
       await w.addDocuments(docs());
       const info = await w.commit();
       await w.close();
       await store.close();
       process.stdout.write(JSON.stringify(info));`,
    );
    const r = spawnSync(process.execPath, ['--max-old-space-size=96', '--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changed: true, numDocuments: 8000, numChunks: 8000 });
    const [m] = await sql<{ d: string; t: string }>(url, 'SELECT (SELECT count(*) FROM ob_documents) AS d, (SELECT text_bytes FROM ob_meta) AS t');
    expect(Number(m.d)).toBe(8000);
    expect(Number(m.t)).toBeGreaterThan(155e6);
  }, 300_000);

  async function expectEmbedded(store: PgStore) {
    const emb = await IndexReader.open(dir);
    const s = await store.stats();
    const e = emb.stats();
    expect([s.numDocuments, s.numChunks, s.numPostings, s.numTerms, s.docCount, s.sumDocLen]).toEqual([e.numDocuments, e.numChunks, e.numPostings, e.numTerms, e.docCount, e.sumDocLen]);
    const real = await store.withClient((c) =>
      c.query<{ p: string; df: string; l: string }>('SELECT (SELECT count(*) FROM ob_postings) AS p, (SELECT coalesce(sum(df), 0) FROM ob_terms) AS df, (SELECT coalesce(sum(doc_len), 0) FROM ob_chunks) AS l'),
    );
    expect([real.rows[0].p, real.rows[0].df, real.rows[0].l].map(Number)).toEqual([s.numPostings, s.numPostings, s.sumDocLen]);
    const r = await store.reader();
    for (const q of QUERIES) {
      const a = emb.search(q, { topK: 10 }).map((h) => [emb.chunk(h.chunk).id, h.score]);
      const hits = await r.search(q, { topK: 10 });
      const chunks = await r.chunks(hits);
      expect(hits.map((h, i) => [chunks[i].id, h.score]), q).toEqual(a);
    }
  }
});
