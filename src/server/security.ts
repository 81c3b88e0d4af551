/**
 * The server's guards, as small pure pieces the app wires together: loopback detection for
 * the bind check, constant-time bearer-token comparison, a per-client token-bucket rate
 * limiter with an injected clock, and the root check for server-side paths.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { CrossOriginRefusedError, ForbiddenPathError, HostNotAllowedError, InsecureBindError, UnauthorizedError } from './errors.js';

/**
 * Whether `host` only accepts connections from this machine: `localhost`, any `127.0.0.0/8`
 * address, `::1` (also bracketed) and `::ffff:127.x.y.z`. `0.0.0.0`, `::` and every other
 * name or address count as network-facing.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return m !== null && Number(m[1]) === 127 && m.slice(2).every((x) => Number(x) <= 255);
}

/**
 * The host name of a `Host` header, lowercased, without port, brackets or a trailing dot
 * (`[::1]:8080` → `::1`, `LocalHost.:80` → `localhost`); null when it is not a valid Host value.
 */
export function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(h);
  if (v6) return isIP(v6[1]) === 6 ? v6[1] : null;
  const m = /^([a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(h);
  if (!m) return null;
  return m[1].endsWith('.') ? m[1].slice(0, -1) : m[1];
}

/** Whether `host` is a wildcard bind (`0.0.0.0`, `::`, `[::]`), which answers on every address of the machine. */
function isWildcardBind(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/**
 * Whether the server answers a request with this `Host` header (the defence against DNS
 * rebinding, where a foreign name resolves to the server's address and the page becomes
 * same-origin with it). Admitted: `localhost`, `127.0.0.1`, `::1`, the bound address (any IP
 * literal when bound to a wildcard address: an IP cannot be rebound), and `allowedHosts` (exact
 * names; `.example.lan` also admits its subdomains; `*` admits every name). Ports are not compared.
 */
export function isHostAllowed(header: string, boundHost: string, allowedHosts: readonly string[]): boolean {
  const name = hostName(header);
  if (name === null) return false;
  if (allowedHosts.includes('*')) return true;
  const bound = boundHost.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '127.0.0.1' || name === '::1' || name === bound) return true;
  if (isWildcardBind(boundHost) && isIP(name) !== 0) return true;
  for (const entry of allowedHosts) {
    const a = entry.trim().toLowerCase();
    if (a.startsWith('.') ? name === a.slice(1) || name.endsWith(a) : name === a) return true;
  }
  return false;
}

/** @throws HostNotAllowedError when `isHostAllowed` says no */
export function checkHost(header: string, boundHost: string, allowedHosts: readonly string[]): void {
  if (!isHostAllowed(header, boundHost, allowedHosts)) throw new HostNotAllowedError(header);
}

/** The header the web page (and any script that wants multipart uploads) sends on state-changing requests. */
export const REQUEST_MARKER = 'X-Openbook-Request';

/** What `checkStateChange` looks at, from one request. */
export interface StateChangeRequest {
  method: string;
  /** The `Host` header (already allow-listed). */
  host: string;
  origin?: string;
  /** `Sec-Fetch-Site` (browsers send it on every request). */
  fetchSite?: string;
  contentType?: string;
  /** Whether `X-Openbook-Request` or `Authorization` is present: headers a page cannot add without a CORS preflight. */
  hasNonSimpleHeader: boolean;
}

/**
 * The CSRF rule for POST/PUT/PATCH/DELETE: allowed when the `Origin` is in `corsOrigins`;
 * otherwise the request must not come from another origin (a foreign `Origin`, `Origin: null`
 * or `Sec-Fetch-Site: cross-site|same-site`), and a POST must carry something a web page can
 * only send after a CORS preflight: `Content-Type: application/json`, `X-Openbook-Request` or
 * `Authorization` (DELETE, PUT and PATCH are preflighted by themselves). Browsers send `multipart/form-data`, `text/plain` and form posts from any
 * page without asking the server first, so without this rule every page the user visits could
 * write into the index. GET, HEAD and OPTIONS pass (they change nothing; CORS keeps their
 * answers unreadable to other origins).
 * @throws CrossOriginRefusedError
 */
export function checkStateChange(req: StateChangeRequest, corsOrigins: readonly string[]): void {
  const method = req.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  if (req.origin !== undefined && corsOrigins.includes(req.origin)) return;
  if (req.origin !== undefined && !sameOrigin(req.origin, req.host)) {
    throw new CrossOriginRefusedError(`${method} from origin ${JSON.stringify(req.origin)} refused: only this server's own page (or an origin in server.corsOrigins) may change the index`);
  }
  const site = req.fetchSite?.toLowerCase();
  if (site === 'cross-site' || site === 'same-site') {
    throw new CrossOriginRefusedError(`${method} from another site refused (Sec-Fetch-Site: ${site}); add the page's origin to server.corsOrigins to allow it`);
  }
  // DELETE, PUT and PATCH are not CORS-safelisted methods: a page can only send them after a preflight.
  if (method !== 'POST') return;
  const essence = (req.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (essence === 'application/json' || req.hasNonSimpleHeader) return;
  throw new CrossOriginRefusedError(
    `${method} needs the header \`${REQUEST_MARKER}: 1\` (or Content-Type: application/json): a request any web page could send without asking is refused`,
  );
}

/** Whether `origin` (`http://host:port`) names the same scheme-less host and port as the `Host` header. */
function sameOrigin(origin: string, host: string): boolean {
  try {
    const o = new URL(origin);
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false; // "null" and other opaque origins
  }
}

/** Throws InsecureBindError when `host` is network-facing and no API key is set. */
export function assertSafeBind(host: string, apiKey: string | undefined): void {
  if (!isLoopbackHost(host) && !apiKey) throw new InsecureBindError(host);
}

/**
 * Checks an `Authorization` header against the key: `Bearer <key>`, compared in constant time
 * (both sides hashed with SHA-256 first so lengths never leak).
 * @throws UnauthorizedError when the header is missing, malformed or wrong
 */
export function checkBearer(header: string | undefined, apiKey: string): void {
  if (!header) throw new UnauthorizedError('this server needs an API key: send `Authorization: Bearer <key>`');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError('malformed Authorization header; expected `Bearer <key>`');
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(apiKey).digest();
  if (!timingSafeEqual(a, b)) throw new UnauthorizedError('wrong API key');
}

/** The rate limit a server applies when `server.rateLimitPerMinute` is unset on a network-facing bind. */
export const DEFAULT_NETWORK_RATE_LIMIT = 60;

/**
 * Requests per minute per client the server enforces on /v1: `rateLimitPerMinute` when set
 * (0 = off), else 0 on a loopback bind (`isLoopbackHost`) and `DEFAULT_NETWORK_RATE_LIMIT` (60)
 * on any other (a wildcard `0.0.0.0`/`::` bind included).
 */
export function effectiveRateLimit(server: { host: string; rateLimitPerMinute?: number }): number {
  if (server.rateLimitPerMinute !== undefined) return server.rateLimitPerMinute;
  return isLoopbackHost(server.host) ? 0 : DEFAULT_NETWORK_RATE_LIMIT;
}

/**
 * Token bucket per client: each client holds up to `limitPerMinute` tokens, refilled at
 * `limitPerMinute / 60` tokens per second; a request takes one. This allows a burst of
 * `limitPerMinute` and then a steady `limitPerMinute` per minute. `limitPerMinute = 0`
 * disables the limit. Buckets that are full again are dropped on the next sweep, so memory
 * stays proportional to the clients active in the last minute.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();
  private lastSweepMs = 0;

  constructor(
    readonly limitPerMinute: number,
    private readonly now: () => number,
  ) {}

  /**
   * Takes one token for `client`. Returns 0 when allowed, else the whole seconds (≥ 1) until
   * the next token.
   */
  take(client: string): number {
    if (this.limitPerMinute <= 0) return 0;
    const t = this.now();
    const perMs = this.limitPerMinute / 60_000;
    if (t - this.lastSweepMs > 60_000) this.sweep(t, perMs);
    const b = this.buckets.get(client) ?? { tokens: this.limitPerMinute, updatedMs: t };
    b.tokens = Math.min(this.limitPerMinute, b.tokens + (t - b.updatedMs) * perMs);
    b.updatedMs = t;
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  private sweep(t: number, perMs: number): void {
    this.lastSweepMs = t;
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.updatedMs) * perMs >= this.limitPerMinute) this.buckets.delete(k);
  }
}

