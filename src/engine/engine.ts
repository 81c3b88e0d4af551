/**
 * The library's front door for reading: open an index once, then search and ask.
 * The CLI and the HTTP server are thin layers over this class.
 *
 * ```ts
 * const engine = await Engine.open('.openbook');
 * const hits = await engine.search('BM25 length normalisation', { topK: 5 });
 * const answer = await engine.ask('What does HyDE generate before it retrieves?');
 * ```
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Analyzer } from '../analysis/analyzer.js';
import { contentQuery } from '../analysis/question-words.js';
import { getAnalyzer } from '../analysis/registry.js';
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { FilterExpr } from '../core/filter.js';
import { mulberry32 } from '../core/random.js';
import type { Answer, Hit, TraceStep } from '../core/types.js';
import { extractiveAnswer, PassageUnitCache, type ExtractiveOptions } from '../generate/extractive.js';
import type { TemplateSet } from '../generate/prompts.js';
import type { DenseIndexReader } from '../index/dense/store.js';
import { DENSE_DIR, DENSE_MANIFEST } from '../index/dense/types.js';
import { idfLucene, type SimilarityName } from '../index/sparse/similarity.js';
import { IndexReader } from '../index/store/reader.js';
import { RERANK_OPTIONS, RETRIEVAL_OPTIONS, SEARCH_OPTIONS, specViolation, type OptionSpec } from '../config/options.js';
import type { NliModel } from '../methods/method.js';
import type { RetrievalSetting } from '../methods/retrieval.js';
import type { Embedder, LanguageModel } from '../models/types.js';
import { DenseRetriever, isSelectiveFilter } from '../retrieve/dense.js';
import type { FusionMethod } from '../retrieve/hybrid.js';
import { HybridRetriever } from '../retrieve/hybrid.js';
import type { ScoreNormalization } from '../retrieve/fusion.js';
import { hitFromChunk } from '../retrieve/hit.js';
import { DEFAULT_RERANK_DEPTH, withRerank, type Reranker, type RerankTraceEntry } from '../retrieve/rerank-stage.js';
import { indexContextSource, parseContextMode, withContext, type ContextMode } from '../retrieve/context.js';
import { phraseRerank, PHRASE_POOL } from '../retrieve/phrase-rerank.js';
import { SparseRetriever } from '../retrieve/sparse.js';
import type { Retriever } from '../retrieve/types.js';

/** Which retriever answers a query. */
export type RetrieverKind = 'bm25' | 'dense' | 'hybrid';
export const retrieverKinds: readonly RetrieverKind[] = ['bm25', 'dense', 'hybrid'];

/** Models the engine may use; all optional (no model = BM25 + extractive answers). */
export interface EngineModels {
  llm?: LanguageModel;
  embedder?: Embedder;
  /** Prompt templates (defaults when absent). */
  templates?: TemplateSet;
  /** The configured reranker (cross-encoder folder, /rerank endpoint or LLM); used when a search asks for `rerank`. */
  reranker?: Reranker;
  /** The NLI model of RetRobust's gate (config `nli.modelDir`, `--nli-model`); without it the LLM judges entailment. */
  nli?: NliModel;
  /** The configured rerank depth and first-stage weight (config `rerank`), for callers that rerank by default (the HTTP server). */
  rerankDefaults?: { depth?: number; firstStageWeight?: number };
}

