/**
 * Metadata filters on the PostgreSQL store are exact and equal the embedded index's (#16 item 2):
 * on random corpora (the metadata of test/retrieve/filter-property.test.ts: format, folder, path
 * globs, tags, year, mtime dates, reviewed, title, heading path, page), random filters, queries
 * and k, BM25 and TF-IDF in SQL with a filter return the embedded index's filtered hits (ids and
 * scores), which that property test pins to brute force; here too no filtered-out chunk ever comes
 * back and k hits come back whenever k matching chunks score. Dense search on the store with a
 * filter (the keyword-counting embedder stands in for a model) returns only matching chunks, and
 * min(k, matching) of them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesFilter, parseFilter } from '../../src/core/filter.js';
import { mulberry32 } from '../../src/core/random.js';
import type { Chunk, DocFormat, Document } from '../../src/core/types.js';
import { PgEngine } from '../../src/engine/pg-engine.js';
import { embedStore, PgStore } from '../../src/index/pg/store.js';
import { chunkMetadata } from '../../src/index/store/metadata.js';
import { IndexReader } from '../../src/index/store/reader.js';
import { IndexWriter } from '../../src/index/store/writer.js';
import type { EmbedOptions, Embedder } from '../../src/models/types.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const available = pgAvailable();
const VOCAB = ['cat', 'dog', 'bird', 'fish', 'tree', 'rock', 'river', 'moon'];
const TAGS = ['보안', '계약', 'hr'];
const FORMATS: DocFormat[] = ['txt', 'md', 'pdf'];
const config = { analyzer: 'standard', chunkSize: 200, chunkOverlap: 0, noChunk: false, luceneNorms: true };

/** Vector = counts of the vocabulary words (a stand-in for an embedding model). */
class VocabCountEmbedder implements Embedder {
  readonly id = 'test:vocab-counts';
  readonly normalized = false;
  async dimension(): Promise<number> {
    return VOCAB.length;
  }
  async embed(texts: string[], _o: EmbedOptions): Promise<Float32Array[]> {
    return texts.map((t) => {
      const w = t.toLowerCase().split(/[^a-z]+/);
      return Float32Array.from(VOCAB, (v) => w.filter((x) => x === v).length);
    });
  }
}

function randomDocs(rng: () => number): Array<{ doc: Document; chunks: Chunk[] }> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  const out: Array<{ doc: Document; chunks: Chunk[] }> = [];
  const numDocs = 15 + Math.floor(rng() * 30);
  for (let d = 0; d < numDocs; d++) {
    const parts = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => Array.from({ length: 2 + Math.floor(rng() * 6) }, () => pick(VOCAB)).join(' '));
    const text = parts.join('\n');
    const format = pick(FORMATS);
    const folder = pick(['a', 'a/b', 'c']);
    const id = `${folder}/d${d}.${format}`;
    const tags = TAGS.filter(() => rng() < 0.4);
    const doc: Document = {
      id,
      source: id,
      title: `doc ${d}`,
      text,
      format,
      contentHash: createHash('sha256').update(text + id).digest('hex'),
      sizeBytes: text.length,
      mtimeMs: Date.UTC(2023, 0, 1) + Math.floor(rng() * 3 * 365) * 86_400_000,
      meta: { tags, year: 2022 + Math.floor(rng() * 4), lang: 'en', ...(rng() < 0.5 ? { reviewed: rng() < 0.5 } : {}) },
    };
    const chunks: Chunk[] = [];
    let at = 0;
    parts.forEach((p, i) => {
      chunks.push({
        id: `${id}#${i}`,
        docId: id,
        ordinal: i,
        text: p,
        headingPath: pick([[], ['Intro'], ['Intro', 'Details']]),
        startChar: at,
        endChar: at + p.length,
        startLine: i + 1,
        endLine: i + 1,
        ...(format === 'pdf' ? { page: 1 + Math.floor(rng() * 3) } : {}),
      });
      at += p.length + 1;
    });
    out.push({ doc, chunks });
  }
  return out;
}

