/**
 * The PostgreSQL store (+ pgvector, + Citus): the embedded index's analysis and scoring on
 * PostgreSQL's storage, transactions and, on a Citus coordinator, distributed tables.
 *
 * - **Analysis** runs here, in TypeScript, with the same {@link ChunkTermCounter} as the embedded
 *   writer, so the terms, frequencies and lengths stored are the embedded index's.
 * - **BM25 in SQL.** The query's per-term weights (idf · qtf) and the length-norm table (256
 *   entries over Lucene's one-byte norms, or one per exact length) are computed from the stored
 *   statistics with the embedded index's own functions ({@link similarities}) and sent as array
 *   parameters; one SQL statement scores every posting of the query terms with the variant's
 *   per-posting formula in `real` (float4) arithmetic where Lucene uses float — PostgreSQL's
 *   float4 operators round each operation to float exactly as `Math.fround` does — sums per chunk
 *   in double and rounds to float, orders by score then (seq, ordinal) and keeps the top k.
 *   Scores and ties are therefore the embedded index's (test/index/pg-store.test.ts).
 * - **Commits** are one transaction: new rows COPYed in as they are added (in batches, into the
 *   transaction the first batch opens), rows of removed and replaced documents deleted, document
 *   frequencies and statistics updated, generation + 1. Readers see the previous commit or the
 *   new one. One writer at a time: a session advisory lock, and a second writer gets "another
 *   writer holds the store since …".
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Analyzer } from '../../analysis/analyzer.js';
import { getAnalyzer } from '../../analysis/registry.js';
import { CapabilityError, DimensionMismatchError, IndexLockedError, IndexNotFoundError, InvalidParameterError, OpenbookError } from '../../core/errors.js';
import { locatorOf } from '../../core/locator.js';
import type { Chunk, Document, UnitSpan } from '../../core/types.js';
import { getSimilarity, resolveSimilarityParams, type Similarity, type SimilarityName, type SimilarityParams } from '../sparse/similarity.js';
import { byte4ToInt, intToByte4 } from '../sparse/small-float.js';
import { chunkAnalysisText, type DocumentRecord, type IndexConfig, type StoredChunk } from '../store/format.js';
import { AnalysisPool } from '../store/analysis-pool.js';
import { ChunkTermCounter, TermDictionary, type CountedChunks } from '../store/term-counter.js';
import { chunkMetadata, documentMetadata, usesChunkFields } from '../store/metadata.js';
import { compileFilter, type FilterExpr } from '../../core/filter.js';
import type { DocumentWithChunks } from '../store/writer.js';
import { checkSchema, isCitus, migrate, schemaVersion, SCHEMA_VERSION } from './schema.js';
import { maskUrl } from './url.js';

type DocumentMeta = Record<string, string | number | boolean | string[]>;

/** Advisory lock key of the single writer. */
const WRITER_LOCK = 0x0b_5c_4e_02;

/** A chunk of the store: (document sequence number, ordinal). */
export interface PgChunkRef {
  seq: number;
  ordinal: number;
}

export interface PgScoredChunk extends PgChunkRef {
  score: number;
}

export interface PgSearchOptions {
  topK: number;
  /**
   * Only chunks whose metadata match (the filter language of `core/filter.ts`): decided per
   * document (or per chunk for headingPath/page/ordinal) with the embedded index's own predicate
   * over the stored records, and applied in the scoring statement as a `WHERE` on (seq[, ordinal]).
   */
  filter?: FilterExpr;
  similarity?: SimilarityName;
  k1?: number;
  b?: number;
  delta?: number;
  /**
   * false: score every posting of the query terms (the exhaustive statement; the oracle the pruning
   * tests compare with). Default true: MaxScore where the planner expects it to skip postings, with
   * the same results. 'force': try MaxScore with the fewest candidates whenever a term can be set
   * aside, whatever it costs (for tests and experiments: the θ check and its fallback then run on
   * corpora where the planner would score every posting).
   */
  prune?: boolean | 'force';
  /**
   * Citus: how many of the best partial scores the seeds statement of a pruned search returns
   * (≥ 2·topK; default {@link SEED_ROWS}). With enough of them it holds every chunk that can reach
   * θ′ and answers alone; tests set 0 to run the two-statement evaluation on small corpora.
   */
  seedRows?: number;
}

export interface PgStoreStats {
  schemaVersion: number;
  distributed: boolean;
  generation: number;
  committedAt: number;
  numDocuments: number;
  numChunks: number;
  numTerms: number;
  numPostings: number;
  docCount: number;
  sumDocLen: number;
  avgdl: number;
  analyzer: string;
  textBytes: number;
  /** pg_total_relation_size of the ob_ tables (Citus: summed over shards). */
  bytesOnDisk: number;
}

interface Meta {
  analyzer: string;
  chunk_size: number;
  chunk_overlap: number;
  no_chunk: boolean;
  lucene_norms: boolean;
  /** Schema 4: the title is an indexed field of every chunk (IndexConfig.titleTerms); false for stores built before. */
  title_terms: boolean;
  generation: string;
  committed_at: string;
  next_seq: string;
  num_documents: string;
  num_chunks: string;
  num_postings: string;
  doc_count: string;
  sum_doc_len: string;
  max_doc_len: number;
  text_bytes: string;
}

// maskUrl and isPgUrl live in ./url.ts, which loads without the pg client (for the CLI's start-up).
export { isPgUrl, maskUrl } from './url.js';

/**
 * A server-side failure as one line naming the store and, on Citus, the node (the server's own
 * message says "connection to the remote node 127.0.0.1:5433 failed …"); openbook's own errors pass through.
 */
// The driver loads on first use (~35 CommonJS files), not with `import('openbook')`.
const require = createRequire(import.meta.url);

export function storeError(err: unknown, url: string): unknown {
  if (err instanceof OpenbookError || !(err instanceof Error)) return err;
  const first = err.message.split('\n')[0].trim();
  return new OpenbookError('STORE_UNAVAILABLE', `PostgreSQL store ${maskUrl(url)}: ${first}`, { cause: err, httpStatus: 503 });
}

/** A connection pool to one store. Credentials from the URL or the standard PG* variables, TLS per `sslmode`, as the `pg` client documents. */
export class PgStore {
  private constructor(
    readonly url: string,
    readonly pool: pg.Pool,
  ) {}

  static connect(url: string, opts: { max?: number } = {}): PgStore {
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: url, max: opts.max ?? 4 });
    pool.on('error', () => {}); // an idle client's error surfaces on the next query instead
    return new PgStore(url, pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Runs `fn` with one client, released afterwards; a connection error names the node. With
   * `settle`, the statement it sends last (a COMMIT the caller need not wait for) decides when:
   * the client goes back to the pool once that has settled, and is closed if it failed.
   * While checked out the client has an `error` listener (`watchClient`): pg emits `error` on a
   * client between queries when the server ends its connection (57P01 at a shutdown or
   * `pg_terminate_backend`), and the pool listens only to idle clients; such a client is closed
   * at release instead of going back to the pool.
   */
  async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>, settle?: (c: pg.PoolClient) => Promise<unknown>): Promise<T> {
    const c = await this.pool.connect().catch((err: Error) => {
      throw new IndexNotFoundError(`cannot connect to the PostgreSQL store ${maskUrl(this.url)}: ${err.message}`);
    });
    const watch = watchClient(c);
    try {
      return await fn(c);
    } catch (err) {
      throw storeError(err, this.url);
    } finally {
      if (settle) settle(c).then(() => watch.release(), (err: unknown) => watch.release(err instanceof Error ? err : true));
      else watch.release();
    }
  }

  /**
   * Creates or migrates the schema and, when absent, the meta row with `config`. Returns the
   * migrations applied (empty when the schema was current).
   * @throws IndexFormatError when the database's schema is newer than the code
   * @throws InvalidParameterError when the store exists with another analyzer
   */
  async init(config: IndexConfig): Promise<number[]> {
    getAnalyzer(config.analyzer);
    return this.withClient(async (c) => {
      const applied = await migrate(c);
      const r = await c.query<{ analyzer: string }>('SELECT analyzer FROM ob_meta WHERE id = 1');
      if (r.rowCount === 0) {
        await c.query('INSERT INTO ob_meta (id, analyzer, chunk_size, chunk_overlap, no_chunk, lucene_norms, title_terms) VALUES (1, $1, $2, $3, $4, $5, $6)', [
          config.analyzer,
          config.chunkSize,
          config.chunkOverlap,
          config.noChunk,
          config.luceneNorms,
          config.titleTerms === true,
        ]);
      } else if (r.rows[0].analyzer !== config.analyzer) {
        throw new InvalidParameterError(`the store uses analyzer "${r.rows[0].analyzer}", not "${config.analyzer}"`);
      }
      return applied;
    });
  }

  /** Applies pending migrations only. */
  async migrate(): Promise<number[]> {
    return this.withClient((c) => migrate(c));
  }

  /** The stored configuration, or null when the store has no meta row yet. */
  async config(): Promise<IndexConfig | null> {
    return this.withClient(async (c) => {
      if ((await schemaVersion(c)) === 0) return null;
      const r = await c.query<Meta>('SELECT * FROM ob_meta WHERE id = 1');
      if (r.rowCount === 0) return null;
      const m = r.rows[0];
      return { analyzer: m.analyzer, chunkSize: m.chunk_size, chunkOverlap: m.chunk_overlap, noChunk: m.no_chunk, luceneNorms: m.lucene_norms, titleTerms: m.title_terms === true };
    });
  }

  async stats(): Promise<PgStoreStats> {
    return this.withClient(async (c) => {
      await checkSchema(c);
      const m = (await c.query<Meta>('SELECT * FROM ob_meta WHERE id = 1')).rows[0];
      if (!m) throw new IndexNotFoundError(`the PostgreSQL store ${maskUrl(this.url)} is empty; run \`openbook index <paths> --store <url>\``);
      const distributed = await isCitus(c);
      const terms = await c.query<{ n: string }>('SELECT count(*) AS n FROM ob_terms');
      const tables = ['ob_meta', 'ob_documents', 'ob_chunks', 'ob_postings', 'ob_terms', 'ob_embeddings'];
      let bytes = 0;
      for (const t of tables) {
        const present = await c.query(`SELECT to_regclass($1) IS NOT NULL AS p`, [t]);
        if (!present.rows[0].p) continue;
        const sizeFn = distributed && t !== 'ob_meta' && t !== 'ob_terms' ? 'citus_total_relation_size' : 'pg_total_relation_size';
        const r = await c.query<{ s: string }>(`SELECT ${sizeFn}($1) AS s`, [t]);
        bytes += Number(r.rows[0].s);
      }
      const docCount = Number(m.doc_count);
      const sumDocLen = Number(m.sum_doc_len);
      return {
        schemaVersion: SCHEMA_VERSION,
        distributed,
        generation: Number(m.generation),
        committedAt: Number(m.committed_at),
        numDocuments: Number(m.num_documents),
        numChunks: Number(m.num_chunks),
        numTerms: Number(terms.rows[0].n),
        numPostings: Number(m.num_postings),
        docCount,
        sumDocLen,
        avgdl: docCount > 0 ? sumDocLen / docCount : 0,
        analyzer: m.analyzer,
        textBytes: Number(m.text_bytes),
        bytesOnDisk: bytes,
      };
    });
  }

  /** Opens the single writer (takes the advisory lock). */
  async writer(deps: { now: () => number; analyzer?: Analyzer; lockWaitMs?: number; threads?: number; bulkLoadMinPostings?: number; flushChars?: number }): Promise<PgStoreWriter> {
    return PgStoreWriter.open(this, deps);
  }

  /** A reader over the store's current commit. */
  async reader(opts: { analyzer?: Analyzer } = {}): Promise<PgStoreReader> {
    const config = await this.config();
    if (config === null) throw new IndexNotFoundError(`the PostgreSQL store ${maskUrl(this.url)} has no index; run \`openbook index <paths> --store <url>\``);
    await this.withClient((c) => checkSchema(c)); // an older schema must be migrated first, a newer one is refused
    return new PgStoreReader(this, config, opts.analyzer ?? getAnalyzer(config.analyzer));
  }
}

// ------------------------------------------------------------------------------------ writer

interface DocState {
  seq: number;
  record: DocumentRecord;
}

interface PendingDoc {
  doc: Document;
  record: DocumentRecord;
  chunks: Chunk[];
}

/** COPY text-format escaping of one field. */
/**
 * Listens for `error` on a checked-out client until its release (see PgStore.withClient); the
 * returned `release` gives the client back to the pool, or closes it when it failed meanwhile.
 */
function watchClient(c: pg.PoolClient): { release: (err?: Error | boolean) => void } {
  let failed: Error | undefined;
  const onError = (err: Error) => {
    failed ??= err;
  };
  c.on('error', onError);
  return {
    release: (err) => {
      c.removeListener('error', onError);
      c.release(failed ?? err);
    },
  };
}

