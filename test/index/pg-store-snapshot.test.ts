/**
 * A reader's snapshot (one REPEATABLE READ, READ ONLY transaction) gives its connection back to
 * the pool only once its COMMIT has settled. It queued the COMMIT and released the connection at
 * once; when a statement of the snapshot had failed, pg had rejected it on the error message,
 * before the server was ready for the next query, so the COMMIT waited in the client's queue and
 * the next user's BEGIN was queued behind it: pg warned "Calling client.query() when the client
 * is already executing a query" (a DeprecationWarning; pg 9 will refuse it). A pool of one
 * connection and searches at once hand the connection straight from one snapshot to the next;
 * between the client and the server a proxy sends each ReadyForQuery a moment after what came
 * before it, as a slow or busy network splits them (on loopback they usually come in one read).
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/index/pg/store.js';
import type { IndexConfig } from '../../src/index/index.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';

const available = pgAvailable();

/**
 * A TCP proxy to `port` that passes the server's messages on as they come, but each ReadyForQuery
 * ('Z') 3 ms after the message before it, in a write of its own. Returns its port and a close.
 */
async function splittingProxy(port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    upstream.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      // server messages: a type byte, then an int32 length counting itself
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const message = pending.subarray(0, 1 + pending.readInt32BE(1));
        pending = pending.subarray(message.length);
        const ready = message[0] === 0x5a;
        chain = chain.then(() => new Promise<void>((resolve) => (ready ? setTimeout(() => resolve(void client.write(message)), 3) : resolve(void client.write(message)))));
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', () => void chain.then(end));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const sck of sockets) sck.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
const config: IndexConfig = { analyzer: 'standard', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
const docs = Array.from({ length: 30 }, (_, i) => makeDoc(`s${i}`, Array.from({ length: 3 + (i % 5) }, (_, j) => WORDS[(i + j * 3) % WORDS.length]).join(' ')));

describe.skipIf(!available)('PostgreSQL store: the snapshot releases its connection after COMMIT', () => {
  let cluster: PgCluster;
  let url: string;
  beforeAll(async () => {
    // a plain database (the cluster's postgres database has the Citus extension)
    cluster = startPgCluster(0);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE single');
    await admin.end();
    url = cluster.url.replace(/\/postgres$/, '/single');
    const store = PgStore.connect(url);
    try {
      await store.init(config);
      const w = await store.writer({ now: () => 1_700_000_000_000 });
      await w.addDocuments(docs);
      await w.commit();
      await w.close();
    } finally {
      await store.close();
    }
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('searches at once on a pool of one connection raise no warning and answer as one at a time', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const store = PgStore.connect(url, { max: 1 });
    try {
      const reader = await store.reader();
      const queries = ['alpha beta', 'gamma', 'delta epsilon zeta', 'kappa alpha', 'eta theta', 'iota'];
      const alone: unknown[] = [];
      for (const q of queries) alone.push(await reader.search(q, { topK: 5 }));
      for (let round = 0; round < 5; round++) {
        const together = await Promise.all(queries.map((q) => reader.searchWithChunks(q, { topK: 5 }).then((rows) => rows.map((r) => r.hit))));
        expect(together).toEqual(alone);
      }
      // warnings are emitted on the next tick
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      await store.close();
    }
    expect(warnings).toEqual([]);
  });

  it('a snapshot whose statement fails (here: the postings table renamed away) releases its connection after COMMIT too: the next search runs, no warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const proxy = await splittingProxy(cluster.port('coordinator'));
    const store = PgStore.connect(url.replace(/:\d+\//, `:${proxy.port}/`), { max: 1 });
    try {
      const reader = await store.reader();
      const before = await reader.search('alpha beta', { topK: 5 });
      await admin.query('ALTER TABLE ob_postings RENAME TO ob_postings_away');
      const failed = await Promise.allSettled(['alpha beta', 'gamma delta', 'kappa'].map((q) => reader.search(q, { topK: 5 })));
      expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      await admin.query('ALTER TABLE ob_postings_away RENAME TO ob_postings');
      expect(await reader.search('alpha beta', { topK: 5 })).toEqual(before);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      await store.close();
      await admin.end();
      await proxy.close();
    }
    expect(warnings).toEqual([]);
  });

  it('a connection the server ends while its snapshot\'s COMMIT is still to settle (here: pg_terminate_backend while the event loop is busy) is dropped, not an uncaught error event: the next search runs', async () => {
    // pg emits 'error' on a client that is checked out and between queries when the server ends
    // its connection (57P01 "terminating connection due to administrator command"); with no
    // listener that is an uncaught exception, which kills an `openbook serve`. The snapshot's
    // COMMIT has been sent when the search returns; the synchronous psql below keeps this process
    // from reading its reply until the server has also ended the connection, so both arrive in one
    // read and the connection is checked out, with no query, when the FATAL is parsed.
    const victim = `${url}?application_name=ob_victim`;
    const store = PgStore.connect(victim, { max: 1 });
    try {
      const reader = await store.reader();
      const before = await reader.search('alpha beta', { topK: 5 });
      await reader.search('gamma', { topK: 5 });
      const port = cluster.port('coordinator');
      const out = execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'single', '-At', '-c', "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'ob_victim'"], { encoding: 'utf8' });
      expect(out.trim()).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await reader.search('alpha beta', { topK: 5 })).toEqual(before);
    } finally {
      await store.close();
    }
  });
});
