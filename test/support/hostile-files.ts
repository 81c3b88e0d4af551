/**
 * Pathological inputs of issue #18 item 2 / #16 item 5, made in the test: deeply nested HTML, zip
 * bombs shaped as DOCX/XLSX/HWPX, a PDF whose content stream is a flate bomb, and a truncated PDF.
 * Each is small on disk (≤ ~1.2 MB) and expensive to parse without budgets.
 */
import { constants, createDeflate } from 'node:zlib';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { deflateZeros, makeZip } from './zip-writer.js';

/** `<tag>` nested `depth` times around one word ("<div><div>…deep…</div></div>"). */
export function nestedHtml(depth: number, tag: 'div' | 'table' | 'ul'): string {
  const open = tag === 'table' ? '<table><tr><td>' : tag === 'ul' ? '<ul><li>' : '<div>';
  const close = tag === 'table' ? '</td></tr></table>' : tag === 'ul' ? '</li></ul>' : '</div>';
  return `<!doctype html><html><head><title>nested ${tag} ${depth}</title></head><body>${open.repeat(depth)}deep${close.repeat(depth)}</body></html>`;
}

/** A DOCX-shaped archive whose word/document.xml inflates to `bytes` of spaces inside a valid body. */
export async function docxBomb(bytes: number): Promise<Buffer> {
  const xml = await deflateZeros(bytes, '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>', '</w:t></w:r></w:p></w:body></w:document>');
  return makeZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>' },
    { name: '_rels/.rels', data: '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>' },
    { name: 'word/document.xml', deflated: xml, lieSize: 1000 },
  ]);
}

/** An XLSX-shaped archive whose first sheet inflates to `bytes`. */
export async function xlsxBomb(bytes: number): Promise<Buffer> {
  const sheet = await deflateZeros(bytes, '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>', '</t></is></c></row></sheetData></worksheet>');
  return makeZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: 'xl/workbook.xml', data: '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>' },
    { name: 'xl/_rels/workbook.xml.rels', data: '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>' },
    { name: 'xl/worksheets/sheet1.xml', deflated: sheet },
  ]);
}

/** An HWPX-shaped archive whose section0.xml inflates to `bytes`. */
export async function hwpxBomb(bytes: number): Promise<Buffer> {
  const section = await deflateZeros(bytes, '<?xml version="1.0"?><hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph"><hp:p><hp:run><hp:t>', '</hp:t></hp:run></hp:p></hs:sec>');
  return makeZip([
    { name: 'mimetype', data: 'application/hwp+zip', store: true },
    { name: 'Contents/content.hpf', data: '<?xml version="1.0"?><opf:package xmlns:opf="http://www.idpf.org/2007/opf/"><opf:manifest><opf:item id="section0" href="Contents/section0.xml" media-type="application/xml"/></opf:manifest><opf:spine><opf:itemref idref="section0"/></opf:spine></opf:package>' },
    { name: 'Contents/section0.xml', deflated: section },
  ]);
}

/** zlib (RFC 1950) stream of `bytes` spaces, streamed. */
async function zlibSpaces(bytes: number): Promise<Buffer> {
  const z = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const parts: Buffer[] = [];
  z.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => z.on('end', resolve).on('error', reject));
  const block = Buffer.alloc(1 << 20, 0x20);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!z.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return Buffer.concat(parts);
}

/**
 * A one-page PDF whose page content stream is `/FlateDecode` of `bytes` spaces followed by a text
 * operator (PDF 1.7 §7.3.8, §7.4.4); the xref offsets are exact, so a reader need not repair it.
 */
export async function pdfFlateBomb(bytes: number): Promise<Buffer> {
  const content = await zlibSpaces(bytes);
  const objs: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>'),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`), content, Buffer.from('\nendstream')]),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')];
  const offsets: number[] = [];
  let at = parts[0].length;
  objs.forEach((body, i) => {
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets.push(at);
    parts.push(b);
    at += b.length;
  });
  const xref = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`;
  parts.push(Buffer.from(xref));
  return Buffer.concat(parts);
}

/** A real 3-page PDF (pdf-lib) cut to its first `keep` fraction of bytes. */
export async function truncatedPdf(keep = 0.6): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let p = 1; p <= 3; p++) pdf.addPage([300, 300]).drawText(`Page ${p} of a report that was cut short.`, { x: 20, y: 250, size: 12, font });
  const full = Buffer.from(await pdf.save());
  return full.subarray(0, Math.floor(full.length * keep));
}
