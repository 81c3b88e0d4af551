/**
 * The link graph and its PageRank vector stored with the index, under `<indexDir>/graph/`.
 *
 * Layout (format version 1; G = the sparse index generation the graph was built from):
 *
 * | file                    | content |
 * |-------------------------|---------|
 * | `g<G>.docids.json`      | JSON array of document ids, node order |
 * | `g<G>.edges`            | little-endian Uint32: numNodes, numEdges, offsets[numNodes + 1], targets[numEdges] (CSR) |
 * | `g<G>.pagerank`         | little-endian Float64 PR per node (sums to 1) |
 * | `graph-manifest.json`   | the commit point: generation, counts, PageRank settings, each file's size and CRC-32 |
 *
 * Every file is written temp → fsync → rename (`writeFileDurable`), the folder is fsynced, and the
 * manifest is written last, so a reader sees the previous complete graph or the new one. Files of
 * other generations are removed after the new manifest is in place. The caller holds the index's
 * writer lock (the indexer calls {@link buildLinkGraph} right after `commit()`).
 *
 * A stored graph whose `indexGeneration` differs from the index's current generation is stale:
 * {@link readLinkGraph} reports that and the caller decides (recompute, or warn).
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { IndexFormatError, IndexNotFoundError } from '../../core/errors.js';
import { fsyncDir, manifestText, readJsonManifest, TMP_SUFFIX, writeFileDurable } from '../store/atomic-file.js';
import { checksum, type DocumentRecord } from '../store/format.js';
import { readManifest } from '../store/load.js';
import { buildGraph, type LinkCounts, type LinkGraph, type LinkedDocument } from './link-graph.js';
import { pageRank, type PageRankOptions, type PageRankResult } from './pagerank.js';

export const GRAPH_FORMAT_VERSION = 1;
export const GRAPH_DIR = 'graph';
export const GRAPH_MANIFEST = 'graph-manifest.json';

interface GraphFileEntry {
  name: string;
  bytes: number;
  crc32: number;
}

/** The committed state of `<indexDir>/graph/`. */
export interface GraphManifest {
  formatVersion: number;
  /** Generation of the sparse index whose documents are the nodes. */
  indexGeneration: number;
  /** ms since the epoch, from the `now` given to the builder. */
  builtAt: number;
  numNodes: number;
  numEdges: number;
  counts: LinkCounts;
  unresolvedExamples: string[];
  pagerank: Omit<PageRankResult, 'scores'>;
  files: { docIds: GraphFileEntry; edges: GraphFileEntry; pagerank: GraphFileEntry };
}

/** A graph read back from disk. */
export interface StoredLinkGraph {
  manifest: GraphManifest;
  graph: LinkGraph;
  /** PR per node, node order. */
  pagerank: Float64Array;
  /** True when the index has been committed since the graph was built. */
  stale: boolean;
}

/** What {@link buildLinkGraph} did. */
export interface LinkGraphSummary {
  /** False when no document has links and no graph was stored before (nothing written). */
  written: boolean;
  indexGeneration: number;
  numNodes: number;
  numEdges: number;
  counts: LinkCounts;
  iterations: number;
  converged: boolean;
}

const fileName = (gen: number, role: string) => `g${String(gen).padStart(8, '0')}.${role}`;

/** Serialises the CSR as little-endian Uint32s: numNodes, numEdges, offsets, targets. */
export function encodeEdges(g: Pick<LinkGraph, 'offsets' | 'targets'>): Uint8Array {
  const n = g.offsets.length - 1;
  const buf = Buffer.alloc(4 * (2 + g.offsets.length + g.targets.length));
  let at = 0;
  const put = (x: number) => {
    buf.writeUInt32LE(x, at);
    at += 4;
  };
  put(n);
  put(g.targets.length);
  for (const x of g.offsets) put(x);
  for (const x of g.targets) put(x);
  return buf;
}

/** Inverse of {@link encodeEdges}; throws Error on a malformed buffer. */
export function decodeEdges(data: Uint8Array): { offsets: Uint32Array; targets: Uint32Array } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 8) throw new Error('edges file shorter than its header');
  const n = buf.readUInt32LE(0);
  const m = buf.readUInt32LE(4);
  if (buf.length !== 4 * (2 + n + 1 + m)) throw new Error(`edges file has ${buf.length} bytes, header implies ${4 * (2 + n + 1 + m)}`);
  const offsets = new Uint32Array(n + 1);
  const targets = new Uint32Array(m);
  for (let i = 0; i <= n; i++) offsets[i] = buf.readUInt32LE(8 + 4 * i);
  for (let e = 0; e < m; e++) targets[e] = buf.readUInt32LE(8 + 4 * (n + 1) + 4 * e);
  if (offsets[0] !== 0 || offsets[n] !== m) throw new Error('edges file offsets do not span the targets');
  for (let i = 0; i < n; i++) if (offsets[i] > offsets[i + 1]) throw new Error(`edges file offsets decrease at node ${i}`);
  for (let e = 0; e < m; e++) if (targets[e] >= n) throw new Error(`edge ${e} points to node ${targets[e]} of ${n}`);
  return { offsets, targets };
}

