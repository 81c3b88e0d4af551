/**
 * Holds the Engine the server answers from and swaps it atomically after a commit.
 *
 * "Readers never wait on a commit": a request takes the current Engine (one object over one
 * committed generation) and uses it to the end; a reload opens the new generation beside it
 * and replaces the reference only once it is fully open. Requests that started before keep
 * the old Engine; nobody ever sees a half-open index. A commit made by another process (the
 * CLI indexing into the same folder) is noticed by a cheap stat of the manifest, at most once
 * per `checkIntervalMs`, and picked up the same way without blocking the request that noticed.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { IndexNotFoundError } from '../core/errors.js';
import { Engine } from '../engine/engine.js';
import type { PgEngine } from '../engine/pg-engine.js';

export interface EngineHolderOptions {
  /** Opens the last commit in a folder; default `Engine.open`. */
  open?: (dir: string) => Promise<Engine>;
  now: () => number;
  /** Minimum ms between manifest checks for outside commits. Default 1000. */
  checkIntervalMs?: number;
  onReloadError?: (err: unknown) => void;
}

/** The manifest file whose replacement marks a commit (see `index/store/format.ts`). */
const MANIFEST = 'manifest.json';

export class EngineHolder {
  private engine: Engine | undefined;
  private opening: Promise<Engine> | undefined;
  private manifestStamp = '';
  private lastCheckMs = -Infinity;
  private readonly open: (dir: string) => Promise<Engine>;

  constructor(
    readonly dir: string,
    private readonly opts: EngineHolderOptions,
  ) {
    this.open = opts.open ?? ((d) => Engine.open(d));
  }

  /**
   * The current Engine. Opens the index on first use (concurrent first callers share one
   * open). @throws IndexNotFoundError while nothing has been committed yet
   */
  async get(): Promise<Engine> {
    if (this.engine) {
      this.checkForOutsideCommit();
      return this.engine;
    }
    return this.reload();
  }

  /** The current Engine if one is open, without opening or checking anything. */
  peek(): Engine | undefined {
    return this.engine;
  }

  /**
   * Opens the last commit and makes it current. Concurrent calls share one open. Requests
   * in flight keep the Engine they already hold.
   */
  async reload(): Promise<Engine> {
    if (this.opening) return this.opening;
    const opening = (async () => {
      const stamp = await this.stamp();
      if (stamp === null) throw new IndexNotFoundError(this.dir);
      const next = await this.open(this.dir);
      this.engine = next;
      this.manifestStamp = stamp;
      return next;
    })();
    this.opening = opening;
    try {
      return await opening;
    } finally {
      this.opening = undefined;
    }
  }

  private checkForOutsideCommit(): void {
    const t = this.opts.now();
    if (t - this.lastCheckMs < (this.opts.checkIntervalMs ?? 1000) || this.opening) return;
    this.lastCheckMs = t;
    void this.stamp().then((s) => {
      if (s !== null && s !== this.manifestStamp) return this.reload().then(() => undefined);
    }).catch((err: unknown) => this.opts.onReloadError?.(err));
  }

  /** mtime and size of the manifest, or null when there is none. */
  private async stamp(): Promise<string | null> {
    try {
      const s = await stat(path.join(this.dir, MANIFEST));
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}

/**
 * The store's counterpart of {@link EngineHolder}: one `PgEngine` (a connection pool) for the
 * server's life. Nothing to swap after a commit: every search reads the store's last commit in
 * one snapshot, so commits by this server or by any other process show on the next request.
 */
export class StoreEngineHolder {
  private engine: PgEngine | undefined;
  private opening: Promise<PgEngine> | undefined;

  constructor(
    readonly url: string,
    private readonly open: () => Promise<PgEngine>,
  ) {}

  /** The engine; connects on first use. @throws IndexNotFoundError while the store has no index */
  async get(): Promise<PgEngine> {
    return this.engine ?? this.reload();
  }

  peek(): PgEngine | undefined {
    return this.engine;
  }

  /** Connects when not connected yet (after a first commit); otherwise the live engine as it is. */
  async reload(): Promise<PgEngine> {
    if (this.engine) return this.engine;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    this.engine = await this.opening;
    return this.engine;
  }

  async close(): Promise<void> {
    await this.engine?.close();
    this.engine = undefined;
  }
}
