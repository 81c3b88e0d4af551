/**
 * Batch querying on worker threads: a {@link SearchPool} starts `threads` workers, each with its
 * own read-only `IndexReader` over the same committed generation of one index directory, and
 * spreads a batch of queries over them in blocks.
 *
 * **Exactness.** Each query runs through `IndexReader.search` (or `searchTerms`) in a worker, the
 * same code a serial caller runs, and the hits come back as Float64 scores and Uint32 chunk
 * numbers: `searchBatch(qs, o)[i]` deep-equals `reader.search(qs[i], o)` for a reader of the same
 * generation (`test/index/search-pool.test.ts` checks 200 seeded random queries).
 *
 * **Generation.** The pool reads the manifest once and tells every worker which generation to
 * expect (or the caller pins one with `opts.generation`, e.g. the generation of a reader it
 * already holds). A reader always opens the *last* committed generation, so a writer committing
 * while the workers open would give them different views. A worker that finds another generation
 * refuses to serve; the pool then re-reads the manifest and restarts all workers once at the new
 * generation (not when the caller pinned one), and fails with an `INDEX_CHANGED` error if the
 * index moves on again.
 *
 * **Scheduling.** A batch is cut into blocks of consecutive queries: at most `blockSize`
 * (default 64), and small enough that each worker gets about four, so that the workers finish
 * together (300 queries on 2 workers: 8 blocks of 38, not 5 of 64 shared 3 : 2). Blocks wait
 * in one FIFO queue shared by all batches; each worker holds at most two (one running, the next
 * at hand, so it does not wait while this thread decodes its answer) and takes another when it
 * answers, so a slow block holds up only its worker and the one block queued behind it. Results
 * of a block cross back as three transferred typed arrays (see `protocol.ts`) and land at the
 * block's offset in the batch's result: output order is input order.
 *
 * **Memory.** Every worker holds a whole decoded index: about `threads` × the reader's memory.
 *
 * **Failure.** A block whose search throws (e.g. invalid options) rejects its batch with the
 * error's class (`InvalidParameterError` …), naming the worker and the block. A worker that dies
 * (uncaught error, exit) breaks the pool: every pending batch rejects with a
 * `SEARCH_WORKER_FAILED` error naming the worker and its exit code or error, the other workers
 * are terminated, and later calls reject the same way. No promise is left pending.
 *
 * Idle workers are `unref`'d: an open pool with no batch in flight does not keep the process
 * alive. Call {@link SearchPool.close} when done anyway.
 */
import type { Worker } from 'node:worker_threads';
import { getAnalyzer } from '../../analysis/registry.js';
import { IndexFormatError, IndexNotFoundError, InvalidParameterError, OpenbookError } from '../../core/errors.js';
import { checkThreads, startWorker } from '../../core/workers.js';
import type { SearchOptions } from '../sparse/scorer.js';
import type { ScoredChunk } from '../sparse/top-k.js';
import { readManifest } from '../store/load.js';
import type { SearchRequest, SearchWorkerData, WireError, WorkerReply } from './protocol.js';

/** Default (largest) number of queries handed to a worker at once. */
export const DEFAULT_BLOCK_SIZE = 64;

/** A batch is cut into at least this many blocks per worker (when it has that many queries). */
const BLOCKS_PER_WORKER = 4;

/** Blocks posted to one worker ahead of its answers. */
const MAX_IN_FLIGHT = 2;

export interface SearchPoolOptions {
  /** Number of worker threads, an integer in [1, 256] (see `checkThreads`). */
  threads: number;
  /**
   * The committed generation every worker must see, e.g. `reader.stats().generation` of a reader
   * the caller holds. Default: the manifest's generation when the pool opens (one retry when a
   * writer commits meanwhile, see the module comment).
   */
  generation?: number;
  /** Largest number of queries per block, integer ≥ 1; default {@link DEFAULT_BLOCK_SIZE}. */
  blockSize?: number;
}

/** One block of one batch, queued or in flight. */
interface Block {
  id: number;
  batch: Batch;
  /** Offset of the block's first query in the batch. */
  start: number;
  request: SearchRequest;
}

/** One block's answer (layout in `protocol.ts`). */
type BlockResult = Extract<WorkerReply, { type: 'result' }>;

/**
 * Hits of a batch as flat typed arrays: query i's hits are `chunks[offsets[i] .. offsets[i + 1])`
 * with `scores` at the same positions, best first, exactly as `IndexReader.search` returns them.
 */
