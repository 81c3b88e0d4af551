// `node scripts/bundle-cli.mjs [--dist dist]` (part of `npm run build`, after tsc): bundles the
// `openbook` command so that a start reads a few files instead of one per module.
//
// Why: Node 20 resolves, reads and compiles every ES module on its own, and `openbook search`
// loaded 85 files (60 of ours, commander's 8); its module loading was most of the start-up above
// `node -e 0` (#13 item 3). Node 20 has no compile cache for ES modules (module.enableCompileCache
// is Node ≥ 22.1; v8-compile-cache hooks only CommonJS `require`), so fewer files is what is left.
//
// What: esbuild bundles src/cli/main.ts into <dist>/cli/bundle/ — main.js plus one chunk per part
// that is imported lazily (each command, the engine's optional stages), so a command still loads
// only what it uses — with commander and picocolors inside; every other package stays external and
// is resolved from node_modules at run time, as from the unbundled build. <dist>/cli/main.js (the
// `bin`) becomes a two-line entry importing the bundle. One bundle of everything without chunks was
// tried and is slower: 1.1 MB compiled at every start (search ~300 ms CPU against ~190 unbundled).
//
// `import.meta.url`: code that finds files next to itself (worker modules, the web page's static
// files, createRequire for native and CommonJS packages, package.json) gets the URL of its own tsc
// build — `new URL('<file>.js', __obDist)`, with `__obDist` the dist folder from the banner — so the
// bundle runs beside the unbundled dist/ that the library and the workers use.
import { build } from 'esbuild';
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
  plugins: [
    {
      name: 'openbook-cli',
      setup(b) {
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
    },
  ],
});

await writeFile(path.join(dist, 'cli', 'main.js'), "#!/usr/bin/env node\n// The openbook command, bundled by scripts/bundle-cli.mjs (the unbundled build is beside it).\nimport './bundle/main.js';\n");