/**
 * Resolves a client-supplied server path against `roots`: relative paths resolve against the
 * first root; the real path (symlinks followed, `..` collapsed) must equal a root's real path or
 * lie under it. A path that does not exist is judged by the real path of its nearest existing
 * ancestor plus the rest, so a path outside the roots gets the same ForbiddenPathError whether
 * or not it exists (a client cannot probe the file system), and only a missing path inside the
 * roots is a NotFoundError.
 * @param roots absolute folder paths (need not be real paths; they are resolved here)
 * @returns the real absolute path
 * @throws ForbiddenPathError when it lies outside every root; NotFoundError when it lies inside and does not exist
 */
export async function resolveUnderRoots(requested: string, roots: string[]): Promise<string> {
  if (roots.length === 0 || requested.includes('\0')) throw new ForbiddenPathError(requested);
  const candidate = path.resolve(roots[0], requested);
  let real: string;
  let exists = true;
  try {
    real = await realpath(candidate);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    exists = false;
    real = await realpathOfNearest(candidate);
  }
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue; // a configured root that does not exist admits nothing
    }
    const rel = path.relative(realRoot, real);
    if (rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel))) {
      if (!exists) throw new NotFoundError(`no such file or folder: ${requested}`);
      return real;
    }
  }
  throw new ForbiddenPathError(requested);
}

/** The real path of the nearest existing ancestor of absolute `p`, joined with the part below it that does not exist. */
async function realpathOfNearest(p: string): Promise<string> {
  const rest: string[] = [];
  let dir = p;
  for (;;) {
    const parent = path.dirname(dir);
    rest.unshift(path.basename(dir));
    dir = parent;
    try {
      return path.join(await realpath(dir), ...rest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path.dirname(parent)) return p;
    }
  }
}
