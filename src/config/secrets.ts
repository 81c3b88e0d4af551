/** Secret values of a configuration and how they are masked for display (`openbook config`, eval reports). */
import type { OpenbookConfig } from './schema.js';

/** Dotted paths of secret values; `maskSecrets` hides them. */
export const SECRET_PATHS = ['llm.apiKey', 'embed.apiKey', 'server.apiKey', 'cache.redisUrl', 'rerank.apiKey', 'store.url'] as const;

/**
 * Masks one secret for display: keeps the last 4 characters of keys longer than 12
 * (`sk-…wxyz` → `****wxyz`), else `****`; for URLs only the password is replaced
 * (`redis://:pw@host:6379` → `redis://:****@host:6379`).
 */
export function maskSecret(value: string): string {
  const url = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@(.*)$/i.exec(value);
  if (url) {
    const [, scheme, userinfo, rest] = url;
    const colon = userinfo.indexOf(':');
    const masked = colon >= 0 ? `${userinfo.slice(0, colon)}:****` : '****';
    return `${scheme}${masked}@${rest}`;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  return value.length > 12 ? `****${value.slice(-4)}` : '****';
}

/** A deep copy of `config` with every secret in `SECRET_PATHS` masked (absent secrets stay absent). */
export function maskSecrets(config: OpenbookConfig): OpenbookConfig {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const p of SECRET_PATHS) {
    const [section, key] = p.split('.');
    const v = copy[section]?.[key];
    if (typeof v === 'string') copy[section][key] = maskSecret(v);
  }
  return copy as unknown as OpenbookConfig;
}
