/**
 * Builds the models a CLI run uses from the resolved configuration (file ← env ← flags):
 * the language model and embedder (each wrapped in the response cache when it is on), and the
 * prompt templates. With nothing configured every field is undefined and openbook stays offline.
 */
import type { OpenbookConfig } from '../config/index.js';
import { loadTemplates } from '../generate/prompts.js';
import type { CacheBackend } from '../models/index.js';
import type { Embedder, LanguageModel } from '../models/types.js';
import type { EngineModels } from '../engine/engine.js';
import { loadCliConfig, type ConfigFlags } from './commands/config.js';

export interface CliModels extends EngineModels {
  config: OpenbookConfig;
  /** Where each config value came from (`default`, `file:…`, `env:…`, `flag`). */
  sources: Record<string, string>;
  cache?: CacheBackend;
  /** Releases network clients (Redis keeps the process alive otherwise). */
  close(): Promise<void>;
}

/**
 * Resolves the configuration and builds the configured models.
 * @param options.llm false to skip the language model (e.g. `ask --extractive`, `search`)
 */
export async function loadCliModels(flags: ConfigFlags, options: { llm?: boolean; embedder?: boolean } = {}): Promise<CliModels> {
  const { config, sources } = loadCliConfig(flags);
  const wantLlm = options.llm ?? true;
  const wantEmbedder = options.embedder ?? true;
  const needsModels = (wantLlm && (config.llm.baseUrl || config.llm.modelDir)) || (wantEmbedder && (config.embed.baseUrl || config.embed.modelDir));
  if (!needsModels) return { config, sources, templates: loadTemplates(config.prompts), close: async () => {} };
  // The model stack (OpenAI SDK, Redis client) loads only when a model is configured: offline
  // commands start without paying for it.
  const { CachedEmbedder, cacheFromConfig, embedderFromConfig, languageModelFromConfig, LocalCausalLM, LocalEmbedder } = await import('../models/index.js');
  const cache = cacheFromConfig(config);
  let llm: LanguageModel | undefined = wantLlm ? languageModelFromConfig(config, cache) : undefined;
  if (wantLlm && !llm && config.llm.modelDir) {
    // Not cached: the local model is deterministic at temperature 0, and kNN-LM and perplexity
    // need its forward pass, which the cache wrapper does not expose.
    const local = new LocalCausalLM({ modelDir: config.llm.modelDir });
    await local.load();
    llm = local;
  }
  let embedder: Embedder | undefined = wantEmbedder ? embedderFromConfig(config, cache) : undefined;
  if (wantEmbedder && !embedder && config.embed.modelDir) {
    const local = new LocalEmbedder({
      modelDir: config.embed.modelDir,
      pooling: config.embed.pooling,
      batchSize: config.embed.batchSize,
      // Empty config prefixes mean "let the model folder decide".
      ...(config.embed.queryPrefix ? { queryPrefix: config.embed.queryPrefix } : {}),
      ...(config.embed.passagePrefix ? { passagePrefix: config.embed.passagePrefix } : {}),
    });
    await local.load();
    embedder = cache ? new CachedEmbedder(local, cache, { params: { modelDir: config.embed.modelDir } }) : local;
  }
  return {
    config,
    sources,
    ...(cache ? { cache } : {}),
    ...(llm ? { llm } : {}),
    ...(embedder ? { embedder } : {}),
    templates: loadTemplates(config.prompts),
    close: async () => {
      await cache?.close?.();
    },
  };
}
