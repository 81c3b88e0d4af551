/** Training-data builders (RAFT, RetRobust, ATM, REPLUG-LSR): JSONL for trainers outside TypeScript. */
export * from './common.js';
export * from './raft.js';
export * from './retrobust.js';
export * from './atm.js';
export * from './replug-lsr.js';
