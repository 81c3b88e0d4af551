/**
 * Parsing off the caller's thread, under per-file budgets (budgets.ts). A `ParsePool` keeps up to
 * `threads` workers (parse-worker.ts), each started with `resourceLimits.maxOldGenerationSizeMb =
 * maxHeapMb`, and gives each one file at a time:
 *
 *  - the parse must answer within `timeoutMs` of being handed to a ready worker, or the worker is
 *    terminated and the file rejected with `BudgetExceededError` (limit `timeoutMs`);
 *  - a worker that runs out of heap (`ERR_WORKER_OUT_OF_MEMORY`) rejects its file with
 *    `BudgetExceededError` (limit `maxHeapMb`);
 *  - decompressed bytes are capped inside the loaders (zip.ts, pdf.ts, hwp.ts; limit
 *    `maxDecompressedBytes`).
 *
 * A dead or terminated worker is replaced on the next file, so one hostile file costs one worker
 * start (~30 ms from the build, longer from TypeScript sources under tsx) and nothing else. Workers
 * are `unref`'d (they never keep a process alive) and stop after {@link IDLE_MS} without work.
 * `sharedParsePool` returns one pool per (heap, threads) for the process, so the server and
 * repeated `indexPaths` calls reuse warm workers.
 */
import type { Worker } from 'node:worker_threads';
import { BudgetExceededError, InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { startWorker } from '../core/workers.js';
import { formatMs } from './budgets.js';
import type { LoadOptions, SourceInfo } from './source.js';

/** Idle workers stop after this long (ms). */
export const IDLE_MS = 15_000;

/** What a worker is asked to load: a file on disk (or bytes already fetched) and the cloneable load options. */
export interface ParseTask {
  id: number;
  /** With `bytes`, those are parsed (a fetched web page as HTML) and `absPath` is unused. */
  entry: SourceInfo & { absPath: string; bytes?: Uint8Array };
  opts: Omit<LoadOptions, 'onWarning' | 'onNote'>;
}

export type ParseReply =
  | { id: number; docs: Document[]; warnings: string[]; notes: string[]; error?: undefined }
  | { id: number; warnings: string[]; notes: string[]; error: { code: string; message: string; what?: string; limit?: string } };

/** A file's parse result: its documents, the per-line warnings (skips) and the notes (`LoadOptions.onNote`) its loader gave. */
export interface Parsed {
  docs: Document[];
  warnings: string[];
  notes: string[];
}

interface Job {
  task: ParseTask;
  timeoutMs: number;
  resolve: (p: Parsed) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  idle: NodeJS.Timeout | null;
  dead: boolean;
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  /** Workers started so far (a figure for tests and benchmarks). */
  started = 0;

  /**
   * @param maxHeapMb heap cap of each worker, MB
   * @param threads most workers at once (≥ 1)
   */
  constructor(
    readonly maxHeapMb: number,
    readonly threads: number,
  ) {}

  /**
   * Loads `entry` on a worker.
   * @throws BudgetExceededError (rejects) past `timeoutMs` or `maxHeapMb`, or what the loader
   *   throws (InputFormatError "<relPath>: …", BudgetExceededError for decompressed bytes)
   */
  parse(entry: ParseTask['entry'], opts: ParseTask['opts'], timeoutMs: number): Promise<Parsed> {
    if (this.closed) return Promise.reject(new Error('the parse pool is closed'));
    const task: ParseTask = { id: this.nextId++, entry: { absPath: entry.absPath, relPath: entry.relPath, format: entry.format, mtimeMs: entry.mtimeMs, ...(entry.bytes ? { bytes: entry.bytes } : {}) }, opts };
    return new Promise<Parsed>((resolve, reject) => {
      this.queue.push({ task, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Terminates every worker; queued files reject. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('the parse pool was closed'));
    await Promise.all(this.slots.splice(0).map((s) => this.kill(s)));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && s.job === null && !s.dead);
      if (!slot) {
        if (this.slots.length < this.threads) this.spawn();
        break; // a worker will pick the job up when it is ready or free
      }
      this.run(slot, this.queue.shift()!);
    }
    this.updateRefs();
  }

  /** Workers hold the process open while files wait or parse, never when idle. */
  private updateRefs(): void {
    const busy = this.queue.length > 0 || this.slots.some((s) => s.job !== null);
    for (const s of this.slots) {
      if (busy) s.worker.ref();
      else s.worker.unref();
    }
  }

  private spawn(): void {
    const worker = startWorker('./parse-worker.js', import.meta.url, undefined, { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } });
    this.started++;
    const slot: Slot = { worker, ready: false, job: null, timer: null, idle: null, dead: false };
    this.slots.push(slot);
    worker.on('message', (m: ParseReply | { ready: true }) => {
      if ('ready' in m) {
        slot.ready = true;
        this.pump();
        this.armIdle(slot);
        return;
      }
      this.finish(slot, m);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const job = slot.job;
      slot.job = null;
      this.retire(slot);
      if (job) {
        const rel = job.task.entry.relPath;
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') job.reject(new BudgetExceededError(rel, `parsing needs more than ${this.maxHeapMb} MB of heap`, 'maxHeapMb'));
        else job.reject(new InputFormatError(`${rel}: the parser failed (${err.message})`));
      } else if (!slot.ready) {
        // The worker could not even start: fail what waits instead of retrying forever.
        for (const j of this.queue.splice(0)) j.reject(new Error(`parse worker failed to start: ${err.message}`));
      }
      this.pump();
    });
    worker.on('exit', () => {
      const job = slot.job;
      slot.job = null;
      this.retire(slot);
      job?.reject(new InputFormatError(`${job.task.entry.relPath}: the parser stopped unexpectedly`));
      this.pump();
    });
    this.updateRefs(); // after the listeners: adding a 'message' listener refs the worker's port again
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    slot.timer = setTimeout(() => {
      slot.job = null;
      this.retire(slot);
      void slot.worker.terminate();
      job.reject(new BudgetExceededError(job.task.entry.relPath, `parsing took longer than ${formatMs(job.timeoutMs)}`, 'timeoutMs'));
      this.pump();
    }, job.timeoutMs);
    slot.worker.postMessage(job.task);
  }

  private finish(slot: Slot, reply: ParseReply): void {
    const job = slot.job;
    if (!job || job.task.id !== reply.id) return; // a late answer after a timeout
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    this.armIdle(slot);
    const rel = job.task.entry.relPath;
    if (reply.error === undefined) job.resolve({ docs: reply.docs, warnings: reply.warnings, notes: reply.notes });
    else if (reply.error.code === 'BUDGET_EXCEEDED') job.reject(new BudgetExceededError(rel, reply.error.what ?? 'over budget', reply.error.limit ?? 'unknown'));
    else if (reply.error.code === 'INTERNAL') job.reject(new InputFormatError(`${rel}: ${reply.error.message}`));
    else job.reject(new InputFormatError(reply.error.message));
    this.pump();
  }

  private armIdle(slot: Slot): void {
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      if (slot.job !== null) return;
      this.retire(slot);
      void slot.worker.terminate();
    }, IDLE_MS);
    slot.idle.unref();
  }

  /** Takes a slot out of the pool (it gets no more jobs). */
  private retire(slot: Slot): void {
    slot.dead = true;
    if (slot.timer) clearTimeout(slot.timer);
    if (slot.idle) clearTimeout(slot.idle);
    slot.timer = slot.idle = null;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private async kill(slot: Slot): Promise<void> {
    this.retire(slot);
    await slot.worker.terminate();
  }
}

const shared = new Map<string, ParsePool>();

/** The process's pool for these limits (created on first use; its workers never hold the process open). */
export function sharedParsePool(maxHeapMb: number, threads: number): ParsePool {
  const key = `${maxHeapMb}/${threads}`;
  let pool = shared.get(key);
  if (!pool) {
    pool = new ParsePool(maxHeapMb, threads);
    shared.set(key, pool);
  }
  return pool;
}
