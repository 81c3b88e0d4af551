/**
 * `openbook eval retrieval --store postgres://…` against a real PostgreSQL started by
 * scripts/pg-cluster.sh: the dataset is indexed into the store and its queries are scored in SQL.
 * SciFact must give the pinned nDCG@10 0.6789 / R@100 0.9253 / R@1000 0.9767 and a TREC run equal
 * to the embedded index's line for line; KorQuAD dev (auto analyzer) R@1/R@5 equal the embedded
 * index's. Each dataset gets a database of its own (eval refuses a store that holds other documents).
 * Needs ../shared/datasets (CI has it); skips with the reason when it is absent.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const DATASETS = path.resolve(REPO_ROOT, '../shared/datasets');
const SCIFACT = path.join(DATASETS, 'scifact');
const KORQUAD = path.join(DATASETS, 'korquad-v1.0');
const haveData = existsSync(path.join(SCIFACT, 'corpus.jsonl')) && existsSync(path.join(KORQUAD, 'KorQuAD_v1.0_dev.json'));
if (!haveData) console.log(`skipping eval --store parity: ${DATASETS} (scifact, korquad-v1.0) is absent`);
const available = haveData && pgAvailable();

describe.skipIf(!available)('eval retrieval --store (PostgreSQL single node)', () => {
  let cluster: PgCluster;
  let tmp: string;
  const dbUrl = (name: string) => cluster.url.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  beforeAll(async () => {
    cluster = startPgCluster(0);
    tmp = mkdtempSync(path.join(tmpdir(), 'openbook-pg-eval-'));
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    for (const db of ['scifact', 'korquad', 'other', 'filtered']) await c.query(`CREATE DATABASE ${db}`);
    await c.end();
  }, 60_000);
  afterAll(() => {
    cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('SciFact: the pinned metrics and the embedded run, line for line; a second run reuses the store', async () => {
    const common = ['eval', 'retrieval', '--dataset', SCIFACT, '--cache', path.join(tmp, 'cache'), '--json'];
    const emb = await runCli(REPO_ROOT, [...common, '--run', path.join(tmp, 'embedded.trec')]);
    expect(emb.code, emb.stderr).toBe(0);
    const st = await runCli(REPO_ROOT, [...common, '--run', path.join(tmp, 'store.trec'), '--store', dbUrl('scifact')]);
    expect(st.code, st.stderr).toBe(0);
    const a = JSON.parse(emb.stdout);
    const b = JSON.parse(st.stdout);
    expect(b.metrics['nDCG@10'].toFixed(4)).toBe('0.6789');
    expect(b.metrics['Recall@100'].toFixed(4)).toBe('0.9253');
    expect(b.metrics['Recall@1000'].toFixed(4)).toBe('0.9767');
    expect(b.metrics).toEqual(a.metrics);
    expect(b.index).toMatchObject({ documents: a.index.documents, terms: a.index.terms, postings: a.index.postings, totalTerms: a.index.totalTerms, cached: false });
    const runA = readFileSync(path.join(tmp, 'embedded.trec'), 'utf8').split('\n');
    const runB = readFileSync(path.join(tmp, 'store.trec'), 'utf8').split('\n');
    expect(runB.length).toBe(runA.length);
    expect(runB.length).toBeGreaterThan(250_000);
    for (let i = 0; i < runA.length; i++) if (runB[i] !== runA[i]) expect(`line ${i + 1}: ${runB[i]}`).toBe(`line ${i + 1}: ${runA[i]}`);
    // Second run: the documents are in the store already (nothing rewritten).
    const again = await runCli(REPO_ROOT, [...common, '--store', dbUrl('scifact'), '--metrics', 'nDCG@10']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ metrics: { 'nDCG@10': a.metrics['nDCG@10'] }, index: { cached: true } });
  }, 300_000);

  it('KorQuAD dev (auto analyzer): Recall@1/@5 equal the embedded index', async () => {
    const common = ['eval', 'retrieval', '--dataset', KORQUAD, '--fields', 'text', '--metrics', 'Recall@1,Recall@5', '-k', '5', '--cache', path.join(tmp, 'cache'), '--json'];
    const emb = await runCli(REPO_ROOT, common);
    expect(emb.code, emb.stderr).toBe(0);
    const st = await runCli(REPO_ROOT, [...common, '--store', dbUrl('korquad')]);
    expect(st.code, st.stderr).toBe(0);
    const a = JSON.parse(emb.stdout);
    const b = JSON.parse(st.stdout);
    expect(a.config.analyzer).toBe('auto');
    expect(b.queries).toBe(5774);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.metrics['Recall@1']).toBeGreaterThan(0.85);
  }, 300_000);

  it('--filter applies on the store as on the embedded index (#16 item 2: filters in eval, identical on PostgreSQL)', async () => {
    const common = ['eval', 'retrieval', '--dataset', SCIFACT, '--metrics', 'nDCG@10,Recall@100', '--cache', path.join(tmp, 'cache'), '--json'];
    const filter = ['--filter', 'title GLOB "A*"'];
    const emb = await runCli(REPO_ROOT, [...common, ...filter]);
    expect(emb.code, emb.stderr).toBe(0);
    const st = await runCli(REPO_ROOT, [...common, ...filter, '--store', dbUrl('filtered')]);
    expect(st.code, st.stderr).toBe(0);
    const a = JSON.parse(emb.stdout);
    const b = JSON.parse(st.stdout);
    // The filter keeps titles starting with A: far below the unfiltered 0.6789 (docs/filters.md measured 0.1188).
    expect(a.metrics['nDCG@10'].toFixed(4)).toBe('0.1188');
    expect(b.metrics).toEqual(a.metrics);
    const tfidfStore = await runCli(REPO_ROOT, [...common, ...filter, '--store', dbUrl('filtered'), '--retriever', 'bm25', '--similarity', 'tfidf']);
    expect(tfidfStore.code, tfidfStore.stderr).toBe(0);
    const tfidfEmb = await runCli(REPO_ROOT, [...common, ...filter, '--similarity', 'tfidf']);
    expect(JSON.parse(tfidfStore.stdout).metrics).toEqual(JSON.parse(tfidfEmb.stdout).metrics);
  }, 300_000);

  it('refuses a store that holds documents of something else, naming how many', async () => {
    const docs = path.join(tmp, 'docs');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(docs, { recursive: true });
    writeFileSync(path.join(docs, 'note.md'), '# A note\n\nNothing to do with SciFact.\n');
    const ix = await runCli(REPO_ROOT, ['index', docs, '--store', dbUrl('other')]);
    expect(ix.code, ix.stderr).toBe(0);
    const r = await runCli(REPO_ROOT, ['eval', 'retrieval', '--dataset', SCIFACT, '--store', dbUrl('other'), '--metrics', 'nDCG@10']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/holds 1 document that is not in scifact/);
  }, 120_000);
});
