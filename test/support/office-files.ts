/**
 * Real sample files of the office formats, built in memory for tests: XLSX, PPTX, HWPX and EPUB
 * as zips of the parts their specifications name (ECMA-376, KS X 6101/OWPML, EPUB 3), HWP 5.0 as
 * an OLE compound file written with `cfb` holding raw-deflated record streams (the layout of
 * Hancom's "한글 문서 파일 형식 5.0"), and CP949 bytes for Korean CSV.
 */
import { createRequire } from 'node:module';
import { deflateRawSync } from 'node:zlib';
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { makeZip } from './zip-writer.js';

const require = createRequire(import.meta.url);
const CFB = require('cfb') as typeof import('cfb');

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

function rels(list: { id: string; type: string; target: string }[]): string {
  return `${XML}<Relationships xmlns="${PKG_REL}">${list.map((r) => `<Relationship Id="${r.id}" Type="${REL}/${r.type}" Target="${r.target}"/>`).join('')}</Relationships>`;
}

/** Office document properties (docProps/core.xml and docProps/app.xml, ECMA-376 Part 2 §11). */
export interface OfficeProps {
  title?: string;
  author?: string;
  lastModifiedBy?: string;
  /** W3CDTF, as Office writes it: "2024-01-15T09:30:00Z". */
  created?: string;
  modified?: string;
  subject?: string;
  keywords?: string;
  language?: string;
  application?: string;
  pages?: number;
  slides?: number;
}

const asProps = (p: string | OfficeProps | undefined): OfficeProps => (typeof p === 'string' ? { title: p } : (p ?? {}));

function core(props: string | OfficeProps | undefined): string {
  const p = asProps(props);
  const el = (tag: string, v: string | undefined, attrs = '') => (v === undefined ? '' : `<${tag}${attrs}>${esc(v)}</${tag}>`);
  const w3c = ' xsi:type="dcterms:W3CDTF"';
  return `${XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${el('dc:title', p.title)}${el('dc:subject', p.subject)}${el('dc:creator', p.author)}${el('cp:keywords', p.keywords)}${el('dc:language', p.language)}${el('cp:lastModifiedBy', p.lastModifiedBy)}${el('dcterms:created', p.created, w3c)}${el('dcterms:modified', p.modified, w3c)}</cp:coreProperties>`;
}

function app(props: string | OfficeProps | undefined): { name: string; data: string }[] {
  const p = asProps(props);
  if (p.application === undefined && p.pages === undefined && p.slides === undefined) return [];
  const el = (tag: string, v: string | number | undefined) => (v === undefined ? '' : `<${tag}>${esc(String(v))}</${tag}>`);
  return [{ name: 'docProps/app.xml', data: `${XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">${el('Application', p.application)}${el('Pages', p.pages)}${el('Slides', p.slides)}</Properties>` }];
}

/** Column letters for 0-based i (A … Z, AA …). */
const col = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : col(Math.floor(i / 26) - 1) + col(i % 26));

/**
 * An XLSX workbook: sheets of rows (row 1 first); strings go to the shared-string table,
 * numbers are written as numbers, `null` leaves a cell out. `startRow` shifts a sheet down.
 */
