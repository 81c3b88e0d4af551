/**
 * An analysis worker of {@link AnalysisPool} (`./analysis-pool.ts`): analyses batches of chunk
 * texts with the registry analyzer named in `workerData.analyzer`, against a term dictionary of
 * its own, and replies with each batch's counted chunks plus the terms it first saw in that batch
 * (their local ids follow on from the previous batch's). Batches are answered in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getAnalyzer } from '../../analysis/registry.js';
import { ChunkTermCounter, TermDictionary } from './term-counter.js';
import type { AnalysisReply, AnalysisRequest } from './analysis-pool.js';

const port = parentPort;
if (port === null) throw new Error('analysis-worker.ts runs as a worker thread only');
const { analyzer } = workerData as { analyzer: string };
const counter = new ChunkTermCounter(getAnalyzer(analyzer), new TermDictionary());
let sent = 0;

port.on('message', (req: AnalysisRequest) => {
  let reply: AnalysisReply;
  try {
    const counted = counter.countAll(req.texts);
    const newTerms = counter.dict.terms.slice(sent);
    sent = counter.dict.size;
    reply = { seq: req.seq, newTerms, counted };
    port.postMessage(reply, [counted.ids.buffer, counted.tfs.buffer, counted.ends.buffer, counted.docLens.buffer]);
  } catch (err) {
    reply = { seq: req.seq, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(reply);
  }
});
