/**
 * XLSX (Excel 2007+, SpreadsheetML in a zip, ECMA-376 Part 1 §18): every sheet, in workbook
 * order, becomes a section headed by the sheet's name; under it each row is one line with every
 * value named by its column's header ("Name: Widget; Price: 1200"), taken from the sheet's first
 * non-empty row. Each row is a `row` unit with its sheet and spreadsheet row number, so a hit or
 * citation says `Prices!3` (sheet!row) and "what is the price of X" lands on the row that names X.
 *
 * Read with the size-capped zip reader (zip.ts) and a streaming XML reader, not exceljs: exceljs
 * inflates the archive itself, without a cap, and builds a full object model of every cell.
 * Values are the stored ones: shared and inline strings, numbers as written in the file (a date
 * is its serial number; number formats are not applied), booleans TRUE/FALSE, cached formula
 * results. Title: the core-properties title (docProps/core.xml), else the file name; the core and
 * extended properties (author, createdAt, modifiedAt, lastModifiedBy …) are metadata fields
 * (properties.ts).
 */
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { labelledRow } from './csv.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { ooxmlProperties } from './properties.js';
import { readRels, readXml, relId, UnitTextBuilder } from './units.js';
import { openZip, type ZipArchive } from './zip.js';

/** One sheet's rows: 1-based row number → values by 0-based column. */
export interface SheetRows {
  name: string;
  rows: { n: number; values: string[] }[];
}

/** 0-based column of a cell reference: "C7" → 2, "AA1" → 26; undefined when there is none. */
export function columnOf(ref: string | undefined): number | undefined {
  const m = ref ? /^([A-Z]+)/.exec(ref) : null;
  if (!m) return undefined;
  let n = 0;
  for (const ch of m[1]) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** Shared strings (xl/sharedStrings.xml): the text of each `<si>`, phonetic runs left out. */
function sharedStrings(xml: string | undefined): string[] {
  const out: string[] = [];
  if (xml === undefined) return out;
  let cur: string | null = null;
  let inT = false;
  let phonetic = 0;
  readXml(xml, {
    open(name) {
      if (name === 'si') cur = '';
      else if (name === 't') inT = true;
      else if (name === 'rPh') phonetic++;
    },
    text(t) {
      if (inT && phonetic === 0 && cur !== null) cur += t;
    },
    close(name) {
      if (name === 't') inT = false;
      else if (name === 'rPh') phonetic--;
      else if (name === 'si') {
        out.push(cur ?? '');
        cur = null;
      }
    },
  });
  return out;
}

/** Rows of one worksheet part. */
export function readSheet(xml: string, name: string, strings: readonly string[]): SheetRows {
  const rows: SheetRows['rows'] = [];
  let row: { n: number; values: string[] } | null = null;
  let cell: { col: number; type: string; v: string; inV: boolean; inT: boolean } | null = null;
  let nextCol = 0;
  readXml(xml, {
    open(tag, a) {
      if (tag === 'row') {
        const n = Number(a.r);
        row = { n: Number.isInteger(n) && n > 0 ? n : (rows[rows.length - 1]?.n ?? 0) + 1, values: [] };
        nextCol = 0;
      } else if (tag === 'c' && row) {
        const col = columnOf(a.r) ?? nextCol;
        cell = { col, type: a.t ?? 'n', v: '', inV: false, inT: false };
        nextCol = col + 1;
      } else if (cell && tag === 'v') cell.inV = true;
      else if (cell && tag === 't') cell.inT = true;
    },
    text(t) {
      if (cell && (cell.inV || cell.inT)) cell.v += t;
    },
    close(tag) {
      if (tag === 'v' && cell) cell.inV = false;
      else if (tag === 't' && cell) cell.inT = false;
      else if (tag === 'c' && cell && row) {
        let value = cell.v;
        if (cell.type === 's') value = strings[Number(value)] ?? '';
        else if (cell.type === 'b') value = value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : value;
        row.values[cell.col] = value;
        cell = null;
      } else if (tag === 'row' && row) {
        for (let i = 0; i < row.values.length; i++) row.values[i] ??= '';
        if (row.values.some((v) => v.trim() !== '')) rows.push(row);
        row = null;
      }
    },
  });
  return { name, rows };
}

/** Sheets of a workbook in workbook order (ECMA-376 §18.2.19 `<sheets>`). */
export function readWorkbook(zip: ZipArchive, relPath: string): SheetRows[] {
  if (!zip.entry('xl/workbook.xml')) throw new InputFormatError(`${relPath}: not an XLSX workbook (no xl/workbook.xml)`);
  const rels = readRels(zip.entry('xl/_rels/workbook.xml.rels') ? zip.readText('xl/_rels/workbook.xml.rels') : undefined, 'xl/workbook.xml');
  const sheets: { name: string; part: string }[] = [];
  readXml(zip.readText('xl/workbook.xml'), {
    open(tag, a) {
      if (tag !== 'sheet') return;
      const id = relId(a);
      const target = id ? rels.get(id)?.target : undefined;
      if (target && zip.entry(target)) sheets.push({ name: a.name ?? target, part: target });
    },
  });
  const strings = sharedStrings(zip.entry('xl/sharedStrings.xml') ? zip.readText('xl/sharedStrings.xml') : undefined);
  return sheets.map((s) => readSheet(zip.readText(s.part), s.name, strings));
}

/**
 * Load an .xlsx file (see the module comment).
 * @throws InputFormatError when it is not a zip or has no workbook; BudgetExceededError past
 *   `opts.maxDecompressedBytes`
 */
export function loadXlsx(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Document {
  const zip = openZip(bytes, { relPath: info.relPath, maxBytes: opts.maxDecompressedBytes });
  const props = ooxmlProperties(zip);
  const b = new UnitTextBuilder();
  for (const sheet of readWorkbook(zip, info.relPath)) {
    const [header, ...data] = sheet.rows;
    if (!header) continue;
    b.add(sheet.name, '\n\n', undefined, 1);
    for (const r of data) {
      b.add(labelledRow(header.values, r.values), '\n', { kind: 'row', n: r.n, sheet: sheet.name });
    }
  }
  return {
    ...fileFields(bytes, info),
    title: props.title ?? fileName(info.relPath),
    text: b.text,
    units: b.units,
    headings: b.headings,
    ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}),
  };
}

