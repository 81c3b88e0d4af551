/**
 * Helpers every CLI command shares: where the index lives, JSON vs human output, tables,
 * colours (only on a TTY, honouring NO_COLOR), and the error policy (an `OpenbookError`
 * becomes one line on stderr and exit code 2; anything else is a bug and shows its stack).
 *
 * Only `src/cli/` and `src/server/` read the environment; everything here takes what it
 * needs as arguments or reads `process` at the edge.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { InvalidParameterError, OpenbookError } from '../core/errors.js';
import { checkThreads } from '../core/workers.js';
import type { Command } from 'commander';
import type { IngestConfig } from '../config/schema.js';
import type { LoadBudgets } from '../ingest/budgets.js';

/** Default index folder, relative to the working directory. */
export const DEFAULT_INDEX_DIR = '.openbook';

/** Resolves the index folder: `--index DIR`, else `OPENBOOK_INDEX`, else `./.openbook`. */
export function resolveIndexDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  // An empty OPENBOOK_INDEX is unset, as the config resolver treats it (not the working directory itself).
  return path.resolve(cwd, flag ?? (env.OPENBOOK_INDEX || undefined) ?? DEFAULT_INDEX_DIR);
}

/** Whether human output may use colour: a TTY, and NO_COLOR unset. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** Colour functions that become identity when colour is off. */
export function colors(enabled = useColor()) {
  const id = (s: string) => s;
  return {
    bold: enabled ? pc.bold : id,
    dim: enabled ? pc.dim : id,
    red: enabled ? pc.red : id,
    green: enabled ? pc.green : id,
    yellow: enabled ? pc.yellow : id,
    cyan: enabled ? pc.cyan : id,
    /** Highlight for query terms in snippets (bold yellow on a TTY, `**x**` otherwise). */
    mark: enabled ? (s: string) => pc.bold(pc.yellow(s)) : (s: string) => `**${s}**`,
  };
}

/** Prints a value as pretty JSON on stdout (UTF-8, non-ASCII kept as is). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Display width of a string in terminal columns: East Asian wide and fullwidth characters
 * (Hangul, Han, Kana, fullwidth forms) take two columns, combining marks zero.
 */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x300 && cp < 0x370) || cp === 0x200b) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

/**
 * Renders rows as an aligned text table (Korean-aware widths). Columns whose every cell
 * looks numeric are right-aligned.
 */
export function renderTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ''))));
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((r) => /^-?[\d.,]+(e[-+]?\d+)?%?$|^[-–]$/.test(r[i] ?? '')));
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i], numeric[i] ? 'right' : 'left')).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Numbers for tables: integers with thousands separators, others to 4 significant decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(4);
}

/** Human byte sizes (KiB, MiB, GiB). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Wraps a command action: OpenbookError → `error: msg` on stderr, exit 2 (stack only with --debug). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      handleError(err);
    }
  };
}

/** Whether the command line asks for help (`--help`, `-h`, or `openbook help <command>`). */
export function helpRequested(args: readonly string[] = process.argv.slice(2)): boolean {
  return args.includes('--help') || args.includes('-h') || args.filter((a) => a !== '--debug')[0] === 'help';
}

/** Whether --debug was given anywhere on the command line. */
export function debugEnabled(argv: string[] = process.argv): boolean {
  return argv.includes('--debug') || process.env.OPENBOOK_DEBUG === '1';
}

/** Prints an error the user can act on and exits: 2 for bad input/known failures, 1 for bugs. */
export function handleError(err: unknown): never {
  const c = colors(useColor(process.stderr));
  if (err instanceof OpenbookError) {
    process.stderr.write(`${c.red('error:')} ${err.message}\n`);
    if (debugEnabled() && err.stack) process.stderr.write(err.stack + '\n');
    process.exit(2);
  }
  const e = err as Error;
  process.stderr.write(`${c.red('error:')} ${e?.message ?? String(err)}\n`);
  if (debugEnabled() && e?.stack) process.stderr.write(e.stack + '\n');
  else process.stderr.write(c.dim('(run with --debug for the stack trace)') + '\n');
  process.exit(1);
}

