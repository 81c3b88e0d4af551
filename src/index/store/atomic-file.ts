/**
 * Durable file replacement: every index file is written through {@link writeFileDurable}
 * (write `name.tmp` → fsync → rename over `name`), and the directory is fsynced with
 * {@link fsyncDir} so the rename itself survives a power loss. A reader therefore sees either the
 * old complete file or the new complete file, never a torn one.
 */
import { open, rename } from 'node:fs/promises';

/** Suffix of in-flight temporary files; a writer removes leftovers when it opens the index. */
export const TMP_SUFFIX = '.tmp';

/** Writes `data` to `path` atomically and durably (not fsyncing the directory: call {@link fsyncDir}). */
export async function writeFileDurable(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = path + TMP_SUFFIX;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** fsyncs a directory so that file creations, renames and deletions in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