export function makeXlsx(sheets: { name: string; rows: (string | number | boolean | null)[][]; startRow?: number }[], title?: string | OfficeProps): Buffer {
  const strings: string[] = [];
  const sid = (s: string) => {
    let i = strings.indexOf(s);
    if (i < 0) i = strings.push(s) - 1;
    return i;
  };
  const sheetXml = sheets.map((sh) => {
    const rows = sh.rows
      .map((cells, ri) => {
        const r = ri + (sh.startRow ?? 1);
        const cs = cells
          .map((v, ci) => {
            const ref = `${col(ci)}${r}`;
            if (v === null) return '';
            if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
            if (typeof v === 'boolean') return `<c r="${ref}" t="b"><v>${v ? 1 : 0}</v></c>`;
            return `<c r="${ref}" t="s"><v>${sid(v)}</v></c>`;
          })
          .join('');
        return `<row r="${r}">${cs}</row>`;
      })
      .join('');
    return `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;
  });
  const sst = `${XML}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${esc(s)}</t></si>`).join('')}</sst>`;
  return makeZip([
    { name: '[Content_Types].xml', data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>` },
    { name: '_rels/.rels', data: rels([{ id: 'rId1', type: 'officeDocument', target: 'xl/workbook.xml' }]) },
    { name: 'docProps/core.xml', data: core(title) },
    ...app(title),
    {
      name: 'xl/workbook.xml',
      data: `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${REL}"><sheets>${sheets.map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`,
    },
    { name: 'xl/_rels/workbook.xml.rels', data: rels(sheets.map((_, i) => ({ id: `rId${i + 1}`, type: 'worksheet', target: `worksheets/sheet${i + 1}.xml` }))) },
    { name: 'xl/sharedStrings.xml', data: sst },
    ...sheetXml.map((data, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data })),
  ]);
}

const A = 'http://schemas.openxmlformats.org/drawingml/2006/main';
const P = 'http://schemas.openxmlformats.org/presentationml/2006/main';

function shape(ph: string | undefined, paras: string[]): string {
  const nv = `<p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>${ph ? `<p:ph type="${ph}"/>` : ''}</p:nvPr></p:nvSpPr>`;
  return `<p:sp>${nv}<p:txBody><a:bodyPr/>${paras.map((t) => `<a:p><a:r><a:t>${esc(t)}</a:t></a:r></a:p>`).join('')}</p:txBody></p:sp>`;
}

/**
 * A PPTX deck. Slides are listed in `order` (default 1..n) in presentation.xml, so a test can
 * check that reading order follows the slide list, not the part names.
 */
export function makePptx(slides: { title?: string; body: string[]; notes?: string[] }[], opts: { order?: number[]; title?: string; props?: OfficeProps } = {}): Buffer {
  const order = opts.order ?? slides.map((_, i) => i + 1);
  const members = [
    { name: '[Content_Types].xml', data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>` },
    { name: '_rels/.rels', data: rels([{ id: 'rId1', type: 'officeDocument', target: 'ppt/presentation.xml' }]) },
    { name: 'docProps/core.xml', data: core({ ...opts.props, ...(opts.title !== undefined ? { title: opts.title } : {}) }) },
    ...app(opts.props),
    {
      name: 'ppt/presentation.xml',
      data: `${XML}<p:presentation xmlns:a="${A}" xmlns:r="${REL}" xmlns:p="${P}"><p:sldIdLst>${order.map((n, i) => `<p:sldId id="${256 + i}" r:id="rId${n + 10}"/>`).join('')}</p:sldIdLst></p:presentation>`,
    },
    { name: 'ppt/_rels/presentation.xml.rels', data: rels(slides.map((_, i) => ({ id: `rId${i + 11}`, type: 'slide', target: `slides/slide${i + 1}.xml` }))) },
  ];
  slides.forEach((s, i) => {
    const n = i + 1;
    const tree = `${s.title ? shape('title', [s.title]) : ''}${shape(undefined, s.body)}${shape('sldNum', [String(n)])}`;
    members.push({ name: `ppt/slides/slide${n}.xml`, data: `${XML}<p:sld xmlns:a="${A}" xmlns:r="${REL}" xmlns:p="${P}"><p:cSld><p:spTree>${tree}</p:spTree></p:cSld></p:sld>` });
    if (s.notes) {
      members.push({ name: `ppt/slides/_rels/slide${n}.xml.rels`, data: rels([{ id: 'rId1', type: 'notesSlide', target: `../notesSlides/notesSlide${n}.xml` }]) });
      const notesTree = `${shape('sldImg', [])}${shape('body', s.notes)}${shape('sldNum', [String(n)])}`;
      members.push({ name: `ppt/notesSlides/notesSlide${n}.xml`, data: `${XML}<p:notes xmlns:a="${A}" xmlns:r="${REL}" xmlns:p="${P}"><p:cSld><p:spTree>${notesTree}</p:spTree></p:cSld></p:notes>` });
    }
  });
  return makeZip(members);
}

const HP = 'http://www.hancom.co.kr/hwpml/2011/paragraph';
const HS = 'http://www.hancom.co.kr/hwpml/2011/section';

/** One OWPML paragraph; a string array is a table row of cells, each holding one paragraph. */
function owpmlPara(p: string | string[]): string {
  if (typeof p === 'string') {
    const runs = p.split('\t').map((t) => `<hp:t>${esc(t)}</hp:t>`).join('<hp:t><hp:tab/></hp:t>');
    return `<hp:p id="0" paraPrIDRef="0" styleIDRef="0"><hp:run charPrIDRef="0">${runs}</hp:run></hp:p>`;
  }
  const cells = p.map((c) => `<hp:tc><hp:subList>${owpmlPara(c)}</hp:subList></hp:tc>`).join('');
  return `<hp:p id="0"><hp:run charPrIDRef="0"><hp:tbl rowCnt="1" colCnt="${p.length}"><hp:tr>${cells}</hp:tr></hp:tbl></hp:run></hp:p>`;
}

/** HWPX package metadata as Hancom writes it in Contents/content.hpf. */
export interface HwpxProps {
  title?: string;
  language?: string;
  creator?: string;
  lastsaveby?: string;
  /** "2024-01-15T09:30:00Z" */
  CreatedDate?: string;
  ModifiedDate?: string;
  subject?: string;
  description?: string;
  keyword?: string;
}

/** An HWPX document: sections of paragraphs (a string[] paragraph is a one-row table). */
export function makeHwpx(sections: (string | string[])[][], titleOrProps?: string | HwpxProps): Buffer {
  const p: HwpxProps = typeof titleOrProps === 'string' ? { title: titleOrProps } : (titleOrProps ?? {});
  const title = p.title;
  const metas = (['creator', 'subject', 'description', 'lastsaveby', 'CreatedDate', 'ModifiedDate', 'keyword'] as const)
    .filter((k) => p[k] !== undefined)
    .map((k) => `<opf:meta name="${k}" content="text">${esc(p[k]!)}</opf:meta>`)
    .join('');
  const items = sections.map((_, i) => `<opf:item id="section${i}" href="Contents/section${i}.xml" media-type="application/xml"/>`).join('');
  const spine = sections.map((_, i) => `<opf:itemref idref="section${i}"/>`).join('');
  const hpf = `${XML}<opf:package xmlns:opf="http://www.idpf.org/2007/opf/" version="" unique-identifier="" id=""><opf:metadata>${title ? `<opf:title>${esc(title)}</opf:title>` : '<opf:title/>'}${p.language ? `<opf:language>${esc(p.language)}</opf:language>` : ''}${metas}</opf:metadata><opf:manifest><opf:item id="header" href="Contents/header.xml" media-type="application/xml"/>${items}</opf:manifest><opf:spine><opf:itemref idref="header" linear="yes"/>${spine}</opf:spine></opf:package>`;
  return makeZip([
    { name: 'mimetype', data: 'application/hwp+zip', store: true },
    { name: 'version.xml', data: `${XML}<hv:HCFVersion xmlns:hv="http://www.hancom.co.kr/hwpml/2011/version" major="5" minor="1"/>` },
    { name: 'META-INF/container.xml', data: `${XML}<ocf:container xmlns:ocf="urn:oasis:names:tc:opendocument:xmlns:container"><ocf:rootfiles><ocf:rootfile full-path="Contents/content.hpf" media-type="application/hwpml-package+xml"/></ocf:rootfiles></ocf:container>` },
    { name: 'Contents/content.hpf', data: hpf },
    { name: 'Contents/header.xml', data: `${XML}<hh:head xmlns:hh="http://www.hancom.co.kr/hwpml/2011/head" version="1.4" secCnt="${sections.length}"/>` },
    ...sections.map((paras, i) => ({ name: `Contents/section${i}.xml`, data: `${XML}<hs:sec xmlns:hs="${HS}" xmlns:hp="${HP}">${paras.map(owpmlPara).join('')}</hs:sec>` })),
  ]);
}

/** An HWP record: header word (tag, level, size; size ≥ 0xFFF as an extra word) and payload. */
export function hwpRecord(tag: number, level: number, payload: Uint8Array): Buffer {
  const big = payload.length >= 0xfff;
  const h = Buffer.alloc(big ? 8 : 4);
  h.writeUInt32LE((((big ? 0xfff : payload.length) << 20) | (level << 10) | tag) >>> 0, 0);
  if (big) h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** PARA_TEXT payload: UTF-16LE of the text, `\t` as the 8-unit tab control, ending with 13. */
export function paraTextPayload(text: string, opts: { extendedControl?: boolean } = {}): Buffer {
  const units: number[] = [];
  // an extended control (a table/picture anchor: code 11 plus 7 units of id and parameters)
  if (opts.extendedControl) units.push(11, 0x6274, 0x206c, 0, 0, 0, 0, 11);
  for (const ch of text) {
    if (ch === '\t') units.push(9, 0, 0, 0, 0, 0, 0, 9);
    else units.push(ch.charCodeAt(0));
  }
  units.push(13);
  const b = Buffer.alloc(units.length * 2);
  units.forEach((u, i) => b.writeUInt16LE(u, i * 2));
  return b;
}

/**
 * An HWP 5.0 file: FileHeader (signature, version 5.0.3.0, flags), an empty DocInfo and one
 * BodyText/Section stream per section of paragraphs, each paragraph a PARA_HEADER (66) then a
 * PARA_TEXT (67) record; raw-deflated unless `compressed: false`. `flags` ORs extra header bits.
 */
export function makeHwp(sections: string[][], opts: { compressed?: boolean; flags?: number; extendedControlInFirst?: boolean; summary?: HwpSummary } = {}): Buffer {
  const compressed = opts.compressed ?? true;
  const header = Buffer.alloc(256);
  header.write('HWP Document File', 0, 'latin1');
  header.writeUInt32LE(0x05000300, 32);
  header.writeUInt32LE((compressed ? 1 : 0) | (opts.flags ?? 0), 36);
  const cfb = CFB.utils.cfb_new();
  CFB.utils.cfb_add(cfb, '/FileHeader', header);
  CFB.utils.cfb_add(cfb, '/DocInfo', compressed ? deflateRawSync(Buffer.alloc(0)) : Buffer.alloc(0));
  if (opts.summary) CFB.utils.cfb_add(cfb, '/\u0005HwpSummaryInformation', hwpSummaryStream(opts.summary));
  sections.forEach((paras, s) => {
    const records = paras.flatMap((t, i) => [hwpRecord(66, 0, Buffer.alloc(22)), hwpRecord(67, 1, paraTextPayload(t, { extendedControl: opts.extendedControlInFirst && i === 0 }))]);
    const stream = Buffer.concat(records);
    CFB.utils.cfb_add(cfb, `/BodyText/Section${s}`, compressed ? deflateRawSync(stream) : stream);
  });
  return Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

/** The summary properties of an HWP file (the \x05HwpSummaryInformation property set). */
export interface HwpSummary {
  title?: string;
  subject?: string;
  author?: string;
  keywords?: string;
  comments?: string;
  lastAuthor?: string;
  created?: Date;
  lastSaved?: Date;
  pageCount?: number;
}

/**
 * An OLE property set stream (MS-OLEPS §2.21) with one section (HWP's FMTID
 * {9FA2B660-1061-11D4-B4C6-006097C09D8C}): strings as VT_LPWSTR, dates as VT_FILETIME, the page
 * count as VT_I4, under the PIDSI ids Hancom uses (title 2, subject 3, author 4, keywords 5,
 * comments 6, last author 8, created 12, last saved 13, page count 14).
 */
export function hwpSummaryStream(s: HwpSummary): Buffer {
  const props: { id: number; value: Buffer }[] = [];
  const lpwstr = (text: string) => {
    const chars = Buffer.from(`${text}\0`, 'utf16le');
    const b = Buffer.alloc(8 + Math.ceil(chars.length / 4) * 4);
    b.writeUInt32LE(0x1f, 0);
    b.writeUInt32LE(chars.length / 2, 4);
    chars.copy(b, 8);
    return b;
  };
  const filetime = (d: Date) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(0x40, 0);
    b.writeBigUInt64LE(BigInt(d.getTime()) * 10000n + 116444736000000000n, 4);
    return b;
  };
  const i4 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(0x03, 0);
    b.writeInt32LE(n, 4);
    return b;
  };
  const strings: [number, string | undefined][] = [[2, s.title], [3, s.subject], [4, s.author], [5, s.keywords], [6, s.comments], [8, s.lastAuthor]];
  for (const [id, v] of strings) if (v !== undefined) props.push({ id, value: lpwstr(v) });
  if (s.created) props.push({ id: 12, value: filetime(s.created) });
  if (s.lastSaved) props.push({ id: 13, value: filetime(s.lastSaved) });
  if (s.pageCount !== undefined) props.push({ id: 14, value: i4(s.pageCount) });
  const tableSize = 8 + props.length * 8;
  let at = tableSize;
  const table = Buffer.alloc(tableSize);
  table.writeUInt32LE(props.length, 4);
  props.forEach((p, i) => {
    table.writeUInt32LE(p.id, 8 + i * 8);
    table.writeUInt32LE(at, 12 + i * 8);
    at += p.value.length;
  });
  table.writeUInt32LE(at, 0);
  const header = Buffer.alloc(48);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt32LE(1, 24);
  Buffer.from('60B6A29F6110D411B4C6006097C09D8C', 'hex').copy(header, 28);
  header.writeUInt32LE(48, 44);
  return Buffer.concat([header, table, ...props.map((p) => p.value)]);
}

/** A DOCX with plain paragraphs and the given document properties (core.xml, app.xml). */
export function makeDocx(paragraphs: string[], props?: OfficeProps): Buffer {
  const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
  const body = paragraphs.map((t) => `<w:p><w:r><w:t xml:space="preserve">${esc(t)}</w:t></w:r></w:p>`).join('');
  return makeZip([
    {
      name: '[Content_Types].xml',
      data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    },
    { name: '_rels/.rels', data: rels([{ id: 'rId1', type: 'officeDocument', target: 'word/document.xml' }]) },
    { name: 'docProps/core.xml', data: core(props) },
    ...app(props),
    { name: 'word/document.xml', data: `${XML}<w:document xmlns:w="${W}"><w:body>${body}</w:body></w:document>` },
  ]);
}

/** An EPUB 3: chapters of XHTML bodies, spine in `order` (default as given). */
export function makeEpub(chapters: { file: string; body: string }[], opts: { title?: string; order?: string[]; creator?: string; date?: string; language?: string; publisher?: string; modified?: string } = {}): Buffer {
  const order = opts.order ?? chapters.map((c) => c.file);
  const id = (f: string) => f.replace(/\W/g, '_');
  const opf = `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">x</dc:identifier>${opts.title ? `<dc:title>${esc(opts.title)}</dc:title>` : ''}${opts.creator ? `<dc:creator>${esc(opts.creator)}</dc:creator>` : ''}${opts.date ? `<dc:date>${esc(opts.date)}</dc:date>` : ''}${opts.language ? `<dc:language>${esc(opts.language)}</dc:language>` : ''}${opts.publisher ? `<dc:publisher>${esc(opts.publisher)}</dc:publisher>` : ''}${opts.modified ? `<meta property="dcterms:modified">${esc(opts.modified)}</meta>` : ''}</metadata><manifest>${chapters.map((c) => `<item id="${id(c.file)}" href="${c.file}" media-type="application/xhtml+xml"/>`).join('')}</manifest><spine>${order.map((f) => `<itemref idref="${id(f)}"/>`).join('')}</spine></package>`;
  return makeZip([
    { name: 'mimetype', data: 'application/epub+zip', store: true },
    { name: 'META-INF/container.xml', data: `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>` },
    { name: 'OEBPS/content.opf', data: opf },
    ...chapters.map((c) => ({ name: `OEBPS/${c.file}`, data: `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>${esc(c.file)}</title></head><body>${c.body}</body></html>` })),
  ]);
}

let cp949Table: Map<string, number[]> | undefined;

/** CP949 bytes of `text` (ASCII and the 2-byte range), by inverting Node's euc-kr decoder. */
export function encodeCp949(text: string): Buffer {
  if (!cp949Table) {
    cp949Table = new Map();
    const dec = new TextDecoder('euc-kr');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x41; trail <= 0xfe; trail++) {
        const ch = dec.decode(Uint8Array.of(lead, trail));
        if (ch.length === 1 && ch !== '\ufffd' && !cp949Table.has(ch)) cp949Table.set(ch, [lead, trail]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (c < 0x80) out.push(c);
    else {
      const b = cp949Table.get(ch);
      if (!b) throw new Error(`no CP949 code for ${ch}`);
      out.push(...b);
    }
  }
  return Buffer.from(out);
}

/** PDF document properties as the Info dictionary holds them; `xmp` adds an XMP metadata stream. */
export interface PdfProps {
  title?: string;
  author?: string;
  subject?: string;
  keywords?: string[];
  producer?: string;
  creator?: string;
  created?: Date;
  modified?: Date;
  /** An XMP packet (RDF/XML) attached as the catalog's /Metadata stream, UTF-8. */
  xmp?: string;
}

/** A PDF (pdf-lib) of one page per text (Latin text, Helvetica) with the given properties and nothing else in its Info dictionary. */
export async function makePdf(pages: string[], props: PdfProps = {}): Promise<Buffer> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const text of pages) pdf.addPage([400, 300]).drawText(text, { x: 20, y: 250, size: 11, font });
  if (props.title !== undefined) pdf.setTitle(props.title);
  if (props.author !== undefined) pdf.setAuthor(props.author);
  if (props.subject !== undefined) pdf.setSubject(props.subject);
  if (props.keywords !== undefined) pdf.setKeywords(props.keywords);
  if (props.producer !== undefined) pdf.setProducer(props.producer);
  if (props.creator !== undefined) pdf.setCreator(props.creator);
  if (props.created !== undefined) pdf.setCreationDate(props.created);
  if (props.modified !== undefined) pdf.setModificationDate(props.modified);
  if (props.xmp !== undefined) {
    const stream = pdf.context.stream(new TextEncoder().encode(props.xmp), { Type: 'Metadata', Subtype: 'XML' });
    pdf.catalog.set(PDFName.of('Metadata'), pdf.context.register(stream));
  }
  return Buffer.from(await pdf.save());
}
