/**
 * The "done when" from the command line, against a real Citus cluster started by
 * scripts/pg-cluster.sh: `openbook index docs --store $URL && openbook ask "What does HyDE generate
 * before it retrieves?" --store $URL` answers with the embedded index's citations; a re-run says
 * "no changes"; `store status` reports the distribution; `config` masks the URL's password.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const MAIN = path.join(ROOT, 'src/cli/main.ts');
const available = pgAvailable();

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(TSX, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '', OPENBOOK_STORE_URL: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!available)('openbook --store postgres://… (Citus, 2 workers)', () => {
  let cluster: PgCluster;
  let tmp: string;
  beforeAll(() => {
    cluster = startPgCluster(2);
    tmp = mkdtempSync(path.join(tmpdir(), 'openbook-pg-cli-'));
  });
  afterAll(() => {
    cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('index docs + ask give the embedded index\'s answer and citations', () => {
    const idx = path.join(tmp, 'embedded');
    const q = 'What does HyDE generate before it retrieves?';
    expect(run(['index', 'docs', '--index', idx]).code).toBe(0);
    const r = run(['index', 'docs', '--store', cluster.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/indexed \d+ files into postgres:\/\/.*\(commit 1\)/);
    const a = JSON.parse(run(['ask', q, '--index', idx, '--json']).stdout);
    const b = JSON.parse(run(['ask', q, '--store', cluster.url, '--json']).stdout);
    expect(b.citations.length).toBeGreaterThan(0);
    expect(b.answer).toBe(a.answer);
    expect(b.citations).toEqual(a.citations);
    const sa = JSON.parse(run(['search', 'BM25 length normalisation', '--index', idx, '--json', '-k', '10']).stdout);
    const sb = JSON.parse(run(['search', 'BM25 length normalisation', '--json', '-k', '10'], { OPENBOOK_STORE_URL: cluster.url }).stdout);
    expect(sb.hits).toEqual(sa.hits);
    expect(run(['index', 'docs', '--store', cluster.url]).stdout).toMatch(/no changes: \d+ documents up to date/);
  });

  it('store status reports the distributed schema; config masks the password', () => {
    const s = run(['store', 'status', '--store', cluster.url, '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ schemaVersion: 4, distributed: true, generation: 1 });
    const c = run(['config', '--json'], { OPENBOOK_STORE_URL: 'postgres://alice:s3cret@db.example:5432/ob' });
    expect(c.stdout).not.toContain('s3cret');
    expect(JSON.parse(c.stdout).sources['store.url']).toBe('env:OPENBOOK_STORE_URL');
  });

  it('status and graph --store report what the embedded index reports for the same docs', () => {
    const idx = path.join(tmp, 'embedded');
    const a = JSON.parse(run(['status', '--index', idx, '--json']).stdout);
    const r = run(['status', '--store', cluster.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout);
    for (const k of ['numDocuments', 'numChunks', 'numTerms', 'numPostings', 'sumDocLen', 'docCount', 'avgdl', 'analyzer', 'textBytes']) expect([k, b[k]]).toEqual([k, a[k]]);
    expect(b.metadataFields).toEqual(a.metadataFields);
    expect(b.config).toEqual(a.config);
    expect(b).toMatchObject({ store: cluster.url, distributed: true, generation: 1 });
    expect(run(['status', '--store', cluster.url]).stdout).toMatch(/documents\s+\S*\s*\d+/);
    const ga = JSON.parse(run(['graph', '--index', idx, '--json', '-k', '10']).stdout);
    const g = run(['graph', '--store', cluster.url, '--json', '-k', '10']);
    expect(g.code, g.stderr).toBe(0);
    const gb = JSON.parse(g.stdout);
    expect(gb.top).toEqual(ga.top);
    expect(gb).toMatchObject({ numNodes: ga.numNodes, numEdges: ga.numEdges, links: ga.links, origin: 'computed' });
  });
});
