/** Retrievers (sparse, dense, hybrid) and rank fusion. */
export type { Retriever } from './types.js';
export { SparseRetriever, type SparseRetrieverOptions } from './sparse.js';
export { hitFromChunk } from './hit.js';
export { DenseRetriever, parseChunkId, type ChunkSource, type DenseSearcher, type DenseRetrieverOptions } from './dense.js';
export { HybridRetriever, fusionMethods, type FusionMethod, type HybridRetrieverOptions } from './hybrid.js';
export {
  reciprocalRankFusion,
  linearFusion,
  normalizeScores,
  dedupeHits,
  scoreNormalizations,
  type RankedList,
  type FuseBy,
  type RrfOptions,
  type LinearFusionOptions,
  type ScoreNormalization,
} from './fusion.js';
export {
  CrossEncoderReranker,
  EndpointReranker,
  LlmReranker,
  CachedReranker,
  rerankHits,
  withRerank,
  rerankApis,
  rerankApiNames,
  rerankKinds,
  rerankLlmMessages,
  RERANK_LLM_PROMPT,
  DEFAULT_RERANK_DEPTH,
  type Reranker,
  type RerankKind,
  type RerankApi,
  type RerankScore,
  type RerankTraceEntry,
  type RerankOptions,
  type RerankingRetrieverOptions,
  type EndpointRerankerOptions,
  type PairClassifier,
} from './rerank.js';
