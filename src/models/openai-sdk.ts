/**
 * The `openai` SDK, loaded on first use. Importing it costs ~150 modules (~90 ms), which
 * `import('openbook')` and every CLI command without a configured model would otherwise pay: the
 * providers create their client on their first request, and the retry policy recognises the SDK's
 * errors by their class names, so that no module of ours imports the SDK at its top.
 */
import type OpenAI from 'openai';
import type { APIError } from 'openai';
import { importPackage } from '../core/import-package.js';

/** What the providers pass to the SDK's constructor (its own retries are off: see ./retry.ts). */
export interface OpenAIClientOptions {
  baseURL: string;
  apiKey: string;
  /** Per-attempt timeout in ms. */
  timeout: number;
}

/** A client of the SDK, loading the SDK on the first call (Node's module cache serves later ones). */
export async function createOpenAIClient(options: OpenAIClientOptions): Promise<OpenAI> {
  const { default: OpenAIClient } = await importPackage<typeof import('openai')>('openai');
  return new OpenAIClient({ ...options, maxRetries: 0 });
}

/** The SDK's error classes this project tells apart (each subclass of `APIError`). */
export type SdkErrorName = 'APIError' | 'APIConnectionError' | 'APIUserAbortError';

/**
 * Whether `err` is an instance of the SDK's error class `name` or of a subclass of it
 * (`APIConnectionTimeoutError` is an `APIConnectionError`, `RateLimitError` an `APIError`), judged
 * by the class names along its prototype chain. An SDK error exists only once the SDK loaded, so
 * this never needs to load it; it also accepts the SDK's CommonJS build, whose classes are not the
 * ES module's.
 */
export function isSdkError(err: unknown, name: SdkErrorName): err is APIError {
  if (!(err instanceof Error)) return false;
  for (let proto = Object.getPrototypeOf(err) as object | null; proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === name) return true;
  }
  return false;
}
