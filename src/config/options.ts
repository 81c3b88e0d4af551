/**
 * The option table: every retrieval option a user can set, once — its config key, CLI flag,
 * HTTP field, type, range, default and (for enumerations) its values. The zod schema's
 * `retrieval` section (`schema.ts`) is built from it, the CLI builds its flags, their help
 * text and their validation from it (`cli/options.ts`), and the HTTP request schemas
 * (`server/schemas.ts`) take the schema's validators, so a value is checked by one rule
 * whichever face it comes through, once, at that face's edge.
 *
 * Enumerations are copies of the code's own tables (`config/` may import only `core/`):
 * `similarityNames` (index/sparse/similarity.ts), `fusionMethods` (retrieve/hybrid.ts),
 * `scoreNormalizations` (retrieve/fusion.ts), `retrieverKinds` (engine/engine.ts),
 * `rerankApiNames` (retrieve/rerank.ts); test/config/one-source.test.ts fails when a copy and
 * its table differ. Plain data, no zod: the CLI reads it while registering its flags.
 */

/** One option. `min`/`max` bound numbers (inclusive); `values` are an enumeration's names. */
export interface OptionSpec {
  /** Key in the config section (`retrieval.<key>`, `rerank.<key>` for rerank ones). */
  readonly path: string;
  /** Long CLI flag, e.g. `--top-k`. */
  readonly flag: string;
  /** Short CLI alias, e.g. `-k`. */
  readonly alias?: string;
  /** The flag's argument placeholder, e.g. `<n>`. */
  readonly arg: string;
  /** Field name in `GET /v1/search` and `POST /v1/ask`, when the HTTP API takes it. */
  readonly http?: string;
  /** An older HTTP name still accepted (`k` for `topK`); giving both with different values is refused. */
  readonly httpAlias?: string;
  /** `string`: a value of a small grammar, checked by `pattern` (`context`: `sentence-window:2`). */
  readonly type: 'int' | 'number' | 'enum' | 'string';
  readonly min?: number;
  readonly max?: number;
  /** Absent when the option has no single default (`delta` depends on the similarity; `prior` is off). */
  readonly default?: number | string;
  /** How `--help` states the default when there is no single value. */
  readonly defaultHelp?: string;
  readonly values?: readonly string[];
  /** `string` options: the whole value must match (a regular expression's source, anchored). */
  readonly pattern?: string;
  /** `string` options: the grammar in words, for messages. */
  readonly grammar?: string;
  /** What it does, for `--help` (the default and the config key are added to it). */
  readonly help: string;
}

const spec = <const T extends OptionSpec>(s: T): T => s;

/** The retrieval options (config section `retrieval`), by config key. */
export const RETRIEVAL_OPTIONS = {
  retriever: spec({
    path: 'retrieval.retriever',
    flag: '--retriever',
    arg: '<kind>',
    http: 'retriever',
    type: 'enum',
    values: ['bm25', 'dense', 'hybrid'],
    default: 'bm25',
    help: 'first-stage retriever (dense and hybrid need an embedder and `index --embed`)',
  }),
  topK: spec({ path: 'retrieval.topK', flag: '--top-k', alias: '-k', arg: '<n>', http: 'topK', httpAlias: 'k', type: 'int', min: 1, max: 10_000, default: 10, help: 'number of passages' }),
  similarity: spec({
    path: 'retrieval.similarity',
    flag: '--similarity',
    arg: '<name>',
    http: 'similarity',
    type: 'enum',
    values: ['bm25', 'bm25-robertson', 'bm25-atire', 'bm25l', 'bm25+', 'tfidf'],
    default: 'bm25',
    help: 'sparse scoring function',
  }),
  k1: spec({ path: 'retrieval.k1', flag: '--k1', arg: '<x>', http: 'k1', type: 'number', min: 0, default: 0.9, help: 'BM25 term-frequency saturation k1 (0.9: the Anserini/Pyserini BEIR setting)' }),
  b: spec({ path: 'retrieval.b', flag: '--b', arg: '<x>', http: 'b', type: 'number', min: 0, max: 1, default: 0.4, help: 'BM25 length normalisation b (0.4: Anserini/Pyserini BEIR)' }),
  fusion: spec({ path: 'retrieval.fusion', flag: '--fusion', arg: '<method>', http: 'fusion', type: 'enum', values: ['rrf', 'linear'], default: 'rrf', help: 'hybrid fusion' }),
  rrfK: spec({ path: 'retrieval.rrfK', flag: '--rrf-k', arg: '<n>', http: 'rrfK', type: 'number', min: 0, default: 60, help: 'reciprocal rank fusion constant, Σ 1/(rrfK + rank); not top-k' }),
  normalization: spec({
    path: 'retrieval.normalization',
    flag: '--normalization',
    arg: '<name>',
    http: 'normalization',
    type: 'enum',
    values: ['min-max', 'z-score'],
    default: 'min-max',
    help: 'score normaliser of linear fusion',
  }),
  alpha: spec({ path: 'retrieval.alpha', flag: '--alpha', arg: '<x>', http: 'alpha', type: 'number', min: 0, max: 1, default: 0.5, help: 'linear fusion weight of the dense list: α·dense + (1 − α)·sparse' }),
} as const;

/**
 * The retrieval options of search, ask and the HTTP API that the evaluators do not take (config
 * section `retrieval` too): BM25L/BM25+'s δ, the PageRank prior and small-to-big context.
 */
