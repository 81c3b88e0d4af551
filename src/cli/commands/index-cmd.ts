/**
 * `openbook index <path|glob>...` — read documents, chunk them, and commit them to the index.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { rename, stat } from 'node:fs/promises';
import { CapabilityError, IndexFormatError, InputFormatError, InvalidParameterError } from '../../core/errors.js';
import { readManifest } from '../../index/index.js';
import { checkEncodingLabel } from '../../ingest/index.js';
import { defaultThreads } from '../../core/workers.js';
import { indexPaths, type IndexProgress, type IndexSummary } from '../../engine/indexer.js';
import { parseMetaPairs } from '../../ingest/metadata.js';
import { loadCliModels } from '../models.js';
import { maskUrl, PgStore } from '../../index/pg/store.js';
import { loadCliConfig } from './config.js';
import { resolveStoreUrl } from '../store-url.js';
import { action, addBudgetOptions, budgetsFrom, colors, formatBytes, intFlag, plural, printJson, resolveIndexDir, threadsFlag, useColor, type BudgetFlags } from '../shared.js';

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
  titleTerms?: boolean;
  strict?: boolean;
  globalIds?: boolean;
  threads?: string;
  embed?: boolean;
  force?: boolean;
  rebuild?: boolean;
  encoding?: string;
  config?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => prev.concat(v);

/**
 * What the index progress bar counts: bytes when the run has one file (a big JSONL shows how far
 * it has read, and the ETA follows), else files. `count` is the bar's text (`97.7 KiB/244.1 KiB`, `1/2 files`).
 */
