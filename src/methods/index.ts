/** The RAG methods of the notes, by name, with their shared machinery. */
export type { Method, MethodContext, MethodResult, NliModel, Retriever as MethodRetriever } from './method.js';
export { Tracer } from './method.js';
export { getMethod, methodNames, methods, runMethod, checkParams } from './registry.js';
export { formatTrace, type FormatTraceOptions } from './format.js';
export { comparisonTable, recallOf, runMethodsOnQa, tracesJsonl, writeTracesJsonl, type AnswerScorer, type MethodSpec, type MethodSummary, type QaItem, type TraceRecord } from './compare.js';
export { retrievalSettings, withRetrievalSetting, type RetrievalSetting, type RetrievalSettingOptions } from './retrieval.js';
export { argmax, logMixture, logSumExp, majorityVote, meanLogprob, mixNextToken, softmax, stepBeams, type Beam, type MixedToken, type TokenAlternative } from './prob.js';
export { citeAnswer, formatPassage, formatPassages } from './cite.js';
export { stripMarkers } from '../generate/citations.js';
export { methodPrompts, renderPrompt, type MethodPromptName } from './prompts.js';
export { KnowledgeGraph, loadKnowledgeGraph, parseKnowledgeGraph, renderPath, type ReasoningPath, type TopicEntity, type Triple } from './kg.js';
