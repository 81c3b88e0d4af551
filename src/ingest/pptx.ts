/**
 * PPTX (PowerPoint 2007+, PresentationML in a zip, ECMA-376 Part 1 §19): each slide, in the
 * order of the presentation's slide list (`<p:sldIdLst>`), is one `slide` unit numbered from 1 as
 * PowerPoint numbers them; no chunk spans two slides. A slide's title placeholder becomes its
 * heading; the other text (shapes, tables, grouped shapes) follows one paragraph a line; the
 * speaker notes come after a blank line as "Notes: …" (slide-number and date placeholders are
 * left out). Hits and citations carry `locator: { kind: 'slide', … }`.
 *
 * Read with the size-capped zip reader (zip.ts) and a streaming XML reader rather than
 * officeparser, which unzips without a cap and returns one string without slide boundaries.
 * Title: the core-properties title, else the first slide's title, else the file name. The core
 * and extended properties (author, createdAt, modifiedAt, slides …) are metadata fields
 * (properties.ts).
 */
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { readRels, relId, readXml, relsPathOf, UnitTextBuilder } from './units.js';
import { ooxmlProperties } from './properties.js';
import { openZip, type ZipArchive } from './zip.js';

const SKIPPED_PLACEHOLDERS = new Set(['sldNum', 'dt', 'ftr', 'hdr', 'sldImg']);

/** A slide's (or notes page's) text: title paragraphs and the other paragraphs, in order. */
export function readSlideText(xml: string): { title: string[]; body: string[] } {
  const title: string[] = [];
  const body: string[] = [];
  let shape: { ph: string | undefined; paras: string[] } | null = null;
  let para: string | null = null;
  let inT = false;
  readXml(xml, {
    open(tag, a) {
      if (tag === 'sp') shape = { ph: undefined, paras: [] };
      else if (tag === 'ph' && shape) shape.ph = a.type ?? 'body';
      else if (tag === 'p') para = '';
      else if (tag === 't') inT = true;
      else if ((tag === 'br' || tag === 'tab') && para !== null) para += tag === 'br' ? '\n' : '\t';
    },
    text(t) {
      if (inT && para !== null) para += t;
    },
    close(tag) {
      if (tag === 't') inT = false;
      else if (tag === 'p' && para !== null) {
        const s = para.trim();
        if (s !== '') (shape ? shape.paras : body).push(s);
        para = null;
      } else if (tag === 'sp' && shape) {
        const ph = shape.ph;
        if (ph === 'title' || ph === 'ctrTitle') title.push(...shape.paras);
        else if (ph === undefined || !SKIPPED_PLACEHOLDERS.has(ph)) body.push(...shape.paras);
        shape = null;
      }
    },
  });
  return { title, body };
}

/** Slide parts in presentation order, each with its notes part when it has one. */
export function slideParts(zip: ZipArchive, relPath: string): { slide: string; notes?: string }[] {
  if (!zip.entry('ppt/presentation.xml')) throw new InputFormatError(`${relPath}: not a PPTX presentation (no ppt/presentation.xml)`);
  const relText = (part: string) => (zip.entry(relsPathOf(part)) ? zip.readText(relsPathOf(part)) : undefined);
  const rels = readRels(relText('ppt/presentation.xml'), 'ppt/presentation.xml');
  const out: { slide: string; notes?: string }[] = [];
  readXml(zip.readText('ppt/presentation.xml'), {
    open(tag, a) {
      if (tag !== 'sldId') return;
      const id = relId(a);
      const slide = id ? rels.get(id)?.target : undefined;
      if (!slide || !zip.entry(slide)) return;
      const notes = [...readRels(relText(slide), slide).values()].find((r) => r.type.endsWith('/notesSlide'))?.target;
      out.push(notes && zip.entry(notes) ? { slide, notes } : { slide });
    },
  });
  return out;
}

/**
 * Load a .pptx file (see the module comment).
 * @throws InputFormatError when it is not a zip or has no presentation part; BudgetExceededError
 *   past `opts.maxDecompressedBytes`
 */
export function loadPptx(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Document {
  const zip = openZip(bytes, { relPath: info.relPath, maxBytes: opts.maxDecompressedBytes });
  const props = ooxmlProperties(zip);
  const b = new UnitTextBuilder();
  let firstTitle: string | undefined;
  slideParts(zip, info.relPath).forEach((p, i) => {
    const { title, body } = readSlideText(zip.readText(p.slide));
    const notes = p.notes ? readSlideText(zip.readText(p.notes)).body : [];
    b.beginUnit({ kind: 'slide', n: i + 1 }, '\n\n');
    if (title.length > 0) {
      const t = title.join(' ').replace(/\s+/g, ' ');
      firstTitle ??= t;
      b.addToUnit(t, '\n', 1);
    }
    for (const para of body) b.addToUnit(para, '\n');
    if (notes.length > 0) b.addToUnit(`Notes: ${notes.join('\n')}`, '\n\n');
    b.endUnit();
  });
  return {
    ...fileFields(bytes, info),
    title: props.title ?? firstTitle ?? fileName(info.relPath),
    text: b.text,
    units: b.units,
    headings: b.headings,
    ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}),
  };
}
