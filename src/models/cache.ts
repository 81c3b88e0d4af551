/**
 * A content-addressed cache of model responses and embeddings.
 *
 * Key = SHA-256 (hex) of the canonical JSON (object keys sorted) of
 * `{ v, kind, provider, params, input }`: the cache format version, the call kind ("chat",
 * "score", "embed"), the provider-qualified model id (`LanguageModel.id`), the parameters
 * that change the output (temperature, stop, n, seed, …; never the AbortSignal) and the input
 * (messages, prompt + continuation, or one text). Equal keys ⇔ equal requests.
 *
 * Backends: `DiskCache` (one file per key under a folder, by default `<index>/cache`, written
 * to a temporary file then renamed so a reader never sees a half-written entry),
 * `RedisCache` (ioredis; used when `REDIS_URL` is set) and `MemoryCache` (per instance).
 *
 * Only deterministic requests are cached: chat calls with temperature 0 (the default) or
 * with a fixed `seed`. Sampling at temperature > 0 without a seed always reaches the model,
 * so self-consistency style methods still get independent samples.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { OpenbookError } from '../core/errors.js';
import type {

  ChatMessage,
  ContinuationScore,
  EmbedOptions,
  Embedder,
  GenerateOptions,
  GenerateResult,
  LanguageModel,
  LanguageModelCapabilities,
} from './types.js';

// ioredis loads on first use (~0.3 s to import); runs without Redis never pay for it.
const require = createRequire(import.meta.url);
const RedisClient = () => (require('ioredis') as typeof import('ioredis')).Redis;

/** Bumped when the stored value format changes; old entries then miss. */
export const CACHE_FORMAT_VERSION = 1;

/** The cache backend failed (unreachable Redis, unwritable folder). */
export class CacheError extends OpenbookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CACHE_ERROR', message, { ...options, httpStatus: 500 });
  }
}

/** Bytes in, bytes out, by hex key. */
export interface CacheBackend {
  /** "disk:/abs/dir", "redis:redis://host:port/db", "memory". */
  readonly name: string;
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface CacheKeyParts {
  kind: 'chat' | 'score' | 'embed' | 'rerank';
  provider: string;
  params: unknown;
  input: unknown;
}

/** JSON with object keys sorted at every level; `undefined` fields dropped (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}

/** sha256(canonicalJson({ v, kind, provider, params, input })) as 64 hex characters. */
export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256')
    .update(canonicalJson({ v: CACHE_FORMAT_VERSION, ...parts }))
    .digest('hex');
}

/** Per-instance in-memory backend (tests, the server's short-lived runs). */
export class MemoryCache implements CacheBackend {
  readonly name = 'memory';
  private readonly map = new Map<string, Buffer>();
  async get(key: string) {
    return this.map.get(key);
  }
  async set(key: string, value: Buffer) {
    this.map.set(key, Buffer.from(value));
  }
  async close() {}
  get size(): number {
    return this.map.size;
  }
}

/**
 * One file per entry at `<dir>/<key[0..2]>/<key>` (256 fan-out folders). Writes go to
 * `<file>.<pid>.<n>.tmp` and are renamed into place (atomic on POSIX within one filesystem).
 */
export class DiskCache implements CacheBackend {
  readonly name: string;
  private tmpCounter = 0;
  constructor(readonly dir: string) {
    this.name = `disk:${dir}`;
  }
  private file(key: string): string {
    if (!/^[0-9a-f]{16,}$/.test(key)) throw new CacheError(`cache key must be lowercase hex, got ${JSON.stringify(key)}`);
    return path.join(this.dir, key.slice(0, 2), key);
  }
  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CacheError(`cannot read cache entry ${this.file(key)}: ${(err as Error).message}`, { cause: err });
    }
  }
  async set(key: string, value: Buffer): Promise<void> {
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.${++this.tmpCounter}.tmp`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(tmp, value);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw new CacheError(`cannot write cache entry ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  async close() {}
}

