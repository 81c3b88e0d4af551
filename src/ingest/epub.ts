/**
 * EPUB 2 and 3 (a zip: `META-INF/container.xml` names the OPF package; its `<spine>` lists the
 * content documents in reading order): each spine item's XHTML is laid out as text by the HTML
 * extractor (html.ts, whole body, no Readability), with its headings, and becomes one `chapter`
 * unit numbered from 1 in spine order (items with no text are skipped and not counted); no chunk
 * spans two chapters, and hits and citations say `chapter n`. Items marked `linear="no"` come
 * after the linear ones, as reading systems show them. Title: the package's `<dc:title>`, else
 * the file name; dc:creator, dc:date, dc:language … become the fields author, createdAt,
 * language … (properties.ts). Read with the size-capped zip reader (zip.ts) rather than `epub2`, which
 * unzips without a cap.
 */
import { InputFormatError } from '../core/errors.js';
import type { Document, Heading, Link, UnitSpan } from '../core/types.js';
import { htmlToDocumentParts } from './html.js';
import { epubProperties, type DocProperties } from './properties.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { readXml, resolvePart } from './units.js';
import { openZip, type ZipArchive } from './zip.js';

/** The package path, title and spine (content-document paths in reading order). */
export function epubSpine(zip: ZipArchive, relPath: string): { title: string | undefined; spine: string[]; props: DocProperties } {
  if (!zip.entry('META-INF/container.xml')) throw new InputFormatError(`${relPath}: not an EPUB (no META-INF/container.xml)`);
  let opf: string | undefined;
  readXml(zip.readText('META-INF/container.xml'), {
    open(tag, a) {
      if (tag === 'rootfile' && opf === undefined && a['full-path']) opf = resolvePart('', a['full-path']);
    },
  });
  if (!opf || !zip.entry(opf)) throw new InputFormatError(`${relPath}: the EPUB's package document ${opf ?? '(none named)'} is missing`);
  const dir = opf.includes('/') ? opf.slice(0, opf.lastIndexOf('/') + 1) : '';
  const manifest = new Map<string, string>();
  const linear: string[] = [];
  const nonLinear: string[] = [];
  let inTitle = false;
  let title = '';
  let titleDone = false;
  const opfText = zip.readText(opf);
  readXml(opfText, {
    open(tag, a) {
      if (tag === 'item' && a.id && a.href) manifest.set(a.id, resolvePart(dir, decodeURI(a.href)));
      else if (tag === 'itemref' && a.idref) (a.linear === 'no' ? nonLinear : linear).push(a.idref);
      else if (tag === 'title' && !titleDone) inTitle = true;
    },
    text: (t) => void (inTitle && (title += t)),
    close(tag) {
      if (tag === 'title' && inTitle) {
        inTitle = false;
        titleDone = true;
      }
    },
  });
  const spine = [...linear, ...nonLinear].map((id) => manifest.get(id)).filter((p): p is string => p !== undefined && zip.entry(p) !== undefined);
  return { title: title.replace(/\s+/g, ' ').trim().normalize('NFC') || undefined, spine, props: epubProperties(opfText) };
}

/**
 * Load an .epub file (see the module comment).
 * @throws InputFormatError when it is not a zip or not an EPUB package; BudgetExceededError past
 *   `opts.maxDecompressedBytes`
 */
export function loadEpub(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Document {
  const zip = openZip(bytes, { relPath: info.relPath, maxBytes: opts.maxDecompressedBytes });
  const { title, spine, props } = epubSpine(zip, info.relPath);
  let text = '';
  const units: UnitSpan[] = [];
  const headings: Heading[] = [];
  const links: Link[] = [];
  for (const part of spine) {
    const parts = htmlToDocumentParts(zip.readText(part), { readability: false });
    const body = parts.text.trim();
    if (body === '') continue;
    if (text.length > 0) text += '\n\n';
    const start = text.length;
    const lead = parts.text.length - parts.text.trimStart().length;
    text += body;
    units.push({ kind: 'chapter', n: units.length + 1, start, end: text.length });
    for (const h of parts.headings) headings.push({ ...h, start: start + h.start - lead });
    links.push(...parts.links);
  }
  return {
    ...fileFields(bytes, info),
    title: title ?? fileName(info.relPath),
    text,
    units,
    headings,
    links,
    ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}),
  };
}
