/** Configuration: the shared schema and the layered resolver (defaults ← file ← env ← flags). */
export * from './schema.js';
export * from './resolve.js';
export * from './options.js';
