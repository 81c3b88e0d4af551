/**
 * `import(specifier)` of an installed package loaded on first use (PDF.js, the OpenAI SDK, the
 * local model runtime), the one place the program imports a package dynamically.
 *
 * Why one place: the CLI's CommonJS bundle (scripts/bundle-cli.mjs, compiled by `vm.Script` with a
 * code cache in cli/code-cache.ts) replaces this module with one that calls `import()` of the ES
 * module that started it, so the bundle itself holds no `import()` (on Node 20 a script compiled by
 * `vm.Script` can only import through the experimental, warning `USE_MAIN_CONTEXT_DEFAULT_LOADER`).
 */
export function importPackage<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
