/**
 * Store URLs without the pg client: recognising a PostgreSQL URL and masking its password are
 * needed before any connection (the CLI decides embedded index vs store at start-up).
 */

/** The URL with its password replaced by `***` (for `openbook config` and messages). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/** True for `postgres://` and `postgresql://` URLs. */
export const isPgUrl = (s: string | undefined): s is string => s !== undefined && /^postgres(ql)?:\/\//.test(s);
