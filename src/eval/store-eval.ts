/**
 * `openbook eval retrieval --store postgres://…`: the dataset's corpus is indexed into the
 * PostgreSQL store (one document and one chunk per corpus document, exactly the eval index of
 * `runner.ts`), and its queries are scored in SQL. The store is the cache: a second run finds the
 * documents unchanged and writes nothing.
 *
 * The store must be the dataset's own: a store holding documents that are not in the corpus is
 * refused (they would change every idf), and so is one built with other index settings (analyzer,
 * length norms). Documents enter in corpus order, so the store's (seq, ordinal) order is the
 * embedded index's chunk order and ties break alike: the run equals the embedded run line for line.
 *
 * BM25 runs through `PgStoreReader.search` (scores and ids only; no chunk texts are fetched), with
 * up to {@link STORE_EVAL_CONCURRENCY} queries in flight on the pool. Dense and hybrid run through
 * the store engine's retrievers, after `embedStore` has stored the missing passage vectors.
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import { toFilter } from '../core/filter.js';
import type { EngineModels } from '../engine/engine.js';
import { PgEngine } from '../engine/pg-engine.js';
import { embedStore, maskUrl, PgStore } from '../index/pg/store.js';
import type { IndexConfig } from '../index/index.js';
import type { CorpusDoc } from './loaders/common.js';
import { roundRunScore, type Run } from './loaders/trec.js';
import { needsEmbedder, runRetrieverQueries, type EvalRetrieverConfig } from './engine-runner.js';
import { checkSearchConfig, evalIndexConfig, indexedText, toDocument, type EvalDeps, type EvalIndexConfig, type EvalSearchConfig, type QueryRunResult } from './runner.js';

/** Queries in flight at once on the store's pool (its 4 connections). */
export const STORE_EVAL_CONCURRENCY = 4;

export interface StoreEvalRun extends QueryRunResult {
  /** Seconds spent writing the corpus into the store now; 0 when it was there already. */
  indexSeconds: number;
  /** True when the store already held exactly this corpus (nothing written). */
  cached: boolean;
  /** Queries in flight at once (`queriesPerSecond` is then wall-clock batch throughput). */
  concurrency: number;
  /** The masked store URL (in place of the eval index folder). */
  dir: string;
  stats: { documents: number; terms: number; postings: number; totalTerms: number };
  embed?: { embedder: string; seconds: number; embedded: number };
}

/**
 * Indexes `corpus` into the store at `url` (incrementally) and runs `queries` on it.
 * @throws InvalidParameterError when the store holds documents that are not in the corpus, or was
 *   built with another analyzer or other length norms
 * @throws CapabilityError when dense/hybrid is asked for without an embedder
 */
