/**
 * Finding the files to ingest: files, folders and globs → sorted `WalkEntry`s.
 *
 * Rules:
 *  - A folder is walked recursively. Skipped by default, like a `.gitignore` would:
 *    `node_modules`, `dist`, and every hidden entry (name starting with `.`, which covers
 *    `.git` and `.openbook`). Every `.gitignore` found in a walked folder applies below it, with
 *    git's precedence (a deeper file's rule, including a `!negation`, wins); `.gitignore` files in
 *    the folders between `cwd` and a walked root apply too.
 *  - A glob (`docs/**\/*.md`, `*.{md,txt}`; picomatch syntax) walks its static base folder under
 *    the same rules and keeps the files its pattern matches.
 *  - A file named explicitly is taken even if the defaults or a `.gitignore` would skip it.
 *  - `include` / `exclude` (picomatch globs) are tested against the path relative to `cwd`;
 *    a pattern without a slash is also tested against the base name (`*.md` matches `a/b.md`).
 *    With `include`, a file must match one of them; matching any `exclude` drops it (and a folder
 *    matching an `exclude` is not entered). They apply to explicit files as well.
 *  - Only supported extensions are yielded (see `FORMAT_BY_EXTENSION`); others are skipped,
 *    and an explicitly named unsupported file is reported through `onWarning`.
 *  - Symlinked files are followed; symlinked folders inside a walk are not entered (as git does),
 *    which rules out loops and duplicates.
 *  - With `roots`, every file found is realpath-checked: a file whose real path lies outside
 *    every root (a file symlink pointing out of an allowed folder) is skipped with a warning.
 *  - An entry that cannot be taken (vanished between listing and stat, unlistable sub-folder,
 *    a name that is not valid UTF-8) is reported through `onUnreadable` and skipped.
 *  - Each file is yielded once, in ascending code-unit order of `relPath`.
 */
import type { Dirent, Stats } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from 'ignore';
import { InputFormatError, NotFoundError } from '../core/errors.js';
import type { DocFormat } from '../core/types.js';

// The glob and .gitignore matchers load when a walk needs them, not with the library.
const require = createRequire(import.meta.url);

/** One file found by `walkPaths`. */
export interface WalkEntry {
  /** Absolute path in the platform's form. */
  absPath: string;
  /** Path relative to `cwd`, with `/` separators (may start with `../` when outside cwd). */
  relPath: string;
  sizeBytes: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  format: DocFormat;
}

export interface WalkOptions {
  /** Keep only files matching one of these picomatch globs (relative to cwd). */
  include?: string[];
  /** Drop files (and skip folders) matching any of these picomatch globs. */
  exclude?: string[];
  /** Folder that relative paths, globs and `relPath` are resolved against (default: process cwd). */
  cwd?: string;
  /** Called for an explicitly named file that is skipped ("<path>: unsupported extension …"). */
  onWarning?: (message: string) => void;
  /**
   * Allowed folders (absolute): a file whose real path (symlinks followed) is not inside one of
   * them is skipped with a warning. Unset = no check (the CLI indexes what the user names).
   */
  roots?: string[];
  /** Called instead of `onWarning` for each file skipped by `roots` ("<relPath>: skipped, …"). */
  onOutsideRoots?: (message: string) => void;
  /**
   * Called instead of `onWarning` for each entry of a walked folder that cannot be taken: a file
   * that vanished or cannot be stat'ed between listing and reading, a sub-folder that cannot be
   * listed, a name that is not valid UTF-8 ("docs/bad\xFF.md: skipped, the file name is not valid
   * UTF-8 (rename it to index it)"). The walk goes on.
   */
  onUnreadable?: (message: string) => void;
}

/** Lower-case extension (with the dot) → format. */
export const FORMAT_BY_EXTENSION: Readonly<Record<string, DocFormat>> = Object.freeze({
  '.txt': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.jsonl': 'jsonl',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.xlsx': 'xlsx',
  '.pptx': 'pptx',
  '.hwpx': 'hwpx',
  '.hwp': 'hwp',
  '.epub': 'epub',
});

/** Folder names skipped by default (hidden names are skipped too). */
export const DEFAULT_EXCLUDED_DIRS: readonly string[] = Object.freeze(['node_modules', 'dist', '.git', '.openbook']);

/** The format of `filePath` by its extension, or undefined when unsupported. */
export function formatOf(filePath: string): DocFormat | undefined {
  return FORMAT_BY_EXTENSION[path.extname(filePath).toLowerCase()];
}

const toPosix = (p: string) => (path.sep === '/' ? p : p.split(path.sep).join('/'));

