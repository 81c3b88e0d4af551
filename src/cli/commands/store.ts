/**
 * `openbook store init|status|migrate --store postgres://…` — the PostgreSQL store's versioned
 * schema. Also exports `resolveStoreUrl`, how every command picks the store: `--store`, else
 * `store.url` of the configuration (`openbook.config.json` or `OPENBOOK_STORE_URL`), else the
 * embedded index folder.
 */
import type { Command } from 'commander';
import { InvalidParameterError } from '../../core/errors.js';
import { SCHEMA_VERSION } from '../../index/pg/schema.js';
import { maskUrl, PgStore } from '../../index/pg/store.js';
import { resolveStoreUrl } from '../store-url.js';

export { resolveStoreUrl };
import { action, colors, printJson } from '../shared.js';
import { loadCliConfig } from './config.js';

interface Flags {
  store?: string;
  config?: string;
  analyzer?: string;
  luceneNorms: boolean;
  titleTerms: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const store = program.command('store').description('manage the PostgreSQL (+ pgvector, + Citus) store: init, status, migrate').addHelpText('after', '\nExamples:\n  $ openbook store init --store postgres://openbook@127.0.0.1:5432/openbook\n  $ openbook store status --store postgres://openbook@127.0.0.1:5432/openbook');
  const withFlags = (c: Command) =>
    c
      .option('--store <url>', 'postgres:// URL (default: store.url in the config, or $OPENBOOK_STORE_URL)')
      .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
      .option('--json', 'print JSON');
  const urlOf = async (flags: Flags) => {
    const url = resolveStoreUrl(flags.store, (await loadCliConfig(flags)).config);
    if (!url) throw new InvalidParameterError('no store given: pass --store postgres://… or set store.url / OPENBOOK_STORE_URL');
    return url;
  };

  withFlags(store.command('init').description('create the schema (distributed tables on a Citus coordinator) and the index settings').addHelpText('after', '\nExamples:\n  $ openbook store init --store postgres://openbook@127.0.0.1:5432/openbook --analyzer korean'))
    .option('--analyzer <name>', 'analyzer: auto, english, korean, cjk, standard (default: auto)')
    .option('--no-lucene-norms', "exact document lengths instead of Lucene's one-byte norms")
    .option('--no-title-terms', "index each chunk's text alone instead of with its document's title terms (see openbook index --no-title-terms)")
    .action(
      action(async (flags: Flags) => {
        const url = await urlOf(flags);
        const s = PgStore.connect(url);
        try {
          const existing = await s.config();
          const applied = await s.init(existing ?? { analyzer: flags.analyzer ?? 'auto', chunkSize: 256, chunkOverlap: 32, noChunk: false, luceneNorms: flags.luceneNorms, titleTerms: flags.titleTerms });
          const st = await s.stats();
          if (flags.json) printJson({ store: maskUrl(url), applied, schemaVersion: SCHEMA_VERSION, distributed: st.distributed });
          else process.stdout.write(`${colors().green('✓')} store ${maskUrl(url)}: schema version ${SCHEMA_VERSION}${applied.length ? ` (applied ${applied.join(', ')})` : ' (already current)'}, ${st.distributed ? 'distributed on Citus' : 'single node'}\n`);
        } finally {
          await s.close();
        }
      }),
    );

  withFlags(store.command('migrate').description('apply pending schema migrations (forward-only, each in a transaction)').addHelpText('after', '\nExamples:\n  $ openbook store migrate --store postgres://openbook@127.0.0.1:5432/openbook')).action(
    action(async (flags: Flags) => {
      const url = await urlOf(flags);
      const s = PgStore.connect(url);
      try {
        const applied = await s.migrate();
        if (flags.json) printJson({ store: maskUrl(url), applied, schemaVersion: SCHEMA_VERSION });
        else process.stdout.write(`${colors().green('✓')} schema version ${SCHEMA_VERSION}${applied.length ? ` (applied ${applied.join(', ')})` : ' (already current)'}\n`);
      } finally {
        await s.close();
      }
    }),
  );

  withFlags(store.command('status').description('schema version, distribution, counts and size on disk').addHelpText('after', '\nExamples:\n  $ openbook store status --store postgres://openbook@127.0.0.1:5432/openbook --json')).action(
    action(async (flags: Flags) => {
      const url = await urlOf(flags);
      const s = PgStore.connect(url);
      try {
        const st = await s.stats();
        if (flags.json) {
          printJson({ store: maskUrl(url), ...st });
          return;
        }
        const out = process.stdout;
        out.write(`store ${maskUrl(url)} (schema ${st.schemaVersion}, ${st.distributed ? 'Citus, distributed' : 'single node'}), commit ${st.generation}\n`);
        out.write(`  ${st.numDocuments} documents, ${st.numChunks} chunks, ${st.numTerms} terms, ${st.numPostings} postings, analyzer ${st.analyzer}\n`);
        out.write(`  ${(st.bytesOnDisk / 1e6).toFixed(1)} MB on disk (${st.numChunks > 0 ? Math.round(st.bytesOnDisk / st.numChunks) : 0} bytes per chunk)\n`);
      } finally {
        await s.close();
      }
    }),
  );
}
