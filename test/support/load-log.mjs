// `node --import ./test/support/load-log.mjs …`: logs every module the process loads (ES modules
// via a load hook, CommonJS via require) to $OPENBOOK_LOAD_LOG, one URL or path a line.
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import Module, { register } from 'node:module';

register('./load-log-hooks.mjs', import.meta.url);
const log = process.env.OPENBOOK_LOAD_LOG;
const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (log) {
    try {
      appendFileSync(log, Module._resolveFilename(request, parent, isMain) + '\n');
    } catch {
      // a request that does not resolve throws again in originalLoad, where the caller sees it
    }
  }
  return originalLoad.apply(this, arguments);
};
