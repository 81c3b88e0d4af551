/**
 * The engine over the PostgreSQL store: `search` and `ask` (extractive, LLM, and every named
 * method through the same retriever contract) with the options of {@link Engine}, so the CLI and
 * the server switch stores by URL and nothing else.
 *
 * ```ts
 * const engine = await PgEngine.open('postgres://postgres@127.0.0.1:5432/openbook');
 * const answer = await engine.ask('What does HyDE generate before it retrieves?');
 * await engine.close();
 * ```
 */
import type { Analyzer } from '../analysis/analyzer.js';
import { contentQuery } from '../analysis/question-words.js';
import { CapabilityError } from '../core/errors.js';
import { toFilter } from '../core/filter.js';
import { mulberry32 } from '../core/random.js';
import type { Hit, TraceStep } from '../core/types.js';
import { extractiveAnswer } from '../generate/extractive.js';
import { answerWithLlm } from '../generate/llm-answer.js';
import { PgStore, type PgStoreReader } from '../index/pg/store.js';
import { getMethod, runMethod } from '../methods/registry.js';
import { withRetrievalSetting } from '../methods/retrieval.js';
import { parseContextMode, withContext } from '../retrieve/context.js';
import { hitFromChunk } from '../retrieve/hit.js';
import { idfLucene } from '../index/sparse/similarity.js';
import { PgDenseRetriever, PgSparseRetriever, pgContextSource } from '../retrieve/pg.js';
import type { Retriever } from '../retrieve/types.js';
import { askRetrieval, asksBm25, checkOnce, hybridRetriever, rerankStage, type AskOptions, type EngineAnswer, type EngineModels, type SearchOptions } from './engine.js';

export class PgEngine {
  readonly analyzer: Analyzer;

  private constructor(
    readonly store: PgStore,
    readonly reader: PgStoreReader,
    readonly models: EngineModels,
  ) {
    this.analyzer = reader.analyzer;
  }

