/**
 * Builds the models a CLI run uses from the resolved configuration (file ← env ← flags):
 * the language model and embedder (each wrapped in the response cache when it is on), and the
 * prompt templates. With nothing configured every field is undefined and openbook stays offline.
 */
import type { OpenbookConfig, OpenbookConfigInput } from '../config/index.js';
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { Reranker } from '../retrieve/rerank.js';
import { loadTemplates } from '../generate/prompts.js';
import type { CacheBackend } from '../models/index.js';
import type { Embedder, LanguageModel } from '../models/types.js';
import type { EngineModels } from '../engine/engine.js';
import type { OnnxNliModel } from '../models/nli.js';
import { loadCliConfig, type ConfigFlags } from './commands/config.js';
import { RERANK_OPTIONS } from '../config/options.js';
import { specValue } from './options.js';

export interface CliModels extends EngineModels {
  config: OpenbookConfig;
  /** Where each config value came from (`default`, `file:…`, `env:…`, `flag`). */
  sources: Record<string, string>;
  cache?: CacheBackend;
  /** Releases network clients (Redis keeps the process alive otherwise). */
  close(): Promise<void>;
}

/** The rerank flags shared by search, ask, eval and serve. */
export interface RerankFlags {
  rerank?: string;
  rerankDepth?: string;
  rerankModel?: string;
  rerankUrl?: string;
  rerankApi?: string;
  rerankModelName?: string;
  rerankWeight?: string;
}

/**
 * The rerank flags as config overrides (`--rerank cross-encoder --rerank-model DIR` →
 * `{ rerank: { kind, modelDir } }`); `--rerank none` turns a configured reranker off.
 * @throws InvalidParameterError for an unknown kind or a bad number
 */
export function rerankOverrides(f: RerankFlags): { overrides: OpenbookConfigInput; off: boolean } {
  const kinds = ['cross-encoder', 'endpoint', 'llm'];
  if (f.rerank !== undefined && f.rerank !== 'none' && !kinds.includes(f.rerank)) throw new InvalidParameterError(`--rerank must be one of ${kinds.join(', ')} or none, got "${f.rerank}"`);
  const rerank: Record<string, unknown> = {
    ...(f.rerank !== undefined && f.rerank !== 'none' ? { kind: f.rerank } : {}),
    ...(f.rerankDepth !== undefined ? { depth: specValue(RERANK_OPTIONS.depth, f.rerankDepth) } : {}),
    ...(f.rerankWeight !== undefined ? { firstStageWeight: specValue(RERANK_OPTIONS.firstStageWeight, f.rerankWeight) } : {}),
    ...(f.rerankModel !== undefined ? { modelDir: f.rerankModel } : {}),
    ...(f.rerankUrl !== undefined ? { baseUrl: f.rerankUrl } : {}),
    ...(f.rerankApi !== undefined ? { api: specValue(RERANK_OPTIONS.api, f.rerankApi) } : {}),
    ...(f.rerankModelName !== undefined ? { model: f.rerankModelName } : {}),
  };
  return { overrides: Object.keys(rerank).length > 0 ? ({ rerank } as OpenbookConfigInput) : {}, off: f.rerank === 'none' };
}

/**
 * Resolves the configuration and builds the configured models.
 * @param options.llm false to skip the language model (e.g. `ask --extractive`, `search`)
 * @param options.rerank false to skip the reranker even when `rerank.kind` is configured
 * @param options.overrides further config values from flags (e.g. `rerankOverrides(flags).overrides`)
 * @param options.nliModel `--nli-model DIR`: the NLI folder of RetRobust's gate (overrides `nli.modelDir`);
 * @param options.nli true to load the NLI model of `nli.modelDir` (commands that run methods: ask --method, serve, eval qa)
 */
