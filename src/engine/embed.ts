/**
 * `index --embed`: passage embeddings for every chunk of the last commit, in batches, stored
 * under `<index>/dense/` with the same atomic-commit rules as the sparse index.
 *
 * Resumable: vectors are keyed by chunk id + a hash of the chunk text, so after an
 * interruption only chunks without a vector are sent again; vectors of chunks that left the
 * index are dropped. Intermediate commits every `commitEvery` vectors keep finished work safe.
 */
import type { Embedder } from '../models/types.js';
import { DenseStore } from '../index/dense/index.js';
import { IndexReader } from '../index/index.js';

export interface EmbedOptions {
  indexDir: string;
  embedder: Embedder;
  /** Discard stored vectors (e.g. after changing the model). */
  reset?: boolean;
  /** Texts per embedding request, ≥ 1. Default 64. */
  batchSize?: number;
  /** Vectors between intermediate commits. Default 4,096. */
  commitEvery?: number;
  now: () => number;
  onProgress?: (p: { embedded: number; total: number; alreadyStored: number }) => void;
  signal?: AbortSignal;
}

export interface EmbedSummary {
  /** Chunks embedded in this run. */
  embedded: number;
  /** Chunks whose vector was already stored and still current. */
  alreadyStored: number;
  /** Vectors dropped because their chunk changed or left the index. */
  removed: number;
  total: number;
  dimension: number;
  seconds: number;
}

/** Embeds the chunks of the last commit of `indexDir` that have no current vector. */
export async function embedIndex(o: EmbedOptions): Promise<EmbedSummary> {
  const started = o.now();
  const reader = await IndexReader.open(o.indexDir);
  const n = reader.stats().numChunks;
  const chunks: Array<{ id: string; text: string }> = [];
  for (let i = 0; i < n; i++) {
    const c = reader.chunk(i);
    chunks.push({ id: c.id, text: c.title && !c.text.startsWith(c.title) ? `${c.title}\n${c.text}` : c.text });
  }
  const dimension = await o.embedder.dimension();
  const store = await DenseStore.open(o.indexDir, { embedder: o.embedder.id, dimension, reset: o.reset ?? false }, { now: o.now });
  const removed = store.retain(chunks.map((c) => c.id));
  const todo = store.missing(chunks);
  const alreadyStored = chunks.length - todo.length;
  const batchSize = o.batchSize ?? 64;
  const commitEvery = o.commitEvery ?? 4096;
  let embedded = 0;
  o.onProgress?.({ embedded, total: todo.length, alreadyStored });
  for (let i = 0; i < todo.length; i += batchSize) {
    o.signal?.throwIfAborted();
    const batch = todo.slice(i, i + batchSize);
    const vectors = await o.embedder.embed(batch.map((c) => c.text), { kind: 'passage', ...(o.signal ? { signal: o.signal } : {}) });
    batch.forEach((c, k) => store.put(c, vectors[k]));
    embedded += batch.length;
    if (store.pending >= commitEvery) await store.commit({ buildIndex: false });
    o.onProgress?.({ embedded, total: todo.length, alreadyStored });
  }
  if (store.dirty || removed > 0) await store.commit();
  return { embedded, alreadyStored, removed, total: chunks.length, dimension, seconds: (o.now() - started) / 1000 };
}
