/**
 * Issue #18, item 3: document identity that never collides silently. JSONL ids are scoped to
 * their file (`a.jsonl#1`, the BEIR `_id` kept as metadata field `_id`); with `globalIds` a
 * collision is refused with one line naming both sources; a run removes only documents from the
 * paths it was given (uploads untouched); an index built with the old bare JSONL ids is re-keyed
 * on the next run.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexPaths } from '../../src/engine/indexer.js';
import { IndexReader, IndexWriter } from '../../src/index/index.js';
import { chunkDocument } from '../../src/ingest/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-ids-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (id: string, text: string, extra: Record<string, unknown> = {}) => JSON.stringify({ _id: id, title: '', text, ...extra });
const run = async (paths: string[], extra: Partial<Parameters<typeof indexPaths>[0]> = {}) => {
  const warnings: string[] = [];
  const summary = await indexPaths({ indexDir: path.join(dir, '.openbook'), paths, cwd: dir, now: Date.now, onWarning: (m) => warnings.push(m), ...extra });
  return { summary, warnings };
};
const ids = async () => [...(await IndexReader.open(path.join(dir, '.openbook'))).documents()].map((d) => d.id).sort();
const textOf = async (id: string) => (await IndexReader.open(path.join(dir, '.openbook'))).documentTextOf(id);

describe('JSONL ids are scoped to their file', () => {
  it('a.jsonl and b.jsonl with the same _id are two documents; neither replaces the other across runs', async () => {
    await writeFile(path.join(dir, 'a.jsonl'), line('1', 'aardvark from file a') + '\n');
    await writeFile(path.join(dir, 'b.jsonl'), line('1', 'bison from file b') + '\n');
    const first = await run(['a.jsonl']);
    expect(first.summary).toMatchObject({ added: 1 });
    const second = await run(['b.jsonl']);
    expect(second.summary).toMatchObject({ added: 1, updated: 0, removed: 0 });
    expect(await ids()).toEqual(['a.jsonl#1', 'b.jsonl#1']);
    expect(await textOf('a.jsonl#1')).toContain('aardvark from file a');
    expect(await textOf('b.jsonl#1')).toContain('bison from file b');
  });

  it('keeps the BEIR _id as the metadata field _id', async () => {
    await writeFile(path.join(dir, 'corpus.jsonl'), line('4983', 'microstructural development', { metadata: { url: 'u' } }) + '\n');
    await run(['corpus.jsonl']);
    const r = await IndexReader.open(path.join(dir, '.openbook'));
    expect(r.document('corpus.jsonl#4983')?.meta).toMatchObject({ _id: '4983', 'metadata.url': 'u' });
  });

  it('a JSONL id equal to a file path no longer replaces that file', async () => {
    await writeFile(path.join(dir, 'notes.md'), '# Notes\n\nThe real notes about otters.\n');
    await writeFile(path.join(dir, 'evil.jsonl'), line('notes.md', 'planted text') + '\n');
    await run(['notes.md']);
    await run(['evil.jsonl']);
    expect(await ids()).toEqual(['evil.jsonl#notes.md', 'notes.md']);
    expect(await textOf('notes.md')).toContain('otters');
  });
});

describe('global ids (globalIds: true): collisions are refused in one line naming both sources', () => {
  it('across runs: b.jsonl\'s "1" is refused and a.jsonl\'s text stays', async () => {
    await writeFile(path.join(dir, 'a.jsonl'), line('1', 'aardvark from file a') + '\n');
    await writeFile(path.join(dir, 'b.jsonl'), line('1', 'bison from file b') + '\n');
    await run(['a.jsonl'], { globalIds: true });
    const second = await run(['b.jsonl'], { globalIds: true });
    expect(second.summary).toMatchObject({ added: 0, updated: 0, skipped: 1 });
    expect(second.warnings).toEqual(['b.jsonl: document id "1" is already taken by a document from a.jsonl; skipped (ids are global: scope them to their file by leaving out --global-ids)']);
    expect(await ids()).toEqual(['1']);
    expect(await textOf('1')).toContain('aardvark');
  });

  it('within one run: the second source is skipped and the line names the first', async () => {
    await writeFile(path.join(dir, 'a.jsonl'), line('x', 'first') + '\n');
    await writeFile(path.join(dir, 'b.jsonl'), line('x', 'second') + '\n');
    const r = await run(['a.jsonl', 'b.jsonl'], { globalIds: true });
    expect(r.summary).toMatchObject({ added: 1, skipped: 1 });
    expect(r.warnings).toEqual(['b.jsonl: document id "x" is already taken by a document from a.jsonl; skipped (ids are global: scope them to their file by leaving out --global-ids)']);
  });
});

describe('a run removes only documents from the paths it was given', () => {
  it('`index .` from the folder of a server\'s index leaves the uploads alone', async () => {
    const indexDir = path.join(dir, '.openbook');
    await mkdir(path.join(dir, 'docs'));
    await writeFile(path.join(dir, 'docs', 'a.md'), '# A\n\nalpha\n');
    await run(['docs']);
    // An upload as the server makes it: the file under <index>/uploads, indexed with cwd = the index folder.
    await mkdir(path.join(indexDir, 'uploads'));
    await writeFile(path.join(indexDir, 'uploads', 'up.md'), '# Up\n\nuploaded walrus\n');
    await indexPaths({ indexDir, paths: [path.join(indexDir, 'uploads', 'up.md')], cwd: indexDir, now: Date.now });
    expect(await ids()).toEqual(['docs/a.md', 'uploads/up.md']);
    const again = await run(['.']);
    expect(again.summary).toMatchObject({ removed: 0, unchanged: 1 });
    expect(await ids()).toEqual(['docs/a.md', 'uploads/up.md']);
    // A real folder named uploads/ in the project is still the project's: removing its file removes its document.
    await mkdir(path.join(dir, 'uploads'));
    await writeFile(path.join(dir, 'uploads', 'mine.md'), '# Mine\n\nmine\n');
    await run(['.']);
    expect(await ids()).toEqual(['docs/a.md', 'uploads/mine.md', 'uploads/up.md']);
    await rm(path.join(dir, 'uploads', 'mine.md'));
    const gone = await run(['.']);
    expect(gone.summary).toMatchObject({ removed: 1 });
    expect(await ids()).toEqual(['docs/a.md', 'uploads/up.md']);
  });

  it('indexing one root leaves another root\'s documents alone', async () => {
    await mkdir(path.join(dir, 'r1'));
    await mkdir(path.join(dir, 'r2'));
    await writeFile(path.join(dir, 'r1', 'a.md'), '# A\n\nalpha\n');
    await writeFile(path.join(dir, 'r2', 'b.md'), '# B\n\nbeta\n');
    await run(['r1', 'r2']);
    await rm(path.join(dir, 'r1', 'a.md'));
    const r = await run(['r1']);
    expect(r.summary).toMatchObject({ removed: 1 });
    expect(await ids()).toEqual(['r2/b.md']);
  });
});

describe('migration of an index with bare JSONL ids', () => {
  it('re-keys the old documents to file-scoped ids on the next run, with one line saying so', async () => {
    const indexDir = path.join(dir, '.openbook');
    const text = ['{"_id":"1","title":"","text":"first record"}', '{"_id":"2","title":"","text":"second record"}'];
    await writeFile(path.join(dir, 'corpus.jsonl'), text.join('\n') + '\n');
    // Build the index the old way: ids are the bare _id values.
    const w = await IndexWriter.open(indexDir, { analyzer: 'auto', chunkSize: 256, chunkOverlap: 32, noChunk: false, luceneNorms: true }, { now: Date.now });
    for (const [i, t] of text.entries()) {
      const doc = { id: String(i + 1), source: 'corpus.jsonl', title: '', text: JSON.parse(t).text as string, format: 'jsonl' as const, contentHash: String(i), sizeBytes: t.length, mtimeMs: 0 };
      await w.addDocuments([{ doc, chunks: chunkDocument(doc, { chunkSize: 256, chunkOverlap: 32 }) }]);
    }
    await w.commit();
    await w.close();
    expect(await ids()).toEqual(['1', '2']);

    const r = await run(['corpus.jsonl']);
    expect(r.summary).toMatchObject({ added: 2, removed: 2 });
    expect(r.warnings).toEqual(['corpus.jsonl: 2 documents had bare JSONL ids (an older openbook, or --global-ids); they are now corpus.jsonl#<_id> (the _id stays in the field _id)']);
    expect(await ids()).toEqual(['corpus.jsonl#1', 'corpus.jsonl#2']);
    const again = await run(['corpus.jsonl']);
    expect(again.summary).toMatchObject({ added: 0, removed: 0, unchanged: 2 });
    expect(again.warnings).toEqual([]);
  });
});