/**
 * A matcher for `--include`/`--exclude` patterns against a cwd-relative POSIX path: patterns with a
 * slash match the whole path, patterns without one match the whole path or its base name.
 * (picomatch's own `basename` option stops slash patterns from matching, so the two are split.)
 */
function compileFilter(patterns: string[] | undefined): ((relPath: string) => boolean) | null {
  if (!patterns || patterns.length === 0) return null;
  const withSlash = patterns.filter((p) => p.includes('/'));
  const bare = patterns.filter((p) => !p.includes('/'));
  const picomatch = require('picomatch') as typeof import('picomatch');
  const whole = withSlash.length > 0 ? picomatch(withSlash, { dot: true }) : () => false;
  const base = bare.length > 0 ? picomatch(bare, { dot: true }) : () => false;
  return (relPath) => whole(relPath) || base(relPath) || base(relPath.slice(relPath.lastIndexOf('/') + 1));
}

/** Whether absolute `p` equals `root` or lies below it. */
function isInside(root: string, p: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (r !== '..' && !r.startsWith('..' + path.sep) && !path.isAbsolute(r));
}

interface IgnoreLevel {
  /** Absolute folder the `.gitignore` sits in. */
  dir: string;
  ig: Ignore;
}

/**
 * Walk `paths` (files, folders or globs) and yield the supported files, sorted by `relPath`.
 *
 * @throws NotFoundError naming a path that does not exist (a glob's base folder included)
 * @throws InputFormatError when a `.gitignore` cannot be read
 */
