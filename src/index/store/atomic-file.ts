/**
 * Durable file replacement, for every on-disk structure of openbook (the sparse index store,
 * the dense vector store, the link graph): a file is written as `name.tmp` ({@link TMP_SUFFIX}),
 * fsynced, and renamed over `name` ({@link writeFileDurable}, or {@link renameDurable} for a
 * temp file another library wrote); then the directory is fsynced with {@link fsyncDir} so the
 * rename itself survives a power loss. A reader therefore sees either the old complete file or
 * the new complete file, never a torn one. Writers hold the index's writer lock, so one fixed
 * temp name per file suffices; leftovers of a crashed writer end in `.tmp` and are removed by
 * the next writer.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { IndexFormatError } from '../../core/errors.js';

/** Suffix of in-flight temporary files; a writer removes leftovers when it opens the index. */
export const TMP_SUFFIX = '.tmp';

/** The temporary path a durable write of `path` goes through: `path + TMP_SUFFIX`. */
export function tempPathOf(path: string): string {
  return path + TMP_SUFFIX;
}

/**
 * Writes `data` to `path` atomically and durably (not fsyncing the directory: call {@link fsyncDir}).
 * On a failed write the temporary file is removed and the error rethrown; `path` is untouched.
 */
export async function writeFileDurable(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathOf(path);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/**
 * Moves an already written temporary file over `path` durably: fsyncs `tmp`, then renames it
 * (not fsyncing the directory: call {@link fsyncDir}). For files written by code that only takes
 * a path (a native index's `save(path)`); write them to `tempPathOf(path)`.
 */
export async function renameDurable(tmp: string, path: string): Promise<void> {
  const fh = await open(tmp, 'r+');
  try {
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

/**
 * Reads a JSON manifest: `null` when the file does not exist, else the parsed value (and the
 * file's size in bytes) after `problemOf` (a description of what is wrong, or null) accepts it.
 * @param rebuildHint what the user should do, appended to the error ("rebuild the index")
 * @throws IndexFormatError naming the file when it is not JSON or `problemOf` rejects it
 */
export async function readJsonManifest<T>(path: string, problemOf: (value: unknown) => string | null, rebuildHint: string): Promise<{ value: T; bytes: number } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new IndexFormatError(`${path} is not valid JSON; ${rebuildHint}`, { cause: err });
  }
  const problem = problemOf(parsed);
  if (problem !== null) throw new IndexFormatError(`${path}: ${problem}`);
  return { value: parsed as T, bytes: Buffer.byteLength(text, 'utf8') };
}
