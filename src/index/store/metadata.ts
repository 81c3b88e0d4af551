/**
 * The metadata a filter sees for one chunk (`core/filter.ts` evaluates against it), and the
 * chunk bitset a filter becomes for the embedded index.
 *
 * Fields of every chunk — the document's fixed fields, then its own:
 *   id (document id), path (the source as indexed), folder (the path's folder, "." at the top),
 *   format (txt, md, html, pdf, docx, jsonl, …), title, sizeBytes, mtime (ms since the epoch;
 *   filters may write it as a date), pages (page count: a PDF's pages, else the count the file
 *   declares — DOCX app.xml, HWP summary), lang (detected at indexing:
 *   "ko", "en", "ja", "zh", "mixed" or "und"), headingPath (string list, outermost first),
 *   page (the chunk's first page, PDFs), ordinal (0-based chunk position in its document),
 *   sheet (the sheet of the chunk's first row, XLSX), slide (the chunk's first slide, PPTX) —
 *   both from the chunk's citation locator (`core/locator.ts`).
 * Then every key of `Document.meta` (front matter, JSONL fields, document properties, user tags
 * from `index --meta` or sidecar files), both as itself — unless that would shadow a fixed
 * field — and as `meta.<key>`.
 */
import { compileFilter, toFilter, type FilterExpr, type MetaRecord, type MetaValue } from '../../core/filter.js';
import { locatorOf } from '../../core/locator.js';
import type { Locator } from '../../core/types.js';
import type { DocumentRecord } from './format.js';

/** Names that always mean the fixed fields above. */
export const FIXED_FIELDS = ['id', 'path', 'folder', 'format', 'title', 'sizeBytes', 'mtime', 'pages', 'lang', 'headingPath', 'page', 'ordinal', 'sheet', 'slide'] as const;
const FIXED = new Set<string>(FIXED_FIELDS);
/** Fields that differ between chunks of one document. */
const CHUNK_FIELDS = new Set(['headingPath', 'page', 'ordinal', 'sheet', 'slide']);

/** `sheet` and `slide` of a chunk from its locator (undefined fields when it has neither). */
function locatorFields(loc: Locator | undefined): { sheet?: string; slide?: number } {
  if (loc === undefined) return {};
  if (loc.kind === 'slide') return { slide: loc.start };
  return loc.sheet !== undefined ? { sheet: loc.sheet } : {};
}

/** The folder part of a source path ("a/b/c.md" → "a/b", "c.md" → "."). URLs keep their origin and path. */
export function folderOf(source: string): string {
  const s = source.replace(/\\/g, '/');
  const at = s.lastIndexOf('/');
  return at <= 0 ? (at === 0 ? '/' : '.') : s.slice(0, at);
}

/** The document-level fields of one document's record. */
export function documentMetadata(doc: DocumentRecord): Record<string, MetaValue | undefined> {
  const m: Record<string, MetaValue | undefined> = {
    id: doc.id,
    path: doc.source,
    folder: folderOf(doc.source),
    format: doc.format,
    title: doc.title,
    sizeBytes: doc.sizeBytes,
    mtime: doc.mtimeMs,
  };
  if (doc.pages) m.pages = doc.pages.length;
  // A page count the file declares (DOCX app.xml, HWP summary) when there are no page spans.
  else if (typeof doc.meta?.pages === 'number') m.pages = doc.meta.pages;
  for (const [k, v] of Object.entries(doc.meta ?? {})) {
    m[`meta.${k}`] = v;
    if (!FIXED.has(k)) m[k] = v;
  }
  // `lang` is detected at indexing and kept in meta; it is a fixed field by name.
  if (doc.meta && typeof doc.meta.lang === 'string') m.lang = doc.meta.lang;
  return m;
}

/** The fields of one chunk: its document's plus its own. */
export function chunkMetadata(doc: DocumentRecord, chunk: { headingPath: string[]; page?: number; ordinal: number; startChar?: number; endChar?: number }): MetaRecord {
  const m = documentMetadata(doc);
  m.headingPath = chunk.headingPath;
  m.ordinal = chunk.ordinal;
  if (chunk.page !== undefined && chunk.page > 0) m.page = chunk.page;
  if (doc.units && chunk.startChar !== undefined && chunk.endChar !== undefined) Object.assign(m, locatorFields(locatorOf(doc.units, chunk.startChar, chunk.endChar)));
  return m;
}

