/**
 * Upload checks: which files a client may send and where they land.
 *
 * A file is accepted when its name, after sanitising, has a supported extension
 * (`ingest/walk.ts` FORMAT_BY_EXTENSION), it is at most `maxFileBytes`, and its first bytes fit
 * the format: `%PDF-` for PDF, a ZIP header `PK\x03\x04` for DOCX, and for the text formats no
 * NUL byte in the first 8 KiB unless the file starts with a UTF-16 byte-order mark. Names keep
 * letters of any script (Hangul included), digits, space, `.`, `_`, `-`, `(`, `)`; anything else
 * becomes `_`; folders in the name are dropped, so a name can never leave the upload folder.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidParameterError } from '../core/errors.js';
import type { DocFormat } from '../core/types.js';
import { formatOf, FORMAT_BY_EXTENSION } from '../ingest/walk.js';
import { existsSync } from 'node:fs';
import { DocumentExistsError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';

/** Upload folder name inside the index folder; document ids of uploads are `uploads/<name>`. */
import { UPLOADS_FOLDER } from '../engine/indexer.js';
export const UPLOAD_DIR = UPLOADS_FOLDER;

/** Files in one upload request, at most. */
export const MAX_FILES_PER_UPLOAD = 100;

export interface UploadedFile {
  /** Sanitised file name (no folders). */
  name: string;
  format: DocFormat;
  bytes: Uint8Array;
}

/**
 * A safe file name from a client-supplied one: last path segment (either slash), NFC, disallowed
 * characters replaced by `_`, at most 120 characters before the extension.
 * @throws InvalidParameterError when nothing usable remains (empty, `.`/`..`, hidden names)
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^\p{L}\p{M}\p{N} ._()-]/gu, '_').trim();
  if (cleaned === '' || cleaned.startsWith('.')) throw new InvalidParameterError(`unusable upload file name ${JSON.stringify(raw)}`);
  const ext = path.extname(cleaned);
  const stem = cleaned.slice(0, cleaned.length - ext.length).slice(0, 120);
  return stem + ext.toLowerCase();
}

/** Checks that the first bytes fit the format; throws UnsupportedMediaTypeError naming the file. */
export function checkMagic(name: string, format: DocFormat, bytes: Uint8Array): void {
  const starts = (sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (format === 'pdf') {
    if (!starts([0x25, 0x50, 0x44, 0x46, 0x2d])) throw new UnsupportedMediaTypeError(`${name}: not a PDF (does not start with %PDF-)`);
    return;
  }
  if (format === 'docx' || format === 'xlsx' || format === 'pptx' || format === 'hwpx' || format === 'epub') {
    if (!starts([0x50, 0x4b, 0x03, 0x04])) throw new UnsupportedMediaTypeError(`${name}: not a ${format.toUpperCase()} (no ZIP header)`);
    return;
  }
  if (format === 'hwp') {
    // OLE compound file signature (MS-CFB §2.2)
    if (!starts([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) throw new UnsupportedMediaTypeError(`${name}: not an HWP 5 file (no OLE compound-file header)`);
    return;
  }
  const utf16 = starts([0xff, 0xfe]) || starts([0xfe, 0xff]);
  if (!utf16 && bytes.subarray(0, 8192).includes(0)) throw new UnsupportedMediaTypeError(`${name}: looks binary (NUL bytes), but a .${format} file must be text`);
}

/** The part of a multipart file we use (the global `File`). */
interface FilePart {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Reads a multipart request (`files` field, one or more parts) and checks every file.
 * @throws UnsupportedMediaTypeError (bad extension or content), PayloadTooLargeError (a file over
 *   `maxFileBytes`), InvalidParameterError (no files, too many, duplicate names)
 */
export async function acceptUploads(req: Request, opts: { maxFileBytes: number }): Promise<UploadedFile[]> {
  let form: FormData;
  try {
    form = await req.formData();
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    throw new InvalidParameterError(`could not read the multipart body: ${(err as Error).message}`);
  }
  const parts = form.getAll('files').filter((p) => typeof p !== 'string') as unknown as FilePart[];
  if (parts.length === 0) throw new InvalidParameterError('no files in the upload; send them as multipart field "files"');
  if (parts.length > MAX_FILES_PER_UPLOAD) throw new InvalidParameterError(`at most ${MAX_FILES_PER_UPLOAD} files per upload, got ${parts.length}`);
  const out: UploadedFile[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    const name = sanitizeFileName(part.name);
    const format = formatOf(name);
    if (format === undefined)
      throw new UnsupportedMediaTypeError(`${name}: unsupported file type; accepted: ${Object.keys(FORMAT_BY_EXTENSION).join(' ')}`);
    if (part.size > opts.maxFileBytes) throw new PayloadTooLargeError(`file ${name}`, opts.maxFileBytes);
    if (seen.has(name)) throw new InvalidParameterError(`file name ${name} appears twice in one upload`);
    seen.add(name);
    const bytes = new Uint8Array(await part.arrayBuffer());
    checkMagic(name, format, bytes);
    out.push({ name, format, bytes });
  }
  return out;
}

/**
 * Refuses files whose name an earlier upload holds in `dir`, unless `replace`: an upload never
 * silently overwrites a document another upload created.
 * @throws DocumentExistsError naming the first taken name
 */
export function checkUploadNames(dir: string, files: UploadedFile[], replace: boolean): void {
  if (replace) return;
  for (const f of files) if (existsSync(path.join(dir, f.name))) throw new DocumentExistsError(f.name, `${UPLOADS_FOLDER}/${f.name}`);
}

/**
 * Writes the files into `dir` (created when absent), each to a temporary name then renamed, so
 * the indexer never reads a half-written file. With `replace`, an existing file of the same name
 * is replaced (a new version of the same document); without it, a name taken meanwhile (by an
 * upload queued earlier) fails the job with DocumentExistsError. Returns the absolute paths.
 */
export async function writeUploads(dir: string, files: UploadedFile[], replace = false): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  checkUploadNames(dir, files, replace);
  const paths: string[] = [];
  for (const f of files) {
    const target = path.join(dir, f.name);
    const tmp = path.join(dir, `.${f.name}.${process.pid}.part`);
    await writeFile(tmp, f.bytes);
    await rename(tmp, target);
    paths.push(target);
  }
  return paths;
}
