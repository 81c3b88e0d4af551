/**
 * Issue #16 item 1 on an index built before metadata existed. An older openbook stored each
 * document without `meta` (no lang, front matter, JSONL fields, document properties or encoding).
 * Its files have not changed, so their content hashes match; the next `index` run must still read
 * them again, once, so that filters on those fields see them — not report them "unchanged" and
 * leave `tags CONTAINS "보안"` matching nothing.
 *
 * The old index is made the way the older openbook left it: the same documents, chunks and
 * hashes, with the records' metadata removed (a real one built with the code before c7a4642 gave
 * the same: `unchanged 2` and no tags after upgrading).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Document } from '../../src/core/types.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { IndexReader, IndexWriter } from '../../src/index/index.js';
import { chunkDocument } from '../../src/ingest/index.js';
import { encodeCp949, makeDocx } from '../support/office-files.js';

let dir: string;
let indexDir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-meta-upgrade-'));
  indexDir = path.join(dir, '.openbook');
  await mkdir(path.join(dir, 'notes'));
  await writeFile(path.join(dir, 'notes', 'minutes.md'), '---\ntitle: 3월 회의록\ntags: [보안, 회의]\n---\n# 3월 회의록\n\n보안 점검은 금요일에 한다.\n');
  await writeFile(path.join(dir, 'notes', 'plain.md'), '# Plain\n\nThe walrus sleeps on the ice.\n');
  await writeFile(path.join(dir, 'notes', 'contract.docx'), makeDocx(['Contract on access control.'], { title: 'Contract', author: '홍길동', created: '2023-12-31T23:59:59Z' }));
  await writeFile(path.join(dir, 'notes', 'prices.csv'), encodeCp949('항목,설명\n예산,보안 예산\n'));
  await writeFile(path.join(dir, 'corpus.jsonl'), '{"_id":"1","title":"","text":"security review on friday","team":"red"}\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = async () => {
  const warnings: string[] = [];
  const summary = await indexPaths({ indexDir, paths: ['notes', 'corpus.jsonl'], cwd: dir, now: Date.now, onWarning: (m) => warnings.push(m) });
  return { summary, warnings };
};
const metaById = async () => Object.fromEntries([...(await IndexReader.open(indexDir)).documents()].map((d) => [d.id, d.meta]));
const matching = async (filter: string) => {
  const r = await IndexReader.open(indexDir);
  const bits = r.filterBits(filter);
  const ids = new Set<string>();
  for (let c = 0; c < bits.length; c++) if (bits[c]) ids.add(r.chunk(c).docId);
  return [...ids].sort();
};

/** Rewrites every record as an openbook from before metadata stored it: same text, chunks and hash, no meta. */
async function forgetMetadata(): Promise<void> {
  const reader = await IndexReader.open(indexDir);
  const writer = await IndexWriter.open(indexDir, reader.config, { now: Date.now });
  for (const rec of [...reader.documents()]) {
    const old = { ...rec, text: reader.documentTextOf(rec.id)! } as Document & Record<string, unknown>;
    delete old.meta;
    delete old.metaVersion;
    await writer.addDocuments([{ doc: old, chunks: chunkDocument(old, { chunkSize: reader.config.chunkSize, chunkOverlap: reader.config.chunkOverlap, noChunk: reader.config.noChunk }) }]);
  }
  await writer.commit();
  await writer.close();
}

describe('an index made before metadata existed (#16 item 1)', () => {
  it('is read again once on the next run: front matter, JSONL fields, properties, encoding and lang come back, and filters see them', async () => {
    expect((await run()).summary).toMatchObject({ added: 5, skipped: 0 });
    const fresh = await metaById();
    expect(await matching('tags CONTAINS "보안"')).toEqual(['notes/minutes.md']);

    await forgetMetadata();
    expect(Object.values(await metaById()).every((m) => m === undefined)).toBe(true);
    expect(await matching('tags CONTAINS "보안"')).toEqual([]);

    const upgrade = await run();
    expect(upgrade.summary).toMatchObject({ added: 0, updated: 5, removed: 0, unchanged: 0, skipped: 0 });
    expect(upgrade.warnings).toEqual(['5 documents were indexed by an older openbook, before their metadata fields were read; read them again for their fields (once)']);
    expect(await metaById()).toEqual(fresh);
    expect(await matching('tags CONTAINS "보안"')).toEqual(['notes/minutes.md']);
    expect(await matching('author = "홍길동" AND createdAt < 2024-01-01')).toEqual(['notes/contract.docx']);
    expect(await matching('encoding = "cp949"')).toEqual(['notes/prices.csv']);
    expect(await matching('team = "red"')).toEqual(['corpus.jsonl#1']);
    expect(await matching('lang = "en"')).toEqual(['corpus.jsonl#1', 'notes/contract.docx', 'notes/plain.md']);

    // Once read, they are unchanged again: no second re-read, no line.
    const again = await run();
    expect(again.summary).toMatchObject({ added: 0, updated: 0, unchanged: 5 });
    expect(again.warnings).toEqual([]);
  });
});
