/**
 * A BM25 search and a commit landing while it runs. On one node the search is one REPEATABLE READ
 * snapshot: it answers with the commit it started on. On Citus there is no snapshot across nodes:
 * the search runs outside a transaction block (no BEGIN and COMMIT on every worker), reads the
 * store's generation again after its last statement, and, when a commit landed in between, runs
 * again in one transaction — so its hits, scores and chunk texts are one commit's. Before, on
 * Citus, a commit landing between the statistics read (on the coordinator) and the scoring
 * statement (on the workers, whose transactions began there) gave scores of the old statistics
 * over the new postings: those of neither commit.
 *
 * The commit is made to land at a chosen statement: the test wraps pg's Client.query so that the
 * first statement matching a pattern is sent only after another store's writer has committed. Why
 * the check is exact: Citus 12.1 sends COMMIT PREPARED to the workers only after the coordinator's
 * own commit (transaction/transaction_management.c, CoordinatedTransactionCallback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexConfig } from '../../src/index/index.js';
import { PgStore, type PgStoreReader } from '../../src/index/pg/store.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { freshDatabase, withQueryHook, type Kind } from '../support/pg-databases.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'standard', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };
const now = () => 1_700_000_000_000;
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
/** 40 documents of 3–9 words; "alpha" in every third. */
const docs = Array.from({ length: 40 }, (_, i) => makeDoc(`d${String(i).padStart(2, '0')}`, Array.from({ length: 3 + (i % 7) }, (_, j) => WORDS[(i + j * 3) % WORDS.length]).join(' ')));
/** What the commit adds: 12 short "alpha gamma" documents, which change docCount, avgdl and both terms' docFreq. */
const added = Array.from({ length: 12 }, (_, i) => makeDoc(`n${String(i).padStart(2, '0')}`, `alpha gamma ${WORDS[(i % 8) + 2]}`));
const QUERY = 'alpha gamma kappa';

/** Sends the first statement matching `when` only after `before` has run (every other statement as it comes). */
async function landingBefore<T>(when: RegExp, before: () => Promise<void>, fn: () => Promise<T>): Promise<{ result: T; landed: boolean; statements: string[] }> {
  let armed = true;
  const statements: string[] = [];
  const result = await withQueryHook((text, send) => {
    if (armed && when.test(text)) {
      armed = false;
      return before().then(() => {
        statements.push(text);
        return send();
      });
    }
    if (armed) statements.push(text);
    return send();
  }, fn);
  return { result, landed: !armed, statements };
}

/** A search's answer as [chunk id, score, text] rows. */
async function answer(reader: PgStoreReader): Promise<Array<[string, number, string]>> {
  return (await reader.searchWithChunks(QUERY, { topK: 5 })).map(({ hit, chunk }) => [chunk.id, hit.score, chunk.text]);
}

describe.skipIf(!available)('PostgreSQL store: a BM25 search and a commit landing while it runs', () => {
  let cluster: PgCluster;
  const stores: PgStore[] = [];
  let n = 0;
  beforeAll(() => {
    cluster = startPgCluster(2);
  }, 120_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    cluster?.stop();
  });

  /** A store holding `docs`, its reader, and a second store on the same database for the landing commit. */
  async function build(kind: Kind): Promise<{ reader: PgStoreReader; commit: (fn: (w: Awaited<ReturnType<PgStore['writer']>>) => unknown) => Promise<void> }> {
    const url = await freshDatabase(cluster, kind, `reads${n++}_${kind === 'Citus' ? 'citus' : 'single'}`);
    const store = PgStore.connect(url);
    const other = PgStore.connect(url);
    stores.push(store, other);
    await store.init(config);
    const w = await store.writer({ now });
    await w.addDocuments(docs);
    await w.commit();
    await w.close();
    return {
      reader: await store.reader(),
      commit: async (fn) => {
        const ow = await other.writer({ now });
        try {
          await fn(ow);
          await ow.commit();
        } finally {
          await ow.close();
        }
      },
    };
  }

  for (const kind of ['single node', 'Citus'] as const) {
    it(`${kind}: a search ${kind === 'Citus' ? 'opens no transaction on the coordinator and checks the generation last' : 'is one REPEATABLE READ transaction'}`, async () => {
      const { reader } = await build(kind);
      const seen = await landingBefore(/^$/, async () => {}, () => answer(reader));
      expect(seen.result).toHaveLength(5);
      if (kind === 'Citus') {
        expect(seen.statements.filter((s) => /^\s*(BEGIN|COMMIT)\b/.test(s)), seen.statements.join('\n---\n')).toEqual([]);
        expect(seen.statements.at(-1)).toBe('SELECT generation FROM ob_meta WHERE id = 1');
      } else {
        const begins = seen.statements.filter((s) => /^\s*BEGIN\b/.test(s));
        expect(begins).toHaveLength(1);
        expect(begins[0]).toMatch(/^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT \* FROM ob_meta WHERE id = 1; SELECT term, df FROM ob_terms/);
        expect(seen.statements).not.toContain('SELECT generation FROM ob_meta WHERE id = 1');
      }
    });

    it(`${kind}: a commit landing after the statistics are read and before the scoring statement — hits and scores are ${kind === 'Citus' ? 'the new' : 'the old'} commit's`, async () => {
      const { reader, commit } = await build(kind);
      const old = await answer(reader);
      const retried = reader.searchesRetried;
      const seen = await landingBefore(/FROM ob_postings/, () => commit((w) => w.addDocuments(added)), () => answer(reader));
      expect(seen.landed).toBe(true);
      const fresh = await answer(reader);
      expect(fresh).not.toEqual(old);
      expect(seen.result).toEqual(kind === 'Citus' ? fresh : old);
      expect(reader.searchesRetried).toBe(retried + (kind === 'Citus' ? 1 : 0));
    });
  }

  it('Citus: a commit removing the best hit\'s document before the chunk read — every hit has its chunk, all of one commit', async () => {
    const { reader, commit } = await build('Citus');
    const old = await answer(reader);
    const top = old[0][0].replace(/#\d+$/, '');
    const retried = reader.searchesRetried;
    const seen = await landingBefore(/FROM ob_chunks c JOIN ob_documents d ON d\.seq = c\.seq\s+WHERE c\.seq = ANY/, () => commit((w) => w.removeDocument(top)), () => answer(reader));
    expect(seen.landed).toBe(true);
    const fresh = await answer(reader);
    expect(fresh.map((r) => r[0])).not.toContain(old[0][0]);
    expect(seen.result).toHaveLength(5);
    expect(seen.result).toEqual(fresh);
    expect(reader.searchesRetried).toBe(retried + 1);
  });
});