export interface PackedHits {
  /** Length numQueries + 1; `offsets[0]` = 0, `offsets[numQueries]` = total hits. */
  offsets: Uint32Array;
  /** Chunk numbers (0-based, as in the reader). */
  chunks: Uint32Array;
  /** Scores, the reader's doubles. */
  scores: Float64Array;
}

/** Where a batch's block answers go: taken as they arrive, turned into the batch's value at the end. */
interface Sink<T> {
  take(start: number, r: BlockResult): void;
  result(): T;
}

/** Hit lists of `ScoredChunk` objects, decoded as each block arrives. */
function listSink(count: number): Sink<ScoredChunk[][]> {
  const results = new Array<ScoredChunk[]>(count);
  return {
    take(start, r) {
      let o = 0;
      for (let i = 0; i < r.counts.length; i++) {
        const hits = new Array<ScoredChunk>(r.counts[i]);
        for (let j = 0; j < hits.length; j++, o++) hits[j] = { chunk: r.chunks[o], score: r.scores[o] };
        results[start + i] = hits;
      }
    },
    result: () => results,
  };
}

/** {@link PackedHits}: the blocks' arrays are kept and copied once into the flat arrays at the end. */
function packedSink(count: number): Sink<PackedHits> {
  const parts: Array<{ start: number; r: BlockResult }> = [];
  return {
    take(start, r) {
      parts.push({ start, r });
    },
    result() {
      parts.sort((a, b) => a.start - b.start);
      const offsets = new Uint32Array(count + 1);
      let total = 0;
      for (const { start, r } of parts) {
        for (let i = 0; i < r.counts.length; i++) {
          total += r.counts[i];
          offsets[start + i + 1] = total;
        }
      }
      const chunks = new Uint32Array(total);
      const scores = new Float64Array(total);
      for (const { start, r } of parts) {
        chunks.set(r.chunks, offsets[start]);
        scores.set(r.scores, offsets[start]);
      }
      return { offsets, chunks, scores };
    },
  };
}

/** One `searchBatch` / `searchTermsBatch` / `searchBatchPacked` call. */
interface Batch {
  sink: Sink<unknown>;
  /** Blocks not yet answered. */
  remaining: number;
  /** Set once the batch resolved or rejected; later replies of its blocks are ignored. */
  settled: boolean;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  /** 0-based. */
  n: number;
  /** Blocks posted and not yet answered, oldest first (a worker answers in order). */
  inFlight: Block[];
}

/** Rebuilds a worker's error in this thread, as the same class when the code is one we throw. */
function fromWire(e: WireError, message: string, dir: string): Error {
  switch (e.code) {
    case 'INVALID_PARAMETER':
      return new InvalidParameterError(message);
    case 'INDEX_FORMAT':
      return new IndexFormatError(message);
    case 'INDEX_NOT_FOUND':
      return new IndexNotFoundError(dir);
    case undefined:
      return new Error(message);
    default:
      return new OpenbookError(e.code, message, { httpStatus: 500 });
  }
}

