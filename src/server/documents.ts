/**
 * The documents side of the API: listing and reading documents from the committed index
 * (for the documents page and the citation viewer) and deleting one (a write job).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../core/errors.js';
import type { Engine } from '../engine/engine.js';
import type { PgEngine } from '../engine/pg-engine.js';
import { IndexReader, IndexWriter, type DocumentRecord, type IndexConfig, type StoredChunk } from '../index/index.js';
import { UPLOAD_DIR } from './uploads.js';

/** Whether a document's source is a file in the server's upload folder (sources of uploads are relative to the index folder). */
export function isUploaded(indexDir: string, source: string): boolean {
  const abs = path.resolve(indexDir, source);
  const rel = path.relative(path.join(indexDir, UPLOAD_DIR), abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !source.startsWith('/') && source.startsWith(`${UPLOAD_DIR}/`);
}

function summary(engine: Engine, indexDir: string, d: DocumentRecord) {
  return summaryOf(d, engine.reader.chunksOf(d.id).length, indexDir);
}

function summaryOf(d: DocumentRecord, numChunks: number, indexDir: string) {
  return {
    id: d.id,
    source: d.source,
    title: d.title,
    format: d.format,
    sizeBytes: d.sizeBytes,
    mtimeMs: d.mtimeMs,
    numChunks,
    uploaded: isUploaded(indexDir, d.source),
  };
}

/**
 * One page of documents in index order (a replaced document moves to the end).
 * @param offset 0-based  @param limit page size
 */
export function listDocuments(engine: Engine, indexDir: string, offset: number, limit: number) {
  const all = [...engine.reader.documents()];
  return { total: all.length, offset, documents: all.slice(offset, offset + limit).map((d) => summary(engine, indexDir, d)), metadataFields: engine.reader.metadataFields() };
}

/**
 * A document with its text and chunk offsets, for showing a cited passage in place.
 * @throws NotFoundError when the id is not in the committed index
 */
export async function documentDetail(engine: Engine, indexDir: string, id: string) {
  const d = engine.reader.document(id);
  const text = engine.reader.documentTextOf(id);
  if (!d || text === undefined) throw new NotFoundError(`no document with id ${JSON.stringify(id)} in the index`);
  const chunks = engine.reader.chunksOf(id).map((n) => chunkInfo(engine.reader.chunk(n)));
  return { ...summary(engine, indexDir, d), meta: d.meta ?? {}, text, chunks };
}

function chunkInfo(c: StoredChunk) {
  return {
    id: c.id,
    ordinal: c.ordinal,
    startChar: c.startChar,
    endChar: c.endChar,
    startLine: c.startLine,
    endLine: c.endLine,
    ...(c.page !== undefined ? { page: c.page } : {}),
    ...(c.locator !== undefined ? { locator: c.locator } : {}),
    headingPath: c.headingPath,
  };
}

/** {@link listDocuments} on the PostgreSQL store: the same page, read from `ob_documents` in one snapshot. */
export async function listStoreDocuments(engine: PgEngine, indexDir: string, offset: number, limit: number) {
  const page = await engine.reader.documentPage(offset, limit);
  return { total: page.total, offset, documents: page.documents.map((d) => summaryOf(d.record, d.numChunks, indexDir)) };
}

/** {@link documentDetail} on the PostgreSQL store. @throws NotFoundError when the id is not in the last commit */
export async function storeDocumentDetail(engine: PgEngine, indexDir: string, id: string) {
  const d = await engine.reader.documentWithChunks(id);
  if (!d) throw new NotFoundError(`no document with id ${JSON.stringify(id)} in the index`);
  return { ...summaryOf(d.record, d.chunks.length, indexDir), meta: d.record.meta ?? {}, text: d.text, chunks: d.chunks.map(chunkInfo) };
}

/**
 * Removes document `id` from the index in one commit (taking the writer lock), then deletes
 * its uploaded file when it was an upload and no other document came from the same file.
 * @returns `{ removed, committed, generation, fileDeleted }`
 * @throws NotFoundError when the id is not in the index (anymore)
 */
export async function deleteDocument(indexDir: string, id: string, now: () => number) {
  const reader = await IndexReader.open(indexDir);
  const config: IndexConfig = reader.config;
  return removeWith(await IndexWriter.open(indexDir, config, { now }), indexDir, id);
}

/**
 * {@link deleteDocument} on the PostgreSQL store of `engine`: the store's single writer (its
 * advisory lock; `IndexLockedError` while another writer holds it) removes the document's rows
 * and updates the statistics in one transaction, then the uploaded file goes as on the embedded index.
 */
export async function deleteStoreDocument(engine: PgEngine, indexDir: string, id: string, now: () => number) {
  return removeWith(await engine.store.writer({ now }), indexDir, id);
}

interface RemovingWriter {
  getDocument(id: string): DocumentRecord | undefined;
  documentIds(): Iterable<string>;
  removeDocument(id: string): boolean;
  commit(): Promise<{ changed: boolean; generation: number }>;
  close(): Promise<void>;
}

async function removeWith(writer: RemovingWriter, indexDir: string, id: string) {
  try {
    const record = writer.getDocument(id);
    if (!record) throw new NotFoundError(`no document with id ${JSON.stringify(id)} in the index`);
    writer.removeDocument(id);
    const info = await writer.commit();
    let fileDeleted = false;
    if (isUploaded(indexDir, record.source)) {
      const stillUsed = [...writer.documentIds()].some((other) => writer.getDocument(other)?.source === record.source);
      if (!stillUsed) {
        await rm(path.resolve(indexDir, record.source), { force: true });
        fileDeleted = true;
      }
    }
    return { removed: 1, committed: info.changed, generation: info.generation, fileDeleted };
  } finally {
    await writer.close();
  }
}
