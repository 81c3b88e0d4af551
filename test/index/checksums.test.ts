/**
 * Issue #18 item 6 and #13 item 4 (manifest part): checksums everywhere.
 *  - The dense store's files (row ids, vectors, keys, the HNSW file) carry CRC-32s in their
 *    manifest: every one of 10 bit flips per file is caught with an error naming the file.
 *  - manifest.json, graph-manifest.json and dense-manifest.json carry a checksum of their own
 *    content (Lucene's segments_N footer does this for its commit point): an edited docCount
 *    digit, a luceneNorms or analyzer toggle, an edited graph count, are refused.
 *  - A missing or unreadable manifest never makes a writer delete generation files.
 *  - An index written before the checksums is read, and gets them on its next commit.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexFormatError } from '../../src/core/errors.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { DENSE_DIR, DENSE_MANIFEST, DenseIndexReader, DenseStore } from '../../src/index/dense/store.js';
import { GRAPH_DIR, GRAPH_MANIFEST, readLinkGraph } from '../../src/index/graph/store.js';
import { IndexReader } from '../../src/index/index.js';

/** A parsed manifest, edited freely by the tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let dir: string;
const idx = () => path.join(dir, '.openbook');
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-crc-'));
  await mkdir(path.join(dir, 'docs'));
  await writeFile(path.join(dir, 'docs', 'a.md'), '# Alpha\n\nThe aardvark digs. See [beta](b.md).\n');
  await writeFile(path.join(dir, 'docs', 'b.md'), '# Beta\n\nThe bison grazes. See [alpha](a.md).\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const index = (paths = ['docs']) => indexPaths({ indexDir: idx(), paths, cwd: dir, now: Date.now });

/** Deterministic LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function flipBit(file: string, at: number, bit: number): Promise<Buffer> {
  const orig = await readFile(file);
  const bad = Buffer.from(orig);
  bad[at] ^= 1 << bit;
  await writeFile(file, bad);
  return orig;
}

async function denseFixture(kind: 'exact' | 'hnsw'): Promise<void> {
  const store = await DenseStore.open(idx(), { embedder: 'test-embedder', dimension: 8, indexKind: kind }, { now: Date.now });
  const r = rng(7);
  for (let i = 0; i < 40; i++) store.put({ id: `c${i}`, text: `chunk ${i}` }, Float32Array.from({ length: 8 }, () => r() - 0.5));
  await store.commit();
}

describe('dense store CRCs', () => {
  for (const kind of ['exact', 'hnsw'] as const) {
    it(`10 bit flips in each ${kind} dense file are all detected, naming the file`, async () => {
      await denseFixture(kind);
      const denseDir = path.join(idx(), DENSE_DIR);
      const files = (await readdir(denseDir)).filter((f) => f !== DENSE_MANIFEST && !f.endsWith('.tmp'));
      expect(files.length).toBeGreaterThanOrEqual(kind === 'hnsw' ? 4 : 3);
      const r = rng(42);
      let caught = 0;
      for (const f of files) {
        const p = path.join(denseDir, f);
        const size = (await readFile(p)).length;
        for (let t = 0; t < 10; t++) {
          const orig = await flipBit(p, Math.floor(r() * size), Math.floor(r() * 8));
          const err = await DenseIndexReader.open(idx()).then(
            () => null,
            (e: unknown) => e,
          );
          const werr = await DenseStore.open(idx(), { embedder: 'test-embedder', dimension: 8 }, { now: Date.now }).then(
            () => null,
            (e: unknown) => e,
          );
          // With an HNSW file the reader searches it and never reads the segment vectors; they are
          // read (and checked) by an exact search or the writer's next compaction.
          const xerr = await DenseIndexReader.open(idx(), { kind: 'exact' }).then(
            () => null,
            (e: unknown) => e,
          );
          await writeFile(p, orig);
          // The reader opens what it searches (the HNSW file, or the segments); the writer reads ids and keys.
          const e = err ?? werr ?? xerr;
          expect(e, `${f} flip ${t}`).toBeInstanceOf(IndexFormatError);
          expect((e as Error).message).toContain(f);
          expect((e as Error).message).toMatch(/CRC-32/);
          caught++;
        }
      }
      expect(caught).toBe(files.length * 10);
      await expect(DenseIndexReader.open(idx())).resolves.toBeDefined();
    });
  }

  it('an edited dense manifest is refused by its checksum', async () => {
    await denseFixture('exact');
    const p = path.join(idx(), DENSE_DIR, DENSE_MANIFEST);
    const m = JSON.parse(await readFile(p, 'utf8')) as { count: number };
    m.count -= 1;
    await writeFile(p, JSON.stringify(m, null, 2));
    await expect(DenseIndexReader.open(idx())).rejects.toThrow(/dense-manifest\.json fails its checksum/);
  });
});

describe('manifest checksums', () => {
  const edits: Array<[string, (m: Json) => void]> = [
    ['a docCount digit', (m) => (m.counts.docCount = m.counts.docCount + 1)],
    ['luceneNorms toggled', (m) => (m.config.luceneNorms = !m.config.luceneNorms)],
    ['analyzer toggled', (m) => (m.config.analyzer = m.config.analyzer === 'english' ? 'auto' : 'english')],
  ];
  for (const [what, edit] of edits) {
    it(`manifest.json with ${what} is refused by reader and writer`, async () => {
      await index();
      const p = path.join(idx(), 'manifest.json');
      const m = JSON.parse(await readFile(p, 'utf8')) as Json;
      expect(typeof m.checksum).toBe('number');
      edit(m);
      await writeFile(p, JSON.stringify(m, null, 2) + '\n');
      await expect(IndexReader.open(idx())).rejects.toThrow(/manifest\.json fails its checksum \(edited or corrupt\)/);
      await expect(index()).rejects.toThrow(IndexFormatError);
    });
  }

  it('a whitespace-only change is not an edit (the checksum covers the JSON values, not the layout)', async () => {
    await index();
    const p = path.join(idx(), 'manifest.json');
    await writeFile(p, JSON.stringify(JSON.parse(await readFile(p, 'utf8'))));
    await expect(IndexReader.open(idx())).resolves.toBeDefined();
  });

  it('graph-manifest.json with an edited count is refused', async () => {
    await index();
    const p = path.join(idx(), GRAPH_DIR, GRAPH_MANIFEST);
    const m = JSON.parse(await readFile(p, 'utf8')) as Json;
    expect(typeof m.checksum).toBe('number');
    m.numEdges += 1;
    await writeFile(p, JSON.stringify(m, null, 2) + '\n');
    await expect(readLinkGraph(idx())).rejects.toThrow(/graph-manifest\.json fails its checksum/);
  });
});

describe('a lost or unreadable manifest never costs the generation files', () => {
  const genFiles = async () => (await readdir(idx())).filter((f) => /^g\d{8}\./.test(f)).sort();

  it('manifest.json deleted: the next run refuses in one line and deletes nothing', async () => {
    await index();
    await writeFile(path.join(dir, 'docs', 'c.md'), '# Gamma\n\nThe camel walks.\n');
    await index();
    const before = await genFiles();
    expect(before.length).toBe(10); // generations 1 and 2, five files each
    await rm(path.join(idx(), 'manifest.json'));
    await expect(index()).rejects.toThrow(/has generation files \(g00000002\.\* …\) but no manifest\.json; nothing was deleted/);
    expect(await genFiles()).toEqual(before);
  });

  it('manifest.json unreadable (a folder in its place): the run fails naming it and deletes nothing', async () => {
    await index();
    const before = await genFiles();
    await rm(path.join(idx(), 'manifest.json'));
    await mkdir(path.join(idx(), 'manifest.json'));
    await expect(index()).rejects.toThrow(/manifest\.json cannot be read \(EISDIR/);
    expect(await genFiles()).toEqual(before);
  });

  it('dense-manifest.json deleted: the dense writer refuses instead of deleting the segments', async () => {
    await denseFixture('exact');
    const denseDir = path.join(idx(), DENSE_DIR);
    const before = (await readdir(denseDir)).sort();
    await rm(path.join(denseDir, DENSE_MANIFEST));
    await expect(DenseStore.open(idx(), { embedder: 'test-embedder', dimension: 8 }, { now: Date.now })).rejects.toThrow(/no dense-manifest\.json; nothing was deleted/);
    expect((await readdir(denseDir)).sort()).toEqual(before.filter((f) => f !== DENSE_MANIFEST));
  });
});

describe('indexes written before the checksums', () => {
  it('are read as they are and get checksums (manifest, graph, dense CRCs) on their next commit', async () => {
    await index();
    await denseFixture('exact');
    // Strip what this version adds, as an older openbook wrote them.
    const strip = async (p: string, also: (m: Json) => void = () => {}) => {
      const m = JSON.parse(await readFile(p, 'utf8')) as Json;
      delete m.checksum;
      also(m);
      await writeFile(p, JSON.stringify(m, null, 2) + '\n');
    };
    await strip(path.join(idx(), 'manifest.json'));
    await strip(path.join(idx(), GRAPH_DIR, GRAPH_MANIFEST));
    await strip(path.join(idx(), DENSE_DIR, DENSE_MANIFEST), (m) => {
      for (const s of m.segments) {
        delete s.keysCrc32;
        delete s.vectors.crc32;
      }
    });
    const reader = await IndexReader.open(idx());
    expect(reader.chunk(reader.search('aardvark', { topK: 1 })[0].chunk).docId).toBe('docs/a.md');
    await expect(readLinkGraph(idx())).resolves.not.toBeNull();
    await expect(DenseIndexReader.open(idx())).resolves.toBeDefined();
    // The next commits write them.
    await writeFile(path.join(dir, 'docs', 'c.md'), '# Gamma\n\nThe camel walks. See [alpha](a.md).\n');
    await index();
    const m = JSON.parse(await readFile(path.join(idx(), 'manifest.json'), 'utf8')) as Json;
    expect(typeof m.checksum).toBe('number');
    const g = JSON.parse(await readFile(path.join(idx(), GRAPH_DIR, GRAPH_MANIFEST), 'utf8')) as Json;
    expect(typeof g.checksum).toBe('number');
    const store = await DenseStore.open(idx(), { embedder: 'test-embedder', dimension: 8 }, { now: Date.now });
    store.put({ id: 'c99', text: 'chunk 99' }, new Float32Array(8).fill(0.1));
    await store.commit();
    const d = JSON.parse(await readFile(path.join(idx(), DENSE_DIR, DENSE_MANIFEST), 'utf8')) as Json;
    expect(typeof d.checksum).toBe('number');
    for (const s of d.segments) {
      expect(typeof s.keysCrc32).toBe('number');
      expect(s.vectors.crc32).toHaveLength(s.vectors.files.length);
    }
    expect(existsSync(path.join(idx(), 'manifest.json'))).toBe(true);
  });
});
