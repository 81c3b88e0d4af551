/** Which store a command uses, decided without loading the pg client. */
import type { OpenbookConfig } from '../config/index.js';
import { InvalidParameterError } from '../core/errors.js';
import { isPgUrl, maskUrl } from '../index/pg/url.js';

/**
 * The store URL for this run, or undefined for the embedded index.
 * @throws InvalidParameterError when `--store` is not a postgres:// URL
 */
export function resolveStoreUrl(flag: string | undefined, config?: OpenbookConfig): string | undefined {
  if (flag !== undefined) {
    if (!isPgUrl(flag)) throw new InvalidParameterError(`--store expects a postgres:// or postgresql:// URL, got ${JSON.stringify(maskUrl(flag))}`);
    return flag;
  }
  return config?.store.url;
}

