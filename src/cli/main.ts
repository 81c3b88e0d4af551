#!/usr/bin/env node
/**
 * The `openbook` command. Each subcommand lives in `commands/<name>.ts` and registers
 * itself on the program; this file only wires them together and sets the error policy.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { handleError } from './shared.js';
import { helpSettings } from './help.js';
import { registerCommands } from './commands/all.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

// `openbook search x | head -1`: the reader closed the pipe, so the output is no longer wanted; end quietly (exit 0) like other Unix tools.
const quietOnEpipe = (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
};
process.stdout.on('error', quietOnEpipe);
process.stderr.on('error', quietOnEpipe);

const program = new Command();
program
  .name('openbook')
  .description('Retrieval-augmented generation over your documents: index, search, ask with citations, evaluate.')
  .version(version)
  .option('--debug', 'show stack traces on errors')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp(helpSettings)
  .exitOverride();

// No top-level await: the build also bundles this file as CommonJS (scripts/bundle-cli.mjs, run with a code cache by cli/code-cache.ts).
async function main(): Promise<void> {
  await registerCommands(program, process.argv.slice(2));
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors (unknown flag, missing argument) exit 2.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    handleError(err);
  }
}

void main();
