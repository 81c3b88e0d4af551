// Module hooks for test/cli/lazy-load.test.ts: append every loaded module URL to the file named by
// OPENBOOK_LOAD_LOG (ES modules through `load`, CommonJS through Module._load in register.mjs).
import { appendFileSync } from 'node:fs';
import process from 'node:process';

export async function load(url, context, next) {
  if (process.env.OPENBOOK_LOAD_LOG) appendFileSync(process.env.OPENBOOK_LOAD_LOG, url + '\n');
  return next(url, context);
}
