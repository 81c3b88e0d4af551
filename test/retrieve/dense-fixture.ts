/**
 * A three-document index on disk (sparse index + dense vectors) for the dense and hybrid
 * retriever tests, with a keyword-counting embedder that stands in for a real model.
 */
import { createHash } from 'node:crypto';
import type { Chunk, Document } from '../../src/core/types.js';
import { DenseStore } from '../../src/index/dense/store.js';
import { IndexWriter } from '../../src/index/store/writer.js';
import type { EmbedOptions, Embedder } from '../../src/models/types.js';

/** Stand-in for an embedding model: vector = counts of the words cat, dog, bird (not normalised). */
export class KeywordEmbedderStandIn implements Embedder {
  readonly normalized = false;
  readonly calls: Array<{ texts: string[]; kind: EmbedOptions['kind'] }> = [];
  constructor(readonly id = 'test:keywords') {}
  async dimension(): Promise<number> {
    return 3;
  }
  async embed(texts: string[], options: EmbedOptions): Promise<Float32Array[]> {
    this.calls.push({ texts, kind: options.kind });
    return texts.map((t) => {
      const words = t.toLowerCase().split(/[^a-z]+/);
      return new Float32Array(['cat', 'dog', 'bird'].map((k) => words.filter((w) => w === k).length));
    });
  }
}

export const DOCS: Array<[string, string]> = [
  ['d1', 'cat purrs'],
  ['d2', 'dog barks loudly'],
  ['d3', 'bird sings while a cat watches'],
];

export function docAndChunk(id: string, text: string): { doc: Document; chunk: Chunk } {
  const doc: Document = {
    id,
    source: `${id}.txt`,
    title: `Title ${id}`,
    text,
    format: 'txt',
    contentHash: createHash('sha256').update(text).digest('hex'),
    sizeBytes: text.length,
    mtimeMs: 0,
  };
  const chunk: Chunk = { id: `${id}#0`, docId: id, ordinal: 0, text, headingPath: [], startChar: 0, endChar: text.length, startLine: 1, endLine: 1 };
  return { doc, chunk };
}

/** Writes the sparse index and the dense vectors of `DOCS` into `dir`. */
export async function buildFixtureIndex(dir: string, embedder: Embedder): Promise<void> {
  const now = () => 1_700_000_000_000;
  const writer = await IndexWriter.open(dir, { analyzer: 'standard', chunkSize: 200, chunkOverlap: 0, noChunk: true, luceneNorms: true }, { now });
  const chunks: Chunk[] = [];
  for (const [id, text] of DOCS) {
    const { doc, chunk } = docAndChunk(id, text);
    writer.addDocument(doc, [chunk]);
    chunks.push(chunk);
  }
  await writer.commit();
  await writer.close();
  const store = await DenseStore.open(dir, { embedder: embedder.id, dimension: await embedder.dimension() }, { now });
  const todo = store.missing(chunks);
  const vectors = await embedder.embed(todo.map((c) => c.text), { kind: 'passage' });
  todo.forEach((c, i) => store.put(c, vectors[i]));
  await store.commit();
}
