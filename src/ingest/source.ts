/**
 * What every loader needs to know about the bytes it reads, and the `Document` fields that
 * follow from it alone (id, source, hash, size, mtime, fallback title).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DocFormat, Document } from '../core/types.js';

/** Where some bytes came from: a `WalkEntry` satisfies this, and so does an upload. */
export interface SourceInfo {
  /** Path relative to the indexing root (POSIX separators); becomes `Document.id` and `source`. */
  relPath: string;
  format: DocFormat;
  /** Modification time, ms since the epoch (0 when unknown). */
  mtimeMs: number;
}

/** Options every loader accepts. */
export interface LoadOptions {
  /** JSONL: throw on the first malformed line instead of skipping it (default false). */
  strict?: boolean;
  /** Receives one line per skipped item: "<file>:<line>: what is wrong". */
  onWarning?: (message: string) => void;
  /**
   * Receives one line per problem that skips nothing (the file is still indexed, e.g. front
   * matter that is not valid YAML); `onWarning` when absent.
   */
  onNote?: (message: string) => void;
  /** HTML: extract the main content with Readability (default true); false keeps the whole body. */
  readability?: boolean;
  /**
   * JSONL: put the title in front of the text as `title + "\n\n" + text`, recorded as a level-1
   * heading (default false: `text` is the body alone and the title only in `Document.title`).
   */
  prependTitle?: boolean;
  /**
   * Zip-based and flate-compressed formats (DOCX, XLSX, PPTX, HWPX, EPUB, PDF streams): cap on the
   * decompressed bytes of one file (default `DEFAULT_MAX_DECOMPRESSED_BYTES`, 256 MiB); past it
   * the file is skipped with a `BudgetExceededError` naming it and the limit. Read archives
   * through `openZip` in zip.ts, which enforces it.
   */
  maxDecompressedBytes?: number;
  /**
   * Metadata put on every document loaded with these options (`index --meta key=value` tags);
   * a document's sidecar file (`<file>.meta.json` / `.meta.yaml`) wins over it (ingest/metadata.ts).
   */
  meta?: Record<string, string | number | boolean | string[]>;
  /**
   * JSONL ids: `'file'` (default) scopes each line's id to its file, `<relPath>#<_id>`, so two
   * files (or a file path and a line) can never share one; `'global'` keeps the bare `_id` (then
   * a collision is the indexer's to refuse). The bare `_id` is kept as metadata field `_id`.
   */
  idScope?: 'file' | 'global';
  /**
   * Text formats (txt, md, html, csv/tsv): a WHATWG encoding label to decode with (`index
   * --encoding euc-kr`) instead of UTF-8/UTF-16 and detection (encoding.ts).
   */
  encoding?: string;
}

/** SHA-256 of `bytes`, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file name of a relPath ("docs/guide.md" → "guide.md"): the title of last resort. */
export function fileName(relPath: string): string {
  return path.posix.basename(relPath);
}

/** The fields of a whole-file document that depend only on its bytes and where they came from. */
export function fileFields(bytes: Uint8Array, info: SourceInfo): Pick<Document, 'id' | 'source' | 'format' | 'contentHash' | 'sizeBytes' | 'mtimeMs'> {
  return {
    id: info.relPath,
    source: info.relPath,
    format: info.format,
    contentHash: sha256Hex(bytes),
    sizeBytes: bytes.length,
    mtimeMs: info.mtimeMs,
  };
}
