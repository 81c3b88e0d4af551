/**
 * `openbook config [--json]` — the resolved configuration (defaults ← openbook.config.json ←
 * environment ← flags) with secrets masked and the source of every value.
 *
 * Also exports `loadCliConfig`, the one place the CLI reads the environment for configuration;
 * every command that needs the config calls it with its own flags.
 */
import type { Command } from 'commander';
import type { OpenbookConfigInput } from '../../config/schema.js';
import { hasConfigLayers, resolveDefaultConfig, type ResolveConfigOptions, type ResolvedConfig } from '../../config/layers.js';
import { maskSecrets } from '../../config/secrets.js';
import { action, colors, printJson, renderTable } from '../shared.js';

/** Flags every config-aware command may take. */
export interface ConfigFlags {
  index?: string;
  config?: string;
}

/**
 * Resolves the configuration for a CLI run from `process.cwd()`, `process.env` and flags.
 * With no config file, no configuration variable and no flag value it is the stored defaults,
 * and the schema (zod, most of the modules a search would load) is not loaded at all; anything
 * configured goes through `resolveConfig`, which validates each layer.
 * @param overrides further flag values as a partial config (e.g. `{ retrieval: { topK: 5 } }`)
 */
export async function loadCliConfig(flags: ConfigFlags = {}, overrides: OpenbookConfigInput = {}): Promise<ResolvedConfig> {
  const fromFlags: OpenbookConfigInput = { ...overrides, ...(flags.index !== undefined ? { index: flags.index } : {}) };
  const options: ResolveConfigOptions = {
    cwd: process.cwd(),
    env: process.env,
    flags: fromFlags,
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
  };
  if (!hasConfigLayers(options)) return resolveDefaultConfig(options.cwd);
  const { resolveConfig } = await import('../../config/resolve.js');
  return resolveConfig(options);
}

/** Leaf rows `[path, value, source]` of a masked config, in schema order. */
export function configRows(resolved: ResolvedConfig): Array<[string, string, string]> {
  const masked = maskSecrets(resolved.config) as unknown as Record<string, unknown>;
  const rows: Array<[string, string, string]> = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) walk(v as Record<string, unknown>, key);
      else rows.push([key, v === undefined ? '(unset)' : typeof v === 'string' && v !== '' ? v : JSON.stringify(v), resolved.sources[key] ?? 'default']);
    }
  };
  walk(masked, '');
  return rows;
}

export function register(program: Command): void {
  program
    .command('config')
    .description('print the resolved configuration with secrets masked and where each value came from')
    .addHelpText('after', '\nExamples:\n  $ openbook config\n  $ openbook config --json --config ./team.config.json')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--config <file>', 'use this config file instead of searching for openbook.config.json')
    .option('--json', 'print JSON: { file, config, sources }')
    .action(
      action(async (flags: ConfigFlags & { json?: boolean }) => {
        const resolved = await loadCliConfig(flags);
        if (flags.json) {
          printJson({ file: resolved.file ?? null, config: maskSecrets(resolved.config), sources: resolved.sources });
          return;
        }
        const c = colors();
        process.stdout.write(c.bold(`config file: ${resolved.file ?? '(none found; defaults, environment and flags only)'}`) + '\n');
        process.stdout.write(renderTable(['key', 'value', 'source'], configRows(resolved)) + '\n');
      }),
    );
}
