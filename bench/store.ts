/**
 * `npm run bench:store` — the embedded index, PostgreSQL single node and Citus with 2 workers,
 * all in one run, on BEIR SciFact (../shared/datasets) and the seeded synthetic corpora of
 * `bench:scale` (bench/synthetic.ts, whole documents, english analyzer): ingest throughput
 * (chunks/s, wall clock, one commit), size on disk, and top-10 latency p50/p99 with chunk texts,
 * one query at a time (SciFact's test queries; 3-term queries on the synthetic corpora), of BM25,
 * dense and hybrid (RRF) retrieval, and whether the BM25 top-10 of every query (ids and scores)
 * is the embedded index's. Dense vectors come from bench/hash-embedder.ts (64 dimensions, a
 * word-hash stand-in for a model: latency on real vectors of a real size, no semantics), stored
 * after the ingest (embedded: `embedIndex`; PostgreSQL: `embedStore`, HNSW m 16, ef_construction
 * 64, queried with hnsw.ef_search 100) and not counted in the ingest columns; the dense and hybrid
 * columns give the overlap of the store's top-10 with the embedded index's. Starts its own
 * throwaway cluster with scripts/pg-cluster.sh (run `scripts/pg-cluster.sh install` first); the
 * single node is a database of the coordinator without the Citus extension.
 *
 *   npm run bench:store -- [--corpora scifact,100k,1m] [--queries 300] [--shards 2] [--threads 2] [--retrievers bm25,dense,hybrid] [--keep] [--out docs/img/store-latency.svg]
 *
 * `--keep` leaves the cluster and its databases (ob_<corpus>_single, ob_<corpus>_citus) running for
 * EXPLAIN after the run and prints how to stop it.
 * `--retrievers` picks the retrievers measured; without dense and hybrid no vectors are stored
 * (no vector column, no HNSW build: the 1M HNSW builds take most of an hour here), their columns
 * print "not measured" and the dense plot is not written — `--retrievers bm25` measures ingest,
 * size and BM25 alone.
 * `--shards` is Citus's shard count of the distributed tables (`citus.shard_count` at
 * `store init`, given in the URL's `options`); 32 is Citus's default. The default here, 2, is one
 * shard per worker core: the 2 workers share this machine's 2 cores, and Citus's guidance for
 * queries that touch every shard is at least one shard per worker CPU core (docs.citusdata.com, FAQ
 * "How do I change the shard count"). Every BM25 search runs one task per shard, and on 2 cores
 * the extra tasks of 4 shards cost more than they parallelise: 1M BM25 p50 13.86 ms with 4 shards
 * against 10.87 with 2 (docs/performance.md). Prints one Markdown table
 * per corpus and writes the latency plots (BM25 p50 and p99 against corpus size, per store; and
 * dense and hybrid p50 and p99 beside it, `-dense` before the extension, when measured). 1M takes ~30 min per
 * PostgreSQL store on a 2-core machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Chunk, Document } from '../src/core/types.js';
import { defaultThreads } from '../src/core/workers.js';
import { embedIndex } from '../src/engine/embed.js';
import { Engine } from '../src/engine/engine.js';
import { indexPaths } from '../src/engine/indexer.js';
import { PgEngine } from '../src/engine/pg-engine.js';
import { IndexReader, IndexWriter, type IndexConfig } from '../src/index/index.js';
import { embedStore, PgStore } from '../src/index/pg/store.js';
import { HashEmbedder } from './hash-embedder.js';
import { syntheticCorpus } from './synthetic.js';

const RETRIEVERS = ['bm25', 'dense', 'hybrid'] as const;
type RetrieverName = (typeof RETRIEVERS)[number];
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const root = path.resolve(import.meta.dirname, '..');
const corpora = arg('corpora', 'scifact,100k,1m').split(',');
const maxQueries = Number(arg('queries', '300'));
const shards = Number(arg('shards', '2'));
const threads = Number(arg('threads', String(defaultThreads())));
const svgOut = path.resolve(root, arg('out', 'docs/img/store-latency.svg'));
const measured = arg('retrievers', 'bm25,dense,hybrid').split(',') as RetrieverName[];
for (const r of measured) if (!(RETRIEVERS as readonly string[]).includes(r)) throw new Error(`--retrievers: unknown retriever ${r} (bm25, dense, hybrid)`);
if (!measured.includes('bm25')) throw new Error('--retrievers must include bm25 (the parity column and the main plot are BM25\'s)');
const withVectors = measured.includes('dense') || measured.includes('hybrid');
const keep = process.argv.includes('--keep');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const sizeOf = (name: string) => Number(name.replace(/k$/i, '000').replace(/m$/i, '000000'));

const STORES = ['embedded', 'PostgreSQL single node', 'Citus, 2 workers'] as const;
type StoreName = (typeof STORES)[number];
interface Latency { p50: number; p99: number; tops: string[][] }
interface Row { store: StoreName; chunks: number; ingestS: number; ingestCpuS: number; bytes: number; embedS: number; p50: number; p99: number; tops: string[][]; lat: Partial<Record<RetrieverName, Latency>> & { bm25: Latency } }
interface Table { corpus: string; numDocs: number; queryKind: string; queries: number; rows: Row[] }

const tmp = mkdtempSync(path.join(tmpdir(), 'openbook-bench-store-'));
const script = path.join(root, 'scripts/pg-cluster.sh');
const clusterDir = mkdtempSync(path.join(tmpdir(), 'openbook-bench-pg-')); // its own dir: the script hands it to the postgres user
const baseUrl = execFileSync('bash', [script, 'start', clusterDir, '2'], { encoding: 'utf8' }).trim().split('\n').pop()!;
const dbUrl = (db: string, citus: boolean) => {
  const u = new URL(baseUrl);
  u.pathname = `/${db}`;
  if (citus) u.searchParams.set('options', `-c citus.shard_count=${shards}`);
  return u.toString();
};
const now = () => performance.now();

/** A fresh database per corpus and store (Citus: the extension created in it, the workers added). */
async function freshDatabase(name: string, citus: boolean): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  if (citus) {
    const c = new pg.Client({ connectionString: dbUrl(name, false) });
    await c.connect();
    await c.query('SET client_min_messages = warning');
    await c.query('CREATE EXTENSION citus');
    await c.query('CREATE EXTENSION IF NOT EXISTS vector');
    const port = Number(new URL(baseUrl).port);
    await c.query(`SELECT citus_set_coordinator_host('127.0.0.1', ${port})`);
    for (const w of ['worker1', 'worker2']) {
      const wport = Number(readFileSync(path.join(clusterDir, `${w}.port`), 'utf8').trim());
      const wc = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${wport}/postgres` });
      await wc.connect();
      await wc.query(`CREATE DATABASE ${name}`).catch(() => {});
      await wc.end();
      const wd = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${wport}/${name}` });
      await wd.connect();
      await wd.query('SET client_min_messages = warning');
      await wd.query('CREATE EXTENSION IF NOT EXISTS citus');
      await wd.query('CREATE EXTENSION IF NOT EXISTS vector');
      await wd.end();
      await c.query(`SELECT citus_add_node('127.0.0.1', ${wport})`);
    }
    await c.end();
  }
  return dbUrl(name, citus);
}

