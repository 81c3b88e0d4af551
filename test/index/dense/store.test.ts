import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DimensionMismatchError, IndexFormatError, InvalidParameterError, NotFoundError } from '../../../src/core/errors.js';
import { chunkContentHash, DenseIndexReader, DenseStore } from '../../../src/index/dense/store.js';

const v = (...xs: number[]) => new Float32Array(xs);
const chunk = (id: string, text: string) => ({ id, text });
let dir: string;
let clock = 1000;
const deps = { now: () => clock++ };
const opts = { embedder: 'test:fixed', dimension: 2 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openbook-dense-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DenseStore', () => {
  it('hashes chunk text with SHA-256', () => {
    // sha256("abc"), FIPS 180-2 test vector
    expect(chunkContentHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('commits vectors and reports only new or changed chunks as missing after reopening', async () => {
    const store = await DenseStore.open(dir, opts, deps);
    const chunks = [chunk('a#0', 'cats'), chunk('b#0', 'dogs'), chunk('c#0', 'birds')];
    expect(store.missing(chunks)).toEqual(chunks);
    store.put(chunks[0], v(1, 0));
    store.put(chunks[1], v(0, 1));
    expect(store.missing(chunks).map((c) => c.id)).toEqual(['c#0']);
    const info = await store.commit();
    expect(info).toMatchObject({ generation: 1, count: 2, added: 2, removed: 0, compacted: false, indexKind: 'exact' });

    const again = await DenseStore.open(dir, opts, deps);
    expect(again.count).toBe(2);
    const edited = [chunk('a#0', 'cats'), chunk('b#0', 'dogs and more'), chunk('c#0', 'birds')];
    expect(again.missing(edited).map((c) => c.id)).toEqual(['b#0', 'c#0']);
    // nothing dirty: commit is a no-op
    expect((await again.commit()).generation).toBe(1);
  });

  it('is resumable: a checkpoint survives an interruption and only the rest is re-sent', async () => {
    const all = [chunk('a#0', 'one'), chunk('a#1', 'two'), chunk('a#2', 'three'), chunk('a#3', 'four')];
    const first = await DenseStore.open(dir, opts, deps);
    first.put(all[0], v(1, 0));
    first.put(all[1], v(0, 1));
    await first.commit({ buildIndex: false }); // checkpoint
    first.put(all[2], v(1, 1)); // never committed: the process "dies" here
    const resumed = await DenseStore.open(dir, opts, deps);
    expect(resumed.missing(all).map((c) => c.id)).toEqual(['a#2', 'a#3']);
    resumed.put(all[2], v(1, 1));
    resumed.put(all[3], v(-1, 0));
    const info = await resumed.commit();
    // an append writes a second segment, no compaction
    expect(info).toMatchObject({ generation: 2, count: 4, added: 2, compacted: false });
    const reader = await DenseIndexReader.open(dir);
    // query [1, 0.1]: cos with [1,0] = 1/√1.01 = 0.995037; [1,1] → 1.1/(√1.01·√2) = 0.773957; [0,1] → 0.099504; [−1,0] → −0.995037
    const hits = reader.search(v(1, 0.1), 4);
    expect(hits.map((h) => h.chunkId)).toEqual(['a#0', 'a#2', 'a#1', 'a#3']);
    expect(hits[0].score).toBeCloseTo(0.995037, 5);
    expect(hits[1].score).toBeCloseTo(0.773957, 5);
    expect(hits[3].score).toBeCloseTo(-0.995037, 5);
  });

  it('replacing and dropping chunks compacts into one segment with the right vectors', async () => {
    const s1 = await DenseStore.open(dir, opts, deps);
    s1.put(chunk('a#0', 'x'), v(1, 0));
    s1.put(chunk('b#0', 'y'), v(0, 1));
    s1.put(chunk('c#0', 'z'), v(-1, 0));
    await s1.commit();
    const s2 = await DenseStore.open(dir, opts, deps);
    s2.put(chunk('b#0', 'y changed'), v(1, 0.5)); // replaces b#0
    expect(s2.retain(['a#0', 'b#0'])).toBe(1); // c#0 is gone from the index
    const info = await s2.commit();
    expect(info).toMatchObject({ generation: 2, count: 2, added: 1, removed: 2, compacted: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'dense', 'dense-manifest.json'), 'utf8'));
    expect(manifest.segments).toHaveLength(1);
    expect(manifest.nextRow).toBe(2);
    const reader = await DenseIndexReader.open(dir);
    // query [0,1]: a [1,0] → 0; b' [1,0.5] → 0.5/√1.25 = 0.447214
    expect(reader.search(v(0, 1), 5)).toEqual([
      { chunkId: 'b#0', score: expect.closeTo(0.447214, 5) },
      { chunkId: 'a#0', score: expect.closeTo(0, 6) },
    ]);
    // the store's own view is consistent after the commit
    expect(s2.missing([chunk('a#0', 'x'), chunk('b#0', 'y changed'), chunk('c#0', 'z')]).map((c) => c.id)).toEqual(['c#0']);
  });

  it('builds an HNSW file when asked, extends it on append, and the reader uses it', async () => {
    const hnswOpts = { ...opts, indexKind: 'hnsw' as const };
    const s = await DenseStore.open(dir, hnswOpts, deps);
    s.put(chunk('a#0', 'x'), v(1, 0));
    s.put(chunk('b#0', 'y'), v(0, 1));
    expect((await s.commit()).indexKind).toBe('hnsw');
    s.put(chunk('c#0', 'z'), v(1, 1));
    await s.commit();
    const reader = await DenseIndexReader.open(dir);
    expect(reader.index.kind).toBe('hnsw');
    expect(reader.index.size).toBe(3);
    expect(reader.search(v(1, 1), 1)).toEqual([{ chunkId: 'c#0', score: expect.closeTo(1, 5) }]);
    const exact = await DenseIndexReader.open(dir, { kind: 'exact' });
    expect(exact.index.kind).toBe('exact');
    expect(exact.search(v(1, 1), 3).map((h) => h.chunkId)).toEqual(reader.search(v(1, 1), 3).map((h) => h.chunkId));
  });

  it('keeps the files of the current and previous generation only', async () => {
    const s = await DenseStore.open(dir, opts, deps);
    for (let g = 1; g <= 3; g++) {
      s.put(chunk(`d#${g}`, `text ${g}`), v(g, 1));
      await s.commit();
    }
    const files = readdirSync(join(dir, 'dense')).sort();
    // gen 3 appends: its manifest references seg-g1, seg-g2, seg-g3; nothing is stale yet
    expect(files.filter((f) => f.startsWith('seg-g1'))).toHaveLength(3);
    s.retain(['d#3']); // forces a compaction in gen 4 → only seg-g4 is referenced; gen 3's files stay as "previous"
    await s.commit();
    const s2 = await DenseStore.open(dir, opts, deps);
    s2.put(chunk('e#0', 'e'), v(0, 1));
    s2.retain(['d#3', 'e#0']);
    await s2.commit(); // gen 5 (append) keeps gen 4's files; gen 1–3 segment files are deleted
    const after = readdirSync(join(dir, 'dense'));
    expect(after.some((f) => f.startsWith('seg-g1') || f.startsWith('seg-g2') || f.startsWith('seg-g3'))).toBe(false);
    expect(after.some((f) => f.startsWith('seg-g4'))).toBe(true);
    expect(after.some((f) => f.endsWith('.tmp'))).toBe(false); // temp files of src/index/store/atomic-file.ts end in .tmp
  });

  it('refuses vectors from another model or dimension unless reset', async () => {
    const s = await DenseStore.open(dir, opts, deps);
    s.put(chunk('a#0', 'x'), v(1, 0));
    expect(() => s.put(chunk('b#0', 'y'), v(1, 0, 0))).toThrow(DimensionMismatchError);
    await s.commit();
    await expect(DenseStore.open(dir, { ...opts, embedder: 'other' }, deps)).rejects.toThrow(/made with embedder "test:fixed", not "other"; .*--force/);
    await expect(DenseStore.open(dir, { ...opts, dimension: 3 }, deps)).rejects.toThrow(InvalidParameterError);
    const fresh = await DenseStore.open(dir, { ...opts, embedder: 'other', dimension: 3, reset: true }, deps);
    expect(fresh.missing([chunk('a#0', 'x')])).toHaveLength(1);
    fresh.put(chunk('a#0', 'x'), v(0, 0, 1));
    await fresh.commit();
    const reader = await DenseIndexReader.open(dir);
    expect([reader.embedder, reader.dimension, reader.count]).toEqual(['other', 3, 1]);
  });

  it('reader errors: no vectors, corrupt manifest, newer format', async () => {
    await expect(DenseIndexReader.open(dir)).rejects.toThrow(NotFoundError);
    const s = await DenseStore.open(dir, opts, deps);
    s.put(chunk('a#0', 'x'), v(1, 0));
    await s.commit();
    const manifestPath = join(dir, 'dense', 'dense-manifest.json');
    const good = readFileSync(manifestPath, 'utf8');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(good), formatVersion: 99 }));
    await expect(DenseIndexReader.open(dir)).rejects.toThrow(/formatVersion 99/);
    writeFileSync(manifestPath, good.slice(0, 20));
    await expect(DenseIndexReader.open(dir)).rejects.toThrow(IndexFormatError);
    writeFileSync(manifestPath, good);
    rmSync(join(dir, 'dense', JSON.parse(good).segments[0].keys));
    await expect(DenseIndexReader.open(dir)).rejects.toThrow(IndexFormatError);
  });
});
