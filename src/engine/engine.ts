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
import type { Analyzer } from '../analysis/analyzer.js';
import { getAnalyzer } from '../analysis/registry.js';
import { InvalidParameterError } from '../core/errors.js';
import type { Answer, Hit } from '../core/types.js';
import { extractiveAnswer, type ExtractiveOptions } from '../generate/extractive.js';
import { IndexReader, similarityNames, type SimilarityName } from '../index/index.js';
import { SparseRetriever } from '../retrieve/sparse.js';
import type { Retriever } from '../retrieve/types.js';

export interface SearchOptions {
  /** Number of hits, ≥ 1. Default 10. */
  topK?: number;
  /** Scoring function (default `bm25`, Lucene's BM25Similarity). */
  similarity?: SimilarityName;
  /** BM25 k1 ≥ 0 (default 0.9), b ∈ [0, 1] (default 0.4), δ ≥ 0 for BM25L/BM25+. */
  k1?: number;
  b?: number;
  delta?: number;
  signal?: AbortSignal;
}

export interface AskOptions extends SearchOptions {
  extractive?: ExtractiveOptions;
}

/** Validates retrieval parameters; throws InvalidParameterError naming the bad one. */
export function checkSearchOptions(o: SearchOptions): void {
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1)) throw new InvalidParameterError(`topK must be an integer ≥ 1, got ${o.topK}`);
  if (o.similarity !== undefined && !similarityNames.includes(o.similarity))
    throw new InvalidParameterError(`unknown similarity ${JSON.stringify(o.similarity)}; valid: ${similarityNames.join(', ')}`);
  if (o.k1 !== undefined && !(o.k1 >= 0)) throw new InvalidParameterError(`k1 must be ≥ 0, got ${o.k1}`);
  if (o.b !== undefined && !(o.b >= 0 && o.b <= 1)) throw new InvalidParameterError(`b must be in [0, 1], got ${o.b}`);
  if (o.delta !== undefined && !(o.delta >= 0)) throw new InvalidParameterError(`delta must be ≥ 0, got ${o.delta}`);
}

export class Engine {
  readonly analyzer: Analyzer;

  private constructor(
    readonly reader: IndexReader,
    readonly dir: string,
  ) {
    this.analyzer = getAnalyzer(reader.config.analyzer);
  }

  /** Opens the last committed index in `dir`. Throws IndexNotFoundError / IndexFormatError. */
  static async open(dir: string): Promise<Engine> {
    return new Engine(await IndexReader.open(dir), dir);
  }

  /** A sparse retriever with the given scoring parameters. */
  sparseRetriever(o: SearchOptions = {}): Retriever {
    checkSearchOptions(o);
    return new SparseRetriever(this.reader, { similarity: o.similarity ?? 'bm25', k1: o.k1, b: o.b, delta: o.delta });
  }

  /** Ranked chunks for `query`, best first. */
  async search(query: string, o: SearchOptions = {}): Promise<Hit[]> {
    return this.sparseRetriever(o).retrieve(query, o.topK ?? 10, o.signal);
  }

  /** The offline extractive answer with citations over the top `topK` (default 5) hits. */
  async ask(question: string, o: AskOptions = {}): Promise<Answer> {
    const started = Date.now();
    const hits = await this.search(question, { ...o, topK: o.topK ?? 5 });
    const stats = this.reader.stats();
    const ex = extractiveAnswer(question, hits, this.analyzer, { numDocs: stats.numChunks, docFreq: (t) => this.reader.docFreq(t) }, o.extractive);
    return {
      question,
      answer: ex.answer,
      citations: ex.citations,
      hits,
      method: 'extractive',
      trace: [
        { kind: 'retrieve', name: 'BM25 top-k', input: { query: question, topK: o.topK ?? 5 }, output: hits.map((h) => h.chunkId), durationMs: 0 },
        {
          kind: 'score',
          name: 'sentence scoring',
          output: ex.candidates.slice(0, 5).map((c) => ({ chunkId: hits[c.hitIndex].chunkId, text: c.text, score: c.score, coverage: c.coverage })),
          durationMs: Date.now() - started,
        },
      ],
    };
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
