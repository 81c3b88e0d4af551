/**
 * Metadata filters are exact in every retriever: on random corpora, random filters and random k,
 * BM25 (impact and exhaustive paths), TF-IDF, dense (exact index and HNSW) and hybrid retrieval with a
 * filter return exactly brute-force filter-then-rank — rank every chunk without the filter,
 * drop those whose metadata fail it (`matchesFilter` over `chunkMetadata`, a separate code path
 * from the reader's bitset), keep the first k. No filtered-out chunk ever comes back, and k hits
 * come back whenever k chunks match (and score). The keyword-counting embedder stands in for a
 * real model.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matchesFilter, parseFilter, type FilterExpr } from '../../src/core/filter.js';
import { mulberry32 } from '../../src/core/random.js';
import type { Chunk, DocFormat, Document, Hit } from '../../src/core/types.js';
import { DenseIndexReader, DenseStore } from '../../src/index/dense/store.js';
import { chunkMetadata } from '../../src/index/store/metadata.js';
import { IndexReader } from '../../src/index/store/reader.js';
import { IndexWriter } from '../../src/index/store/writer.js';
import type { EmbedOptions, Embedder } from '../../src/models/types.js';
import { DenseRetriever } from '../../src/retrieve/dense.js';
import { hitFromChunk } from '../../src/retrieve/hit.js';
import { HybridRetriever } from '../../src/retrieve/hybrid.js';
import { SparseRetriever } from '../../src/retrieve/sparse.js';
import type { Retriever } from '../../src/retrieve/types.js';

const VOCAB = ['cat', 'dog', 'bird', 'fish', 'tree', 'rock', 'river', 'moon'];
const TAGS = ['보안', '계약', 'hr'];
const FORMATS: DocFormat[] = ['txt', 'md', 'pdf'];

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

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

interface Corpus {
  reader: IndexReader;
  dense: DenseIndexReader;
  /** The same vectors behind an HNSW graph. */
  hnsw: DenseIndexReader;
  docs: Document[];
  chunks: Chunk[];
}

