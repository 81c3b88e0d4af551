/**
 * Document properties — what the file says about itself — as metadata fields (`Document.meta`),
 * under one set of names for every format, so `author = "홍길동"` or `createdAt >= 2024-01-01`
 * means the same over PDF, DOCX, PPTX, XLSX, HWPX, HWP and EPUB:
 *
 * | field | type | PDF (Info dictionary, XMP) | DOCX/PPTX/XLSX (docProps) | HWPX (content.hpf) | HWP (HwpSummaryInformation) | EPUB (OPF) |
 * |---|---|---|---|---|---|---|
 * | `author` | string | /Author, dc:creator | dc:creator | meta creator | PIDSI_AUTHOR (4) | dc:creator (first) |
 * | `createdAt` | date (ms) | /CreationDate, xmp:CreateDate | dcterms:created | meta CreatedDate | PIDSI_CREATE_DTM (12) | dc:date (publication) |
 * | `modifiedAt` | date (ms) | /ModDate, xmp:ModifyDate | dcterms:modified | meta ModifiedDate | PIDSI_LASTSAVE_DTM (13) | meta dcterms:modified |
 * | `lastModifiedBy` | string | — | cp:lastModifiedBy | meta lastsaveby | PIDSI_LASTAUTHOR (8) | — |
 * | `subject` | string | /Subject | dc:subject | meta subject | PIDSI_SUBJECT (3) | dc:subject (first) |
 * | `keywords` | string | /Keywords | cp:keywords | meta keyword | PIDSI_KEYWORDS (5) | — |
 * | `description` | string | — | dc:description | meta description | PIDSI_COMMENTS (6) | dc:description |
 * | `producer` | string | /Producer, pdf:Producer | — | — | — | — |
 * | `application` | string | /Creator, xmp:CreatorTool | app.xml Application | — | — | — |
 * | `language` | string | — | dc:language | opf:language | — | dc:language |
 * | `publisher` | string | — | — | — | — | dc:publisher |
 * | `pages` | number | (the page count, from the pages read) | app.xml Pages (DOCX) | — | PIDSI_PAGECOUNT (14) | — |
 * | `slides` | number | — | app.xml Slides (PPTX) | — | — | — |
 *
 * `language` is the language the file declares (`ko-KR`); `lang` stays the script detected from
 * the text. The title property becomes `Document.title` (the fixed field `title`) where the
 * format's loader says so. Empty values are left out; a date that cannot be read is left out
 * rather than stored as text. Dates without a zone are read as UTC.
 */
import type { DocMeta } from './metadata.js';
import { readXml } from './units.js';
import type { ZipArchive } from './zip.js';

/** Properties found in a file: the title (for `Document.title`) and the metadata fields. */
export interface DocProperties {
  title?: string;
  meta: DocMeta;
}

const clean = (s: string | undefined): string | undefined => {
  const t = s?.replace(/\s+/g, ' ').trim().normalize('NFC');
  return t ? t : undefined;
};

/**
 * ms since the epoch of an ISO 8601 date or date-time (`2024-01-15`, `2024-01-15T09:30:00Z`,
 * `2024-01-15T09:30:00+09:00`, no zone = UTC), or undefined.
 */
export function isoDateMs(s: string | undefined): number | undefined {
  const v = s?.trim();
  if (!v || !/^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(v) || /^\d{4}(-\d{2}(-\d{2})?)?$/.test(v);
  const t = Date.parse(zoned ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * ms since the epoch of a PDF date string (PDF 1.7 §7.9.4: `D:YYYYMMDDHHmmSSOHH'mm'`, every part
 * after the year optional, O one of `+ - Z`; no zone = UTC), or undefined when it is not one.
 */
export function pdfDateMs(s: string | undefined): number | undefined {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([+\-Z])(?:(\d{2})'?(?:(\d{2})'?)?)?)?\s*$/.exec(s?.trim() ?? '');
  if (!m) return isoDateMs(s);
  const n = (x: string | undefined, d: number) => (x === undefined ? d : Number(x));
  let t = Date.UTC(n(m[1], 0), n(m[2], 1) - 1, n(m[3], 1), n(m[4], 0), n(m[5], 0), n(m[6], 0));
  if (m[7] === '+' || m[7] === '-') t -= (m[7] === '+' ? 1 : -1) * (n(m[8], 0) * 60 + n(m[9], 0)) * 60_000;
  return Number.isFinite(t) ? t : undefined;
}

function put(meta: DocMeta, key: string, v: string | number | undefined): void {
  if (v === undefined || meta[key] !== undefined) return;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) meta[key] = v;
    return;
  }
  const s = clean(v);
  if (s !== undefined) meta[key] = s;
}

/**
 * PDF properties from PDF.js's `getMetadata()`: the Info dictionary first, XMP (`metadata.get`)
 * for what the dictionary lacks. `pages` is the page count read.
 */
