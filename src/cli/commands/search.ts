/**
 * `openbook search "<query>"` — ranked chunks with scores, sources, line ranges and snippets.
 */
import type { Command } from 'commander';
import { filterFromInput } from '../../core/filter.js';
import { parseContextMode } from '../../retrieve/context.js';
import type { Hit, Locator } from '../../core/types.js';
import type { OpenbookConfig } from '../../config/index.js';
import { checkedAtEdge, Engine, type RetrieverKind } from '../../engine/engine.js';
import type { PgEngine } from '../../engine/pg-engine.js';
import { resolveStoreUrl } from '../store-url.js';
import type { SimilarityName } from '../../index/index.js';
import type { FusionMethod } from '../../retrieve/hybrid.js';
import { loadCliModels, rerankOverrides, type RerankFlags } from '../models.js';
import { hitsJson } from '../../engine/json.js';
import type { ScoreNormalization } from '../../retrieve/fusion.js';
import { action, colors, printJson, resolveIndexDir } from '../shared.js';
import { configuredRetrieval, RERANK_OPTIONS, RETRIEVAL_OPTIONS, SEARCH_OPTIONS, type OptionSpec, type RetrievalOptionKey, type SearchOptionKey } from '../../config/options.js';
import { specOption, specValue } from '../options.js';

export interface RetrievalFlags extends RerankFlags {
  index?: string;
  store?: string;
  config?: string;
  topK?: string;
  similarity?: string;
  k1?: string;
  b?: string;
  delta?: string;
  retriever?: string;
  fusion?: string;
  rrfK?: string;
  alpha?: string;
  normalization?: string;
  prior?: string;
  prWeight?: string;
  filter?: string;
  context?: string;
  json?: boolean;
}

/** Adds the retrieval flags shared by `search` and `ask`; the table's (`config/options.ts`) with `defaultK` for `--top-k`. */
export function retrievalOptions(cmd: Command, defaultK: number): Command {
  cmd
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'a PostgreSQL store instead of the index folder (default: store.url in the config, or $OPENBOOK_STORE_URL)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)');
  tableRetrievalOptions(cmd, { topK: defaultK });
  for (const s of Object.values(SEARCH_OPTIONS)) specOption(cmd, s);
  cmd
    .option('--filter <expr>', `only chunks whose metadata match, e.g. 'format = "pdf" AND tags CONTAINS "보안"' or its JSON form (grammar: openbook status shows the fields; docs/filters.md)`);
  return rerankOptions(cmd).option('--json', 'print JSON');
}

/**
 * Adds a flag for every option of the retrieval table (`--top-k`, `--similarity`, `--k1`, `--b`,
 * `--retriever`, `--fusion`, `--rrf-k`, `--normalization`, `--alpha`): search, ask and eval.
 */
export function tableRetrievalOptions(cmd: Command, o: { topK: number; topKHelp?: string; topKNoConfig?: boolean }): Command {
  for (const s of Object.values(RETRIEVAL_OPTIONS)) {
    if (s === RETRIEVAL_OPTIONS.topK) specOption(cmd, s, { default: o.topK, ...(o.topKHelp ? { help: o.topKHelp } : {}), ...(o.topKNoConfig ? { noConfig: true } : {}) });
    else specOption(cmd, s);
  }
  return cmd;
}

/** Adds the rerank flags (search, ask, eval, serve); they override config section `rerank`. */
export function rerankOptions(cmd: Command): Command {
  cmd.option('--rerank <kind>', 'rerank the first stage\'s candidates: cross-encoder (local ONNX folder), endpoint (/rerank API) or llm (Yes/No log-probabilities); none turns a configured reranker off');
  specOption(cmd, RERANK_OPTIONS.depth);
  cmd
    .option('--rerank-model <dir>', 'cross-encoder model folder (ONNX + tokenizer.json)')
    .option('--rerank-url <url>', 'rerank endpoint base URL (or the full /rerank URL)');
  specOption(cmd, RERANK_OPTIONS.api);
  cmd.option('--rerank-model-name <name>', 'model name sent to the rerank endpoint');
  return specOption(cmd, RERANK_OPTIONS.firstStageWeight);
}

/**
 * The table's retrieval options from the flags (checked by the table's rule, naming the flag),
 * else from the configuration when it sets them (file ← env), else absent (the engine's default).
 */
export function tableRetrievalValues(flags: Partial<Record<RetrievalOptionKey, string>>, config?: OpenbookConfig, sources?: Record<string, string>) {
  const configured = configuredRetrieval(config, sources);
  const out: Partial<Record<RetrievalOptionKey, number | string>> = {};
  for (const [key, s] of Object.entries(RETRIEVAL_OPTIONS) as Array<[RetrievalOptionKey, OptionSpec]>) {
    const v = specValue(s, flags[key]) ?? configured[key];
    if (v !== undefined) out[key] = v;
  }
  return out as {
    topK?: number;
    retriever?: RetrieverKind;
    similarity?: SimilarityName;
    k1?: number;
    b?: number;
    fusion?: FusionMethod;
    rrfK?: number;
    normalization?: ScoreNormalization;
    alpha?: number;
  };
}

/**
 * Parses the shared retrieval flags into engine options. A flag wins; otherwise the value of
 * the resolved configuration's `retrieval` section (file ← env) is used, so
 * `{"retrieval":{"topK":3,"similarity":"tfidf"}}` in `openbook.config.json` changes `search`
 * and `ask` exactly as `--top-k 3 --similarity tfidf` would. `defaultK` applies only when
 * neither the flag nor the config sets `topK` (`ask` reads 5 passages, `search` shows 10).
 */
