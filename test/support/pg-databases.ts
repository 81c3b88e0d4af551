/**
 * Databases for the PostgreSQL store tests on a cluster of scripts/pg-cluster.sh: a fresh database
 * on the single node or distributed on Citus, and statements run on one node.
 */
import pg from 'pg';
import type { PgCluster } from './pg-cluster.js';

export type Kind = 'single node' | 'Citus';

/**
 * The statements of a search that open and check its snapshot rather than score: BEGIN and COMMIT,
 * and the reads of ob_meta (with the terms' document frequencies) that open it and, on Citus,
 * check its generation after it.
 */
export const SNAPSHOT_STATEMENT = /^\s*(BEGIN|COMMIT)\b|^SELECT \* FROM ob_meta WHERE id = 1|^SELECT generation FROM ob_meta WHERE id = 1$/;

/** Runs `statements` on a connection of their own to database `db` of the node at `port` (default: the coordinator's). */
export async function onNode(cluster: PgCluster, db: string, statements: string[], port?: number): Promise<void> {
  const u = new URL(cluster.url);
  if (port !== undefined) u.port = String(port);
  u.pathname = `/${db}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    for (const q of statements) await c.query(q);
  } finally {
    await c.end();
  }
}

/**
 * A fresh database `db`; on Citus distributed like the cluster's own: the extension created in it
 * on the coordinator and both workers, the workers added (4 shards per table, so every test
 * corpus spreads over both workers).
 */
export async function freshDatabase(cluster: PgCluster, kind: Kind, db: string): Promise<string> {
  await onNode(cluster, 'postgres', [`CREATE DATABASE ${db}`]);
  const u = new URL(cluster.url);
  u.pathname = `/${db}`;
  if (kind === 'single node') return u.toString();
  const workers = ['worker1', 'worker2'].map((w) => cluster.port(w));
  for (const port of workers) {
    await onNode(cluster, 'postgres', [`CREATE DATABASE ${db}`], port);
    await onNode(cluster, db, ['SET client_min_messages = warning', 'CREATE EXTENSION IF NOT EXISTS citus', 'CREATE EXTENSION IF NOT EXISTS vector'], port);
  }
  await onNode(cluster, db, [
    'SET client_min_messages = warning',
    'CREATE EXTENSION citus',
    'CREATE EXTENSION IF NOT EXISTS vector',
    `SELECT citus_set_coordinator_host('127.0.0.1', ${cluster.port('coordinator')})`,
    ...workers.map((port) => `SELECT citus_add_node('127.0.0.1', ${port})`),
  ]);
  u.searchParams.set('options', '-c citus.shard_count=4');
  return u.toString();
}

/**
 * Runs `fn` with every statement any pg client sends passed to `hook` first: `send` sends it (its
 * result is what the caller's query resolves to), so the hook can record it, or hold it back until
 * something else has run.
 */
export async function withQueryHook<T>(hook: (text: string, send: () => unknown) => unknown, fn: () => Promise<T>): Promise<T> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
    return hook(text, () => original.apply(this, args));
  };
  try {
    return await fn();
  } finally {
    proto.query = original;
  }
}
