/**
 * Read-only view of the last committed generation of an index: BM25/TF-IDF search, chunk and
 * document lookup, statistics.
 *
 * Loading decodes the postings into CSR typed arrays, the chunk columns into Uint32Arrays and the
 * document records from JSON; document texts stay compressed in memory and a block is inflated
 * when a chunk's text is asked for (decoded blocks are kept per reader up to `textCacheChars`). A reader never sees
 * later commits: open a new one to see them.
 */
import type { Analyzer } from '../../analysis/analyzer.js';
import { getAnalyzer } from '../../analysis/registry.js';
import { InvalidParameterError } from '../../core/errors.js';
import { locatorOf } from '../../core/locator.js';
import { TermAtATimeScorer, type ScoringIndex, type SearchOptions } from '../sparse/scorer.js';
import { intToByte4 } from '../sparse/small-float.js';
import type { ScoredChunk } from '../sparse/top-k.js';
import { decodeTextBlock, type DocumentRecord, type GenerationData, type IndexConfig, type Manifest, type StoredChunk } from './format.js';
import { loadGeneration } from './load.js';
import { filterBitset, metadataFields, type MetaType } from './metadata.js';
import { toFilter, type FilterExpr } from '../../core/filter.js';

/** Exact statistics of the committed index. */
export interface IndexStats {
  formatVersion: number;
  generation: number;
  numDocuments: number;
  numChunks: number;
  /** Distinct terms (every one has docFreq ≥ 1). */
  numTerms: number;
  /** Σ docFreq over terms. */
  numPostings: number;
  /** Σ analysed tokens over chunks. */
  sumDocLen: number;
  /** Chunks with at least one token (Lucene docCount; the N of idf). */
  docCount: number;
  /** sumDocLen / docCount (0 for an empty index), exact. */
  avgdl: number;
  analyzer: string;
  /** Manifest + generation files, bytes. */
  bytesOnDisk: number;
  /** UTF-8 bytes of the stored document texts. */
  textBytes: number;
  /** ms since the epoch. */
  committedAt: number;
}

export interface ReaderOptions {
  /** The analyzer for queries; by default `getAnalyzer(config.analyzer)`. Its name must match the index's. */
  analyzer?: Analyzer;
  /**
   * Characters (UTF-16 code units) of decoded document text kept per reader, least recently used
   * block dropped first; default {@link DEFAULT_TEXT_CACHE_CHARS} (64 Mi, ~128 MiB at worst). A
   * server reads the same blocks over and over: with the texts cached, a hit costs a slice, not an
   * inflate of its 16K block. At least one block is always kept.
   */
  textCacheChars?: number;
}

/** Default {@link ReaderOptions.textCacheChars}: 64 Mi characters of decoded text. */
export const DEFAULT_TEXT_CACHE_CHARS = 64 * 1024 * 1024;
/** Filter bitsets kept per reader (keyed by the filter's JSON form). */
const FILTER_CACHE = 8;

export class IndexReader {
  /** The index's configuration as committed. */
  readonly config: IndexConfig;
  private readonly scorer: TermAtATimeScorer;
  private readonly docIndexById = new Map<string, number>();
  /** Chunk numbers of document d are chunkStart[d] .. chunkStart[d + 1] − 1. */
  private readonly chunkStart: Uint32Array;
  /** Decoded text blocks, least recently used first (Map insertion order). */
  private readonly blockCache = new Map<number, string>();
  private cachedChars = 0;
  private blocksDecoded = 0;
  private readonly textCacheChars: number;
  private readonly filterCache = new Map<string, Uint8Array>();
  private fieldsCache: ReturnType<typeof metadataFields> | undefined;

