export * from './common.js';
export * from './trec.js';
export * from './beir.js';
export * from './squad.js';
export * from './hotpotqa.js';
