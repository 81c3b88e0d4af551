/**
 * The on-disk format of an openbook index, version 1.
 *
 * An index directory holds `manifest.json` (written last; the commit point) and, per committed
 * generation g, five files named `g<g, 8 digits>.<role>`:
 *
 * | role       | content |
 * |------------|---------|
 * | `postings` | CSR postings, delta + varint coded (see `sparse/postings.ts`) |
 * | `terms`    | raw-deflate of: varint count, then per term (sorted by UTF-16 code units) varint byte length + UTF-8 bytes |
 * | `chunks`   | raw-deflate of varint columns, one value per chunk: docIndex (delta), ordinal, startChar, endChar, startLine, endLine, page (0 = none), docLen, headingPathId |
 * | `docs`     | raw-deflate of JSON: document records (a `Document` without `text`), distinct heading paths, text block table, per-document text location |
 * | `texts`    | document texts, concatenated in document order and cut into blocks of about {@link TEXT_BLOCK_CHARS} characters, each block raw-deflated on its own |
 *
 * The manifest records each file's size and CRC-32, so a truncated or corrupt file is detected at
 * open, and ends in its own `checksum` (atomic-file.ts `manifestText`), so an edited manifest is too. Chunks are numbered 0..numChunks−1 in document order, ordinals ascending; a chunk's text is
 * `documentText.slice(startChar, endChar)`, so overlapping chunks do not store text twice.
 * Term lengths (`docLen`) are stored exactly; Lucene one-byte norms are derived at load time.
 */
import { deflateRawSync, inflateRawSync, crc32 } from 'node:zlib';
import type { Chunk, Document } from '../../core/types.js';
import { decodePostings, encodePostings, type PostingsCsr } from '../sparse/postings.js';
import { ByteReader, ByteWriter } from '../sparse/varint.js';

export const FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
/** Target size of one compressed text block, in characters. */
export const TEXT_BLOCK_CHARS = 16_384;

/**
 * zlib level 1 (Z_BEST_SPEED) for document texts, as Lucene's default stored-fields mode favours
 * speed (LZ4) over ratio. On SciFact's texts level 1 deflates at ~70 MB/s per core against
 * ~39 MB/s for the default level 6, for 0.437 instead of 0.408 of the UTF-8 size; texts are the
 * largest part of a commit (1M synthetic documents: 731 MB). Any level decodes the same way.
 */
export const TEXT_DEFLATE = { level: 1 } as const;

/** Raw-deflates each text block (its parts joined, as UTF-8) at {@link TEXT_DEFLATE}; results in block order. */
export type TextBlockDeflater = (blocks: readonly (readonly string[])[]) => Promise<Uint8Array[]>;

/** {@link TextBlockDeflater} on this thread. */
export const deflateTextBlocksHere: TextBlockDeflater = (blocks) => Promise.resolve(blocks.map((parts) => deflateTextBlock(parts)));

/** One text block (its parts joined, as UTF-8) raw-deflated at {@link TEXT_DEFLATE}. */
export function deflateTextBlock(parts: readonly string[]): Uint8Array {
  return deflateRawSync(Buffer.from(parts.join(''), 'utf8'), TEXT_DEFLATE);
}

/** A `Document` without its text, as kept in the index. */
export type DocumentRecord = Omit<Document, 'text'>;
/** A chunk as read back from the index, with its document's source and title. */
export type StoredChunk = Chunk & { source: string; title: string };

/** Settings fixed when an index is created (`luceneNorms` may change: it only affects scoring). */
export interface IndexConfig {
  /** Analyzer registry name; query and index text go through the same analyzer. */
  analyzer: string;
  /** Chunk size in tokens and overlap, as given to the chunker. */
  chunkSize: number;
  chunkOverlap: number;
  /** Documents indexed whole (one chunk each). */
  noChunk: boolean;
  /** Score with Lucene's one-byte length norms (SmallFloat) instead of exact lengths. */
  luceneNorms: boolean;
  /**
   * The document title is an indexed field of every chunk: a chunk's terms are those of
   * {@link chunkAnalysisText} (title, newline, chunk text) while its stored text stays its own.
   * Absent or false: the chunk's text alone — how every index written before this setting was
   * built (a manifest without it reads as false). `indexPaths` creates new indexes with it on.
   */
  titleTerms?: boolean;
}