async function randomCorpus(rng: () => number): Promise<Corpus> {
  const dir = mkdtempSync(join(tmpdir(), 'openbook-filter-prop-'));
  roots.push(dir);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  const now = () => 1_700_000_000_000;
  const writer = await IndexWriter.open(dir, { analyzer: 'standard', chunkSize: 200, chunkOverlap: 0, noChunk: false, luceneNorms: true }, { now });
  const docs: Document[] = [];
  const chunks: Chunk[] = [];
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
    const docChunks: Chunk[] = [];
    let at = 0;
    parts.forEach((p, i) => {
      docChunks.push({
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
    writer.addDocument(doc, docChunks);
    docs.push(doc);
    chunks.push(...docChunks);
  }
  await writer.commit();
  await writer.close();
  const embedder = new VocabCountEmbedder();
  const store = await DenseStore.open(dir, { embedder: embedder.id, dimension: VOCAB.length, indexKind: 'exact' }, { now });
  const vectors = await embedder.embed(chunks.map((c) => c.text), { kind: 'passage' });
  chunks.forEach((c, i) => store.put(c, vectors[i]));
  await store.commit();
  // The same vectors behind an HNSW graph (usearch), for filtered approximate search.
  return { reader: await IndexReader.open(dir), dense: await DenseIndexReader.open(dir), hnsw: await DenseIndexReader.open(dir, { kind: 'hnsw', hnsw: { addThreads: 1 } }), docs, chunks };
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

/** Brute force: the unfiltered ranking of every chunk, then the filter, then the first k. */
function bruteForce(all: Hit[], allowed: Set<string>, k: number): Array<[string, number]> {
  return all
    .filter((h) => allowed.has(h.chunkId))
    .slice(0, k)
    .map((h) => [h.chunkId, h.score]);
}

const pairs = (hits: Hit[]) => hits.map((h): [string, number] => [h.chunkId, h.score]);

describe('metadata filters are exact in every retriever (property test, random corpora; a keyword embedder stands in for a model)', () => {
  it('BM25, TF-IDF, dense and hybrid with a filter equal brute-force filter-then-rank for random filters and k', async () => {
    const rng = mulberry32(20261203);
    let checked = 0;
    let nonTrivial = 0;
    for (let corpusNo = 0; corpusNo < 4; corpusNo++) {
      const c = await randomCorpus(rng);
      const numChunks = c.reader.stats().numChunks;
      const docById = new Map(c.docs.map((d) => [d.id, d]));
      const embedder = new VocabCountEmbedder();
      for (let trial = 0; trial < 25; trial++) {
        const filterText = randomFilter(rng);
        const expr: FilterExpr = parseFilter(filterText);
        const allowed = new Set(c.chunks.filter((ch) => matchesFilter(expr, chunkMetadata(c.reader.document(ch.docId)!, ch))).map((ch) => ch.id));
        expect(docById.size).toBe(c.docs.length);
        const query = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => VOCAB[Math.floor(rng() * VOCAB.length)]).join(' ');
        const k = 1 + Math.floor(rng() * 10);
        const what = `corpus ${corpusNo}, filter ${filterText}, query "${query}", k ${k}`;
        if (allowed.size > 0 && allowed.size < numChunks) nonTrivial++;
        for (const similarity of ['bm25', 'tfidf', 'bm25l'] as const) {
          const full = await new SparseRetriever(c.reader, { similarity }).retrieve(query, numChunks);
          const got = await new SparseRetriever(c.reader, { similarity, filter: filterText }).retrieve(query, k);
          expect(pairs(got), `${similarity}: ${what}`).toEqual(bruteForce(full, allowed, k));
          // the JSON form gives the same
          expect(pairs(await new SparseRetriever(c.reader, { similarity, filter: expr }).retrieve(query, k))).toEqual(pairs(got));
        }
        const fullDense = await new DenseRetriever(c.reader, c.dense, embedder).retrieve(query, numChunks);
        const gotDense = await new DenseRetriever(c.reader, c.dense, embedder, { allow: c.reader.filterBits(filterText) }).retrieve(query, k);
        expect(pairs(gotDense), `dense: ${what}`).toEqual(bruteForce(fullDense, allowed, k));
        expect(gotDense.length).toBe(Math.min(k, allowed.size));
        // Over HNSW: only allowed chunks, k of them whenever k match, and (on graphs this small,
        // widened past filtered-out vectors) the brute-force scores; ties may come in another order.
        const gotHnsw = await new DenseRetriever(c.reader, c.hnsw, embedder, { allow: c.reader.filterBits(filterText) }).retrieve(query, k);
        expect(gotHnsw.every((h) => allowed.has(h.chunkId)), `hnsw: ${what}`).toBe(true);
        expect(gotHnsw.length, `hnsw: ${what}`).toBe(Math.min(k, allowed.size));
        expect(gotHnsw.map((h) => h.score.toFixed(5)), `hnsw: ${what}`).toEqual(bruteForce(fullDense, allowed, k).map(([, s]) => s.toFixed(5)));
        // Hybrid over the filtered retrievers = hybrid over brute-force filtered lists.
        const sparseFull = await new SparseRetriever(c.reader).retrieve(query, numChunks);
        const listRetriever = (name: string, full: Hit[]): Retriever => ({
          name,
          retrieve: async (_q, topK) => full.filter((h) => allowed.has(h.chunkId)).slice(0, topK).map((h, i) => ({ ...h, rank: i + 1 })),
        });
        const hybrid = new HybridRetriever(new SparseRetriever(c.reader, { filter: filterText }), new DenseRetriever(c.reader, c.dense, embedder, { allow: c.reader.filterBits(filterText) }));
        const reference = new HybridRetriever(listRetriever('bm25', sparseFull), listRetriever('dense', fullDense));
        const gotHybrid = await hybrid.retrieve(query, k);
        expect(pairs(gotHybrid), `hybrid: ${what}`).toEqual(pairs(await reference.retrieve(query, k)));
        expect(gotHybrid.every((h) => allowed.has(h.chunkId))).toBe(true);
        expect(gotHybrid.length).toBe(Math.min(k, allowed.size));
        checked++;
      }
    }
    expect(checked).toBe(100);
    // the random filters must actually cut: most trials keep some chunks and drop others
    expect(nonTrivial).toBeGreaterThan(50);
  }, 120_000);

  it('chunk fields come from the chunk (headingPath, page) and document fields from its document; a bad filter names the column', async () => {
    const c = await randomCorpus(mulberry32(7));
    const bits = c.reader.filterBits('headingPath CONTAINS "Details" AND format = "pdf"');
    c.chunks.forEach((ch, n) => {
      const doc = c.reader.document(ch.docId)!;
      expect(bits[n], ch.id).toBe(doc.format === 'pdf' && ch.headingPath.includes('Details') ? 1 : 0);
      expect(c.reader.chunk(n).id).toBe(ch.id);
    });
    expect(() => c.reader.filterBits('format = "pdf" AND AND year > 1')).toThrow(/column 20/);
    const fields = c.reader.metadataFields();
    expect(fields.find((f) => f.field === 'tags')).toMatchObject({ types: ['string[]'] });
    expect(fields.find((f) => f.field === 'mtime')).toMatchObject({ types: ['date'], documents: c.docs.length });
    expect(fields.find((f) => f.field === 'year')).toMatchObject({ types: ['number'], documents: c.docs.length });
    expect(hitFromChunk(c.reader.chunk(0), 1, 1).chunkId).toBe(c.chunks[0].id);
  });
});
