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
import { crc32 } from 'node:zlib';
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
 * CRC-32 of a manifest's content: of `JSON.stringify` (compact, key order as written) of every
 * field but `checksum`. It covers the values, not the layout, so re-indenting is not an edit.
 */
export function manifestChecksum(value: object): number {
  const { checksum: _omit, ...rest } = value as Record<string, unknown>;
  return crc32(Buffer.from(JSON.stringify(rest), 'utf8'));
}

/**
 * The text of a manifest with its own checksum as the last field, `"checksum": <CRC-32>` (as
 * Lucene's segments_N ends in a CRC footer): {@link readJsonManifest} refuses an edited one.
 */
export function manifestText(value: object): string {
  const { checksum: _omit, ...rest } = value as Record<string, unknown>;
  return JSON.stringify({ ...rest, checksum: manifestChecksum(rest) }, null, 2) + '\n';
}

/**
 * Reads a JSON manifest: `null` when the file does not exist, else the parsed value (and the
 * file's size in bytes) after `problemOf` (a description of what is wrong, or null) and then its
 * `checksum` field (when present; manifests written before it are read as they are and get one
 * on their next commit) accept it.
 * @param rebuildHint what the user should do, appended to the error ("rebuild the index")
 * @throws IndexFormatError naming the file when it cannot be read, is not JSON, fails its
 *   checksum, or `problemOf` rejects it
 */
export async function readJsonManifest<T>(path: string, problemOf: (value: unknown) => string | null, rebuildHint: string): Promise<{ value: T; bytes: number } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw new IndexFormatError(`${path} cannot be read (${e.code ?? 'error'}: ${e.message.replace(/^[A-Z]+: /, '')}); nothing was deleted`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new IndexFormatError(`${path} is not valid JSON; ${rebuildHint}`, { cause: err });
  }
  // The shape first (a newer formatVersion says so, whatever its checksum), then the checksum.
  const problem = problemOf(parsed);
  if (problem !== null) throw new IndexFormatError(`${path}: ${problem}`);
  if (typeof parsed === 'object' && parsed !== null && 'checksum' in parsed) {
    const stored = (parsed as { checksum: unknown }).checksum;
    if (stored !== manifestChecksum(parsed)) throw new IndexFormatError(`${path} fails its checksum (edited or corrupt); ${rebuildHint}`);
    delete (parsed as { checksum?: unknown }).checksum;
  }
  return { value: parsed as T, bytes: Buffer.byteLength(text, 'utf8') };
}
