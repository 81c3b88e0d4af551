// `node scripts/bundle-cli.mjs [--dist dist]` (part of `npm run build`, after tsc): bundles the
// `openbook` command so that a start reads a few files instead of one per module.
//
// Why: Node 20 resolves, reads and compiles every ES module on its own, and `openbook search`
// loaded 85 files (60 of ours, commander's 8); its module loading was most of the start-up above
// `node -e 0` (#13 item 3). Node 20 has no compile cache for ES modules (module.enableCompileCache
// is Node ≥ 22.1; an ES module takes no cached data without --experimental-vm-modules).
//
// What: esbuild bundles src/cli/main.ts twice into <dist>/cli/bundle/, with commander and
// picocolors inside; every other package stays external and is resolved from node_modules at run
// time, as from the unbundled build.
// - cli.cjs: the whole program as one CommonJS file, which <dist>/cli/main.js (the `bin`) runs
//   through src/cli/code-cache.ts (bundled into main.js): compiled with the V8 code
//   cache of the command's last run, so a start deserialises instead of parsing and compiling.
//   Lazily imported parts are functions that run on import(); V8 compiles a function when it first
//   runs, and the cache holds what the command compiled. Without a cache (first run, another Node)
//   it is as fast as the chunks below: the cache is the gain (search ~100 → ~80 ms CPU).
//   cli-search.cjs and cli-ask.cjs hold one command each (0.8 MB to read and a smaller cache),
//   cli-version.cjs none (`--version`: commander alone, 0.13 MB).
//   The packages a command loads on first use come through src/core/import-package.ts, which the
//   bundle gets from main.js (a script compiled by vm.Script has no import() of its own on Node 20).
// - main.js plus one chunk per lazily imported part (each command, the engine's optional stages):
//   what main.js imports instead when there is no cache folder to use (OPENBOOK_COMPILE_CACHE=off):
//   without a cache these chunks start faster than the one file.
// One ES-module bundle of everything without chunks was tried and is slower: 1.1 MB compiled at
// every start (search ~300 ms CPU against ~190 unbundled).
// Commander requires node:child_process at load (for executable subcommands, which openbook has
// none of); a shim loads it on first use.
//
// `import.meta.url`: code that finds files next to itself (worker modules, the web page's static
// files, createRequire for native and CommonJS packages, package.json) gets the URL of its own tsc
// build — `new URL('<file>.js', __obDist)`, with `__obDist` the dist folder from the banner — so the
// bundle runs beside the unbundled dist/ that the library and the workers use.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
/** Packages bundled in: small, and loaded by every command. The rest stay external. */
const BUNDLED_PACKAGES = new Set(['commander', 'picocolors']);

const { values } = parseArgs({ options: { dist: { type: 'string', default: path.join(ROOT, 'dist') } } });
const dist = path.resolve(values.dist);
const outdir = path.join(dist, 'cli', 'bundle');
await rm(outdir, { recursive: true, force: true });

const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** Node's `child_process`, loaded on first use: commander requires it at load time (for executable subcommands, which openbook has none of) and it pulls in net and streams (~2–4 ms a start). */
const LAZY_CHILD_PROCESS = "let cp;\nmodule.exports = new Proxy({}, { get(_, key) { cp ??= require('node:child_process'); return cp[key]; } });\n";

/** Externals, the commander shim, and each source file's `import.meta.url` as the URL of its tsc build. */
const openbookPlugin = {
  name: 'openbook-cli',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`) ? { path: 'lazy-child-process', namespace: 'openbook-shim' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'openbook-shim' }, () => ({ contents: LAZY_CHILD_PROCESS, loader: 'js', resolveDir: ROOT }));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || !BUNDLED_PACKAGES.has(packageName(args.path))) return { path: args.path, external: true };
      return undefined;
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(SRC + path.sep)) return undefined;
      const own = path.relative(SRC, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, __obDist).href`), loader: 'ts' };
    });
  },
};

// The ES-module bundle with one chunk per lazily imported part: what main.js imports when there
// is no code cache folder to use.
await build({
  absWorkingDir: ROOT,
  entryPoints: [path.join(SRC, 'cli', 'main.ts')],
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // every chunk sits in <dist>/cli/bundle/, so the dist folder is two levels up from each; the
  // bundled CommonJS (commander) calls `require` for Node's built-ins
  banner: {
    js: "import { createRequire as __obCreateRequire } from 'node:module';\nconst __obDist = new URL('../../', import.meta.url);\nconst require = __obCreateRequire(import.meta.url);",
  },
  plugins: [openbookPlugin],
});

