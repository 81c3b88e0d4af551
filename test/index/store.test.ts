import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexFormatError, IndexLockedError, IndexNotFoundError, InvalidParameterError } from '../../src/core/errors.js';
import { IndexReader, IndexWriter, MANIFEST_FILE } from '../../src/index/index.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const openWriter = (d = dir, clock = stepClock()) => IndexWriter.open(d, tinyConfig, { now: clock, analyzer: tinyAnalyzer });
const openReader = (d = dir) => IndexReader.open(d, { analyzer: tinyAnalyzer });

const A = makeDoc('a', 'Lucene scores with BM25.\nIt uses one byte norms.\n\nThe norms round long lengths down.');
const B = makeDoc('b', 'Dense retrieval embeds the query.\n\nSparse retrieval counts terms like BM25 and TF IDF.');
const C = makeDoc('c', 'Korean text 한국어 검색 works too.', { format: 'md', pages: undefined });

describe('IndexWriter / IndexReader persistence', () => {
  it('round trips documents, chunks, stats and search results', async () => {
    const w = await openWriter();
    for (const { doc, chunks } of [A, B, C]) w.addDocument(doc, chunks);
    const info = await w.commit();
    await w.close();
    expect(info).toMatchObject({ changed: true, generation: 1, numDocuments: 3, numChunks: 5 });

    const r = await openReader();
    const s = r.stats();
    // chunks: a#0 "lucene scores with bm it uses one byte norms" → 9 tokens ("BM25" → "bm"),
    // a#1 "the norms round long lengths down" 6, b#0 "dense retrieval embeds the query" 5,
    // b#1 "sparse retrieval counts terms like bm and tf idf" 9, c#0 "korean text 한국어 검색 works too" 6 → Σ 35
    expect(s).toMatchObject({ formatVersion: 1, generation: 1, numDocuments: 3, numChunks: 5, sumDocLen: 35, docCount: 5, avgdl: 7, analyzer: 'tiny' });
    expect(s.committedAt).toBe(info.committedAt);
    expect(s.bytesOnDisk).toBeGreaterThan(0);
    expect(r.docFreq('bm')).toBe(2);
    expect(r.docFreq('retrieval')).toBe(2);
    expect(r.docFreq('absent')).toBe(0);
    expect(r.docFreq('검색')).toBe(1);

    // every chunk comes back exactly, with its document's source and title
    for (const { doc, chunks } of [A, B, C]) {
      const nums = r.chunksOf(doc.id);
      expect(nums.map((n) => r.chunk(n))).toEqual(chunks.map((c) => ({ ...c, source: doc.source, title: doc.title })));
      const { text: _text, ...record } = doc;
      expect(r.document(doc.id)).toEqual(JSON.parse(JSON.stringify(record)));
    }
    expect([...r.documents()].map((d) => d.id)).toEqual(['a', 'b', 'c']);
    expect(r.documentTextOf('b')).toBe(B.doc.text);

    const hits = r.search('bm25 retrieval', { topK: 3 });
    const again = await openReader();
    expect(again.search('bm25 retrieval', { topK: 3 })).toEqual(hits);
    expect(again.stats()).toEqual(s);
    // b#1 has both "bm" and "retrieval"
    expect(r.chunk(hits[0].chunk).id).toBe('b#1');
  });

  it('is incremental: replace, delete, unchanged re-add, exact stats and vanished terms', async () => {
    const w = await openWriter();
    for (const { doc, chunks } of [A, B]) w.addDocument(doc, chunks);
    await w.commit();
    expect(w.dirty).toBe(false);

    // unchanged re-add: no-op, nothing to commit
    w.addDocument(A.doc, A.chunks);
    expect(w.dirty).toBe(false);
    const same = await w.commit();
    expect(same).toMatchObject({ changed: false, generation: 1, bytesWritten: 0 });

    // replace a: "dense" now only in b, "lucene" disappears
    const A2 = makeDoc('a', 'Only new words here.');
    w.addDocument(A2.doc, A2.chunks);
    expect(w.dirty).toBe(true);
    expect(w.getDocument('a')?.contentHash).toBe(A2.doc.contentHash);
    await w.commit();
    let r = await openReader();
    expect(r.docFreq('lucene')).toBe(0);
    expect(r.docFreq('new')).toBe(1);
    // b's 2 chunks (5 + 9 tokens) + a's 1 chunk (4 tokens) = 18
    expect(r.stats()).toMatchObject({ generation: 2, numDocuments: 2, numChunks: 3, sumDocLen: 18 });
    // a replaced document moves to the end of the index order
    expect([...r.documents()].map((d) => d.id)).toEqual(['b', 'a']);

    // delete b: its terms vanish
    expect(w.removeDocument('b')).toBe(true);
    expect(w.removeDocument('b')).toBe(false);
    await w.commit();
    await w.close();
    r = await openReader();
    expect(r.docFreq('retrieval')).toBe(0);
    expect(r.stats()).toMatchObject({ generation: 3, numDocuments: 1, numChunks: 1, numTerms: 4, numPostings: 4, sumDocLen: 4 });
    expect(r.chunksOf('b')).toEqual([]);
    expect(r.search('retrieval', { topK: 5 })).toEqual([]);

    // only the current and the previous generation stay on disk
    const gens = new Set((await readdir(dir)).filter((n) => n.startsWith('g')).map((n) => n.slice(0, 9)));
    expect([...gens].sort()).toEqual(['g00000002', 'g00000003']);
  });

  it('reopens a writer on the last commit and keeps working incrementally (same result as a fresh build)', async () => {
    let w = await openWriter();
    for (const { doc, chunks } of [A, B, C]) w.addDocument(doc, chunks);
    await w.commit();
    await w.close();
    w = await openWriter();
    expect([...w.documentIds()]).toEqual(['a', 'b', 'c']);
    expect(w.getDocument('c')?.format).toBe('md');
    expect(w.dirty).toBe(false);
    w.removeDocument('a');
    await w.commit();
    await w.close();

    const fresh = await tempDir();
    const w2 = await openWriter(fresh.dir);
    for (const { doc, chunks } of [B, C]) w2.addDocument(doc, chunks);
    await w2.commit();
    await w2.close();
    const [r1, r2] = [await openReader(), await openReader(fresh.dir)];
    const { generation: _g1, committedAt: _c1, bytesOnDisk: _b1, ...s1 } = r1.stats();
    const { generation: _g2, committedAt: _c2, bytesOnDisk: _b2, ...s2 } = r2.stats();
    expect(s1).toEqual(s2);
    expect(r1.search('retrieval bm25 korean', { topK: 10 })).toEqual(r2.search('retrieval bm25 korean', { topK: 10 }));
    await fresh.cleanup();
  });

  it('commits an empty new index once, then nothing', async () => {
    const w = await openWriter();
    expect(w.dirty).toBe(true);
    expect((await w.commit()).changed).toBe(true);
    expect((await w.commit()).changed).toBe(false);
    await w.close();
    const r = await openReader();
    expect(r.stats()).toMatchObject({ numDocuments: 0, numChunks: 0, avgdl: 0 });
    expect(r.search('anything', { topK: 10 })).toEqual([]);
  });

  it('rejects chunks that do not belong to the document', async () => {
    const w = await openWriter();
    const bad = A.chunks.map((c) => ({ ...c }));
    bad[1].text = 'not the slice';
    expect(() => w.addDocument(A.doc, bad)).toThrow(/chunk 1 of document "a": text is not document.text.slice/);
    expect(() => w.addDocument(A.doc, [A.chunks[1]])).toThrow(/ordinal 1/);
    await w.close();
  });

  it('refuses a different analyzer for an existing index and keeps its chunking', async () => {
    let w = await openWriter();
    await w.commit();
    await w.close();
    await expect(IndexWriter.open(dir, { ...tinyConfig, analyzer: 'english' }, { now: stepClock() })).rejects.toThrow(/rebuild with --force/);
    await expect(IndexWriter.open(dir, { ...tinyConfig, analyzer: 'english' }, { now: stepClock() })).rejects.toBeInstanceOf(InvalidParameterError);
    w = await IndexWriter.open(dir, { ...tinyConfig, chunkSize: 999 }, { now: stepClock(), analyzer: tinyAnalyzer });
    expect(w.config.chunkSize).toBe(0);
    await w.close();
  });
});

