/**
 * Issue #12: the document title is an indexed field of every chunk (the index setting
 * `titleTerms`). Each chunk's terms are those of `title + "\n" + chunk text` — so a chunk is found
 * by its document's title words, as in a BEIR "flat" index — while the stored text, the quotes and
 * the offsets stay the chunk's own. The setting is recorded in the manifest: an index built without
 * it (or before it existed) keeps its behaviour on incremental runs; new indexes get it on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { IndexReader, IndexWriter, readManifest } from '../../src/index/index.js';
import { MANIFEST_FILE } from '../../src/index/store/format.js';
import { manifestText } from '../../src/index/store/atomic-file.js';
import { runCli } from '../support/cli.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function build(titleTerms: boolean | undefined, docs: ReturnType<typeof makeDoc>[]): Promise<IndexReader> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const config = titleTerms === undefined ? tinyConfig : { ...tinyConfig, titleTerms };
  const w = await IndexWriter.open(dir, config, { now: stepClock(), analyzer: tinyAnalyzer });
  for (const { doc, chunks } of docs) w.addDocument(doc, chunks);
  await w.commit();
  await w.close();
  return IndexReader.open(dir, { analyzer: tinyAnalyzer });
}

describe('titleTerms: the title is an indexed field of every chunk (embedded index)', () => {
  // Two chunks, neither of which says "aurora"; the title does.
  const aurora = makeDoc('a', 'solar wind charged particles\n\nmagnetic field lines glow', { title: 'Aurora Borealis' });
  const other = makeDoc('b', 'solar panels convert light', { title: 'Panels' });

  it('a query naming only a title word retrieves every chunk of that document; quotes and offsets stay the body', async () => {
    const r = await build(true, [aurora, other]);
    const hits = r.search('aurora', { topK: 10 });
    expect(hits.map((h) => r.chunk(h.chunk).id)).toEqual(['a#0', 'a#1']);
    for (const [i, ch] of aurora.chunks.entries()) {
      const stored = r.chunk(i);
      expect(stored.text).toBe(ch.text);
      expect([stored.startChar, stored.endChar]).toEqual([ch.startChar, ch.endChar]);
    }
    // Without the setting the title's words are not in the index.
    const off = await build(false, [aurora, other]);
    expect(off.search('aurora', { topK: 10 })).toEqual([]);
  });

  it('the title terms count in the chunk length (docLen), as in a flat index: Σ docLen 12 + 2·2 + 1', async () => {
    const r = await build(true, [aurora, other]);
    // a#0 "aurora borealis" + 4 words = 6, a#1 2 + 4 = 6, b#0 "panels" + 4 = 5
    expect(r.stats().sumDocLen).toBe(17);
    const off = await build(false, [aurora, other]);
    expect(off.stats().sumDocLen).toBe(12);
  });

  it('scores equal a flat index of "title\\ntext" chunk for chunk (the oracle), also for a body word', async () => {
    const r = await build(true, [aurora, other]);
    const flat = (d: ReturnType<typeof makeDoc>) =>
      makeDoc(d.doc.id, d.chunks.map((c) => `${d.doc.title}\n${c.text}`).join('\n\n'), { title: d.doc.title });
    const f = await build(false, [flat(aurora), flat(other)]);
    for (const q of ['aurora', 'solar', 'panels light', 'borealis glow']) {
      const a = r.search(q, { topK: 10 }).map((h) => [r.chunk(h.chunk).id, h.score]);
      const b = f.search(q, { topK: 10 }).map((h) => [f.chunk(h.chunk).id, h.score]);
      expect(a, q).toEqual(b);
    }
    // By hand, Lucene's BM25 (no k1 + 1 factor), k1 0.9, b 0.4; one-byte norms are exact up to
    // 24: 'aurora' in 2 of 3 chunks, idf = ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln 1.6 = 0.470004;
    // both a-chunks have length 6, avgdl 17/3: tf part 1 / (1 + 0.9·(0.6 + 0.4·6/5.6667)) =
    // 1 / 1.921176 = 0.520514 → 0.244644.
    const [h0] = r.search('aurora', { topK: 1 });
    expect(h0.score).toBeCloseTo(0.244644, 5);
  });

  it('the setting is recorded in the manifest and survives reopening; a changed title re-analyses an unchanged text', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const w = await IndexWriter.open(dir, { ...tinyConfig, titleTerms: true }, { now: stepClock(), analyzer: tinyAnalyzer });
    w.addDocument(aurora.doc, aurora.chunks);
    await w.commit();
    await w.close();
    expect((await readManifest(dir))!.manifest.config.titleTerms).toBe(true);
    // Reopened with a config that does not name it: the index keeps its own.
    const w2 = await IndexWriter.open(dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
    expect(w2.config.titleTerms).toBe(true);
    const renamed = makeDoc('a', aurora.doc.text, { title: 'Northern Lights' });
    w2.addDocument(renamed.doc, renamed.chunks);
    await w2.commit();
    await w2.close();
    const r = await IndexReader.open(dir, { analyzer: tinyAnalyzer });
    expect(r.config.titleTerms).toBe(true);
    expect(r.search('aurora', { topK: 10 })).toEqual([]);
    expect(r.search('northern', { topK: 10 }).length).toBe(2);
  });

  it('an index whose manifest predates the setting reads as off, and stays off when written again', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const w = await IndexWriter.open(dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
    w.addDocument(aurora.doc, aurora.chunks);
    await w.commit();
    await w.close();
    // As an older openbook wrote it: no titleTerms key at all.
    const m = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as { config: Record<string, unknown> };
    delete m.config.titleTerms;
    await writeFile(path.join(dir, MANIFEST_FILE), manifestText(m));
    expect((await readManifest(dir))!.manifest.config.titleTerms).toBe(false);
    const w2 = await IndexWriter.open(dir, { ...tinyConfig, titleTerms: false }, { now: stepClock(), analyzer: tinyAnalyzer });
    w2.addDocument(other.doc, other.chunks);
    await w2.commit();
    await w2.close();
    const r = await IndexReader.open(dir, { analyzer: tinyAnalyzer });
    expect(r.config.titleTerms).toBe(false);
    expect(r.search('aurora', { topK: 10 })).toEqual([]);
  });
});

describe('titleTerms through openbook index (indexPaths)', () => {
  const folder = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openbook-title-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // The title (the first heading) names the subject; the paragraph far below never repeats it.
    writeFileSync(
      path.join(dir, 'kestrel.md'),
      '# Kestrel\n\n' + 'The small falcon hovers over open fields while it hunts. '.repeat(60) + '\n\n## Diet\n\nIt eats voles, mice and large insects caught on the ground.\n',
    );
    writeFileSync(path.join(dir, 'owl.md'), '# Owls\n\nOwls hunt at night and eat voles too.\n');
    writeFileSync(path.join(dir, 'corpus.jsonl'), JSON.stringify({ _id: 'd1', title: 'Zanzibar', text: 'An archipelago off the coast of Tanzania.' }) + '\n');
    return dir;
  };

  it('a new index has the setting on: the title finds the later chunk, the quote is the body, JSONL titles are not prepended', async () => {
    const dir = folder();
    const indexDir = path.join(dir, '.openbook');
    await indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now });
    expect((await readManifest(indexDir))!.manifest.config.titleTerms).toBe(true);
    const engine = await Engine.open(indexDir);
    const hits = await engine.search('kestrel voles', { topK: 3 });
    expect(hits[0].source).toBe('kestrel.md');
    expect(hits[0].text.startsWith('## Diet')).toBe(true);
    const z = await engine.search('zanzibar', { topK: 3 });
    expect(z.map((h) => h.text)).toEqual(['An archipelago off the coast of Tanzania.']);
    expect(z[0].title).toBe('Zanzibar');
  });

  it('an index built with titleTerms false keeps it on incremental runs; naming another value is refused', async () => {
    const dir = folder();
    const indexDir = path.join(dir, '.openbook');
    await indexPaths({ indexDir, paths: ['kestrel.md', 'corpus.jsonl'], cwd: dir, now: Date.now, titleTerms: false });
    await indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now });
    expect((await readManifest(indexDir))!.manifest.config.titleTerms).toBe(false);
    const engine = await Engine.open(indexDir);
    // Off: JSONL titles are searchable the old way, as a title line of the text.
    const z = await engine.search('zanzibar', { topK: 3 });
    expect(z.map((h) => h.text)).toEqual(['Zanzibar\n\nAn archipelago off the coast of Tanzania.']);
    await expect(indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now, titleTerms: true })).rejects.toThrow(InvalidParameterError);
    await expect(indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now, titleTerms: true })).rejects.toThrow(/title terms.*--rebuild/);
  });

  it('openbook index --no-title-terms builds an index without it; status shows the setting; --title-terms on it is refused', async () => {
    const dir = folder();
    const off = await runCli(dir, ['index', 'kestrel.md', '--no-title-terms', '--json']);
    expect(off.code, off.stderr).toBe(0);
    const st = await runCli(dir, ['status', '--json']);
    expect(JSON.parse(st.stdout).config.titleTerms).toBe(false);
    expect((await runCli(dir, ['status'])).stdout).toMatch(/title terms\s+off/);
    const again = await runCli(dir, ['index', '.', '--title-terms']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/built without title terms/);
  }, 60_000);
});