export async function runStoreRetrieval(
  url: string,
  name: string,
  corpus: readonly CorpusDoc[],
  queries: ReadonlyMap<string, string>,
  index: EvalIndexConfig,
  search: EvalSearchConfig,
  retriever: EvalRetrieverConfig,
  deps: EvalDeps & { models?: EngineModels },
): Promise<StoreEvalRun> {
  checkSearchConfig(search);
  const embedder = deps.models?.embedder;
  if (needsEmbedder(retriever) && !embedder) {
    throw new CapabilityError(`--retriever ${retriever.retriever} needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR`);
  }
  const store = PgStore.connect(url);
  try {
    const indexConfig: IndexConfig = evalIndexConfig(index);
    if ((await store.config()) === null) await store.init(indexConfig);
    const t0 = deps.now();
    const writer = await store.writer({ now: deps.wallClock });
    let changed: boolean;
    try {
      const ids = new Set(corpus.map((d) => d.id));
      const foreign = [...writer.documentIds()].filter((id) => !ids.has(id));
      if (foreign.length > 0) {
        throw new InvalidParameterError(
          `the store ${maskUrl(url)} holds ${foreign.length} document${foreign.length === 1 ? '' : 's'} that ${foreign.length === 1 ? 'is' : 'are'} not in ${name} (e.g. ${JSON.stringify(foreign[0])}); eval needs a database of its own for each dataset`,
        );
      }
      const cfg = writer.config;
      if (cfg.analyzer !== indexConfig.analyzer || cfg.luceneNorms !== indexConfig.luceneNorms || (cfg.titleTerms === true) !== indexConfig.titleTerms) {
        const what = (c: IndexConfig) => `analyzer ${c.analyzer}, ${c.luceneNorms ? 'Lucene norms' : 'exact lengths'} and ${c.titleTerms === true ? 'title terms' : 'no title terms'}`;
        throw new InvalidParameterError(`the store ${maskUrl(url)} was built with ${what(cfg)}, not ${what(indexConfig)}; use another database`);
      }
      // addDocuments waits while the writer's batches are in flight: memory stays bounded for a corpus of any size
      await writer.addDocuments(
        (function* () {
          for (const doc of corpus) {
            const { document, chunk } = toDocument(doc, indexedText(doc, index.fields), name);
            yield { doc: document, chunks: [chunk] };
          }
        })(),
      );
      if (writer.dirty) deps.onProgress?.(`indexing ${corpus.length} documents of ${name} (analyzer ${index.analyzer}, fields ${index.fields}) into ${maskUrl(url)}`);
      changed = (await writer.commit()).changed;
    } finally {
      await writer.close();
    }
    const indexSeconds = changed ? (deps.now() - t0) / 1000 : 0;
    let embed: StoreEvalRun['embed'];
    if (needsEmbedder(retriever) && embedder) {
      const e0 = deps.now();
      const e = await embedStore(store, {
        model: embedder.id,
        dimension: await embedder.dimension(),
        embed: (texts, signal) => embedder.embed(texts, { kind: 'passage', ...(signal ? { signal } : {}) }),
      });
      embed = { embedder: embedder.id, seconds: (deps.now() - e0) / 1000, embedded: e.embedded };
    }
    const s = await store.stats();
    const stats = { documents: s.numDocuments, terms: s.numTerms, postings: s.numPostings, totalTerms: s.sumDocLen };
    let result: QueryRunResult;
    let concurrency = 1;
    if (retriever.retriever === 'bm25') {
      concurrency = STORE_EVAL_CONCURRENCY;
      result = await runStoreBm25(store, queries, search, deps.now, concurrency);
    } else {
      const engine = await PgEngine.open(url, deps.models ?? {});
      try {
        const r = await engine.retriever({
          retriever: retriever.retriever,
          similarity: search.similarity,
          k1: search.k1,
          b: search.b,
          ...(search.delta !== undefined ? { delta: search.delta } : {}),
          ...(search.filter !== undefined ? { filter: search.filter } : {}),
          ...(retriever.fusion !== undefined ? { fusion: retriever.fusion } : {}),
          ...(retriever.rrfK !== undefined ? { rrfK: retriever.rrfK } : {}),
          ...(retriever.alpha !== undefined ? { alpha: retriever.alpha } : {}),
        });
        result = await runRetrieverQueries(r, queries, search.topK, deps.now);
      } finally {
        await engine.close();
      }
    }
    return { ...result, indexSeconds, cached: !changed, concurrency, dir: maskUrl(url), stats, ...(embed ? { embed } : {}) };
  } finally {
    await store.close();
  }
}

/** BM25 (or another similarity) in SQL for every query, `concurrency` at a time; scores rounded as the run file writes them. */
async function runStoreBm25(store: PgStore, queries: ReadonlyMap<string, string>, search: EvalSearchConfig, now: () => number, concurrency: number): Promise<QueryRunResult> {
  const reader = await store.reader();
  const docOfSeq = await reader.documentIdsBySeq();
  const entries = [...queries];
  const out: Array<Array<{ docId: string; score: number }>> = new Array(entries.length);
  // The filter is applied inside the scoring statement, as on the embedded index (eval --filter).
  const opts = { topK: search.topK, similarity: search.similarity, k1: search.k1, b: search.b, ...(search.delta === undefined ? {} : { delta: search.delta }), ...(search.filter === undefined ? {} : { filter: toFilter(search.filter) }) };
  let next = 0;
  const t0 = now();
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const hits = await reader.search(entries[i][1], opts);
      out[i] = hits.map((h) => ({ docId: docOfSeq.get(h.seq)!, score: roundRunScore(h.score) }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, entries.length)) }, worker));
  const searchSeconds = (now() - t0) / 1000;
  const run: Run = new Map();
  entries.forEach(([qid], i) => run.set(qid, out[i]));
  return { run, searchSeconds, queriesPerSecond: searchSeconds > 0 ? queries.size / searchSeconds : 0 };
}