function copyField(v: string | number | boolean | null): string {
  if (v === null) return '\\N';
  if (typeof v !== 'string') return String(v);
  return v.replace(/[\\\t\n\r]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r'));
}

const copyRow = (fields: Array<string | number | boolean | null>): string => fields.map(copyField).join('\t') + '\n';

/** JSON with object keys sorted at every level (jsonb does not keep the order they were written in). */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

function toRecord(doc: Document): DocumentRecord {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { text, ...record } = doc;
  return record;
}

/** Characters of chunk text per analysis batch (as the embedded writer's). */
const ANALYSIS_BATCH_CHARS = 512 * 1024;
/** A first commit into an empty store whose first batch has at least this many postings builds the postings' primary key after loading. */
const BULK_LOAD_MIN_POSTINGS = 50_000;
/**
 * Characters of chunk text the writer gathers before it analyses a batch and sends its rows into
 * the open commit (8 Mi: 16 analysis parts for the worker threads, ~80k postings of the
 * synthetic corpora, rows enough that a COPY's fixed costs do not show).
 */
const FLUSH_CHARS = 8 * 1024 * 1024;
/** Batches analysed or being written at once (one written while the next is analysed); `addDocuments` waits beyond it. */
const MAX_BATCHES_IN_FLIGHT = 2;
/** Removed or replaced documents whose rows are deleted per statement. */
const DELETE_BATCH_DOCS = 500;
/** A commit of at least this many postings is followed by VACUUM (ANALYZE). */
const ANALYZE_MIN_POSTINGS = 50_000;

/** maintenance_work_mem of a bulk load's index builds. */
const BULK_SORT_MEMORY = '1GB';

/** Rows are COPYed in batches of about this many bytes. */
const COPY_BATCH = 1 << 20;

async function copyRows(client: pg.PoolClient, sql: string, rows: Iterable<string>): Promise<void> {
  await copyBuffers(client, sql, batches());
  function* batches(): Generator<string> {
    let buf = '';
    for (const r of rows) {
      buf += r;
      if (buf.length >= COPY_BATCH) {
        yield buf;
        buf = '';
      }
    }
    if (buf.length > 0) yield buf;
  }
}

/** COPY … FROM STDIN fed with ready-made chunks (text rows or binary COPY data). */
async function copyBuffers(client: pg.PoolClient, sql: string, chunks: Iterable<string | Buffer>): Promise<void> {
  const { from: copyFrom } = require('pg-copy-streams') as typeof import('pg-copy-streams');
  await pipeline(Readable.from(chunks), client.query(copyFrom(sql)));
}

/**
 * Every id of a growing term dictionary in term order (UTF-16 code-unit order, as the embedded
 * index sorts terms), kept up to date by sorting only the terms added since and merging them in:
 * a batch's terms in term order are then a filter of it, instead of a string sort per batch (nine
 * sorts of 200–400k terms cost the 100k corpus ~2.5 s of the writer's thread).
 */
class TermOrder {
  private order = new Uint32Array(0);

  /** The ids 0 … terms.length − 1 ordered by term. */
  update(terms: readonly string[]): Uint32Array {
    const n = this.order.length;
    if (terms.length === n) return this.order;
    const cmp = (a: number, b: number) => (terms[a] < terms[b] ? -1 : terms[a] > terms[b] ? 1 : 0);
    const added = Uint32Array.from({ length: terms.length - n }, (_, i) => n + i).sort(cmp);
    const out = new Uint32Array(terms.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < n && j < added.length) out[k++] = cmp(this.order[i], added[j]) <= 0 ? this.order[i++] : added[j++];
    while (i < n) out[k++] = this.order[i++];
    while (j < added.length) out[k++] = added[j++];
    this.order = out;
    return out;
  }
}

/**
 * PostgreSQL's binary COPY format written into reusable buffers: the 19-byte header, tuples of
 * (int16 field count, then per field int32 length + big-endian bytes) and the int16 −1 trailer.
 * Source: PostgreSQL documentation, COPY, "Binary Format".
 */
class BinaryCopy {
  private buf = Buffer.allocUnsafe(COPY_BATCH + 64 * 1024);
  private at = 0;

  constructor() {
    // "PGCOPY\n\377\r\n\0", flags 0, header extension length 0
    this.at = this.buf.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
    this.at = this.buf.writeInt32BE(0, this.at);
    this.at = this.buf.writeInt32BE(0, this.at);
  }

  /** Starts a tuple of `fields` fields (room is made for a tuple of up to 64 KiB). */
  tuple(fields: number): void {
    if (this.buf.length - this.at < 64 * 1024) this.grow();
    this.at = this.buf.writeInt16BE(fields, this.at);
  }

  bytes(b: Buffer): void {
    if (this.buf.length - this.at < b.length + 4) this.grow(b.length + 4);
    this.at = this.buf.writeInt32BE(b.length, this.at);
    this.at += b.copy(this.buf, this.at);
  }

  int4(v: number): void {
    this.at = this.buf.writeInt32BE(4, this.at);
    this.at = this.buf.writeInt32BE(v, this.at);
  }

  /** The bytes written so far when they reach {@link COPY_BATCH} (the writer continues in a fresh buffer), else null. */
  takeIfFull(): Buffer | null {
    if (this.at < COPY_BATCH) return null;
    const full = this.buf.subarray(0, this.at);
    this.buf = Buffer.allocUnsafe(COPY_BATCH + 64 * 1024);
    this.at = 0;
    return full;
  }

  /** The rest with the trailer. */
  finish(): Buffer {
    if (this.buf.length - this.at < 2) this.grow();
    this.at = this.buf.writeInt16BE(-1, this.at);
    return this.buf.subarray(0, this.at);
  }

  private grow(need = 64 * 1024): void {
    const b = Buffer.allocUnsafe(this.buf.length + Math.max(need, this.buf.length));
    this.buf.copy(b, 0, 0, this.at);
    this.buf = b;
  }
}

/** Binary COPY data of (term, df) rows. */
function* termRowsBinary(rows: ReadonlyArray<readonly [string, number]>): Generator<Buffer> {
  const out = new BinaryCopy();
  for (const [term, df] of rows) {
    out.tuple(2);
    out.bytes(Buffer.from(term, 'utf8'));
    out.int4(df);
    const full = out.takeIfFull();
    if (full) yield full;
  }
  yield out.finish();
}

/**
 * The postings of one commit: per posting its term id and, interleaved, (chunk number, tf); per
 * chunk of the commit its seq, ordinal, length and norm byte. Laid out for the reorder into term
 * order: a posting's fields are one 8-byte read (its chunk's fields come from arrays small enough
 * to stay in cache) — six separate per-posting columns read in term order cost a cache miss each
 * (~16 s of the 100k corpus's 10.3M postings).
 */
class PostingColumns {
  length = 0;
  numChunks = 0;
  private term = new Uint32Array(1 << 16);
  /** [chunk number, tf] per posting. */
  private chunkTf = new Uint32Array(2 << 16);
  private seq = new Float64Array(1 << 10);
  private ordinal = new Uint32Array(1 << 10);
  private dl = new Uint32Array(1 << 10);
  private norm = new Uint8Array(1 << 10);

  /** Starts the postings of a chunk; {@link push} adds to the last chunk started. */
  startChunk(seq: number, ordinal: number, dl: number, norm: number): void {
    if (this.numChunks === this.seq.length) {
      const n = this.seq.length * 2;
      this.seq = grown(this.seq, new Float64Array(n));
      this.ordinal = grown(this.ordinal, new Uint32Array(n));
      this.dl = grown(this.dl, new Uint32Array(n));
      this.norm = grown(this.norm, new Uint8Array(n));
    }
    const c = this.numChunks++;
    this.seq[c] = seq;
    this.ordinal[c] = ordinal;
    this.dl[c] = dl;
    this.norm[c] = norm;
  }

  push(term: number, tf: number): void {
    if (this.length === this.term.length) {
      this.term = grown(this.term, new Uint32Array(this.term.length * 2));
      this.chunkTf = grown(this.chunkTf, new Uint32Array(this.chunkTf.length * 2));
    }
    const i = this.length++;
    this.term[i] = term;
    this.chunkTf[2 * i] = this.numChunks - 1;
    this.chunkTf[2 * i + 1] = tf;
  }

  /** Postings per term id (the commit's document-frequency increments). */
  docFreqs(numTerms: number): Uint32Array {
    const df = new Uint32Array(numTerms);
    for (let i = 0; i < this.length; i++) df[this.term[i]]++;
    return df;
  }

  /**
   * The postings as binary COPY data (PostgreSQL's `FORMAT binary`: header, one tuple per posting
   * of (term text, seq int8, ordinal int4, tf int4, norm int2, dl int4), trailer) in buffers of
   * about {@link COPY_BATCH} bytes, ordered by term (code-unit order), then as pushed (a stable
   * counting sort by the term's rank). Written straight into bytes: no per-row strings to build,
   * escape, encode and collect (the text rows cost the 100k corpus ~14 s of string building and
   * most of its ~36 s of garbage collection), and the server reads fixed-width integers instead
   * of parsing decimal text.
   */
  *binaryInTermOrder(terms: readonly string[], df: Uint32Array, byTerm: readonly number[]): Generator<Buffer> {
    const start = new Uint32Array(terms.length + 1);
    let first = 0;
    for (const id of byTerm) {
      start[id] = first;
      first += df[id];
    }
    // order: [chunk number, tf] of every posting, in term order
    const order = new Uint32Array(2 * this.length);
    const next = start.slice();
    for (let i = 0; i < this.length; i++) {
      const at = 2 * next[this.term[i]]++;
      order[at] = this.chunkTf[2 * i];
      order[at + 1] = this.chunkTf[2 * i + 1];
    }
    const { seq: seqs, ordinal: ordinals, dl: dls, norm: norms } = this;
    // A hand-inlined encoder over a local byte array (the same loop through small methods on a
    // Buffer ran several times slower).
    let buf = new Uint8Array(COPY_BATCH + 64 * 1024);
    let at = 0;
    const w32 = (v: number) => {
      buf[at] = v >>> 24;
      buf[at + 1] = v >>> 16;
      buf[at + 2] = v >>> 8;
      buf[at + 3] = v;
      at += 4;
    };
    at = Buffer.from(buf.buffer).write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
    w32(0); // flags
    w32(0); // header extension length
    for (const id of byTerm) {
      if (df[id] === 0) continue;
      const termBytes = Buffer.from(terms[id], 'utf8');
      const row = 48 + termBytes.length;
      for (let k = start[id], end = start[id] + df[id]; k < end; k++) {
        if (buf.length - at < row + 2) {
          const g = new Uint8Array(buf.length + row + 64 * 1024);
          g.set(buf.subarray(0, at));
          buf = g;
        }
        const ch = order[2 * k];
        buf[at] = 0; // 6 fields
        buf[at + 1] = 6;
        at += 2;
        w32(termBytes.length);
        for (let j = 0; j < termBytes.length; j++) buf[at + j] = termBytes[j];
        at += termBytes.length;
        const seq = seqs[ch]; // a non-negative integer below 2^53: high and low 32-bit words
        w32(8);
        w32(Math.floor(seq / 0x1_0000_0000));
        w32(seq >>> 0);
        w32(4);
        w32(ordinals[ch]);
        w32(4);
        w32(order[2 * k + 1]);
        w32(2);
        buf[at] = 0; // a norm byte is 0..255
        buf[at + 1] = norms[ch];
        at += 2;
        w32(4);
        w32(dls[ch]);
        if (at >= COPY_BATCH) {
          yield Buffer.from(buf.buffer, 0, at);
          buf = new Uint8Array(COPY_BATCH + 64 * 1024);
          at = 0;
        }
      }
    }
    buf[at] = 0xff; // trailer: int16 −1 (room for it was kept above)
    buf[at + 1] = 0xff;
    at += 2;
    yield Buffer.from(buf.buffer, 0, at);
  }
}

/** `to` with `from` copied into its start. */
function grown<T extends Uint32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

export interface PgCommitInfo {
  changed: boolean;
  generation: number;
  committedAt: number;
  numDocuments: number;
  numChunks: number;
  numPostings: number;
}

/** A document sent (or being sent) into the open commit: its sequence number is set when its batch is written. */
interface SentDoc {
  seq: number;
  record: DocumentRecord;
}

/** Documents analysed and COPYed together: their chunk texts in analysis parts of about {@link ANALYSIS_BATCH_CHARS}. */
interface Batch {
  docs: Array<{ doc: Document; chunks: Chunk[]; sent: SentDoc }>;
  parts: Array<{ from: number; to: number; counted: Promise<CountedChunks> | CountedChunks }>;
}

/** The open transaction of a commit whose rows are being sent: what it has added so far. */
interface OpenCommit {
  meta: Meta;
  nextSeq: number;
  /** A first commit into an empty store: the postings' primary key is dropped and built at commit. */
  bulk: boolean;
  /** Bulk on a single node: ob_postings and ob_terms were truncated, COPY FREEZE. */
  freeze: boolean;
  /** Postings added per term id of the writer's dictionary (the commit's document-frequency increments). */
  df: Uint32Array;
  docs: number;
  chunks: number;
  postings: number;
  docCount: number;
  sumLen: number;
  textBytes: number;
  maxLen: number;
}

/**
 * The single writer of a store, with the embedded writer's contract: add, replace and remove
 * documents, then `commit()` them in one transaction.
 *
 * Streaming: added documents are gathered into batches of about `flushChars` characters of chunk
 * text; each full batch is analysed (on the analysis threads when the writer has them) and its
 * document, chunk and posting rows COPYed into the commit's transaction, which the first batch
 * opens. Batches are pipelined — one is written while the next is analysed — and `addDocuments`
 * waits while {@link MAX_BATCHES_IN_FLIGHT} are, so the writer holds a bounded amount of text
 * whatever the commit's size (a 1M-document commit held in memory outgrew Node's 4 GB heap). What
 * the writer keeps for the whole commit is per term (the dictionary and one counter per term) and
 * per document (its record and sequence number). Readers see nothing of it until `commit()`
 * commits the transaction; a writer killed before that leaves the previous commit, as PostgreSQL
 * rolls the open transaction back. A document replaced or removed after its batch was sent has
 * its rows deleted again at commit, like one of an earlier commit.
 *
 * A failure while sending or committing rolls the whole transaction back; the writer then refuses
 * further changes (the sent documents are no longer in memory to be sent again): open a new one.
 */
export class PgStoreWriter {
  /** Committed documents. */
  private readonly docs = new Map<string, DocState>();
  /** Added and not yet in a batch. */
  private readonly pending = new Map<string, PendingDoc>();
  private pendingChars = 0;
  /** In a batch of the open commit (sent or being sent). */
  private readonly sent = new Map<string, SentDoc>();
  /** Sent documents replaced or removed again before the commit: their rows are deleted at commit. */
  private readonly unsent: SentDoc[] = [];
  private readonly removed = new Set<number>();
  private readonly recordUpdates = new Map<number, DocumentRecord>();
  private closed = false;
  private pool: AnalysisPool | null = null;
  /** The dictionary of every term the writer analysed (the pool's workers intern into it too, once per term and worker). */
  private readonly dict = new TermDictionary();
  private readonly termOrder = new TermOrder();
  private counter: ChunkTermCounter | null = null;
  private open: OpenCommit | null = null;
  /** The batch writes queued, oldest first; each write starts when the one before it ends. */
  private inFlight: Array<Promise<void>> = [];
  private tail: Promise<void> = Promise.resolve();
  /** The first failure of a batch write or commit (the transaction is rolled back). */
  private failure: Error | null = null;
  /** The held connection's error listener and release (set by `open`). */
  private watch!: ReturnType<typeof watchClient>;

  private constructor(
    private readonly client: pg.PoolClient,
    readonly config: IndexConfig,
    private readonly analyzer: Analyzer,
    private readonly now: () => number,
    private readonly threads: number,
    private readonly bulkLoadMinPostings: number,
    private readonly flushChars: number,
    /** On a Citus coordinator (COPY FREEZE is used on a single node only). */
    private readonly distributed: boolean,
  ) {}

  /**
   * `lockWaitMs`: how long to wait for another writer's lock before refusing (default 0: refuse at once).
   * `threads`: analysis worker threads (default 1: this thread). `bulkLoadMinPostings`: a first
   * commit into an empty store whose first batch has at least this many postings builds the
   * postings' primary key after loading (default {@link BULK_LOAD_MIN_POSTINGS}). `flushChars`:
   * characters of chunk text per batch sent into the open commit (default {@link FLUSH_CHARS}).
   */
  static async open(
    store: PgStore,
    deps: { now: () => number; analyzer?: Analyzer; lockWaitMs?: number; threads?: number; bulkLoadMinPostings?: number; flushChars?: number },
  ): Promise<PgStoreWriter> {
    const config = await store.config();
    if (config === null) throw new IndexNotFoundError(`the PostgreSQL store ${maskUrl(store.url)} is not initialised; run \`openbook store init --store <url>\``);
    const analyzer = deps.analyzer ?? getAnalyzer(config.analyzer);
    if (analyzer.name !== config.analyzer) throw new InvalidParameterError(`analyzer "${analyzer.name}" given for a store that uses "${config.analyzer}"`);
    const flushChars = deps.flushChars ?? FLUSH_CHARS;
    if (!(flushChars >= 1)) throw new InvalidParameterError(`flushChars must be at least 1, got ${flushChars}`);
    const client = await store.pool.connect();
    const watch = watchClient(client); // the writer holds its connection (and the lock) until close()
    try {
      await checkSchema(client);
      // A writer killed with -9 holds the lock until its server backend notices the closed socket: `lockWaitMs` rides that out.
      const waitUntil = Date.now() + (deps.lockWaitMs ?? 0);
      let ok = false;
      for (;;) {
        ok = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [WRITER_LOCK])).rows[0].ok;
        if (ok || Date.now() >= waitUntil) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!ok) {
        const who = await client.query<{ since: Date; pid: number; addr: string | null }>(
          `SELECT a.backend_start AS since, a.pid, host(a.client_addr) AS addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1 LIMIT 1`,
          [WRITER_LOCK],
        );
        const w = who.rows[0];
        const since = w ? `${w.since.toISOString()} (backend pid ${w.pid}${w.addr ? ` from ${w.addr}` : ''})` : 'an unknown time';
        throw new IndexLockedError(maskUrl(store.url), `another writer holds the store since ${since}`);
      }
      const w = new PgStoreWriter(client, config, analyzer, deps.now, deps.threads ?? 1, deps.bulkLoadMinPostings ?? BULK_LOAD_MIN_POSTINGS, flushChars, await isCitus(client));
      const r = await client.query<{ seq: string; record: DocumentRecord }>('SELECT seq, record FROM ob_documents');
      for (const row of r.rows) w.docs.set(row.record.id, { seq: Number(row.seq), record: row.record });
      w.watch = watch;
      return w;
    } catch (err) {
      watch.release();
      throw err;
    }
  }

  get dirty(): boolean {
    return this.pending.size > 0 || this.sent.size > 0 || this.unsent.length > 0 || this.removed.size > 0 || this.recordUpdates.size > 0;
  }

  /** The record of `docId` as it will be after the next commit, or undefined. */
  getDocument(docId: string): DocumentRecord | undefined {
    return this.pending.get(docId)?.record ?? this.sent.get(docId)?.record ?? this.docs.get(docId)?.record;
  }

  documentIds(): Iterable<string> {
    const ids = new Set(this.docs.keys());
    for (const id of this.sent.keys()) ids.add(id);
    for (const id of this.pending.keys()) ids.add(id);
    return ids;
  }

  /**
   * Adds or replaces documents (an unchanged text with changed metadata only updates the record).
   * Full batches are sent into the open commit; this waits while {@link MAX_BATCHES_IN_FLIGHT}
   * batches are being analysed or written, so an iterable of any length is read as it is sent.
   * @throws the failure of an earlier batch (the commit's transaction is then rolled back)
   */
  async addDocuments(items: Iterable<DocumentWithChunks>): Promise<void> {
    for (const { doc, chunks } of items) {
      this.addDocument(doc, chunks);
      while (this.inFlight.length >= MAX_BATCHES_IN_FLIGHT) await this.inFlight[0];
      this.assertHealthy();
    }
  }

  /** Adds or replaces one document; a full batch starts being analysed and sent (without waiting: see {@link addDocuments}). */
  addDocument(doc: Document, chunks: Chunk[]): void {
    this.assertOpen();
    this.assertHealthy();
    chunks.forEach((ch, i) => {
      if (ch.docId !== doc.id || ch.ordinal !== i) throw new InvalidParameterError(`chunk ${i} of document ${JSON.stringify(doc.id)} is out of order or belongs to ${JSON.stringify(ch.docId)}`);
    });
    const record = toRecord(doc);
    const old = this.docs.get(doc.id);
    // With title terms a changed title changes the chunks' terms (as in the embedded writer).
    if (!this.pending.has(doc.id) && !this.sent.has(doc.id) && old && old.record.contentHash === doc.contentHash && (this.config.titleTerms !== true || old.record.title === doc.title)) {
      // jsonb keeps its own key order: compare canonically, or every unchanged document would look updated.
      if (canonicalJson(old.record) !== canonicalJson(record)) this.recordUpdates.set(old.seq, record);
      old.record = record;
      return;
    }
    // As in the embedded writer, a replaced document moves to the end of the chunk order.
    this.dropPending(doc.id);
    this.dropSent(doc.id);
    this.pending.set(doc.id, { doc, record, chunks });
    for (const ch of chunks) this.pendingChars += ch.text.length;
    if (this.pendingChars >= this.flushChars) this.startBatch();
  }

  removeDocument(docId: string): boolean {
    this.assertOpen();
    const hadPending = this.dropPending(docId);
    const hadSent = this.dropSent(docId);
    const old = this.docs.get(docId);
    if (old) {
      this.removed.add(old.seq);
      this.recordUpdates.delete(old.seq);
      this.docs.delete(docId);
    }
    return hadPending || hadSent || old !== undefined;
  }

  private dropPending(docId: string): boolean {
    const p = this.pending.get(docId);
    if (!p) return false;
    for (const ch of p.chunks) this.pendingChars -= ch.text.length;
    this.pending.delete(docId);
    return true;
  }

  private dropSent(docId: string): boolean {
    const s = this.sent.get(docId);
    if (!s) return false;
    this.sent.delete(docId);
    this.unsent.push(s);
    return true;
  }

  /** Moves the pending documents into a batch: its analysis starts now, its rows are written after the batches before it. */
  private startBatch(): void {
    if (this.pending.size === 0) return;
    const docs: Batch['docs'] = [];
    for (const p of this.pending.values()) {
      const sent: SentDoc = { seq: -1, record: p.record };
      this.sent.set(p.doc.id, sent);
      docs.push({ doc: p.doc, chunks: p.chunks, sent });
    }
    this.pending.clear();
    this.pendingChars = 0;
    const pool = this.threads > 1 && docs.length > 1 ? (this.pool ??= new AnalysisPool(this.config.analyzer, this.threads, (t) => this.dict.idOf(t))) : null;
    const parts: Batch['parts'] = [];
    for (let i = 0; i < docs.length; ) {
      let chars = 0;
      let j = i;
      const texts: string[] = [];
      while (j < docs.length && (j === i || chars < ANALYSIS_BATCH_CHARS)) {
        for (const ch of docs[j].chunks) {
          texts.push(chunkAnalysisText(docs[j].doc.title, ch.text, this.config.titleTerms));
          chars += ch.text.length;
        }
        j++;
      }
      let counted: Promise<CountedChunks> | CountedChunks;
      if (pool) {
        counted = pool.analyze(texts);
        counted.catch(() => {}); // taken by the batch's write (or dropped after an earlier failure)
      } else {
        counted = (this.counter ??= new ChunkTermCounter(this.analyzer, this.dict)).countAll(texts);
      }
      parts.push({ from: i, to: j, counted });
      i = j;
    }
    const batch: Batch = { docs, parts };
    const write = this.tail.then(async () => {
      if (this.failure) return;
      try {
        await this.writeBatch(batch);
      } catch (err) {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      }
    });
    this.tail = write;
    this.inFlight.push(write);
    void write.then(() => this.inFlight.splice(this.inFlight.indexOf(write), 1));
  }

  /** Opens the commit's transaction (once). `firstPostings`: postings of the first batch, which decide the bulk path (undefined: a commit that sends no batch). */
  private async openCommit(firstPostings: number | undefined): Promise<OpenCommit> {
    if (this.open) return this.open;
    const c = this.client;
    await c.query('BEGIN');
    const meta = (await c.query<Meta>('SELECT * FROM ob_meta WHERE id = 1 FOR UPDATE')).rows[0];
    // A first commit of many postings into an empty store (then ob_postings and ob_terms are empty: every df is 0).
    const bulk = firstPostings !== undefined && Number(meta.num_postings) === 0 && firstPostings >= this.bulkLoadMinPostings;
    const freeze = bulk && !this.distributed;
    // A bulk load builds the postings' primary key after the COPYs (a sorted build) instead of
    // inserting every row into it. DDL is transactional, so a failed commit leaves the index as it
    // was; readers of the (still empty) store wait for the commit meanwhile. On a single node the
    // (empty) tables are truncated first, so that COPY FREEZE may write the rows frozen and their
    // pages all-visible: the VACUUM after the commit then has no page to visit. TRUNCATE is
    // transactional too (a failed commit restores the old files).
    if (bulk) {
      await c.query('ALTER TABLE ob_postings DROP CONSTRAINT ob_postings_pkey');
      if (freeze) await c.query('TRUNCATE ob_postings, ob_terms');
    }
    this.open = {
      meta,
      nextSeq: Number(meta.next_seq),
      bulk,
      freeze,
      df: new Uint32Array(Math.max(1024, this.dict.size)),
      docs: 0,
      chunks: 0,
      postings: 0,
      docCount: 0,
      sumLen: 0,
      textBytes: 0,
      maxLen: meta.max_doc_len,
    };
    return this.open;
  }

  /** Writes one batch's document, chunk and posting rows into the open commit. */
  private async writeBatch(batch: Batch): Promise<void> {
    const c = this.client;
    const counted: CountedChunks[] = [];
    let numPostings = 0;
    for (const p of batch.parts) {
      const r = await p.counted;
      counted.push(r);
      numPostings += r.ids.length;
    }
    if (!this.open) {
      try {
        await this.openCommit(numPostings);
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }
    const tx = this.open!;
    const { docs } = batch;
    const firstSeq = tx.nextSeq;
    for (const d of docs) {
      d.sent.seq = tx.nextSeq++;
      tx.docs++;
      tx.textBytes += Buffer.byteLength(d.doc.text);
    }
    function* docRows(): Generator<string> {
      for (let i = 0; i < docs.length; i++) {
        const { doc, sent } = docs[i];
        yield copyRow([firstSeq + i, doc.id, doc.source, doc.contentHash, JSON.stringify(sent.record), doc.text]);
      }
    }
    await copyRows(c, 'COPY ob_documents (seq, id, source, content_hash, record, text) FROM STDIN', docRows());
    let numChunks = 0;
    for (const d of docs) numChunks += d.chunks.length;
    const docLens = new Uint32Array(numChunks);
    const post = new PostingColumns();
    let chunkNo = 0;
    batch.parts.forEach((part, pi) => {
      const r = counted[pi];
      let n = 0;
      for (let d = part.from; d < part.to; d++) {
        const seq = firstSeq + d;
        for (const ch of docs[d].chunks) {
          const dl = r.docLens[n];
          docLens[chunkNo++] = dl;
          tx.chunks++;
          if (dl > 0) tx.docCount++;
          tx.sumLen += dl;
          if (dl > tx.maxLen) tx.maxLen = dl;
          post.startChunk(seq, ch.ordinal, dl, intToByte4(dl));
          for (let k = n === 0 ? 0 : r.ends[n - 1]; k < r.ends[n]; k++) post.push(r.ids[k], r.tfs[k]);
          n++;
        }
      }
    });
    function* chunkRows(): Generator<string> {
      let n = 0;
      for (let i = 0; i < docs.length; i++) {
        for (const ch of docs[i].chunks) {
          yield copyRow([firstSeq + i, ch.ordinal, ch.text, ch.startChar, ch.endChar, ch.startLine, ch.endLine, ch.page ?? 0, JSON.stringify(ch.headingPath), docLens[n++]]);
        }
      }
    }
    await copyRows(c, 'COPY ob_chunks (seq, ordinal, text, start_char, end_char, start_line, end_line, page, heading_path, doc_len) FROM STDIN', chunkRows());
    // The batch's postings in term order (a counting sort by the term's rank, stable, so (seq,
    // ordinal) order holds within a term): the primary key's btree then takes them as in-order
    // runs instead of random inserts, and a bulk load's sorted build gets long sorted runs.
    const terms = this.dict.terms;
    const df = post.docFreqs(terms.length);
    if (tx.df.length < terms.length) tx.df = grown(tx.df, new Uint32Array(Math.max(terms.length, tx.df.length * 2)));
    const present: number[] = [];
    for (const id of this.termOrder.update(terms)) {
      if (df[id] > 0) {
        present.push(id);
        tx.df[id] += df[id];
      }
    }
    tx.postings += post.length;
    await copyBuffers(c, `COPY ob_postings (term, seq, ordinal, tf, norm, dl) FROM STDIN WITH (FORMAT binary${tx.freeze ? ', FREEZE' : ''})`, post.binaryInTermOrder(terms, df, present));
  }

  /** Waits for every batch queued; throws the first failure. */
  private async drain(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure;
  }

  /**
   * Sends what is left, deletes the rows of removed and replaced documents, updates the document
   * frequencies and statistics and commits the transaction: readers see all of it or none.
   * Returns changed: false (and writes nothing) when nothing changed.
   */
  async commit(): Promise<PgCommitInfo> {
    this.assertOpen();
    const c = this.client;
    if (this.failure) {
      await this.tail;
      this.open = null;
      await c.query('ROLLBACK').catch(() => {});
      this.assertHealthy();
    }
    if (!this.dirty) {
      const m = (await c.query<Meta>('SELECT * FROM ob_meta WHERE id = 1')).rows[0];
      return { changed: false, generation: Number(m.generation), committedAt: Number(m.committed_at), numDocuments: Number(m.num_documents), numChunks: Number(m.num_chunks), numPostings: Number(m.num_postings) };
    }
    const committedAt = this.now();
    try {
      this.startBatch();
      await this.drain();
      const tx = await this.openCommit(undefined);
      const m = tx.meta;
      // Rows to delete: removed documents, documents of earlier commits replaced in this one, and
      // documents of this commit replaced or removed after they were sent.
      const drop = new Set(this.removed);
      for (const id of this.sent.keys()) {
        const old = this.docs.get(id);
        if (old) drop.add(old.seq);
      }
      for (const s of this.unsent) drop.add(s.seq);
      const dfDelta = new Map<string, number>();
      const dropped = drop.size > 0 ? await this.deleteRows([...drop], dfDelta) : { docs: 0, chunks: 0, postings: 0, docCount: 0, sumLen: 0, textBytes: 0 };
      for (const [seq, record] of this.recordUpdates) {
        await c.query('UPDATE ob_documents SET record = $2, source = $3 WHERE seq = $1', [seq, JSON.stringify(record), record.source]);
      }
      if (tx.bulk) {
        // Enough sort memory for the 100k corpus's 10.3M index tuples to sort in memory (an
        // external merge sort of them took about as long again).
        await c.query(`SET LOCAL maintenance_work_mem = '${BULK_SORT_MEMORY}'`);
        await c.query('ALTER TABLE ob_postings ADD PRIMARY KEY (term, seq, ordinal) INCLUDE (tf, norm, dl)');
      }
      // Document-frequency changes in term order (in-order btree inserts); into the empty
      // ob_terms of a bulk load by COPY, else upserted.
      const terms = this.dict.terms;
      let changed: Array<[string, number]> = [];
      for (const id of this.termOrder.update(terms)) {
        if (id >= tx.df.length || tx.df[id] === 0) continue;
        const t = terms[id];
        const d = tx.df[id] + (dfDelta.get(t) ?? 0);
        dfDelta.delete(t);
        if (d !== 0) changed.push([t, d]);
      }
      // Terms only the deleted documents had (not in this writer's dictionary): sorted and merged in.
      const rest = [...dfDelta].filter(([, d]) => d !== 0);
      if (rest.length > 0) changed = [...changed, ...rest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (tx.bulk) {
        await copyBuffers(c, `COPY ob_terms (term, df) FROM STDIN WITH (FORMAT binary${tx.freeze ? ', FREEZE' : ''})`, termRowsBinary(changed.filter(([, d]) => d > 0)));
      } else if (changed.length > 0) {
        await c.query(
          `INSERT INTO ob_terms AS t (term, df) SELECT * FROM unnest($1::text[], $2::int[])
           ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df`,
          [changed.map(([t]) => t), changed.map(([, d]) => d)],
        );
        await c.query('DELETE FROM ob_terms WHERE term = ANY($1::text[]) AND df <= 0', [changed.filter(([, d]) => d < 0).map(([t]) => t)]);
      }
      const generation = Number(m.generation) + 1;
      const dDocs = tx.docs - dropped.docs;
      const dChunks = tx.chunks - dropped.chunks;
      const dPostings = tx.postings - dropped.postings;
      await c.query(
        `UPDATE ob_meta SET generation = $1, committed_at = $2, next_seq = $3, num_documents = num_documents + $4, num_chunks = num_chunks + $5,
           num_postings = num_postings + $6, doc_count = doc_count + $7, sum_doc_len = sum_doc_len + $8, text_bytes = text_bytes + $9, max_doc_len = $10 WHERE id = 1`,
        [generation, committedAt, tx.nextSeq, dDocs, dChunks, dPostings, tx.docCount - dropped.docCount, tx.sumLen - dropped.sumLen, tx.textBytes - dropped.textBytes, tx.maxLen],
      );
      await c.query('COMMIT');
      this.open = null;
      // Planner statistics and the visibility map for a commit that changed much: without them
      // the scoring statement's index-only scan reads the heap for every posting until
      // autovacuum comes by. VACUUM cannot run inside the transaction; a failure here loses nothing.
      if (tx.bulk || tx.postings >= ANALYZE_MIN_POSTINGS) await c.query('VACUUM (ANALYZE) ob_postings, ob_terms');
      for (const [id, st] of this.sent) this.docs.set(id, st);
      this.sent.clear();
      this.unsent.length = 0;
      this.removed.clear();
      this.recordUpdates.clear();
      return {
        changed: true,
        generation,
        committedAt,
        numDocuments: Number(m.num_documents) + dDocs,
        numChunks: Number(m.num_chunks) + dChunks,
        numPostings: Number(m.num_postings) + dPostings,
      };
    } catch (err) {
      this.open = null;
      await c.query('ROLLBACK').catch(() => {});
      this.failure ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /**
   * Deletes the rows of documents `seqs` inside the open commit; their document-frequency
   * decrements go into `dfDelta`. There is no index on the postings' seq (schema 3): a chunk's
   * postings are found through the primary key (term, seq, ordinal) from its terms, which are its
   * stored text analysed again (after its document's title when the store has `titleTerms`). The tf of the rows deleted must add up to the chunks' stored
   * lengths (every posting has tf ≥ 1 and a chunk's tfs sum to its length): when they do not —
   * an analyzer that changed since the rows were written — the rest of those documents' postings
   * are deleted by a scan of `seq`.
   */
  private async deleteRows(seqs: number[], dfDelta: Map<string, number>): Promise<{ docs: number; chunks: number; postings: number; docCount: number; sumLen: number; textBytes: number }> {
    const c = this.client;
    const out = { docs: 0, chunks: 0, postings: 0, docCount: 0, sumLen: 0, textBytes: 0 };
    const counter = new ChunkTermCounter(this.analyzer, new TermDictionary());
    const addDf = (rows: Array<{ term: string; n: string }>) => {
      for (const r of rows) {
        dfDelta.set(r.term, (dfDelta.get(r.term) ?? 0) - Number(r.n));
        out.postings += Number(r.n);
      }
    };
    for (let i = 0; i < seqs.length; i += DELETE_BATCH_DOCS) {
      const part = seqs.slice(i, i + DELETE_BATCH_DOCS);
      const ch = await c.query<{ seq: string; ordinal: number; text: string; doc_len: number; title: string | null }>(
        this.config.titleTerms === true
          ? `SELECT c.seq, c.ordinal, c.text, c.doc_len, d.record->>'title' AS title FROM ob_chunks c JOIN ob_documents d ON d.seq = c.seq WHERE c.seq = ANY($1::bigint[])`
          : 'SELECT seq, ordinal, text, doc_len, NULL AS title FROM ob_chunks WHERE seq = ANY($1::bigint[])',
        [part],
      );
      let lenSum = 0;
      for (const r of ch.rows) {
        out.chunks++;
        if (r.doc_len > 0) out.docCount++;
        lenSum += r.doc_len;
      }
      out.sumLen += lenSum;
      if (ch.rows.length > 0) {
        const counted = counter.countAll(ch.rows.map((r) => chunkAnalysisText(r.title ?? '', r.text, this.config.titleTerms)));
        const dictTerms = counter.dict.terms;
        const pTerms: string[] = [];
        const pSeqs: string[] = [];
        const pOrds: number[] = [];
        for (let n = 0; n < ch.rows.length; n++) {
          for (let k = n === 0 ? 0 : counted.ends[n - 1]; k < counted.ends[n]; k++) {
            pTerms.push(dictTerms[counted.ids[k]]);
            pSeqs.push(ch.rows[n].seq);
            pOrds.push(ch.rows[n].ordinal);
          }
        }
        const del = await c.query<{ term: string; n: string; s: string }>(
          `WITH d AS (DELETE FROM ob_postings p USING unnest($1::text[], $2::bigint[], $3::int[]) AS x(term, seq, ordinal)
             WHERE p.term = x.term AND p.seq = x.seq AND p.ordinal = x.ordinal AND p.seq = ANY($4::bigint[]) RETURNING p.term, p.tf)
           SELECT term, count(*) AS n, sum(tf) AS s FROM d GROUP BY term`,
          [pTerms, pSeqs, pOrds, part],
        );
        addDf(del.rows);
        let tfSum = 0;
        for (const r of del.rows) tfSum += Number(r.s);
        if (tfSum !== lenSum) {
          const rest = await c.query<{ term: string; n: string }>('WITH d AS (DELETE FROM ob_postings WHERE seq = ANY($1::bigint[]) RETURNING term) SELECT term, count(*) AS n FROM d GROUP BY term', [part]);
          addDf(rest.rows);
        }
      }
      const dd = await c.query<{ n: string; t: string | null }>('SELECT count(*) AS n, sum(octet_length(text)) AS t FROM ob_documents WHERE seq = ANY($1::bigint[])', [part]);
      out.docs += Number(dd.rows[0].n);
      out.textBytes += Number(dd.rows[0].t ?? 0);
      for (const t of ['ob_chunks', 'ob_documents']) await c.query(`DELETE FROM ${t} WHERE seq = ANY($1::bigint[])`, [part]);
      if (await this.hasEmbeddings()) await c.query('DELETE FROM ob_embeddings WHERE seq = ANY($1::bigint[])', [part]);
    }
    return out;
  }

  private async hasEmbeddings(): Promise<boolean> {
    const r = await this.client.query(`SELECT to_regclass('ob_embeddings') IS NOT NULL AS p`);
    return r.rows[0].p as boolean;
  }

  /** Releases the lock; uncommitted changes are dropped (an open commit's transaction is rolled back). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.tail;
      if (this.open) {
        this.open = null;
        await this.client.query('ROLLBACK').catch(() => {});
      }
      await this.pool?.close();
      await this.client.query('SELECT pg_advisory_unlock($1)', [WRITER_LOCK]);
    } finally {
      this.watch.release();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidParameterError('the store writer is closed');
  }

  private assertHealthy(): void {
    if (this.failure) {
      throw new OpenbookError('STORE_WRITE_FAILED', `the store writer failed and rolled back its uncommitted changes (${this.failure.message.split('\n')[0]}); open a new writer`, { cause: this.failure });
    }
  }
}

// ------------------------------------------------------------------------------------ reader

/** SQL for one posting's contribution: W weight, TF term frequency, LN the length factor ($K1, $DELTA: k1, δ). */
function termScoreSql(sim: Similarity): string {
  const W = 'w.w';
  const TF = 'p.tf';
  const LN = 'w.ln';
  switch (sim.name) {
    case 'bm25': // f(w − f(w / f(1 + f(tf · ni))))
      return `(${W} - ${W} / (1::real + ${TF}::real * ${LN}))::float8`;
    case 'tfidf': // f(f(f(sqrt tf) · w) · norm)
      return `((sqrt(${TF}::float8)::real * ${W}) * ${LN})::float8`;
    case 'bm25-robertson':
      return `${W} * (${TF}::float8 / (${TF}::float8 + ${LN}))`;
    case 'bm25-atire':
      return `${W} * ((($K1::float8 + 1) * ${TF}::float8) / (${TF}::float8 + ${LN}))`;
    case 'bm25l':
      return `${W} * ((($K1::float8 + 1) * (${TF}::float8 / ${LN} + $DELTA::float8)) / ($K1::float8 + ${TF}::float8 / ${LN} + $DELTA::float8))`;
    case 'bm25+':
      return `${W} * ((($K1::float8 + 1) * ${TF}::float8) / (${LN} + ${TF}::float8) + $DELTA::float8)`;
  }
}

/**
 * The largest (true length / decoded length) over Lucene's one-byte norms: a length is rounded
 * *down* to its byte (small-float.ts), so 1/sqrt(decoded) may exceed 1/sqrt(docLen) by √ of this
 * (< 1.125: a 4-bit mantissa).
 */
const NORM_LENGTH_RATIO = (() => {
  let r = 1;
  for (let b = 1; b < 256; b++) {
    const hi = b < 255 ? byte4ToInt(b + 1) - 1 : 2 ** 31 - 1;
    r = Math.max(r, hi / byte4ToInt(b));
  }
  return r;
})();

/**
 * An upper bound on one posting's contribution of a term with query weight `w`, over every term
 * frequency ≥ 1 and chunk length (the MaxScore bound; Turtle & Flood 1995). Each is the limit of the
 * variant's tf part as tf → ∞ (the tf parts rise with tf and fall with the length factor):
 *  - bm25: w − w/(1 + tf·ni) < w, and in float it rounds to at most w;
 *  - bm25-robertson: w · tf/(tf + K) < w (≤ 0 when the idf is negative: the bound is then 0);
 *  - bm25-atire, bm25l: w · (k1 + 1);  bm25+: w · (k1 + 1 + δ);
 *  - tfidf: √tf · w / √dl ≤ w since tf ≤ dl, times √(true/decoded length) with Lucene norms.
 * The float32 variants' roundings (a few ulps, < 3·10⁻⁷ relative) are covered by {@link BOUND_SLACK}.
 */
export function termUpperBound(sim: Similarity, w: number, p: SimilarityParams, luceneNorms: boolean): number {
  const pos = Math.max(w, 0);
  switch (sim.name) {
    case 'bm25':
    case 'bm25-robertson':
      return pos;
    case 'bm25-atire':
    case 'bm25l':
      return pos * (p.k1 + 1);
    case 'bm25+':
      return pos * (p.k1 + 1 + p.delta);
    case 'tfidf':
      return pos * (luceneNorms ? Math.sqrt(NORM_LENGTH_RATIO) : 1);
  }
}

/**
 * Relative slack on the sum of the non-essential terms' bounds: it covers the float rounding of each
 * contribution (≤ 3·10⁻⁷ relative in the float32 variants), of their double sum and of the sum's
 * rounding to float, so "θ > bound sum" is strict in the arithmetic the statement uses.
 */
export const BOUND_SLACK = 1e-6;

/** How a query is scored: which terms produce candidates (essential) and the bound of the rest. */
export interface PruningPlan {
  /** Terms whose postings give the candidates; the others are only probed on them. */
  essential: string[];
  /** Σ upper bound of the other (non-essential) terms, slack included: a chunk holding none of the essential terms scores below it. */
  bound: number;
  /**
   * Citus only: score through seeds and θ′ in two statements (true), or probe every query term on
   * every essential candidate in one (false), whichever the planner priced lower (see runScoring).
   */
  seeded?: boolean;
}

/**
 * What probing one query term on one candidate costs, in postings aggregated by the exhaustive
 * statement: a parameterised primary-key probe per candidate took ~13 µs for 3 terms against
 * ~0.5 µs per posting merged and summed (100k synthetic corpus, one node, load ~5), so ≈ 8.
 */
export const PROBE_COST = 8;

/**
 * What one more distributed statement costs on Citus, in postings merged: the adaptive executor's
 * round trips to the 4 shards on 2 workers, a few ms here. Chosen by paired runs of 300 100k
 * queries on a Citus store (load 5.7–6.6): at 3,000, 135 queries the one-statement form answered
 * went to seeds and θ′ and took 12.8 → 15.1 ms at their median; at 8,000 they stay (13.2 / 12.7 ms)
 * and the 30 queries that had been exhaustive take 55.6 → 33.4 ms.
 */
export const CITUS_STATEMENT_COST = 8000;

/**
 * Citus: how many of the best partial scores the seeds statement returns (at least 2·topK). The
 * more it returns, the more often it holds every chunk that can reach θ′ and answers alone, for
 * M probes per shard more. On the kept 1M bench:store Citus store (300 queries, 145 of them seeded),
 * the seeds answered alone 21 times at 20 rows, 48 at 50, 57 at 100 and 71 at 200, where the seeds
 * statement's p50 rose from ~9 to ~11 ms.
 */
export const SEED_ROWS = 100;

/** A query term as the pruning plan sees it: docFreq, upper bound and the expected score of one average chunk holding it once. */
export interface TermPlanStats {
  term: string;
  df: number;
  bound: number;
  estimate: number;
}

/**
 * The MaxScore split for a threshold: terms by ascending bound (then descending docFreq); the
 * first j are set aside (non-essential) when their bound sum stays below `theta(rest)` (the
 * threshold expected, or known, once they are set aside) and the essential rest still has
 * ≥ topK postings. Of those j, the one of least expected cost, in postings merged: the essential
 * terms' postings (their partial scores), plus a probe of each set-aside term ({@link PROBE_COST}
 * postings' worth) on the candidates whose partial score is within the set-aside bound of the
 * k-th best partial score — expected to be a share bound/θ of the candidates (partial scores
 * spread over [0, θ]), at least topK. Null when no term can be set aside, or when the cheapest
 * split would cost more than merging every posting (`probeCost` 0: no cost rule, the most terms).
 */
function splitTerms(terms: readonly TermPlanStats[], topK: number, theta: (rest: readonly TermPlanStats[]) => number, probeCost: number, distributed = false): PruningPlan | null {
  const n = terms.length;
  if (n < 2) return null;
  const order = [...terms].sort((a, b) => a.bound - b.bound || b.df - a.df);
  const totalDf = terms.reduce((s, t) => s + t.df, 0);
  let best = 0;
  let bestCost = Infinity;
  let bestSeeded = false;
  let prefix = 0;
  let restDf = totalDf;
  for (let j = 1; j < n; j++) {
    prefix += order[j - 1].bound;
    restDf -= order[j - 1].df;
    const th = theta(order.slice(j));
    if (prefix * (1 + BOUND_SLACK) >= th || restDf < topK) break;
    const probed = Math.min(restDf, Math.max(topK, (restDf * prefix) / th));
    let cost = restDf + probed * j * probeCost;
    let seeded = false;
    if (distributed) {
      // Citus: seeds and θ′ merge the essential postings twice (the seeds, then the HAVING pass),
      // probe the 2k seeds too, and take one distributed statement more; one statement probing
      // every query term on every candidate takes none of that (see runScoring).
      const twice = 2 * restDf + (probed + 2 * topK) * j * probeCost + CITUS_STATEMENT_COST;
      const once = restDf * (probeCost * n + 1);
      seeded = twice < once;
      cost = Math.min(twice, once);
    }
    if (cost <= bestCost) {
      best = j;
      bestCost = cost;
      bestSeeded = seeded;
    }
  }
  if (best === 0 || (probeCost > 0 && bestCost >= totalDf)) return null;
  let bound = 0;
  for (let i = 0; i < best; i++) bound += order[i].bound;
  return { essential: order.slice(best).map((t) => t.term), bound: bound * (1 + BOUND_SLACK), ...(distributed ? { seeded: bestSeeded || probeCost === 0 } : {}) };
}

/**
 * Chooses the MaxScore split before the statement runs, with an expected θ: taking the query's
 * terms by descending estimate, a chunk holding each of them once at average length scores about
 * the sum of their estimates, and about N·Π(docFreq/N) chunks hold them all (independence); θ is
 * expected to be the largest such sum over terms that ≥ 2·topK chunks are expected to hold, or
 * the estimate of the term at which the best terms' postings reach topK (they hold at least topK chunks), whichever is larger. A
 * wrong guess costs a second statement, never a wrong answer (see {@link replanPruning}).
 * @param docCount N, the number of chunks with at least one term
 * @param distributed the store is on Citus: the pruned evaluation is two distributed statements (seeds, then the candidates that can reach θ′), each merging the essential postings
 */
export function planPruning(terms: readonly TermPlanStats[], topK: number, docCount: number, probeCost = PROBE_COST, distributed = false): PruningPlan | null {
  const byEstimate = [...terms].sort((a, b) => b.estimate - a.estimate);
  let expected = 0;
  let chunks = docCount;
  for (const t of byEstimate) {
    if (t.estimate <= 0 || (chunks * t.df) / docCount < 2 * topK) continue;
    chunks = (chunks * t.df) / docCount;
    expected += t.estimate;
  }
  // Or single terms: the estimate of the term at which the best terms' postings add up to topK.
  let postings = 0;
  for (const t of byEstimate) {
    postings += t.df;
    if (postings >= topK) {
      expected = Math.max(expected, t.estimate);
      break;
    }
  }
  return expected > 0 ? splitTerms(terms, topK, () => expected, probeCost, distributed) : null;
}

/** The most aggressive split ({@link PgSearchOptions.prune} 'force'): every term but the essential rest with ≥ topK postings set aside, no cost rule. */
export function forcedPruning(terms: readonly TermPlanStats[], topK: number): PruningPlan | null {
  return splitTerms(terms, topK, () => Infinity, 0);
}

/**
 * The split for a known lower bound `theta` on the k-th score (the k-th score of a pruned attempt
 * whose check failed: those chunks exist, so the final θ is at least it). Its check cannot fail:
 * its candidates include the attempt's, and its bound sum is below `theta`.
 */
export function replanPruning(terms: readonly TermPlanStats[], topK: number, theta: number, probeCost = PROBE_COST, distributed = false): PruningPlan | null {
  return splitTerms(terms, topK, () => theta, probeCost, distributed);
}

/** A scoring statement's row: the hit and, when asked for, its chunk's columns. */
type ScoreRow = { seq: string; ordinal: number; score: number } & Partial<ChunkRow>;

interface ChunkRow {
  text: string;
  start_char: number;
  end_char: number;
  start_line: number;
  end_line: number;
  page: number;
  heading_path: string[];
  id: string;
  source: string;
  title: string;
  units: UnitSpan[] | null;
  meta: DocumentMeta | null;
}

/** The chunk and document columns a hit's {@link StoredChunk} is made of, over chunk alias `c` and document alias `d`. */
const CHUNK_COLUMNS = `c.text, c.start_char, c.end_char, c.start_line, c.end_line, c.page, c.heading_path, d.id, d.source, d.record->>'title' AS title, d.record->'units' AS units, d.record->'meta' AS meta`;

/** What a search needs besides the statement: the query's terms, weights and statistics. */
interface PreparedQuery {
  sim: Similarity;
  params: SimilarityParams;
  terms: string[];
  weights: number[];
  table: number[];
  allow: AllowSet | undefined;
  stats: TermPlanStats[];
  plan: PruningPlan | null;
}

/** A read-only view of the store: BM25 in SQL, chunk lookups, statistics. */
export class PgStoreReader {
  private readonly allowCache = new Map<string, AllowSet>();
  /** Document meta of the chunks fetched last, by document id (bounded; see {@link documentMeta}). */
  private readonly metaSeen = new Map<string, DocumentMeta | undefined>();
  /**
   * How this reader's searches were scored: `pruned` — MaxScore, the θ check passed; `repruned` —
   * it failed, and a second split below the k-th score found answered (see {@link scoreIn}); `fallback` —
   * the pruned statement's θ did not clear the bound (or gave fewer than topK hits), so the
   * exhaustive statement answered; `exhaustive` — scored exhaustively from the start (one term, no
   * term to set aside, a similarity without pruning, or `prune: false`).
   */
  readonly scoringPlans = { pruned: 0, repruned: 0, fallback: 0, exhaustive: 0 };
  /** Citus: pruned statements answered by their seeds statement alone (see runScoring). */
  seedsAnswered = 0;
  /** Citus: BM25 searches run again in one transaction because a commit landed while they ran outside one (see snapshot). */
  searchesRetried = 0;
  private distributed: boolean | undefined;

  constructor(
    readonly store: PgStore,
    readonly config: IndexConfig,
    readonly analyzer: Analyzer,
  ) {}

  /** Analyses `query` and returns the best `topK` chunks, best first, ties by (seq, ordinal) — the embedded index's order. */
  async search(query: string, opts: PgSearchOptions): Promise<PgScoredChunk[]> {
    return this.searchTerms(this.analyzer.analyze(query), opts);
  }

  async searchTerms(terms: readonly string[], opts: PgSearchOptions): Promise<PgScoredChunk[]> {
    const distinct = checkedTerms(terms, opts);
    if (distinct === null) return [];
    return this.snapshot(async (c, m, dfs) => (await this.scoreIn(c, m, dfs, terms, opts, false)).map((row) => hitOf(row)), distinct, true);
  }

  /**
   * {@link search} and {@link chunks} of the hits in one snapshot — and one statement: the scoring
   * statement joins the top k with their chunks and documents, so a commit landing in between can
   * neither drop a hit's chunk nor hand back another commit's text (on one node; on Citus the
   * texts are read after the scoring, and a commit landing while the search runs makes it run
   * again, see {@link snapshot}).
   */
  async searchWithChunks(query: string, opts: PgSearchOptions): Promise<Array<{ hit: PgScoredChunk; chunk: StoredChunk }>> {
    const terms = this.analyzer.analyze(query);
    const distinct = checkedTerms(terms, opts);
    if (distinct === null) return [];
    return this.snapshot(async (c, m, dfs) => {
      const rows = await this.scoreIn(c, m, dfs, terms, opts, true);
      if (rows.length > 0 && rows[0].text === undefined) {
        // scored without the texts (Citus: see runScoring)
        const hits = rows.map(hitOf);
        return pairChunks(hits, await this.chunksIn(c, hits));
      }
      return rows.map((row) => ({ hit: hitOf(row), chunk: this.storedChunkOf(row as ScoreRow & ChunkRow) }));
    }, distinct, true);
  }

  /**
   * Runs `fn` in one REPEATABLE READ, READ ONLY transaction on one connection, with the meta row
   * of that snapshot and, for `terms`, their document frequencies (0 when absent). BEGIN, the meta
   * row and the frequencies go in one round trip (the simple-query protocol takes several
   * statements; the terms are sent as quoted literals), and the COMMIT of the read-only transaction
   * is sent without the caller waiting for it: the connection goes back to the pool once the
   * COMMIT has settled (released at once, a COMMIT still queued behind a failed statement made the
   * next user's BEGIN queue behind it, which pg warns of and pg 9 refuses).
   *
   * `checked` (BM25 searches) on Citus: `fn` runs outside a transaction block instead, and the
   * generation is read again after it; when a commit landed in between, the search runs again in
   * the transaction. Citus has no snapshot across nodes, so the transaction only fixes each
   * worker's view from its first statement — the coordinator's statistics (read first) and the
   * workers' postings could still come from two commits — and it costs every search the workers'
   * BEGIN and COMMIT. The check is exact where the coordinator holds the reference tables
   * (`citus_set_coordinator_host`, as scripts/pg-cluster.sh sets up): a two-phase commit becomes
   * visible on the coordinator before any worker's COMMIT PREPARED (Citus 12.1,
   * transaction/transaction_management.c: CoordinatedTransactionCallback sends COMMIT PREPARED at
   * XACT_EVENT_COMMIT, after the local commit; executor/local_executor.c turns two-phase commit on
   * for a local write such as the coordinator's ob_meta row), so an unchanged generation there
   * means no worker showed any part of a later commit while `fn` ran. On one node the
   * transaction is kept: it is one snapshot there.
   */
  private async snapshot<T>(fn: (c: pg.PoolClient, meta: Meta & Record<string, unknown>, docFreqs: Map<string, number>) => Promise<T>, terms: readonly string[] = [], checked = false): Promise<T> {
    if (checked && (this.distributed ?? (await this.store.withClient((c) => this.isDistributed(c))))) {
      const out = await this.store.withClient(async (c) => {
        const { meta, dfs } = await this.statisticsIn(c, terms, false);
        // A commit landing in between can also fail `fn` (a hit whose chunk it removed): then too
        // the generation decides — moved, the search runs again; unchanged, the error is `fn`'s.
        let result: { value: T } | { error: unknown };
        try {
          result = { value: await fn(c, meta, dfs) };
        } catch (error) {
          result = { error };
        }
        const after = await c.query<{ generation: string }>('SELECT generation FROM ob_meta WHERE id = 1').catch((err: unknown) => {
          throw 'error' in result ? result.error : err;
        });
        if (String(after.rows[0]?.generation) !== String(meta?.generation)) return null;
        if ('error' in result) throw result.error;
        return result;
      });
      if (out !== null) return out.value;
      this.searchesRetried++;
    }
    return this.store.withClient(async (c) => {
      const { meta, dfs } = await this.statisticsIn(c, terms, true);
      return fn(c, meta, dfs);
    }, (c) => c.query('COMMIT'));
  }

  /**
   * The meta row and, for `terms`, their document frequencies (0 when absent), in one round trip
   * (the simple-query protocol takes several statements; the terms are sent as quoted literals).
   * `begin`: the batch opens the search's REPEATABLE READ, READ ONLY transaction first, and with
   * terms it also turns hash aggregation off for it: the scoring statements merge sorted postings
   * (see runScoring). On Citus those settings stay on the coordinator (the workers plan the
   * shards' part with their own, docs/scale-out.md).
   */
  private async statisticsIn(c: pg.PoolClient, terms: readonly string[], begin: boolean): Promise<{ meta: Meta & Record<string, unknown>; dfs: Map<string, number> }> {
    const dfSql = terms.length > 0 ? `; SELECT term, df FROM ob_terms WHERE term IN (${terms.map((t) => c.escapeLiteral(t)).join(', ')})${begin ? "; SET LOCAL enable_hashagg = off; SET LOCAL work_mem = '64MB'" : ''}` : '';
    const r = (await c.query(`${begin ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ' : ''}SELECT * FROM ob_meta WHERE id = 1${dfSql}`)) as unknown as pg.QueryResult[] | pg.QueryResult;
    const results = Array.isArray(r) ? r : [r];
    const at = begin ? 1 : 0;
    const dfs = new Map(terms.map((t) => [t, 0]));
    if (terms.length > 0) for (const row of results[at + 1].rows as Array<{ term: string; df: number }>) dfs.set(row.term, row.df);
    return { meta: results[at].rows[0], dfs };
  }

  /** Whether the store is on a Citus coordinator (asked once per reader). */
  private async isDistributed(c: pg.PoolClient): Promise<boolean> {
    this.distributed ??= await isCitus(c);
    return this.distributed;
  }

  /** The query's weights, length table, allow set and pruning plan at this snapshot; null when nothing can match. */
  private async prepare(c: pg.PoolClient, m: Meta | undefined, dfs: Map<string, number>, terms: readonly string[], opts: PgSearchOptions): Promise<PreparedQuery | null> {
    const sim = getSimilarity(opts.similarity ?? 'bm25');
    const params = resolveSimilarityParams(sim, opts);
    if (!m) return null;
    const docCount = Number(m.doc_count ?? 0);
    if (docCount === 0) return null;
    const allow = opts.filter !== undefined ? await this.allowedIn(c, Number(m.generation), opts.filter) : undefined;
    if (allow && allow.seqs.length === 0) return null;
    // Distinct terms in first-occurrence order with their query frequencies.
    const qtf = new Map<string, number>();
    for (const t of terms) qtf.set(t, (qtf.get(t) ?? 0) + 1);
    const avgdl = sim.float32 ? Math.fround(Number(m.sum_doc_len) / docCount) : Number(m.sum_doc_len) / docCount;
    const qTerms: string[] = [];
    const weights: number[] = [];
    const stats: TermPlanStats[] = [];
    const avgNorm = sim.lengthNorm(m.lucene_norms ? byte4ToInt(intToByte4(Math.max(1, Math.round(avgdl)))) : avgdl, avgdl, params);
    for (const [term, n] of qtf) {
      const df = dfs.get(term) ?? 0;
      if (df === 0) continue;
      const w = sim.queryWeight(n, sim.idf(df, docCount));
      qTerms.push(term);
      weights.push(w);
      stats.push({ term, df, bound: termUpperBound(sim, w, params, m.lucene_norms), estimate: sim.termScore(w, 1, avgNorm, params) });
    }
    if (qTerms.length === 0) return null;
    const table = lengthTable(sim, params, avgdl, m.lucene_norms, m.max_doc_len);
    // Citus prices its two-statement pruned evaluation (see runScoring).
    const distributed = await this.isDistributed(c);
    const plan = opts.prune === false ? null : opts.prune === 'force' ? forcedPruning(stats, opts.topK) : planPruning(stats, opts.topK, docCount, PROBE_COST, distributed);
    return { sim, params, terms: qTerms, weights, table, allow, stats, plan };
  }

  /**
   * The top k rows (best first, ties by (seq, ordinal)) and, with `withChunks`, their chunks' columns.
   * With a pruning plan: one statement scores the essential terms' candidates fully (every query
   * term probed by primary key on each candidate) and keeps the best k; when the k-th score θ is
   * strictly above the non-essential terms' bound sum, no other chunk can reach the top k (it
   * holds only non-essential terms) and the answer is exact. Otherwise (or with fewer than k
   * candidates) the exhaustive statement answers. Both sum a chunk's contributions in the same
   * (term) order, so their scores are equal bit for bit.
   */
  private async scoreIn(c: pg.PoolClient, m: Meta, dfs: Map<string, number>, terms: readonly string[], opts: PgSearchOptions, withChunks: boolean): Promise<ScoreRow[]> {
    const q = await this.prepare(c, m, dfs, terms, opts);
    if (q === null) return [];
    if (q.plan) {
      const rows = await this.runScoring(c, m, q, opts.topK, withChunks, q.plan, opts.seedRows);
      if (rows.length === opts.topK && rows[rows.length - 1].score > q.plan.bound) {
        this.scoringPlans.pruned++;
        return rows;
      }
      // The k-th score found is a lower bound on the final θ: set aside only the terms whose bounds
      // sum below it, and score the (larger) candidate set of the others, when that is cheaper than
      // every posting. Its check passes by construction; it is still made.
      const again = rows.length === opts.topK ? replanPruning(q.stats, opts.topK, rows[rows.length - 1].score, opts.prune === 'force' ? 0 : PROBE_COST, await this.isDistributed(c)) : null;
      if (again && again.essential.length > q.plan.essential.length) {
        const more = await this.runScoring(c, m, q, opts.topK, withChunks, again, opts.seedRows);
        if (more.length === opts.topK && more[more.length - 1].score > again.bound) {
          this.scoringPlans.repruned++;
          return more;
        }
      }
      this.scoringPlans.fallback++;
    } else {
      this.scoringPlans.exhaustive++;
    }
    return this.runScoring(c, m, q, opts.topK, withChunks, null);
  }

  /** One scoring statement: exhaustive (`plan` null) or over the candidates of the plan's essential terms. */
  private async runScoring(c: pg.PoolClient, m: Meta, q: PreparedQuery, topK: number, withChunks: boolean, plan: PruningPlan | null, seedLimit?: number): Promise<ScoreRow[]> {
    const essential = plan?.essential ?? null;
    const ty = q.sim.float32 ? 'real' : 'float8';
    // A chunk's contributions are summed in an order the plan picks (index order, heap order, …),
    // so the pruned and the exhaustive statement must not depend on it. float32 variants: the double
    // sum of a query's float contributions is exact (their exponents lie well within double's 53
    // bits), so any order gives the same double and the same float. Double variants: summed as
    // numeric — exact, hence order-free — then rounded to double once (float8 → numeric keeps 15
    // significant digits, an error far below the 1e-12 the embedded parity allows).
    const sum = q.sim.float32 ? 'sum(x.s)::real::float8' : 'sum(x.s::numeric)::float8';
    const lnCol = m.lucene_norms ? 'p.norm' : 'p.dl';
    const ln = `($LN::${ty}[])[${lnCol} + 1]`;
    const allow = (alias: string) => (q.allow ? allowSql(q.allow, alias) : '');
    const distributed = await this.isDistributed(c);
    // One branch per term, each an index-only scan of that term's postings in (seq, ordinal) order
    // with the term's weight as a constant: the planner merges them (Merge Append) and sums each
    // chunk's rows as they pass (GroupAggregate; the snapshot turns hash aggregation off), instead
    // of hashing every posting and looking up each posting's weight by its term.
    const branch = (i: number, cols: string) => `(SELECT ${cols} FROM ob_postings p WHERE p.term = $T${i}::text ORDER BY p.seq, p.ordinal)`;
    let scored: string;
    const named: Record<string, unknown> = { LN: q.table, K1: q.params.k1, DELTA: q.params.delta };
    q.terms.forEach((t, i) => {
      named[`T${i}`] = t;
      named[`W${i}`] = q.weights[i];
    });
    if (essential === null && distributed) {
      // Citus: one index scan of every query term's postings (`term = ANY`) per shard, summed by
      // the shard's hash aggregate, instead of one branch per term: SciFact queries have 10–20
      // terms, and the coordinator deparses, plans and ships a statement per shard — with a
      // branch per term it planned in ~5 ms against ~0.6 ms (EXPLAIN ANALYZE, docs/performance.md),
      // and a search took ~17 ms at p50 against ~10.
      const s = termScoreSql(q.sim).replace(/w\.w/g, `($W::${ty}[])[array_position($T::text[], p.term)]`).replace(/w\.ln/g, ln);
      named.T = q.terms;
      named.W = q.weights;
      scored = `SELECT x.seq, x.ordinal, ${sum} AS score FROM (SELECT p.seq, p.ordinal, ${s} AS s FROM ob_postings p WHERE p.term = ANY($T::text[])) x WHERE true${allow('x')} GROUP BY x.seq, x.ordinal`;
    } else if (essential === null) {
      const branches = q.terms.map((_, i) => branch(i, `p.seq, p.ordinal, ${termScoreSql(q.sim).replace(/w\.w/g, `$W${i}::${ty}`).replace(/w\.ln/g, ln)} AS s`));
      scored = `SELECT x.seq, x.ordinal, ${sum} AS score FROM (${branches.join(' UNION ALL ')}) x WHERE true${allow('x')} GROUP BY x.seq, x.ordinal`;
    } else if (!distributed) {
      // MaxScore with partial scores: the essential terms' postings are merged and summed per chunk
      // (their partial score ps, as the exhaustive statement sums). The 2k candidates of best ps are
      // scored fully (seeds): their k-th score θ′ is a score of k chunks, so a lower bound on the
      // k-th final score. A candidate whose ps plus the set-aside terms' bound sum rounds below θ′
      // cannot reach the top k, not even on a tie; only the others are probed for the set-aside
      // terms (parameterised primary-key probes; OFFSET 0 keeps them so — flattened, the planner
      // hash-joins the candidates with every posting of those terms, which is the scan pruning
      // avoids). A final score adds the probes' sum to ps: both are exact sums (double of float
      // contributions, or numeric), so it is the exhaustive statement's score bit for bit.
      const rest = q.terms.filter((t) => !essential.includes(t));
      const branches = essential.map((t) => {
        const i = q.terms.indexOf(t);
        return branch(i, `p.seq, p.ordinal, ${termScoreSql(q.sim).replace(/w\.w/g, `$W${i}::${ty}`).replace(/w\.ln/g, ln)} AS s`);
      });
      const s = termScoreSql(q.sim).replace(/w\.w/g, `($W::${ty}[])[array_position($T::text[], p.term)]`).replace(/w\.ln/g, ln);
      named.T = rest;
      named.W = rest.map((t) => q.weights[q.terms.indexOf(t)]);
      named.UB = plan!.bound;
      const partial = (v: string) => (q.sim.float32 ? `sum(${v})` : `sum(${v}::numeric)`);
      const rounded = (v: string) => (q.sim.float32 ? `(${v})::real` : `(${v})::float8`);
      const probe = (a: string) =>
        `CROSS JOIN LATERAL (SELECT ${partial('y.s')} AS s FROM (SELECT ${s} AS s FROM ob_postings p WHERE p.term = ANY($T::text[]) AND p.seq = ${a}.seq AND p.ordinal = ${a}.ordinal OFFSET 0) y) x`;
      const ub = q.sim.float32 ? '$UB::float8' : '$UB::float8::numeric';
      scored = `SELECT e.seq, e.ordinal, ${rounded('e.ps + coalesce(x.s, 0)')}::float8 AS score
           FROM (WITH part AS MATERIALIZED (SELECT x.seq, x.ordinal, ${partial('x.s')} AS ps FROM (${branches.join(' UNION ALL ')}) x WHERE true${allow('x')} GROUP BY x.seq, x.ordinal),
                 th AS (SELECT sd.ps + coalesce(x.s, 0) AS f FROM (SELECT seq, ordinal, ps FROM part ORDER BY ps DESC LIMIT ${2 * topK}) sd ${probe('sd')} ORDER BY f DESC LIMIT 1 OFFSET ${topK - 1})
                 SELECT part.* FROM part WHERE (SELECT f FROM th) IS NULL OR ${rounded(`part.ps + ${ub}`)} >= ${rounded('(SELECT f FROM th)')}) e
           ${probe('e')}`;
    } else if (plan!.seeded === false) {
      // Citus, few candidates: the candidates are the chunks of the essential terms' postings
      // (merged, deduplicated), each scored fully by primary-key probes of every query term, in one
      // statement. An aggregate in the LATERAL subquery keeps it from being flattened: without it
      // each shard hash-joined its candidates with every posting of the query terms (EXPLAIN
      // ANALYZE, 'bebu tusido didi' at 100k: 14.5 ms of a 28 ms task, against 11 ms of probes for
      // 573 candidates).
      const branches = essential.map((t) => branch(q.terms.indexOf(t), 'p.seq, p.ordinal'));
      const s = termScoreSql(q.sim).replace(/w\.w/g, `($W::${ty}[])[array_position($T::text[], p.term)]`).replace(/w\.ln/g, ln);
      named.T = q.terms;
      named.W = q.weights;
      scored = `SELECT e.seq, e.ordinal, ${sum} AS score
           FROM (SELECT DISTINCT e0.seq, e0.ordinal FROM (${branches.join(' UNION ALL ')}) e0 WHERE true${allow('e0')}) e
           CROSS JOIN LATERAL (SELECT ${q.sim.float32 ? 'sum(y.s)' : 'sum(y.s::numeric)'} AS s FROM (SELECT ${s} AS s FROM ob_postings p WHERE p.term = ANY($T::text[]) AND p.seq = e.seq AND p.ordinal = e.ordinal) y) x
           GROUP BY e.seq, e.ordinal`;
    } else {
      // Citus: the same MaxScore evaluation in two statements that Citus pushes into every shard
      // whole (a GROUP BY with the distribution column seq, a correlated probe joined on seq, an
      // ORDER BY … LIMIT over them) — the one-node statement's LIMIT subquery and OFFSET fence
      // would each be a distributed subplan of their own, run before it on the coordinator.
      // 1. Seeds: each shard merges the essential terms' postings (one `term = ANY` scan) into
      //    partial scores and, for its 2k best, probes the set-aside terms (a scalar subquery in
      //    the target list, which PostgreSQL evaluates after the sort and limit); the coordinator
      //    keeps the 2k best. Their k-th full score θ′ is the score of k real chunks.
      // 2. Each shard merges the essential postings again, keeps the chunks whose ps + B rounds to
      //    ≥ θ′ (HAVING), probes the set-aside terms on those alone (LATERAL on seq and ordinal),
      //    and returns its best k.
      // Scores are ps + the probes' sum, both exact sums, as on one node.
      const rest = q.terms.filter((t) => !essential.includes(t));
      const termSql = (T: string, W: string) => termScoreSql(q.sim).replace(/w\.w/g, `($${W}::${ty}[])[array_position($${T}::text[], p.term)]`).replace(/w\.ln/g, ln);
      named.E = essential;
      named.EW = essential.map((t) => q.weights[q.terms.indexOf(t)]);
      named.T = rest;
      named.W = rest.map((t) => q.weights[q.terms.indexOf(t)]);
      named.UB = plan!.bound;
      const partial = (v: string) => (q.sim.float32 ? `sum(${v})` : `sum(${v}::numeric)`);
      const rounded = (v: string) => (q.sim.float32 ? `(${v})::real` : `(${v})::float8`);
      const ub = q.sim.float32 ? '$UB::float8' : '$UB::float8::numeric';
      // One essential term (the usual split of a 3-term query with near-stop words): its postings
      // are one row per chunk (the primary key), so ps is the row's own contribution — no hash
      // aggregate, and the θ′ test a WHERE; the value is the one-row sum's, bit for bit.
      const single = essential.length === 1;
      const ps = single ? (q.sim.float32 ? 'x.s' : 'x.s::numeric') : partial('x.s');
      const postings = `(SELECT p.seq, p.ordinal, ${termSql('E', 'EW')} AS s FROM ob_postings p WHERE p.term = ANY($E::text[])) x WHERE true${allow('x')}${single ? '' : ' GROUP BY x.seq, x.ordinal'}`;
      const probe = (a: string) => `(SELECT ${partial('y.s')} FROM (SELECT ${termSql('T', 'W')} AS s FROM ob_postings p WHERE p.term = ANY($T::text[]) AND p.seq = ${a}.seq AND p.ordinal = ${a}.ordinal) y)`;
      const seedCount = Math.max(2 * topK, seedLimit ?? SEED_ROWS);
      const [seedText, seedArgs] = bindNamed(
        `SELECT x.seq, x.ordinal, ${ps}::float8 AS ps, ${rounded(`${ps} + coalesce(${probe('x')}, 0)`)}::float8 AS f FROM ${postings} ORDER BY ${ps} DESC LIMIT ${seedCount}`,
        q.allow ? { ...named, F1: q.allow.seqs, ...(q.allow.ordinals ? { F2: q.allow.ordinals } : {}) } : named,
      );
      const seedRows = (await c.query<{ seq: string; ordinal: number; ps: number; f: number }>(seedText, seedArgs)).rows;
      const seeds = seedRows.map((r) => r.f).sort((a, b) => b - a);
      named.TH = seeds.length >= topK ? seeds[topK - 1] : null;
      // The seeds answer alone when no candidate left out can reach θ′: the statement returned
      // every candidate (fewer rows than its LIMIT), or the smallest partial score returned plus
      // the set-aside bound rounds below θ′ (a chunk left out has ps ≤ that one's, so it fails the
      // HAVING test of the second statement; float32 variants only, whose ps is an exact double).
      // Every chunk that statement would score is then a seed, with the same score bit for bit.
      const minPs = seedRows.length > 0 ? Math.min(...seedRows.map((r) => r.ps)) : 0;
      if (seedRows.length < seedCount || (q.sim.float32 && seeds.length >= topK && Math.fround(minPs + plan!.bound) < Math.fround(seeds[topK - 1]))) {
        this.seedsAnswered++;
        return seedRows
          .map((r) => ({ seq: r.seq, ordinal: r.ordinal, score: r.f }))
          .sort(byRank)
          .slice(0, topK);
      }
      const reach = `${rounded(`${ps} + ${ub}`)} >= ${rounded('$TH::float8')}`;
      const having = seeds.length < topK ? '' : single ? ` AND ${reach}` : ` HAVING ${reach}`;
      scored = `SELECT e.seq, e.ordinal, ${rounded('e.ps + coalesce(r.s, 0)')}::float8 AS score
           FROM (SELECT x.seq, x.ordinal, ${ps} AS ps FROM ${postings}${having}) e
           CROSS JOIN LATERAL (SELECT ${partial('y.s')} AS s FROM (SELECT ${termSql('T', 'W')} AS s FROM ob_postings p WHERE p.term = ANY($T::text[]) AND p.seq = e.seq AND p.ordinal = e.ordinal) y) r`;
    }
    const order = 'ORDER BY score DESC, seq, ordinal';
    // The chunk texts in the same statement on one node: the top k first (a materialised CTE), then
    // their chunks and documents. Citus would run such a CTE as a distributed subplan of its own and
    // then a second distributed join over its result; joining every candidate with its chunk inside
    // each shard (before the shard's top k: the planner sorts after the join) cost ~8 ms per task for
    // 573 candidates, more than the second statement, so there the scoring statement returns k
    // rows per shard without texts and the caller fetches the k chunks after it (in the same
    // transaction).
    const sql = !withChunks || distributed
      ? `${scored} ${order} LIMIT ${topK}`
      : `WITH top AS MATERIALIZED (${scored} ${order} LIMIT ${topK})
           SELECT top.seq, top.ordinal, top.score, ${CHUNK_COLUMNS}
           FROM top JOIN ob_chunks c ON c.seq = top.seq AND c.ordinal = top.ordinal JOIN ob_documents d ON d.seq = top.seq`;
    if (q.allow) {
      named.F1 = q.allow.seqs;
      if (q.allow.ordinals) named.F2 = q.allow.ordinals;
    }
    const [text, args] = bindNamed(sql, named);
    const r = await c.query<ScoreRow>(text, args);
    // The joined statement's order is not guaranteed: sort the k rows as the scoring ordered them.
    return r.rows.sort(byRank);
  }

  /** The chunks `refs` with their text and document fields, in the order given (missing ones dropped). */
  /**
   * The metadata fields (`Document.meta`) of `docId` as read with its chunks by the last
   * {@link chunks} or search that returned one of them, or undefined when none was read (or the
   * document has none). What `search --json` puts in each hit's `meta`, from the same snapshot as
   * the hit's text. Keeps the last 10,000 documents read.
   */
  documentMeta(docId: string): DocumentMeta | undefined {
    return this.metaSeen.get(docId);
  }

  private rememberMeta(docId: string, meta: DocumentMeta | undefined): void {
    this.metaSeen.delete(docId);
    if (this.metaSeen.size >= 10_000) {
      const oldest = this.metaSeen.keys().next();
      if (!oldest.done) this.metaSeen.delete(oldest.value);
    }
    this.metaSeen.set(docId, meta);
  }

  async chunks(refs: readonly PgChunkRef[]): Promise<StoredChunk[]> {
    if (refs.length === 0) return [];
    return this.store.withClient((c) => this.chunksIn(c, refs));
  }

  private async chunksIn(c: pg.PoolClient, refs: readonly PgChunkRef[]): Promise<StoredChunk[]> {
    if (refs.length === 0) return [];
    const r = await c.query<{ seq: string; ordinal: number } & ChunkRow>(
      `SELECT c.seq, c.ordinal, ${CHUNK_COLUMNS}
       FROM ob_chunks c JOIN ob_documents d ON d.seq = c.seq
       WHERE c.seq = ANY($1::bigint[]) AND c.ordinal = ANY($2::int[])`,
      [[...new Set(refs.map((x) => x.seq))], [...new Set(refs.map((x) => x.ordinal))]],
    );
    const byKey = new Map(r.rows.map((row) => [`${row.seq}:${row.ordinal}`, row]));
    const out: StoredChunk[] = [];
    for (const ref of refs) {
      const row = byKey.get(`${ref.seq}:${ref.ordinal}`);
      if (row) out.push(this.storedChunkOf(row));
    }
    return out;
  }

  /** A chunk row (with its document's columns, {@link CHUNK_COLUMNS}) as a {@link StoredChunk}; remembers the document's meta. */
  private storedChunkOf(row: { ordinal: number } & ChunkRow): StoredChunk {
    this.rememberMeta(row.id, row.meta ?? undefined);
    const ch: StoredChunk = {
      id: `${row.id}#${row.ordinal}`,
      docId: row.id,
      ordinal: row.ordinal,
      text: row.text,
      headingPath: row.heading_path,
      startChar: row.start_char,
      endChar: row.end_char,
      startLine: row.start_line,
      endLine: row.end_line,
      source: row.source,
      title: row.title,
    };
    if (row.page > 0) ch.page = row.page;
    const locator = locatorOf(row.units ?? undefined, ch.startChar, ch.endChar);
    if (locator) ch.locator = locator;
    return ch;
  }

  /** The embedder id that made the stored vectors, or a CapabilityError when there are none. */
  async embeddingModel(): Promise<string> {
    return this.store.withClient(async (c) => {
      const r = await c.query<{ embed_model: string | null }>('SELECT embed_model FROM ob_meta WHERE id = 1');
      const model = r.rows[0]?.embed_model;
      if (!model) throw new CapabilityError(`the PostgreSQL store ${maskUrl(this.store.url)} has no passage vectors; run \`openbook index <paths> --embed --store <url>\` first`);
      return model;
    });
  }

  /**
   * Maximum inner product search with pgvector (`<#>`; vectors are L2-normalised when stored, so
   * this is cosine), best first, ties by (seq, ordinal). Uses the HNSW index; `efSearch` sets
   * `hnsw.ef_search` for this query (default 100), `exact` scans without the index.
   */
  async searchVector(vector: Float32Array, topK: number, opts: { efSearch?: number; exact?: boolean; filter?: FilterExpr } = {}): Promise<PgScoredChunk[]> {
    return this.snapshot((c) => this.vectorIn(c, vector, topK, opts));
  }

  /** {@link searchVector} and the hits' chunks in one snapshot (as {@link searchWithChunks}). */
  async searchVectorWithChunks(vector: Float32Array, topK: number, opts: { efSearch?: number; exact?: boolean; filter?: FilterExpr } = {}): Promise<Array<{ hit: PgScoredChunk; chunk: StoredChunk }>> {
    return this.snapshot(async (c) => {
      const hits = await this.vectorIn(c, vector, topK, opts);
      return pairChunks(hits, await this.chunksIn(c, hits));
    });
  }

  private async vectorIn(c: pg.PoolClient, vector: Float32Array, topK: number, opts: { efSearch?: number; exact?: boolean; filter?: FilterExpr }): Promise<PgScoredChunk[]> {
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${topK}`);
    {
      {
        const m = (await c.query<{ embed_dims: number | null; embed_half: boolean; generation: string }>('SELECT embed_dims, embed_half, generation FROM ob_meta WHERE id = 1')).rows[0];
        if (!m?.embed_dims) throw new CapabilityError(`the PostgreSQL store ${maskUrl(this.store.url)} has no passage vectors`);
        if (vector.length !== m.embed_dims) throw new DimensionMismatchError(m.embed_dims, vector.length);
        const ef = opts.efSearch ?? Math.max(100, topK);
        await c.query(`SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(1, Math.floor(ef)))}`);
        const allow = opts.filter !== undefined ? await this.allowedIn(c, Number(m.generation), opts.filter) : undefined;
        if (allow && allow.seqs.length === 0) return [];
        // A filtered search scans exactly: HNSW with a WHERE may stop short of k matching chunks.
        if (opts.exact || allow) await c.query('SET LOCAL enable_indexscan = off');
        const ty = m.embed_half ? 'halfvec' : 'vector';
        const [sql, args] = bindAllow(
          `SELECT seq, ordinal, -(embedding <#> $1::${ty}) AS score FROM ob_embeddings e WHERE true${allow ? allowSql(allow, 'e') : ''} ORDER BY embedding <#> $1::${ty}${allow ? ', seq, ordinal' : ''} LIMIT ${topK}`,
          [vectorLiteral(normalize(vector))],
          allow,
        );
        const r = await c.query<{ seq: string; ordinal: number; score: number }>(sql, args);
        return r.rows.map((row) => ({ seq: Number(row.seq), ordinal: row.ordinal, score: row.score }));
      }
    }
  }

  /**
   * The chunks `filter` lets through at `generation`: whole documents (seqs) when it reads only
   * document fields, else (seq, ordinal) pairs. Evaluated with the embedded index's predicate
   * (`compileFilter` over `documentMetadata`/`chunkMetadata`), so the semantics (missing fields,
   * dates written as strings, globs, UTF-16 order) are identical; cached per commit.
   */
  private async allowedIn(c: pg.PoolClient, generation: number, filter: FilterExpr): Promise<AllowSet> {
    const key = `${generation}\u0000${JSON.stringify(filter)}`;
    const hit = this.allowCache.get(key);
    if (hit) return hit;
    const test = compileFilter(filter);
    let allow: AllowSet;
    if (!usesChunkFields(filter)) {
      const r = await c.query<{ seq: string; record: DocumentRecord }>('SELECT seq, record FROM ob_documents');
      allow = { seqs: r.rows.filter((row) => test(documentMetadata(row.record))).map((row) => Number(row.seq)) };
    } else {
      const r = await c.query<{ seq: string; ordinal: number; heading_path: string[]; page: number; start_char: number; end_char: number; record: DocumentRecord }>(
        'SELECT c.seq, c.ordinal, c.heading_path, c.page, c.start_char, c.end_char, d.record FROM ob_chunks c JOIN ob_documents d ON d.seq = c.seq',
      );
      const seqs: number[] = [];
      const ordinals: number[] = [];
      for (const row of r.rows) {
        if (!test(chunkMetadata(row.record, { headingPath: row.heading_path, ordinal: row.ordinal, startChar: row.start_char, endChar: row.end_char, ...(row.page > 0 ? { page: row.page } : {}) }))) continue;
        seqs.push(Number(row.seq));
        ordinals.push(row.ordinal);
      }
      allow = { seqs, ordinals };
    }
    if (this.allowCache.size >= 16) this.allowCache.delete(this.allowCache.keys().next().value as string);
    this.allowCache.set(key, allow);
    return allow;
  }

  /** The record of document `id` in the last commit, or undefined. */
  async document(id: string): Promise<DocumentRecord | undefined> {
    return this.store.withClient(async (c) => {
      const r = await c.query<{ record: DocumentRecord }>('SELECT record FROM ob_documents WHERE id = $1', [id]);
      return r.rows[0]?.record;
    });
  }

  /**
   * One page of documents in index order (sequence number, as {@link documents}) with their chunk
   * counts, and the number of documents, from one snapshot.
   * @param offset 0-based  @param limit page size ≥ 1
   */
  async documentPage(offset: number, limit: number): Promise<{ total: number; documents: Array<{ record: DocumentRecord; numChunks: number }> }> {
    return this.snapshot(async (c) => {
      const total = Number((await c.query<{ n: string }>('SELECT num_documents AS n FROM ob_meta WHERE id = 1')).rows[0]?.n ?? 0);
      const page = await c.query<{ seq: string; record: DocumentRecord }>('SELECT seq, record FROM ob_documents ORDER BY seq OFFSET $1 LIMIT $2', [offset, limit]);
      if (page.rows.length === 0) return { total, documents: [] };
      const counts = await c.query<{ seq: string; n: string }>('SELECT seq, count(*) AS n FROM ob_chunks WHERE seq = ANY($1::bigint[]) GROUP BY seq', [page.rows.map((r) => r.seq)]);
      const bySeq = new Map(counts.rows.map((r) => [r.seq, Number(r.n)]));
      return { total, documents: page.rows.map((r) => ({ record: r.record, numChunks: bySeq.get(r.seq) ?? 0 })) };
    });
  }

  /** Document `id` with its text and its chunks in order (with locators, as {@link chunks}), from one snapshot; undefined when absent. */
  async documentWithChunks(id: string): Promise<{ record: DocumentRecord; text: string; chunks: StoredChunk[] } | undefined> {
    return this.snapshot(async (c) => {
      const d = (await c.query<{ seq: string; record: DocumentRecord; text: string }>('SELECT seq, record, text FROM ob_documents WHERE id = $1', [id])).rows[0];
      if (!d) return undefined;
      const ords = await c.query<{ ordinal: number }>('SELECT ordinal FROM ob_chunks WHERE seq = $1 ORDER BY ordinal', [d.seq]);
      const chunks = await this.chunksIn(c, ords.rows.map((r) => ({ seq: Number(d.seq), ordinal: r.ordinal })));
      return { record: d.record, text: d.text, chunks };
    });
  }

  /**
   * For small-to-big context (`retrieve/context.ts`): each chunk's document text and headings and
   * the chunk's offsets in it, in the order given; undefined for a chunk the last commit does not
   * hold with the text `refs[i].text` (it was replaced or removed since it was retrieved).
   */
  async chunkContexts(refs: ReadonlyArray<{ docId: string; ordinal: number; text: string }>): Promise<Array<{ docText: string; start: number; end: number; headings: NonNullable<DocumentRecord['headings']> } | undefined>> {
    if (refs.length === 0) return [];
    return this.store.withClient(async (c) => {
      const r = await c.query<{ id: string; ordinal: number; doc_text: string; headings: DocumentRecord['headings'] | null; start_char: number; end_char: number; text: string }>(
        `SELECT d.id, c.ordinal, d.text AS doc_text, d.record->'headings' AS headings, c.start_char, c.end_char, c.text
         FROM ob_documents d JOIN ob_chunks c ON c.seq = d.seq WHERE d.id = ANY($1::text[]) AND c.ordinal = ANY($2::int[])`,
        [[...new Set(refs.map((x) => x.docId))], [...new Set(refs.map((x) => x.ordinal))]],
      );
      const byKey = new Map(r.rows.map((row) => [`${row.ordinal}\u0000${row.id}`, row]));
      return refs.map((ref) => {
        const row = byKey.get(`${ref.ordinal}\u0000${ref.docId}`);
        if (!row || row.text !== ref.text) return undefined;
        return { docText: row.doc_text, start: row.start_char, end: row.end_char, headings: row.headings ?? [] };
      });
    });
  }

  /**
   * `count` distinct chunks drawn uniformly with `rng` (RetRobust's `random` retrieval setting),
   * from every chunk or from those `filter` allows, in draw order. The draws are the embedded
   * index's (`Engine.randomPassages`): the r-th chunk is the r-th in (seq, ordinal) order, which
   * is the embedded index's chunk numbering, so the same seed picks the same passages.
   */
  async randomChunks(count: number, rng: () => number, filter?: FilterExpr): Promise<StoredChunk[]> {
    return this.snapshot(async (c) => {
      const m = (await c.query<{ generation: string; num_chunks: string }>('SELECT generation, num_chunks FROM ob_meta WHERE id = 1')).rows[0];
      let pool: PgChunkRef[] | undefined;
      if (filter !== undefined) {
        const allow = await this.allowedIn(c, Number(m.generation), filter);
        if (allow.ordinals) {
          const ords = allow.ordinals;
          pool = allow.seqs.map((seq, i) => ({ seq, ordinal: ords[i] })).sort((a, b) => a.seq - b.seq || a.ordinal - b.ordinal);
        } else {
          const r = await c.query<{ seq: string; ordinal: number }>('SELECT seq, ordinal FROM ob_chunks WHERE seq = ANY($1::bigint[]) ORDER BY seq, ordinal', [allow.seqs]);
          pool = r.rows.map((row) => ({ seq: Number(row.seq), ordinal: row.ordinal }));
        }
      }
      const size = pool ? pool.length : Number(m.num_chunks);
      const picked = new Set<number>();
      while (picked.size < Math.min(count, size)) picked.add(Math.floor(rng() * size));
      const refs: PgChunkRef[] = [];
      for (const i of picked) {
        if (pool) refs.push(pool[i]);
        else {
          const r = (await c.query<{ seq: string; ordinal: number }>('SELECT seq, ordinal FROM ob_chunks ORDER BY seq, ordinal OFFSET $1 LIMIT 1', [i])).rows[0];
          refs.push({ seq: Number(r.seq), ordinal: r.ordinal });
        }
      }
      const chunks = await this.chunksIn(c, refs);
      if (chunks.length !== refs.length) throw new OpenbookError('STORE_INCONSISTENT', `the store returned ${chunks.length} chunks for ${refs.length} draws`);
      return chunks;
    });
  }

  /** Every document record in index order (sequence number: a replaced document comes last, as in the embedded index). */
  async documents(): Promise<DocumentRecord[]> {
    return this.store.withClient(async (c) => {
      const r = await c.query<{ record: DocumentRecord }>('SELECT record FROM ob_documents ORDER BY seq');
      return r.rows.map((row) => row.record);
    });
  }

  /** Document id of every stored sequence number (for turning (seq, ordinal) hits into run entries). */
  async documentIdsBySeq(): Promise<Map<number, string>> {
    return this.store.withClient(async (c) => {
      const r = await c.query<{ seq: string; id: string }>('SELECT seq, id FROM ob_documents');
      return new Map(r.rows.map((row) => [Number(row.seq), row.id]));
    });
  }

  /** Document frequencies of analysed terms (absent terms map to 0). */
  async docFreqs(terms: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(terms.map((t) => [t, 0]));
    if (terms.length === 0) return out;
    return this.store.withClient(async (c) => {
      const r = await c.query<{ term: string; df: number }>('SELECT term, df FROM ob_terms WHERE term = ANY($1::text[])', [[...out.keys()]]);
      for (const row of r.rows) out.set(row.term, row.df);
      return out;
    });
  }

  /** Chunks with at least one term (the N of idf) and all chunks. */
  async counts(): Promise<{ docCount: number; numChunks: number }> {
    return this.store.withClient(async (c) => {
      const r = await c.query<{ doc_count: string; num_chunks: string }>('SELECT doc_count, num_chunks FROM ob_meta WHERE id = 1');
      return { docCount: Number(r.rows[0]?.doc_count ?? 0), numChunks: Number(r.rows[0]?.num_chunks ?? 0) };
    });
  }

  /** Document frequency of an analysed term (0 when absent). */
  async docFreq(term: string): Promise<number> {
    return this.store.withClient(async (c) => {
      const r = await c.query<{ df: number }>('SELECT df FROM ob_terms WHERE term = $1', [term]);
      return r.rows[0]?.df ?? 0;
    });
  }
}