export function parseRetrievalFlags(flags: RetrievalFlags, defaultK: number, config?: OpenbookConfig, sources?: Record<string, string>) {
  const t = tableRetrievalValues(flags, config, sources);
  // the search-only options (delta, prior, prWeight, context): a flag, else the configuration's value
  const configured = configuredRetrieval(config, sources);
  const s: Partial<Record<SearchOptionKey, number | string>> = {};
  for (const [key, spec] of Object.entries(SEARCH_OPTIONS) as Array<[SearchOptionKey, OptionSpec]>) {
    const v = specValue(spec, flags[key]) ?? configured[key];
    if (v !== undefined) s[key] = v;
  }
  // checked here (flags by the table, the config by its schema): the engine does not check again
  return checkedAtEdge({
    ...t,
    topK: t.topK ?? defaultK,
    prior: s.prior as 'pagerank' | undefined,
    prWeight: s.prWeight as number | undefined,
    delta: s.delta as number | undefined,
    ...(flags.filter !== undefined ? { filter: filterFromInput(flags.filter) } : {}),
    ...(s.context !== undefined ? { context: parseContextMode(s.context as string) } : {}),
    // config.rerank already holds the --rerank* flags (loadCliModels applied them as overrides)
    ...(config?.rerank.kind !== undefined && flags.rerank !== 'none' ? { rerank: true, rerankDepth: config.rerank.depth, rerankFirstStageWeight: config.rerank.firstStageWeight } : {}),
  });
}

/** `loadCliModels` options that carry the rerank flags. */
export function rerankLoadOptions(flags: RerankFlags) {
  const { overrides, off } = rerankOverrides(flags);
  return { overrides, rerank: !off };
}

/**
 * `path:start-end` (plus `, p. N` for PDFs); for sources without file lines (DOCX, HWP, HWPX,
 * PPTX, XLSX, EPUB) the locator instead: `deck.pptx slide 2`, `book.xlsx Prices!4:6`.
 */
export function location(h: { source: string; startLine: number; endLine: number; page?: number; locator?: Locator }): string {
  if (h.locator) return `${h.source} ${h.locator.label}`;
  const lines = h.startLine === h.endLine ? `${h.startLine}` : `${h.startLine}-${h.endLine}`;
  return `${h.source}:${lines}${h.page !== undefined ? `, p. ${h.page}` : ''}`;
}

/** A one-line snippet of about `width` characters around the first highlighted term. */
export function snippet(text: string, spans: Array<{ start: number; end: number }>, mark: (s: string) => string, width = 220): string {
  const first = spans[0]?.start ?? 0;
  let from = Math.max(0, first - Math.floor(width / 3));
  const ws = text.lastIndexOf(' ', from);
  if (from > 0 && ws > from - 20) from = ws + 1;
  const to = Math.min(text.length, from + width);
  let out = '';
  let pos = from;
  for (const s of spans) {
    if (s.start < from || s.end > to) continue;
    out += text.slice(pos, s.start) + mark(text.slice(s.start, s.end));
    pos = s.end;
  }
  out += text.slice(pos, to);
  return (from > 0 ? '…' : '') + out.replace(/\s+/g, ' ').trim() + (to < text.length ? '…' : '');
}

/** The engine for the store `--store`/`store.url` names, else the index folder's. */
export async function openCliEngine(flags: RetrievalFlags, models: Awaited<ReturnType<typeof loadCliModels>>): Promise<Engine | PgEngine> {
  const url = resolveStoreUrl(flags.store, models.config);
  if (!url) return Engine.open(resolveIndexDir(flags.index), models);
  // The pg client loads only for a store URL: the embedded index starts without it.
  const { PgEngine } = await import('../../engine/pg-engine.js');
  return PgEngine.open(url, models);
}

/** Closes a store engine's pool; the embedded engine holds nothing open. */
export async function closeCliEngine(engine: Engine | PgEngine): Promise<void> {
  if (!(engine instanceof Engine)) await engine.close();
}

export function register(program: Command): void {
  retrievalOptions(program.command('search').description('rank indexed passages for a query').addHelpText('after', '\nExamples:\n  $ openbook search "BM25 length normalisation"\n  $ openbook search "검색 증강 생성" -k 5 --json\n  $ openbook search "hybrid fusion" --retriever hybrid --fusion linear --alpha 0.3\n  $ openbook search "budget" --filter \'format = "pdf"\'').argument('<query>', 'the query'), 10).action(
    action(async (query: string, flags: RetrievalFlags) => {
      const models = await loadCliModels(flags, { llm: false, ...rerankLoadOptions(flags) });
      try {
        const engine = await openCliEngine(flags, models);
        try {
          const hits = await engine.search(query, parseRetrievalFlags(flags, 10, models.config, models.sources));
          if (flags.json) printJson({ query, hits: hitsJson(hits, engine) });
          else printHits(query, hits, engine);
        } finally {
          await closeCliEngine(engine);
        }
      } finally {
        await models.close();
      }
    }),
  );
}

/** Human output of `search`: rank, location, score, title, highlighted snippet. */
function printHits(query: string, hits: Hit[], engine: Pick<Engine, 'highlightSpans'>): void {
  const c = colors();
  if (hits.length === 0) {
    process.stdout.write('no matching passages\n');
    return;
  }
  for (const h of hits) {
    const first = h.scores?.firstStage !== undefined ? c.dim(` (first stage ${h.scores.firstStage.toFixed(4)}, #${h.scores.firstStageRank})`) : '';
    process.stdout.write(`${c.bold(String(h.rank).padStart(2))}. ${c.cyan(location(h))}  ${c.dim(h.score.toFixed(4))}${first}  ${c.bold(h.title)}\n`);
    process.stdout.write(`    ${snippet(h.text, engine.highlightSpans(query, h.text), c.mark)}\n`);
  }
}