export const SEARCH_OPTIONS = {
  delta: spec({ path: 'retrieval.delta', flag: '--delta', arg: '<x>', http: 'delta', type: 'number', min: 0, defaultHelp: '0.5 for BM25L, 1.0 for BM25+', help: 'δ for BM25L and BM25+' }),
  prior: spec({ path: 'retrieval.prior', flag: '--prior', arg: '<name>', http: 'prior', type: 'enum', values: ['pagerank'], defaultHelp: 'none', help: 'fuse a query-independent prior with the text score (pagerank: the link graph of the documents)' }),
  prWeight: spec({ path: 'retrieval.prWeight', flag: '--pr-weight', arg: '<x>', http: 'prWeight', type: 'number', min: 0, max: 1, default: 0.2, help: 'weight of the PageRank prior: (1 − w)·norm(text) + w·norm(PR)' }),
  context: spec({
    path: 'retrieval.context',
    flag: '--context',
    arg: '<mode>',
    http: 'context',
    type: 'string',
    // parseContextMode's grammar and ranges (retrieve/context.ts): N in 0..20, T ≥ 16; a test holds them together
    pattern: '^(?:chunk|sentence-window:(?:[0-9]|1[0-9]|20)|parent(?::(?:1[6-9]|[2-9][0-9]|[1-9][0-9]{2,}))?)$',
    grammar: 'chunk, sentence-window:N (N from 0 to 20) or parent[:T] (T ≥ 16)',
    default: 'chunk',
    help: "small-to-big: chunk, sentence-window:N (retrieve by sentence, return ±N sentences) or parent[:T] (the chunk's section, up to T tokens; T is 512 when not given)",
  }),
} as const;

export type SearchOptionKey = keyof typeof SEARCH_OPTIONS;

/** The rerank options that are numbers or enumerations (config section `rerank`). */
export const RERANK_OPTIONS = {
  depth: spec({ path: 'rerank.depth', flag: '--rerank-depth', arg: '<n>', http: 'rerankDepth', type: 'int', min: 1, max: 10_000, default: 50, help: 'first-stage candidates the reranker scores' }),
  firstStageWeight: spec({ path: 'rerank.firstStageWeight', flag: '--rerank-weight', arg: '<w>', type: 'number', min: 0, max: 1, default: 0, help: 'weight of the first-stage score fused with the rerank score (0: rerank alone)' }),
  api: spec({ path: 'rerank.api', flag: '--rerank-api', arg: '<shape>', type: 'enum', values: ['tei', 'cohere', 'jina', 'vllm', 'llamacpp'], default: 'tei', help: 'rerank endpoint request/response shape' }),
} as const;

export type RetrievalOptionKey = keyof typeof RETRIEVAL_OPTIONS;

/** Every option of the table, retrieval first. */
export const ALL_OPTIONS: readonly OptionSpec[] = [...Object.values(RETRIEVAL_OPTIONS), ...Object.values(SEARCH_OPTIONS), ...Object.values(RERANK_OPTIONS)];

/** The `retrieval` section's options of search, ask and the HTTP API: the shared table and the search-only one. */
export const SEARCH_RETRIEVAL_OPTIONS: Readonly<Record<RetrievalOptionKey | SearchOptionKey, OptionSpec>> = { ...RETRIEVAL_OPTIONS, ...SEARCH_OPTIONS };

/** A value as `--help` prints defaults: `(default: 0.9)`, the one form every command uses. */
export function defaultText(value: unknown): string {
  return `(default: ${String(value)})`;
}

/** The rule of a spec in words: "an integer in [1, 10000]", "a number ≥ 0", "one of rrf, linear". */
export function ruleText(s: OptionSpec): string {
  if (s.type === 'enum') return `one of ${s.values!.join(', ')}`;
  if (s.type === 'string') return s.grammar ?? `a string matching ${s.pattern}`;
  const what = s.type === 'int' ? 'an integer' : 'a number';
  if (s.min !== undefined && s.max !== undefined) return `${what} in [${s.min}, ${s.max}]`;
  if (s.min !== undefined) return `${what} ≥ ${s.min}`;
  if (s.max !== undefined) return `${what} ≤ ${s.max}`;
  return what;
}

/**
 * Checks a value against its spec; returns the rule broken, or undefined when it holds.
 * Numbers must be finite (Infinity is not a k1).
 */
export function specViolation(s: OptionSpec, value: unknown): string | undefined {
  if (s.type === 'enum') return typeof value === 'string' && s.values!.includes(value) ? undefined : ruleText(s);
  if (s.type === 'string') return typeof value === 'string' && (s.pattern === undefined || new RegExp(s.pattern).test(value)) ? undefined : ruleText(s);
  if (typeof value !== 'number' || !Number.isFinite(value)) return ruleText(s);
  if (s.type === 'int' && !Number.isInteger(value)) return ruleText(s);
  if ((s.min !== undefined && value < s.min) || (s.max !== undefined && value > s.max)) return ruleText(s);
  return undefined;
}

/**
 * The retrieval values a resolved configuration sets in a layer (file, env or flag), by config
 * key; keys still at the schema's default are left out, so a command's own default (`ask` reads
 * 5 passages) applies unless the user configured one. `sources` absent: every key counts.
 */
export function configuredRetrieval(
  config: { retrieval: Partial<Record<RetrievalOptionKey | SearchOptionKey, number | string>> } | undefined,
  sources?: Record<string, string>,
): Partial<Record<RetrievalOptionKey | SearchOptionKey, number | string>> {
  const out: Partial<Record<RetrievalOptionKey | SearchOptionKey, number | string>> = {};
  if (!config) return out;
  for (const key of Object.keys(SEARCH_RETRIEVAL_OPTIONS) as Array<RetrievalOptionKey | SearchOptionKey>) {
    if (sources !== undefined && (sources[`retrieval.${key}`] ?? 'default') === 'default') continue;
    const v = config.retrieval[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
