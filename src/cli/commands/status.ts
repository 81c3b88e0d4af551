/**
 * `openbook status` — what the index holds and how it scores by default.
 */
import type { Command } from 'commander';
import { IndexReader } from '../../index/index.js';
import { action, colors, formatBytes, printJson, renderTable, resolveIndexDir } from '../shared.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('show the index: documents, chunks, terms, postings, analyzer, size, last commit')
    .option('--index <dir>', 'index folder (default .openbook, or $OPENBOOK_INDEX)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: { index?: string; json?: boolean }) => {
        const dir = resolveIndexDir(flags.index);
        const reader = await IndexReader.open(dir);
        const s = reader.stats();
        const defaults = { similarity: 'bm25', k1: 0.9, b: 0.4 };
        if (flags.json) {
          printJson({ indexDir: dir, ...s, committedAtIso: new Date(s.committedAt).toISOString(), config: reader.config, defaults, metadataFields: reader.metadataFields() });
          return;
        }
        const c = colors();
        process.stdout.write(c.bold(`openbook index ${dir}`) + '\n');
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
              ['chunking', reader.config.noChunk ? 'whole documents' : `${reader.config.chunkSize} tokens, overlap ${reader.config.chunkOverlap}`],
              ['length norms', reader.config.luceneNorms ? 'Lucene one-byte (SmallFloat)' : 'exact'],
              ['default scoring', `BM25 (Lucene) k1=${defaults.k1} b=${defaults.b}`],
              ['on disk', formatBytes(s.bytesOnDisk)],
              ['format version', s.formatVersion],
              ['commit', `${s.generation} at ${new Date(s.committedAt).toISOString()}`],
            ],
          ) + '\n',
        );
        const fields = reader.metadataFields();
        if (fields.length > 0) {
          process.stdout.write('\n' + c.bold('metadata fields (--filter)') + '\n');
          process.stdout.write(renderTable(['field', 'type', 'documents'], fields.map((f) => [f.field, f.types.join(' | '), f.documents])) + '\n');
        }
      }),
    );
}
