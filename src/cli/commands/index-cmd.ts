/**
 * `openbook index <path|glob>...` — read documents, chunk them, and commit them to the index.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { CapabilityError } from '../../core/errors.js';
import { defaultThreads } from '../../core/workers.js';
import { indexPaths, type IndexProgress, type IndexSummary } from '../../engine/indexer.js';
import { parseMetaPairs } from '../../ingest/metadata.js';
import { loadCliModels } from '../models.js';
import { maskUrl, PgStore } from '../../index/pg/store.js';
import { loadCliConfig } from './config.js';
import { resolveStoreUrl } from '../store-url.js';
import { action, addBudgetOptions, budgetsFrom, colors, intFlag, printJson, resolveIndexDir, threadsFlag, useColor, type BudgetFlags } from '../shared.js';

interface Flags extends BudgetFlags {
  index?: string;
  store?: string;
  meta?: string[];
  include?: string[];
  exclude?: string[];
  analyzer?: string;
  chunkSize?: string;
  chunkOverlap?: string;
  chunk: boolean;
  luceneNorms: boolean;
  strict?: boolean;
  globalIds?: boolean;
  threads?: string;
  embed?: boolean;
  force?: boolean;
  config?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => prev.concat(v);

export function register(program: Command): void {
  const cmd = program
    .command('index')
    .description('index files, folders or globs (.txt .md .html .pdf .docx .jsonl); re-running updates only what changed')
    .argument('<paths...>', 'files, folders, globs, or http(s) URLs of web pages (robots.txt honoured, 10 MiB limit)')
    .option('--index <dir>', 'index folder (default .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'index into a PostgreSQL store instead (default: store.url in the config, or $OPENBOOK_STORE_URL)')
    .option('--include <glob>', 'only files matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip files matching this glob (repeatable)', collect)
    .option('--analyzer <name>', 'analyzer for a new index: auto (default), english, korean, cjk, standard; an existing index keeps its own')
    .option('--chunk-size <tokens>', 'target chunk size in tokens', '256')
    .option('--chunk-overlap <tokens>', 'overlap between consecutive chunks in tokens', '32')
    .option('--no-chunk', 'keep each document whole (BEIR corpora)')
    .option('--no-lucene-norms', 'use exact document lengths instead of Lucene\'s one-byte norms')
    .option('--strict', 'fail on a malformed JSONL line instead of skipping it')
    .option('--global-ids', 'keep JSONL ids bare (_id) instead of scoping them to their file (corpus.jsonl#<_id>); a line whose id another source holds is then skipped with a warning')
    .option('--meta <key=value>', 'metadata for every document of this run, filterable with --filter (repeatable; a key given twice is a list: --meta tags=보안 --meta tags=계약)', collect)
    .option('--threads <n>', 'analysis threads (default: the available cores, at most 8); the index is the same for any count')
    .option('--embed', 'also compute passage embeddings with the configured embedder (resumable)')
    .option('--force', 'with --embed: discard stored vectors first (after changing the embedding model)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('--json', 'print the summary as JSON');
  addBudgetOptions(cmd)
    .action(
      action(async (paths: string[], flags: Flags) => {
        const indexDir = resolveIndexDir(flags.index);
        const tty = Boolean(process.stderr.isTTY) && !flags.json;
        const c = colors(useColor(process.stderr));
        const bar = tty
          ? new cliProgress.SingleBar(
              { format: ' {bar} {percentage}% | {value}/{total} files | {chunks} chunks | {rate} chunks/s | ETA {eta_formatted} | {file}', hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        const started = Date.now();
        let lastLog = 0;
        let barStarted = false;
        const onProgress = (p: IndexProgress) => {
          const rate = Math.round(p.chunks / Math.max(0.001, (Date.now() - started) / 1000));
          if (bar) {
            if (p.phase !== 'index') return;
            if (!barStarted) {
              bar.start(p.filesTotal, 0, { chunks: 0, rate: 0, file: '' });
              barStarted = true;
            }
            bar.update(p.filesDone, { chunks: p.chunks, rate, file: (p.current ?? '').slice(-40) });
          } else if (!flags.json && Date.now() - lastLog > 2000) {
            lastLog = Date.now();
            process.stderr.write(`${p.phase}: ${p.filesDone}/${p.filesTotal} files, ${p.chunks} chunks, ${rate} chunks/s\n`);
          }
        };
        const warnings: string[] = [];
        const onWarning = (m: string) => {
          warnings.push(m);
          if (bar && barStarted) bar.stop();
          // Budget and walk messages say "skipped" themselves ("a.docx: skipped: decompresses to …").
          process.stderr.write(`${c.yellow('warning:')} ${/: skipped\b/.test(m) ? m : `skipped ${m}`}\n`);
          if (bar && barStarted) barStarted = false;
        };
        const models = flags.embed ? await loadCliModels(flags, { llm: false }) : undefined;
        if (flags.embed && !models?.embedder) {
          throw new CapabilityError('--embed needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR (see `openbook config`)');
        }
        let embedBar: cliProgress.SingleBar | undefined;
        let lastEmbedLog = 0;
        const onEmbedProgress = (p: { embedded: number; total: number; alreadyStored: number }) => {
          if (flags.json) return;
          if (tty) {
            if (!embedBar) {
              embedBar = new cliProgress.SingleBar({ format: ' embedding {bar} {percentage}% | {value}/{total} chunks | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
              embedBar.start(p.total, 0);
            }
            embedBar.update(p.embedded);
          } else if (Date.now() - lastEmbedLog > 2000 || p.embedded === p.total) {
            lastEmbedLog = Date.now();
            process.stderr.write(`embed: ${p.embedded}/${p.total} chunks (${p.alreadyStored} already stored)\n`);
          }
        };
        const fileConfig = models?.config ?? loadCliConfig(flags).config;
        const storeUrl = resolveStoreUrl(flags.store, fileConfig);
        const budgets = budgetsFrom(fileConfig.ingest, flags);
        const store = storeUrl ? PgStore.connect(storeUrl) : undefined;
        const target = storeUrl ? maskUrl(storeUrl) : indexDir;
        let summary: IndexSummary;
        try {
          summary = await indexPaths({
            ...(store ? { store } : {}),
            indexDir,
            paths,
            include: flags.include,
            exclude: flags.exclude,
            analyzer: flags.analyzer,
            chunkSize: intFlag('--chunk-size', flags.chunkSize, 256),
            chunkOverlap: intFlag('--chunk-overlap', flags.chunkOverlap, 32, 0),
            noChunk: !flags.chunk,
            luceneNorms: flags.luceneNorms,
            strict: flags.strict,
            globalIds: flags.globalIds,
            ...(flags.meta ? { meta: parseMetaPairs(flags.meta) } : {}),
            threads: threadsFlag(flags.threads, defaultThreads()),
            budgets,
            cwd: process.cwd(),
            now: Date.now,
            onProgress,
            onWarning,
            ...(models?.embedder ? { embedder: models.embedder, embedReset: flags.force, onEmbedProgress } : {}),
          });
        } finally {
          if (bar && barStarted) bar.stop();
          embedBar?.stop();
          await models?.close();
          await store?.close();
        }
        if (flags.json) {
          printJson({ indexDir: target, ...summary, warnings });
          return;
        }
        printSummary(summary, target, c);
      }),
    );
}

function printSummary(s: IndexSummary, indexDir: string, c: ReturnType<typeof colors>): void {
  const out = process.stdout;
  if (!s.committed) {
    out.write(`${c.green('✓')} no changes: ${s.unchanged} documents up to date in ${indexDir} (${s.seconds.toFixed(2)} s)\n`);
    if (s.skipped) out.write(`  ${c.yellow(`${s.skipped} skipped`)} (see warnings above)\n`);
  } else {
    out.write(`${c.green('✓')} indexed ${s.files} files into ${indexDir} in ${s.seconds.toFixed(2)} s (commit ${s.generation})\n`);
    out.write(
      `  added ${s.added}, updated ${s.updated}, removed ${s.removed}, unchanged ${s.unchanged}, ` +
        `${s.skipped ? c.yellow(`skipped ${s.skipped}`) : 'skipped 0'}; ${s.chunksWritten} chunks written\n`,
    );
  }
  if (s.embed) {
    const e = s.embed;
    out.write(`${c.green('✓')} embeddings: ${e.embedded} chunks embedded, ${e.alreadyStored} already stored, ${e.removed} dropped (dimension ${e.dimension}, ${e.seconds.toFixed(2)} s)\n`);
  }
}
