/**
 * Several `openbook serve --store` processes on one PostgreSQL database (started by
 * scripts/pg-cluster.sh) answer searches while `openbook index --store` commits into it: every
 * response is a 200 whose hits are whole chunks of one commit (each chunk's text names its own
 * document, so a hit stitched from two commits shows), status follows the commits, and after a
 * kill -9 and restart a server gives the same hits as before (nothing committed is lost) and the
 * embedded index's hits for the same files.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchResponse, StatusResponse } from '../../src/server/schemas.js';
import { exited, runCli, startServe as startServeCli } from '../support/cli.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const available = pgAvailable();

function startServe(url: string, stateDir: string): Promise<{ url: string; child: ChildProcess }> {
  return startServeCli(['--store', url, '--index', stateDir, '--port', '0', '--rate-limit', '0'], { env: { OPENBOOK_STORE_URL: '' } });
}

const WORDS = 'burrow survey soil wombat tunnel night grass creek ridge scat track den'.split(' ');

/** Files whose every paragraph names its file, so a hit's text must contain its own document id. */
function writeDocs(dir: string, from: number, to: number, version: string): void {
  mkdirSync(dir, { recursive: true });
  for (let i = from; i < to; i++) {
    const name = `f${String(i).padStart(4, '0')}`;
    const paras = Array.from({ length: 3 }, (_, p) => `${name} ${version} ${Array.from({ length: 40 }, (_, w) => WORDS[(i * 7 + p * 3 + w * w) % WORDS.length]).join(' ')}.`);
    writeFileSync(path.join(dir, `${name}.txt`), paras.join('\n\n') + '\n');
  }
}

describe.skipIf(!available)('several serve --store processes while index --store commits', () => {
  let cluster: PgCluster;
  let tmp: string;
  let url: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    cluster = startPgCluster(0);
    tmp = mkdtempSync(path.join(tmpdir(), 'openbook-pg-serve-'));
    // A plain database (the cluster's own has Citus loaded, with no workers on a single node).
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query('CREATE DATABASE serve');
    await c.end();
    url = cluster.url.replace(/\/[^/?]+(\?|$)/, '/serve$1');
  }, 60_000);
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('serve whole commits during indexing, and lose nothing across kill -9 and restart', async () => {
    const docs = path.join(tmp, 'docs');
    writeDocs(docs, 0, 200, 'v1');
    const first = await runCli(tmp, ['index', docs, '--store', url]);
    expect(first.code, first.stderr).toBe(0);
    // The embedded index goes through the same two runs, so its chunk order (ties) is the store's.
    const emb = path.join(tmp, 'embedded');
    expect((await runCli(tmp, ['index', docs, '--index', emb])).code).toBe(0);
    const servers = await Promise.all([startServe(url, path.join(tmp, 's1')), startServe(url, path.join(tmp, 's2'))]);
    children.push(...servers.map((s) => s.child));
    const st0 = StatusResponse.parse(await (await fetch(`${servers[0].url}/v1/status`)).json());
    expect(st0.index).toMatchObject({ generation: 1, numDocuments: 200 });

    // Rewrite half the files and add 1,500 more, then index while both servers are searched.
    writeDocs(docs, 0, 100, 'v2');
    writeDocs(docs, 200, 1700, 'v1');
    const indexing = runCli(tmp, ['index', docs, '--store', url]);
    let done = false;
    void indexing.then(() => (done = true));
    let requests = 0;
    const generations = new Set<number>();
    const check = async (base: string, q: string) => {
      const r = await fetch(`${base}/v1/search?q=${encodeURIComponent(q)}&topK=20`);
      expect(r.status).toBe(200);
      const body = SearchResponse.parse(await r.json());
      for (const h of body.hits) expect(h.text.startsWith(path.basename(h.docId, '.txt'))).toBe(true);
      const scores = body.hits.map((h) => h.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      requests++;
    };
    while (!done || requests < 40) {
      const q = `${WORDS[requests % WORDS.length]} ${WORDS[(requests * 5 + 1) % WORDS.length]} v2`;
      await Promise.all(servers.map((s) => check(s.url, q)));
      const st = StatusResponse.parse(await (await fetch(`${servers[requests % 2].url}/v1/status`)).json());
      generations.add(st.index!.generation);
      if (done && requests >= 40) break;
    }
    const ix = await indexing;
    expect(ix.code, ix.stderr).toBe(0);
    const st1 = StatusResponse.parse(await (await fetch(`${servers[1].url}/v1/status`)).json());
    expect(st1.index).toMatchObject({ generation: 2, numDocuments: 1700 });
    expect(generations.has(2)).toBe(true);

    // kill -9 one server, restart it: the same hits as the other server and as the embedded index.
    const q = 'wombat creek v2';
    const before = SearchResponse.parse(await (await fetch(`${servers[0].url}/v1/search?q=${encodeURIComponent(q)}&topK=10`)).json()).hits;
    servers[0].child.kill('SIGKILL');
    await exited(servers[0].child);
    const again = await startServe(url, path.join(tmp, 's1'));
    children.push(again.child);
    const after = SearchResponse.parse(await (await fetch(`${again.url}/v1/search?q=${encodeURIComponent(q)}&topK=10`)).json()).hits;
    expect(after).toEqual(before);
    expect(after.length).toBe(10);
    expect((await runCli(tmp, ['index', docs, '--index', emb])).code).toBe(0);
    const e = JSON.parse((await runCli(tmp, ['search', q, '--index', emb, '-k', '10', '--json'])).stdout).hits;
    expect(after.map((h) => [h.chunkId, h.score])).toEqual(e.map((h: { chunkId: string; score: number }) => [h.chunkId, h.score]));
    // Each hit carries its document's meta (lang, encoding) as the embedded index's hits do.
    expect(after.map((h) => h.meta)).toEqual(e.map((h: { meta?: unknown }) => h.meta));
    expect(after[0].meta).toMatchObject({ encoding: 'utf-8' });
  }, 300_000);
});
