export * from "./core/types.js";
export * from "./core/errors.js";
export type { Analyzer, Token } from "./analysis/analyzer.js";
export { getAnalyzer, analyzerNames } from "./analysis/registry.js";
