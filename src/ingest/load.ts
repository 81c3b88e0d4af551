/**
 * Loading: a walked file (or bytes from elsewhere) → `Document`s, dispatched by format to one
 * module per format (txt.ts, markdown.ts, html.ts, pdf.ts, docx.ts, jsonl.ts, csv.ts (CSV and
 * TSV), xlsx.ts, pptx.ts, hwpx.ts, hwp.ts, epub.ts).
 *
 * Every failure to read or understand a file surfaces as an `InputFormatError` whose message
 * starts with the file's relPath (`"docs/a.pdf: not a readable PDF (…)"`), so the caller can
 * turn it into one warning line and a skip count and carry on with the next file.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InputFormatError, OpenbookError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { loadCsv } from './csv.js';
import { loadDocx } from './docx.js';
import { loadEpub } from './epub.js';
import { loadHwp } from './hwp.js';
import { loadHwpx } from './hwpx.js';
import { loadHtml } from './html.js';
import { loadJsonl } from './jsonl.js';
import { loadMarkdown } from './markdown.js';
import { detectLang, mergeMeta, metaDateKeys, META_VERSION, readSidecar, userMetaHash, type DocMeta } from './metadata.js';
import { loadPdf } from './pdf.js';
import type { LoadOptions, SourceInfo } from './source.js';
import { loadPptx } from './pptx.js';
import { loadTxt } from './txt.js';
import { loadXlsx } from './xlsx.js';

/**
 * Documents of one file: one for txt/md/html/pdf/docx, one per valid line for JSONL.
 *
 * @param entry a `WalkEntry` (or anything with absPath, relPath, format, mtimeMs)
 * @throws InputFormatError `"<relPath>: <reason>"` when the file cannot be read or parsed, and
 *   `"<relPath>:<line>: <reason>"` for a malformed JSONL line under `strict`
 */
export async function* loadFile(entry: SourceInfo & { absPath: string }, opts: LoadOptions = {}): AsyncGenerator<Document> {
  const sidecar = readSidecar(entry.absPath);
  if (entry.format === 'jsonl') {
    const stream = createReadStream(entry.absPath);
    try {
      yield* withMetadata(guard(entry, loadJsonl(stream as AsyncIterable<Uint8Array>, entry, opts)), opts, sidecar);
    } finally {
      stream.destroy();
    }
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(entry.absPath);
  } catch (cause) {
    throw new InputFormatError(`${entry.relPath}: ${errnoReason(cause)}`, { cause });
  }
  yield* withMetadata(guard(entry, loadParsed(bytes, entry, opts)), opts, sidecar);
}

/**
 * Documents from bytes already in memory (an upload, a test); same rules as `loadFile`.
 * @throws InputFormatError as for loadFile
 */
export async function* loadBytes(bytes: Uint8Array, info: SourceInfo, opts: LoadOptions = {}): AsyncGenerator<Document> {
  yield* withMetadata(guard(info, loadParsed(bytes, info, opts)), opts, undefined);
}

/**
 * Completes each document's metadata (ingest/metadata.ts): the detected `lang`, then the
 * format's own fields, then the run's `--meta` tags, then the sidecar file, later layers winning;
 * stamps it with `META_VERSION`.
 */
async function* withMetadata(inner: AsyncGenerator<Document>, opts: LoadOptions, sidecar: DocMeta | undefined): AsyncGenerator<Document> {
  const userHash = userMetaHash(opts.meta, sidecar);
  for await (const doc of inner) {
    const meta = mergeMeta({ lang: detectLang(doc.text) }, doc.meta, opts.meta, sidecar);
    if (meta) doc.meta = meta;
    const dates = metaDateKeys(meta);
    if (dates.length > 0) doc.metaDates = dates;
    else delete doc.metaDates;
    if (userHash) doc.userMetaHash = userHash;
    doc.metaVersion = META_VERSION;
    yield doc;
  }
}

async function* loadParsed(bytes: Uint8Array, info: SourceInfo, opts: LoadOptions): AsyncGenerator<Document> {
  switch (info.format) {
    case 'txt':
      yield loadTxt(bytes, info, opts);
      return;
    case 'md':
      yield loadMarkdown(bytes, info, opts);
      return;
    case 'html':
      yield loadHtml(bytes, info, opts);
      return;
    case 'pdf':
      yield await loadPdf(bytes, info, opts);
      return;
    case 'docx':
      yield await loadDocx(bytes, info, opts);
      return;
    case 'jsonl':
      yield* loadJsonl(bytes, info, opts);
      return;
    case 'csv':
    case 'tsv':
      yield loadCsv(bytes, info, opts);
      return;
    case 'xlsx':
      yield loadXlsx(bytes, info, opts);
      return;
    case 'pptx':
      yield loadPptx(bytes, info, opts);
      return;
    case 'hwpx':
      yield loadHwpx(bytes, info, opts);
      return;
    case 'hwp':
      yield loadHwp(bytes, info, opts);
      return;
    case 'epub':
      yield loadEpub(bytes, info, opts);
      return;
    default: {
      const never: never = info.format;
      throw new InputFormatError(`${info.relPath}: unsupported format ${String(never)}`);
    }
  }
}

/** Re-raise anything that is not already one of ours as an InputFormatError naming the file. */
async function* guard(info: SourceInfo, inner: AsyncGenerator<Document>): AsyncGenerator<Document> {
  try {
    yield* inner;
  } catch (cause) {
    if (cause instanceof OpenbookError) throw cause;
    throw new InputFormatError(`${info.relPath}: ${errnoReason(cause)}`, { cause });
  }
}

/**
 * "cannot read (ENOENT: no such file or directory)" for file-system errors (the code and its
 * description, without the absolute path Node appends), else the error's message.
 */
export function errnoReason(err: unknown): string {
  const d = errnoDescription(err);
  if (d !== null) return `cannot read (${d})`;
  return err instanceof Error ? err.message : String(err);
}

/** "EACCES: permission denied" for a Node file-system error (no syscall, no path), else null. */
export function errnoDescription(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e.code !== 'string' || typeof e.syscall !== 'string' || typeof e.message !== 'string') return null;
  return e.message.replace(/, \w+(?: '.*')?$/s, '');
}
