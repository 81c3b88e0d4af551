/**
 * The PostgreSQL store against real servers started by scripts/pg-cluster.sh: a plain PostgreSQL
 * database (pgvector, no Citus) and a Citus coordinator with two workers. BM25 computed in SQL
 * must give the embedded index's top-k and scores (float32, bit for bit), also after incremental
 * changes; Citus must spread the shards over both workers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { IndexReader, IndexWriter, similarityNames, type IndexConfig } from '../../src/index/index.js';
import { PgStore, type PgStoreReader } from '../../src/index/pg/store.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };

const VOCAB = (
  'retrieval ranking score document query index term frequency length norm shard worker coordinator vector ' +
  'embedding answer citation passage corpus token analyzer stem phrase lucene postgres citus table commit ' +
  'transaction replica backup pool latency throughput memory disk cluster node search dense sparse hybrid fusion'
).split(' ');

/** A deterministic corpus: Zipf-ish words, 1–3 paragraphs per document, lengths 3–120 tokens (norm rounding above 24). */
function corpus(n: number, seed: number) {
  const rng = mulberry32(seed);
  const word = () => VOCAB[Math.floor(VOCAB.length * rng() ** 2.2)];
  const docs = [];
  for (let i = 0; i < n; i++) {
    const paras: string[] = [];
    const np = 1 + Math.floor(rng() * 3);
    for (let p = 0; p < np; p++) {
      const len = 3 + Math.floor(rng() ** 1.5 * 118);
      paras.push(Array.from({ length: len }, word).join(' '));
    }
    docs.push(makeDoc(`doc-${String(i).padStart(3, '0')}`, paras.join('\n\n')));
  }
  return docs;
}

function queries(n: number, seed: number): string[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(rng() * 4) }, () => VOCAB[Math.floor(rng() * VOCAB.length)]).join(' '));
}

async function embeddedTop(r: IndexReader, q: string, similarity: (typeof similarityNames)[number], k: number) {
  return r.search(q, { topK: k, similarity }).map((h) => {
    const ch = r.chunk(h.chunk);
    return { id: ch.id, score: h.score };
  });
}

async function pgTop(r: PgStoreReader, q: string, similarity: (typeof similarityNames)[number], k: number) {
  const hits = await r.search(q, { topK: k, similarity });
  const chunks = await r.chunks(hits);
  return hits.map((h, i) => ({ id: chunks[i].id, score: h.score }));
}