export class SearchPool {
  private readonly queue: Block[] = [];
  private nextBlockId = 0;
  /** Set when a worker died: every call rejects with it. */
  private broken: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    /** The index directory. */
    readonly dir: string,
    /** The committed generation every worker serves. */
    readonly generation: number,
    private readonly workers: PoolWorker[],
    private readonly blockSize: number,
  ) {
    for (const w of workers) {
      w.worker.on('message', (m: WorkerReply) => this.onReply(w, m));
      w.worker.on('error', (err) => this.onDeath(w, `failed: ${err.message}`));
      w.worker.on('exit', (code) => this.onDeath(w, `exited with code ${code}`));
      w.worker.unref();
    }
  }

  /** Number of worker threads. */
  get threads(): number {
    return this.workers.length;
  }

  /**
   * Starts `opts.threads` workers on the index in `dir` and waits until each has opened it.
   * The index's analyzer must be a registry analyzer (`getAnalyzer(config.analyzer)`): workers
   * cannot receive an analyzer object.
   * @throws InvalidParameterError for a bad thread count or block size, or an analyzer not in the registry
   * @throws IndexNotFoundError when `dir` has no index
   * @throws IndexFormatError (naming the worker) when a worker cannot load the index
   * @throws OpenbookError with code `INDEX_CHANGED` when the workers cannot agree on one generation
   */
  static async open(dir: string, opts: SearchPoolOptions): Promise<SearchPool> {
    const threads = checkThreads(opts.threads, 'SearchPool threads');
    const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new InvalidParameterError(`SearchPool blockSize must be an integer ≥ 1, got ${blockSize}`);
    for (let attempt = 0; ; attempt++) {
      const read = await readManifest(dir);
      if (read === null) throw new IndexNotFoundError(dir);
      const name = read.manifest.config.analyzer;
      try {
        getAnalyzer(name);
      } catch (err) {
        if (!(err instanceof InvalidParameterError)) throw err;
        throw new InvalidParameterError(`index ${dir} uses analyzer "${name}", which is not in the analyzer registry; search workers can only open indexes of registry analyzers`);
      }
      const generation = opts.generation ?? read.manifest.generation;
      const started = await startAll(dir, generation, threads);
      if (started.ok) return new SearchPool(dir, generation, started.workers, blockSize);
      const { failure } = started;
      const changed = failure.found !== undefined;
      if (changed && opts.generation === undefined && attempt === 0) continue;
      if (changed && opts.generation !== undefined) {
        throw new OpenbookError(
          'INDEX_CHANGED',
          `index ${dir} holds generation ${failure.found}, not the requested generation ${generation} (search worker ${failure.n} of ${threads}); open the pool on the generation your reader holds, or reopen both`,
          { httpStatus: 409 },
        );
      }
      if (changed) {
        throw new OpenbookError(
          'INDEX_CHANGED',
          `index ${dir} changed twice while the search pool opened it: expected generation ${generation}, search worker ${failure.n} of ${threads} found ${failure.found}; open the pool again when no writer is committing`,
          { httpStatus: 409 },
        );
      }
      throw fromWire(failure.error, `search worker ${failure.n} of ${threads} could not open index ${dir}: ${failure.error.message}`, dir);
    }
  }

  /**
   * Runs `queries` (raw text, analysed by the index's analyzer in the workers).
   * @param opts as `IndexReader.search`
   * @returns one hit list per query, in input order; each deep-equals `reader.search(queries[i], opts)`
   * @throws InvalidParameterError for bad options (from the worker that found them)
   * @throws OpenbookError `SEARCH_POOL_CLOSED` / `SEARCH_WORKER_FAILED` after close or a worker's death
   */
  searchBatch(queries: readonly string[], opts: SearchOptions): Promise<ScoredChunk[][]> {
    return this.run(queries.length, (start, end) => ({ queries: queries.slice(start, end) }), opts, listSink(queries.length));
  }

  /**
   * As {@link searchBatch}, with the hits as flat typed arrays ({@link PackedHits}) instead of
   * one object per hit: less work and memory on this thread for deep result lists.
   */
  searchBatchPacked(queries: readonly string[], opts: SearchOptions): Promise<PackedHits> {
    return this.run(queries.length, (start, end) => ({ queries: queries.slice(start, end) }), opts, packedSink(queries.length));
  }

  /** As {@link searchBatch}, with already-analysed terms per query (`IndexReader.searchTerms`). */
  searchTermsBatch(terms: readonly (readonly string[])[], opts: SearchOptions): Promise<ScoredChunk[][]> {
    return this.run(terms.length, (start, end) => ({ terms: terms.slice(start, end).map((t) => [...t]) }), opts, listSink(terms.length));
  }

  /** Terminates the workers; pending batches reject with `SEARCH_POOL_CLOSED`. Idempotent. */
  close(): Promise<void> {
    if (this.closing === null) {
      const closed = new OpenbookError('SEARCH_POOL_CLOSED', `search pool on ${this.dir} was closed before the batch finished`, { httpStatus: 500 });
      this.failAll(closed);
      this.closing = Promise.all(this.workers.map((w) => w.worker.terminate())).then(() => undefined);
    }
    return this.closing;
  }

  private run<T>(count: number, slice: (start: number, end: number) => Pick<SearchRequest, 'queries' | 'terms'>, opts: SearchOptions, sink: Sink<T>): Promise<T> {
    if (this.closing !== null) return Promise.reject(new OpenbookError('SEARCH_POOL_CLOSED', `search pool on ${this.dir} is closed`, { httpStatus: 500 }));
    if (this.broken !== null) return Promise.reject(this.broken);
    if (count === 0) return Promise.resolve(sink.result());
    return new Promise<T>((resolve, reject) => {
      // At least BLOCKS_PER_WORKER blocks per worker, so the last blocks even out the workers' loads.
      const size = Math.min(this.blockSize, Math.ceil(count / (BLOCKS_PER_WORKER * this.workers.length)));
      const batch: Batch = { sink, remaining: Math.ceil(count / size), settled: false, resolve: resolve as (r: unknown) => void, reject };
      for (let start = 0; start < count; start += size) {
        const id = this.nextBlockId++;
        this.queue.push({ id, batch, start, request: { type: 'search', id, ...slice(start, Math.min(count, start + size)), opts } });
      }
      this.dispatch();
    });
  }

  /**
   * Hands queued blocks to workers: first one to every idle worker, then a second to each, so
   * a worker has its next block at hand while this thread decodes its last answer.
   */
  private dispatch(): void {
    for (let depth = 1; depth <= MAX_IN_FLIGHT; depth++) {
      for (const w of this.workers) {
        if (this.queue.length === 0) return;
        if (w.inFlight.length >= depth) continue;
        const block = this.queue.shift()!;
        if (w.inFlight.length === 0) w.worker.ref();
        w.inFlight.push(block);
        w.worker.postMessage(block.request);
      }
    }
  }

  private onReply(w: PoolWorker, m: WorkerReply): void {
    const block = w.inFlight[0];
    if (block === undefined || (m.type !== 'result' && m.type !== 'failed') || m.id !== block.id) return;
    w.inFlight.shift();
    if (w.inFlight.length === 0) w.worker.unref();
    // Keep the worker busy before spending time on decoding.
    this.dispatch();
    const { batch } = block;
    if (!batch.settled) {
      if (m.type === 'failed') {
        this.settle(batch, fromWire(m.error, `${m.error.message} (search worker ${w.n} of ${this.workers.length}, ${blockRange(block)})`, this.dir));
      } else {
        batch.sink.take(block.start, m);
        if (--batch.remaining === 0) {
          batch.settled = true;
          batch.resolve(batch.sink.result());
        }
      }
    }
  }

  /** Rejects `batch` and drops its queued blocks. */
  private settle(batch: Batch, err: Error): void {
    batch.settled = true;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].batch === batch) this.queue.splice(i, 1);
    batch.reject(err);
  }

  private failAll(err: Error): void {
    const batches = new Set<Batch>();
    for (const b of this.queue) batches.add(b.batch);
    for (const w of this.workers) for (const b of w.inFlight) batches.add(b.batch);
    this.queue.length = 0;
    for (const w of this.workers) w.inFlight.length = 0;
    for (const b of batches) if (!b.settled) this.settle(b, err);
  }

  private onDeath(w: PoolWorker, what: string): void {
    if (this.closing !== null || this.broken !== null) return;
    const running = w.inFlight[0];
    const during = running === undefined ? 'while idle' : `while running ${blockRange(running)}`;
    this.broken = new OpenbookError(
      'SEARCH_WORKER_FAILED',
      `search worker ${w.n} of ${this.workers.length} on index ${this.dir} ${what} ${during}; the pool is closed, open a new one`,
      { httpStatus: 500 },
    );
    this.failAll(this.broken);
    for (const other of this.workers) void other.worker.terminate();
  }
}

