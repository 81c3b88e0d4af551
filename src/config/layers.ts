/**
 * The parts of configuration resolution that need no schema library: where the layers come from
 * (the config file found upward, the environment variables read), and the configuration when no
 * layer holds anything — the stored defaults (`./defaults.ts`), finished as `resolveConfig`
 * finishes a parsed one. The CLI uses these to start without loading zod when nothing is
 * configured (#13 item 3); `resolveConfig` (./resolve.ts) validates every other case.
 *
 * Like resolve.ts this module reads files and never reads `process.env` itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG } from './defaults.js';
import type { OpenbookConfig, OpenbookConfigInput } from './schema.js';

/** The config file name searched for. */
export const CONFIG_FILE_NAME = 'openbook.config.json';

/** Environment variable → dotted config paths it sets. */
export const ENV_VARS: Readonly<Record<string, readonly string[]>> = {
  OPENBOOK_INDEX: ['index'],
  OPENBOOK_LLM_BASE_URL: ['llm.baseUrl'],
  OPENBOOK_LLM_MODEL: ['llm.model'],
  OPENBOOK_LLM_MODEL_DIR: ['llm.modelDir'],
  OPENBOOK_EMBED_BASE_URL: ['embed.baseUrl'],
  OPENBOOK_EMBED_MODEL: ['embed.model'],
  OPENBOOK_EMBED_MODEL_DIR: ['embed.modelDir'],
  OPENBOOK_RERANK_MODEL_DIR: ['rerank.modelDir'],
  OPENBOOK_NLI_MODEL_DIR: ['nli.modelDir'],
  OPENAI_API_KEY: ['llm.apiKey', 'embed.apiKey'],
  REDIS_URL: ['cache.redisUrl'],
  OPENBOOK_STORE_URL: ['store.url'],
};

/** Where a value came from: `default`, `file:<abs path>`, `env:<NAME>`, or `flag`. */
export type ConfigSource = 'default' | `file:${string}` | `env:${string}` | 'flag';

export interface ResolveConfigOptions {
  /** Working directory: where the upward file search starts and relative env/flag paths resolve. */
  cwd: string;
  /** Environment variables (the CLI passes `process.env`). */
  env?: Record<string, string | undefined>;
  /** Flag overrides as a partial config; `undefined` leaves are ignored. */
  flags?: OpenbookConfigInput;
  /** Use this file instead of searching upward (`--config FILE`); `false` disables the file layer. */
  configFile?: string | false;
}

export interface ResolvedConfig {
  config: OpenbookConfig;
  /** Dotted leaf path → source. */
  sources: Record<string, ConfigSource>;
  /** Absolute path of the config file used, if any. */
  file?: string;
}

/** The nearest `openbook.config.json` at or above `cwd`, or undefined. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * True when `resolveConfig(options)` has a layer beyond the defaults: a config file (named, or
 * found upward), a non-empty variable of `ENV_VARS`, or a flag leaf that is not undefined.
 */
export function hasConfigLayers(options: ResolveConfigOptions): boolean {
  if (options.configFile !== undefined && options.configFile !== false) return true;
  if (options.configFile === undefined && findConfigFile(options.cwd) !== undefined) return true;
  const env = options.env ?? {};
  if (Object.keys(ENV_VARS).some((name) => env[name] !== undefined && env[name] !== '')) return true;
  return options.flags !== undefined && leaves(options.flags as Record<string, unknown>).length > 0;
}

/** `resolveConfig` of no file, variable or flag, from the stored defaults: no schema library loads. */
export function resolveDefaultConfig(cwd: string): ResolvedConfig {
  return finishConfig(structuredClone(DEFAULT_CONFIG), path.resolve(cwd), {});
}

/**
 * The last step of resolution: `index` made absolute against `cwd`, `cache.dir` defaulted to
 * `<index>/cache`, and every leaf not in `sources` marked `default`.
 */
export function finishConfig(config: OpenbookConfig, cwd: string, sources: Record<string, ConfigSource>, file?: string): ResolvedConfig {
  if (!path.isAbsolute(config.index)) config.index = path.resolve(cwd, config.index);
  if (config.cache.dir === undefined) config.cache.dir = path.join(config.index, 'cache');
  for (const [keyPath] of leaves(config as unknown as Record<string, unknown>)) {
    const key = keyPath.join('.');
    sources[key] ??= 'default';
  }
  return { config, sources, ...(file !== undefined ? { file } : {}) };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Leaf entries (path, value) of a nested object; arrays and primitives are leaves, undefined skipped. */
export function leaves(obj: Record<string, unknown>, prefix: string[] = []): Array<[string[], unknown]> {
  const out: Array<[string[], unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...leaves(v, [...prefix, k]));
    else if (!isPlainObject(v)) out.push([[...prefix, k], v]);
  }
  return out;
}