/** What a filter lets through: documents by seq, or chunks by (seqs[i], ordinals[i]). */
interface AllowSet {
  seqs: number[];
  ordinals?: number[];
}

/** The `AND …` of an allow set on table alias `t`, with placeholders $F1 (and $F2) bound by {@link bindAllow}. */
function allowSql(allow: AllowSet, t: string): string {
  return allow.ordinals ? ` AND (${t}.seq, ${t}.ordinal) IN (SELECT * FROM unnest($F1::bigint[], $F2::int[]))` : ` AND ${t}.seq = ANY($F1::bigint[])`;
}

/** Numbers the allow-set placeholders after the statement's own parameters. */
function bindAllow(sql: string, args: unknown[], allow: AllowSet | undefined): [string, unknown[]] {
  if (!allow) return [sql, args];
  const out = [...args, allow.seqs];
  let bound = sql.replace(/\$F1/g, `$${out.length}`);
  if (allow.ordinals) {
    out.push(allow.ordinals);
    bound = bound.replace(/\$F2/g, `$${out.length}`);
  }
  return [bound, out];
}

/**
 * Binds named placeholders (`$T`, `$W`, `$F1`, …: a `$` and an upper-case name) to positional
 * ones in order of first use, so a statement passes only the parameters it uses (PostgreSQL cannot
 * type an unused one).
 */