/** "queries 64–127 of the batch" (0-based, inclusive). */
function blockRange(block: Block): string {
  const n = (block.request.queries ?? block.request.terms ?? []).length;
  return `queries ${block.start}–${block.start + n - 1} of the batch`;
}

/** Why starting the workers failed: the worker's error, and the generation it found when that was the reason. */
interface StartFailure {
  n: number;
  error: WireError;
  found?: number;
}

/** Starts `threads` workers and waits for each to report `ready`; on any failure terminates them all. */
async function startAll(dir: string, generation: number, threads: number): Promise<{ ok: true; workers: PoolWorker[] } | { ok: false; failure: StartFailure }> {
  const workers: PoolWorker[] = [];
  const waits: Promise<StartFailure | null>[] = [];
  for (let n = 0; n < threads; n++) {
    const worker = startWorker('./search-worker.js', import.meta.url, { dir, generation } satisfies SearchWorkerData);
    workers.push({ worker, n, inFlight: [] });
    waits.push(
      new Promise<StartFailure | null>((resolve) => {
        const done = (r: StartFailure | null) => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          resolve(r);
        };
        const onMessage = (m: WorkerReply) => {
          if (m.type === 'ready') done(null);
          else if (m.type === 'open-failed') done({ n, error: m.error, ...(m.found !== undefined ? { found: m.found } : {}) });
        };
        const onError = (err: Error) => done({ n, error: { name: err.name, message: err.message } });
        const onExit = (code: number) => done({ n, error: { name: 'Error', message: `the worker exited with code ${code} before opening the index` } });
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
      }),
    );
  }
  const failures = (await Promise.all(waits)).filter((f): f is StartFailure => f !== null);
  if (failures.length === 0) return { ok: true, workers };
  await Promise.all(workers.map((w) => w.worker.terminate()));
  // A generation mismatch is the retryable failure; report it first.
  return { ok: false, failure: failures.find((f) => f.found !== undefined) ?? failures[0] };
}
