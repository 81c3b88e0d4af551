/**
 * Schema migrations 2 and 3 (#14). 2, document frequencies on the coordinator: on Citus, `ob_terms` becomes a
 * reference table (copied to every node, the coordinator included, so a search reads document
 * frequencies without a distributed statement). A new store is created at version 4; a version-1
 * store (ob_terms distributed by term, as migration 1 made it) is refused by readers and writers
 * with the `openbook store migrate` hint, migrates with `openbook store migrate` in one transaction,
 * keeps every document frequency and answers exactly as before; a schema newer than the code is
 * refused. On a single node migration 2 changes no table but is recorded. 3 drops the postings' seq
 * index (deletes find a document's postings through the primary key); a removal after it keeps
 * every document frequency. 4 adds ob_meta.title_terms (off for a migrated store; test/index/pg-store-title.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/index/pg/store.js';
import { SCHEMA_VERSION } from '../../src/index/pg/schema.js';
import type { IndexConfig } from '../../src/index/index.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { pgAvailable, startPgCluster, type PgCluster, sql } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'standard', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
const docs = Array.from({ length: 40 }, (_, i) => makeDoc(`m${i}`, Array.from({ length: 3 + (i % 7) }, (_, j) => WORDS[(i * j + j) % WORDS.length]).join(' ')));

describe.skipIf(!available)('schema migrations 2 and 3: ob_terms as a Citus reference table, no seq index', () => {
  let cluster: PgCluster;
  let singleUrl: string;
  beforeAll(async () => {
    cluster = startPgCluster(2);
    await sql(cluster.url, 'CREATE DATABASE single');
    singleUrl = cluster.url.replace(/\/postgres$/, '/single');
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('the code is at schema version 4', () => {
    expect(SCHEMA_VERSION).toBe(4);
  });

  for (const kind of ['Citus, 2 workers', 'single node'] as const) {
    it(`${kind}: a new store is version 4 (ob_terms a reference table on Citus, no seq index); a version-1 store is refused, migrates and answers as before; a newer one is refused`, async () => {
      const url = kind === 'single node' ? singleUrl : cluster.url;
      const citus = kind !== 'single node';
      const store = PgStore.connect(url);
      try {
        expect(await store.init(config)).toEqual([1, 2, 3, 4]);
        const w = await store.writer({ now: () => 1_700_000_000_000 });
        await w.addDocuments(docs);
        await w.commit();
        await w.close();
        const tableType = async () => (await sql<{ t: string }>(url, `SELECT citus_table_type AS t FROM citus_tables WHERE table_name = 'ob_terms'::regclass`))[0]?.t;
        if (citus) expect(await tableType()).toBe('reference');
        const query = 'alpha gamma kappa';
        const before = await (await store.reader()).search(query, { topK: 10 });
        expect(before.length).toBe(10);
        const dfBefore = await sql<{ term: string; df: number }>(url, 'SELECT term, df FROM ob_terms ORDER BY term');
        expect(dfBefore.length).toBe(WORDS.length);

        // Back to the version-1 layout: ob_terms distributed by term and the postings' seq index
        // (migration 1's statements), no title_terms column, and no version-2, -3 or -4 row.
        const seqIndex = async () => (await sql<{ n: string }>(url, `SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'ob_postings_seq'`))[0].n;
        expect(await seqIndex()).toBe('0');
        await sql(url, 'CREATE INDEX ob_postings_seq ON ob_postings (seq)');
        if (citus) {
          await sql(url, `SELECT undistribute_table('ob_terms')`);
          await sql(url, `SELECT create_distributed_table('ob_terms', 'term')`);
          expect(await tableType()).toBe('distributed');
        }
        await sql(url, 'ALTER TABLE ob_meta DROP COLUMN title_terms');
        await sql(url, 'DELETE FROM ob_schema WHERE version IN (2, 3, 4)');
        await expect(store.reader()).rejects.toThrow(/schema is version 1; run `openbook store migrate --store <url>` to reach 4/);
        await expect(store.writer({ now: () => 0 })).rejects.toThrow(/schema is version 1; run `openbook store migrate/);

        const r = await runCli(REPO_ROOT, ['store', 'migrate', '--store', url, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ applied: [2, 3, 4], schemaVersion: 4 });
        if (citus) expect(await tableType()).toBe('reference');
        expect(await seqIndex()).toBe('0');
        expect(await sql(url, 'SELECT term, df FROM ob_terms ORDER BY term')).toEqual(dfBefore);
        expect(await (await store.reader()).search(query, { topK: 10 })).toEqual(before);
        expect(await store.migrate()).toEqual([]);
        // A commit after the migration keeps the frequencies right (the writer upserts into the reference table).
        const w2 = await store.writer({ now: () => 1_700_000_000_001 });
        await w2.addDocuments([makeDoc('m-new', 'alpha alpha omega')]);
        await w2.commit();
        await w2.close();
        expect(await sql(url, `SELECT term, df FROM ob_terms WHERE term IN ('alpha', 'omega') ORDER BY term`)).toEqual([
          { term: 'alpha', df: dfBefore.find((x) => x.term === 'alpha')!.df + 1 },
          { term: 'omega', df: 1 },
        ]);
        // A removal after it finds the document's postings without the seq index.
        const w3 = await store.writer({ now: () => 1_700_000_000_002 });
        expect(w3.removeDocument('m-new')).toBe(true);
        await w3.commit();
        await w3.close();
        expect(await sql(url, 'SELECT term, df FROM ob_terms ORDER BY term')).toEqual(dfBefore);
        expect(await (await store.reader()).search(query, { topK: 10 })).toEqual(before);

        // A schema newer than the code: refused by migrate, readers and writers.
        await sql(url, `INSERT INTO ob_schema (version, description) VALUES (5, 'from a newer openbook')`);
        await expect(store.migrate()).rejects.toThrow(/schema is version 5, newer than this openbook \(4\); upgrade openbook/);
        await expect(store.reader()).rejects.toThrow(/newer than this openbook/);
        await sql(url, 'DELETE FROM ob_schema WHERE version = 5');
      } finally {
        await store.close();
      }
    }, 180_000);
  }
});