  /** Connects to the store at `url`. Throws IndexNotFoundError when it has no index. */
  static async open(url: string, models: EngineModels = {}): Promise<PgEngine> {
    const store = PgStore.connect(url);
    try {
      return new PgEngine(store, await store.reader(), models);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /**
   * The metadata fields of `docId` (`Document.meta`) as read with its chunks by the search that
   * returned them (`PgStoreReader.documentMeta`), or undefined; what `search --json` and
   * `GET /v1/search` put in each hit's `meta`, as {@link Engine.documentMeta} does.
   */
  documentMeta(docId: string): Record<string, string | number | boolean | string[]> | undefined {
    return this.reader.documentMeta(docId);
  }

  /** Whether `index --embed --store` has stored passage vectors. */
  async hasVectors(): Promise<boolean> {
    return this.reader.embeddingModel().then(
      () => true,
      (err: unknown) => {
        if (err instanceof CapabilityError) return false;
        throw err;
      },
    );
  }

  sparseRetriever(o: SearchOptions = {}): PgSparseRetriever {
    o = checkOnce(o);
    return new PgSparseRetriever(this.reader, { similarity: o.similarity ?? 'bm25', k1: o.k1, b: o.b, delta: o.delta, ...(o.filter !== undefined ? { filter: o.filter } : {}) });
  }

  denseRetriever(o: Pick<SearchOptions, 'filter'> = {}): PgDenseRetriever {
    const embedder = this.models.embedder;
    if (!embedder) throw new CapabilityError('dense retrieval needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR');
    return new PgDenseRetriever(this.reader, embedder, o.filter !== undefined ? { filter: o.filter } : {});
  }

  /** The retriever `o.retriever` names, with the rerank stage over it when `o.rerank` is set (as {@link Engine.retriever}). */
  async retriever(o: SearchOptions = {}): Promise<Retriever> {
    o = checkOnce(o);
    const mode = o.context === undefined ? undefined : typeof o.context === 'string' ? parseContextMode(o.context) : o.context;
    const ranked = rerankStage(await this.firstStageRetriever(o), o, this.models.reranker);
    return mode ? withContext(ranked, pgContextSource(this.reader), this.analyzer, mode) : ranked;
  }

  private async firstStageRetriever(o: SearchOptions): Promise<Retriever> {
    if (o.prior !== undefined) throw new CapabilityError('--prior pagerank reads the link graph of an embedded index; the PostgreSQL store has none yet');
    const kind = o.retriever ?? 'bm25';
    if (kind === 'bm25') return this.sparseRetriever(o);
    const dense = this.denseRetriever(o);
    if (kind === 'dense') return dense;
    return hybridRetriever(this.sparseRetriever(o), dense, o);
  }

  async search(query: string, o: SearchOptions = {}): Promise<Hit[]> {
    return (await this.retriever(o)).retrieve(query, o.topK ?? 10, o.signal);
  }

  /** As {@link Engine.ask}: `retrieval` (RetRobust's noisy settings) applies to a method's retriever; `random` draws the embedded index's passages for the same seed. */
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
      getMethod(o.method);
      if (!llm) throw new CapabilityError(`method ${o.method} needs a language model: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL (see \`openbook config\`)`);
      let retriever: Pick<Retriever, 'retrieve'> = await this.retriever(o);
      if (o.retrieval && o.retrieval !== 'top') {
        const filter = o.filter !== undefined ? toFilter(o.filter) : undefined;
        retriever = withRetrievalSetting(retriever, o.retrieval, {
          rng: mulberry32(o.seed ?? 7),
          randomPassages: async (count, rng) => (await this.reader.randomChunks(count, rng, filter)).map((c, k) => hitFromChunk(c, 0, k + 1)),
        });
      }
      const dense = this.models.embedder ? this.denseRetriever(o) : undefined;
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
          ...(this.models.nli ? { nli: this.models.nli } : {}),
          ...(dense ? { denseSearch: async (v: Float32Array, k: number) => dense.searchVector(v, k) } : {}),
        },
        o.params ?? {},
      );
      return rerankSteps.length > 0 ? { ...r, trace: [...rerankSteps, ...(r.trace ?? [])] } : r;
    }
    const retriever = await this.retriever(o);
    // The same retrieval as the embedded index's `ask` (Engine.askQuery, askRetrieval).
    const bm25 = asksBm25(o);
    const query = bm25 ? contentQuery(question) : question;
    const idfs = async (terms: string[]) => {
      const [df, { docCount }] = await Promise.all([this.reader.docFreqs(terms), this.reader.counts()]);
      return (term: string) => idfLucene(df.get(term) ?? 0, docCount);
    };
    const phrase = bm25 ? { analyzer: this.analyzer, titleTerms: this.reader.config.titleTerms === true, idfs } : undefined;
    const { hits, retrieveStep, phraseStep } = await askRetrieval(retriever, query, topK, phrase, o.signal);
    if (phraseStep) rerankSteps.unshift(phraseStep);
    if (llm && !o.extractive) {
      const a = await answerWithLlm({ llm, question, hits, ...(this.models.templates ? { templates: this.models.templates } : {}), ...(o.onToken ? { onToken: o.onToken } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      return { ...a, trace: [retrieveStep, ...rerankSteps, { kind: 'generate', name: 'answer with citations', input: a.prompt, output: a.rawAnswer, usage: a.usage, durationMs: a.latencyMs }] };
    }
    // The extractive answerer asks for document frequencies synchronously: fetch every term it can ask about in one query.
    const scoring = Date.now();
    const terms = new Set(this.analyzer.analyze(question));
    for (const h of hits) for (const t of this.analyzer.analyze(h.text)) terms.add(t);
    const df = await this.reader.docFreqs([...terms]);
    const counts = await this.reader.counts();
    const ex = extractiveAnswer(question, hits, this.analyzer, { numDocs: counts.docCount, docFreq: (t) => df.get(t) ?? 0 }, o.extractiveOptions);
    const scoreStep: TraceStep = {
      kind: 'score',
      name: 'sentence scoring',
      output: ex.candidates.slice(0, 5).map((c) => ({ chunkId: hits[c.hitIndex].chunkId, text: c.text, score: c.score, coverage: c.coverage })),
      durationMs: Date.now() - scoring,
    };
    return { question, answer: ex.answer, citations: ex.citations, hits, method: 'extractive', trace: [retrieveStep, ...rerankSteps, scoreStep] };
  }

  /** As {@link Engine.highlightSpans}. */
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