  private constructor(
    readonly dir: string,
    private readonly manifest: Manifest,
    private readonly g: GenerationData,
    private readonly bytesOnDisk: number,
    private readonly analyzer: Analyzer,
    textCacheChars: number,
  ) {
    this.textCacheChars = textCacheChars;
    this.config = manifest.config;
    const numDocs = g.documents.length;
    g.documents.forEach((d, i) => this.docIndexById.set(d.id, i));
    this.chunkStart = new Uint32Array(numDocs + 1);
    const { docIndex, docLen } = g.chunks;
    const numChunks = docIndex.length;
    for (let c = 0; c < numChunks; c++) this.chunkStart[docIndex[c] + 1]++;
    for (let d = 0; d < numDocs; d++) this.chunkStart[d + 1] += this.chunkStart[d];
    const normBytes = new Uint8Array(numChunks);
    for (let c = 0; c < numChunks; c++) normBytes[c] = intToByte4(docLen[c]);
    const terms = g.terms;
    const index: ScoringIndex = {
      postings: g.postings,
      numChunks,
      docLens: docLen,
      normBytes,
      docCount: manifest.counts.docCount,
      sumDocLen: manifest.counts.sumDocLen,
      luceneNorms: manifest.config.luceneNorms,
      termId: (term) => binarySearch(terms, term),
    };
    this.scorer = new TermAtATimeScorer(index);
  }

  /**
   * Opens the last committed index in `dir`.
   * @throws IndexNotFoundError when there is no manifest
   * @throws IndexFormatError on a corrupt or missing file, or a newer formatVersion
   * @throws InvalidParameterError when `opts.analyzer` is not the index's analyzer
   */
  static async open(dir: string, opts: ReaderOptions = {}): Promise<IndexReader> {
    const loaded = await loadGeneration(dir);
    const name = loaded.manifest.config.analyzer;
    const analyzer = opts.analyzer ?? getAnalyzer(name);
    if (analyzer.name !== name) throw new InvalidParameterError(`analyzer "${analyzer.name}" given for index ${dir}, which uses "${name}"`);
    const cacheChars = opts.textCacheChars ?? DEFAULT_TEXT_CACHE_CHARS;
    if (!(cacheChars >= 0)) throw new InvalidParameterError(`textCacheChars must be ≥ 0, got ${cacheChars}`);
    return new IndexReader(dir, loaded.manifest, loaded.data, loaded.bytesOnDisk, analyzer, cacheChars);
  }

  stats(): IndexStats {
    const c = this.manifest.counts;
    return {
      formatVersion: this.manifest.formatVersion,
      generation: this.manifest.generation,
      numDocuments: c.numDocuments,
      numChunks: c.numChunks,
      numTerms: c.numTerms,
      numPostings: c.numPostings,
      sumDocLen: c.sumDocLen,
      docCount: c.docCount,
      avgdl: c.docCount > 0 ? c.sumDocLen / c.docCount : 0,
      analyzer: this.config.analyzer,
      bytesOnDisk: this.bytesOnDisk,
      textBytes: c.textBytes,
      committedAt: this.manifest.committedAt,
    };
  }

  /**
   * Analyses `query` with the index's analyzer and returns the `topK` best chunks, best first,
   * ties by ascending chunk number. Repeated query terms add up (query term frequency).
   * @throws InvalidParameterError for bad options (topK, similarity, k1, b, delta)
   */
  search(query: string, opts: SearchOptions): ScoredChunk[] {
    return this.scorer.search(this.analyzer.analyze(query), opts);
  }

  /** As {@link search}, with already-analysed terms. */
  searchTerms(terms: readonly string[], opts: SearchOptions): ScoredChunk[] {
    return this.scorer.search(terms, opts);
  }

  /**
   * The chunk bitset of a metadata filter (`bits[c] === 1` when chunk c matches; fields in
   * `metadata.ts`), for `SearchOptions.filter`. The last few are cached.
   * @throws FilterSyntaxError (with the column) or InvalidParameterError for a bad filter
   */
  filterBits(filter: string | FilterExpr): Uint8Array {
    const expr = toFilter(filter);
    const key = JSON.stringify(expr);
    const hit = this.filterCache.get(key);
    if (hit) return hit;
    const cols = this.g.chunks;
    const bits = filterBitset(
      { numChunks: cols.docIndex.length, documents: this.g.documents, docIndex: cols.docIndex, ordinal: cols.ordinal, page: cols.page, startChar: cols.startChar, endChar: cols.endChar, headingPathOf: (c) => this.g.headingPaths[cols.headingPathId[c]] },
      expr,
    );
    if (this.filterCache.size >= FILTER_CACHE) this.filterCache.delete(this.filterCache.keys().next().value as string);
    this.filterCache.set(key, bits);
    return bits;
  }