function bindNamed(sql: string, named: Record<string, unknown>): [string, unknown[]] {
  const args: unknown[] = [];
  const index = new Map<string, number>();
  const text = sql.replace(/\$([A-Z][A-Z0-9]*)/g, (_, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(named, name)) throw new Error(`unbound SQL parameter $${name}`);
    let i = index.get(name);
    if (i === undefined) {
      args.push(named[name]);
      i = args.length;
      index.set(name, i);
    }
    return `$${i}`;
  });
  return [text, args];
}

/** The distinct terms of a search (first-occurrence order), null when it cannot match (topK 0, no terms). @throws InvalidParameterError for a topK that is not an integer ≥ 0 */
function checkedTerms(terms: readonly string[], opts: PgSearchOptions): string[] | null {
  const { topK } = opts;
  if (!Number.isInteger(topK) || topK < 0) throw new InvalidParameterError(`topK must be an integer ≥ 0, got ${topK}`);
  resolveSimilarityParams(getSimilarity(opts.similarity ?? 'bm25'), opts);
  if (topK === 0 || terms.length === 0) return null;
  return [...new Set(terms)];
}

/** The embedded index's order of hits: score descending, ties by (seq, ordinal). */
const byRank = (a: { seq: string; ordinal: number; score: number }, b: { seq: string; ordinal: number; score: number }): number => b.score - a.score || Number(a.seq) - Number(b.seq) || a.ordinal - b.ordinal;
const hitOf = (row: ScoreRow): PgScoredChunk => ({ seq: Number(row.seq), ordinal: row.ordinal, score: row.score });

