/**
 * The server's write queue: every change to the index (upload, indexing server paths,
 * delete) is a job, and jobs run one at a time in arrival order, so the index's
 * single-writer lock is never contended from inside the server.
 *
 * Job records are kept in memory and, when `dir` is given, mirrored to `<dir>/<id>.json`
 * (written to a temporary file, then renamed). A server killed mid-job leaves a record that
 * says `running`; `recover()` at the next start marks it `failed` with a message saying so.
 * The index itself is never at risk: it only changes by atomic commit, so a killed job loses
 * its own uncommitted work and nothing committed before it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OpenbookError } from '../core/errors.js';

export type JobKind = 'upload' | 'index-paths' | 'delete';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** Indexing progress as the pipeline reports it (`phase`, files done of total, chunks so far, bytes read of the files' total). */
export interface JobProgress {
  phase: string;
  filesDone: number;
  filesTotal: number;
  chunks: number;
  bytesDone?: number;
  bytesTotal?: number;
  current?: string;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** ms since the epoch. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** What the job works on: uploaded file names, requested paths, or the document id. */
  inputs: string[];
  progress?: JobProgress;
  /** The job's result when it succeeded (e.g. the indexing summary). */
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** What a job body receives: a progress sink, and a switch back to `queued` while it waits for the index lock. */
export interface JobContext {
  report(progress: JobProgress): void;
  /** `true`: status `queued` with phase `waiting-for-lock`; `false`: `running` again. */
  waiting(isWaiting: boolean): void;
}

export interface JobQueueOptions {
  /** Folder for the job records (created when absent); omit to keep them in memory only. */
  dir?: string;
  now: () => number;
  /** Records kept in memory (oldest finished ones dropped first). Default 500. */
  maxRecords?: number;
  /** Where unexpected (non-OpenbookError) failures are logged; clients only see a generic message. */
  onUnexpectedError?: (job: JobRecord, err: unknown) => void;
  /** Rewrites an error message before it is stored in a record clients read (see `redact.ts`). */
  publicMessage?: (message: string) => string;
}

export class JobQueue {
  private readonly records = new Map<string, JobRecord>();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly opts: JobQueueOptions) {}

  /**
   * Marks records left `queued` or `running` by a previous process as failed, and loads the
   * recent ones so `GET /v1/jobs/:id` still answers for them. Returns the ids it failed.
   */
  async recover(): Promise<string[]> {
    if (!this.opts.dir) return [];
    await mkdir(this.opts.dir, { recursive: true });
    const failed: string[] = [];
    const loaded: JobRecord[] = [];
    for (const name of await readdir(this.opts.dir)) {
      if (!name.endsWith('.json')) continue;
      let rec: JobRecord;
      try {
        rec = JSON.parse(await readFile(path.join(this.opts.dir, name), 'utf8')) as JobRecord;
      } catch {
        continue; // a torn temp file from a kill; the rename never happened
      }
      if (rec.status === 'queued' || rec.status === 'running') {
        const was = rec.status;
        rec.status = 'failed';
        rec.finishedAt = this.opts.now();
        rec.error = {
          code: 'JOB_INTERRUPTED',
          message: `the server stopped while this job was ${was}; nothing it had not committed was kept, and earlier commits are intact. Submit it again.`,
        };
        await this.persist(rec);
        failed.push(rec.id);
      }
      loaded.push(rec);
    }
    loaded.sort((a, b) => a.createdAt - b.createdAt);
    for (const rec of loaded.slice(-(this.opts.maxRecords ?? 500))) this.records.set(rec.id, rec);
    return failed;
  }

  /**
   * Queues `run`; it starts when every earlier job has finished. Returns the record at once
   * (status `queued`); `done` settles when the job finishes (it never rejects).
   */
  enqueue(kind: JobKind, inputs: string[], run: (ctx: JobContext) => Promise<Record<string, unknown>>): { job: JobRecord; done: Promise<JobRecord> } {
    const job: JobRecord = { id: randomUUID(), kind, status: 'queued', createdAt: this.opts.now(), inputs };
    this.records.set(job.id, job);
    this.trim();
    this.pending++;
    const persistQueued = this.persist(job);
    const done = this.tail.then(async () => {
      await persistQueued;
      job.status = 'running';
      job.startedAt = this.opts.now();
      await this.persist(job);
      try {
        job.result = await run({
          report: (p) => (job.progress = p),
          waiting: (isWaiting) => {
            job.status = isWaiting ? 'queued' : 'running';
            if (isWaiting) job.progress = { phase: 'waiting-for-lock', filesDone: 0, filesTotal: 0, chunks: 0 };
          },
        });
        job.status = 'succeeded';
      } catch (err) {
        job.status = 'failed';
        if (err instanceof OpenbookError) job.error = { code: err.code, message: this.opts.publicMessage?.(err.message) ?? err.message };
        else {
          job.error = { code: 'INTERNAL', message: `job failed unexpectedly (see the server log for job ${job.id})` };
          this.opts.onUnexpectedError?.(job, err);
        }
      } finally {
        job.finishedAt = this.opts.now();
        this.pending--;
        await this.persist(job).catch((err: unknown) => this.opts.onUnexpectedError?.(job, err));
      }
      return job;
    });
    this.tail = done.then(() => undefined);
    return { job, done };
  }

  get(id: string): JobRecord | undefined {
    return this.records.get(id);
  }

  /** Jobs newest first. */
  list(): JobRecord[] {
    return [...this.records.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Jobs queued or running. */
  get active(): number {
    return this.pending;
  }

  /** Resolves when every job queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }

  private async persist(job: JobRecord): Promise<void> {
    if (!this.opts.dir) return;
    await mkdir(this.opts.dir, { recursive: true });
    const file = path.join(this.opts.dir, `${job.id}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(job));
    await rename(tmp, file);
  }

  private trim(): void {
    const max = this.opts.maxRecords ?? 500;
    if (this.records.size <= max) return;
    for (const rec of [...this.records.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      if (this.records.size <= max) break;
      if (rec.status === 'succeeded' || rec.status === 'failed') this.records.delete(rec.id);
    }
  }
}
