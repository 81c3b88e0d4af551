/**
 * `openbook search "<query>"` — ranked chunks with scores, sources, line ranges and snippets.
 */
import type { Command } from 'commander';
import { filterFromInput } from '../../core/filter.js';
import { parseContextMode } from '../../retrieve/context.js';
import type { Hit, Locator } from '../../core/types.js';
import type { OpenbookConfig } from '../../config/index.js';
import { Engine, type RetrieverKind } from '../../engine/engine.js';
import type { PgEngine } from '../../engine/pg-engine.js';
import { resolveStoreUrl } from '../store-url.js';
import type { SimilarityName } from '../../index/index.js';
import type { FusionMethod } from '../../retrieve/hybrid.js';
import { loadCliModels, rerankOverrides, type RerankFlags } from '../models.js';
import { hitsJson } from '../../engine/json.js';
import type { ScoreNormalization } from '../../retrieve/fusion.js';
import { action, colors, floatFlag, intFlag, printJson, resolveIndexDir } from '../shared.js';

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
  prior?: string;
  prWeight?: string;
  filter?: string;
  context?: string;
  json?: boolean;
}

/** Adds the retrieval flags shared by `search` and `ask`. */
export function retrievalOptions(cmd: Command, defaultK: number): Command {
  cmd
    .option('--index <dir>', 'index folder (default .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'a PostgreSQL store instead of the index folder (default: store.url in the config, or $OPENBOOK_STORE_URL)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('-k, --top-k <n>', `number of passages (default ${defaultK}, or retrieval.topK from the config)`)
    .option('--similarity <name>', 'bm25 (default), bm25-robertson, bm25-atire, bm25l, bm25+, tfidf')
    .option('--k1 <x>', 'BM25 k1 ≥ 0 (default 0.9)')
    .option('--b <x>', 'BM25 b in [0, 1] (default 0.4)')
    .option('--delta <x>', 'δ for BM25L (0.5) / BM25+ (1.0)')
    .option('--retriever <kind>', 'bm25 (default), dense or hybrid (dense and hybrid need an embedder and `index --embed`)')
    .option('--fusion <method>', 'hybrid fusion: rrf (default) or linear')
    .option('--rrf-k <n>', 'reciprocal rank fusion constant (default 60)')
    .option('--alpha <x>', 'hybrid weight of the dense list in [0, 1]')
    .option('--prior <name>', 'fuse a query-independent prior with the text score: pagerank (link graph of the documents)')
    .option('--pr-weight <x>', 'weight of the PageRank prior in [0, 1] (default 0.2)')
    .option('--context <mode>', 'small-to-big: chunk (default), sentence-window:N (retrieve by sentence, return ±N sentences) or parent[:T] (the chunk\'s section, up to T tokens, default 512)')
    .option('--filter <expr>', `only chunks whose metadata match, e.g. 'format = "pdf" AND tags CONTAINS "보안"' or its JSON form (grammar: openbook status shows the fields; docs/filters.md)`);
  return rerankOptions(cmd).option('--json', 'print JSON');
}

/** Adds the rerank flags (search, ask, eval, serve); they override config section `rerank`. */
export function rerankOptions(cmd: Command): Command {
  return cmd
    .option('--rerank <kind>', 'rerank the first stage\'s candidates: cross-encoder (local ONNX folder), endpoint (/rerank API) or llm (Yes/No log-probabilities); none turns a configured reranker off')
    .option('--rerank-depth <n>', 'first-stage candidates the reranker scores (default 50)')
    .option('--rerank-model <dir>', 'cross-encoder model folder (ONNX + tokenizer.json)')
    .option('--rerank-url <url>', 'rerank endpoint base URL (or the full /rerank URL)')
    .option('--rerank-api <shape>', 'rerank endpoint shape: tei (default), cohere, jina, vllm, llamacpp')
    .option('--rerank-model-name <name>', 'model name sent to the rerank endpoint')
    .option('--rerank-weight <w>', 'weight in [0, 1] of the first-stage score fused with the rerank score (default 0)');
}

/**
 * Parses the shared retrieval flags into engine options. A flag wins; otherwise the value of
 * the resolved configuration's `retrieval` section (file ← env) is used, so
 * `{"retrieval":{"topK":3,"similarity":"tfidf"}}` in `openbook.config.json` changes `search`
 * and `ask` exactly as `--top-k 3 --similarity tfidf` would. `defaultK` applies only when
 * neither the flag nor the config sets `topK` (`ask` reads 5 passages, `search` shows 10).
 */
export function parseRetrievalFlags(flags: RetrievalFlags, defaultK: number, config?: OpenbookConfig, sources?: Record<string, string>) {
  const r = config?.retrieval;
  const configured = (key: string) => sources === undefined || (sources[`retrieval.${key}`] ?? 'default') !== 'default';
  const fromConfig = <T>(key: string, v: T | undefined): T | undefined => (configured(key) ? v : undefined);
  return {
    topK: flags.topK !== undefined ? intFlag('--top-k', flags.topK, defaultK, 1, 10_000) : (fromConfig('topK', r?.topK) ?? defaultK),
    retriever: (flags.retriever ?? r?.retriever) as RetrieverKind | undefined,
    fusion: (flags.fusion ?? r?.fusion) as FusionMethod | undefined,
    rrfK: flags.rrfK === undefined ? r?.rrfK : floatFlag('--rrf-k', flags.rrfK, 60, 0),
    alpha: flags.alpha === undefined ? fromConfig('alpha', r?.alpha) : floatFlag('--alpha', flags.alpha, 0.5, 0, 1),
    normalization: r?.normalization as ScoreNormalization | undefined,
    prior: flags.prior as 'pagerank' | undefined,
    prWeight: flags.prWeight === undefined ? undefined : floatFlag('--pr-weight', flags.prWeight, 0.2, 0, 1),
    similarity: (flags.similarity ?? r?.similarity) as SimilarityName | undefined,
    k1: flags.k1 === undefined ? r?.k1 : floatFlag('--k1', flags.k1, 0.9, 0),
    b: flags.b === undefined ? r?.b : floatFlag('--b', flags.b, 0.4, 0, 1),
    delta: flags.delta === undefined ? undefined : floatFlag('--delta', flags.delta, 0.5, 0),
    ...(flags.filter !== undefined ? { filter: filterFromInput(flags.filter) } : {}),
    ...(flags.context !== undefined ? { context: parseContextMode(flags.context) } : {}),
    // config.rerank already holds the --rerank* flags (loadCliModels applied them as overrides)
    ...(config?.rerank.kind !== undefined && flags.rerank !== 'none' ? { rerank: true, rerankDepth: config.rerank.depth, rerankFirstStageWeight: config.rerank.firstStageWeight } : {}),
  };
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
  retrievalOptions(program.command('search').description('rank indexed passages for a query').argument('<query>', 'the query'), 10).action(
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