/** Hits with their chunks by position: in one snapshot `chunksIn` keeps the hits' order and drops none. */
function pairChunks(hits: PgScoredChunk[], chunks: StoredChunk[]): Array<{ hit: PgScoredChunk; chunk: StoredChunk }> {
  if (chunks.length !== hits.length) throw new OpenbookError('STORE_INCONSISTENT', `the store returned ${chunks.length} chunks for ${hits.length} hits`);
  return hits.map((hit, i) => ({ hit, chunk: chunks[i] }));
}

/**
 * The length factor of each stored length key, computed with the variant's own `lengthNorm`:
 * over the 256 norm bytes (Lucene norms, decoded lengths) or over exact lengths 0..maxDocLen.
 */
function lengthTable(sim: Similarity, params: SimilarityParams, avgdl: number, luceneNorms: boolean, maxDocLen: number): number[] {
  const n = luceneNorms ? 256 : maxDocLen + 1;
  const t = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    t[i] = sim.lengthNorm(luceneNorms ? byte4ToInt(i) : i, avgdl, params);
  }
  return t;
}

/** L2-normalised copy (cosine = inner product), as the embedded dense index stores vectors. */
function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  if (n === 0) return v;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/** pgvector's text form `[x,y,…]`. */
const vectorLiteral = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

