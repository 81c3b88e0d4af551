/**
 * An analysis worker of {@link AnalysisPool} (`./analysis-pool.ts`): analyses batches of chunk
 * texts with the registry analyzer named in `workerData.analyzer`, against a term dictionary of
 * its own, and replies with each batch's counted chunks plus the terms it first saw in that batch
 * (their local ids follow on from the previous batch's); at commit it also deflates text blocks.
 * Requests are answered in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getAnalyzer } from '../../analysis/registry.js';
import { deflateTextBlock } from './format.js';
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
    if ('deflate' in req) {
      const blocks = req.deflate.map((parts) => deflateTextBlock(parts));
      const lengths = Uint32Array.from(blocks, (b) => b.length);
      const bytes = new Uint8Array(lengths.reduce((a, n) => a + n, 0));
      let at = 0;
      for (const b of blocks) {
        bytes.set(b, at);
        at += b.length;
      }
      reply = { seq: req.seq, deflated: { bytes, lengths } };
      port.postMessage(reply, [bytes.buffer, lengths.buffer]);
      return;
    }
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
