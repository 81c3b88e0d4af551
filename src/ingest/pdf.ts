/**
 * PDF: text per page with unpdf (a packaging of Mozilla PDF.js), pages joined by a blank line
 * ("\n\n"), and `Document.pages` recording where each page's text sits, so a chunk knows its page.
 * Each page's text is normalised (LF line endings, NFC) and trimmed; an empty page gets an empty
 * span. Line numbers of chunks refer to lines of this extracted text.
 *
 * Title: the PDF's Info dictionary `/Title` (else XMP dc:title) when non-empty, else the file
 * name. Document properties (author, createdAt, modifiedAt, producer, pages …) become metadata
 * fields: properties.ts.
 * Scanned (image-only) PDFs have no text layer and yield an empty text; no OCR is attempted.
 */
import { BudgetExceededError, InputFormatError } from '../core/errors.js';
import { importPackage } from '../core/import-package.js';
import type { Document, PageSpan } from '../core/types.js';
import { normalizeText } from './encoding.js';
import { pdfProperties, type DocProperties } from './properties.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, DecompressionBudget, inflateCapped } from './zip.js';

/** Separator placed between the texts of consecutive pages. */
export const PAGE_SEPARATOR = '\n\n';

/**
 * @throws InputFormatError "<relPath>: not a readable PDF (…)" (corrupt, encrypted …)
 * @throws BudgetExceededError when its flate streams together inflate past `opts.maxDecompressedBytes`
 */
export async function loadPdf(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Promise<Document> {
  checkFlateBudget(bytes, new DecompressionBudget(opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES, info.relPath));
  const fields = fileFields(bytes, info);
  let pageTexts: string[];
  let props: DocProperties;
  try {
    // unpdf (and PDF.js within it) loads with the first PDF
    const { extractText, getDocumentProxy, getMeta } = await importPackage<typeof import('unpdf')>('unpdf');
    // PDF.js may transfer (detach) the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    try {
      const { text } = await extractText(pdf, { mergePages: false });
      pageTexts = text;
      const meta = await getMeta(pdf);
      props = pdfProperties(meta.info as Record<string, unknown> | undefined, meta.metadata as { get(name: string): unknown } | null, text.length);
    } finally {
      await pdf.destroy();
    }
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new InputFormatError(`${info.relPath}: not a readable PDF (${reason})`, { cause });
  }
  let text = '';
  const pages: PageSpan[] = [];
  pageTexts.forEach((raw, i) => {
    if (i > 0) text += PAGE_SEPARATOR;
    const pageText = normalizeText(raw).trim();
    pages.push({ page: i + 1, start: text.length, end: text.length + pageText.length });
    text += pageText;
  });
  return { ...fields, title: props.title ?? fileName(info.relPath), text, pages, ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}) };
}

/**
 * PDF.js inflates content streams itself, without a cap: inflate every `/FlateDecode` stream here
 * first, under `budget` (output discarded), so a flate bomb is refused after at most the cap.
 * Streams are found by their keywords (`stream` EOL … `endstream`, PDF 1.7 §7.3.8) with the
 * filter named in the dictionary just before; a damaged stream is left to PDF.js to judge
 * (its partial output still counts).
 */
function checkFlateBudget(bytes: Uint8Array, budget: DecompressionBudget): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let at = 0;
  for (;;) {
    const kw = text.indexOf('stream', at);
    if (kw < 0) return;
    at = kw + 6;
    if (text.startsWith('end', kw - 3)) continue; // "endstream"
    let start = kw + 6;
    if (text[start] === '\r') start++;
    if (text[start] === '\n') start++;
    else if (start === kw + 6) continue; // "stream" not followed by an EOL: not the keyword
    const dictStart = Math.max(text.lastIndexOf('obj', kw), kw - 4096, 0);
    const dict = text.slice(dictStart, kw);
    const end = text.indexOf('endstream', start);
    const stop = end < 0 ? text.length : end;
    at = stop;
    if (!/\/FlateDecode\b|\/Fl\b/.test(dict)) continue;
    try {
      inflateCapped(bytes.subarray(start, stop), budget, { partial: true });
    } catch (err) {
      if (err instanceof BudgetExceededError) throw err;
      // corrupt data: PDF.js decides
    }
  }
}
