/**
 * openbook as a library. The stages in import order; each barrel exports its public API.
 *
 * ```ts
 * import { Engine, indexPaths } from 'openbook';
 * await indexPaths({ indexDir: '.openbook', paths: ['docs'], cwd: process.cwd(), now: Date.now });
 * const engine = await Engine.open('.openbook');
 * const answer = await engine.ask('What does HyDE generate before it retrieves?');
 * ```
 */
export * from './core/types.js';
export * from './core/errors.js';
export * from './config/index.js';
export type { Analyzer, Token } from './analysis/analyzer.js';
export { getAnalyzer, analyzerNames } from './analysis/registry.js';
export { splitSentences, type SentenceSpan } from './analysis/sentences.js';
export * from './ingest/index.js';
export * from './index/index.js';
export * as dense from './index/dense/index.js';
export * from './models/index.js';
export * from './retrieve/index.js';
export { extractiveAnswer, notFoundMessage, type ExtractiveAnswer, type ExtractiveOptions, type TermStatistics } from './generate/extractive.js';
export { answerWithLlm } from './generate/llm-answer.js';
export { loadTemplates, DEFAULT_TEMPLATES, type TemplateSet } from './generate/prompts.js';
export * as methods from './methods/index.js';
export { mulberry32 } from './core/random.js';
export { locatorOf, locatorLabel, lineAt } from './core/locator.js';
export { Engine, retrieverKinds, type AskOptions, type EngineAnswer, type EngineModels, type RetrieverKind, type SearchOptions } from './engine/engine.js';
export { indexPaths, type IndexOptions, type IndexProgress, type IndexSummary } from './engine/indexer.js';
export { embedIndex, type EmbedOptions, type EmbedSummary } from './engine/embed.js';
export { evaluateRun, evaluateQuery, parseMetric, trecEvalOrder, defaultRetrievalMetrics, type Evaluation, type MetricSpec } from './eval/metrics.js';
export { exactMatch, answerF1, scoreAnswer, normalizeSquadAnswer, normalizeKorquadAnswer, type AnswerMetric } from './eval/qa-metrics.js';
export * as datasets from './eval/loaders/index.js';
export { evaluateRetrieval, type RetrievalEvalOptions, type RetrievalEvalResult } from './eval/retrieval.js';
export { openEvalEngine, runRetrieverQueries, type EvalRetrieverConfig } from './eval/engine-runner.js';
export { evaluateQaMethods, comparableMethodNames, type QaMethodsEvalOptions, type QaMethodsResult, type QaMethodRecord } from './eval/methods.js';
