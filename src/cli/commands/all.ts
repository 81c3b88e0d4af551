/**
 * The list of subcommands, each loaded only when it runs: a command module exports
 * `register(program)`, and `openbook search …` imports the search module alone (and what it
 * imports), so a command starts without loading the server, the evaluators or the methods it
 * does not use. `openbook --help` (or an unknown command) loads them all to list them.
 * Add new commands to `COMMANDS`.
 */
import type { Command } from 'commander';

type CommandModule = { register(program: Command): void | Promise<void> };

/** Top-level command name → its module. The order is the order of `openbook --help`. */
export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  index: () => import('./index-cmd.js'),
  search: () => import('./search.js'),
  ask: () => import('./ask.js'),
  status: () => import('./status.js'),
  config: () => import('./config.js'),
  doctor: () => import('./doctor.js'),
  eval: () => import('./eval.js'),
  regress: () => import('./regress.js'),
  serve: () => import('./serve.js'),
  graph: () => import('./graph.js'),
  'train-data': () => import('./train-data.js'),
  knnlm: () => import('./lm.js'),
  store: () => import('./store.js'),
};

/** Program-level options that take no value and may come before the command name. */
const GLOBAL_FLAGS = new Set(['--debug']);

/**
 * The command a command line names: the first argument that is not a global flag
 * (`openbook --debug search x` → search; `openbook help search` → search).
 */
export function commandName(args: readonly string[]): string | undefined {
  const rest = args.filter((a) => !GLOBAL_FLAGS.has(a));
  if (rest[0] === 'help') return rest[1];
  return rest[0];
}

/**
 * Registers the subcommand `args` (the command line after `node openbook`) names, or every
 * subcommand when it names none that exists (top-level help, a typo: commander then lists them).
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const name = commandName(args);
  if (name === '--version' || name === '-V') return;
  const only = name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]] : Object.values(COMMANDS);
  for (const m of await Promise.all(only.map((load) => load()))) await m.register(program);
}