const synthConfig: IndexConfig = { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: true, luceneNorms: true };

function* syntheticItems(n: number): Generator<{ doc: Document; chunks: Chunk[] }> {
  for (const d of syntheticCorpus({ numDocs: n, seed: 42 }).docs()) {
    const text = d.contents;
    const doc: Document = { id: d.id, source: 'synthetic', title: '', text, format: 'jsonl', contentHash: d.id, sizeBytes: text.length, mtimeMs: 0 };
    yield { doc, chunks: [{ id: `${d.id}#0`, docId: d.id, ordinal: 0, text, headingPath: [], startChar: 0, endChar: text.length, startLine: 1, endLine: 1 }] };
  }
}

/** Ingests `corpus` into the store (undefined: the embedded index at `indexDir`); returns chunks written. */
async function ingest(corpus: string, indexDir: string, store: PgStore | undefined): Promise<number> {
  if (corpus === 'scifact') {
    const s = await indexPaths({ indexDir, paths: [path.join(root, '../shared/datasets/scifact/corpus.jsonl')], noChunk: true, cwd: root, now: Date.now, threads, ...(store ? { store } : {}) });
    return s.chunksWritten;
  }
  const n = sizeOf(corpus);
  if (store) {
    await store.init(synthConfig);
    const w = await store.writer({ now: Date.now, threads });
    try {
      await w.addDocuments(syntheticItems(n));
      await w.commit();
    } finally {
      await w.close();
    }
  } else {
    const w = await IndexWriter.open(indexDir, synthConfig, { now: Date.now, threads });
    try {
      await w.addDocuments(syntheticItems(n));
      await w.commit();
    } finally {
      await w.close();
    }
  }
  return n;
}

