/**
 * Real sample files of the office formats, built in memory for tests: XLSX, PPTX, HWPX and EPUB
 * as zips of the parts their specifications name (ECMA-376, KS X 6101/OWPML, EPUB 3), HWP 5.0 as
 * an OLE compound file written with `cfb` holding raw-deflated record streams (the layout of
 * Hancom's "한글 문서 파일 형식 5.0"), and CP949 bytes for Korean CSV.
 */
import { createRequire } from 'node:module';
import { deflateRawSync } from 'node:zlib';
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

function core(title: string | undefined): string {
  return `${XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">${title ? `<dc:title>${esc(title)}</dc:title>` : ''}</cp:coreProperties>`;
}

/** Column letters for 0-based i (A … Z, AA …). */
const col = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : col(Math.floor(i / 26) - 1) + col(i % 26));

/**
 * An XLSX workbook: sheets of rows (row 1 first); strings go to the shared-string table,
 * numbers are written as numbers, `null` leaves a cell out. `startRow` shifts a sheet down.
 */
export function makeXlsx(sheets: { name: string; rows: (string | number | boolean | null)[][]; startRow?: number }[], title?: string): Buffer {
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
export function makePptx(slides: { title?: string; body: string[]; notes?: string[] }[], opts: { order?: number[]; title?: string } = {}): Buffer {
  const order = opts.order ?? slides.map((_, i) => i + 1);
  const members = [
    { name: '[Content_Types].xml', data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>` },
    { name: '_rels/.rels', data: rels([{ id: 'rId1', type: 'officeDocument', target: 'ppt/presentation.xml' }]) },
    { name: 'docProps/core.xml', data: core(opts.title) },
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

/** An HWPX document: sections of paragraphs (a string[] paragraph is a one-row table). */
export function makeHwpx(sections: (string | string[])[][], title?: string): Buffer {
  const items = sections.map((_, i) => `<opf:item id="section${i}" href="Contents/section${i}.xml" media-type="application/xml"/>`).join('');
  const spine = sections.map((_, i) => `<opf:itemref idref="section${i}"/>`).join('');
  const hpf = `${XML}<opf:package xmlns:opf="http://www.idpf.org/2007/opf/" version="" unique-identifier="" id=""><opf:metadata>${title ? `<opf:title>${esc(title)}</opf:title>` : '<opf:title/>'}</opf:metadata><opf:manifest><opf:item id="header" href="Contents/header.xml" media-type="application/xml"/>${items}</opf:manifest><opf:spine><opf:itemref idref="header" linear="yes"/>${spine}</opf:spine></opf:package>`;
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
export function makeHwp(sections: string[][], opts: { compressed?: boolean; flags?: number; extendedControlInFirst?: boolean } = {}): Buffer {
  const compressed = opts.compressed ?? true;
  const header = Buffer.alloc(256);
  header.write('HWP Document File', 0, 'latin1');
  header.writeUInt32LE(0x05000300, 32);
  header.writeUInt32LE((compressed ? 1 : 0) | (opts.flags ?? 0), 36);
  const cfb = CFB.utils.cfb_new();
  CFB.utils.cfb_add(cfb, '/FileHeader', header);
  CFB.utils.cfb_add(cfb, '/DocInfo', compressed ? deflateRawSync(Buffer.alloc(0)) : Buffer.alloc(0));
  sections.forEach((paras, s) => {
    const records = paras.flatMap((t, i) => [hwpRecord(66, 0, Buffer.alloc(22)), hwpRecord(67, 1, paraTextPayload(t, { extendedControl: opts.extendedControlInFirst && i === 0 }))]);
    const stream = Buffer.concat(records);
    CFB.utils.cfb_add(cfb, `/BodyText/Section${s}`, compressed ? deflateRawSync(stream) : stream);
  });
  return Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

/** An EPUB 3: chapters of XHTML bodies, spine in `order` (default as given). */
export function makeEpub(chapters: { file: string; body: string }[], opts: { title?: string; order?: string[] } = {}): Buffer {
  const order = opts.order ?? chapters.map((c) => c.file);
  const id = (f: string) => f.replace(/\W/g, '_');
  const opf = `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">x</dc:identifier>${opts.title ? `<dc:title>${esc(opts.title)}</dc:title>` : ''}</metadata><manifest>${chapters.map((c) => `<item id="${id(c.file)}" href="${c.file}" media-type="application/xhtml+xml"/>`).join('')}</manifest><spine>${order.map((f) => `<itemref idref="${id(f)}"/>`).join('')}</spine></package>`;
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
