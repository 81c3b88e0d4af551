/**
 * A parse worker (see parse-pool.ts): loads one file per message with `loadFile` and answers with
 * its documents and warnings, or with the error, as plain data. Started with a heap limit; the
 * pool terminates it when a parse outlives its time budget.
 */
import { parentPort } from 'node:worker_threads';
import { BudgetExceededError, OpenbookError } from '../core/errors.js';
import type { Document } from '../core/types.js';
import { loadHtml } from './html.js';
import { loadFile } from './load.js';
import type { ParseReply, ParseTask } from './parse-pool.js';

const port = parentPort;
if (port === null) throw new Error('parse-worker.ts must run in a worker thread');

port.on('message', (task: ParseTask) => {
  void (async () => {
    const warnings: string[] = [];
    const notes: string[] = [];
    const docs: Document[] = [];
    let reply: ParseReply;
    try {
      const opts = { ...task.opts, onWarning: (m: string) => warnings.push(m), onNote: (m: string) => notes.push(m) };
      if (task.entry.bytes) docs.push(loadHtml(task.entry.bytes, task.entry, opts)); // a fetched web page, as web.ts loads it
      else for await (const d of loadFile(task.entry, opts)) docs.push(d);
      reply = { id: task.id, docs, warnings, notes };
    } catch (err) {
      const e = err as Error;
      reply = {
        id: task.id,
        warnings,
        notes,
        error: {
          code: err instanceof OpenbookError ? err.code : 'INTERNAL',
          message: e instanceof Error ? e.message : String(err),
          ...(err instanceof BudgetExceededError ? { what: err.what, limit: err.limit } : {}),
        },
      };
    }
    port.postMessage(reply);
  })();
});
port.postMessage({ ready: true });
