/**
 * JSONL corpora in the BEIR layout (Thakur et al., "BEIR: A Heterogeneous Benchmark for Zero-shot
 * Evaluation of Information Retrieval Models", NeurIPS 2021 Datasets and Benchmarks): one JSON
 * object per line, `{"_id": "4983", "title": "…", "text": "…", "metadata": {}}`.
 *
 * Per line: id from `_id`, else `id` (required; a non-empty string or a number, kept as its
 * decimal string); body from `text`, else `contents` (required string; the Pyserini JSONL
 * field name); `title` optional string. Blank lines are skipped silently. The file is read as a
 * stream, so corpora larger than memory-sized strings work.
 *
 * A malformed line (bad UTF-8, bad JSON, a missing or mistyped field, an id seen before in the
 * same file) is reported as `"<file>:<line>: what is wrong"`: by default through
 * `onWarning` and skipped; with `strict: true` as an InputFormatError.
 *
 * Each line's Document: `id` = `<relPath>#<line id>` (or the bare line id with `idScope:
 * 'global'`), `meta._id` = the line id (what BEIR qrels name), `source` = the file's relPath, `contentHash` =
 * SHA-256 of the line's bytes (without the line ending), `sizeBytes` = the line's byte length,
 * `mtimeMs` = the file's, `title` = the line's title or "" when it has none, `meta` = the line's
 * other fields, flattened (`ingest/metadata.ts`; BEIR's `metadata: {url}` → `metadata.url`).
 */
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { firstInvalidUtf8, normalizeText } from './encoding.js';
import { flattenMeta, mergeMeta, type DocMeta } from './metadata.js';
import { sha256Hex, type LoadOptions, type SourceInfo } from './source.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Fields that make the document itself; every other field of a line becomes metadata (BEIR's `metadata` object as `metadata.<key>`). */
const CORE_FIELDS = new Set(['_id', 'id', 'title', 'text', 'contents']);

/** Why a parsed JSONL value is not a corpus line, or null when it is one. */
function parseLine(lineBytes: Uint8Array): { value: { id: string; title: string; text: string; meta: DocMeta } } | { problem: string } {
  let s: string;
  try {
    s = utf8.decode(lineBytes);
  } catch {
    return { problem: `invalid UTF-8 at byte ${firstInvalidUtf8(lineBytes)} of the line` };
  }
  let obj: unknown;
  try {
    obj = JSON.parse(s);
  } catch (err) {
    return { problem: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { problem: `expected a JSON object, got ${Array.isArray(obj) ? 'an array' : obj === null ? 'null' : typeof obj}` };
  }
  const o = obj as Record<string, unknown>;
  const idKey = o._id !== undefined ? '_id' : o.id !== undefined ? 'id' : undefined;
  if (idKey === undefined) return { problem: 'missing "_id" (or "id")' };
  const rawId = o[idKey];
  let id: string;
  if (typeof rawId === 'string' && rawId !== '') id = rawId;
  else if (typeof rawId === 'number' && Number.isFinite(rawId)) id = String(rawId);
  else return { problem: `"${idKey}" must be a non-empty string or a number, got ${JSON.stringify(rawId)}` };
  const textKey = o.text !== undefined ? 'text' : o.contents !== undefined ? 'contents' : undefined;
  if (textKey === undefined) return { problem: `missing "text" (or "contents") for id ${id}` };
  const text = o[textKey];
  if (typeof text !== 'string') return { problem: `"${textKey}" must be a string for id ${id}, got ${typeof text}` };
  const title = o.title;
  if (title !== undefined && title !== null && typeof title !== 'string') {
    return { problem: `"title" must be a string for id ${id}, got ${typeof title}` };
  }
  return { value: { id, title: typeof title === 'string' ? title : '', text, meta: flattenMeta(o, CORE_FIELDS) } };
}

/**
 * Documents of a JSONL corpus, one per valid line, in file order.
 *
 * @param chunks the file's bytes, whole or as a stream of pieces
 * @throws InputFormatError `"<file>:<line>: …"` for a malformed line when `opts.strict`
 */
export async function* loadJsonl(
  chunks: Uint8Array | AsyncIterable<Uint8Array>,
  info: SourceInfo,
  opts: LoadOptions = {},
): AsyncGenerator<Document> {
  const seen = new Map<string, number>();
  let lineNo = 0;
  let carry: Uint8Array[] = [];

  function* handle(line: Uint8Array): Generator<Document> {
    lineNo++;
    let bytes = line;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    if (lineNo === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    let blank = true;
    for (let k = 0; k < bytes.length && blank; k++) {
      const b = bytes[k];
      if (b !== 0x20 && b !== 0x09) blank = false;
    }
    if (blank) return;
    const parsed = parseLine(bytes);
    let problem: string | undefined;
    if ('problem' in parsed) problem = parsed.problem;
    else if (seen.has(parsed.value.id)) {
      problem = `duplicate id ${JSON.stringify(parsed.value.id)} (first on line ${seen.get(parsed.value.id)}); line skipped`;
    }
    if (problem !== undefined) {
      const message = `${info.relPath}:${lineNo}: ${problem}`;
      if (opts.strict) throw new InputFormatError(message);
      opts.onWarning?.(message);
      return;
    }
    const v = (parsed as { value: { id: string; title: string; text: string; meta: DocMeta } }).value;
    seen.set(v.id, lineNo);
    const title = normalizeText(v.title).trim();
    const body = normalizeText(v.text);
    const doc: Document = {
      id: opts.idScope === 'global' ? v.id : `${info.relPath}#${v.id}`,
      source: info.relPath,
      title,
      text: body,
      format: 'jsonl',
      contentHash: sha256Hex(bytes),
      sizeBytes: bytes.length,
      mtimeMs: info.mtimeMs,
    };
    doc.meta = mergeMeta({ _id: v.id }, v.meta)!;
    if (opts.prependTitle && title !== '') {
      doc.text = `${title}\n\n${body}`;
      doc.headings = [{ level: 1, text: title, start: 0 }];
    }
    yield doc;
  }

  const source: AsyncIterable<Uint8Array> =
    chunks instanceof Uint8Array
      ? (async function* () {
          yield chunks;
        })()
      : chunks;
  for await (const piece of source) {
    let from = 0;
    for (let nl = piece.indexOf(0x0a); nl !== -1; nl = piece.indexOf(0x0a, from)) {
      const part = piece.subarray(from, nl);
      let line: Uint8Array = part;
      if (carry.length > 0) {
        carry.push(part);
        line = Buffer.concat(carry);
        carry = [];
      }
      yield* handle(line);
      from = nl + 1;
    }
    if (from < piece.length) carry.push(piece.slice(from));
  }
  if (carry.length > 0) yield* handle(carry.length === 1 ? carry[0] : Buffer.concat(carry));
}