function encodeScores(scores: Float64Array): Uint8Array {
  const buf = Buffer.alloc(8 * scores.length);
  scores.forEach((x, i) => buf.writeDoubleLE(x, 8 * i));
  return buf;
}

function decodeScores(data: Uint8Array, n: number): Float64Array {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length !== 8 * n) throw new Error(`pagerank file has ${buf.length} bytes, expected ${8 * n} for ${n} nodes`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readDoubleLE(8 * i);
  return out;
}

/**
 * Writes `graph` and its PageRank under `<indexDir>/graph/` (see the module comment).
 * @param indexGeneration generation of the sparse index the nodes come from
 */
export async function writeLinkGraph(indexDir: string, graph: LinkGraph, pr: PageRankResult, indexGeneration: number, now: () => number): Promise<GraphManifest> {
  const dir = join(indexDir, GRAPH_DIR);
  await mkdir(dir, { recursive: true });
  const blobs = {
    docIds: Buffer.from(JSON.stringify(graph.docIds), 'utf8'),
    edges: encodeEdges(graph),
    pagerank: encodeScores(pr.scores),
  };
  const roles = { docIds: 'docids.json', edges: 'edges', pagerank: 'pagerank' } as const;
  const files = {} as GraphManifest['files'];
  for (const key of Object.keys(blobs) as Array<keyof typeof blobs>) {
    const name = fileName(indexGeneration, roles[key]);
    await writeFileDurable(join(dir, name), blobs[key]);
    files[key] = { name, bytes: blobs[key].byteLength, crc32: checksum(blobs[key]) };
  }
  await fsyncDir(dir);
  const { scores: _scores, ...prInfo } = pr;
  const manifest: GraphManifest = {
    formatVersion: GRAPH_FORMAT_VERSION,
    indexGeneration,
    builtAt: now(),
    numNodes: graph.docIds.length,
    numEdges: graph.targets.length,
    counts: graph.counts,
    unresolvedExamples: graph.unresolvedExamples,
    pagerank: { ...prInfo, l1Delta: Number.isFinite(prInfo.l1Delta) ? prInfo.l1Delta : 0 },
    files,
  };
  await writeFileDurable(join(dir, GRAPH_MANIFEST), manifestText(manifest));
  await fsyncDir(dir);
  const keep = new Set(Object.values(files).map((f) => f.name));
  keep.add(GRAPH_MANIFEST);
  for (const name of await readdir(dir)) {
    if (!keep.has(name) && (/^g\d{8}\./.test(name) || name.endsWith(TMP_SUFFIX))) await unlink(join(dir, name)).catch(() => {});
  }
  return manifest;
}

function manifestProblem(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'not a JSON object';
  const g = m as Partial<GraphManifest>;
  if (typeof g.formatVersion !== 'number') return 'formatVersion missing';
  if (g.formatVersion > GRAPH_FORMAT_VERSION) return `formatVersion ${g.formatVersion} is newer than this openbook reads (${GRAPH_FORMAT_VERSION})`;
  if (typeof g.indexGeneration !== 'number' || typeof g.numNodes !== 'number' || typeof g.files !== 'object' || g.files === null) return 'indexGeneration, numNodes or files missing';
  for (const k of ['docIds', 'edges', 'pagerank'] as const) {
    const f = g.files[k];
    if (!f || typeof f.name !== 'string' || typeof f.bytes !== 'number' || typeof f.crc32 !== 'number') return `files.${k} missing or malformed`;
  }
  return null;
}

/**
 * Reads the stored graph of `indexDir`, or null when none was built.
 * @throws IndexFormatError naming the file when the manifest or a file is missing, truncated, fails its CRC-32, or does not decode
 */
