/**
 * `npm run bench:store` — the embedded index, PostgreSQL single node and Citus with 2 workers on
 * one corpus (default BEIR SciFact from ../shared/datasets): ingest throughput (chunks/s), size on
 * disk, BM25 query latency p50/p99 (top-10 with chunk texts, one query at a time), and whether the
 * top-10 of every query is identical across the three. Starts its own throwaway cluster with
 * scripts/pg-cluster.sh (run `scripts/pg-cluster.sh install` first).
 *
 *   npm run bench:store -- [--corpus ../shared/datasets/scifact] [--queries N]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Engine } from '../src/engine/engine.js';
import { indexPaths } from '../src/engine/indexer.js';
import { PgEngine } from '../src/engine/pg-engine.js';
import { IndexReader } from '../src/index/index.js';
import { PgStore } from '../src/index/pg/store.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const root = path.resolve(import.meta.dirname, '..');
const corpusDir = path.resolve(arg('corpus', path.join(root, '../shared/datasets/scifact')));
const maxQueries = Number(arg('queries', '300'));
const queries = readFileSync(path.join(corpusDir, 'queries.jsonl'), 'utf8').trim().split('\n').slice(0, maxQueries).map((l) => JSON.parse(l).text as string);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const tmp = mkdtempSync(path.join(tmpdir(), 'openbook-bench-store-'));
const script = path.join(root, 'scripts/pg-cluster.sh');
const clusterDir = mkdtempSync(path.join(tmpdir(), 'openbook-bench-pg-')); // its own dir: the script hands it to the postgres user
const url = execFileSync('bash', [script, 'start', clusterDir, '2'], { encoding: 'utf8' }).trim().split('\n').pop()!;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query('CREATE DATABASE single');
await admin.end();
const singleUrl = url.replace(/\/postgres$/, '/single');

interface Row { store: string; chunks: number; ingestS: number; bytes: number; p50: number; p99: number; tops: string[][] }
const rows: Row[] = [];
const now = () => performance.now();
try {
  for (const store of ['embedded', 'PostgreSQL single node', 'Citus, 2 workers']) {
    const indexDir = path.join(tmp, 'embedded');
    const pgStore = store === 'embedded' ? undefined : PgStore.connect(store.startsWith('Citus') ? url : singleUrl);
    const t0 = now();
    const s = await indexPaths({ indexDir, paths: [path.join(corpusDir, 'corpus.jsonl')], noChunk: true, cwd: root, now: Date.now, ...(pgStore ? { store: pgStore } : {}) });
    const ingestS = (now() - t0) / 1000;
    const bytes = pgStore ? (await pgStore.stats()).bytesOnDisk : (await IndexReader.open(indexDir)).stats().bytesOnDisk;
    await pgStore?.close();
    const engine = store === 'embedded' ? await Engine.open(indexDir) : await PgEngine.open(store.startsWith('Citus') ? url : singleUrl);
    for (const q of queries.slice(0, 20)) await engine.search(q, { topK: 10 }); // warm-up
    const lat: number[] = [];
    const tops: string[][] = [];
    for (const q of queries) {
      const t = now();
      const hits = await engine.search(q, { topK: 10 });
      lat.push(now() - t);
      tops.push(hits.map((h) => `${h.chunkId}:${h.score}`));
    }
    if (engine instanceof PgEngine) await engine.close();
    rows.push({ store, chunks: s.chunksWritten, ingestS, bytes, p50: pct(lat, 0.5), p99: pct(lat, 0.99), tops });
  }
} finally {
  execFileSync('bash', [script, 'stop', clusterDir]);
  rmSync(clusterDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}
const same = (r: Row) => r.tops.every((t, i) => t.join() === rows[0].tops[i].join());
console.log(`\n${path.basename(corpusDir)}: ${rows[0].chunks} chunks, ${queries.length} queries, BM25 top-10 (one query at a time)\n`);
console.log('| store | ingest chunks/s | size on disk | bytes/chunk | BM25 p50 ms | BM25 p99 ms | top-10 = embedded |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.store} | ${Math.round(r.chunks / r.ingestS)} | ${(r.bytes / 1e6).toFixed(1)} MB | ${Math.round(r.bytes / r.chunks)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${same(r) ? 'yes, scores too' : 'NO'} |`);
}
