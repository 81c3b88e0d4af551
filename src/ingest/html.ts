/**
 * HTML: the main content as plain text, with headings and links.
 *
 * The page is parsed with linkedom; the main content is picked by Mozilla Readability (the
 * Firefox Reader View algorithm), which drops navigation, banners, footers and other
 * boilerplate. When Readability finds nothing (or `readability: false`), the whole `<body>` is
 * used instead. Text layout follows html-text.ts. Heading levels are those of the source page
 * (Readability renames `<h1>` to `<h2>`; the original level is carried through).
 *
 * Title: `<title>`, else the first `<h1>`, else the file name.
 *
 * Note: `Document.text` is the extracted text, not the markup, so chunk line numbers refer to
 * lines of the extracted text, not of the .html file.
 */
import { createRequire } from 'node:module';
import type { Document } from '../core/types.js';
import { decodeText } from './encoding.js';
import { collapseWhitespace, extractText, type DomNode, type ExtractedText } from './html-text.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';

// Parsers load on first use: linkedom and mammoth take ~0.3–0.4 s to import, which every
// command would otherwise pay at start-up, even those that never read HTML or DOCX.
const require = createRequire(import.meta.url);
const parseHTML: typeof import('linkedom').parseHTML = (...args) => (require('linkedom') as typeof import('linkedom')).parseHTML(...args);
const readability = () => (require('@mozilla/readability') as typeof import('@mozilla/readability')).Readability;

/** Extract title, text, headings and links from an HTML string (see the module comment). */
export function htmlToDocumentParts(
  html: string,
  opts: { readability?: boolean } = {},
): ExtractedText & { title: string | undefined } {
  const { document } = parseHTML(html);
  const titleEl = document.querySelector('head > title') ?? document.querySelector('title');
  const h1 = document.querySelector('h1');
  const title =
    collapseWhitespace((titleEl?.textContent ?? '').normalize('NFC')) ||
    collapseWhitespace((h1?.textContent ?? '').normalize('NFC')) ||
    undefined;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    h.setAttribute('data-openbook-level', h.tagName.slice(1));
  }
  if (opts.readability !== false) {
    // Readability mutates the document it is given: hand it a copy.
    const { document: copy } = parseHTML(document.toString());
    const article = new (readability())(copy as never).parse();
    if (article?.content) {
      const { document: main } = parseHTML(`<!doctype html><html><body>${article.content}</body></html>`);
      const parts = extractText(main.body as unknown as DomNode);
      if (parts.text.trim() !== '') return { ...parts, title };
    }
  }
  const body = (document.body ?? document.documentElement) as unknown as DomNode | null;
  const parts = body ? extractText(body) : { text: '', headings: [], links: [] };
  return { ...parts, title };
}

/**
 * Load an .html/.htm file (UTF-8 or UTF-16; other charsets are rejected by decodeText).
 * @throws InputFormatError for undecodable bytes ("<relPath>: …")
 */
export function loadHtml(bytes: Uint8Array, info: SourceInfo, opts: LoadOptions = {}): Document {
  const { text: html } = decodeText(bytes, info.relPath);
  const parts = htmlToDocumentParts(html, { readability: opts.readability });
  return {
    ...fileFields(bytes, info),
    title: parts.title ?? fileName(info.relPath),
    text: parts.text,
    headings: parts.headings,
    links: parts.links,
  };
}