export interface SearchOptions {
  /** Number of hits, ≥ 1. Default 10. */
  topK?: number;
  /** Scoring function (default `bm25`, Lucene's BM25Similarity). */
  similarity?: SimilarityName;
  /** BM25 k1 ≥ 0 (default 0.9), b ∈ [0, 1] (default 0.4), δ ≥ 0 for BM25L/BM25+. */
  k1?: number;
  b?: number;
  delta?: number;
  /** `bm25` (default), `dense` (needs an embedder and `index --embed`), or `hybrid` (both, fused). */
  retriever?: RetrieverKind;
  /** Hybrid fusion: reciprocal rank fusion (default) or normalised linear fusion. */
  fusion?: FusionMethod;
  /** RRF constant ≥ 0 (default 60); not the number of hits. */
  rrfK?: number;
  /** Weight of the dense list in [0, 1] for hybrid fusion (default: equal weights). */
  alpha?: number;
  normalization?: ScoreNormalization;
  /** A query-independent prior fused with the text score: `pagerank` over the documents' link graph. */
  prior?: 'pagerank';
  /** Weight of the PageRank prior in [0, 1] (default 0.2): (1 − w)·norm(text) + w·norm(PR). */
  prWeight?: number;
  /**
   * Rerank the first stage's top `rerankDepth` candidates: `true` uses the engine's configured
   * `models.reranker`, a `Reranker` object that one. Default off.
   */
  rerank?: boolean | Reranker;
  /** First-stage candidates the reranker sees, ≥ 1 (default 50; at least topK). */
  rerankDepth?: number;
  /** Weight in [0, 1] of the first-stage score fused with the rerank score (default 0: rerank alone). */
  rerankFirstStageWeight?: number;
  /** Receives each reranked query's per-candidate scores (the trace of `ask`). */
  onRerank?: (query: string, entries: RerankTraceEntry[], durationMs: number) => void;
  /**
   * Only chunks whose metadata match: the filter language of `core/filter.ts`
   * (`format = "pdf" AND tags CONTAINS "보안"`) or its JSON form. Exact in every retriever
   * (BM25 scoring, dense search, hybrid fusion, the rerank stage, every method): no chunk that
   * fails it is returned, and k hits come back whenever k chunks match.
   */
  filter?: string | FilterExpr;
  /**
   * Small-to-big context (`retrieve/context.ts`): `chunk` (default), `sentence-window:N`
   * (retrieve by sentence, return ±N sentences) or `parent[:T]` (each chunk's section, up to T
   * tokens); quotes from the returned text are still cited at their exact lines.
   */
  context?: string | ContextMode;
  signal?: AbortSignal;
}

export interface AskOptions extends SearchOptions {
  /** Force the offline extractive answer even when a language model is configured. */
  extractive?: boolean;
  extractiveOptions?: ExtractiveOptions;
  /** A named method from the literature (`naive`, `hyde`, `replug`, …); needs a language model. */
  method?: string;
  /** The method's parameters, named as in its paper. */
  params?: Record<string, unknown>;
  /** RetRobust's noisy-retrieval settings: top-k (default), ranks 11–20, or random passages. */
  retrieval?: RetrievalSetting;
  /** Seed for methods that sample (default 7). */
  seed?: number;
  /** Receives answer text as the model streams it (LLM answers only). */
  onToken?: (text: string) => void;
}

/** `Answer` plus what an LLM answer adds for `--json`. */
export type EngineAnswer = Answer & {
  prompt?: unknown;
  model?: string;
  latencyMs?: number;
  invalidCitations?: number[];
  calls?: number;
};

/** The mark of search options an edge has checked (see {@link checkedAtEdge}). Not part of the package's API. */
const CHECKED_AT_EDGE = Symbol('openbook.checkedAtEdge');

/**
 * `o` marked as checked by the option table's rules at an edge — the CLI (flags by the table,
 * the config file by its schema) or the HTTP API (the request schema) — so the Engine does not
 * check it again. The mark is an enumerable symbol property: `{ ...o, extractive: true }` keeps
 * it, JSON does not show it. Only those edges call this; a library user's options are checked.
 */
export function checkedAtEdge<T extends object>(o: T): T {
  return { ...o, [CHECKED_AT_EDGE]: true };
}

/** Whether `o` carries the mark of {@link checkedAtEdge}. */
export function isCheckedAtEdge(o: object): boolean {
  return (o as { [CHECKED_AT_EDGE]?: boolean })[CHECKED_AT_EDGE] === true;
}

/** `o` checked by {@link checkSearchOptions} unless an edge did, and marked: the engine's own calls below then skip it. */
export function checkOnce<T extends SearchOptions>(o: T): T {
  if (isCheckedAtEdge(o)) return o;
  checkSearchOptions(o);
  return checkedAtEdge(o);
}

/**
 * Validates retrieval parameters — the Engine API's edge — by the option table's rules
 * (`config/options.ts`: the same ranges and names the config file, the CLI and the HTTP API
 * check); throws InvalidParameterError naming the bad one: `k1 must be a number ≥ 0, got Infinity`.
 */
