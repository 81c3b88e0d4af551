/**
 * Issue #12: the document title as an indexed field of every chunk (`titleTerms`) in the
 * PostgreSQL store, against real servers (scripts/pg-cluster.sh). The setting lives in ob_meta
 * (schema 4; stores built before read as off and keep it), the writer analyses each chunk as
 * `title + "\n" + text` as the embedded writer does, and removals find the postings of the title
 * terms too. Scores, terms and statistics must equal the embedded index's, also after
 * incremental changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { IndexReader, IndexWriter, type IndexConfig } from '../../src/index/index.js';
import { PgStore } from '../../src/index/pg/store.js';
import { pgAvailable, startPgCluster, type PgCluster, sql } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true, titleTerms: true };
const BODY = 'retrieval ranking score document query index term frequency length norm shard worker coordinator vector'.split(' ');
const TITLE = 'quasar nebula pulsar comet meteor galaxy'.split(' ');

/** Documents of 1–3 paragraphs over BODY, titled with two TITLE words (never in a body). */
function corpus(n: number, seed: number, titleSeed = seed) {
  const rng = mulberry32(seed);
  const trng = mulberry32(titleSeed);
  return Array.from({ length: n }, (_, i) => {
    const paras = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => Array.from({ length: 3 + Math.floor(rng() * 30) }, () => BODY[Math.floor(BODY.length * rng() ** 2)]).join(' '));
    const title = `${TITLE[Math.floor(trng() * TITLE.length)]} ${TITLE[Math.floor(trng() * TITLE.length)]}`;
    return makeDoc(`doc-${String(i).padStart(3, '0')}`, paras.join('\n\n'), { title });
  });
}
const QUERIES = ['quasar', 'nebula ranking', 'pulsar comet score', 'galaxy', 'index term', 'meteor shard vector'];

async function embedded(dir: string, q: string) {
  const r = await IndexReader.open(dir);
  return r.search(q, { topK: 10 }).map((h) => ({ id: r.chunk(h.chunk).id, score: h.score }));
}

describe.skipIf(!available)('PostgreSQL store: the title as an indexed field (titleTerms)', () => {
  let cluster: PgCluster;
  let singleUrl: string;
  let dir: string;
  const docs = corpus(60, 3);
  // Incremental: 10 replaced with other texts (same titles), 5 with the same text under other titles, 5 removed.
  const replaced = corpus(10, 21, 3);
  const retitled = corpus(60, 3, 99).slice(20, 25);
  const removed = docs.slice(30, 35).map((d) => d.doc.id);

  beforeAll(async () => {
    cluster = startPgCluster(2);
    await sql(cluster.url, 'CREATE DATABASE single');
    singleUrl = cluster.url.replace(/\/postgres$/, '/single');
    dir = await mkdtemp(join(tmpdir(), 'openbook-pg-title-'));
    const w = await IndexWriter.open(dir, config, { now: () => 1_700_000_000_000 });
    await w.addDocuments(docs);
    await w.commit();
    await w.addDocuments([...replaced, ...retitled]);
    for (const id of removed) w.removeDocument(id);
    await w.commit();
    await w.close();
  }, 120_000);
  afterAll(async () => {
    cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['single node', 'Citus, 2 workers'] as const) {
    it(`${kind}: the setting is in ob_meta; scores, terms and statistics equal the embedded index's before and after replacing, retitling and removing documents`, async () => {
      const url = kind === 'single node' ? singleUrl : cluster.url;
      const store = PgStore.connect(url);
      try {
        expect(await store.init(config)).toEqual([1, 2, 3, 4]);
        expect((await sql<{ t: boolean }>(url, 'SELECT title_terms AS t FROM ob_meta'))[0].t).toBe(true);
        expect((await store.config())?.titleTerms).toBe(true);
        let w = await store.writer({ now: () => 1_700_000_000_000 });
        await w.addDocuments(docs);
        await w.commit();
        await w.close();
        // A title word finds chunks whose bodies never say it.
        const r0 = await store.reader();
        const hits = await r0.search('quasar', { topK: 100 });
        expect(hits.length).toBeGreaterThan(5);
        for (const c of await r0.chunks(hits)) expect(c.text).not.toMatch(/quasar/);

        w = await store.writer({ now: () => 1_700_000_000_000 });
        await w.addDocuments([...replaced, ...retitled]);
        for (const id of removed) w.removeDocument(id);
        await w.commit();
        await w.close();
        const r = await store.reader();
        for (const q of QUERIES) {
          const hitsQ = await r.search(q, { topK: 10 });
          const chunks = await r.chunks(hitsQ);
          expect(hitsQ.map((h, i) => ({ id: chunks[i].id, score: h.score })), q).toEqual(await embedded(dir, q));
        }
        const emb = await IndexReader.open(dir);
        const st = await store.stats();
        expect({ numChunks: st.numChunks, numPostings: st.numPostings, sumDocLen: st.sumDocLen, numTerms: st.numTerms }).toEqual({
          numChunks: emb.stats().numChunks,
          numPostings: emb.stats().numPostings,
          sumDocLen: emb.stats().sumDocLen,
          numTerms: emb.stats().numTerms,
        });
        const rows = await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM ob_postings');
        expect(Number(rows[0].n)).toBe(emb.stats().numPostings);
        const df = await sql<{ term: string; df: number }>(url, 'SELECT term, df FROM ob_terms WHERE df > 0 ORDER BY term COLLATE "C"');
        expect(df.length).toBe(emb.stats().numTerms);
      } finally {
        await store.close();
      }
    }, 120_000);
  }

  it('a store from before the setting (schema 3) migrates to 4 with it off and keeps indexing without titles', async () => {
    await sql(cluster.url, 'CREATE DATABASE older');
    const url = cluster.url.replace(/\/postgres$/, '/older');
    const store = PgStore.connect(url);
    try {
      const { titleTerms: _on, ...before } = config;
      await store.init(before);
      // Back to schema 3: no title_terms column, no version-4 row.
      await sql(url, 'ALTER TABLE ob_meta DROP COLUMN title_terms');
      await sql(url, 'DELETE FROM ob_schema WHERE version = 4');
      await expect(store.reader()).rejects.toThrow(/schema is version 3; run `openbook store migrate --store <url>` to reach 4/);
      expect(await store.migrate()).toEqual([4]);
      expect((await store.config())?.titleTerms).toBe(false);
      const w = await store.writer({ now: () => 1_700_000_000_000 });
      await w.addDocuments(docs.slice(0, 10));
      await w.commit();
      await w.close();
      expect(await (await store.reader()).search('quasar nebula pulsar comet meteor galaxy', { topK: 10 })).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
