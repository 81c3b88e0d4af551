/**
 * DOCX (Word 2007+): converted to HTML by mammoth, which maps the paragraph styles
 * "Heading 1" … "Heading 6" (and "Title") to `<h1>` … `<h6>`, then laid out as text by
 * html-text.ts, so headings carry their levels and offsets. Hyperlinks are kept as links.
 *
 * Title: the core-properties title (docProps/core.xml), else the first heading (a "Title" or
 * "Heading 1" paragraph at the top of most documents), else the file name. The core and
 * extended properties (author, createdAt, modifiedAt, lastModifiedBy, pages …) become metadata
 * fields (properties.ts); they are read from the size-capped zip, not through mammoth.
 */
import { createRequire } from 'node:module';
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { extractText, type DomNode } from './html-text.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { ooxmlProperties } from './properties.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, openZip, type ZipArchive } from './zip.js';

// Parsers load on first use: linkedom and mammoth take ~0.3–0.4 s to import, which every
// command would otherwise pay at start-up, even those that never read HTML or DOCX.
const require = createRequire(import.meta.url);
const parseHTML: typeof import('linkedom').parseHTML = (...args) => (require('linkedom') as typeof import('linkedom')).parseHTML(...args);
const mammoth = () => require('mammoth') as typeof import('mammoth');

/**
 * @throws InputFormatError "<relPath>: not a readable DOCX file (…)"
 * @throws BudgetExceededError when its XML parts decompress to more than `opts.maxDecompressedBytes`
 */
export async function loadDocx(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Promise<Document> {
  const zip = checkZipBudget(bytes, info, opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  const props = zip ? ooxmlProperties(zip) : { meta: {} };
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
    title: props.title ?? parts.headings[0]?.text ?? fileName(info.relPath),
    text: parts.text,
    headings: parts.headings,
    links: parts.links,
    units: parts.blocks.map((b, i) => ({ kind: 'paragraph' as const, n: i + 1, start: b.start, end: b.end })),
    ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}),
  };
}

/**
 * mammoth inflates the archive itself, without a cap: inflate its XML parts here first, under the
 * cap (zip.ts), so a zip bomb is refused after at most `maxBytes` of output. Not a zip at all is
 * left to mammoth's own message.
 */
function checkZipBudget(bytes: Uint8Array, info: SourceInfo, maxBytes: number): ZipArchive | undefined {
  let zip;
  try {
    zip = openZip(bytes, { relPath: info.relPath, maxBytes });
  } catch {
    return undefined;
  }
  for (const e of zip.entries) if (/\.(xml|rels)$/i.test(e.name)) zip.read(e.name);
  return zip;
}