export function checkSearchOptions(o: SearchOptions): void {
  const table: Array<[keyof SearchOptions, OptionSpec]> = [
    ['topK', RETRIEVAL_OPTIONS.topK],
    ['similarity', RETRIEVAL_OPTIONS.similarity],
    ['k1', RETRIEVAL_OPTIONS.k1],
    ['b', RETRIEVAL_OPTIONS.b],
    ['retriever', RETRIEVAL_OPTIONS.retriever],
    ['fusion', RETRIEVAL_OPTIONS.fusion],
    ['rrfK', RETRIEVAL_OPTIONS.rrfK],
    ['normalization', RETRIEVAL_OPTIONS.normalization],
    ['alpha', RETRIEVAL_OPTIONS.alpha],
    ['delta', SEARCH_OPTIONS.delta],
    ['prior', SEARCH_OPTIONS.prior],
    ['prWeight', SEARCH_OPTIONS.prWeight],
    ['context', SEARCH_OPTIONS.context],
    ['rerankDepth', RERANK_OPTIONS.depth],
    ['rerankFirstStageWeight', RERANK_OPTIONS.firstStageWeight],
  ];
  for (const [key, s] of table) {
    const v = o[key];
    if (v === undefined) continue;
    if (key === 'context' && typeof v !== 'string') continue; // a parsed ContextMode
    const broken = specViolation(s, v);
    if (broken !== undefined) throw new InvalidParameterError(`${key} must be ${broken}, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  }
}

/**
 * Whether `ask` retrieves with BM25 alone (no dense or hybrid retriever, no reranker): then it
 * reads the question's content words (`Engine.askQuery`) and reorders BM25's pool by the
 * question's word pairs (`askRetrieval`). The same rule for the embedded index and the store.
 */
export function asksBm25(o: Pick<SearchOptions, 'retriever' | 'rerank'>): boolean {
  return (o.retriever ?? 'bm25') === 'bm25' && !o.rerank;
}

/**
 * `ask`'s retrieval of `topK` hits for `query`: with `phrase`, a BM25 pool of max(topK,
 * `PHRASE_POOL`) reordered by the phrase rerank (src/retrieve/phrase-rerank.ts; `idfs` resolves the
 * query terms' idf, from the embedded index or the store), else the retriever's top k. Shared by
 * `Engine` and `PgEngine`, so both stores answer from the same passages.
 */
export async function askRetrieval(
  retriever: Pick<Retriever, 'name' | 'retrieve'>,
  query: string,
  topK: number,
  phrase: { analyzer: Analyzer; titleTerms: boolean; idfs: (terms: string[]) => Promise<(term: string) => number> } | undefined,
  signal?: AbortSignal,
): Promise<{ hits: Hit[]; retrieveStep: TraceStep; phraseStep?: TraceStep }> {
  const started = Date.now();
  const pool = phrase ? Math.max(topK, PHRASE_POOL) : topK;
  const candidates = await retriever.retrieve(query, pool, signal);
  const retrieveStep: TraceStep = { kind: 'retrieve', name: `${retriever.name} top-${pool}`, input: { query, topK: pool }, output: candidates.map((h) => h.chunkId), durationMs: Date.now() - started };
  if (!phrase) return { hits: candidates, retrieveStep };
  const t = Date.now();
  const idf = await phrase.idfs([...new Set(phrase.analyzer.analyze(query))]);
  const hits = phraseRerank(query, candidates, { analyzer: phrase.analyzer, idf, topK, titleTerms: phrase.titleTerms });
  return { hits, retrieveStep, phraseStep: phraseRerankStep(query, hits, Date.now() - t) };
}

/** The trace step of `ask`'s phrase rerank: each returned hit's BM25 score, pair sum (before its weight) and fused score. */
export function phraseRerankStep(query: string, hits: readonly Hit[], durationMs: number): TraceStep {
  return { kind: 'score', name: `phrase rerank top-${hits.length}`, input: { query }, output: hits.map((h) => ({ chunkId: h.chunkId, bm25: h.scores?.bm25, phrase: h.scores?.phrase, score: h.score })), durationMs };
}

/**
 * The rerank stage `o.rerank` asks for over `first` (`true` = `configured`, the engine's
 * `models.reranker`), or `first` itself when reranking is off. Shared by the embedded and the
 * PostgreSQL engine.
 * @throws CapabilityError when `rerank: true` but no reranker is configured
 */
export function rerankStage(first: Retriever, o: SearchOptions, configured: Reranker | undefined): Retriever {
  if (!o.rerank) return first;
  const reranker = o.rerank === true ? configured : o.rerank;
  if (!reranker) throw new CapabilityError('reranking needs a reranker: --rerank cross-encoder --rerank-model DIR, --rerank endpoint --rerank-url URL, or --rerank llm (see `openbook config`, section rerank)');
  return withRerank(first, reranker, {
    depth: o.rerankDepth ?? DEFAULT_RERANK_DEPTH,
    ...(o.rerankFirstStageWeight !== undefined ? { firstStageWeight: o.rerankFirstStageWeight } : {}),
    ...(o.onRerank ? { onTrace: o.onRerank } : {}),
  });
}

/** Hybrid fusion of `sparse` and `dense` with the fusion settings of `o` (default RRF). */
export function hybridRetriever(sparse: Retriever, dense: Retriever, o: SearchOptions): HybridRetriever {
  return new HybridRetriever(sparse, dense, {
    fusion: o.fusion ?? 'rrf',
    ...(o.rrfK !== undefined ? { rrfK: o.rrfK } : {}),
    ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
    ...(o.normalization !== undefined ? { normalization: o.normalization } : {}),
  });
}

export class Engine {
  readonly analyzer: Analyzer;
  private denseReader?: Promise<DenseIndexReader>;
  /** Sentences of passages already answered from, for this commit (an Engine never sees another). */
  private readonly unitCache = new PassageUnitCache();

  private constructor(
    readonly reader: IndexReader,
    readonly dir: string,
    readonly models: EngineModels,
  ) {
    this.analyzer = getAnalyzer(reader.config.analyzer);
  }

  /** Opens the last committed index in `dir`. Throws IndexNotFoundError / IndexFormatError. */
  static async open(dir: string, models: EngineModels = {}): Promise<Engine> {
    return new Engine(await IndexReader.open(dir), dir, models);
  }

  /**
   * The metadata fields a document brought or was given (`Document.meta`: lang, encoding,
   * document properties, front matter, JSONL fields, tags), or undefined for an unknown id or a
   * document without any. What `search --json` and `GET /v1/search` put in each hit's `meta`.
   */
  documentMeta(docId: string): Record<string, string | number | boolean | string[]> | undefined {
    return this.reader.document(docId)?.meta;
  }

  /** Whether `index --embed` has stored passage vectors in this index. */
  hasDenseIndex(): boolean {
    return existsSync(path.join(this.dir, DENSE_DIR, DENSE_MANIFEST));
  }

  /** A sparse retriever with the given scoring parameters. */
  sparseRetriever(o: SearchOptions = {}): SparseRetriever {
    o = checkOnce(o);
    return new SparseRetriever(this.reader, { similarity: o.similarity ?? 'bm25', k1: o.k1, b: o.b, delta: o.delta, ...(o.filter !== undefined ? { filter: o.filter } : {}) });
  }

  /**
   * The dense retriever over the stored passage vectors.
   * @throws CapabilityError when no embedder is configured or the index has no vectors
   */
  async denseRetriever(o: Pick<SearchOptions, 'filter'> = {}): Promise<DenseRetriever> {
    const embedder = this.models.embedder;
    if (!embedder) throw new CapabilityError('dense retrieval needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR');
    if (!this.hasDenseIndex()) throw new CapabilityError(`the index at ${this.dir} has no passage vectors; run \`openbook index <paths> --embed\` first`);
    this.denseReader ??= import('../index/dense/store.js').then(({ DenseIndexReader }) => DenseIndexReader.open(this.dir));
    const dense = await this.denseReader;
    if (o.filter === undefined) return new DenseRetriever(this.reader, dense, embedder);
    const allow = this.reader.filterBits(o.filter);
    // A very selective filter is scored exactly over the allowed vectors (HNSW loads its rows once for that).
    if (isSelectiveFilter(allow, dense.count)) await dense.prepareExact();
    return new DenseRetriever(this.reader, dense, embedder, { allow });
  }

  /**
   * The retriever `o.retriever` names (default BM25), with the PageRank prior when `o.prior` asks
   * for it, and the rerank stage over it when `o.rerank` is set.
   * @throws CapabilityError when `rerank: true` but no reranker is configured
   */
  async retriever(o: SearchOptions = {}): Promise<Retriever> {
    o = checkOnce(o);
    const mode = o.context === undefined ? undefined : typeof o.context === 'string' ? parseContextMode(o.context) : o.context;
    const ranked = await this.rankedRetriever(o);
    return mode ? withContext(ranked, indexContextSource(this.reader), this.analyzer, mode) : ranked;
  }

  private async rankedRetriever(o: SearchOptions): Promise<Retriever> {
    return rerankStage(await this.firstStageRetriever(o), o, this.models.reranker);
  }

  private async firstStageRetriever(o: SearchOptions): Promise<Retriever> {
    const base = await this.textRetriever(o);
    if (o.prior === undefined) return base;
    const { withPageRankPrior } = await import('../retrieve/graph-prior.js');
    return withPageRankPrior(base, { dir: this.dir, documents: () => this.reader.documents() }, o.prWeight !== undefined ? { prWeight: o.prWeight } : {});
  }

  private async textRetriever(o: SearchOptions): Promise<Retriever> {
    const kind = o.retriever ?? 'bm25';
    if (kind === 'bm25') return this.sparseRetriever(o);
    const dense = await this.denseRetriever(o);
    if (kind === 'dense') return dense;
    return hybridRetriever(this.sparseRetriever(o), dense, o);
  }

  /** Ranked chunks for `query`, best first. */
  async search(query: string, o: SearchOptions = {}): Promise<Hit[]> {
    return (await this.retriever(o)).retrieve(query, o.topK ?? 10, o.signal);
  }

  /**
   * A cited answer over the top `topK` (default 5) passages: a named method when `o.method`
   * is given; an LLM answer when a language model is configured (unless `o.extractive`);
   * otherwise the offline extractive answer.
   * @throws CapabilityError when a method needs a model that is not configured
   */
  async ask(question: string, o: AskOptions = {}): Promise<EngineAnswer> {
    const topK = o.topK ?? 5;
    const llm = this.models.llm;
    const rerankSteps: TraceStep[] = [];
    if (o.rerank) {
      const outer = o.onRerank;
      o = {
        ...o,
        onRerank: (query, entries, durationMs) => {
          outer?.(query, entries, durationMs);
          rerankSteps.push({ kind: 'score', name: `rerank top-${entries.length}`, input: { query }, output: entries, durationMs });
        },
      };
    }
    if (o.method) {
      // The method implementations load only when a method is asked for: search and the extractive answer start without them.
      const { getMethod, runMethod } = await import('../methods/registry.js');
      const { withRetrievalSetting } = await import('../methods/retrieval.js');
      const { loadKnowledgeGraph } = await import('../methods/kg.js');
      getMethod(o.method); // unknown names fail before any model call
      if (!llm) throw new CapabilityError(`method ${o.method} needs a language model: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL (see \`openbook config\`)`);
      let retriever: Pick<Retriever, 'retrieve'> = await this.retriever(o);
      if (o.retrieval && o.retrieval !== 'top') {
        retriever = withRetrievalSetting(retriever, o.retrieval, { rng: mulberry32(o.seed ?? 7), randomPassages: async (count, rng) => this.randomPassages(count, rng, o.filter) });
      }
      const dense = this.models.embedder && this.hasDenseIndex() ? await this.denseRetriever(o) : undefined;
      // a method parameter `kg` (RoG) names a triples file; methods receive the loaded graph in ctx.kg
      const kg = typeof o.params?.kg === 'string' ? await loadKnowledgeGraph(o.params.kg) : undefined;
      const r = await runMethod(
        o.method,
        question,
        {
          llm,
          retriever,
          topK,
          rng: mulberry32(o.seed ?? 7),
          now: Date.now,
          seed: o.seed ?? 7,
          ...(o.signal ? { signal: o.signal } : {}),
          ...(this.models.embedder ? { embedder: this.models.embedder } : {}),
          ...(kg ? { kg } : {}),
          ...(this.models.nli ? { nli: this.models.nli } : {}),
          ...(dense ? { denseSearch: async (v: Float32Array, k: number) => dense.searchVector(v, k) } : {}),
        },
        o.params ?? {},
      );
      return rerankSteps.length > 0 ? { ...r, trace: [...rerankSteps, ...(r.trace ?? [])] } : r;
    }
    const retriever = await this.retriever(o);
    const query = this.askQuery(question, o);
    const stats = this.reader.stats();
    const numDocs = stats.docCount ?? stats.numChunks;
    const phrase = asksBm25(o) ? { analyzer: this.analyzer, titleTerms: this.reader.config.titleTerms === true, idfs: async () => (term: string) => idfLucene(this.reader.docFreq(term), numDocs) } : undefined;
    const { hits, retrieveStep, phraseStep } = await askRetrieval(retriever, query, topK, phrase, o.signal);
    if (phraseStep) rerankSteps.unshift(phraseStep);
    if (llm && !o.extractive) {
      const { answerWithLlm } = await import('../generate/llm-answer.js');
      const a = await answerWithLlm({ llm, question, hits, ...(this.models.templates ? { templates: this.models.templates } : {}), ...(o.onToken ? { onToken: o.onToken } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      return {
        ...a,
        trace: [retrieveStep, ...rerankSteps, { kind: 'generate', name: 'answer with citations', input: a.prompt, output: a.rawAnswer, usage: a.usage, durationMs: a.latencyMs }],
      };
    }
    const a = this.extractiveFromHits(question, hits, o.extractiveOptions);
    return { ...a, trace: [retrieveStep, ...rerankSteps, ...(a.trace ?? [])] };
  }

  /**
   * The query `ask` retrieves with: for BM25 the question's content words
   * (src/analysis/question-words.ts), as the extractive answerer scores with them; a dense or
   * hybrid retriever, and a reranker (which reads the query the first stage got), read the whole question.
   */
  askQuery(question: string, o: Pick<SearchOptions, 'retriever' | 'rerank'> = {}): string {
    return asksBm25(o) ? contentQuery(question) : question;
  }

  /** The offline extractive answer `ask` gives from these hits (its trace holds the scoring step only); no citations = refused. */
  extractiveFromHits(question: string, hits: Hit[], options?: ExtractiveOptions): EngineAnswer {
    const started = Date.now();
    const stats = this.reader.stats();
    const ex = extractiveAnswer(question, hits, this.analyzer, { numDocs: stats.docCount ?? stats.numChunks, docFreq: (t) => this.reader.docFreq(t) }, { unitCache: this.unitCache, ...options });
    return {
      question,
      answer: ex.answer,
      citations: ex.citations,
      hits,
      method: 'extractive',
      trace: [
        {
          kind: 'score',
          name: 'sentence scoring',
          // With `explain`, the 20 best with their score components (`ScoreParts`).
          output: ex.candidates.slice(0, options?.explain ? 20 : 5).map((c) => ({ chunkId: hits[c.hitIndex].chunkId, text: c.text, score: c.score, coverage: c.coverage, ...(c.parts ? { contextCoverage: c.contextCoverage, matched: c.matched.length, parts: c.parts } : {}) })),
          durationMs: Date.now() - started,
        },
      ],
    };
  }

  /** `count` distinct chunks drawn uniformly from the index, or from the chunks `filter` allows (the `random` retrieval setting). */
  private randomPassages(count: number, rng: () => number, filter?: string | FilterExpr): Hit[] {
    const n = this.reader.stats().numChunks;
    const bits = filter !== undefined ? this.reader.filterBits(filter) : undefined;
    const pool = bits ? [...bits.keys()].filter((c) => bits[c] === 1) : undefined;
    const size = pool ? pool.length : n;
    const picked = new Set<number>();
    while (picked.size < Math.min(count, size)) {
      const r = Math.floor(rng() * size);
      picked.add(pool ? pool[r] : r);
    }
    return [...picked].map((i, k) => hitFromChunk(this.reader.chunk(i), 0, k + 1));
  }

  /**
   * Character spans in `text` whose analysed term is one of the query's terms (for
   * highlighting snippets); sorted, non-overlapping.
   */
  highlightSpans(query: string, text: string): Array<{ start: number; end: number }> {
    const q = new Set(this.analyzer.analyze(query));
    return this.analyzer
      .tokens(text)
      .filter((t) => q.has(t.term))
      .map((t) => ({ start: t.start, end: t.end }))
      .sort((a, b) => a.start - b.start)
      .filter((s, i, arr) => i === 0 || s.start >= arr[i - 1].end);
  }
}
