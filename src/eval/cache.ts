/**
 * The eval-index cache key: SHA-256 over the dataset files' bytes and the index-time config.
 * Query-time settings (similarity, k1, b, topK) are not part of it: one index serves them all.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Bumped when the way eval documents are built changes, so stale cached indexes are not reused. */
export const EVAL_INDEX_LAYOUT_VERSION = 1;

/**
 * Hex SHA-256 of (layout version, each file's bytes in the given order, the JSON of `config`).
 * @param files absolute paths; order matters
 * @param config index-time settings, serialised with sorted keys
 */
export async function evalCacheKey(files: readonly string[], config: Record<string, unknown>): Promise<string> {
  const h = createHash('sha256');
  h.update(`openbook-eval-index v${EVAL_INDEX_LAYOUT_VERSION}\n`);
  for (const f of files) {
    h.update(`file ${f.split(/[\\/]/).pop()}\n`);
    for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  }
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  h.update(JSON.stringify(sorted));
  return h.digest('hex');
}
