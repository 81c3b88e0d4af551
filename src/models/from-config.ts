/**
 * Builds the configured model clients from a resolved `OpenbookConfig` (see `src/config`).
 * The CLI and the server call these once; the library receives the results as arguments.
 *
 * - `languageModelFromConfig`: an `OpenAICompatibleModel` when `llm.baseUrl` is set (then
 *   `llm.model` is required), starting from the capabilities `openbook doctor` stored for that
 *   endpoint + model in `<index>/capabilities.json` (when recent), wrapped in `CachedLanguageModel` when `cache.enabled`; undefined
 *   when no LLM is configured (callers then use the offline extractive answerer).
 * - `embedderFromConfig`: an `OpenAIEmbedder` when `embed.baseUrl` is set, cached likewise;
 *   undefined otherwise (a local `embed.modelDir` is loaded by the local embedder module).
 * - `cacheFromConfig`: Redis when `cache.redisUrl` is set, else disk at `cache.dir`.
 *
 * The cache backend is shared by both wrappers; close it with `backend.close()` when done.
 */
import type { OpenbookConfig } from '../config/schema.js';
import { InvalidParameterError } from '../core/errors.js';
import { CachedEmbedder, CachedLanguageModel, DiskCache, RedisCache, type CacheBackend } from './cache.js';
import { capabilityFile, loadStoredProbe } from './capability-store.js';
import { OpenAICompatibleModel } from './openai-compatible.js';
import { OpenAIEmbedder } from './openai-embedder.js';
import type { Embedder, LanguageModel } from './types.js';

/** The cache backend the config selects, or undefined when `cache.enabled` is false. */
export function cacheFromConfig(config: OpenbookConfig): CacheBackend | undefined {
  if (!config.cache.enabled) return undefined;
  if (config.cache.redisUrl) return new RedisCache({ url: config.cache.redisUrl });
  return new DiskCache(config.cache.dir ?? `${config.index}/cache`);
}

/** The uncached OpenAI-compatible client for `llm`, or undefined when `llm.baseUrl` is unset. */
export function openAIModelFromConfig(config: OpenbookConfig): OpenAICompatibleModel | undefined {
  const { llm } = config;
  if (!llm.baseUrl) return undefined;
  if (!llm.model) throw new InvalidParameterError(`llm.baseUrl is set (${llm.baseUrl}) but llm.model is not; set OPENBOOK_LLM_MODEL or llm.model in openbook.config.json`);
  // what `openbook doctor` measured for this endpoint + model, when it is recent (src/models/capability-store.ts)
  const stored = loadStoredProbe(capabilityFile(config.index), llm.baseUrl, llm.model);
  return new OpenAICompatibleModel({
    baseUrl: llm.baseUrl,
    model: llm.model,
    apiKey: llm.apiKey,
    timeoutMs: llm.timeoutMs,
    maxRetries: llm.maxRetries,
    maxConcurrency: llm.maxConcurrency,
    ...(stored ? { capabilities: stored.capabilities, oneChoicePerRequest: !stored.n } : {}),
  });
}

/** The configured language model (cached when a backend is given), or undefined. */
export function languageModelFromConfig(config: OpenbookConfig, cache: CacheBackend | undefined = cacheFromConfig(config)): LanguageModel | undefined {
  const model = openAIModelFromConfig(config);
  if (!model) return undefined;
  return cache ? new CachedLanguageModel(model, cache) : model;
}

/** The uncached OpenAI-compatible embedder for `embed`, or undefined when `embed.baseUrl` is unset. */
export function openAIEmbedderFromConfig(config: OpenbookConfig): OpenAIEmbedder | undefined {
  const { embed, llm } = config;
  if (!embed.baseUrl) return undefined;
  if (!embed.model) throw new InvalidParameterError(`embed.baseUrl is set (${embed.baseUrl}) but embed.model is not; set OPENBOOK_EMBED_MODEL or embed.model`);
  return new OpenAIEmbedder({
    baseUrl: embed.baseUrl,
    model: embed.model,
    apiKey: embed.apiKey ?? llm.apiKey,
    queryPrefix: embed.queryPrefix,
    passagePrefix: embed.passagePrefix,
    normalize: embed.normalize,
    batchSize: embed.batchSize,
    timeoutMs: llm.timeoutMs,
    maxRetries: llm.maxRetries,
    maxConcurrency: llm.maxConcurrency,
  });
}

/** The configured HTTP embedder (cached when a backend is given), or undefined. */
export function embedderFromConfig(config: OpenbookConfig, cache: CacheBackend | undefined = cacheFromConfig(config)): Embedder | undefined {
  const embedder = openAIEmbedderFromConfig(config);
  if (!embedder) return undefined;
  const { queryPrefix, passagePrefix, normalize } = config.embed;
  return cache ? new CachedEmbedder(embedder, cache, { params: { queryPrefix, passagePrefix, normalize } }) : embedder;
}
