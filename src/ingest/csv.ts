/**
 * CSV and TSV: one line of text per record, each value under its header's name
 * ("Name: Widget; Price: 1200"), so a hit on a row says what its numbers are; citations give the
 * record's lines in the file (`Document.sourceLines`), including records whose quoted fields run
 * over several lines.
 *
 * Parsing is RFC 4180 (double-quoted fields, `""` for a quote, newlines inside quotes), written
 * here rather than taken from csv-parse or papaparse because the loader needs, in the same pass,
 * the file line where each record starts and ends, which those give only per chunk of input.
 *
 * - Encoding: UTF-8 (BOM or not) or UTF-16 with a BOM, as `decodeText`; bytes that are not valid
 *   UTF-8 are decoded as CP949 (windows-949, the superset of EUC-KR that Excel writes for Korean
 *   CSV; WHATWG's "euc-kr" decoder), strictly: a file valid in neither is refused, naming both.
 * - Delimiter: a `.tsv` file is tab-separated; for `.csv` the delimiter is sniffed among `,` `\t`
 *   `;` `|` over the first 20 lines: the candidate that splits every sampled line into the same
 *   number (> 1) of fields, most fields first; else the one with the most fields on the first line.
 * - Header: the first record. A value whose column has no header is named by its column letter
 *   (A, B, …, AA); empty values are left out; a record with no values is skipped.
 */
import { InputFormatError } from '../core/errors.js';
import type { Document, LineAnchor } from '../core/types.js';
import { decodeText, normalizeText } from './encoding.js';
import { encodingMeta } from './properties.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';

/** A parsed record: its fields and the 1-based file lines it starts and ends on. */
export interface CsvRecord {
  fields: string[];
  startLine: number;
  endLine: number;
}

/** Text of CSV/TSV bytes and the encoding it was read in. */
export function decodeCsv(bytes: Uint8Array, relPath: string, forced?: string): { text: string; encoding: string } {
  if (forced !== undefined) return decodeText(bytes, relPath, { encoding: forced });
  try {
    const d = decodeText(bytes, relPath);
    return { text: d.text, encoding: d.encoding };
  } catch (err) {
    if (!(err instanceof InputFormatError) || !/invalid UTF-8/.test(err.message)) throw err;
    try {
      return { text: normalizeText(new TextDecoder('euc-kr', { fatal: true }).decode(bytes)), encoding: 'cp949' };
    } catch {
      throw new InputFormatError(`${relPath}: neither UTF-8 nor CP949/EUC-KR text (${err.message.slice(relPath.length + 2)}); save it as UTF-8`, { cause: err });
    }
  }
}

const CANDIDATES = [',', '\t', ';', '|'] as const;

/** The delimiter of `text` (see the module comment). */
export function sniffDelimiter(text: string): string {
  const lines = text.split('\n', 21).slice(0, 20).filter((l) => l.trim() !== '');
  let best: { d: string; n: number } | undefined;
  for (const d of CANDIDATES) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    if (counts.length > 0 && counts[0] > 0 && counts.every((c) => c === counts[0]) && (!best || counts[0] > best.n)) best = { d, n: counts[0] };
  }
  if (best) return best.d;
  let first: { d: string; n: number } = { d: ',', n: 0 };
  for (const d of CANDIDATES) {
    const n = lines.length > 0 ? countOutsideQuotes(lines[0], d) : 0;
    if (n > first.n) first = { d, n };
  }
  return first.d;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === d && !inQuotes) n++;
  }
  return n;
}

/** RFC 4180 records of `text` (LF line ends) with their file lines. An unclosed quote runs to the end. */
export function parseCsv(text: string, delimiter: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let startLine = 1;
  let inQuotes = false;
  let any = false; // the current record has a character
  const endRecord = () => {
    fields.push(field);
    if (any) out.push({ fields, startLine, endLine: line });
    fields = [];
    field = '';
    any = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '\n') {
      endRecord();
      line++;
      startLine = line;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      any = true;
    } else if (ch === '"' && field === '') {
      inQuotes = true;
      any = true;
    } else {
      field += ch;
      any = true;
    }
  }
  if (any || field !== '') {
    any = true;
    endRecord();
  }
  return out;
}

/** A, B, …, Z, AA, AB, … for 0-based column `i`. */
export function columnLetter(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** "Header: value; Header2: value2" of one record (empty values left out). */
export function labelledRow(headers: readonly string[], values: readonly string[]): string {
  const parts: string[] = [];
  values.forEach((raw, i) => {
    const v = raw.replace(/\s+/g, ' ').trim();
    if (v === '') return;
    const h = (headers[i] ?? '').replace(/\s+/g, ' ').trim() || columnLetter(i);
    parts.push(`${h}: ${v}`);
  });
  return parts.join('; ');
}

/**
 * Load a .csv or .tsv file (see the module comment).
 * @throws InputFormatError when the bytes are neither UTF-8/UTF-16 nor CP949
 */
export function loadCsv(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'encoding'> = {}): Document {
  const { text: raw, encoding } = decodeCsv(bytes, info.relPath, opts.encoding);
  const delimiter = info.format === 'tsv' ? '\t' : sniffDelimiter(raw);
  const records = parseCsv(raw, delimiter);
  const headers = records[0]?.fields ?? [];
  let text = '';
  const sourceLines: LineAnchor[] = [];
  for (const r of records.slice(1)) {
    const row = labelledRow(headers, r.fields);
    if (row === '') continue;
    if (text.length > 0) text += '\n';
    sourceLines.push({ start: text.length, line: r.startLine });
    text += row;
    if (r.endLine > r.startLine) sourceLines.push({ start: text.length - 1, line: r.endLine });
  }
  return {
    ...fileFields(bytes, info),
    title: fileName(info.relPath),
    text,
    sourceLines,
    meta: encodingMeta(encoding),
  };
}
