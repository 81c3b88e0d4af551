/**
 * DOCX (Word 2007+): converted to HTML by mammoth, which maps the paragraph styles
 * "Heading 1" … "Heading 6" (and "Title") to `<h1>` … `<h6>`, then laid out as text by
 * html-text.ts, so headings carry their levels and offsets. Hyperlinks are kept as links.
 *
 * Title: the first heading (a "Title" or "Heading 1" paragraph at the top of most documents),
 * else the file name. (The core-properties title is not read: mammoth does not expose it.)
 */
import { createRequire } from 'node:module';
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { extractText, type DomNode } from './html-text.js';
import { fileFields, fileName, type SourceInfo } from './source.js';

// Parsers load on first use: linkedom and mammoth take ~0.3–0.4 s to import, which every
// command would otherwise pay at start-up, even those that never read HTML or DOCX.
const require = createRequire(import.meta.url);
const parseHTML: typeof import('linkedom').parseHTML = (...args) => (require('linkedom') as typeof import('linkedom')).parseHTML(...args);
const mammoth = () => require('mammoth') as typeof import('mammoth');

/** @throws InputFormatError "<relPath>: not a readable DOCX file (…)" */
export async function loadDocx(bytes: Uint8Array, info: SourceInfo): Promise<Document> {
  let html: string;
  try {
    const result = await mammoth().convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    html = result.value;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new InputFormatError(`${info.relPath}: not a readable DOCX file (${reason})`, { cause });
  }
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  const parts = extractText(document.body as unknown as DomNode);
  return {
    ...fileFields(bytes, info),
    title: parts.headings[0]?.text ?? fileName(info.relPath),
    text: parts.text,
    headings: parts.headings,
    links: parts.links,
  };
}