export function pdfProperties(info: Record<string, unknown> | undefined, xmp: { get(name: string): unknown } | null | undefined, pages: number): DocProperties {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
  const x = (name: string) => {
    try {
      return str(xmp?.get(name));
    } catch {
      return undefined;
    }
  };
  const i = info ?? {};
  const meta: DocMeta = {};
  put(meta, 'author', str(i.Author) ?? x('dc:creator'));
  put(meta, 'createdAt', pdfDateMs(str(i.CreationDate)) ?? isoDateMs(x('xmp:createdate')));
  put(meta, 'modifiedAt', pdfDateMs(str(i.ModDate)) ?? isoDateMs(x('xmp:modifydate')));
  put(meta, 'subject', str(i.Subject) ?? x('dc:description'));
  put(meta, 'keywords', str(i.Keywords) ?? x('pdf:keywords'));
  put(meta, 'producer', str(i.Producer) ?? x('pdf:producer'));
  put(meta, 'application', str(i.Creator) ?? x('xmp:creatortool'));
  put(meta, 'pages', pages);
  return { title: clean(str(i.Title) ?? x('dc:title')), meta };
}

/** Text of each element (by local name) of a small XML part; repeated names keep the first. */
function elementTexts(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack: { name: string; text: string }[] = [];
  readXml(xml, {
    open: (name) => void stack.push({ name, text: '' }),
    text: (t) => {
      const top = stack[stack.length - 1];
      if (top) top.text += t;
    },
    close: () => {
      const e = stack.pop();
      if (e && !out.has(e.name) && e.text.trim() !== '') out.set(e.name, e.text);
    },
  });
  return out;
}

/**
 * Office Open XML properties (ECMA-376 Part 2 §11 core properties `docProps/core.xml`, and the
 * extended properties `docProps/app.xml`): DOCX, PPTX and XLSX. Missing parts give `{meta: {}}`.
 */
export function ooxmlProperties(zip: ZipArchive): DocProperties {
  const meta: DocMeta = {};
  let title: string | undefined;
  if (zip.entry('docProps/core.xml')) {
    const c = elementTexts(zip.readText('docProps/core.xml'));
    title = clean(c.get('title'));
    put(meta, 'author', c.get('creator'));
    put(meta, 'lastModifiedBy', c.get('lastModifiedBy'));
    put(meta, 'createdAt', isoDateMs(c.get('created')));
    put(meta, 'modifiedAt', isoDateMs(c.get('modified')));
    put(meta, 'subject', c.get('subject'));
    put(meta, 'keywords', c.get('keywords'));
    put(meta, 'description', c.get('description'));
    put(meta, 'language', c.get('language'));
  }
  if (zip.entry('docProps/app.xml')) {
    const a = elementTexts(zip.readText('docProps/app.xml'));
    const int = (s: string | undefined) => (s !== undefined && /^\s*\d+\s*$/.test(s) ? Number(s) : undefined);
    put(meta, 'application', a.get('Application'));
    put(meta, 'pages', int(a.get('Pages')));
    put(meta, 'slides', int(a.get('Slides')));
  }
  return { title, meta };
}

/**
 * HWPX package properties (`Contents/content.hpf`, an OPF package: `<opf:title>`,
 * `<opf:language>` and `<opf:meta name="creator|lastsaveby|CreatedDate|ModifiedDate|subject|
 * description|keyword" content="text">value</opf:meta>`; a `content` attribute other than
 * "text" holds the value itself).
 */
export function hwpxProperties(hpf: string): DocProperties {
  const meta: DocMeta = {};
  const named = new Map<string, string>();
  let title = '';
  let language = '';
  let cur: { kind: 'title' | 'language' | 'meta'; name?: string; text: string } | null = null;
  readXml(hpf, {
    open(tag, a) {
      if (tag === 'title' || tag === 'language') cur = { kind: tag, text: '' };
      else if (tag === 'meta' && a.name) {
        cur = { kind: 'meta', name: a.name.toLowerCase(), text: '' };
        if (a.content && a.content !== 'text') named.set(cur.name!, a.content);
      }
    },
    text: (t) => void (cur && (cur.text += t)),
    close(tag) {
      if (!cur || (tag !== 'title' && tag !== 'language' && tag !== 'meta')) return;
      if (cur.kind === 'title') title ||= cur.text;
      else if (cur.kind === 'language') language ||= cur.text;
      else if (cur.name && cur.text.trim() !== '') named.set(cur.name, cur.text);
      cur = null;
    },
  });
  put(meta, 'author', named.get('creator'));
  put(meta, 'lastModifiedBy', named.get('lastsaveby'));
  put(meta, 'createdAt', isoDateMs(named.get('createddate')));
  put(meta, 'modifiedAt', isoDateMs(named.get('modifieddate')));
  put(meta, 'subject', named.get('subject'));
  put(meta, 'description', named.get('description'));
  put(meta, 'keywords', named.get('keyword'));
  put(meta, 'language', language);
  return { title: clean(title), meta };
}