// The same program as one CommonJS file, which cli/code-cache.ts compiles with a V8 code cache
// (an ES module cannot be given cached data on Node 20) — and, for the commands whose start-up
// is measured (SOLO), a file holding that command alone (the COMMANDS of src/cli/commands/all.ts
// cut to it): a smaller file to read and a smaller cache to deserialise (search 1.3 → 0.8 MB).
// Lazily imported parts are functions in it that run on import(); V8 compiles a function only when
// it first runs, and the cache holds what a command compiled. (`--version` gets one with no command.)
const SOLO = ['search', 'ask'];
const ALL_TS = path.join(SRC, 'cli', 'commands', 'all.ts');
const allText = await readFile(ALL_TS, 'utf8');
const COMMAND_LINE = /^\s+'?([a-z][a-z-]*)'?: \(\) => import\(.*\n/gm;
// the commands with a cache of their own: the keys of COMMANDS
const commands = [...allText.matchAll(COMMAND_LINE)].map((m) => m[1]);
for (const c of SOLO) if (!commands.includes(c)) throw new Error(`bundle-cli: no command ${c} in ${ALL_TS}`);

/** Builds the CommonJS bundle `name` (`cli.cjs`, or `cli-<command>.cjs` with only that command, none for ''); returns its content hash. */
async function buildCjs(name, only) {
  const file = path.join(outdir, name);
  const cjsPlugin = {
    name: 'openbook-cjs',
    setup(b) {
      // import() of a package goes to the ES-module entry (cli/code-cache.ts passes it as __obImport)
      b.onLoad({ filter: /[\\/]core[\\/]import-package\.ts$/ }, () => ({ contents: 'export function importPackage(specifier) { return __obImport(specifier); }\n', loader: 'js' }));
      if (only === undefined) return;
      b.onLoad({ filter: /[\\/]cli[\\/]commands[\\/]all\.ts$/ }, () => ({ contents: allText.replace(COMMAND_LINE, (line, c) => (c === only ? line : '')), loader: 'ts' }));
    },
  };
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(SRC, 'cli', 'main.ts')],
    outfile: file,
    metafile: true,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    // strict mode as the ES modules were (a banner before esbuild's own "use strict" would make that a plain string)
    banner: { js: "'use strict';\nconst __obDist = new URL('../../', require('node:url').pathToFileURL(__filename));" },
    plugins: [cjsPlugin, openbookPlugin],
  });
  const dynamic = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path));
  if (dynamic.length > 0) throw new Error(`bundle-cli: ${name} would import() ${dynamic.join(', ')} itself; load packages through src/core/import-package.ts`);
  // run wrapped as CommonJS wraps a file, where a #! line is not the script's first
  const text = (await readFile(file, 'utf8')).replace(/^#!.*\n/, '');
  await writeFile(file, text);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
const hashes = { main: await buildCjs('cli.cjs') };
for (const c of SOLO) hashes[c] = await buildCjs(`cli-${c}.cjs`, c);
// `openbook --version` registers no command (cacheName → version): commander alone
hashes.version = await buildCjs('cli-version.cjs', '');

// <dist>/cli/main.js, the `bin`: one ES module (the loader of src/cli/code-cache.ts inlined, a
// second module would cost its own resolve and read) that picks the command's bundle and runs it
// with the code cache, else imports the ES-module bundle
await build({
  absWorkingDir: ROOT,
  stdin: {
    contents: `import { cacheName, runBundle } from './cli/code-cache.ts';

const hashes = ${JSON.stringify(hashes)};
const name = cacheName(process.argv.slice(2), ${JSON.stringify(commands)});
const file = Object.hasOwn(hashes, name) && name !== 'main' ? \`./bundle/cli-\${name}.cjs\` : './bundle/cli.cjs';
if (!runBundle(new URL(file, import.meta.url), { hash: hashes[name] ?? hashes.main, name, importPackage: (specifier: string) => import(specifier) })) await import('./bundle/main.js');
`,
    resolveDir: SRC,
    sourcefile: 'openbook-bin.ts',
    loader: 'ts',
  },
  outfile: path.join(dist, 'cli', 'main.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  packages: 'external',
  plugins: [{ name: 'openbook-bin', setup: (b) => b.onResolve({ filter: /^\.\/bundle\// }, (args) => ({ path: args.path, external: true })) }],
  banner: { js: '#!/usr/bin/env node\n// The openbook command, bundled by scripts/bundle-cli.mjs (the unbundled build is beside it):\n// bundle/cli.cjs (or the command\'s own cli-<command>.cjs) run with a V8 code cache\n// (src/cli/code-cache.ts), else the ES-module bundle.' },
});
