/**
 * The PostgreSQL store's versioned schema: forward-only migrations, each applied in its own
 * transaction, and a refusal to touch a database whose schema is newer than this code.
 *
 * Layout (all tables prefixed `ob_`; see docs/architecture.md, "The PostgreSQL store"):
 *  - `ob_meta` — one row: index configuration (since schema version 4 with `title_terms`, the
 *    title as an indexed field of every chunk), commit generation and the collection statistics
 *    BM25 needs (docCount, Σ docLen). A Citus reference table (copied to every node).
 *  - `ob_documents (seq, id, …)`, `ob_chunks (seq, ordinal, …)`, `ob_postings (term, seq, ordinal,
 *    tf, norm, dl)` and `ob_embeddings (seq, ordinal, embedding)` — distributed on Citus by `seq`,
 *    the document's sequence number, and co-located: every row of one document lives on one
 *    shard, so BM25's GROUP BY (seq, ordinal) and its ORDER BY … LIMIT run inside each shard and
 *    the coordinator merges k rows per shard (document partitioning, as Lucene/Elasticsearch
 *    shards are).
 *  - `ob_terms (term, df)` — document frequencies. A Citus reference table since schema version 2
 *    (version 1 distributed it by term): a search reads its terms' frequencies on the coordinator,
 *    in the round trip that opens its snapshot, instead of in a distributed statement.
 *  - No index on `ob_postings (seq)` since schema version 3 (versions 1–2 had `ob_postings_seq`,
 *    ~7 bytes per posting and 6.9 s of the 100k corpus's first commit): the writer deletes a
 *    removed chunk's postings through the primary key, from its terms (its stored text analysed
 *    again), and checks the deleted term frequencies against the chunk's stored length.
 * `seq` grows with every added or replaced document, so (seq, ordinal) orders chunks exactly as
 * the embedded index numbers them, and ties break the same way.
 */
import type { PoolClient } from 'pg';
import { IndexFormatError } from '../../core/errors.js';

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = 4;

export interface Migration {
  version: number;
  description: string;
  /** Statements run in one transaction. `distributed` is true on a Citus coordinator. */
  statements(distributed: boolean): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'documents, chunks, postings, terms, meta; Citus distribution by document sequence number',
    statements: (distributed) => {
      const s = [
        `CREATE TABLE ob_meta (
          id int PRIMARY KEY CHECK (id = 1),
          analyzer text NOT NULL,
          chunk_size int NOT NULL,
          chunk_overlap int NOT NULL,
          no_chunk boolean NOT NULL,
          lucene_norms boolean NOT NULL,
          generation bigint NOT NULL DEFAULT 0,
          committed_at bigint NOT NULL DEFAULT 0,
          next_seq bigint NOT NULL DEFAULT 0,
          num_documents bigint NOT NULL DEFAULT 0,
          num_chunks bigint NOT NULL DEFAULT 0,
          num_postings bigint NOT NULL DEFAULT 0,
          doc_count bigint NOT NULL DEFAULT 0,
          sum_doc_len bigint NOT NULL DEFAULT 0,
          max_doc_len int NOT NULL DEFAULT 0,
          text_bytes bigint NOT NULL DEFAULT 0,
          embed_dims int,
          embed_model text,
          embed_half boolean NOT NULL DEFAULT false
        )`,
        `CREATE TABLE ob_documents (
          seq bigint NOT NULL,
          id text NOT NULL,
          source text NOT NULL,
          content_hash text NOT NULL,
          record jsonb NOT NULL,
          text text NOT NULL,
          PRIMARY KEY (seq)
        )`,
        `CREATE INDEX ob_documents_id ON ob_documents (id)`,
        `CREATE TABLE ob_chunks (
          seq bigint NOT NULL,
          ordinal int NOT NULL,
          text text NOT NULL,
          start_char int NOT NULL,
          end_char int NOT NULL,
          start_line int NOT NULL,
          end_line int NOT NULL,
          page int NOT NULL,
          heading_path jsonb NOT NULL,
          doc_len int NOT NULL,
          PRIMARY KEY (seq, ordinal)
        )`,
        // One row per (term, chunk); the primary key's btree clusters a term's postings and, with
        // the INCLUDE columns, answers a BM25 query by index-only scans. (A primary key also gives
        // Citus's shard moves the replica identity logical replication needs.)
        `CREATE TABLE ob_postings (
          term text NOT NULL,
          seq bigint NOT NULL,
          ordinal int NOT NULL,
          tf int NOT NULL,
          norm smallint NOT NULL,
          dl int NOT NULL,
          PRIMARY KEY (term, seq, ordinal) INCLUDE (tf, norm, dl)
        )`,
        `CREATE INDEX ob_postings_seq ON ob_postings (seq)`,
        `CREATE TABLE ob_terms (term text PRIMARY KEY, df int NOT NULL)`,
      ];
      if (distributed) {
        s.push(
          `SELECT create_reference_table('ob_meta')`,
          `SELECT create_distributed_table('ob_documents', 'seq')`,
          `SELECT create_distributed_table('ob_chunks', 'seq', colocate_with => 'ob_documents')`,
          `SELECT create_distributed_table('ob_postings', 'seq', colocate_with => 'ob_documents')`,
          `SELECT create_distributed_table('ob_terms', 'term')`,
        );
      }
      return s;
    },
  },
  {
    version: 2,
    description: 'ob_terms as a Citus reference table (document frequencies read on the coordinator)',
    // Citus cannot turn a distributed table into a reference table in place inside a transaction, so
    // the frequencies move into a new reference table, which takes the old one's name. Sequential
    // mode: DDL on ob_terms after reading its shards over several connections in one transaction is
    // refused otherwise. On a single node there is nothing to change (the version is still recorded).
    statements: (distributed) =>
      distributed
        ? [
            `SET LOCAL citus.multi_shard_modify_mode TO 'sequential'`,
            `CREATE TABLE ob_terms_v2 (term text PRIMARY KEY, df int NOT NULL)`,
            `SELECT create_reference_table('ob_terms_v2')`,
            `INSERT INTO ob_terms_v2 (term, df) SELECT term, df FROM ob_terms`,
            `DROP TABLE ob_terms`,
            `ALTER TABLE ob_terms_v2 RENAME TO ob_terms`,
            `ALTER INDEX ob_terms_v2_pkey RENAME TO ob_terms_pkey`,
          ]
        : [],
  },
  {
    version: 3,
    description: 'no ob_postings_seq btree (deletes find postings by term through the primary key)',
    // DROP INDEX on a Citus coordinator drops it on every shard placement.
    statements: () => ['DROP INDEX IF EXISTS ob_postings_seq'],
  },
  {
    version: 4,
    description: 'ob_meta.title_terms: the title as an indexed field of every chunk (off for stores built before)',
    // A stored setting, like the analyzer: a store's chunks were analysed without titles before
    // it, so it stays off for them; `init` writes a new store's own value. On Citus the
    // reference table's column is added on every node.
    statements: () => ['ALTER TABLE ob_meta ADD COLUMN title_terms boolean NOT NULL DEFAULT false'],
  },
];

