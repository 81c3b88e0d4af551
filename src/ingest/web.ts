/**
 * Web pages by URL (`openbook index https://…`): fetched with a size limit and a timeout, only
 * when the site's robots.txt allows it, and loaded as HTML whose document id and source are the
 * URL, so citations cite the URL (with the lines of the fetched HTML, as for .html files).
 *
 * robots.txt follows RFC 9309: the group whose `User-agent` matches our product token (else the
 * `*` group) applies; the longest matching `Allow`/`Disallow` path prefix wins, `Allow` on a tie;
 * `*` and `$` in paths are honoured; a robots.txt that is missing (4xx) allows everything, one
 * that cannot be fetched (5xx, network error) disallows everything (§2.3.1.3–4).
 */
import { InputFormatError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { loadHtml } from './html.js';
import type { LoadOptions } from './source.js';

/** Product token sent as User-Agent and matched in robots.txt groups. */
export const USER_AGENT_TOKEN = 'openbook';

export interface FetchPageOptions {
  /** The fetch to use (the CLI passes globalThis.fetch; tests may pass their own). */
  fetch: typeof globalThis.fetch;
  /** Largest body read, bytes (default 10 MiB); a longer page is refused. */
  maxBytes?: number;
  /** Per request, ms (default 30 000). */
  timeoutMs?: number;
  /** robots.txt check (default true). */
  respectRobots?: boolean;
}

/** Is `url` a web address openbook fetches (http or https)? */
export const isWebUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** Rules of the robots.txt group that applies to `agent`. */
export function robotsRules(robots: string, agent: string = USER_AGENT_TOKEN): { allow: boolean; path: string }[] {
  const groups: { agents: string[]; rules: { allow: boolean; path: string }[] }[] = [];
  let cur: (typeof groups)[number] | undefined;
  let lastWasAgent = false;
  for (const raw of robots.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (key === 'user-agent') {
      if (!cur || !lastWasAgent) groups.push((cur = { agents: [], rules: [] }));
      cur.agents.push(value.toLowerCase());
      lastWasAgent = true;
    } else if ((key === 'allow' || key === 'disallow') && cur) {
      lastWasAgent = false;
      if (value !== '') cur.rules.push({ allow: key === 'allow', path: value });
    } else lastWasAgent = false;
  }
  const token = agent.toLowerCase();
  const mine = groups.filter((g) => g.agents.some((a) => a !== '*' && token.startsWith(a)));
  const chosen = mine.length > 0 ? mine : groups.filter((g) => g.agents.includes('*'));
  return chosen.flatMap((g) => g.rules);
}

/** RFC 9309 matching of a path (with query) against the rules: longest match wins, Allow on a tie. */
export function robotsAllows(rules: { allow: boolean; path: string }[], pathAndQuery: string): boolean {
  let best: { allow: boolean; len: number } | undefined;
  for (const r of rules) {
    const end = r.path.endsWith('$');
    const body = end ? r.path.slice(0, -1) : r.path;
    const re = new RegExp(`^${body.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}${end ? '$' : ''}`);
    if (!re.test(pathAndQuery)) continue;
    if (!best || r.path.length > best.len || (r.path.length === best.len && r.allow)) best = { allow: r.allow, len: r.path.length };
  }
  return best ? best.allow : true;
}

async function get(url: string, opts: FetchPageOptions, maxBytes: number): Promise<{ status: number; bytes: Uint8Array; contentType: string }> {
  const res = await opts.fetch(url, {
    headers: { 'user-agent': `${USER_AGENT_TOKEN}/0.1`, accept: 'text/html,application/xhtml+xml,text/plain;q=0.5' },
    redirect: 'follow',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new InputFormatError(`${url}: skipped: the page is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new InputFormatError(`${url}: skipped: the page is over the ${maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  }
  return { status: res.status, bytes: Buffer.concat(chunks), contentType: res.headers.get('content-type') ?? '' };
}

/**
 * Fetches and loads one web page as an HTML document with id and source = the URL (parsed on
 * this thread; the indexer parses `fetchWebPage`'s bytes on its parse pool instead).
 * @throws InputFormatError "<url>: …" when robots.txt disallows it, the status is not 2xx, the
 *   body is over `maxBytes`, or it is not HTML/text
 */
export async function loadWebPage(url: string, opts: FetchPageOptions, loadOpts: LoadOptions = {}): Promise<Document> {
  return loadHtml(await fetchWebPage(url, opts), { relPath: url, format: 'html', mtimeMs: 0 }, loadOpts);
}

/**
 * Fetches one web page's bytes under the rules of this module (robots.txt, size cap, timeout,
 * HTML or text only).
 * @throws InputFormatError as for loadWebPage
 */
export async function fetchWebPage(url: string, opts: FetchPageOptions): Promise<Uint8Array> {
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputFormatError(`${url}: not a valid URL`);
  }
  if (opts.respectRobots !== false) {
    let robots: { status: number; bytes: Uint8Array } | undefined;
    try {
      robots = await get(`${u.origin}/robots.txt`, opts, 512 * 1024);
    } catch (cause) {
      throw new InputFormatError(`${url}: skipped: robots.txt could not be read (${(cause as Error).message}), so the site is treated as disallowed`, { cause });
    }
    if (robots.status >= 500) throw new InputFormatError(`${url}: skipped: robots.txt answered ${robots.status}, so the site is treated as disallowed`);
    if (robots.status >= 200 && robots.status < 300) {
      const rules = robotsRules(new TextDecoder().decode(robots.bytes));
      if (!robotsAllows(rules, u.pathname + u.search)) throw new InputFormatError(`${url}: skipped: disallowed by ${u.origin}/robots.txt for ${USER_AGENT_TOKEN}`);
    }
  }
  let page;
  try {
    page = await get(url, opts, maxBytes);
  } catch (cause) {
    if (cause instanceof InputFormatError) throw cause;
    throw new InputFormatError(`${url}: could not be fetched (${(cause as Error).message})`, { cause });
  }
  if (page.status < 200 || page.status >= 300) throw new InputFormatError(`${url}: the server answered ${page.status}`);
  if (page.contentType && !/html|xml|text\/plain/i.test(page.contentType)) throw new InputFormatError(`${url}: not a web page (${page.contentType})`);
  return page.bytes;
}