/**
 * EPUB package metadata (OPF `<metadata>`: dc:title, dc:creator, dc:date, dc:language,
 * dc:publisher, dc:subject, dc:description, and EPUB 3's `<meta property="dcterms:modified">`);
 * the first of a repeated element.
 */
export function epubProperties(opf: string): DocProperties {
  const meta: DocMeta = {};
  const first = new Map<string, string>();
  let cur: { name: string; text: string } | null = null;
  let inMetadata = false;
  readXml(opf, {
    open(tag, a) {
      if (tag === 'metadata') inMetadata = true;
      else if (inMetadata) cur = { name: tag === 'meta' && a.property ? a.property : tag, text: '' };
    },
    text: (t) => void (cur && (cur.text += t)),
    close(tag) {
      if (tag === 'metadata') inMetadata = false;
      else if (cur) {
        if (!first.has(cur.name) && cur.text.trim() !== '') first.set(cur.name, cur.text);
        cur = null;
      }
    },
  });
  put(meta, 'author', first.get('creator'));
  put(meta, 'createdAt', isoDateMs(first.get('date')));
  put(meta, 'modifiedAt', isoDateMs(first.get('dcterms:modified')));
  put(meta, 'language', first.get('language'));
  put(meta, 'publisher', first.get('publisher'));
  put(meta, 'subject', first.get('subject'));
  put(meta, 'description', first.get('description'));
  return { title: clean(first.get('title')), meta };
}

/** 100-ns intervals between 1601-01-01 and 1970-01-01 (FILETIME epoch). */
const FILETIME_EPOCH_OFFSET = 116444736000000000n;

/**
 * HWP 5.0 summary properties: the `\x05HwpSummaryInformation` stream, an OLE property set
 * (MS-OLEPS §2.21: header, FMTID/offset of the first section, then the section's id/offset
 * pairs) holding PIDSI_TITLE 2, SUBJECT 3, AUTHOR 4, KEYWORDS 5, COMMENTS 6, LASTAUTHOR 8,
 * CREATE_DTM 12, LASTSAVE_DTM 13 (VT_FILETIME, UTC) and PAGECOUNT 14; strings are VT_LPWSTR
 * (UTF-16LE) or VT_LPSTR (read as UTF-8). A damaged stream gives what was read before the damage.
 */
export function olePropertySet(stream: Uint8Array): DocProperties {
  const meta: DocMeta = {};
  const dv = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const values = new Map<number, string | number>();
  try {
    if (stream.length < 48 || dv.getUint16(0, true) !== 0xfffe) return { meta };
    const section = dv.getUint32(44, true);
    const count = dv.getUint32(section + 4, true);
    for (let i = 0; i < Math.min(count, 256); i++) {
      const id = dv.getUint32(section + 8 + i * 8, true);
      const at = section + dv.getUint32(section + 12 + i * 8, true);
      const type = dv.getUint32(at, true) & 0xffff;
      if (type === 0x1f) {
        const chars = dv.getUint32(at + 4, true);
        const s = Buffer.from(stream.subarray(at + 8, at + 8 + chars * 2)).toString('utf16le');
        values.set(id, s.replace(/\0+$/, ''));
      } else if (type === 0x1e) {
        const n = dv.getUint32(at + 4, true);
        values.set(id, Buffer.from(stream.subarray(at + 8, at + 8 + n)).toString('utf8').replace(/\0+$/, ''));
      } else if (type === 0x40) {
        const ft = dv.getBigUint64(at + 4, true);
        if (ft > FILETIME_EPOCH_OFFSET) values.set(id, Number((ft - FILETIME_EPOCH_OFFSET) / 10000n));
      } else if (type === 0x03) values.set(id, dv.getInt32(at + 4, true));
    }
  } catch {
    // a truncated stream: keep what was read
  }
  const s = (id: number) => (typeof values.get(id) === 'string' ? (values.get(id) as string) : undefined);
  const n = (id: number) => (typeof values.get(id) === 'number' ? (values.get(id) as number) : undefined);
  put(meta, 'author', s(4));
  put(meta, 'lastModifiedBy', s(8));
  put(meta, 'createdAt', n(12));
  put(meta, 'modifiedAt', n(13));
  put(meta, 'subject', s(3));
  put(meta, 'keywords', s(5));
  put(meta, 'description', s(6));
  const pages = n(14);
  if (pages !== undefined && pages > 0) put(meta, 'pages', pages);
  return { title: clean(s(2)), meta };
}

/**
 * The `encoding` field of a text file (txt, md, html, csv/tsv): the encoding its bytes were read
 * in, as `decodeText`/`decodeCsv` report it — "utf-8" (with or without a byte-order mark),
 * "utf-16le", "utf-16be", "cp949" (CSV/TSV in CP949/EUC-KR) …
 */
export function encodingMeta(encoding: string): DocMeta {
  return { encoding: encoding === 'utf-8-bom' ? 'utf-8' : encoding };
}
