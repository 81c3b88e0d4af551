/**
 * The store's bulk-load path (a first commit into an empty store drops the postings' primary key,
 * COPYs the postings in term order and builds the key after, then VACUUM ANALYZE) and the
 * analysis worker threads, against real PostgreSQL 15 and Citus with 2 workers: the same postings,
 * statistics, top-k and scores as the embedded index and as the row-by-row path; the key back
 * afterwards (on every shard on Citus); a later incremental commit takes the ordinary path.
 * `bulkLoadMinPostings: 1` sends this small corpus down the bulk path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { getAnalyzer } from '../../src/analysis/registry.js';
import { IndexReader, IndexWriter, type IndexConfig } from '../../src/index/index.js';
import { intToByte4 } from '../../src/index/sparse/small-float.js';
import { PgStore } from '../../src/index/pg/store.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };
const VOCAB = 'shard worker coordinator posting btree commit vacuum analyze copy index term score query lucene citus vector'.split(' ');

function corpus(n: number, seed: number) {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const paras = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => Array.from({ length: 3 + Math.floor(rng() * 60) }, () => VOCAB[Math.floor(VOCAB.length * rng() ** 2)]).join(' '));
    return makeDoc(`doc-${String(i).padStart(3, '0')}`, paras.join('\n\n'));
  });
}

const QUERIES = ['shard worker', 'vacuum analyze copy', 'lucene', 'citus vector score', 'btree commit index term', 'query'];

describe.skipIf(!available)('bulk load into an empty store (real PostgreSQL and Citus)', () => {
  let cluster: PgCluster;
  let dir: string;
  const docs = corpus(120, 3);
  const more = corpus(20, 4).map((d) => ({ ...d, doc: { ...d.doc, id: `more-${d.doc.id}` }, chunks: d.chunks.map((c) => ({ ...c, docId: `more-${d.doc.id}`, id: `more-${c.id}` })) }));

  beforeAll(async () => {
    cluster = startPgCluster(2);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    for (const db of ['bulk', 'rows_single', 'rows_citus', 'fields_bulk', 'fields_rows']) await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    dir = await mkdtemp(join(tmpdir(), 'openbook-pg-bulk-'));
    const w = await IndexWriter.open(dir, config, { now: () => 1 });
    await w.addDocuments(docs);
    await w.commit();
    await w.addDocuments(more);
    await w.commit();
    await w.close();
  }, 120_000);
  afterAll(async () => {
    cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const db = (name: string) => cluster.url.replace(/\/postgres$/, `/${name}`);

  for (const kind of ['single node', 'Citus, 2 workers'] as const) {
    it(`${kind}: bulk path (2 analysis threads) = row path = embedded index, indexes rebuilt, then an incremental commit`, async () => {
      const bulk = PgStore.connect(kind === 'single node' ? db('bulk') : cluster.url);
      const rows = PgStore.connect(db(kind === 'single node' ? 'rows_single' : 'rows_citus'));
      try {
        for (const [store, opts] of [[bulk, { bulkLoadMinPostings: 1, threads: 2 }], [rows, { bulkLoadMinPostings: Number.MAX_SAFE_INTEGER, threads: 1 }]] as const) {
          await store.init(config);
          const w = await store.writer({ now: () => 1, ...opts });
          await w.addDocuments(docs);
          await w.commit();
          await w.close();
        }
        const idx = await bulk.withClient((c) => c.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'ob_postings' ORDER BY 1`));
        expect(idx.rows.map((r) => r.indexname)).toEqual(['ob_postings_pkey']); // no seq index since schema 3
        if (kind !== 'single node') {
          // every shard placement has its primary key again
          const shards = await bulk.withClient((c) =>
            c.query<{ n: string }>(`SELECT count(*) AS n FROM run_command_on_shards('ob_postings', $$SELECT count(*) FROM pg_indexes WHERE tablename = '%s'$$) WHERE result::int = 1`),
          );
          const all = await bulk.withClient((c) => c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_dist_shard WHERE logicalrelid = 'ob_postings'::regclass`));
          expect(Number(shards.rows[0].n)).toBe(Number(all.rows[0].n));
        }
        // an incremental commit on top (the ordinary path: the table is not empty)
        const w = await bulk.writer({ now: () => 2, bulkLoadMinPostings: 1, threads: 2 });
        await w.addDocuments(more);
        expect((await w.commit()).generation).toBe(2);
        await w.close();
        const wr = await rows.writer({ now: () => 2 });
        await wr.addDocuments(more);
        await wr.commit();
        await wr.close();

        const emb = await IndexReader.open(dir);
        const s = await bulk.stats();
        const e = emb.stats();
        expect([s.numPostings, s.numTerms, s.docCount, s.sumDocLen, s.numChunks]).toEqual([e.numPostings, e.numTerms, e.docCount, e.sumDocLen, e.numChunks]);
        const rb = await bulk.reader();
        const rr = await rows.reader();
        for (const q of QUERIES) {
          const a = emb.search(q, { topK: 10 }).map((h) => [emb.chunk(h.chunk).id, h.score]);
          const hb = await rb.search(q, { topK: 10 });
          const cb = await rb.chunks(hb);
          expect(hb.map((h, i) => [cb[i].id, h.score]), q).toEqual(a);
          const hr = await rr.search(q, { topK: 10 });
          expect(hr).toEqual(hb);
        }
      } finally {
        await bulk.close();
        await rows.close();
      }
    }, 120_000);
  }

  // Guards the COPY encoding of postings: every stored field equals the analysis worked out here,
  // for multi-byte terms, a term frequency and a length above 65,535 (all four bytes of an int4)
  // and sequence numbers above 2^32 (both words of an int8).
  it('single node: every posting row stores the analysed (term, seq, ordinal, tf, norm, dl), bulk and row path', async () => {
    const analyzer = getAnalyzer(config.analyzer);
    const texts = ['서울 東京 café naïve shard', `${'copy '.repeat(70_000)}vacuum`, 'shard shard worker 東京'];
    const items = texts.map((t, i) => makeDoc(`f-${i}`, t));
    const firstSeq = 2 ** 32 + 5;
    const expected: Array<[string, number, number, number, number, number]> = [];
    items.forEach((d, i) =>
      d.chunks.forEach((ch) => {
        const terms = analyzer.analyze(ch.text);
        const tf = new Map<string, number>();
        for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
        for (const [t, n] of tf) expected.push([t, firstSeq + i, ch.ordinal, n, intToByte4(terms.length), terms.length]);
      }),
    );
    expected.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]));
    expect(expected.some(([t]) => Buffer.byteLength(t) > t.length)).toBe(true); // a multi-byte term
    expect(Math.max(...expected.map((r) => r[3]))).toBeGreaterThan(65_535);
    for (const [name, bulkLoadMinPostings] of [[db('fields_bulk'), 1], [db('fields_rows'), Number.MAX_SAFE_INTEGER]] as const) {
      const store = PgStore.connect(name);
      try {
        await store.init(config);
        await store.withClient((c) => c.query('UPDATE ob_meta SET next_seq = $1 WHERE id = 1', [firstSeq]));
        const w = await store.writer({ now: () => 1, bulkLoadMinPostings, threads: 2 });
        await w.addDocuments(items);
        await w.commit();
        await w.close();
        const r = await store.withClient((c) => c.query<{ term: string; seq: string; ordinal: number; tf: number; norm: number; dl: number }>('SELECT term, seq, ordinal, tf, norm, dl FROM ob_postings ORDER BY term COLLATE "C", seq, ordinal'));
        expect(r.rows.map((x) => [x.term, Number(x.seq), x.ordinal, x.tf, x.norm, x.dl]), name).toEqual(expected);
        const df = await store.withClient((c) => c.query<{ term: string; df: number }>('SELECT term, df FROM ob_terms ORDER BY term COLLATE "C"'));
        const dfExpected = new Map<string, number>();
        for (const [t] of expected) dfExpected.set(t, (dfExpected.get(t) ?? 0) + 1);
        expect(df.rows.map((x) => [x.term, x.df])).toEqual([...dfExpected]);
      } finally {
        await store.close();
      }
    }
  }, 120_000);
});
