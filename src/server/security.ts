/**
 * The server's guards, as small pure pieces the app wires together: loopback detection for
 * the bind check, constant-time bearer-token comparison, a per-client token-bucket rate
 * limiter with an injected clock, and the root check for server-side paths.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { ForbiddenPathError, InsecureBindError, UnauthorizedError } from './errors.js';

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
 * lie under it.
 * @param roots absolute folder paths (need not be real paths; they are resolved here)
 * @returns the real absolute path
 * @throws ForbiddenPathError when it lies outside every root; NotFoundError when it does not exist
 */
export async function resolveUnderRoots(requested: string, roots: string[]): Promise<string> {
  if (roots.length === 0 || requested.includes('\0')) throw new ForbiddenPathError(requested);
  const candidate = path.resolve(roots[0], requested);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such file or folder: ${requested}`);
    throw err;
  }
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue; // a configured root that does not exist admits nothing
    }
    const rel = path.relative(realRoot, real);
    if (rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel))) return real;
  }
  throw new ForbiddenPathError(requested);
}
