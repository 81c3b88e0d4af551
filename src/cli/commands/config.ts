/**
 * `openbook config [--json]` — the resolved configuration (defaults ← openbook.config.json ←
 * environment ← flags) with secrets masked and the source of every value.
 *
 * Also exports `loadCliConfig`, the one place the CLI reads the environment for configuration;
 * every command that needs the config calls it with its own flags.
 */
import type { Command } from 'commander';
import { maskSecrets, resolveConfig, type OpenbookConfigInput, type ResolvedConfig } from '../../config/index.js';
import { action, colors, printJson, renderTable } from '../shared.js';

/** Flags every config-aware command may take. */
export interface ConfigFlags {
  index?: string;
  config?: string;
}

/**
 * Resolves the configuration for a CLI run from `process.cwd()`, `process.env` and flags.
 * @param overrides further flag values as a partial config (e.g. `{ retrieval: { topK: 5 } }`)
 */
export function loadCliConfig(flags: ConfigFlags = {}, overrides: OpenbookConfigInput = {}): ResolvedConfig {
  const fromFlags: OpenbookConfigInput = { ...overrides, ...(flags.index !== undefined ? { index: flags.index } : {}) };
  return resolveConfig({
    cwd: process.cwd(),
    env: process.env,
    flags: fromFlags,
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
  });
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
    .option('--index <dir>', 'index folder (default .openbook, or $OPENBOOK_INDEX)')
    .option('--config <file>', 'use this config file instead of searching for openbook.config.json')
    .option('--json', 'print JSON: { file, config, sources }')
    .action(
      action(async (flags: ConfigFlags & { json?: boolean }) => {
        const resolved = loadCliConfig(flags);
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
