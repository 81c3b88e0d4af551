/**
 * `openbook serve` — the HTTP API and web page over one index (see `src/server/app.ts`).
 *
 * Configuration comes from the shared schema (`openbook.config.json` → `server`, env, flags);
 * the API key from `OPENBOOK_API_KEY` or `server.apiKey`. Binding anything but loopback
 * without a key is refused.
 */
import type { Command } from 'commander';
import type { OpenbookConfigInput } from '../../config/index.js';
import { listen } from '../../server/listen.js';
import { askMethodsFor } from '../../server/methods.js';
import { loadCliModels } from '../models.js';
import { action, addBudgetOptions, budgetsFrom, checkFolderFlag, intFlag, type BudgetFlags } from '../shared.js';
import { loadCliConfig } from './config.js';
import { configuredRetrieval } from '../../config/options.js';
import { maskUrl } from '../../index/pg/url.js';
import { resolveStoreUrl } from '../store-url.js';

interface ServeFlags extends BudgetFlags {
  host?: string;
  port?: string;
  index?: string;
  store?: string;
  config?: string;
  root?: string[];
  cors?: string[];
  rateLimit?: string;
  maxUploadMb?: string;
  nliModel?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the HTTP API and the web page (default: http://127.0.0.1:8080)')
    .addHelpText('after', '\nExamples:\n  $ openbook serve\n  $ openbook serve --port 9000 --root docs/')
    .option('--host <host>', 'interface to bind (default: 127.0.0.1; anything else needs OPENBOOK_API_KEY)')
    .option('--port <n>', 'port (default: 8080; 0 = any free port)')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'serve a PostgreSQL store (default: store.url in the config, or $OPENBOOK_STORE_URL); the index folder then keeps only uploads and job records')
    .option('--config <file>', 'use this config file instead of searching for openbook.config.json')
    .option('--root <dir>', 'folder the API may index server-side paths from, repeatable (default: the working directory)', collect)
    .option('--cors <origin>', 'allow this browser origin, repeatable (default: none)', collect)
    .option('--rate-limit <n>', 'requests per minute per client, 0 = off (default: off on loopback, 60 on any other host)')
    .option('--max-upload-mb <n>', 'largest upload request in MiB (default: 64)')
    .option('--nli-model <dir>', 'NLI model folder for RetRobust\'s gate (default: nli.modelDir, else the LLM judges)');
  addBudgetOptions(cmd)
    .action(
      action(async (flags: ServeFlags) => {
        const server: NonNullable<OpenbookConfigInput['server']> = {};
        if (flags.host !== undefined) server.host = flags.host;
        if (flags.port !== undefined) server.port = intFlag('--port', flags.port, 8080, 0, 65_535);
        if (flags.root) server.roots = flags.root;
        if (flags.cors) server.corsOrigins = flags.cors;
        if (flags.rateLimit !== undefined) server.rateLimitPerMinute = intFlag('--rate-limit', flags.rateLimit, 0, 0);
        const apiKey = process.env.OPENBOOK_API_KEY;
        if (apiKey) server.apiKey = apiKey;
        const configFlags = { ...(flags.index !== undefined ? { index: flags.index } : {}), ...(flags.config !== undefined ? { config: flags.config } : {}) };
        const { config, sources } = await loadCliConfig(configFlags, { server });
        checkFolderFlag(flags.index !== undefined ? '--index' : 'index folder', flags.index ?? config.index);
        const maxUploadBytes = intFlag('--max-upload-mb', flags.maxUploadMb, 64, 1, 4096) * 1024 * 1024;
        const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
        // With a model configured, the ask endpoint offers `llm` and every method of src/methods/.
        const models = await loadCliModels(configFlags, { nli: true, ...(flags.nliModel !== undefined ? { nliModel: flags.nliModel } : {}) });
        const methods = askMethodsFor(models);
        const budgets = budgetsFrom(config.ingest, flags);
        const storeUrl = resolveStoreUrl(flags.store, config);
        const running = await listen({ ...(storeUrl ? { storeUrl } : {}), indexDir: config.index, server: config.server, cwd: process.cwd(), maxUploadBytes, budgets, models, methods, log, retrieval: configuredRetrieval(config, sources) });
        process.stdout.write(`openbook serving ${storeUrl ? maskUrl(storeUrl) : config.index}\n  page  ${running.url}/\n  API   ${running.url}/v1  (OpenAPI: ${running.url}/openapi.json)\n`);
        if (config.server.apiKey) process.stdout.write('  auth  Bearer token required (OPENBOOK_API_KEY)\n');
        process.stdout.write(`  ask   methods: ${[...methods.keys()].join(', ')}\n`);
        const stop = () => {
          process.stdout.write('stopping\n');
          const store = running.server.engines;
          void running
            .close()
            .then(() => ('close' in store ? store.close() : undefined))
            .then(() => models.close())
            .then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
    );
}