export async function* walkPaths(paths: string[], opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const include = compileFilter(opts.include);
  const exclude = compileFilter(opts.exclude);
  const rel = (abs: string) => toPosix(path.relative(cwd, abs)) || '.';
  const found = new Map<string, WalkEntry>();
  const gitignoreCache = new Map<string, Ignore | null>();

  const loadGitignore = async (dir: string): Promise<Ignore | null> => {
    if (gitignoreCache.has(dir)) return gitignoreCache.get(dir) ?? null;
    const file = path.join(dir, '.gitignore');
    let ig: Ignore | null = null;
    try {
      ig = (require('ignore') as typeof import('ignore'))().add(await readFile(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new InputFormatError(`${rel(file)}: cannot read .gitignore (${code ?? String(err)})`, { cause: err });
      }
    }
    gitignoreCache.set(dir, ig);
    return ig;
  };

  /** Is `abs` (a file, or a folder when isDir) ignored by the .gitignore levels in force? */
  const gitIgnored = (levels: IgnoreLevel[], abs: string, isDir: boolean): boolean => {
    for (let i = levels.length - 1; i >= 0; i--) {
      const r = toPosix(path.relative(levels[i].dir, abs)) + (isDir ? '/' : '');
      const res = levels[i].ig.test(r);
      if (res.unignored) return false;
      if (res.ignored) return true;
    }
    return false;
  };

  const passesFilters = (relPath: string): boolean =>
    (include === null || include(relPath)) && (exclude === null || !exclude(relPath));

  let realRoots: string[] | null = null;
  const insideRoots = async (abs: string): Promise<boolean> => {
    if (!opts.roots) return true;
    realRoots ??= (await Promise.all(opts.roots.map((r) => realpath(r).catch(() => null)))).filter((r): r is string => r !== null);
    let real: string;
    try {
      real = await realpath(abs);
    } catch {
      return false; // vanished or dangling: nothing to read inside the roots
    }
    return realRoots.some((root) => isInside(root, real));
  };

  const add = async (abs: string, st: Stats, format: DocFormat) => {
    if (found.has(abs)) return;
    if (!(await insideRoots(abs))) {
      const message = `${rel(abs)}: skipped, its real path is outside the allowed roots (a symlink?)`;
      if (opts.onOutsideRoots) opts.onOutsideRoots(message);
      else opts.onWarning?.(message);
      return;
    }
    found.set(abs, { absPath: abs, relPath: rel(abs), sizeBytes: st.size, mtimeMs: st.mtimeMs, format });
  };

  const unreadable = (message: string) => (opts.onUnreadable ?? opts.onWarning)?.(message);

  const walkDir = async (dir: string, levels: IgnoreLevel[], match: ((abs: string) => boolean) | null, top: boolean): Promise<void> => {
    const ig = await loadGitignore(dir);
    const here = ig ? [...levels, { dir, ig }] : levels;
    let raw: Dirent<Buffer>[];
    try {
      raw = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const why = `cannot list folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
      if (top) throw new NotFoundError(`${rel(dir)}: ${why}`);
      unreadable(`${rel(dir)}: skipped, ${why}`);
      return;
    }
    const dirents: Array<{ d: Dirent<Buffer>; name: string }> = [];
    for (const d of raw) {
      const name = d.name.toString('utf8');
      if (name.startsWith('.') || DEFAULT_EXCLUDED_DIRS.includes(name)) continue;
      if (!Buffer.from(name, 'utf8').equals(d.name)) {
        // Not valid UTF-8: the decoded name (with U+FFFD) names no file, so it cannot be opened.
        if (d.isDirectory() || formatOf(name) !== undefined) {
          unreadable(`${rel(dir) === '.' ? '' : rel(dir) + '/'}${escapeName(d.name)}: skipped, the file name is not valid UTF-8 (rename it to index it)`);
        }
        continue;
      }
      dirents.push({ d, name });
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { d, name } of dirents) {
      const abs = path.join(dir, name);
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      let st: Stats | undefined;
      if (d.isSymbolicLink()) {
        try {
          st = await stat(abs);
        } catch {
          continue; // a dangling link is not a file to read
        }
        isDir = false; // like git, a symlinked folder is not entered (no loops, no duplicates)
        isFile = st.isFile();
      }
      const r = rel(abs);
      if (isDir) {
        if (gitIgnored(here, abs, true) || (exclude !== null && exclude(r))) continue;
        await walkDir(abs, here, match, false);
      } else if (isFile) {
        const format = formatOf(name);
        if (format === undefined || gitIgnored(here, abs, false) || !passesFilters(r)) continue;
        if (match !== null && !match(abs)) continue;
        if (st === undefined) {
          try {
            st = await stat(abs);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            unreadable(code === 'ENOENT' ? `${r}: vanished before it could be read (ENOENT); skipped` : `${r}: cannot read (${code ?? String(err)}); skipped`);
            continue;
          }
        }
        await add(abs, st, format);
      }
    }
  };

  /** .gitignore levels of the folders from cwd down to (excluding) `root`, when root is under cwd. */
  const ancestorLevels = async (root: string): Promise<IgnoreLevel[]> => {
    const r = path.relative(cwd, root);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r)) return [];
    const levels: IgnoreLevel[] = [];
    let dir = cwd;
    for (const part of ['', ...r.split(path.sep).slice(0, -1)]) {
      dir = part === '' ? dir : path.join(dir, part);
      const ig = await loadGitignore(dir);
      if (ig) levels.push({ dir, ig });
    }
    return levels;
  };

  for (const given of paths) {
    const abs = path.resolve(cwd, given);
    let st: Stats | undefined;
    try {
      st = await stat(abs);
    } catch {
      st = undefined;
    }
    if (st === undefined) {
      const picomatch = require('picomatch') as typeof import('picomatch');
      const scan = picomatch.scan(given);
      if (!scan.isGlob) throw new NotFoundError(`${given}: no such file or folder`);
      const base = path.resolve(cwd, scan.base || '.');
      let baseStat: Stats;
      try {
        baseStat = await stat(base);
      } catch {
        throw new NotFoundError(`${given}: the glob's folder ${scan.base || '.'} does not exist`);
      }
      if (!baseStat.isDirectory()) throw new NotFoundError(`${given}: ${scan.base} is not a folder`);
      const isMatch = picomatch(scan.glob, { dot: false });
      const before = found.size;
      await walkDir(base, await ancestorLevels(base), (file) => isMatch(toPosix(path.relative(base, file))), true);
      if (found.size === before) opts.onWarning?.(`${given}: no supported files match`);
    } else if (st.isDirectory()) {
      const r = rel(abs);
      if (r !== '.' && exclude !== null && exclude(r)) continue;
      await walkDir(abs, await ancestorLevels(abs), null, true);
    } else if (st.isFile()) {
      const format = formatOf(abs);
      if (format === undefined) {
        const supported = Object.keys(FORMAT_BY_EXTENSION).join(' ');
        opts.onWarning?.(`${rel(abs)}: skipped, unsupported extension (supported: ${supported})`);
        continue;
      }
      if (passesFilters(rel(abs))) await add(abs, st, format);
    } else {
      opts.onWarning?.(`${rel(abs)}: skipped, not a regular file or folder`);
    }
  }

  const entries = [...found.values()].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  for (const e of entries) yield e;
}

/**
 * A file name's bytes as text for a message: valid UTF-8 sequences as they are, every other byte
 * as `\xHH` (upper-case hex), so "bad" + 0xFF + ".md" reads `bad\xFF.md`.
 */
export function escapeName(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= bytes.length) {
      const piece = Buffer.from(bytes.subarray(i, i + len));
      const text = piece.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(piece) && !text.includes('\uFFFD')) {
        out += text;
        i += len;
        continue;
      }
    }
    out += `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
    i++;
  }
  return out;
}