/**
 * A `--threads` value: an integer in [1, 256], or `def` when the flag is absent.
 * @throws InvalidParameterError naming the flag and the value
 */
export function threadsFlag(value: string | undefined, def: number): number {
  if (value === undefined) return def;
  if (!/^\s*\d+\s*$/.test(value)) throw new InvalidParameterError(`--threads must be an integer from 1 to 256, got "${value}"`);
  return checkThreads(Number(value), '--threads');
}

/** Parses an integer flag with bounds; throws a clear InvalidParameterError-like OpenbookError. */
export function intFlag(name: string, value: string | number | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new OpenbookError('INVALID_PARAMETER', `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses a float flag with bounds. */
export function floatFlag(name: string, value: string | number | undefined, def: number, min = -Infinity, max = Infinity): number {
  if (value === undefined) return def;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new OpenbookError('INVALID_PARAMETER', `${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The per-file budget flags of `index` and `serve` (ingest/budgets.ts). */
export interface BudgetFlags {
  parseTimeoutMs?: string;
  maxHeapMb?: string;
  maxDecompressedMb?: string;
}

/** Adds `--parse-timeout-ms`, `--max-heap-mb`, `--max-decompressed-mb` to a command. */
export function addBudgetOptions(cmd: Command): Command {
  return cmd
    .option('--parse-timeout-ms <ms>', 'skip a file whose parse takes longer (default: 60000; config ingest.timeoutMs)')
    .option('--max-heap-mb <mb>', 'heap of each parse worker; a file needing more is skipped (default: 1024; config ingest.maxHeapMb)')
    .option('--max-decompressed-mb <mib>', 'skip a file that decompresses to more, zip formats and PDF streams (default: 256; config ingest.maxDecompressedBytes)');
}

/**
 * The loading budgets from the config's `ingest` section with the flags on top.
 * @throws OpenbookError INVALID_PARAMETER naming the flag for a bad value
 */
export function budgetsFrom(ingest: IngestConfig, flags: BudgetFlags): Partial<LoadBudgets> {
  return {
    timeoutMs: intFlag('--parse-timeout-ms', flags.parseTimeoutMs, ingest.timeoutMs, 100),
    maxHeapMb: intFlag('--max-heap-mb', flags.maxHeapMb, ingest.maxHeapMb, 32),
    maxDecompressedBytes: flags.maxDecompressedMb === undefined ? ingest.maxDecompressedBytes : intFlag('--max-decompressed-mb', flags.maxDecompressedMb, 256, 1) * 1024 * 1024,
    ...(ingest.parseThreads !== undefined ? { threads: ingest.parseThreads } : {}),
  };
}

/** `n` and its noun, plural when n ≠ 1: `plural(1, 'file')` → "1 file", `plural(3, 'file')` → "3 files". */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : nouns}`;
}

/**
 * Checks, before any work, that an output file can be created: its folder exists and is a folder.
 * @throws InvalidParameterError "<flag> <file>: no such folder <dir>" / "…: <dir> is not a folder"
 */
export function checkOutputFile(flag: string, file: string): void {
  const dir = path.dirname(path.resolve(file));
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new InvalidParameterError(`${flag} ${file}: no such folder ${dir}; create it first`);
  }
  if (!st.isDirectory()) throw new InvalidParameterError(`${flag} ${file}: ${dir} is not a folder`);
}

/**
 * Checks that a folder flag (an index folder) is a folder or does not exist yet (it is made then).
 * @throws InvalidParameterError "<flag> <dir>: not a folder"
 */
export function checkFolderFlag(flag: string, dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new InvalidParameterError(`${flag} ${dir}: not a folder`);
}
