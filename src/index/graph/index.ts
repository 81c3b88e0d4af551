/** The link graph of the indexed documents and its PageRank, stored under `<index>/graph/`. */
export { buildGraph, candidatePaths, LinkResolver, outDegree, stripFragment, type BuildGraphOptions, type LinkCounts, type LinkedDocument, type LinkGraph } from './link-graph.js';
export { DEFAULT_DAMPING, DEFAULT_MAX_ITERATIONS, DEFAULT_TOLERANCE, pageRank, type PageRankOptions, type PageRankResult } from './pagerank.js';
export {
  buildLinkGraph,
  computeLinkGraph,
  loadDocumentRecords,
  decodeEdges,
  encodeEdges,
  GRAPH_DIR,
  GRAPH_FORMAT_VERSION,
  GRAPH_MANIFEST,
  readLinkGraph,
  writeLinkGraph,
  type GraphManifest,
  type LinkGraphSummary,
  type StoredLinkGraph,
} from './store.js';
