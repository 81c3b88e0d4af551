/**
 * The single-writer lock: a file `write.lock` holding `{ pid, hostname, acquiredAt }`.
 *
 * Acquisition creates the lock atomically with its content (the content goes to a private temp
 * file first, then `link(temp, write.lock)`, which fails with EEXIST when a lock exists), so a
 * lock file is never seen half-written. A lock whose holder is a dead process on this host
 * (`kill(pid, 0)` → ESRCH) is stale and taken over: it is renamed aside, and the renamed file's
 * content is checked to be the stale one before deletion (if a live writer won the race, its lock
 * is linked back). A lock from another host, or from this very process, counts as live.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { IndexLockedError } from '../../core/errors.js';

export const LOCK_FILE = 'write.lock';

interface LockContent {
  pid: number;
  hostname: string;
  acquiredAt: number;
}

/** A held lock; `release` deletes the lock file if it is still ours. */
export interface WriteLock {
  readonly path: string;
  release(): Promise<void>;
}

function describe(h: LockContent | null): string {
  if (h === null) return 'unknown holder';
  return `pid ${h.pid} on ${h.hostname} since ${new Date(h.acquiredAt).toISOString()}`;
}

async function readHolder(path: string): Promise<LockContent | null | 'absent'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    const v = JSON.parse(text) as LockContent;
    return typeof v.pid === 'number' && typeof v.hostname === 'string' ? v : null;
  } catch {
    return null; // unreadable content: treated as a live unknown holder
  }
}

/** True when process `pid` exists on this host (EPERM means it exists but belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the writer lock of index directory `dir` (which must exist).
 * @throws IndexLockedError naming the holder when another live writer has it
 */
export async function acquireWriteLock(dir: string, now: () => number): Promise<WriteLock> {
  const path = join(dir, LOCK_FILE);
  const mine: LockContent = { pid: process.pid, hostname: hostname(), acquiredAt: now() };
  const mineText = JSON.stringify(mine);
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${mine.acquiredAt}.tmp`);
  await writeFile(tmp, mineText);
  try {
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        await link(tmp, path);
        return {
          path,
          release: async () => {
            const cur = await readHolder(path);
            if (cur !== 'absent' && cur !== null && JSON.stringify(cur) === mineText) await unlink(path).catch(ignoreEnoent);
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(path);
      if (holder === 'absent') continue; // released meanwhile: try again
      const stale = holder !== null && holder.hostname === mine.hostname && holder.pid !== process.pid && !isAlive(holder.pid);
      if (!stale) throw new IndexLockedError(dir, describe(holder));
      // Take over: move the stale lock aside, then make sure what we moved was the stale one.
      const aside = join(dir, `${LOCK_FILE}.stale.${process.pid}.${attempt}.tmp`);
      try {
        await rename(path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const moved = await readHolder(aside);
      if (moved !== 'absent' && moved !== null && JSON.stringify(moved) !== JSON.stringify(holder)) {
        // We moved someone's fresh lock: put it back (fails harmlessly if a third writer got in).
        await link(aside, path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
      }
      await unlink(aside).catch(ignoreEnoent);
    }
    throw new IndexLockedError(dir, 'lock kept changing hands; retry');
  } finally {
    await unlink(tmp).catch(ignoreEnoent);
  }
}

function ignoreEnoent(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
