/**
 * Retrievers over the PostgreSQL store: BM25 (and the other similarities) computed in SQL, and
 * dense maximum-inner-product search with pgvector. Same contract and hits as the retrievers over
 * the embedded index.
 */
import { InvalidParameterError } from '../core/errors.js';
import { toFilter, type FilterExpr } from '../core/filter.js';
import type { Hit } from '../core/types.js';
import type { PgStoreReader } from '../index/pg/store.js';
import { getSimilarity, resolveSimilarityParams, type SimilarityName } from '../index/sparse/similarity.js';
import type { Embedder } from '../models/types.js';
import type { ContextSource } from './context.js';
import { parseChunkId } from './dense.js';
import { hitFromChunk } from './hit.js';
import type { SparseRetrieverOptions } from './sparse.js';
import type { Retriever } from './types.js';

export class PgSparseRetriever implements Retriever {
  readonly name: string;
  private readonly opts: { similarity: SimilarityName; k1: number; b: number; delta: number; filter?: FilterExpr };

  /** @throws InvalidParameterError for an unknown similarity or k1/b/delta out of range */
  constructor(
    private readonly reader: PgStoreReader,
    opts: Omit<SparseRetrieverOptions, 'filter'> & { filter?: string | FilterExpr } = {},
  ) {
    const sim = getSimilarity(opts.similarity ?? 'bm25');
    this.name = sim.name;
    this.opts = { similarity: sim.name, ...resolveSimilarityParams(sim, opts), ...(opts.filter !== undefined ? { filter: toFilter(opts.filter) } : {}) };
  }

  async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
    signal?.throwIfAborted();
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    // Scores and chunk texts from one snapshot: a commit in between never misaligns them.
    const found = await this.reader.searchWithChunks(query, { topK, ...this.opts });
    return found.map((f, i) => hitFromChunk(f.chunk, f.hit.score, i + 1));
  }
}

export class PgDenseRetriever implements Retriever {
  readonly name = 'dense';

  private readonly filter: FilterExpr | undefined;

  /** `filter`: only matching chunks (an exact scan instead of HNSW, so k come back whenever k match). */
  constructor(
    private readonly reader: PgStoreReader,
    private readonly embedder: Embedder,
    opts: { filter?: string | FilterExpr } = {},
  ) {
    this.filter = opts.filter !== undefined ? toFilter(opts.filter) : undefined;
  }

  async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
    signal?.throwIfAborted();
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    const model = await this.reader.embeddingModel();
    if (model !== this.embedder.id) {
      throw new InvalidParameterError(`the store's vectors were made by "${model}" but the query embedder is "${this.embedder.id}"; configure the same model or re-run \`openbook index --embed --force --store <url>\``);
    }
    const [vector] = await this.embedder.embed([query], { kind: 'query', ...(signal ? { signal } : {}) });
    return this.searchVector(vector, topK);
  }

  /** Maximum inner product search by a ready vector (HyDE's average, …). */
  async searchVector(vector: Float32Array, topK: number): Promise<Hit[]> {
    const found = await this.reader.searchVectorWithChunks(vector, topK, this.filter !== undefined ? { filter: this.filter } : {});
    return found.map((f, i) => hitFromChunk(f.chunk, f.hit.score, i + 1));
  }
}

/**
 * The store as a small-to-big {@link ContextSource}: a hit's document text, headings and chunk
 * offsets by its chunk id, and document frequencies from `ob_terms`. A chunk replaced or removed
 * between the retrieval and this lookup (another commit) is dropped, as an embedded index drops
 * a chunk it no longer holds, so a window is never cut from another commit's text.
 */
export function pgContextSource(reader: PgStoreReader): ContextSource {
  return {
    async locate(hits) {
      const refs = hits.map((h) => {
        const id = parseChunkId(h.chunkId);
        return id ? { ...id, text: h.text } : undefined;
      });
      const found = await reader.chunkContexts(refs.filter((r) => r !== undefined));
      let k = 0;
      return refs.map((r) => (r ? found[k++] : undefined));
    },
    async termStats(terms) {
      const [docFreq, counts] = await Promise.all([reader.docFreqs(terms), reader.counts()]);
      return { numDocs: counts.docCount, docFreq };
    },
  };
}