describe('errors', () => {
  it('IndexNotFoundError when there is no manifest', async () => {
    await expect(openReader()).rejects.toBeInstanceOf(IndexNotFoundError);
    await expect(openReader(join(dir, 'nope'))).rejects.toBeInstanceOf(IndexNotFoundError);
  });

  it('IndexFormatError on a corrupt file, a missing file, a bad manifest and a newer formatVersion', async () => {
    const w = await openWriter();
    for (const { doc, chunks } of [A, B]) w.addDocument(doc, chunks);
    await w.commit();
    await w.close();
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
    const postings = join(dir, manifest.files.postings.name);
    const original = await readFile(postings);

    const flipped = Buffer.from(original);
    flipped[flipped.length - 1] ^= 0xff;
    await writeFile(postings, flipped);
    await expect(openReader()).rejects.toThrow(/g00000001\.postings fails its CRC-32 check/);
    await writeFile(postings, original.subarray(0, 10));
    await expect(openReader()).rejects.toThrow(/has 10 bytes, manifest says/);
    await writeFile(postings, original);
    await expect(openReader()).resolves.toBeInstanceOf(IndexReader);

    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, formatVersion: 2 }));
    await expect(openReader()).rejects.toThrow(/formatVersion 2 was written by a newer openbook/);
    await expect(openReader()).rejects.toBeInstanceOf(IndexFormatError);
    await writeFile(join(dir, MANIFEST_FILE), '{"formatVersion": 1, "gen');
    await expect(openReader()).rejects.toThrow(/not valid JSON/);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, files: { ...manifest.files, terms: { ...manifest.files.terms, name: 'g00000001.nope' } } }));
    await expect(openReader()).rejects.toBeInstanceOf(IndexFormatError);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, files: { ...manifest.files, terms: { ...manifest.files.terms, name: 'g00000001.chunks' } } }));
    await expect(openReader()).rejects.toBeInstanceOf(IndexFormatError);
    // a consistent manifest whose counts disagree with the files: its own checksum catches the
    // edit; without a checksum (as written before there was one) the decoder's cross-check does
    const edited = { ...manifest, counts: { ...manifest.counts, numTerms: manifest.counts.numTerms + 1 } };
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(edited));
    await expect(openReader()).rejects.toThrow(/manifest\.json fails its checksum \(edited or corrupt\)/);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...edited, checksum: undefined }));
    await expect(openReader()).rejects.toThrow(/terms, manifest says/);
  });
});

describe('writer lock', () => {
  it('a second writer gets IndexLockedError naming the holder; the lock is free after close', async () => {
    const w1 = await openWriter();
    const err = await openWriter().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexLockedError);
    expect((err as Error).message).toContain(`pid ${process.pid} on ${hostname()}`);
    await w1.close();
    const w2 = await openWriter();
    await w2.close();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((res) => child.on('exit', res));
    await writeFile(join(dir, 'write.lock'), JSON.stringify({ pid: deadPid, hostname: hostname(), acquiredAt: 1 }));
    const w = await openWriter();
    const lock = JSON.parse(await readFile(join(dir, 'write.lock'), 'utf8'));
    expect(lock.pid).toBe(process.pid);
    await w.close();
    await expect(readFile(join(dir, 'write.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('treats a lock held by a live process as held', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await writeFile(join(dir, 'write.lock'), JSON.stringify({ pid: child.pid, hostname: hostname(), acquiredAt: 1 }));
      await expect(openWriter()).rejects.toThrow(`pid ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
