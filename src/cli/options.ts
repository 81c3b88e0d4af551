/**
 * CLI flags made from the option table (`config/options.ts`): the flag's name, alias, help text
 * (its default printed as `(default: X; config retrieval.k1)`, the one form every command uses)
 * and its validation (the table's rule, with the flag's name in the message). No zod here: the
 * table is plain data, so registering a command loads nothing heavy.
 */
import type { Command } from 'commander';
import { InvalidParameterError } from '../core/errors.js';
import { ruleText, specViolation, type OptionSpec } from '../config/options.js';

/** Per-command differences from the table: another default (`ask` reads 5 passages) or help text. */
export interface SpecOptionOverrides {
  default?: number | string;
  help?: string;
  /** Say where the default comes from instead of the config key (eval's run depth is its own). */
  noConfig?: boolean;
}

/** The help line of a spec: what it does, the values of an enumeration, the default and the config key. */
export function specHelp(s: OptionSpec, o: SpecOptionOverrides = {}): string {
  const values = s.type === 'enum' ? `: ${s.values!.join(', ')}` : s.min !== undefined || s.max !== undefined ? `, ${ruleText(s).replace(/^an? /, '')}` : '';
  const where = o.noConfig ? '' : `; config ${s.path}`;
  return `${o.help ?? s.help}${values} (default: ${String(o.default ?? s.default ?? s.defaultHelp)}${where})`;
}

/** Adds the flag of `s` to `cmd` (no commander default: an absent flag leaves the config's value). */
export function specOption(cmd: Command, s: OptionSpec, o: SpecOptionOverrides = {}): Command {
  return cmd.option(`${s.alias ? `${s.alias}, ` : ''}${s.flag} ${s.arg}`, specHelp(s, o));
}

/**
 * The value of a flag of `s`, checked by the table's rule; undefined when the flag is absent.
 * @throws InvalidParameterError `--k1 must be a number ≥ 0, got "-1"`
 */
export function specValue<T extends number | string = number | string>(s: OptionSpec, raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  const value = s.type === 'enum' || s.type === 'string' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  const broken = specViolation(s, value);
  if (broken !== undefined) throw new InvalidParameterError(`${s.flag} must be ${broken}, got ${JSON.stringify(raw)}`);
  return value as T;
}