export interface PgEmbedOptions {
  /** Id of the embedding model (stored; a different id on a later run re-embeds everything). */
  model: string;
  dimension: number;
  /** Passage vectors of `texts`, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Discard stored vectors first (after changing the model). */
  reset?: boolean;
  /** Texts per embedding request (default 64). */
  batchSize?: number;
  /** HNSW build parameters (pgvector defaults m = 16, ef_construction = 64). */
  m?: number;
  efConstruction?: number;
  /** Store `halfvec` (2 bytes per dimension) instead of `vector`. */
  halfvec?: boolean;
  onProgress?: (p: { embedded: number; total: number; alreadyStored: number }) => void;
  signal?: AbortSignal;
}

/**
 * `index --embed --store`: passage vectors for every chunk that has none, committed per batch
 * (resumable), then the HNSW index. The passage text is the embedded index's (`title\ntext` unless
 * the text starts with the title).
 */
export async function embedStore(store: PgStore, o: PgEmbedOptions): Promise<{ embedded: number; alreadyStored: number; total: number; dimension: number }> {
  const dimension = o.dimension;
  const ty = o.halfvec ? 'halfvec' : 'vector';
  return store.withClient(async (c) => {
    await checkSchema(c);
    const distributed = await isCitus(c);
    const meta = (await c.query<{ embed_dims: number | null; embed_model: string | null }>('SELECT embed_dims, embed_model FROM ob_meta WHERE id = 1')).rows[0];
    const present = (await c.query(`SELECT to_regclass('ob_embeddings') IS NOT NULL AS p`)).rows[0].p as boolean;
    const stale = present && (o.reset || meta.embed_dims !== dimension || meta.embed_model !== o.model);
    if (stale) await c.query('DROP TABLE ob_embeddings');
    if (!present || stale) {
      await c.query('CREATE EXTENSION IF NOT EXISTS vector');
      await c.query('BEGIN');
      await c.query(`CREATE TABLE ob_embeddings (seq bigint NOT NULL, ordinal int NOT NULL, embedding ${ty}(${dimension}) NOT NULL, PRIMARY KEY (seq, ordinal))`);
      if (distributed) await c.query(`SELECT create_distributed_table('ob_embeddings', 'seq', colocate_with => 'ob_documents')`);
      await c.query('UPDATE ob_meta SET embed_dims = $1, embed_model = $2, embed_half = $3 WHERE id = 1', [dimension, o.model, Boolean(o.halfvec)]);
      await c.query('COMMIT');
    }
    const todo = await c.query<{ seq: string; ordinal: number; text: string; title: string }>(
      `SELECT ch.seq, ch.ordinal, ch.text, d.record->>'title' AS title FROM ob_chunks ch JOIN ob_documents d ON d.seq = ch.seq
       LEFT JOIN ob_embeddings e ON e.seq = ch.seq AND e.ordinal = ch.ordinal WHERE e.seq IS NULL ORDER BY ch.seq, ch.ordinal`,
    );
    const total = Number((await c.query<{ n: string }>('SELECT num_chunks AS n FROM ob_meta WHERE id = 1')).rows[0].n);
    const alreadyStored = total - todo.rows.length;
    const batchSize = o.batchSize ?? 64;
    let embedded = 0;
    o.onProgress?.({ embedded, total: todo.rows.length, alreadyStored });
    for (let i = 0; i < todo.rows.length; i += batchSize) {
      o.signal?.throwIfAborted();
      const batch = todo.rows.slice(i, i + batchSize);
      const texts = batch.map((r) => (r.title && !r.text.startsWith(r.title) ? `${r.title}\n${r.text}` : r.text));
      const vectors = await o.embed(texts, o.signal);
      await copyRows(c, 'COPY ob_embeddings (seq, ordinal, embedding) FROM STDIN', batch.map((r, k) => copyRow([r.seq, r.ordinal, vectorLiteral(normalize(vectors[k]))])));
      embedded += batch.length;
      o.onProgress?.({ embedded, total: todo.rows.length, alreadyStored });
    }
    const m = Math.floor(o.m ?? 16);
    const ef = Math.floor(o.efConstruction ?? 64);
    await c.query(`CREATE INDEX IF NOT EXISTS ob_embeddings_hnsw ON ob_embeddings USING hnsw (embedding ${ty}_ip_ops) WITH (m = ${m}, ef_construction = ${ef})`);
    return { embedded, alreadyStored, total, dimension };
  });
}
