/**
 * HWP 5.0 (Hancom's binary format; "한글 문서 파일 형식 5.0", Hancom, rev. 1.3, 2018): an OLE
 * compound file whose `FileHeader` stream says whether the other streams are compressed, and
 * whose `BodyText/Section0`, `Section1`, … streams are sequences of records — raw-deflated when
 * compressed. Each record has a 32-bit header: tag id (bits 0–9), level (10–19), size (20–31;
 * 0xFFF means the size follows as a 32-bit word). A paragraph's text is the `HWPTAG_PARA_TEXT`
 * record (tag 0x10 + 51 = 67): UTF-16LE where code units below 32 are controls: 0, 10 (line
 * break), 13 (paragraph end) and 24–31 take one unit; the inline (4–9, 19, 20; 9 is a tab) and
 * extended controls (1–3, 11, 12, 14–18, 21–23: tables, pictures, footnotes, fields …) take
 * eight. Paragraphs of table cells and text boxes are records of the same stream, so they come
 * in document order with the rest. Each non-empty paragraph is a `paragraph` unit numbered from
 * 1 (HWP has no lines; citations say `¶ n`), as in HWPX.
 *
 * Which library: the compound file is read with `cfb` (SheetJS; read and write, no native code,
 * the container reader under the `xlsx` package). The records are parsed here, from the
 * specification above: the npm HWP parsers were not fit — `hwp.js` is a 0.0.x release without
 * maintenance and inflates without a cap, and `@ohah/hwpjs` is a release candidate shipping a
 * native binary. Sections inflate through `inflateCapped`, so a deflate bomb stops at
 * `maxDecompressedBytes`. Password-protected and distribution ("배포용") documents, whose
 * streams are encrypted, are refused with a message saying so. Title and properties: the
 * `\x05HwpSummaryInformation` stream (an OLE property set: title, author, createdAt, modifiedAt,
 * lastModifiedBy … — properties.ts), else the file name.
 */
import { createRequire } from 'node:module';
import { BudgetExceededError, InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { paragraphDocument } from './hwpx.js';
import { olePropertySet } from './properties.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';
import { DecompressionBudget, DEFAULT_MAX_DECOMPRESSED_BYTES, inflateCapped } from './zip.js';

const require = createRequire(import.meta.url);
const cfbLib = () => require('cfb') as typeof import('cfb');

/** HWPTAG_BEGIN (0x010) + 51. */
export const HWPTAG_PARA_TEXT = 67;
const SIGNATURE = 'HWP Document File';

/** Code units a control character takes in PARA_TEXT: 1 for char controls, 8 for inline/extended. */
export function controlWidth(code: number): number {
  return code === 0 || code === 10 || code === 13 || (code >= 24 && code <= 31) ? 1 : 8;
}

/** The text of one PARA_TEXT record's payload (controls dropped, tab and line break kept). */
export function paraText(payload: Uint8Array): string {
  const units = Math.floor(payload.length / 2);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let s = '';
  for (let i = 0; i < units; ) {
    const c = dv.getUint16(i * 2, true);
    if (c >= 32) {
      s += String.fromCharCode(c);
      i++;
      continue;
    }
    if (c === 9) s += '\t';
    else if (c === 10) s += '\n';
    else if (c === 24) s += '-';
    else if (c === 30 || c === 31) s += ' ';
    i += controlWidth(c);
  }
  return s;
}

/** Paragraph texts of one (decompressed) section stream, in record order. */
export function sectionParagraphs(stream: Uint8Array): string[] {
  const dv = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const out: string[] = [];
  let p = 0;
  while (p + 4 <= stream.length) {
    const header = dv.getUint32(p, true);
    p += 4;
    const tag = header & 0x3ff;
    let size = header >>> 20;
    if (size === 0xfff) {
      if (p + 4 > stream.length) break;
      size = dv.getUint32(p, true);
      p += 4;
    }
    if (p + size > stream.length) break; // a truncated last record: keep what came before
    if (tag === HWPTAG_PARA_TEXT) out.push(paraText(stream.subarray(p, p + size)));
    p += size;
  }
  return out;
}

/**
 * Load an .hwp file (see the module comment).
 * @throws InputFormatError when it is not an HWP 5 compound file, or is encrypted;
 *   BudgetExceededError when its sections inflate past `opts.maxDecompressedBytes`
 */
export function loadHwp(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'maxDecompressedBytes'> = {}): Document {
  const CFB = cfbLib();
  let container: ReturnType<typeof CFB.read>;
  try {
    container = CFB.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { type: 'buffer' });
  } catch (cause) {
    throw new InputFormatError(`${info.relPath}: not an HWP file (not an OLE compound file: ${(cause as Error).message})`, { cause });
  }
  const header = CFB.find(container, 'FileHeader')?.content;
  const h = header ? Uint8Array.from(header as ArrayLike<number>) : undefined;
  if (!h || h.length < 40 || new TextDecoder('latin1').decode(h.subarray(0, SIGNATURE.length)) !== SIGNATURE) {
    throw new InputFormatError(`${info.relPath}: not an HWP 5 document (no "HWP Document File" header; HWP 3 and older are not read)`);
  }
  const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const flags = hv.getUint32(36, true);
  if (flags & 0b10) throw new InputFormatError(`${info.relPath}: the HWP document is password-protected; save an unprotected copy`);
  if (flags & 0b100) throw new InputFormatError(`${info.relPath}: a distribution (배포용) HWP document, whose text is encrypted; save it as an ordinary document`);
  const compressed = (flags & 1) === 1;
  const sections: { n: number; data: Uint8Array }[] = [];
  container.FullPaths.forEach((full, i) => {
    const m = /\/BodyText\/Section(\d+)$/i.exec(full);
    const content = container.FileIndex[i]?.content;
    if (m && content) sections.push({ n: Number(m[1]), data: Uint8Array.from(content as ArrayLike<number>) });
  });
  if (sections.length === 0) throw new InputFormatError(`${info.relPath}: the HWP document has no BodyText sections`);
  sections.sort((a, b) => a.n - b.n);
  const budget = new DecompressionBudget(opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES, info.relPath);
  const paragraphs: string[] = [];
  for (const s of sections) {
    let stream = s.data;
    if (compressed) {
      try {
        stream = inflateCapped(s.data, budget, { raw: true });
      } catch (err) {
        if (err instanceof BudgetExceededError) throw err;
        throw new InputFormatError(`${info.relPath}: BodyText/Section${s.n} is damaged (${(err as Error).message})`, { cause: err });
      }
    }
    paragraphs.push(...sectionParagraphs(stream));
  }
  const summary = CFB.find(container, '\u0005HwpSummaryInformation')?.content;
  const props = summary ? olePropertySet(Uint8Array.from(summary as ArrayLike<number>)) : { meta: {} };
  return {
    ...fileFields(bytes, info),
    title: props.title ?? fileName(info.relPath),
    ...paragraphDocument(paragraphs),
    ...(Object.keys(props.meta).length > 0 ? { meta: props.meta } : {}),
  };
}
