/**
 * Resolves the configuration from four layers, later layers winning field by field:
 *
 *   1. defaults (the schema in `./schema.ts`)
 *   2. `openbook.config.json`, the first found walking up from `cwd` to the filesystem root
 *   3. environment variables (`ENV_VARS` below; empty values count as unset)
 *   4. flags (a partial config object the CLI builds from its options)
 *
 * Each layer is validated on its own first, so an error names the layer it came from
 * (the file path, the variable name, or "flag") and the field. `sources` maps every leaf
 * field of the result (dotted path, e.g. `llm.baseUrl`, `prompts.answer-with-citations`;
 * arrays are leaves) to where its value came from.
 *
 * This module reads files (it is the edge of the library); it never reads `process.env`
 * itself: the caller passes `env`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputFormatError, InvalidParameterError } from '../core/errors.js';
import { ENV_VARS, findConfigFile, finishConfig, isPlainObject, leaves, type ConfigSource, type ResolveConfigOptions, type ResolvedConfig } from './layers.js';
import { OpenbookConfig } from './schema.js';

export { CONFIG_FILE_NAME, ENV_VARS, findConfigFile, hasConfigLayers, resolveDefaultConfig, type ConfigSource, type ResolveConfigOptions, type ResolvedConfig } from './layers.js';

/** Config fields holding paths, resolved against the file's folder or the cwd. */
const PATH_FIELDS = ['index', 'llm.modelDir', 'embed.modelDir', 'cache.dir', 'rerank.modelDir', 'nli.modelDir'] as const;

/**
 * Resolves defaults ← file ← env ← flags into one validated config.
 * @throws InputFormatError when the file is not JSON or a field in it is invalid (message names file and field)
 * @throws InvalidParameterError when an environment variable or flag value is invalid (names the variable/flag field)
 */
export function resolveConfig(options: ResolveConfigOptions): ResolvedConfig {
  const cwd = path.resolve(options.cwd);
  const layers: Array<{ source: ConfigSource; value: Record<string, unknown> }> = [];

  const file = options.configFile === false ? undefined : options.configFile ? path.resolve(cwd, options.configFile) : findConfigFile(cwd);
  if (file !== undefined) {
    const value = readConfigFile(file);
    validateLayer(value, `file:${file}`);
    resolvePaths(value, path.dirname(file));
    layers.push({ source: `file:${file}`, value });
  }

  const env = options.env ?? {};
  for (const [name, targets] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value: Record<string, unknown> = {};
    for (const target of targets) setPath(value, target.split('.'), raw);
    validateLayer(value, `env:${name}`);
    resolvePaths(value, cwd);
    layers.push({ source: `env:${name}`, value });
  }

  if (options.flags !== undefined) {
    const value = structuredClone(dropUndefined(options.flags)) as Record<string, unknown>;
    validateLayer(value, 'flag');
    resolvePaths(value, cwd);
    layers.push({ source: 'flag', value });
  }

  const merged: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const layer of layers) {
    for (const [keyPath, v] of leaves(layer.value)) {
      setPath(merged, keyPath, structuredClone(v));
      sources[keyPath.join('.')] = layer.source;
    }
  }
  const parsed = OpenbookConfig.safeParse(merged);
  if (!parsed.success) {
    // Each layer was valid alone; a failure here means a combination problem. Name the fields.
    throw new InvalidParameterError(`configuration: ${formatIssues(parsed.error.issues)}`);
  }
  return finishConfig(parsed.data, cwd, sources, file);
}

/** Largest config file read, 1 MiB: a config is a few hundred bytes; anything near this is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new InputFormatError(`${file}: ${(size / 1024 / 1024).toFixed(1)} MiB is not a config file (a config is at most 1 MiB)`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InputFormatError) throw err;
    throw new InputFormatError(`${file}: cannot read config file (${(err as Error).message})`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputFormatError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputFormatError(`${file}: the config must be a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function validateLayer(value: Record<string, unknown>, source: ConfigSource): void {
  const result = OpenbookConfig.safeParse(value);
  if (result.success) return;
  const detail = formatIssues(result.error.issues);
  if (source.startsWith('file:')) throw new InputFormatError(`${source.slice(5)}: ${detail}`);
  if (source.startsWith('env:')) throw new InvalidParameterError(`environment variable ${source.slice(4)}: ${detail}`);
  throw new InvalidParameterError(`flag: ${detail}`);
}

interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

function formatIssues(issues: readonly Issue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.map(String).join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys' && issue.keys) {
        const prefix = issue.path.length > 0 ? `${where}.` : '';
        return `unknown field ${issue.keys.map((k) => `"${prefix}${k}"`).join(', ')}`;
      }
      return `field "${where}": ${issue.message}`;
    })
    .join('; ');
}

function resolvePaths(value: Record<string, unknown>, base: string): void {
  for (const field of PATH_FIELDS) {
    const keys = field.split('.');
    const v = getPath(value, keys);
    if (typeof v === 'string') setPath(value, keys, path.resolve(base, v));
  }
  const server = value.server as Record<string, unknown> | undefined;
  if (server && Array.isArray(server.roots)) server.roots = server.roots.map((r) => (typeof r === 'string' ? path.resolve(base, r) : r));
}

function getPath(obj: Record<string, unknown>, keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

function dropUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v;
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = dropUndefined(x);
  return out;
}
