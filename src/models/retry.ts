/**
 * Retries with exponential backoff, `Retry-After` handling and a concurrency limiter, shared by
 * the HTTP model providers. The SDK's own retries are switched off (`maxRetries: 0`) so that the
 * policy lives here, is the same for every provider, and is testable with an injected `sleep`.
 *
 * Policy: attempt 0 is the first request. After a retryable failure (HTTP 408, 409, 429, any
 * 5xx, a connection error or a timeout) attempt i+1 waits
 *   - the server's `retry-after-ms` header (milliseconds), else its `Retry-After` header
 *     (seconds, or an HTTP date: date − now), when present, else
 *   - `min(maxDelayMs, baseDelayMs · 2^i)` (no jitter: delays are reproducible).
 * A server that asks for a wait longer than `maxDelayMs` is not waited on: the call fails with a
 * `ModelError` that says how long it asked for. These are the statuses the OpenAI SDK retries
 * (`shouldRetry` in openai-node's client) and the header names it reads.
 */
import { ModelError } from '../core/errors.js';
import { isSdkError } from './openai-sdk.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  maxRetries: number;
  /** First backoff delay in ms (attempt 1 waits this, attempt 2 twice this, …). Default 500. */
  baseDelayMs?: number;
  /** Cap on any single wait in ms, including a server's Retry-After. Default 30 000. */
  maxDelayMs?: number;
}

/** Sleeps `ms` milliseconds; rejects with the signal's reason when aborted. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Real-time sleep honouring an AbortSignal. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The error to throw for an aborted signal: its reason, or a DOMException named AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Whether a failed request is worth retrying: 408, 409, 429, 5xx (but not llama.cpp's 500 refusal of `n` ≠ 1), connection errors, timeouts. */
export function isRetryable(err: unknown): boolean {
  if (isSdkError(err, 'APIUserAbortError')) return false;
  if (isSdkError(err, 'APIConnectionError')) return true; // includes APIConnectionTimeoutError
  if (isSdkError(err, 'APIError') && typeof err.status === 'number') {
    // llama.cpp's server answers n ≠ 1 with a 500 that no retry can change
    if (/only one completion choice is allowed/i.test(err.message)) return false;
    return err.status === 408 || err.status === 409 || err.status === 429 || err.status >= 500;
  }
  return false;
}

/**
 * The server-requested wait in ms from `retry-after-ms` or `Retry-After` (seconds or HTTP date),
 * or undefined when neither header is present and parseable. Negative dates give 0.
 */
export function retryAfterMs(headers: Headers | undefined, now: () => number = Date.now): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (Number.isFinite(Number(ra))) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** Backoff without a server hint: min(maxDelayMs, baseDelayMs · 2^(attempt−1)) for attempt ≥ 1. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy): number {
  const base = policy.baseDelayMs ?? 500;
  const max = policy.maxDelayMs ?? 30_000;
  return Math.min(max, base * 2 ** (attempt - 1));
}

export interface RetryContext {
  policy: RetryPolicy;
  sleep?: Sleep;
  now?: () => number;
  signal?: AbortSignal;
  /** Describes the call in error messages, e.g. "POST http://…/v1/chat/completions (model qwen)". */
  what: string;
  /** Called before each wait, e.g. for logging or tests: (attempt about to start, delay ms, error). */
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

/**
 * Runs `fn(attempt)` until it succeeds, a non-retryable error occurs, or retries run out.
 * @throws the signal's reason when aborted; `ModelError` (cause = last error) on final failure
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, ctx: RetryContext): Promise<T> {
  const sleep = ctx.sleep ?? defaultSleep;
  const max = ctx.policy.maxDelayMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    if (ctx.signal?.aborted) throw abortReason(ctx.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (ctx.signal?.aborted) throw abortReason(ctx.signal);
      if (isSdkError(err, 'APIUserAbortError')) throw err;
      if (!isRetryable(err)) throw toModelError(err, ctx.what, attempt + 1);
      if (attempt >= ctx.policy.maxRetries) throw toModelError(err, ctx.what, attempt + 1);
      const asked = isSdkError(err, 'APIError') ? retryAfterMs(err.headers, ctx.now) : undefined;
      if (asked !== undefined && asked > max) {
        throw new ModelError(
          `${ctx.what}: the server asked to retry after ${(asked / 1000).toFixed(1)} s, longer than maxDelayMs ${max} ms; try again later`,
          { cause: err },
        );
      }
      const delay = asked ?? backoffDelayMs(attempt + 1, ctx.policy);
      ctx.onRetry?.(attempt + 1, delay, err);
      await sleep(delay, ctx.signal);
    }
  }
}

/** Wraps an SDK/transport error as a ModelError that names the call, the status and the attempts. */
export function toModelError(err: unknown, what: string, attempts: number): ModelError {
  const status = isSdkError(err, 'APIError') && err.status !== undefined ? `HTTP ${err.status}: ` : '';
  const message = err instanceof Error ? err.message : String(err);
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new ModelError(`${what} failed${tries}: ${status}${message}`, { cause: err });
}

/**
 * Limits how many async tasks run at once (a counting semaphore, FIFO). One per client
 * instance; nothing is shared between instances.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /** @param maxConcurrency tasks allowed in flight, ≥ 1 */
  constructor(readonly maxConcurrency: number) {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
      throw new ModelError(`maxConcurrency must be an integer ≥ 1, got ${maxConcurrency}`);
    }
  }

  /** Tasks currently running. */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for a slot (or the signal), runs `task`, frees the slot. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Takes a slot; pair with `release()`. For work that outlives one promise (streams). */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.active < this.maxConcurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next();
  }
}
