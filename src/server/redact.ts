/**
 * What the server says about its machine: nothing. Error messages of the library name files by
 * absolute path and the writer lock names its holder's PID and host; before any of it reaches
 * a client (an error body, a job record, an SSE error event), `makeRedactor` rewrites it:
 *
 *  - a path under the working directory becomes relative to it (`/srv/kb/docs/a.md` → `docs/a.md`);
 *  - a path under a root or the index folder outside the working directory becomes relative to
 *    that folder, and the folder itself is named by its role (`the index folder`, `a server root`);
 *  - any other absolute path under a top-level folder of this machine becomes `<path>`;
 *  - the host name becomes `<host>` and `pid <n>` becomes `pid <n>` with the number removed.
 *
 * The server log keeps the full text.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export interface RedactorOptions {
  indexDir: string;
  roots: string[];
  cwd: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds the rewriter once per server (it reads `/`'s entries and the real paths of the folders). */
export function makeRedactor(opts: RedactorOptions): (text: string) => string {
  const cwd = path.resolve(opts.cwd);
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const inside = (base: string, p: string) => {
    const r = path.relative(base, p);
    return r === '' || (r !== '..' && !r.startsWith('..' + path.sep) && !path.isAbsolute(r));
  };
  // [absolute folder, what a bare mention becomes, what "<folder>/" becomes]
  const bases: Array<[string, string, string]> = [];
  const addBase = (abs: string, role: string) => {
    for (const p of new Set([path.resolve(abs), real(path.resolve(abs))])) {
      if (inside(cwd, p) || inside(real(cwd), p)) {
        const rel = path.relative(inside(cwd, p) ? cwd : real(cwd), p).split(path.sep).join('/');
        bases.push([p, rel === '' ? '.' : rel, rel === '' ? '' : `${rel}/`]);
      } else bases.push([p, role, '']);
    }
  };
  addBase(opts.indexDir, 'the index folder');
  for (const r of opts.roots) addBase(r, 'a server root');
  addBase(cwd, '.');
  bases.sort((a, b) => b[0].length - a[0].length); // the longest (deepest) folder first
  const rules: Array<[RegExp, string]> = [];
  for (const [abs, bare, prefix] of bases) {
    rules.push([new RegExp(`${escape(abs)}${escape(path.sep)}`, 'g'), prefix]);
    rules.push([new RegExp(`${escape(abs)}(?![\\w.-])`, 'g'), bare]);
  }
  const tops = topLevelFolders();
  if (tops.length > 0) rules.push([new RegExp(`(^|[\\s"'(=\\[,])/(?:${tops.map(escape).join('|')})(?:/[^\\s"'()\\[\\],;]*)?`, 'g'), '$1<path>']);
  const host = hostname();
  if (host.length > 0) rules.push([new RegExp(`\\b${escape(host)}\\b`, 'g'), '<host>']);
  rules.push([/\bpid \d+/g, 'pid']);
  return (text: string) => rules.reduce((t, [re, to]) => t.replace(re, to), text);
}

/** The names in `/` (for spotting absolute paths of this machine), or none when `/` cannot be listed. */
function topLevelFolders(): string[] {
  try {
    return readdirSync('/').filter((n) => /^[\w.-]+$/.test(n));
  } catch {
    return [];
  }
}