/** A random filter in the text language, over document and chunk fields. */
function randomFilter(rng: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  if (depth < 2 && rng() < 0.45) {
    const op = pick(['AND', 'OR']);
    return `(${randomFilter(rng, depth + 1)} ${op} ${randomFilter(rng, depth + 1)})`;
  }
  if (depth < 2 && rng() < 0.15) return `NOT ${randomFilter(rng, depth + 1)}`;
  const atoms = [
    () => `format = "${pick(FORMATS)}"`,
    () => `format IN ["${pick(FORMATS)}", "${pick(FORMATS)}"]`,
    () => `tags CONTAINS "${pick(TAGS)}"`,
    () => `year ${pick(['=', '!=', '<', '<=', '>', '>='])} ${2022 + Math.floor(rng() * 4)}`,
    () => `mtime >= ${2023 + Math.floor(rng() * 3)}-0${1 + Math.floor(rng() * 9)}-01`,
    () => `path GLOB "${pick(['a/**', 'a/*', 'c/*.pdf', '**/d1*'])}"`,
    () => `folder = "${pick(['a', 'a/b', 'c'])}"`,
    () => `headingPath CONTAINS "${pick(['Intro', 'Details'])}"`,
    () => `page ${pick(['=', '>='])} ${1 + Math.floor(rng() * 3)}`,
    () => `reviewed = ${pick(['true', 'false'])}`,
    () => `title = "doc ${Math.floor(rng() * 20)}"`,
  ];
  return pick(atoms)();
}


describe.skipIf(!available)('filters on the PostgreSQL store equal the embedded index (property test, random corpora)', () => {
  let cluster: PgCluster;
  const roots: string[] = [];
  beforeAll(async () => {
    cluster = startPgCluster(0);
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    for (let i = 0; i < 4; i++) await c.query(`CREATE DATABASE filt${i}`);
    await c.end();
  }, 60_000);
  afterAll(() => {
    cluster?.stop();
    roots.forEach((r) => rmSync(r, { recursive: true, force: true }));
  });

  it('BM25 and TF-IDF with random filters: the embedded hits, ids and scores; dense: only matching chunks, min(k, matching)', async () => {
    const rng = mulberry32(1416);
    const embedder = new VocabCountEmbedder();
    let checked = 0;
    let nonTrivial = 0;
    for (let round = 0; round < 4; round++) {
      const docs = randomDocs(rng);
      const dir = mkdtempSync(join(tmpdir(), 'openbook-pg-filter-'));
      roots.push(dir);
      const now = () => 1_700_000_000_000;
      const w = await IndexWriter.open(dir, config, { now });
      for (const d of docs) w.addDocument(d.doc, d.chunks);
      await w.commit();
      await w.close();
      const reader = await IndexReader.open(dir);
      const url = cluster.url.replace(/\/[^/?]+(\?|$)/, `/filt${round}$1`);
      const store = PgStore.connect(url);
      await store.init(config);
      const pw = await store.writer({ now });
      for (const d of docs) pw.addDocument(d.doc, d.chunks);
      await pw.commit();
      await pw.close();
      await embedStore(store, { model: embedder.id, dimension: VOCAB.length, embed: (t) => embedder.embed(t, { kind: 'passage' }) });
      await store.close();
      const engine = await PgEngine.open(url, { embedder });
      try {
        const meta = new Map(docs.flatMap((d) => d.chunks.map((ch) => [ch.id, chunkMetadata({ ...d.doc, text: undefined } as never, ch)] as const)));
        for (let t = 0; t < 25; t++) {
          const filter = randomFilter(rng);
          const allowed = new Set([...meta].filter(([, m]) => matchesFilter(parseFilter(filter), m)).map(([id]) => id));
          const k = 1 + Math.floor(rng() * 12);
          const q = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => VOCAB[Math.floor(rng() * VOCAB.length)]).join(' ');
          for (const similarity of ['bm25', 'tfidf'] as const) {
            const emb = reader.search(q, { topK: k, similarity, filter: reader.filterBits(filter) }).map((h) => [reader.chunk(h.chunk).id, h.score]);
            const got = (await engine.search(q, { topK: k, similarity, filter })).map((h) => [h.chunkId, h.score]);
            expect([filter, q, k, similarity, got]).toEqual([filter, q, k, similarity, emb]);
            for (const [id] of got) expect(allowed.has(id as string)).toBe(true);
            checked++;
            if (got.length > 0 && allowed.size < meta.size) nonTrivial++;
          }
          const dense = await engine.search(q, { topK: k, retriever: 'dense', filter });
          for (const h of dense) expect([filter, h.chunkId, allowed.has(h.chunkId)]).toEqual([filter, h.chunkId, true]);
          expect([filter, dense.length]).toEqual([filter, Math.min(k, allowed.size)]);
        }
      } finally {
        await engine.close();
      }
    }
    expect(checked).toBe(200);
    expect(nonTrivial).toBeGreaterThan(40);
  }, 240_000);
});
