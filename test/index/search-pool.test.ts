import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexFormatError, IndexNotFoundError, InvalidParameterError } from '../../src/core/errors.js';
import { mulberry32 } from '../../src/core/random.js';
import { IndexReader, IndexWriter, MANIFEST_FILE, SearchPool, type IndexConfig, type Manifest } from '../../src/index/index.js';
import { makeDoc, stepClock, tempDir } from './helpers.js';

// Workers open indexes by analyzer name, so this index uses the registry's "standard" analyzer.
const config: IndexConfig = { analyzer: 'standard', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };

// A Zipf-ish vocabulary: word i is drawn with weight 1/(i+1), so some terms are common (long
// postings, many tied scores) and most are rare.
const VOCAB = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}x`);
const CUM = (() => {
  const c: number[] = [];
  let s = 0;
  for (let i = 0; i < VOCAB.length; i++) c.push((s += 1 / (i + 1)));
  return c;
})();
function word(rand: () => number): string {
  const u = rand() * CUM[CUM.length - 1];
  let i = 0;
  while (CUM[i] < u) i++;
  return VOCAB[i];
}
const words = (rand: () => number, n: number) => Array.from({ length: n }, () => word(rand)).join(' ');

let dir: string;
let cleanup: () => Promise<void>;
let reader: IndexReader;
let pool: SearchPool;
let queries: string[];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('openbook-search-pool-'));
  const rand = mulberry32(4);
  const w = await IndexWriter.open(dir, config, { now: stepClock() });
  // 250 documents of 1–3 paragraphs (chunks) of 3–40 words.
  for (let d = 0; d < 250; d++) {
    const paragraphs = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => words(rand, 3 + Math.floor(rand() * 38)));
    const { doc, chunks } = makeDoc(`d${d}`, paragraphs.join('\n\n'));
    w.addDocument(doc, chunks);
  }
  await w.commit();
  await w.close();
  reader = await IndexReader.open(dir);
  // 200 seeded queries of 1–6 words; every tenth also has a word absent from the index.
  const qrand = mulberry32(11);
  queries = Array.from({ length: 200 }, (_, i) => words(qrand, 1 + Math.floor(qrand() * 6)) + (i % 10 === 0 ? ' absentword' : ''));
  pool = await SearchPool.open(dir, { threads: 2 });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await cleanup?.();
});

describe('SearchPool over a real index', () => {
  it('gives exactly the serial reader.search results for 200 seeded queries, in input order (threads 2)', async () => {
    expect(pool.threads).toBe(2);
    expect(pool.generation).toBe(1);
    for (const opts of [{ topK: 10 }, { topK: 1000, similarity: 'bm25l' as const, k1: 1.2, b: 0.75 }, { topK: 3, similarity: 'tfidf' as const }]) {
      const serial = queries.map((q) => reader.search(q, opts));
      const batch = await pool.searchBatch(queries, opts);
      expect(batch).toEqual(serial);
      // Not vacuous: most queries match something, and result lists reach topK.
      expect(serial.filter((r) => r.length > 0).length).toBeGreaterThan(190);
      expect(Math.max(...serial.map((r) => r.length))).toBeGreaterThanOrEqual(Math.min(opts.topK, 100));
    }
  });

  it('searchBatchPacked holds the same hits as flat typed arrays', async () => {
    const opts = { topK: 20 };
    const serial = queries.map((q) => reader.search(q, opts));
    const packed = await pool.searchBatchPacked(queries, opts);
    expect(packed.offsets.length).toBe(201);
    expect(packed.offsets[200]).toBe(serial.reduce((n, r) => n + r.length, 0));
    const unpacked = serial.map((_, i) =>
      Array.from({ length: packed.offsets[i + 1] - packed.offsets[i] }, (_, j) => ({ chunk: packed.chunks[packed.offsets[i] + j], score: packed.scores[packed.offsets[i] + j] })),
    );
    expect(unpacked).toEqual(serial);
    expect(await pool.searchBatchPacked([], opts)).toEqual({ offsets: new Uint32Array(1), chunks: new Uint32Array(0), scores: new Float64Array(0) });
  });

  it('searchTermsBatch equals reader.searchTerms, with blocks smaller than the batch', async () => {
    const small = await SearchPool.open(dir, { threads: 2, blockSize: 7 });
    try {
      const terms = queries.slice(0, 50).map((q) => q.split(' '));
      const batch = await small.searchTermsBatch(terms, { topK: 5 });
      expect(batch).toEqual(terms.map((t) => reader.searchTerms(t, { topK: 5 })));
      // Two batches in flight at once share the queue and still come back in their own order.
      const [a, b] = await Promise.all([small.searchBatch(queries.slice(0, 30), { topK: 4 }), small.searchBatch(queries.slice(30, 61), { topK: 4 })]);
      expect([...a, ...b]).toEqual(queries.slice(0, 61).map((q) => reader.search(q, { topK: 4 })));
    } finally {
      await small.close();
    }
  });

  it('an empty query list gives []', async () => {
    expect(await pool.searchBatch([], { topK: 10 })).toEqual([]);
    expect(await pool.searchTermsBatch([], { topK: 10 })).toEqual([]);
  });

  it('bad search options reject the batch with the reader\'s error class, naming worker and block; the pool stays usable', async () => {
    const err = await pool.searchBatch(queries.slice(0, 3), { topK: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidParameterError);
    // 3 queries over 2 workers → blocks of ⌈3/(4·2)⌉ = 1 query; whichever answers first rejects the batch
    expect((err as Error).message).toMatch(/topK.*-1.*\(search worker [01] of 2, queries ([0-2])–\1 of the batch\)/);
    expect(await pool.searchBatch(queries.slice(0, 2), { topK: 2 })).toEqual(queries.slice(0, 2).map((q) => reader.search(q, { topK: 2 })));
  });

  it('threads 1 runs one worker with the same results', async () => {
    const one = await SearchPool.open(dir, { threads: 1 });
    try {
      expect(one.threads).toBe(1);
      expect(await one.searchBatch(queries.slice(0, 20), { topK: 7 })).toEqual(queries.slice(0, 20).map((q) => reader.search(q, { topK: 7 })));
    } finally {
      await one.close();
    }
  });
});

describe('SearchPool failures reject, never hang', () => {
  it('close() twice is fine; a batch after close rejects with SEARCH_POOL_CLOSED', async () => {
    const p = await SearchPool.open(dir, { threads: 1 });
    // The batch posted before close either finished first or was rejected by close: never pending.
    const outcome = p.searchBatch(queries, { topK: 10 }).then(
      (r) => r.length,
      (e: { code?: string }) => e.code,
    );
    await p.close();
    await p.close();
    expect([200, 'SEARCH_POOL_CLOSED']).toContain(await outcome);
    await expect(p.searchBatch(['x'], { topK: 1 })).rejects.toMatchObject({ code: 'SEARCH_POOL_CLOSED' });
  });

  it('a directory without an index rejects with IndexNotFoundError naming it', async () => {
    const missing = join(dir, 'no-such-index');
    const err = await SearchPool.open(missing, { threads: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexNotFoundError);
    expect((err as Error).message).toContain(`no index at ${missing}`);
  });

  it('a corrupt index file makes the workers fail to open: IndexFormatError naming the worker and the file', async () => {
    const { dir: bad, cleanup: cleanBad } = await tempDir('openbook-search-pool-bad-');
    try {
      const w = await IndexWriter.open(bad, config, { now: stepClock() });
      w.addDocument(makeDoc('a', 'alpha beta gamma').doc, makeDoc('a', 'alpha beta gamma').chunks);
      await w.commit();
      await w.close();
      const manifest = JSON.parse(await readFile(join(bad, MANIFEST_FILE), 'utf8')) as Manifest;
      const postings = join(bad, manifest.files.postings.name);
      const bytes = await readFile(postings);
      bytes[bytes.length - 1] ^= 0xff; // same size, wrong CRC-32
      await writeFile(postings, bytes);
      const err = await SearchPool.open(bad, { threads: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IndexFormatError);
      expect((err as Error).message).toMatch(/^search worker [01] of 2 could not open index .*: index file .*postings fails its CRC-32 check/);
    } finally {
      await cleanBad();
    }
  });

  it('workers refuse a generation other than the pinned one: INDEX_CHANGED', async () => {
    await expect(SearchPool.open(dir, { threads: 1, generation: 2 })).rejects.toMatchObject({
      code: 'INDEX_CHANGED',
      message: expect.stringMatching(/^index .* holds generation 1, not the requested generation 2 \(search worker 0 of 1\); open the pool on the generation/),
    });
  });

  it('a worker that dies mid-batch rejects the batch with SEARCH_WORKER_FAILED, and later calls too', async () => {
    const p = await SearchPool.open(dir, { threads: 2 });
    try {
      // Reaching into the pool to kill a worker: terminate() takes effect before it can answer.
      const { workers } = p as unknown as { workers: { worker: Worker }[] };
      void workers[1].worker.terminate();
      const err = await p.searchBatch(queries, { topK: 10 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SEARCH_WORKER_FAILED' });
      expect((err as Error).message).toMatch(/^search worker 1 of 2 on index .* exited with code 1 while running queries \d+–\d+ of the batch; the pool is closed/);
      await expect(p.searchBatch(['x'], { topK: 1 })).rejects.toMatchObject({ code: 'SEARCH_WORKER_FAILED' });
    } finally {
      await p.close();
    }
  });

  it('checks threads and blockSize before starting anything', async () => {
    await expect(SearchPool.open(dir, { threads: 0 })).rejects.toThrow('SearchPool threads must be an integer from 1 to 256, got 0');
    await expect(SearchPool.open(dir, { threads: 1, blockSize: 0 })).rejects.toThrow('SearchPool blockSize must be an integer ≥ 1, got 0');
  });
});
