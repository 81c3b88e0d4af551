/**
 * Throwaway PostgreSQL 15 + pgvector + Citus clusters for tests, started by the project's
 * `scripts/pg-cluster.sh` on free ports of 127.0.0.1.
 *
 * Without the server or the extensions the tests skip with one line saying how to install them.
 * `.ci/run` runs `scripts/pg-cluster.sh install` and, when that succeeds, exports
 * OPENBOOK_PG_REQUIRED=1: then a missing server is a failure, never a skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SCRIPT = fileURLToPath(new URL('../../scripts/pg-cluster.sh', import.meta.url));
const PGBIN = '/usr/lib/postgresql/15/bin';

function extensionsInstalled(): boolean {
  if (!existsSync(path.join(PGBIN, 'initdb'))) return false;
  const r = spawnSync(path.join(PGBIN, 'pg_config'), ['--sharedir'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  const share = r.stdout.trim();
  return existsSync(path.join(share, 'extension', 'citus.control')) && existsSync(path.join(share, 'extension', 'vector.control'));
}

export const INSTALL_HINT = 'PostgreSQL 15 + pgvector + Citus are not installed: run `scripts/pg-cluster.sh install` (as root; builds from ../shared/vendor)';

/** True when clusters can be started; logs the skip line once otherwise, and throws when CI requires them. */
export function pgAvailable(): boolean {
  if (extensionsInstalled()) return true;
  if (process.env.OPENBOOK_PG_REQUIRED === '1') throw new Error(`OPENBOOK_PG_REQUIRED=1 but ${INSTALL_HINT}`);
  console.log(`skipping PostgreSQL store tests: ${INSTALL_HINT}`);
  return false;
}

export interface PgCluster {
  /** The coordinator's URL, `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  dir: string;
  /** Port of node `name` (coordinator, worker1, …). */
  port(name: string): number;
  /** Stops node `name` (pg_ctl -m fast) or starts it again. */
  stopNode(name: string): void;
  startNode(name: string): void;
  /** Adds worker N+1 to the cluster (started and registered with citus_add_node). */
  addWorker(): void;
  stop(): void;
}

/** Starts a coordinator with `workers` workers (0: a single PostgreSQL node that has Citus loaded). */
export function startPgCluster(workers = 2): PgCluster {
  const dir = mkdtempSync(path.join(tmpdir(), 'openbook-pg-'));
  let count = workers;
  const run = (...args: string[]) => execFileSync('bash', [SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const url = run('start', dir, String(workers)).trim().split('\n').pop()!;
  const asPg = (cmd: string[]) => (process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd);
  const pgCtl = (name: string, action: string[]) => {
    const [bin, ...rest] = asPg([path.join(PGBIN, 'pg_ctl'), '-D', path.join(dir, name), ...action]);
    execFileSync(bin, rest, { stdio: 'ignore' });
  };
  return {
    url,
    dir,
    port: (name) => Number(execFileSync('cat', [path.join(dir, `${name}.port`)], { encoding: 'utf8' }).trim()),
    stopNode: (name) => pgCtl(name, ['-m', 'immediate', '-w', 'stop']),
    startNode: (name) => pgCtl(name, ['-l', path.join(dir, name, 'server.log'), '-w', 'start']),
    addWorker: () => {
      count++;
      run('start', dir, String(count));
    },
    stop: () => {
      run('stop', dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one statement on a connection of its own to `url` and returns its rows (test set-up and checks). */
export async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}
