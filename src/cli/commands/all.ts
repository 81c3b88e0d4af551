/**
 * The list of subcommands. A command module exports `register(program)`; add new ones here.
 */
import type { Command } from 'commander';
import * as ask from './ask.js';
import * as evalCmd from './eval.js';
import * as config from './config.js';
import * as doctor from './doctor.js';
import * as graph from './graph.js';
import * as index from './index-cmd.js';
import * as knnlm from './lm.js';
import * as regress from './regress.js';
import * as search from './search.js';
import * as serve from './serve.js';
import * as status from './status.js';
import * as storeCmd from './store.js';
import * as trainData from './train-data.js';

const modules: Array<{ register(program: Command): void }> = [index, search, ask, status, config, doctor, evalCmd, regress, serve, graph, trainData, knnlm, storeCmd];

/** Registers every subcommand, including optional ones whose modules exist. */
export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