export function indexBarCount(p: IndexProgress): { value: number; total: number; count: string } {
  if (p.filesTotal === 1 && p.bytesTotal > 0) return { value: p.bytesDone, total: p.bytesTotal, count: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}` };
  return { value: p.filesDone, total: p.filesTotal, count: `${p.filesDone}/${plural(p.filesTotal, 'file')}` };
}

export function register(program: Command): void {
  const cmd = program
    .command('index')
    .description('index files, folders or globs (.txt .md .html .pdf .docx .jsonl); re-running updates only what changed')
    .argument('<paths...>', 'files, folders, globs, or http(s) URLs of web pages (robots.txt honoured, 10 MiB limit)')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'index into a PostgreSQL store instead (default: store.url in the config, or $OPENBOOK_STORE_URL)')
    .option('--include <glob>', 'only files matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip files matching this glob (repeatable)', collect)
    .option('--analyzer <name>', 'analyzer for a new index (an existing index keeps its own): auto, english, korean, cjk, standard (default: auto)')
    .option('--chunk-size <tokens>', 'target chunk size in tokens', '256')
    .option('--chunk-overlap <tokens>', 'overlap between consecutive chunks in tokens', '32')
    .option('--no-chunk', 'keep each document whole (BEIR corpora)')
    .option('--no-lucene-norms', 'use exact document lengths instead of Lucene\'s one-byte norms')
    .option('--title-terms', "index every chunk with its document's title terms, so a chunk is found by its title's words; its text and quotes stay its own (default: on for a new index; an existing index keeps its setting)")
    .option('--no-title-terms', "a new index indexes each chunk's text alone, as indexes built before the setting (JSONL titles then become a title line of the text)")
    .option('--strict', 'fail on a malformed JSONL line instead of skipping it')
    .option('--global-ids', 'keep JSONL ids bare (_id) instead of scoping them to their file (corpus.jsonl#<_id>); a line whose id another source holds is then skipped with a warning')
    .option('--meta <key=value>', 'metadata for every document of this run, filterable with --filter (repeatable; a key given twice is a list: --meta tags=보안 --meta tags=계약)', collect)
    .option('--threads <n>', 'analysis threads (default: the available cores, at most 8); the index is the same for any count')
    .option('--embed', 'also compute passage embeddings with the configured embedder (resumable)')
    .option('--force', 'with --embed: discard stored vectors first (after changing the embedding model)')
    .option('--rebuild', 'build the index anew from the given paths: an unreadable or incompatible index folder is moved aside (kept as <dir>.broken-<time>), a readable one as <dir>.old-<time>')
    .option('--encoding <label>', 'decode text files (txt, md, html, csv) in this encoding (euc-kr, shift_jis, latin1 …) instead of UTF-8/UTF-16 or the detected one')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExamples:\n  $ openbook index docs notes/ "papers/**/*.pdf" --exclude "drafts/**"\n  $ openbook index corpus.jsonl --no-chunk --analyzer english\n  $ openbook index 메모/ --encoding euc-kr\n  $ openbook index docs --rebuild');
  addBudgetOptions(cmd)
    .action(
      action(async (paths: string[], flags: Flags) => {
        const indexDir = resolveIndexDir(flags.index);
        // Flag checks before any file is read (a bad chunking would otherwise be one warning per file).
        const chunkSize = intFlag('--chunk-size', flags.chunkSize, 256);
        const chunkOverlap = intFlag('--chunk-overlap', flags.chunkOverlap, 32, 0);
        if (flags.chunk && chunkOverlap >= chunkSize) throw new InvalidParameterError(`--chunk-overlap (${chunkOverlap}) must be less than --chunk-size (${chunkSize})`);
        if (flags.encoding !== undefined) checkEncodingLabel(flags.encoding, '--encoding');
        const tty = Boolean(process.stderr.isTTY) && !flags.json;
        const c = colors(useColor(process.stderr));
        const bar = tty
          ? new cliProgress.SingleBar(
              { format: ' {bar} {percentage}% | {count} | {chunks} chunks | {rate} chunks/s | ETA {eta_formatted} | {file}', hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
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
            const { value, total, count } = indexBarCount(p);
            if (!barStarted) {
              bar.start(total, 0, { count, chunks: 0, rate: 0, file: '' });
              barStarted = true;
            }
            bar.setTotal(total);
            bar.update(value, { count, chunks: p.chunks, rate, file: (p.current ?? '').slice(-40) });
          } else if (!flags.json && Date.now() - lastLog > 2000) {
            lastLog = Date.now();
            process.stderr.write(`${p.phase}: ${p.filesDone}/${p.filesTotal} files, ${p.chunks} chunks, ${rate} chunks/s\n`);
          }
        };
        const warnings: string[] = [];
        const onWarning = (m: string, kind?: 'skip' | 'note') => {
          warnings.push(m);
          if (bar && barStarted) bar.stop();
          // Budget and walk messages say "skipped" themselves ("a.docx: skipped: decompresses to …");
          // a note skipped nothing (the file is indexed, an old index was migrated).
          process.stderr.write(`${c.yellow('warning:')} ${kind === 'note' || /: skipped\b/.test(m) ? m : `skipped ${m}`}\n`);
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
        const fileConfig = models?.config ?? (await loadCliConfig(flags)).config;
        const storeUrl = resolveStoreUrl(flags.store, fileConfig);
        const budgets = budgetsFrom(fileConfig.ingest, flags);
        if (flags.rebuild && storeUrl) {
          throw new InvalidParameterError(
            '--rebuild rebuilds an index folder; to rebuild a PostgreSQL store, index into a new database: `createdb <name>`, `openbook store init --store <its URL>`, then `openbook index … --store <its URL>`',
          );
        }
        const store = storeUrl ? PgStore.connect(storeUrl) : undefined;
        const target = storeUrl ? maskUrl(storeUrl) : indexDir;
        if (flags.rebuild) await moveAside(indexDir, paths, c);
        let summary: IndexSummary;
        try {
          summary = await indexPaths({
            ...(store ? { store } : {}),
            indexDir,
            paths,
            include: flags.include,
            exclude: flags.exclude,
            analyzer: flags.analyzer,
            chunkSize,
            chunkOverlap: flags.chunk ? chunkOverlap : Math.min(chunkOverlap, chunkSize - 1),
            ...(flags.encoding !== undefined ? { encoding: flags.encoding } : {}),
            noChunk: !flags.chunk,
            luceneNorms: flags.luceneNorms,
            ...(flags.titleTerms !== undefined ? { titleTerms: flags.titleTerms } : {}),
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
        } catch (err) {
          if (err instanceof IndexFormatError && !flags.rebuild && !storeUrl) {
            throw new IndexFormatError(`${err.message} (openbook index --rebuild ${paths.join(' ')} builds it anew from these paths)`, { cause: err });
          }
          throw err;
        } finally {
          if (bar && barStarted) bar.stop();
          embedBar?.stop();
          await models?.close();
          await store?.close();
        }
        if (flags.json) printJson({ indexDir: target, ...summary, warnings });
        else printSummary(summary, target, c);
        if (summary.added + summary.updated + summary.unchanged === 0 && summary.skipped > 0) {
          throw new InputFormatError(`nothing to index: ${plural(summary.skipped, 'file')} skipped (see the warnings above)`);
        }
      }),
    );
}

function printSummary(s: IndexSummary, indexDir: string, c: ReturnType<typeof colors>): void {
  const out = process.stdout;
  if (!s.committed) {
    out.write(`${c.green('✓')} no changes: ${plural(s.unchanged, 'document')} up to date in ${indexDir} (${s.seconds.toFixed(2)} s)\n`);
    if (s.skipped) out.write(`  ${c.yellow(`${s.skipped} skipped`)} (see warnings above)\n`);
  } else {
    out.write(`${c.green('✓')} indexed ${plural(s.files, 'file')} into ${indexDir} in ${s.seconds.toFixed(2)} s (commit ${s.generation})\n`);
    out.write(
      `  added ${s.added}, updated ${s.updated}, removed ${s.removed}, unchanged ${s.unchanged}, ` +
        `${s.skipped ? c.yellow(`skipped ${s.skipped}`) : 'skipped 0'}; ${plural(s.chunksWritten, 'chunk')} written\n`,
    );
  }
  if (s.embed) {
    const e = s.embed;
    out.write(`${c.green('✓')} embeddings: ${plural(e.embedded, 'chunk')} embedded, ${e.alreadyStored} already stored, ${e.removed} dropped (dimension ${e.dimension}, ${e.seconds.toFixed(2)} s)\n`);
  }
}

/**
 * `index --rebuild`: says what it will do, then moves the index folder aside (never deletes it),
 * so the run builds a new index from `paths`. Nothing to do when the folder does not exist.
 */
async function moveAside(indexDir: string, paths: string[], c: ReturnType<typeof colors>): Promise<void> {
  try {
    await stat(indexDir);
  } catch {
    return;
  }
  let reason: string;
  try {
    reason = (await readManifest(indexDir)) ? 'as asked' : 'it holds no commit';
  } catch (err) {
    reason = (err as Error).message;
  }
  const broken = reason !== 'as asked';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = `${indexDir}.${broken ? 'broken' : 'old'}-${stamp}`;
  process.stderr.write(`rebuilding ${indexDir} from ${paths.join(', ')}: ${reason}; the old folder is kept as ${aside} ${c.dim('(delete it when the new index serves you)')}\n`);
  await rename(indexDir, aside);
}