/** Whether `f` names any chunk-level field (else it can be decided once per document). */
export function usesChunkFields(f: FilterExpr): boolean {
  if ('and' in f) return f.and.some(usesChunkFields);
  if ('or' in f) return f.or.some(usesChunkFields);
  if ('not' in f) return usesChunkFields(f.not);
  return CHUNK_FIELDS.has(f.field);
}

/** The type of a metadata value, as `status` and the documents API list it. */
export type MetaType = 'string' | 'number' | 'boolean' | 'string[]' | 'date';

/** Fields holding ms since the epoch: the file's mtime and the document properties' dates (ingest/properties.ts). */
export const DATE_FIELDS: ReadonlySet<string> = new Set(['mtime', 'createdAt', 'modifiedAt']);

function typeOf(field: string, v: MetaValue, metaDates: readonly string[] | undefined): MetaType {
  if (Array.isArray(v)) return 'string[]';
  if (typeof v === 'number' && (DATE_FIELDS.has(field) || metaDates?.includes(field))) return 'date';
  return typeof v as 'string' | 'number' | 'boolean';
}

/**
 * Every field present in `docs` (fixed ones included) with its type(s) and the number of
 * documents that have it, sorted by name.
 */
export function metadataFields(docs: Iterable<DocumentRecord>): Array<{ field: string; types: MetaType[]; documents: number }> {
  const seen = new Map<string, { types: Set<MetaType>; documents: number }>();
  const note = (field: string, v: MetaValue | undefined, metaDates: readonly string[] | undefined) => {
    if (v === undefined) return;
    let e = seen.get(field);
    if (!e) seen.set(field, (e = { types: new Set(), documents: 0 }));
    e.types.add(typeOf(field, v, metaDates));
    e.documents++;
  };
  for (const d of docs) {
    for (const [k, v] of Object.entries(documentMetadata(d))) if (!k.startsWith('meta.')) note(k, v, d.metaDates);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([field, e]) => ({ field, types: [...e.types].sort(), documents: e.documents }));
}

/** What `filterBitset` needs from the reader. */
export interface ChunkColumns {
  numChunks: number;
  documents: readonly DocumentRecord[];
  /** Chunk c belongs to document docIndex[c]. */
  docIndex: ArrayLike<number>;
  ordinal: ArrayLike<number>;
  page: ArrayLike<number>;
  /** Character span of chunk c in its document's text (for its locator: sheet, slide). */
  startChar: ArrayLike<number>;
  endChar: ArrayLike<number>;
  headingPathOf(c: number): string[];
}

/**
 * The chunk bitset of a filter: `bits[c] === 1` when chunk c matches. A filter over document
 * fields only is evaluated once per document.
 * @throws FilterSyntaxError / InvalidParameterError for a bad filter
 */
export function filterBitset(cols: ChunkColumns, filter: string | FilterExpr): Uint8Array {
  const expr = toFilter(filter);
  const test = compileFilter(expr);
  const bits = new Uint8Array(cols.numChunks);
  if (!usesChunkFields(expr)) {
    const docOk = cols.documents.map((d) => (test(documentMetadata(d)) ? 1 : 0));
    for (let c = 0; c < cols.numChunks; c++) bits[c] = docOk[cols.docIndex[c]];
    return bits;
  }
  let lastDoc = -1;
  let docMeta: Record<string, MetaValue | undefined> = {};
  for (let c = 0; c < cols.numChunks; c++) {
    const di = cols.docIndex[c];
    if (di !== lastDoc) {
      docMeta = documentMetadata(cols.documents[di]);
      lastDoc = di;
    }
    const page = cols.page[c];
    const units = cols.documents[di].units;
    const m: Record<string, MetaValue | undefined> = {
      ...docMeta,
      headingPath: cols.headingPathOf(c),
      ordinal: cols.ordinal[c],
      ...(page > 0 ? { page } : {}),
      ...(units ? locatorFields(locatorOf(units, cols.startChar[c], cols.endChar[c])) : {}),
    };
    bits[c] = test(m) ? 1 : 0;
  }
  return bits;
}
