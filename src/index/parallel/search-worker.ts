/**
 * One search worker of a {@link SearchPool} (started by `search-pool.ts` through
 * `startWorker`). It opens its own read-only `IndexReader` on `workerData.dir`, checks that the
 * committed generation is the one the pool expects, replies `ready` (or `open-failed`), then
 * answers each `search` block with the packed results described in `protocol.ts`.
 *
 * Queries of a block run one after another on this thread, through the same
 * `IndexReader.search` / `searchTerms` as a serial caller, so results are identical.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { IndexReader } from '../store/reader.js';
import type { ScoredChunk } from '../sparse/top-k.js';
import { toWireError, type SearchRequest, type SearchWorkerData, type WorkerReply } from './protocol.js';

if (parentPort === null) throw new Error('search-worker.ts must run as a worker thread (started by SearchPool)');
const port: MessagePort = parentPort;
const { dir, generation } = workerData as SearchWorkerData;

/** Packs per-query results into counts / chunks / scores arrays (layout in `protocol.ts`). */
function pack(id: number, results: ScoredChunk[][]): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  let total = 0;
  for (const r of results) total += r.length;
  const counts = new Uint32Array(results.length);
  const chunks = new Uint32Array(total);
  const scores = new Float64Array(total);
  let o = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    counts[i] = r.length;
    for (const h of r) {
      chunks[o] = h.chunk;
      scores[o] = h.score;
      o++;
    }
  }
  return { reply: { type: 'result', id, counts, chunks, scores }, transfer: [counts.buffer, chunks.buffer, scores.buffer] };
}

/** Opens the index, checks its generation, then serves blocks until the pool terminates the thread. */
async function serve(): Promise<void> {
  let reader: IndexReader;
  try {
    reader = await IndexReader.open(dir);
  } catch (err) {
    // Nothing else keeps the thread alive: it exits after this message.
    port.postMessage({ type: 'open-failed', error: toWireError(err) } satisfies WorkerReply);
    return;
  }
  const found = reader.stats().generation;
  if (found !== generation) {
    port.postMessage({
      type: 'open-failed',
      found,
      error: { name: 'Error', code: 'INDEX_CHANGED', message: `index ${dir} holds generation ${found}, expected ${generation}` },
    } satisfies WorkerReply);
    return;
  }
  port.on('message', (req: SearchRequest) => {
    try {
      const results = req.terms !== undefined ? req.terms.map((t) => reader.searchTerms(t, req.opts)) : (req.queries ?? []).map((q) => reader.search(q, req.opts));
      const { reply, transfer } = pack(req.id, results);
      port.postMessage(reply, transfer);
    } catch (err) {
      port.postMessage({ type: 'failed', id: req.id, error: toWireError(err) } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: 'ready', generation: found } satisfies WorkerReply);
}

await serve();
