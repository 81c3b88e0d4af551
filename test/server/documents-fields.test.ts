/**
 * Issue #16 item 1: "`status` and the documents API list the fields and their types". GET
 * /v1/status lists them; the documents API must too: GET /v1/documents lists every filterable
 * field with its type(s) and document count (the same list as status), and GET
 * /v1/documents/:id gives the document's own fields (front matter, sidecar, detected lang).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexPaths } from '../../src/engine/indexer.js';
import type { RunningServer } from '../../src/server/listen.js';
import { DocumentDetail, DocumentList, StatusResponse } from '../../src/server/schemas.js';
import { startOn, type Fixture } from './helpers.js';

let fx: Fixture;
let srv: RunningServer;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-docfields-'));
  const docsDir = path.join(dir, 'docs');
  await mkdir(docsDir);
  await writeFile(path.join(docsDir, 'minutes.md'), '---\ntitle: 3월 회의록\ntags: [보안, 회의]\nreviewed: true\nversion: 3\n---\n# 3월 회의록\n\n보안 점검은 금요일에 한다.\n');
  await writeFile(path.join(docsDir, 'minutes.md.meta.json'), JSON.stringify({ owner: '홍길동' }));
  await writeFile(path.join(docsDir, 'plain.md'), '# Plain\n\nThe walrus sleeps on the ice.\n');
  const indexDir = path.join(dir, '.openbook');
  await indexPaths({ indexDir, paths: ['docs'], cwd: dir, now: Date.now });
  fx = { dir, docsDir, indexDir };
  srv = await startOn(fx);
});
afterAll(async () => {
  await srv?.close();
  await rm(fx.dir, { recursive: true, force: true });
});

const get = async (p: string) => (await fetch(`${srv.url}${p}`)).json() as Promise<unknown>;

describe('the documents API lists the metadata fields and their types (#16 item 1)', () => {
  it('GET /v1/documents carries every field with its types and document count, as GET /v1/status does', async () => {
    const list = DocumentList.parse(await get('/v1/documents'));
    const status = StatusResponse.parse(await get('/v1/status'));
    expect(list.metadataFields).toEqual(status.index!.metadataFields);
    const byName = Object.fromEntries(list.metadataFields.map((f) => [f.field, f]));
    expect(byName.tags).toEqual({ field: 'tags', types: ['string[]'], documents: 1 });
    expect(byName.reviewed).toEqual({ field: 'reviewed', types: ['boolean'], documents: 1 });
    expect(byName.version).toEqual({ field: 'version', types: ['number'], documents: 1 });
    expect(byName.owner).toEqual({ field: 'owner', types: ['string'], documents: 1 });
    expect(byName.mtime).toEqual({ field: 'mtime', types: ['date'], documents: 2 });
    expect(byName.lang).toEqual({ field: 'lang', types: ['string'], documents: 2 });
    expect(byName.path).toEqual({ field: 'path', types: ['string'], documents: 2 });
  });

  it('GET /v1/documents/:id carries the document\'s own fields (front matter, sidecar, lang)', async () => {
    const d = DocumentDetail.parse(await get(`/v1/documents/${encodeURIComponent('docs/minutes.md')}`));
    expect(d.meta).toEqual({ lang: 'ko', encoding: 'utf-8', title: '3월 회의록', tags: ['보안', '회의'], reviewed: true, version: 3, owner: '홍길동' });
    const plain = DocumentDetail.parse(await get(`/v1/documents/${encodeURIComponent('docs/plain.md')}`));
    expect(plain.meta).toEqual({ lang: 'en', encoding: 'utf-8' });
  });
});
