/** The one place a stored chunk becomes a search result. */
import type { Hit } from '../core/types.js';
import type { StoredChunk } from '../index/store/format.js';

/**
 * A `Hit` for chunk `c` with the retriever's `score` at 1-based `rank`; `page` is copied only
 * when the chunk has one (PDF sources), so hits of other sources have no `page` key.
 */
export function hitFromChunk(c: StoredChunk, score: number, rank: number): Hit {
  const hit: Hit = {
    rank,
    score,
    docId: c.docId,
    chunkId: c.id,
    source: c.source,
    title: c.title,
    text: c.text,
    startLine: c.startLine,
    endLine: c.endLine,
  };
  if (c.page !== undefined) hit.page = c.page;
  if (c.locator !== undefined) hit.locator = c.locator;
  return hit;
}
