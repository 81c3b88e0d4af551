/**
 * Crash-safe file writes for the dense index: write `<name>.tmp-<pid>`, fsync it, rename over
 * `<name>`, fsync the directory. A reader sees the old file or the new one, never a torn one.
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** fsyncs a directory so a rename inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs an existing file. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temporary path next to `dir/name`, unique per process. */
export function tempPathFor(dir: string, name: string): string {
  return join(dir, `${name}.tmp-${process.pid}`);
}

/** Atomically replaces `dir/name` with `data` (temp → fsync → rename → fsync dir). */
export async function writeFileAtomic(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(dir, name);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

/** Moves an already written temp file into place atomically (fsync file → rename → fsync dir). */
export async function commitTempFile(tmpPath: string, dir: string, name: string): Promise<void> {
  await fsyncFile(tmpPath);
  await rename(tmpPath, join(dir, name));
  await fsyncDir(dir);
}
