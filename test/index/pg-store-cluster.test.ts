/**
 * The PostgreSQL store on a real Citus cluster (scripts/pg-cluster.sh): pgvector dense and hybrid
 * retrieval against the embedded index, HNSW recall against exact search, a stopped worker (one
 * clear line naming the node, nothing lost after it restarts), a third worker with
 * citus_rebalance_start (results unchanged), and kill -9 of a writer at random moments (the last
 * commit stays whole and readable).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { Engine } from '../../src/engine/engine.js';
import { embedIndex } from '../../src/engine/embed.js';
import { PgEngine } from '../../src/engine/pg-engine.js';
import { IndexWriter, type IndexConfig } from '../../src/index/index.js';
import { embedStore, PgStore } from '../../src/index/pg/store.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { makeDoc } from './helpers.js';
import { HashEmbedder } from '../../bench/hash-embedder.js';

const available = pgAvailable();
const config: IndexConfig = { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega'.split(' ');

function corpus(n: number, seed: number) {
  const rng = mulberry32(seed);
  const word = () => WORDS[Math.floor(WORDS.length * rng() ** 1.8)];
  return Array.from({ length: n }, (_, i) => makeDoc(`d${String(i).padStart(4, '0')}`, Array.from({ length: 5 + Math.floor(rng() * 60) }, word).join(' ')));
}
const queries = (n: number, seed: number) => {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: 2 + Math.floor(rng() * 3) }, () => WORDS[Math.floor(rng() * WORDS.length)]).join(' '));
};

describe.skipIf(!available)('PostgreSQL store on Citus: dense, failures, rebalancing, crashes', () => {
  let cluster: PgCluster;
  let dir: string;
  let store: PgStore;
  const embedder = new HashEmbedder();
  const docs = corpus(600, 3);

  beforeAll(async () => {
    cluster = startPgCluster(2);
    dir = await mkdtemp(join(tmpdir(), 'openbook-pg-dense-'));
    const w = await IndexWriter.open(dir, config, { now: () => 1 });
    await w.addDocuments(docs);
    await w.commit();
    await w.close();
    await embedIndex({ indexDir: dir, embedder, now: () => 1 });
    store = PgStore.connect(cluster.url);
    await store.init(config);
    const pw = await store.writer({ now: () => 1 });
    await pw.addDocuments(docs);
    await pw.commit();
    await pw.close();
    const e = await embedStore(store, { model: embedder.id, dimension: 64, embed: (t) => embedder.embed(t, { kind: 'passage' }) });
    expect(e).toMatchObject({ embedded: 600, total: 600, dimension: 64 });
  });
  afterAll(async () => {
    await store?.close();
    cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('HNSW recall@10 against exact search ≥ 0.95, and dense/hybrid hits equal the embedded index', async () => {
    const reader = await store.reader();
    let found = 0;
    let total = 0;
    for (const q of queries(40, 8)) {
      const [v] = await embedder.embed([q], { kind: 'query' });
      const approx = await reader.searchVector(v, 10);
      const exact = await reader.searchVector(v, 10, { exact: true });
      const want = new Set(exact.map((x) => `${x.seq}:${x.ordinal}`));
      found += approx.filter((x) => want.has(`${x.seq}:${x.ordinal}`)).length;
      total += exact.length;
    }
    expect(found / total).toBeGreaterThanOrEqual(0.95);
    const emb = await Engine.open(dir, { embedder });
    const pge = await PgEngine.open(cluster.url, { embedder });
    try {
      for (const q of queries(15, 9)) {
        for (const retriever of ['dense', 'hybrid'] as const) {
          const a = await emb.search(q, { topK: 10, retriever });
          const b = await pge.search(q, { topK: 10, retriever });
          expect(b.map((h) => h.chunkId), `${retriever}: ${q}`).toEqual(a.map((h) => h.chunkId));
          b.forEach((h, i) => expect(h.score).toBeCloseTo(a[i].score, 5));
        }
      }
    } finally {
      await pge.close();
    }
  });

  it('a stopped worker fails a search with one line naming the node; after a restart nothing is lost', async () => {
    const reader = await store.reader();
    const before = await reader.search('alpha beta omega', { topK: 10 });
    const port = cluster.port('worker2');
    cluster.stopNode('worker2');
    try {
      const err = await reader.search('alpha beta omega', { topK: 10 }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).not.toBeNull();
      expect(err!.message).not.toContain('\n');
      expect(err!.message).toContain(`127.0.0.1:${port}`);
    } finally {
      cluster.startNode('worker2');
    }
    let after: typeof before = [];
    for (let i = 0; i < 20; i++) {
      try {
        after = await reader.search('alpha beta omega', { topK: 10 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(after).toEqual(before);
  });

  it('after adding a third worker and citus_rebalance_start, shards are on 3 workers and results are equal', async () => {
    const reader = await store.reader();
    const qs = queries(10, 77);
    const before = await Promise.all(qs.map((q) => reader.search(q, { topK: 10 })));
    cluster.addWorker();
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    try {
      await c.query("SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes')");
      await c.query('SELECT citus_rebalance_wait()');
      const r = await c.query(`SELECT count(DISTINCT nodeport) AS n FROM citus_shards WHERE table_name::text = 'ob_postings'`);
      expect(Number(r.rows[0].n)).toBe(3);
    } finally {
      await c.end();
    }
    const after = await Promise.all(qs.map((q) => reader.search(q, { topK: 10 })));
    expect(after).toEqual(before);
  }, 300_000);

  it('kill -9 of a writer at 10 random moments leaves the last commit whole and readable', async () => {
    const url = cluster.url.replace(/\/postgres$/, '/crash');
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE crash');
    await admin.end();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = join(dir, 'writer.mts'); // .mts: an ES module (top-level await) outside the package
    // Commits batches of 50 documents, forever, each batch replacing the previous texts.
    await writeFile(
      script,
      `import { PgStore } from ${JSON.stringify(join(root, 'src/index/pg/store.ts'))};
       import { makeDoc } from ${JSON.stringify(join(root, 'test/index/helpers.ts'))};
       const store = PgStore.connect(${JSON.stringify(url)});
       await store.init(${JSON.stringify(config)});
       const w = await store.writer({ now: Date.now, lockWaitMs: 20000 });
       for (let round = 0; ; round++) {
         for (let i = 0; i < 50; i++) {
           const d = makeDoc('doc' + ((round * 50 + i) % 400), 'round ' + round + ' alpha beta gamma ' + 'delta '.repeat(i % 7));
           w.addDocument(d.doc, d.chunks);
         }
         await w.commit();
         process.stdout.write('c');
       }`,
    );
    const rng = mulberry32(99);
    const check = async () => {
      const s = PgStore.connect(url);
      const c = await s.pool.connect();
      try {
        const m = (await c.query('SELECT num_documents, num_chunks, num_postings, sum_doc_len FROM ob_meta')).rows[0];
        const real = (await c.query('SELECT (SELECT count(*) FROM ob_documents) AS d, (SELECT count(*) FROM ob_chunks) AS c, (SELECT count(*) FROM ob_postings) AS p, (SELECT coalesce(sum(doc_len), 0) FROM ob_chunks) AS l, (SELECT coalesce(sum(df), 0) FROM ob_terms) AS df')).rows[0];
        expect([m.num_documents, m.num_chunks, m.num_postings, m.sum_doc_len].map(Number)).toEqual([real.d, real.c, real.p, real.l].map(Number));
        expect(Number(real.df)).toBe(Number(real.p));
      } finally {
        c.release();
        await s.close();
      }
      const r = await (await PgStore.connect(url).reader()).search('alpha', { topK: 5 }).catch((e) => e);
      expect(Array.isArray(r)).toBe(true);
    };
    let commitsSeen = 0;
    for (let k = 0; k < 10; k++) {
      // node itself (not the tsx wrapper, whose SIGKILL would orphan the writer it spawned)
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let errText = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
      // wait for the first commit, then kill at a random moment within the next 1.5 s
      const t0 = Date.now();
      while (!out.includes('c') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      if (!out.includes('c')) console.log('writer child:', out, errText, child.exitCode);
      expect(out, errText).toContain('c');
      await new Promise((r) => setTimeout(r, Math.floor(rng() * 1500)));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      commitsSeen += out.length;
      await check();
    }
    expect(commitsSeen).toBeGreaterThan(10);
  }, 300_000);
});
