/**
 * HWPX (Hancom Office 2010+, KS X 6101 "OWPML": a zip of XML parts): the sections listed in
 * `Contents/content.hpf` (an OPF package: manifest + spine; `Contents/section0.xml`,
 * `section1.xml`, … by number when there is no usable spine), and in each section every
 * paragraph `<hp:p>` whose text runs `<hp:t>` hold text. Paragraphs inside table cells and text
 * boxes (`hp:subList` under a paragraph) are paragraphs of their own, in document order;
 * `<hp:tab/>` is a tab and `<hp:lineBreak/>` a line break. Each non-empty paragraph is a
 * `paragraph` unit numbered from 1 through the whole document, so hits and citations say `¶ n`
 * (HWPX has no lines). Title: the package's `<opf:title>`, else the file name; the package's
 * other metadata (`<opf:meta name="creator">`, CreatedDate, ModifiedDate, lastsaveby …) become
 * the fields author, createdAt, modifiedAt, lastModifiedBy … (properties.ts).
 *
 * Read with the size-capped zip reader (zip.ts) and a streaming XML reader: a zip of XML needs
 * no more. (`@ssabrojs/hwpxjs` reads HWPX too, but unzips without a cap.)
 */
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { hwpxProperties, type DocProperties } from './properties.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { readXml, resolvePart, UnitTextBuilder } from './units.js';
import { openZip, type ZipArchive } from './zip.js';

/** The section parts in reading order. */
export function hwpxSections(zip: ZipArchive, relPath: string): { sections: string[]; title: string | undefined; props: DocProperties } {
  const byNumber = zip.entries
    .map((e) => ({ name: e.name, m: /^Contents\/section(\d+)\.xml$/i.exec(e.name) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((x) => x.name);
  let props: DocProperties = { meta: {} };
  const hpf = zip.entry('Contents/content.hpf');
  const spine: string[] = [];
  if (hpf) {
    const manifest = new Map<string, string>();
    const refs: string[] = [];
    const hpfText = zip.readText('Contents/content.hpf');
    readXml(hpfText, {
      open(tag, a) {
        if (tag === 'item' && a.id && a.href) manifest.set(a.id, resolvePart('', a.href));
        else if (tag === 'itemref' && a.idref) refs.push(a.idref);
      },
    });
    props = hwpxProperties(hpfText);
    for (const id of refs) {
      const href = manifest.get(id);
      // hrefs are relative to the package root in Hancom's files ("Contents/section0.xml")
      const part = href && (zip.entry(href) ? href : zip.entry(`Contents/${href}`) ? `Contents/${href}` : undefined);
      if (part && /section\d+\.xml$/i.test(part)) spine.push(part);
    }
  }
  const sections = spine.length > 0 ? spine : byNumber;
  if (sections.length === 0) throw new InputFormatError(`${relPath}: not an HWPX document (no Contents/section*.xml)`);
  return { sections, title: props.title, props };
}

/** The paragraphs of one section part, in document order (a cell's paragraphs before the rest of the paragraph that holds the table). */
export function hwpxParagraphs(xml: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  let inT = 0;
  readXml(xml, {
    open(tag) {
      if (tag === 'p') stack.push('');
      else if (tag === 't') inT++;
      else if (stack.length > 0 && inT > 0 && tag === 'tab') stack[stack.length - 1] += '\t';
      else if (stack.length > 0 && inT > 0 && tag === 'lineBreak') stack[stack.length - 1] += '\n';
    },
    text(s) {
      if (inT > 0 && stack.length > 0) stack[stack.length - 1] += s;
    },
    close(tag) {
      if (tag === 't') inT = Math.max(0, inT - 1);
      else if (tag === 'p') {
        const s = (stack.pop() ?? '').trim();
        if (s !== '') out.push(s);
      }
    },
  });
  return out;
}

/**
 * Lays out paragraphs as text, a blank line apart, each a `paragraph` unit numbered from 1.
 * Shared by the HWPX, HWP (and DOCX-like) loaders.
 */
export function paragraphDocument(paragraphs: Iterable<string>): Pick<Document, 'text' | 'units'> {
  const b = new UnitTextBuilder();
  let n = 0;
  for (const p of paragraphs) {
    const s = p.replace(/[ \t]*\n[ \t]*/g, '\n');
    if (s.trim() === '') continue;
    b.add(s, '\n\n', { kind: 'paragraph', n: ++n });
  }
  return { text: b.text, units: b.units };
}

/**
 * Load an .hwpx file (see the module comment).
 * @throws InputFormatError when it is not a zip or has no sections; BudgetExceededError past
 *   `opts.maxDecompressedBytes`
 */
export function loadHwpx(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Document {
  const zip = openZip(bytes, { relPath: info.relPath, maxBytes: opts.maxDecompressedBytes });
  const { sections, title, props } = hwpxSections(zip, info.relPath);
  const paragraphs: string[] = [];
  for (const s of sections) paragraphs.push(...hwpxParagraphs(zip.readText(s)));
  return {
    ...fileFields(bytes, info),
    title: title ?? fileName(info.relPath),
    ...paragraphDocument(paragraphs),
    ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}),
  };
}
