/** Plain text: decoded and normalised (see encoding.ts); title is the file name; field `encoding` says how it was read. */
import type { Document } from '../core/types.js';
import { decodeText } from './encoding.js';
import { encodingMeta } from './properties.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';

/** @throws InputFormatError for binary or undecodable bytes ("<relPath>: …") */
export function loadTxt(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'encoding'> = {}): Document {
  const { text, encoding } = decodeText(bytes, info.relPath, { ...(opts.encoding ? { encoding: opts.encoding } : {}) });
  return { ...fileFields(bytes, info), title: fileName(info.relPath), text, meta: encodingMeta(encoding) };
}