export async function loadCliModels(
  flags: ConfigFlags,
  options: { llm?: boolean; embedder?: boolean; rerank?: boolean; nli?: boolean; nliModel?: string; overrides?: OpenbookConfigInput } = {},
): Promise<CliModels> {
  const overrides: OpenbookConfigInput = options.nliModel !== undefined ? { ...(options.overrides ?? {}), nli: { modelDir: options.nliModel } } : (options.overrides ?? {});
  const { config, sources } = await loadCliConfig(flags, overrides);
  const wantLlm = options.llm ?? true;
  const wantEmbedder = options.embedder ?? true;
  const wantRerank = (options.rerank ?? true) && config.rerank.kind !== undefined;
  if (!wantRerank) delete (config.rerank as { kind?: string }).kind;
  // the LLM reranker needs the language model even where the command itself does not
  const llmNeeded = wantLlm || (wantRerank && config.rerank.kind === 'llm');
  const wantNli = (options.nli ?? false) && wantLlm && config.nli.modelDir !== undefined;
  const needsModels = (llmNeeded && (config.llm.baseUrl || config.llm.modelDir)) || (wantEmbedder && (config.embed.baseUrl || config.embed.modelDir)) || wantRerank || wantNli;
  if (!needsModels) return { config, sources, templates: loadTemplates(config.prompts), close: async () => {} };
  // The model stack (OpenAI SDK, Redis client) loads only when a model is configured: offline
  // commands start without paying for it.
  const { CachedEmbedder, cacheFromConfig, embedderFromConfig, languageModelFromConfig, LocalCausalLM, LocalEmbedder } = await import('../models/index.js');
  const cache = cacheFromConfig(config);
  let llm: LanguageModel | undefined = llmNeeded ? languageModelFromConfig(config, cache) : undefined;
  if (llmNeeded && !llm && config.llm.modelDir) {
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
  const closers: Array<() => Promise<void>> = [];
  let reranker: Reranker | undefined;
  if (wantRerank) {
    reranker = await rerankerFromConfig(config, llm, closers);
    if (cache) {
      const { CachedReranker } = await import('../retrieve/rerank.js');
      reranker = new CachedReranker(reranker, cache);
    }
  }
  let nli: OnnxNliModel | undefined;
  if (wantNli) {
    const { OnnxNliModel } = await import('../models/nli.js');
    nli = new OnnxNliModel({ modelDir: config.nli.modelDir! });
    await nli.load(); // a folder that is not an NLI model fails here, before any question
    const loaded = nli;
    closers.push(() => loaded.close());
  }
  if (!wantLlm) llm = undefined;
  return {
    config,
    sources,
    ...(cache ? { cache } : {}),
    ...(llm ? { llm } : {}),
    ...(embedder ? { embedder } : {}),
    ...(nli ? { nli } : {}),
    ...(reranker ? { reranker, rerankDefaults: { depth: config.rerank.depth, firstStageWeight: config.rerank.firstStageWeight } } : {}),
    templates: loadTemplates(config.prompts),
    close: async () => {
      for (const c of closers) await c();
      await cache?.close?.();
    },
  };
}

/**
 * The reranker `config.rerank` describes.
 * @throws InvalidParameterError when the kind's setting is missing (modelDir, baseUrl)
 * @throws CapabilityError for `llm` without a configured language model
 */
async function rerankerFromConfig(config: OpenbookConfig, llm: LanguageModel | undefined, closers: Array<() => Promise<void>>): Promise<Reranker> {
  const r = config.rerank;
  const { CrossEncoderReranker, EndpointReranker, LlmReranker } = await import('../retrieve/rerank.js');
  if (r.kind === 'cross-encoder') {
    if (!r.modelDir) throw new InvalidParameterError('--rerank cross-encoder needs a model folder: --rerank-model DIR, rerank.modelDir or OPENBOOK_RERANK_MODEL_DIR (docs/models.md says how to export one)');
    const { OnnxSequenceClassifier } = await import('../models/sequence-classifier.js');
    const model = new OnnxSequenceClassifier({ modelDir: r.modelDir, batchSize: r.batchSize });
    await model.load();
    closers.push(() => model.close());
    return new CrossEncoderReranker(model);
  }
  if (r.kind === 'endpoint') {
    if (!r.baseUrl) throw new InvalidParameterError('--rerank endpoint needs the server URL: --rerank-url URL or rerank.baseUrl');
    return new EndpointReranker({ baseUrl: r.baseUrl, api: r.api, batchSize: r.batchSize, ...(r.model ? { model: r.model } : {}), ...(r.apiKey ? { apiKey: r.apiKey } : {}) });
  }
  if (!llm) throw new CapabilityError('--rerank llm needs a language model: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL (see `openbook config`)');
  return new LlmReranker(llm);
}