export interface RedisCacheOptions {
  /** `redis://[:password@]host:port[/db]`. */
  url: string;
  /** Key prefix. Default "openbook:cache:". */
  prefix?: string;
  /** Entry lifetime in seconds; none by default. */
  ttlSeconds?: number;
  /** Connect timeout in ms. Default 5 000. */
  connectTimeoutMs?: number;
}

/** Redis backend over ioredis (GET/SET of binary values under `prefix + key`). */
export class RedisCache implements CacheBackend {
  readonly name: string;
  private readonly client: Redis;
  private readonly prefix: string;
  constructor(private readonly options: RedisCacheOptions) {
    this.name = `redis:${options.url.replace(/\/\/([^@/]*:)?[^@/]*@/, '//****@')}`;
    this.prefix = options.prefix ?? 'openbook:cache:';
    this.client = new (RedisClient())(options.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      retryStrategy: (times) => (times > 2 ? null : 100 * times),
    });
    // Errors surface through the failing command; without a listener ioredis would also log them.
    this.client.on('error', () => undefined);
  }
  private async ready(): Promise<void> {
    if (this.client.status === 'wait') {
      try {
        await this.client.connect();
      } catch (err) {
        throw new CacheError(`cannot connect to Redis at ${this.name.slice(6)}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  async get(key: string): Promise<Buffer | undefined> {
    await this.ready();
    try {
      return (await this.client.getBuffer(this.prefix + key)) ?? undefined;
    } catch (err) {
      throw new CacheError(`Redis GET failed at ${this.name.slice(6)}: ${(err as Error).message}`, { cause: err });
    }
  }
  async set(key: string, value: Buffer): Promise<void> {
    await this.ready();
    try {
      if (this.options.ttlSeconds !== undefined) await this.client.set(this.prefix + key, value, 'EX', this.options.ttlSeconds);
      else await this.client.set(this.prefix + key, value);
    } catch (err) {
      throw new CacheError(`Redis SET failed at ${this.name.slice(6)}: ${(err as Error).message}`, { cause: err });
    }
  }
  async close(): Promise<void> {
    if (this.client.status === 'wait' || this.client.status === 'end') return;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** The backend the configuration asks for: Redis when `redisUrl` is set, else disk at `dir`. */
export function createCacheBackend(config: { dir: string; redisUrl?: string }): CacheBackend {
  return config.redisUrl ? new RedisCache({ url: config.redisUrl }) : new DiskCache(config.dir);
}

export interface CacheStats {
  hits: number;
  misses: number;
}

export interface CachedWrapperOptions {
  /** Extra key material: configuration the inner id does not show (prefixes, normalisation, pooling). */
  params?: Record<string, unknown>;
}

function chatParams(options: GenerateOptions): Record<string, unknown> {
  const { signal: _signal, ...rest } = options;
  return { temperature: 0, n: 1, ...rest };
}

function cacheable(options: GenerateOptions): boolean {
  return (options.temperature ?? 0) === 0 || options.seed !== undefined;
}

/**
 * A `LanguageModel` that answers repeated deterministic requests from a cache. `stats` counts
 * hits and misses; a hit returns the stored result with `cached: true` and the lookup's own
 * `latencyMs` (usage is that of the original call).
 */
export class CachedLanguageModel implements LanguageModel {
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  constructor(
    readonly inner: LanguageModel,
    readonly cache: CacheBackend,
    private readonly options: CachedWrapperOptions = {},
  ) {}

  get id(): string {
    return this.inner.id;
  }
  get capabilities(): LanguageModelCapabilities {
    return this.inner.capabilities;
  }

  private chatKey(messages: ChatMessage[], options: GenerateOptions): string {
    return cacheKey({ kind: 'chat', provider: this.inner.id, params: { ...this.options.params, ...chatParams(options) }, input: messages });
  }

  /**
   * The stored result for `key`, counted as a hit and returned with `cached: true` and the
   * lookup's own `latencyMs` (since `t0`, ms); undefined, counted as a miss, when absent.
   */
  private async lookup(key: string, t0: number): Promise<GenerateResult | undefined> {
    const buf = await this.cache.get(key);
    if (!buf) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return { ...(JSON.parse(buf.toString('utf8')) as GenerateResult), cached: true, latencyMs: performance.now() - t0 };
  }

  /** Stores a fresh result under `key` (without a `cached` flag). */
  private remember(key: string, result: GenerateResult): Promise<void> {
    return this.cache.set(key, Buffer.from(JSON.stringify({ ...result, cached: undefined })));
  }

  async generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    if (!cacheable(options)) return this.inner.generate(messages, options);
    const t0 = performance.now();
    const key = this.chatKey(messages, options);
    const hit = await this.lookup(key, t0);
    if (hit) return hit;
    const result = await this.inner.generate(messages, options);
    await this.remember(key, result);
    return result;
  }

  async *stream(messages: ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult, void> {
    if (!cacheable(options)) return yield* this.inner.stream(messages, options);
    const t0 = performance.now();
    const key = this.chatKey(messages, options);
    const hit = await this.lookup(key, t0);
    if (hit) {
      if (hit.generations[0]?.text) yield hit.generations[0].text;
      return hit;
    }
    const result = yield* this.inner.stream(messages, options);
    await this.remember(key, result);
    return result;
  }

  /** Raw-prompt completion, passed to the wrapped model uncached (undefined when it has none). */
  get complete(): LanguageModel['complete'] {
    const inner = this.inner;
    return inner.complete ? (prompt, options) => inner.complete!(prompt, options) : undefined;
  }

  async scoreContinuation(prompt: string, continuation: string, options: { signal?: AbortSignal } = {}): Promise<ContinuationScore> {
    const key = cacheKey({ kind: 'score', provider: this.inner.id, params: this.options.params ?? {}, input: { prompt, continuation } });
    const buf = await this.cache.get(key);
    if (buf) {
      this.stats.hits++;
      return JSON.parse(buf.toString('utf8')) as ContinuationScore;
    }
    this.stats.misses++;
    const result = await this.inner.scoreContinuation(prompt, continuation, options);
    await this.cache.set(key, Buffer.from(JSON.stringify(result)));
    return result;
  }
}

/**
 * An `Embedder` that caches each text's vector (float32 bytes) separately, so a batch with
 * some new texts sends only those to the model, in one call. `stats` counts texts.
 */
export class CachedEmbedder implements Embedder {
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  constructor(
    readonly inner: Embedder,
    readonly cache: CacheBackend,
    private readonly options: CachedWrapperOptions = {},
  ) {}

  get id(): string {
    return this.inner.id;
  }
  get normalized(): boolean {
    return this.inner.normalized;
  }
  dimension(): Promise<number> {
    return this.inner.dimension();
  }

  async embed(texts: string[], options: EmbedOptions): Promise<Float32Array[]> {
    const params = { ...this.options.params, kind: options.kind, normalized: this.inner.normalized };
    const keys = texts.map((input) => cacheKey({ kind: 'embed', provider: this.inner.id, params, input }));
    const out: Array<Float32Array | undefined> = await Promise.all(
      keys.map(async (k) => {
        const buf = await this.cache.get(k);
        if (!buf) return undefined;
        // Copy into a fresh, aligned buffer (Node Buffers may share an unaligned pool).
        const v = new Float32Array(buf.byteLength / 4);
        new Uint8Array(v.buffer).set(buf);
        return v;
      }),
    );
    const missing = out.flatMap((v, i) => (v === undefined ? [i] : []));
    this.stats.hits += texts.length - missing.length;
    this.stats.misses += missing.length;
    if (missing.length > 0) {
      const fresh = await this.inner.embed(
        missing.map((i) => texts[i]),
        options,
      );
      await Promise.all(
        missing.map(async (i, j) => {
          out[i] = fresh[j];
          await this.cache.set(keys[i], Buffer.from(fresh[j].buffer, fresh[j].byteOffset, fresh[j].byteLength));
        }),
      );
    }
    return out as Float32Array[];
  }
}
