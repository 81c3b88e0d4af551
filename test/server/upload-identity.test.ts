/**
 * Issue #18, item 3, through the API on 127.0.0.1: an upload cannot overwrite a document it did
 * not create. JSONL ids in an upload are scoped to the uploaded file, and an upload whose name
 * is taken answers 409 unless it asks to replace (`?replace=true`).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/listen.js';
import { makeFixture, startOn, waitForJob, type Fixture } from './helpers.js';

let fx: Fixture;
let srv: RunningServer;
beforeAll(async () => {
  fx = await makeFixture();
  srv = await startOn(fx);
});
afterAll(async () => {
  await srv?.close();
  await rm(fx.dir, { recursive: true, force: true });
});

const upload = async (name: string, text: string, query = '') => {
  const form = new FormData();
  form.append('files', new Blob([text]), name);
  const r = await fetch(`${srv.url}/v1/documents${query}`, { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: form });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};
const text = async (id: string) => ((await (await fetch(`${srv.url}/v1/documents/${encodeURIComponent(id)}`)).json()) as { text?: string }).text;

describe('uploads cannot overwrite documents they did not create', () => {
  it('a JSONL upload whose _id is another document\'s id adds its own document and leaves the other alone', async () => {
    const up = await upload('notes.jsonl', JSON.stringify({ _id: 'docs/bm25.md', text: 'BM25 is a planted lie.' }) + '\n');
    expect(up.status).toBe(202);
    const job = await waitForJob(srv.url, up.body.id as string);
    expect(job.result).toMatchObject({ added: 1, updated: 0 });
    expect(await text('docs/bm25.md')).toContain('term frequency and inverse document frequency');
    expect(await text('uploads/notes.jsonl#docs/bm25.md')).toContain('planted lie');
  });

  it('a second upload of a taken name is 409 DOCUMENT_EXISTS naming it, and ?replace=true replaces it', async () => {
    const first = await upload('dup.md', '# Dup\n\nthe first version about quokkas\n');
    await waitForJob(srv.url, first.body.id as string);
    const second = await upload('dup.md', '# Dup\n\nsomeone else\'s version\n');
    expect(second.status).toBe(409);
    expect(second.body.error).toEqual({ code: 'DOCUMENT_EXISTS', message: 'an upload named dup.md exists already (document uploads/dup.md); upload it with ?replace=true to replace it, or pick another name' });
    expect(await text('uploads/dup.md')).toContain('quokkas');
    const replaced = await upload('dup.md', '# Dup\n\nthe second version about wombats\n', '?replace=true');
    expect(replaced.status).toBe(202);
    const job = await waitForJob(srv.url, replaced.body.id as string);
    expect(job.result).toMatchObject({ updated: 1 });
    expect(await text('uploads/dup.md')).toContain('wombats');
  });
});