const embedder = new HashEmbedder(64);
const tables: Table[] = [];
try {
  for (const corpus of corpora) {
    const synthetic = corpus !== 'scifact';
    const queries = synthetic
      ? syntheticCorpus({ numDocs: sizeOf(corpus), seed: 42 }).queries(maxQueries, 3, 43).map((q) => q.text)
      : readFileSync(path.join(root, '../shared/datasets/scifact/queries.jsonl'), 'utf8').trim().split('\n').slice(0, maxQueries).map((l) => JSON.parse(l).text as string);
    const table: Table = { corpus, numDocs: synthetic ? sizeOf(corpus) : 5183, queryKind: synthetic ? '3-term queries' : 'SciFact queries', queries: queries.length, rows: [] };
    for (const store of STORES) {
      const indexDir = path.join(tmp, `embedded-${corpus}`);
      const citus = store.startsWith('Citus');
      const url = store === 'embedded' ? undefined : await freshDatabase(`ob_${corpus.replace(/\W/g, '')}_${citus ? 'citus' : 'single'}`, citus);
      const pgStore = url ? PgStore.connect(url) : undefined;
      const t0 = now();
      const c0 = process.cpuUsage();
      const chunks = await ingest(corpus, indexDir, pgStore);
      const ingestS = (now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const bytes = pgStore ? (await pgStore.stats()).bytesOnDisk : (await IndexReader.open(indexDir)).stats().bytesOnDisk;
      // Passage vectors, after the ingest and outside its columns.
      const e0 = now();
      if (!withVectors) {
        // --retrievers bm25: no vectors
      } else if (pgStore) await embedStore(pgStore, { model: embedder.id, dimension: embedder.dims, embed: (t) => embedder.embed(t, { kind: 'passage' }), batchSize: 1024 });
      else await embedIndex({ indexDir, embedder, now: Date.now, batchSize: 1024 });
      const embedS = (now() - e0) / 1000;
      await pgStore?.close();
      const engine = url ? await PgEngine.open(url, { embedder }) : await Engine.open(indexDir, { embedder });
      const lat = {} as Row['lat'];
      for (const retriever of measured) {
        for (const q of queries.slice(0, 20)) await engine.search(q, { topK: 10, retriever }); // warm-up
        const ms: number[] = [];
        const tops: string[][] = [];
        for (const q of queries) {
          const t = now();
          const hits = await engine.search(q, { topK: 10, retriever });
          ms.push(now() - t);
          tops.push(hits.map((h) => (retriever === 'bm25' ? `${h.chunkId}:${h.score}` : h.chunkId)));
        }
        lat[retriever] = { p50: pct(ms, 0.5), p99: pct(ms, 0.99), tops };
      }
      if (engine instanceof PgEngine) await engine.close();
      table.rows.push({ store, chunks, ingestS, ingestCpuS: (cpu.user + cpu.system) / 1e6, bytes, embedS, p50: lat.bm25.p50, p99: lat.bm25.p99, tops: lat.bm25.tops, lat });
      console.error(
        `bench:store ${corpus} ${store}: ${Math.round(chunks / ingestS)} chunks/s (${ingestS.toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s), ${Math.round(bytes / chunks)} bytes/chunk, ` +
          measured.map((r) => `${r} p50 ${lat[r]!.p50.toFixed(2)} / p99 ${lat[r]!.p99.toFixed(2)} ms`).join(', ') + (withVectors ? `, vectors ${embedS.toFixed(1)} s` : ''),
      );
    }
    tables.push(table);
    rmSync(path.join(tmp, `embedded-${corpus}`), { recursive: true, force: true });
  }
} finally {
  if (keep) {
    console.error(`bench:store: cluster kept (--keep), coordinator ${baseUrl}; stop it with scripts/pg-cluster.sh stop ${clusterDir}`);
  } else {
    execFileSync('bash', [script, 'stop', clusterDir]);
    rmSync(clusterDir, { recursive: true, force: true });
  }
  rmSync(tmp, { recursive: true, force: true });
}

/** Mean share of a store's top-10 ids that are the embedded index's, over the queries. */
const overlap = (a: string[][], b: string[][]) => a.reduce((s, top, i) => s + (top.length === 0 ? 1 : top.filter((id) => b[i].includes(id)).length / top.length), 0) / Math.max(1, a.length);
for (const t of tables) {
  const same = (r: Row) => r.tops.every((top, i) => top.join() === t.rows[0].tops[i].join());
  console.log(`\n${t.corpus}: ${t.rows[0].chunks} chunks, ${t.queries} ${t.queryKind}, top-10 with chunk texts (one query at a time); ${withVectors ? `dense: ${embedder.id} vectors` : "dense and hybrid not measured (--retrievers)"}; Citus with ${shards} shards\n`);
  console.log('| store | ingest chunks/s | ingest CPU s (openbook process) | size on disk | bytes/chunk | BM25 p50 ms | BM25 p99 ms | BM25 top-10 = embedded | dense p50 ms | dense p99 ms | hybrid p50 ms | hybrid p99 ms | dense / hybrid top-10 ∩ embedded | vectors s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const nm = 'not measured';
  const cell = (r: Row, k: RetrieverName, p: 'p50' | 'p99') => (r.lat[k]?.[p].toFixed(2) ?? nm);
  const ovOf = (r: Row, k: RetrieverName) => (r.lat[k] && t.rows[0].lat[k] ? overlap(r.lat[k].tops, t.rows[0].lat[k].tops).toFixed(3) : nm);
  for (const r of t.rows) {
    const ov = r.store === 'embedded' ? '—' : !withVectors ? nm : `${ovOf(r, 'dense')} / ${ovOf(r, 'hybrid')}`;
    console.log(
      `| ${r.store} | ${Math.round(r.chunks / r.ingestS)} | ${r.ingestCpuS.toFixed(1)} | ${(r.bytes / 1e6).toFixed(1)} MB | ${Math.round(r.bytes / r.chunks)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${same(r) ? 'yes, scores too' : 'NO'} | ` +
        `${cell(r, 'dense', 'p50')} | ${cell(r, 'dense', 'p99')} | ${cell(r, 'hybrid', 'p50')} | ${cell(r, 'hybrid', 'p99')} | ${ov} | ${withVectors ? r.embedS.toFixed(1) : nm} |`,
    );
  }
}
writeFileSync(svgOut, latencySvg(tables, 'bm25', 'BM25 top-10 latency vs corpus size per store (log–log)'));
const denseKinds = (['dense', 'hybrid'] as const).filter((k) => measured.includes(k));
if (denseKinds.length > 0) {
  const denseOut = svgOut.replace(/(\.svg)?$/, '-dense.svg');
  writeFileSync(denseOut, latencySvg(tables, [...denseKinds], `${denseKinds.join(' and ')} top-10 latency per store (${embedder.id}, log–log)`));
  console.log(`\nplots: ${path.relative(root, svgOut)}, ${path.relative(root, denseOut)}`);
} else {
  console.log(`\nplot: ${path.relative(root, svgOut)} (dense and hybrid not measured)`);
}

/** p50 and p99 of each retriever in `which` against documents, log–log, one colour per store, one dash pattern per line. */
function latencySvg(ts: Table[], which: RetrieverName | RetrieverName[], title: string): string {
  const rs = Array.isArray(which) ? which : [which];
  const W = 640, H = 400, L = 70, R = 190, T = 30, B = 50;
  const colors: Record<StoreName, string> = { embedded: '#1f77b4', 'PostgreSQL single node': '#2ca02c', 'Citus, 2 workers': '#d62728' };
  const dashes = ['', '6 4', '2 3', '8 3 2 3'];
  const xs = ts.map((t) => t.numDocs);
  const ys = ts.flatMap((t) => t.rows.flatMap((r) => rs.flatMap((k) => [r.lat[k]!.p50, r.lat[k]!.p99]))).filter((y) => y > 0);
  const x0 = Math.floor(Math.log10(Math.min(...xs))), x1 = Math.max(x0 + 1, Math.ceil(Math.log10(Math.max(...xs))));
  const y0 = Math.floor(Math.log10(Math.min(...ys))), y1 = Math.max(y0 + 1, Math.ceil(Math.log10(Math.max(...ys))));
  const px = (x: number) => L + ((Math.log10(x) - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => H - B - ((Math.log10(y) - y0) / (y1 - y0)) * (H - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(L + W - R) / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>`,
  ];
  for (let e = x0; e <= x1; e++) out.push(`<line x1="${px(10 ** e)}" y1="${T}" x2="${px(10 ** e)}" y2="${H - B}" stroke="#ddd"/><text x="${px(10 ** e)}" y="${H - B + 16}" text-anchor="middle">${10 ** e >= 1e6 ? `${10 ** (e - 6)}M` : 10 ** e >= 1e3 ? `${10 ** (e - 3)}k` : 10 ** e}</text>`);
  for (let e = y0; e <= y1; e++) out.push(`<line x1="${L}" y1="${py(10 ** e)}" x2="${W - R}" y2="${py(10 ** e)}" stroke="#ddd"/><text x="${L - 6}" y="${py(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">documents (SciFact 5,183; synthetic above)</text>`);
  let ly = T + 10;
  for (const s of STORES) {
    rs.forEach((k, ri) => {
      for (const [key, di] of [['p50', 0], ['p99', 1]] as const) {
        const dash = dashes[2 * ri + di];
        const pts = ts.map((t) => [t.numDocs, t.rows.find((r) => r.store === s)!.lat[k]![key]] as const).sort((a, b) => a[0] - b[0]);
        out.push(`<polyline fill="none" stroke="${colors[s]}" stroke-width="2" stroke-dasharray="${dash}" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
        for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colors[s]}"/>`);
        const label = `${s === 'PostgreSQL single node' ? 'PostgreSQL' : s === 'Citus, 2 workers' ? 'Citus' : s}${rs.length > 1 ? ` ${k}` : ''} ${key}`;
        out.push(`<line x1="${W - R + 10}" y1="${ly}" x2="${W - R + 34}" y2="${ly}" stroke="${colors[s]}" stroke-width="2" stroke-dasharray="${dash}"/><text x="${W - R + 40}" y="${ly + 4}">${label}</text>`);
        ly += rs.length > 1 ? 15 : 18;
      }
    });
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
