/**
 * `Embedder` over an OpenAI-compatible `POST {baseUrl}/embeddings` endpoint (OpenAI, vLLM,
 * Ollama `/v1`, LM Studio, text-embeddings-inference) through the `openai` SDK.
 *
 * Always sends `encoding_format: "float"`: the SDK otherwise asks for base64 and decodes it
 * itself, and a server that ignores the field and answers with float arrays then yields empty
 * vectors. Texts get `queryPrefix`/`passagePrefix` by `kind` (e5 models: "query: " and
 * "passage: "), are sent in batches of `batchSize` (up to `maxConcurrency` batches in flight),
 * and vectors are L2-normalised when `normalize` is true (the default). Retries and the
 * concurrency limit are those of `./retry.ts`.
 */
import type OpenAI from 'openai';
import { createOpenAIClient } from './openai-sdk.js';
import { DimensionMismatchError, InvalidParameterError, ModelError } from '../core/errors.js';
import { ConcurrencyLimiter, withRetry, type RetryPolicy, type Sleep } from './retry.js';
import type { EmbedOptions, Embedder } from './types.js';
import type { UsageTotals } from './openai-compatible.js';

export interface OpenAIEmbedderOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Prepended to queries. Default "". */
  queryPrefix?: string;
  /** Prepended to passages. Default "". */
  passagePrefix?: string;
  /** L2-normalise returned vectors. Default true. */
  normalize?: boolean;
  /** Texts per request, ≥ 1. Default 32. */
  batchSize?: number;
  /** Per-attempt timeout in ms. Default 60 000. */
  timeoutMs?: number;
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Requests in flight at once. Default 4. */
  maxConcurrency?: number;
  /** Requested output dimension for models that support shortening (`dimensions` parameter). */
  dimensions?: number;
  sleep?: Sleep;
}

export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly normalized: boolean;
  readonly baseUrl: string;
  readonly model: string;
  /** The SDK client, created (and the SDK loaded) on the first request. */
  private sdkClient: Promise<OpenAI> | undefined;
  private readonly limiter: ConcurrencyLimiter;
  private readonly policy: RetryPolicy;
  private readonly options: OpenAIEmbedderOptions;
  private readonly batchSize: number;
  private dim: number | undefined;
  private readonly totals: UsageTotals = { promptTokens: 0, completionTokens: 0, requests: 0 };

  constructor(options: OpenAIEmbedderOptions) {
    if (!options.model) throw new InvalidParameterError('embed.model is required for an OpenAI-compatible embedder (set OPENBOOK_EMBED_MODEL)');
    this.options = options;
    this.model = options.model;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.id = `openai-compatible:${options.model}`;
    this.normalized = options.normalize ?? true;
    this.batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new InvalidParameterError(`embed.batchSize must be an integer ≥ 1, got ${this.batchSize}`);
    this.limiter = new ConcurrencyLimiter(options.maxConcurrency ?? 4);
    this.policy = { maxRetries: options.maxRetries ?? 3, baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs };
  }

  private client(): Promise<OpenAI> {
    return (this.sdkClient ??= createOpenAIClient({ baseURL: this.baseUrl, apiKey: this.options.apiKey || 'not-needed', timeout: this.options.timeoutMs ?? 60_000 }));
  }

  /** Output dimension; embeds one short text the first time when no call has happened yet. */
  async dimension(): Promise<number> {
    if (this.dim === undefined) await this.embed(['dimension probe'], { kind: 'passage' });
    return this.dim!;
  }

  /** Tokens sent (promptTokens) and requests made by this instance. */
  totalUsage(): UsageTotals {
    return { ...this.totals };
  }

  /**
   * @returns one Float32Array per text, in input order
   * @throws ModelError when the endpoint fails after retries or returns an empty/ragged answer
   * @throws DimensionMismatchError when a batch's dimension differs from earlier ones
   */
  async embed(texts: string[], options: EmbedOptions): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const prefix = options.kind === 'query' ? (this.options.queryPrefix ?? '') : (this.options.passagePrefix ?? '');
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) batches.push(texts.slice(i, i + this.batchSize).map((t) => prefix + t));
    const what = `POST ${this.baseUrl}/embeddings (model ${this.model})`;
    const results = await Promise.all(
      batches.map((batch) =>
        this.limiter.run(async () => {
          const res = await withRetry(
            async () =>
              (await this.client()).embeddings.create(
                {
                  model: this.model,
                  input: batch,
                  encoding_format: 'float',
                  ...(this.options.dimensions !== undefined ? { dimensions: this.options.dimensions } : {}),
                },
                { signal: options.signal },
              ),
            { policy: this.policy, sleep: this.options.sleep, signal: options.signal, what },
          );
          this.totals.promptTokens += res.usage?.prompt_tokens ?? 0;
          this.totals.requests += 1;
          if (res.data.length !== batch.length) {
            throw new ModelError(`${what} returned ${res.data.length} vectors for ${batch.length} inputs`);
          }
          return res.data
            .slice()
            .sort((a, b) => a.index - b.index)
            .map((d, i) => {
              const v = d.embedding as unknown;
              if (!Array.isArray(v) || v.length === 0) {
                throw new ModelError(`${what} returned an empty or non-array vector for input ${i}; the server may ignore encoding_format "float"`);
              }
              return Float32Array.from(v as number[]);
            });
        }, options.signal),
      ),
    );
    const out = results.flat();
    for (const v of out) {
      if (this.dim === undefined) this.dim = v.length;
      else if (v.length !== this.dim) throw new DimensionMismatchError(this.dim, v.length);
      if (this.normalized) l2NormalizeInPlace(v);
    }
    return out;
  }
}

/** Divides `v` by its L2 norm in place; the zero vector is left as is. Returns `v`. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  if (sum === 0) return v;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