/**
 * The text a chunk's terms are analysed from. With `titleTerms`, `title + "\n" + text`: the
 * document's title becomes part of every chunk's one indexed field, as Anserini's
 * `BeirFlatCollection` concatenates title and text into its `contents` field (the BEIR "flat"
 * indexes of Pyserini), and as LlamaIndex (`TextNode.get_content` with a metadata mode puts the
 * metadata string before the content) and Haystack (`meta_fields_to_embed`, joined to the content
 * with `embedding_separator`) put a document's metadata into the text they index. Unlike a flat
 * collection the title is not written into the stored text: quotes, offsets and lines are the
 * chunk's own.
 *
 * The title's terms count in the chunk's length (docLen): they are term occurrences of the same
 * field, so BM25's tf saturation and length norm see one consistent field — exactly a flat
 * index's statistics, so its parity figures carry over (SciFact nDCG@10 0.6789 either way) — and
 * a title that matched without a length would make a short chunk of a long-titled document look
 * denser than it is. An empty title adds nothing.
 */
export function chunkAnalysisText(title: string, text: string, titleTerms: boolean | undefined): string {
  return titleTerms === true && title !== '' ? `${title}\n${text}` : text;
}

export const FILE_ROLES = ['postings', 'terms', 'chunks', 'docs', 'texts'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

export interface FileEntry {
  name: string;
  bytes: number;
  crc32: number;
}

/** Exact counts of one generation. */
export interface IndexCounts {
  numDocuments: number;
  numChunks: number;
  numTerms: number;
  numPostings: number;
  /** Σ docLen over chunks (Lucene sumTotalTermFreq). */
  sumDocLen: number;
  /** Chunks with at least one term (Lucene docCount). */
  docCount: number;
  /** UTF-8 bytes of the stored document texts. */
  textBytes: number;
}

export interface Manifest {
  formatVersion: number;
  generation: number;
  /** ms since the epoch, from the writer's clock. */
  committedAt: number;
  config: IndexConfig;
  counts: IndexCounts;
  files: Record<FileRole, FileEntry>;
}

/** Per-chunk columns. */
export interface ChunkColumns {
  docIndex: Uint32Array;
  ordinal: Uint32Array;
  startChar: Uint32Array;
  endChar: Uint32Array;
  startLine: Uint32Array;
  endLine: Uint32Array;
  /** 1-based PDF page, 0 when none. */
  page: Uint32Array;
  /** Analysed tokens in the chunk. */
  docLen: Uint32Array;
  headingPathId: Uint32Array;
}

const COLUMN_NAMES: Array<keyof ChunkColumns> = [
  'docIndex',
  'ordinal',
  'startChar',
  'endChar',
  'startLine',
  'endLine',
  'page',
  'docLen',
  'headingPathId',
];

export function emptyChunkColumns(n: number): ChunkColumns {
  return {
    docIndex: new Uint32Array(n),
    ordinal: new Uint32Array(n),
    startChar: new Uint32Array(n),
    endChar: new Uint32Array(n),
    startLine: new Uint32Array(n),
    endLine: new Uint32Array(n),
    page: new Uint32Array(n),
    docLen: new Uint32Array(n),
    headingPathId: new Uint32Array(n),
  };
}

/** Where the documents' texts are in the `texts` file. */
export interface TextLayout {
  /** Byte offset and compressed length of each block. */
  blockOffset: number[];
  blockBytes: number[];
  /** Per document: its block and its character range inside the decoded block. */
  docBlock: number[];
  docStart: number[];
  docEnd: number[];
}

/** Everything one generation holds, decoded (texts stay compressed). */
export interface GenerationData {
  documents: DocumentRecord[];
  headingPaths: string[][];
  chunks: ChunkColumns;
  terms: string[];
  postings: PostingsCsr;
  textLayout: TextLayout;
  /** The `texts` file: compressed blocks. */
  texts: Uint8Array;
}

/** File name of `role` in generation `gen`. */
export const generationFileName = (gen: number, role: FileRole): string => `g${String(gen).padStart(8, '0')}.${role}`;

const GEN_FILE = /^g(\d{8,})\.(postings|terms|chunks|docs|texts)$/;

/** The generation a file name belongs to, or null when it is not a generation file. */
export function generationOfFile(name: string): number | null {
  const m = GEN_FILE.exec(name);
  return m ? Number(m[1]) : null;
}

/** What a writer hands to {@link encodeGeneration}. */
export interface GenerationInput {
  documents: DocumentRecord[];
  documentTexts: string[];
  headingPaths: string[][];
  chunks: ChunkColumns;
  terms: string[];
  postings: PostingsCsr;
}

/**
 * Encodes one generation's files and counts. Text blocks go to `deflateTexts` (the writer passes
 * its analysis workers' deflater when it has workers, so a large commit uses every core; zlib on
 * libuv's thread pool measured no faster than synchronous zlib here, its per-call overhead
 * exceeding a 16K block's work) at level 1 ({@link TEXT_DEFLATE}); the smaller files use zlib's
 * default level.
 */
export async function encodeGeneration(
  input: GenerationInput,
  deflateTexts: TextBlockDeflater = deflateTextBlocksHere,
): Promise<{ files: Record<FileRole, Uint8Array>; counts: IndexCounts }> {
  const numChunks = input.chunks.docIndex.length;
  // texts
  const layout: TextLayout = { blockOffset: [], blockBytes: [], docBlock: [], docStart: [], docEnd: [] };
  const blockParts: string[][] = [];
  let pending: string[] = [];
  let pendingChars = 0;
  let textBytes = 0;
  const flush = () => {
    if (pending.length === 0) return;
    blockParts.push(pending);
    layout.blockOffset.push(0); // set below, once the compressed sizes are known
    pending = [];
    pendingChars = 0;
  };
  for (const text of input.documentTexts) {
    layout.docBlock.push(layout.blockOffset.length);
    layout.docStart.push(pendingChars);
    layout.docEnd.push(pendingChars + text.length);
    pending.push(text);
    pendingChars += text.length;
    textBytes += Buffer.byteLength(text, 'utf8');
    if (pendingChars >= TEXT_BLOCK_CHARS) flush();
  }
  flush();
  const compressing = deflateTexts(blockParts);
  // with workers, chunks, terms and postings are encoded here while the text blocks compress
  const { chunks, terms, postings } = encodeIndexFiles(input, numChunks);
  const blocks = await compressing;
  let offset = 0;
  blocks.forEach((b, i) => {
    layout.blockOffset[i] = offset;
    layout.blockBytes.push(b.length);
    offset += b.length;
  });
  const texts = new Uint8Array(offset);
  blocks.forEach((b, i) => texts.set(b, layout.blockOffset[i]));
  // docs
  const docs = deflateRawSync(
    Buffer.from(JSON.stringify({ documents: input.documents, headingPaths: input.headingPaths, textLayout: layout }), 'utf8'),
  );

  let sumDocLen = 0;
  let docCount = 0;
  for (let i = 0; i < numChunks; i++) {
    sumDocLen += input.chunks.docLen[i];
    if (input.chunks.docLen[i] > 0) docCount++;
  }
  return {
    files: { postings, terms, chunks, docs, texts },
    counts: {
      numDocuments: input.documents.length,
      numChunks,
      numTerms: input.terms.length,
      numPostings: input.postings.chunkIds.length,
      sumDocLen,
      docCount,
      textBytes,
    },
  };
}

/** The chunk-column, term-dictionary and postings files of a generation. */
function encodeIndexFiles(input: GenerationInput, numChunks: number): { chunks: Uint8Array; terms: Uint8Array; postings: Uint8Array } {
  const cw = new ByteWriter(numChunks * 12 + 16);
  cw.varint(numChunks);
  for (const name of COLUMN_NAMES) {
    const col = input.chunks[name];
    let prev = 0;
    for (let i = 0; i < numChunks; i++) {
      if (name === 'docIndex') {
        cw.varint(col[i] - prev);
        prev = col[i];
      } else {
        cw.varint(col[i]);
      }
    }
  }
  const chunks = deflateRawSync(cw.finish());
  // terms
  const tw = new ByteWriter(input.terms.length * 10 + 16);
  tw.varint(input.terms.length);
  for (const t of input.terms) {
    const b = Buffer.from(t, 'utf8');
    tw.varint(b.length);
    tw.bytes(b);
  }
  const terms = deflateRawSync(tw.finish());
  const postings = encodePostings(input.postings, numChunks);
  return { chunks, terms, postings };
}

/** CRC-32 of `data` (zlib polynomial). */
export const checksum = (data: Uint8Array): number => crc32(data);

/**
 * Decodes one generation's files (already size- and CRC-checked) and cross-checks them against
 * the manifest counts.
 * @throws Error describing the first defect found (the caller wraps it in IndexFormatError with the file name)
 */
export function decodeGeneration(m: Manifest, files: Record<FileRole, Uint8Array>): GenerationData {
  const c = m.counts;
  const at = (role: FileRole, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      throw new Error(`${m.files[role].name}: ${(err as Error).message}`, { cause: err });
    }
  };
  let terms: string[] = [];
  at('terms', () => {
    const r = new ByteReader(inflateRawSync(files.terms));
    const n = r.varint();
    if (n !== c.numTerms) throw new RangeError(`holds ${n} terms, manifest says ${c.numTerms}`);
    const dec = new TextDecoder('utf-8', { fatal: true });
    terms = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      terms[i] = dec.decode(r.bytes(r.varint()));
      if (i > 0 && !(terms[i - 1] < terms[i])) throw new RangeError(`terms not strictly ascending at ${i}`);
    }
    if (r.remaining !== 0) throw new RangeError(`${r.remaining} trailing bytes`);
  });
  let postings!: PostingsCsr;
  at('postings', () => {
    postings = decodePostings(files.postings, c);
  });
  const chunks = emptyChunkColumns(c.numChunks);
  at('chunks', () => {
    const r = new ByteReader(inflateRawSync(files.chunks));
    const n = r.varint();
    if (n !== c.numChunks) throw new RangeError(`holds ${n} chunks, manifest says ${c.numChunks}`);
    for (const name of COLUMN_NAMES) {
      const col = chunks[name];
      let prev = 0;
      for (let i = 0; i < n; i++) {
        const v = r.varint();
        col[i] = name === 'docIndex' ? (prev += v) : v;
      }
    }
    if (r.remaining !== 0) throw new RangeError(`${r.remaining} trailing bytes`);
  });
  let documents: DocumentRecord[] = [];
  let headingPaths: string[][] = [];
  let textLayout!: TextLayout;
  at('docs', () => {
    const v = JSON.parse(inflateRawSync(files.docs).toString('utf8')) as {
      documents: DocumentRecord[];
      headingPaths: string[][];
      textLayout: TextLayout;
    };
    if (!Array.isArray(v.documents) || !Array.isArray(v.headingPaths) || typeof v.textLayout !== 'object') {
      throw new RangeError('missing documents, headingPaths or textLayout');
    }
    if (v.documents.length !== c.numDocuments) throw new RangeError(`holds ${v.documents.length} documents, manifest says ${c.numDocuments}`);
    if (v.textLayout.docBlock.length !== c.numDocuments) throw new RangeError('text layout does not cover every document');
    documents = v.documents;
    headingPaths = v.headingPaths;
    textLayout = v.textLayout;
  });
  at('chunks', () => {
    let sum = 0;
    for (let i = 0; i < c.numChunks; i++) {
      if (chunks.docIndex[i] >= c.numDocuments) throw new RangeError(`chunk ${i} points at document ${chunks.docIndex[i]} of ${c.numDocuments}`);
      if (chunks.headingPathId[i] >= headingPaths.length) throw new RangeError(`chunk ${i} has an unknown heading path`);
      if (chunks.startChar[i] > chunks.endChar[i]) throw new RangeError(`chunk ${i} ends before it starts`);
      sum += chunks.docLen[i];
    }
    if (sum !== c.sumDocLen) throw new RangeError(`Σ docLen is ${sum}, manifest says ${c.sumDocLen}`);
  });
  at('texts', () => {
    const L = textLayout;
    const nb = L.blockOffset.length;
    if (nb > 0 && L.blockOffset[nb - 1] + L.blockBytes[nb - 1] !== files.texts.length) throw new RangeError('block table does not match the file size');
    for (const b of L.docBlock) if (b >= nb) throw new RangeError(`document text in missing block ${b}`);
  });
  return { documents, headingPaths, chunks, terms, postings, textLayout, texts: files.texts };
}

