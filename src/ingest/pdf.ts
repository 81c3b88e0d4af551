/**
 * PDF: text per page with unpdf (a packaging of Mozilla PDF.js), pages joined by a blank line
 * ("\n\n"), and `Document.pages` recording where each page's text sits, so a chunk knows its page.
 * Each page's text is normalised (LF line endings, NFC) and trimmed; an empty page gets an empty
 * span. Line numbers of chunks refer to lines of this extracted text.
 *
 * Title: the PDF's Info dictionary `/Title` when non-empty, else the file name.
 * Scanned (image-only) PDFs have no text layer and yield an empty text; no OCR is attempted.
 */
import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import { InputFormatError } from '../core/errors.js';
import type { Document, PageSpan } from '../core/types.js';
import { normalizeText } from './encoding.js';
import { fileFields, fileName, type SourceInfo } from './source.js';

/** Separator placed between the texts of consecutive pages. */
export const PAGE_SEPARATOR = '\n\n';

/** @throws InputFormatError "<relPath>: not a readable PDF (…)" (corrupt, encrypted …) */
export async function loadPdf(bytes: Uint8Array, info: SourceInfo): Promise<Document> {
  const fields = fileFields(bytes, info);
  let pageTexts: string[];
  let metaTitle: string | undefined;
  try {
    // PDF.js may transfer (detach) the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    try {
      const { text } = await extractText(pdf, { mergePages: false });
      pageTexts = text;
      const meta = await getMeta(pdf);
      const t = meta.info?.Title;
      if (typeof t === 'string' && t.trim() !== '') metaTitle = t.trim().normalize('NFC');
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
  return { ...fields, title: metaTitle ?? fileName(info.relPath), text, pages };
}
