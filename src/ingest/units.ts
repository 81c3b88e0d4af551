/**
 * Shared helpers of the loaders for formats without lines of their own (XLSX, PPTX, HWPX, HWP,
 * EPUB): a builder that lays out `Document.text` piece by piece while recording the `UnitSpan`s
 * (paragraphs, slides, rows, chapters) and headings, and a streaming XML reader (htmlparser2 in
 * XML mode: no DOM, so a large sheet or section costs its text, not a tree of it).
 */
import { createRequire } from 'node:module';
import type { Heading, UnitSpan } from '../core/types.js';

/** Text layout with unit and heading spans; every piece is NFC with `\n` line ends. */
// The XML parser loads when an Office/EPUB/HWPX part is first read, not with the library.
const require = createRequire(import.meta.url);

export class UnitTextBuilder {
  text = '';
  readonly units: UnitSpan[] = [];
  readonly headings: Heading[] = [];

  /**
   * Appends `piece` after `sep` (omitted at the very start), as unit `unit` when given and as a
   * heading of `headingLevel` when given. Empty (whitespace-only) pieces are dropped.
   * @returns the piece's offset in the text, or −1 when it was empty and nothing was added
   */
  add(piece: string, sep: string, unit?: Omit<UnitSpan, 'start' | 'end'>, headingLevel?: number): number {
    const s = piece.replace(/\r\n?/g, '\n').normalize('NFC').trim();
    if (s === '') return -1;
    if (this.text.length > 0) this.text += sep;
    const start = this.text.length;
    this.text += s;
    if (unit) this.units.push({ ...unit, start, end: this.text.length });
    if (headingLevel !== undefined) this.headings.push({ level: headingLevel, text: s.replace(/\s+/g, ' '), start });
    return start;
  }

  /** Starts a unit spanning everything added until `endUnit`. */
  beginUnit(unit: Omit<UnitSpan, 'start' | 'end'>, sep: string): void {
    this.openUnit = { ...unit, start: -1, end: -1 };
    this.openSep = sep;
  }

  /** Adds `piece` inside the unit begun last (the first piece puts down the separator). */
  addToUnit(piece: string, sep: string, headingLevel?: number): number {
    const u = this.openUnit;
    if (!u) return this.add(piece, sep, undefined, headingLevel);
    const start = this.add(piece, u.start === -1 ? this.openSep : sep, undefined, headingLevel);
    if (start >= 0 && u.start === -1) u.start = start;
    return start;
  }

  /** Ends the open unit; a unit that received no text is dropped. */
  endUnit(): void {
    const u = this.openUnit;
    this.openUnit = undefined;
    if (u && u.start !== -1) this.units.push({ ...u, end: this.text.length });
  }

  private openUnit: UnitSpan | undefined;
  private openSep = '\n\n';
}

/** Element handlers for `readXml`; names are local names (namespace prefix dropped). */
export interface XmlHandlers {
  open?(name: string, attrs: Record<string, string>): void;
  text?(text: string): void;
  close?(name: string): void;
}

/** The local part of a qualified name: "hp:t" → "t". */
export const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

/** Streams `xml` through the handlers (entities decoded). Malformed XML is read as far as it goes. */
export function readXml(xml: string, h: XmlHandlers): void {
  const { Parser } = require('htmlparser2') as typeof import('htmlparser2');
  const p = new Parser(
    {
      onopentag: (name, attrs) => h.open?.(localName(name), attrs),
      ontext: (t) => h.text?.(t),
      onclosetag: (name) => h.close?.(localName(name)),
    },
    { xmlMode: true, decodeEntities: true },
  );
  p.write(xml);
  p.end();
}

/** Attribute `name` by local name (`r:id` and `id` both match "id" when `local` is set). */
export function attr(attrs: Record<string, string>, name: string): string | undefined {
  if (name in attrs) return attrs[name];
  for (const k of Object.keys(attrs)) if (localName(k) === name) return attrs[k];
  return undefined;
}

/** The relationship id of an element (`r:id`, whatever the prefix), not a plain `id`. */
export function relId(attrs: Record<string, string>): string | undefined {
  for (const k of Object.keys(attrs)) if (k.includes(':') && localName(k) === 'id') return attrs[k];
  return undefined;
}

/** Relationship id → target path, resolved against the folder of the part that owns the .rels. */
export function readRels(xml: string | undefined, partPath: string): Map<string, { target: string; type: string }> {
  const out = new Map<string, { target: string; type: string }>();
  if (xml === undefined) return out;
  const dir = partPath.includes('/') ? partPath.slice(0, partPath.lastIndexOf('/') + 1) : '';
  readXml(xml, {
    open(name, a) {
      if (name !== 'Relationship' || !a.Id || !a.Target || a.TargetMode === 'External') return;
      out.set(a.Id, { target: resolvePart(dir, a.Target), type: a.Type ?? '' });
    },
  });
  return out;
}

/** "ppt/slides/" + "../notesSlides/n1.xml" → "ppt/notesSlides/n1.xml"; "/xl/a.xml" → "xl/a.xml". */
export function resolvePart(dir: string, target: string): string {
  const parts = (target.startsWith('/') ? target.slice(1) : dir + target).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out.join('/');
}

/** The .rels part of `partPath`: "ppt/slides/slide1.xml" → "ppt/slides/_rels/slide1.xml.rels". */
export function relsPathOf(partPath: string): string {
  const i = partPath.lastIndexOf('/');
  return `${partPath.slice(0, i + 1)}_rels/${partPath.slice(i + 1)}.rels`;
}
