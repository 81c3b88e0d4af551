/**
 * Runs the bundled `openbook` command (one CommonJS file, built by scripts/bundle-cli.mjs, which
 * bundles this file into the `bin`, dist/cli/main.js) with a
 * V8 code cache, so that a start deserialises the compiled code of the last run instead of
 * parsing and compiling the bundle again (#13 item 3, "instant CLI").
 *
 * Why by hand: Node 20 has no compile cache (`module.enableCompileCache` is Node ≥ 22.1) and
 * cannot give an ES module cached data without `--experimental-vm-modules`. A script compiled by
 * `vm.Script` can: the bundle's source, wrapped as CommonJS wraps a file, is compiled with the
 * cached data of an earlier run (`cachedData`), and when there was none, or V8 rejected it (another
 * Node, other V8 flags), the code compiled by this run is written at exit (`createCachedData`),
 * functions compiled lazily while the command ran included. The bundle has no `import()` of its
 * own (such a script could import only through the experimental `USE_MAIN_CONTEXT_DEFAULT_LOADER`,
 * which prints a warning): the packages it loads on first use come through `importPackage`
 * (core/import-package.ts), which the bundle gets from its ES-module entry as `__obImport`.
 *
 * Where: `$OPENBOOK_COMPILE_CACHE`, else `<os.tmpdir()>/openbook-compile-cache-<uid>` — as Node
 * 22's compile cache defaults to the temporary folder. One file per bundle (the build's content
 * hash: V8 itself checks only the source's length), Node version, architecture and command
 * (`search` and `ask` compile different functions). The folder must be a folder of this user that
 * no one else may write to. With no usable folder — `OPENBOOK_COMPILE_CACHE=off` (or Node's
 * `NODE_DISABLE_COMPILE_CACHE=1`), or one of another user — `runBundle` runs nothing and returns
 * false: the caller imports the ES-module bundle, whose chunks start faster than the one file
 * compiled without a cache. A cache that cannot be read or written costs the compile it would
 * have saved. Writing a command's cache removes that command's files of other builds and Node versions
 * not written for a day (`pruneStale`).
 *
 * Loads built-ins through `require` (an ES `import` of `node:fs` builds its whole export facade).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface BundleOptions {
  /** The bundle's content hash (from the build), part of the cache file's name. */
  hash: string;
  /** The command the cache is for (`cacheName`). */
  name: string;
  /** `(specifier) => import(specifier)` of the ES module that runs the bundle: the bundle's `importPackage`. */
  importPackage: (specifier: string) => Promise<unknown>;
  env?: NodeJS.ProcessEnv;
}

/** The cache folder, or undefined when the cache is off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.OPENBOOK_COMPILE_CACHE;
  if (set !== undefined && ['off', '0', 'false', 'no'].includes(set.toLowerCase())) return undefined;
  if (env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  if (set) return set;
  const os = require('node:os') as typeof import('node:os');
  const path = require('node:path') as typeof import('node:path');
  return path.join(os.tmpdir(), `openbook-compile-cache-${process.getuid?.() ?? 'user'}`);
}

/**
 * The command a command line runs, as `registerCommands` reads it (`openbook --debug search x` →
 * search; `help ask` → ask; `--version` → version, which loads no command), or `main` when it
 * names none of `commands`: its cache and its bundle.
 */
export function cacheName(args: readonly string[], commands: readonly string[]): string {
  const rest = args.filter((a) => a !== '--debug');
  const name = rest[0] === 'help' ? rest[1] : rest[0];
  if (name === '--version' || name === '-V') return 'version'; // registers no command
  return name !== undefined && commands.includes(name) ? name : 'main';
}

/** Creates `dir` (0700) and says whether it is safe to keep code in: a folder of this user that only this user may write to. */
function privateDir(dir: string): boolean {
  const fs = require('node:fs') as typeof import('node:fs');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || (st.mode & 0o022) !== 0) return false;
    const uid = process.getuid?.();
    return uid === undefined || st.uid === uid;
  } catch {
    return false;
  }
}

/** How long another build's cache of the same command stays after its last write: a day. */
const STALE_MS = 24 * 3600 * 1000;

/**
 * Removes, from the cache folder, the cache files (`*.cache`, and the `*.tmp` a killed run leaves)
 * of `command` for other builds and Node versions last written more than a day ago; `current`
 * stays, and so do other commands' files (a cache in use is read, not rewritten, so its age says
 * nothing about whether it is used). Runs only when a cache is written (a new build, or a first
 * run), so upgrades do not pile files up, and two installs of different builds sharing the folder
 * recompile each other's command at most once a day. Errors are ignored (another process may remove the same file).
 */
function pruneStale(dir: string, current: string, command: string): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const now = Date.now();
  const mine = new RegExp(`-${command}\\.cache(\\.\\d+\\.tmp)?$`);
  for (const name of fs.readdirSync(dir)) {
    if (name === current || !/\.(cache|tmp)$/.test(name)) continue;
    try {
      const file = path.join(dir, name);
      if (now - fs.lstatSync(file).mtimeMs > STALE_MS && mine.test(name)) fs.rmSync(file, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/**
 * Runs the CommonJS bundle (a path or file URL) with the code cache. Returns false, having run
 * nothing, when there is no cache folder to use.
 */
export function runBundle(bundle: string | URL, o: BundleOptions): boolean {
  const dir = cacheDir(o.env);
  if (dir === undefined || !privateDir(dir)) return false;
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const vm = require('node:vm') as typeof import('node:vm');
  const Module = require('node:module') as typeof import('node:module');
  const file = typeof bundle === 'string' ? bundle : (require('node:url') as typeof import('node:url')).fileURLToPath(bundle);

  const cacheFile = path.join(dir, `${o.hash}-${process.version}-${process.arch}-${o.name}.cache`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // no cache yet (or unreadable): compile, and write one at exit
  }
  // CommonJS's wrapper, and the bundle's import() as a sixth argument
  const source = `(function (exports, require, module, __filename, __dirname, __obImport) { ${fs.readFileSync(file, 'utf8')}\n})`;
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
        pruneStale(dir, path.basename(cacheFile), o.name);
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // nothing to clean
        }
      }
    });
  }
  const bundleRequire = Module.createRequire(file);
  const mod = { exports: {}, filename: file, id: file, loaded: false, require: bundleRequire };
  type Wrapped = (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string, importPackage: BundleOptions['importPackage']) => void;
  (script.runInThisContext() as Wrapped)(mod.exports, bundleRequire, mod, file, path.dirname(file), o.importPackage);
  return true;
}
