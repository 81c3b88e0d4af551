/**
 * Writes the tiny causal-LM folder of `tiny-causal-lm.ts` to a path, so the documented
 * `eval lm` / `knnlm build` / `ask --method knn-lm` figures can be reproduced without a real model:
 *   npx tsx test/support/make-tiny-lm.ts /tmp/tiny-lm
 */
import { resolve } from 'node:path';
import { writeTinyCausalLmFolder } from './tiny-causal-lm.js';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: npx tsx test/support/make-tiny-lm.ts <folder>\n');
  process.exit(2);
}
process.stdout.write(`${writeTinyCausalLmFolder(resolve(out))}\n`);