  /**
   * The metadata fields of the indexed documents with their types and how many documents have
   * each; computed once per reader (one commit), since `GET /v1/status` and `GET /v1/documents`
   * ask on every request and the walk reads every document's fields.
   */
  metadataFields(): Array<{ field: string; types: MetaType[]; documents: number }> {
    this.fieldsCache ??= metadataFields(this.g.documents);
    return this.fieldsCache;
  }

  /** Number of chunks containing `term` (an analysed term), 0 when absent. */
  docFreq(term: string): number {
    const id = binarySearch(this.g.terms, term);
    return id < 0 ? 0 : this.g.postings.offsets[id + 1] - this.g.postings.offsets[id];
  }

  /**
   * Chunk number `n` with its text, document source and title.
   * @throws InvalidParameterError when n is not in [0, numChunks)
   */
  chunk(n: number): StoredChunk {
    const cols = this.g.chunks;
    if (!Number.isInteger(n) || n < 0 || n >= cols.docIndex.length) {
      throw new InvalidParameterError(`chunk number ${n} out of range [0, ${cols.docIndex.length})`);
    }
    const di = cols.docIndex[n];
    const doc = this.g.documents[di];
    const text = this.documentText(di);
    const chunk: StoredChunk = {
      id: `${doc.id}#${cols.ordinal[n]}`,
      docId: doc.id,
      ordinal: cols.ordinal[n],
      text: text.slice(cols.startChar[n], cols.endChar[n]),
      headingPath: this.g.headingPaths[cols.headingPathId[n]],
      startChar: cols.startChar[n],
      endChar: cols.endChar[n],
      startLine: cols.startLine[n],
      endLine: cols.endLine[n],
      source: doc.source,
      title: doc.title,
    };
    if (cols.page[n] > 0) chunk.page = cols.page[n];
    const locator = locatorOf(doc.units, chunk.startChar, chunk.endChar);
    if (locator) chunk.locator = locator;
    return chunk;
  }

  /** The record of document `docId`, or undefined. */
  document(docId: string): DocumentRecord | undefined {
    const i = this.docIndexById.get(docId);
    return i === undefined ? undefined : this.g.documents[i];
  }

  /** All document records, in index order. */
  documents(): Iterable<DocumentRecord> {
    return this.g.documents.values();
  }

  /** Chunk numbers of `docId`, by ordinal; empty when the document is absent. */
  chunksOf(docId: string): number[] {
    const i = this.docIndexById.get(docId);
    if (i === undefined) return [];
    const out: number[] = [];
    for (let c = this.chunkStart[i]; c < this.chunkStart[i + 1]; c++) out.push(c);
    return out;
  }

  /** The full text of document `docId`, or undefined. */
  documentTextOf(docId: string): string | undefined {
    const i = this.docIndexById.get(docId);
    return i === undefined ? undefined : this.documentText(i);
  }

  /**
   * The decoded-text cache: blocks inflated since open, blocks and characters held now.
   * `blocksDecoded` greater than the index's block count means the budget was too small for the texts read.
   */
  textCacheStats(): { blocksDecoded: number; cachedBlocks: number; cachedChars: number } {
    return { blocksDecoded: this.blocksDecoded, cachedBlocks: this.blockCache.size, cachedChars: this.cachedChars };
  }

  private documentText(di: number): string {
    const L = this.g.textLayout;
    const b = L.docBlock[di];
    let block = this.blockCache.get(b);
    if (block === undefined) {
      block = decodeTextBlock(this.g, b);
      this.blocksDecoded++;
      // Evict least recently used blocks until this one fits (an empty cache always takes it).
      for (const [k, v] of this.blockCache) {
        if (this.cachedChars + block.length <= this.textCacheChars) break;
        this.blockCache.delete(k);
        this.cachedChars -= v.length;
      }
      this.blockCache.set(b, block);
      this.cachedChars += block.length;
    } else if (this.blockCache.size > 1) {
      // Mark as most recently used.
      this.blockCache.delete(b);
      this.blockCache.set(b, block);
    }
    const start = L.docStart[di];
    const end = L.docEnd[di];
    return start === 0 && end === block.length ? block : block.slice(start, end);
  }
}

/** Index of `key` in the ascending (UTF-16 code unit order) array `sorted`, or −1. */
function binarySearch(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v < key) lo = mid + 1;
    else if (v > key) hi = mid - 1;
    else return mid;
  }
  return -1;
}
