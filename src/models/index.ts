/** Models: the LanguageModel/Embedder contracts, the OpenAI-compatible providers, retries and the response cache. */
export * from './types.js';
export * from './retry.js';
export * from './openai-compatible.js';
export * from './openai-embedder.js';
export * from './cache.js';
export * from './from-config.js';
export * from './capability-store.js';
export * from './local-embedder.js';
export * from './local-lm.js';
export * from './sequence-classifier.js';
export * from './yes-no.js';
export * from './nli.js';
