/**
 * Index-time analysis on worker threads. Each worker (`./analysis-worker.ts`) runs the index's
 * registry analyzer and counts terms against a dictionary of its own; the pool maps each worker's
 * local term ids to the writer's ids through `intern`, which it calls once per term and worker
 * (not once per token), so the writer's thread only copies typed arrays.
 *
 * Results are what {@link ChunkTermCounter.countAll} gives on the writer's own thread, with the
 * writer's ids: the same distinct terms in the same order with the same frequencies
 * (`test/index/parallel-index.test.ts` builds indexes both ways and compares the files).
 */
import type { Worker } from 'node:worker_threads';
import { checkThreads, startWorker } from '../../core/workers.js';
import type { CountedChunks } from './term-counter.js';

/** Writer → worker: chunk texts to analyse, or text blocks (each a list of parts) to deflate. */
export type AnalysisRequest = { seq: number; texts: string[] } | { seq: number; deflate: string[][] };

/**
 * Worker → writer: the counted batch (local ids) and the terms first seen in it; or the deflated
 * blocks packed in one buffer (block i is `bytes[Σ lengths before i ..][.. lengths[i]]`); or an error.
 */
export type AnalysisReply =
  | { seq: number; newTerms: string[]; counted: CountedChunks; error?: undefined }
  | { seq: number; deflated: { bytes: Uint8Array<ArrayBuffer>; lengths: Uint32Array<ArrayBuffer> }; error?: undefined; counted?: undefined }
  | { seq: number; error: string };

interface Pending {
  seq: number;
  resolve: (reply: AnalysisReply) => void;
  reject: (e: Error) => void;
}

/** Text blocks per deflate message: enough to amortise a message, few enough to share the blocks between workers. */
const DEFLATE_BLOCKS_PER_MESSAGE = 64;

interface PoolWorker {
  worker: Worker;
  /** Local term id → writer term id. */
  toGlobal: number[];
  /** Batches sent and not answered, oldest first (a worker answers in order). */
  pending: Pending[];
}

export class AnalysisPool {
  private readonly workers: PoolWorker[] = [];
  private seq = 0;
  private failure: Error | null = null;
  private closed = false;

  /**
   * Starts `threads` workers running analyzer `analyzerName` (a registry name).
   * @param intern the writer's id for a term (adding it when new); called on the writer's thread
   * @throws InvalidParameterError for a bad thread count
   */
  constructor(
    readonly analyzerName: string,
    threads: number,
    private readonly intern: (term: string) => number,
  ) {
    checkThreads(threads, 'threads');
    for (let i = 0; i < threads; i++) {
      const worker = startWorker('./analysis-worker.js', import.meta.url, { analyzer: analyzerName });
      const pw: PoolWorker = { worker, toGlobal: [], pending: [] };
      worker.on('message', (reply: AnalysisReply) => this.onReply(pw, reply));
      worker.on('error', (err) => this.fail(new Error(`analysis worker ${i} failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`analysis worker ${i} exited with code ${code}`));
      });
      this.workers.push(pw);
    }
  }

  /**
   * Analyses `texts` on the least busy worker; resolves with writer term ids.
   * @throws Error (rejects) when a worker failed or the pool is closed
   */
  async analyze(texts: string[]): Promise<CountedChunks> {
    const reply = await this.send((seq) => ({ seq, texts }));
    if (!('counted' in reply) || reply.counted === undefined) throw new Error('analysis worker answered an analysis batch with something else');
    return reply.counted;
  }

  /**
   * Raw-deflates text blocks on the workers, as `format.ts`'s `deflateTextBlock` does on this
   * thread (same bytes); results in block order. A `TextBlockDeflater` for `encodeGeneration`.
   * @throws Error (rejects) when a worker failed or the pool is closed
   */
  async deflate(blocks: readonly (readonly string[])[]): Promise<Uint8Array[]> {
    const parts: Array<Promise<AnalysisReply>> = [];
    for (let i = 0; i < blocks.length; i += DEFLATE_BLOCKS_PER_MESSAGE) {
      const slice = blocks.slice(i, i + DEFLATE_BLOCKS_PER_MESSAGE) as string[][];
      parts.push(this.send((seq) => ({ seq, deflate: slice })));
    }
    const out: Uint8Array[] = [];
    for (const reply of await Promise.all(parts)) {
      if (!('deflated' in reply) || reply.deflated === undefined) throw new Error('analysis worker answered a deflate batch with something else');
      const { bytes, lengths } = reply.deflated;
      let at = 0;
      for (const n of lengths) {
        out.push(bytes.subarray(at, at + n));
        at += n;
      }
    }
    return out;
  }

  /** Sends a request to the least busy worker; resolves with its reply. */
  private send(make: (seq: number) => AnalysisRequest): Promise<AnalysisReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the analysis pool is closed'));
    let best = this.workers[0];
    for (const w of this.workers) if (w.pending.length < best.pending.length) best = w;
    const seq = this.seq++;
    return new Promise<AnalysisReply>((resolve, reject) => {
      best.pending.push({ seq, resolve, reject });
      best.worker.postMessage(make(seq));
    });
  }

  /** Terminates the workers; pending batches reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new Error('the analysis pool was closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private onReply(pw: PoolWorker, reply: AnalysisReply): void {
    const p = pw.pending.shift();
    if (p === undefined || p.seq !== reply.seq) {
      this.fail(new Error(`analysis worker answered batch ${reply.seq} out of order`));
      return;
    }
    if (reply.error !== undefined) {
      p.reject(new Error(`analysis worker failed on a batch: ${reply.error}`));
      return;
    }
    if ('counted' in reply && reply.counted !== undefined) {
      // Map the worker's term ids to the writer's now, in the order the worker sent them.
      const { toGlobal } = pw;
      for (const t of reply.newTerms) toGlobal.push(this.intern(t));
      const ids = reply.counted.ids;
      for (let i = 0; i < ids.length; i++) ids[i] = toGlobal[ids[i]];
    }
    p.resolve(reply);
  }

  private fail(err: Error): void {
    if (this.failure === null) this.failure = err;
    this.rejectAll(err);
  }

  private rejectAll(err: Error): void {
    for (const w of this.workers) for (const p of w.pending.splice(0)) p.reject(err);
  }
}