export async function readLinkGraph(indexDir: string): Promise<StoredLinkGraph | null> {
  const dir = join(indexDir, GRAPH_DIR);
  const manifestPath = join(dir, GRAPH_MANIFEST);
  const stored = await readJsonManifest<GraphManifest>(manifestPath, manifestProblem, 're-run `openbook index` to rebuild the link graph');
  if (stored === null) return null;
  const manifest = stored.value;
  const read = async (entry: GraphFileEntry): Promise<Uint8Array> => {
    const p = join(dir, entry.name);
    let data: Uint8Array;
    try {
      data = await readFile(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new IndexFormatError(`link graph file ${p} is missing; re-run \`openbook index\``);
      throw err;
    }
    if (data.byteLength !== entry.bytes) throw new IndexFormatError(`link graph file ${p} has ${data.byteLength} bytes, manifest says ${entry.bytes}; re-run \`openbook index\``);
    if (checksum(data) !== entry.crc32) throw new IndexFormatError(`link graph file ${p} fails its CRC-32 check; re-run \`openbook index\``);
    return data;
  };
  const [idsData, edgesData, prData] = [await read(manifest.files.docIds), await read(manifest.files.edges), await read(manifest.files.pagerank)];
  let graph: LinkGraph;
  let pagerank: Float64Array;
  try {
    const docIds = JSON.parse(Buffer.from(idsData).toString('utf8')) as string[];
    if (!Array.isArray(docIds) || docIds.length !== manifest.numNodes) throw new Error(`${manifest.files.docIds.name} holds ${Array.isArray(docIds) ? docIds.length : 'no'} ids, manifest says ${manifest.numNodes}`);
    const { offsets, targets } = decodeEdges(edgesData);
    if (offsets.length !== docIds.length + 1) throw new Error(`${manifest.files.edges.name} has ${offsets.length - 1} nodes, manifest says ${docIds.length}`);
    const inDegree = new Uint32Array(docIds.length);
    for (const v of targets) inDegree[v]++;
    graph = { docIds, offsets, targets, inDegree, counts: manifest.counts, unresolvedExamples: manifest.unresolvedExamples ?? [] };
    pagerank = decodeScores(prData, docIds.length);
  } catch (err) {
    throw new IndexFormatError(`link graph in ${dir}: ${(err as Error).message}; re-run \`openbook index\``, { cause: err });
  }
  const current = await readManifest(indexDir);
  const stale = current === null || current.manifest.generation !== manifest.indexGeneration;
  return { manifest, graph, pagerank, stale };
}

/**
 * Builds the link graph of the index's documents and their PageRank, computed from scratch.
 * Pure: no files touched.
 */
export function computeLinkGraph(docs: readonly LinkedDocument[], options: PageRankOptions = {}): { graph: LinkGraph; pagerank: PageRankResult } {
  const graph = buildGraph(docs);
  return { graph, pagerank: pageRank(graph, options) };
}

/**
 * Builds and stores the link graph and PageRank of the last committed generation of `indexDir`.
 * Does nothing (returns `written: false`) when no document has links and no graph is stored yet;
 * when one is stored, it is rebuilt so it never describes an older generation.
 * Call it while holding the index's writer lock (the indexer does, right after `commit()`).
 * @throws IndexNotFoundError / IndexFormatError from loading the index
 */
export async function buildLinkGraph(indexDir: string, now: () => number, options: PageRankOptions = {}): Promise<LinkGraphSummary> {
  const { manifest, documents: docs } = await loadDocumentRecords(indexDir);
  const anyLinks = docs.some((d) => (d.links?.length ?? 0) > 0);
  const { graph, pagerank } = computeLinkGraph(docs, options);
  const summary: LinkGraphSummary = {
    written: false,
    indexGeneration: manifest.generation,
    numNodes: graph.docIds.length,
    numEdges: graph.targets.length,
    counts: graph.counts,
    iterations: pagerank.iterations,
    converged: pagerank.converged,
  };
  if (!anyLinks) {
    const existing = await readManifestIfAny(indexDir);
    if (!existing) return summary;
  }
  await writeLinkGraph(indexDir, graph, pagerank, manifest.generation, now);
  return { ...summary, written: true };
}

async function readManifestIfAny(indexDir: string): Promise<boolean> {
  try {
    await readFile(join(indexDir, GRAPH_DIR, GRAPH_MANIFEST));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Reads only the document records of the last committed generation (the `docs` file, size- and
 * CRC-checked): all the graph needs, without decoding postings or texts.
 * @throws IndexNotFoundError when there is no index; IndexFormatError on a missing or corrupt `docs` file
 */
export async function loadDocumentRecords(indexDir: string): Promise<{ manifest: { generation: number }; documents: DocumentRecord[] }> {
  const read = await readManifest(indexDir);
  if (read === null) throw new IndexNotFoundError(indexDir);
  const entry = read.manifest.files.docs;
  const p = join(indexDir, entry.name);
  let data: Uint8Array;
  try {
    data = await readFile(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new IndexFormatError(`index file ${p} is missing (generation ${read.manifest.generation}); rebuild the index`);
    throw err;
  }
  if (data.byteLength !== entry.bytes || checksum(data) !== entry.crc32) throw new IndexFormatError(`index file ${p} does not match its size or CRC-32 in the manifest; rebuild the index`);
  try {
    const v = JSON.parse(inflateRawSync(data).toString('utf8')) as { documents: DocumentRecord[] };
    if (!Array.isArray(v.documents)) throw new Error('no documents array');
    return { manifest: { generation: read.manifest.generation }, documents: v.documents };
  } catch (err) {
    throw new IndexFormatError(`index file ${p}: ${(err as Error).message}; rebuild the index`, { cause: err });
  }
}
