/**
 * Messages between a {@link SearchPool} and its search workers (`search-worker.ts`).
 *
 * Results cross the thread boundary as three typed arrays per block, whose buffers are
 * transferred (moved, not copied): for a block of n queries, `counts[i]` is the number of hits of
 * query i, and its hits are `chunks[o_i .. o_i + counts[i])` / `scores[o_i .. …)` with
 * o_i = Σ_{j<i} counts[j], best first, exactly as `IndexReader.search` returned them.
 * Float64 scores carry the reader's doubles bit for bit.
 */
import type { SearchOptions } from '../sparse/scorer.js';

/** `workerData` of a search worker. */
export interface SearchWorkerData {
  /** Index directory. */
  dir: string;
  /** The committed generation the pool expects the worker to open. */
  generation: number;
}

/** A serialisable error: the name, stable code (for `OpenbookError`s) and message. */
export interface WireError {
  name: string;
  code?: string;
  message: string;
}

/** Pool → worker: run one block. Exactly one of `queries` (raw text) and `terms` (analysed) is set. */
export interface SearchRequest {
  type: 'search';
  /** Block id, unique within the pool. */
  id: number;
  queries?: string[];
  terms?: string[][];
  opts: SearchOptions;
}

/** Worker → pool. */
export type WorkerReply =
  /** The index is open at `generation` (equal to the expected one). */
  | { type: 'ready'; generation: number }
  /** The index could not be opened, or holds another generation than expected (`found`). */
  | { type: 'open-failed'; error: WireError; found?: number }
  /** One block's results (see the module comment for the layout). */
  | { type: 'result'; id: number; counts: Uint32Array; chunks: Uint32Array; scores: Float64Array }
  /** A block failed (e.g. invalid search options). */
  | { type: 'failed'; id: number; error: WireError };

/** The wire form of any thrown value. */
export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}