/** Decodes text block `i` of a generation. */
export function decodeTextBlock(g: Pick<GenerationData, 'textLayout' | 'texts'>, i: number): string {
  const off = g.textLayout.blockOffset[i];
  return inflateRawSync(g.texts.subarray(off, off + g.textLayout.blockBytes[i])).toString('utf8');
}

/** Checks a parsed manifest's shape; returns an error message or null. */
export function manifestProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const m = v as Partial<Manifest>;
  if (typeof m.formatVersion !== 'number') return 'no formatVersion';
  if (m.formatVersion > FORMAT_VERSION) {
    return `formatVersion ${m.formatVersion} was written by a newer openbook (this version reads ${FORMAT_VERSION}); upgrade openbook or rebuild the index`;
  }
  if (m.formatVersion !== FORMAT_VERSION) return `unsupported formatVersion ${m.formatVersion}`;
  if (!Number.isInteger(m.generation) || typeof m.committedAt !== 'number') return 'bad generation or committedAt';
  if (typeof m.config !== 'object' || m.config === null || typeof m.config.analyzer !== 'string') return 'bad config';
  if (typeof m.counts !== 'object' || m.counts === null) return 'no counts';
  for (const k of ['numDocuments', 'numChunks', 'numTerms', 'numPostings', 'sumDocLen', 'docCount', 'textBytes'] as const) {
    if (!Number.isInteger(m.counts[k]) || m.counts[k] < 0) return `bad counts.${k}`;
  }
  if (typeof m.files !== 'object' || m.files === null) return 'no files';
  for (const role of FILE_ROLES) {
    const f = m.files[role];
    if (!f || typeof f.name !== 'string' || generationOfFile(f.name) !== m.generation || !Number.isInteger(f.bytes) || !Number.isInteger(f.crc32)) {
      return `bad files.${role}`;
    }
  }
  return null;
}