/** Whether the connected database has the Citus extension (then tables are distributed). */
export async function isCitus(client: PoolClient): Promise<boolean> {
  const r = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
  return r.rowCount === 1;
}

/** The schema version in the database, 0 when openbook's schema is absent. */
export async function schemaVersion(client: PoolClient): Promise<number> {
  const t = await client.query(`SELECT to_regclass('ob_schema') IS NOT NULL AS present`);
  if (!t.rows[0].present) return 0;
  const r = await client.query(`SELECT coalesce(max(version), 0) AS v FROM ob_schema`);
  return Number(r.rows[0].v);
}

/** Lock id of migrations (pg_advisory_xact_lock), distinct from the writer's. */
const MIGRATE_LOCK = 0x0b_5c_4e_01;

/**
 * Applies the pending migrations, each in a transaction; returns the versions applied.
 * @throws IndexFormatError when the database's schema is newer than {@link SCHEMA_VERSION}
 */
export async function migrate(client: PoolClient): Promise<number[]> {
  const distributed = await isCitus(client);
  await client.query(`CREATE TABLE IF NOT EXISTS ob_schema (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
      const current = await schemaVersion(client);
      if (current > SCHEMA_VERSION) throw new IndexFormatError(`the store's schema is version ${current}, newer than this openbook (${SCHEMA_VERSION}); upgrade openbook`);
      if (current >= m.version) {
        await client.query('COMMIT');
        continue;
      }
      for (const sql of m.statements(distributed)) await client.query(sql);
      await client.query('INSERT INTO ob_schema (version, description) VALUES ($1, $2)', [m.version, m.description]);
      await client.query('COMMIT');
      applied.push(m.version);
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  }
  return applied;
}

/**
 * Checks that the schema is present and not newer than the code.
 * @throws IndexFormatError naming `openbook store init` when absent, or the versions when newer/older
 */
export async function checkSchema(client: PoolClient): Promise<void> {
  const v = await schemaVersion(client);
  if (v === 0) throw new IndexFormatError('the PostgreSQL store has no openbook schema; run `openbook store init --store <url>`');
  if (v > SCHEMA_VERSION) throw new IndexFormatError(`the store's schema is version ${v}, newer than this openbook (${SCHEMA_VERSION}); upgrade openbook`);
  if (v < SCHEMA_VERSION) throw new IndexFormatError(`the store's schema is version ${v}; run \`openbook store migrate --store <url>\` to reach ${SCHEMA_VERSION}`);
}
