/**
 * `openbook status` — what the index holds and how it scores by default.
 */
import type { Command } from 'commander';
import { IndexReader } from '../../index/index.js';
import { metadataFields } from '../../index/store/metadata.js';
import { action, colors, formatBytes, printJson, renderTable, resolveIndexDir } from '../shared.js';
import { resolveStoreUrl } from '../store-url.js';
import { loadCliConfig } from './config.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('show the index: documents, chunks, terms, postings, analyzer, size, last commit')
    .addHelpText('after', '\nExamples:\n  $ openbook status\n  $ openbook status --index ./my-index --json')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'a PostgreSQL store instead of the index folder (default: store.url in the config, or $OPENBOOK_STORE_URL)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: { index?: string; store?: string; config?: string; json?: boolean }) => {
        const url = resolveStoreUrl(flags.store, (await loadCliConfig(flags)).config);
        const defaults = { similarity: 'bm25', k1: 0.9, b: 0.4 };
        let title: string;
        let s: { numDocuments: number; numChunks: number; numTerms: number; numPostings: number; avgdl: number; analyzer: string; bytesOnDisk: number; generation: number; committedAt: number; formatVersion?: number };
        let config: IndexReader['config'];
        let fields: ReturnType<typeof metadataFields>;
        let where: Record<string, unknown>;
        let extra: Array<[string, string | number]> = [];
        if (url) {
          // The pg client loads only for a store URL.
          const { maskUrl, PgStore } = await import('../../index/pg/store.js');
          const store = PgStore.connect(url);
          try {
            const st = await store.stats();
            const reader = await store.reader();
            config = reader.config;
            fields = metadataFields(await reader.documents());
            s = st;
            where = { store: maskUrl(url), distributed: st.distributed, schemaVersion: st.schemaVersion };
            title = `openbook store ${maskUrl(url)}`;
            extra = [['store', `${st.distributed ? 'Citus, distributed' : 'PostgreSQL, single node'}; schema ${st.schemaVersion}`]];
            if (flags.json) {
              printJson({ ...where, ...st, committedAtIso: new Date(st.committedAt).toISOString(), config, defaults, metadataFields: fields });
              return;
            }
          } finally {
            await store.close();
          }
        } else {
          const dir = resolveIndexDir(flags.index);
          const reader = await IndexReader.open(dir);
          s = reader.stats();
          config = reader.config;
          fields = reader.metadataFields();
          title = `openbook index ${dir}`;
          if (flags.json) {
            printJson({ indexDir: dir, ...s, committedAtIso: new Date(s.committedAt).toISOString(), config, defaults, metadataFields: fields });
            return;
          }
        }
        const c = colors();
        process.stdout.write(c.bold(title) + '\n');
        process.stdout.write(
          renderTable(
            ['', 'value'],
            [
              ['documents', s.numDocuments],
              ['chunks', s.numChunks],
              ['distinct terms', s.numTerms],
              ['postings', s.numPostings],
              ['avgdl (tokens)', s.avgdl],
              ['analyzer', s.analyzer],
              ['chunking', config.noChunk ? 'whole documents' : `${config.chunkSize} tokens, overlap ${config.chunkOverlap}`],
              ['length norms', config.luceneNorms ? 'Lucene one-byte (SmallFloat)' : 'exact'],
              ['title terms', config.titleTerms === true ? "on (each chunk is indexed with its document's title)" : 'off (chunk text only)'],
              ['default scoring', `BM25 (Lucene) k1=${defaults.k1} b=${defaults.b}`],
              ['on disk', formatBytes(s.bytesOnDisk)],
              ...(s.formatVersion !== undefined ? [['format version', s.formatVersion] as [string, number]] : extra),
              ['commit', `${s.generation} at ${new Date(s.committedAt).toISOString()}`],
            ],
          ) + '\n',
        );
        if (fields.length > 0) {
          process.stdout.write('\n' + c.bold('metadata fields (--filter)') + '\n');
          process.stdout.write(renderTable(['field', 'type', 'documents'], fields.map((f) => [f.field, f.types.join(' | '), f.documents])) + '\n');
        }
      }),
    );
}