describe.skipIf(!available)('PostgreSQL store against real PostgreSQL 15 + pgvector + Citus', () => {
  let cluster: PgCluster;
  let dir: string;
  let singleUrl: string;
  const docs = corpus(150, 11);

  beforeAll(async () => {
    cluster = startPgCluster(2);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE single');
    await admin.end();
    singleUrl = cluster.url.replace(/\/postgres$/, '/single');
    dir = await mkdtemp(join(tmpdir(), 'openbook-pg-embedded-'));
    const w = await IndexWriter.open(dir, config, { now: () => 1_700_000_000_000 });
    await w.addDocuments(docs);
    await w.commit();
    await w.close();
  });
  afterAll(async () => {
    cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['single node', 'Citus, 2 workers'] as const) {
    describe(kind, () => {
      let store: PgStore;
      beforeAll(async () => {
        store = PgStore.connect(kind === 'single node' ? singleUrl : cluster.url);
        expect(await store.init(config)).toEqual([1, 2, 3, 4]);
        const w = await store.writer({ now: () => 1_700_000_000_000 });
        await w.addDocuments(docs);
        const info = await w.commit();
        expect(info).toMatchObject({ changed: true, generation: 1, numDocuments: 150 });
        await w.close();
      });
      afterAll(async () => store?.close());

      it('BM25 in SQL gives the embedded top-10 and scores, bit for bit, on 40 queries', async () => {
        const emb = await IndexReader.open(dir);
        const r = await store.reader();
        let compared = 0;
        for (const q of queries(40, 5)) {
          const a = await embeddedTop(emb, q, 'bm25', 10);
          const b = await pgTop(r, q, 'bm25', 10);
          expect(b.map((x) => x.id), q).toEqual(a.map((x) => x.id));
          expect(b.map((x) => x.score), q).toEqual(a.map((x) => x.score));
          compared += a.length;
        }
        expect(compared).toBeGreaterThan(300);
      });

      it('every other similarity agrees too (float32 ones exactly, double ones to 1e-12)', async () => {
        const emb = await IndexReader.open(dir);
        const r = await store.reader();
        for (const sim of similarityNames.filter((s) => s !== 'bm25')) {
          for (const q of queries(10, 9)) {
            const a = await embeddedTop(emb, q, sim, 10);
            const b = await pgTop(r, q, sim, 10);
            expect(b.map((x) => x.id), `${sim}: ${q}`).toEqual(a.map((x) => x.id));
            b.forEach((x, i) => expect(x.score).toBeCloseTo(a[i].score, 12));
          }
        }
      });

      it('stats match the embedded index', async () => {
        const emb = (await IndexReader.open(dir)).stats();
        const s = await store.stats();
        expect(s).toMatchObject({ numDocuments: emb.numDocuments, numChunks: emb.numChunks, numTerms: emb.numTerms, numPostings: emb.numPostings, docCount: emb.docCount, sumDocLen: emb.sumDocLen, distributed: kind !== 'single node' });
        expect(s.bytesOnDisk).toBeGreaterThan(0);
      });

      it('a second writer is refused with the holder named', async () => {
        const w = await store.writer({ now: () => 0 });
        try {
          await expect(store.writer({ now: () => 0 })).rejects.toThrow(/another writer holds the store since \d{4}-\d\d-\d\dT/);
        } finally {
          await w.close();
        }
      });
    });
  }

  it('Citus spreads the shards of chunks and postings over both workers', async () => {
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    const r = await c.query(`SELECT table_name::text AS t, count(DISTINCT nodeport) AS nodes FROM citus_shards WHERE table_name::text IN ('ob_chunks', 'ob_postings') GROUP BY 1 ORDER BY 1`);
    const placed = await c.query(`SELECT count(*) AS n FROM citus_shards WHERE table_name::text = 'ob_postings' AND shard_size > 8192`);
    await c.end();
    expect(r.rows).toEqual([{ t: 'ob_chunks', nodes: '2' }, { t: 'ob_postings', nodes: '2' }]);
    expect(Number(placed.rows[0].n)).toBeGreaterThan(1);
  });

  it('incremental changes (replace, remove, add) keep parity on both stores', async () => {
    const changed = docs[3].doc.text + '\n\nretrieval retrieval shard';
    const replaced = makeDoc(docs[3].doc.id, changed);
    const added = makeDoc('doc-new', 'citus worker shard coordinator latency\n\nvector embedding');
    const w = await IndexWriter.open(dir, config, { now: () => 1_700_000_000_001 });
    await w.addDocuments([replaced, added]);
    w.removeDocument(docs[10].doc.id);
    await w.commit();
    await w.close();
    const emb = await IndexReader.open(dir);
    for (const url of [singleUrl, cluster.url]) {
      const store = PgStore.connect(url);
      const pw = await store.writer({ now: () => 1_700_000_000_001 });
      await pw.addDocuments([replaced, added]);
      expect(pw.removeDocument(docs[10].doc.id)).toBe(true);
      expect(await pw.commit()).toMatchObject({ changed: true, generation: 2, numDocuments: 150 });
      expect((await pw.commit()).changed).toBe(false);
      await pw.close();
      const r = await store.reader();
      for (const q of [...queries(15, 21), 'retrieval shard', 'citus worker']) {
        const a = await embeddedTop(emb, q, 'bm25', 10);
        const b = await pgTop(r, q, 'bm25', 10);
        expect(b, `${url}: ${q}`).toEqual(a);
      }
      const s = await store.stats();
      expect(s).toMatchObject({ numChunks: emb.stats().numChunks, numTerms: emb.stats().numTerms, sumDocLen: emb.stats().sumDocLen });
      await store.close();
    }
  });
});
