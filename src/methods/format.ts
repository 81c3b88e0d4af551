/**
 * A readable, plain-text view of a trace for `openbook ask --trace`: one numbered block per
 * step — kind, name, duration and tokens on the first line, then the input (→ above), the
 * output (← below) and the step's named scores. Durations are rounded to whole milliseconds. Long texts are cut at `maxChars` with "…";
 * lists show at most `maxItems` entries. Numbers print with at most 4 decimals; −∞ as "-inf".
 */
import type { TraceStep } from '../core/types.js';

export interface FormatTraceOptions {
  /** Characters of any one text before it is cut (default 300). */
  maxChars?: number;
  /** Entries of a list shown (default 10). */
  maxItems?: number;
}

/** At most 4 decimals (trailing zeros dropped; tiny non-zero values in exponent form), integers as is, ±∞ as ±inf. */
export function formatNumber(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isInteger(x)) return String(x);
  const r = Number(x.toFixed(4));
  return r === 0 && x !== 0 ? x.toExponential(2) : String(r);
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function render(value: unknown, o: Required<FormatTraceOptions>): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return cut(value, o.maxChars).split('\n');
  if (typeof value === 'number') return [formatNumber(value)];
  if (typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) {
    const lines = value.slice(0, o.maxItems).map((v, i) => `${i + 1}. ${cut(typeof v === 'string' ? v.replace(/\s+/g, ' ') : inline(v), o.maxChars)}`);
    if (value.length > o.maxItems) lines.push(`… ${value.length - o.maxItems} more`);
    return lines;
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const inner = typeof v === 'string' ? cut(v.replace(/\s+/g, ' '), o.maxChars) : cut(inline(v), o.maxChars);
    return [`${k}: ${inner}`];
  });
}

function inline(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${inline(x)}`).join(', ')}}`;
  return String(v);
}

/** The trace as text, one block per step, ending with a newline. */
export function formatTrace(trace: readonly TraceStep[], options: FormatTraceOptions = {}): string {
  const o = { maxChars: options.maxChars ?? 300, maxItems: options.maxItems ?? 10 };
  const out: string[] = [];
  trace.forEach((s, i) => {
    const meta = [`${Math.round(s.durationMs)} ms`];
    if (s.usage) meta.push(`${s.usage.promptTokens}+${s.usage.completionTokens} tokens`);
    out.push(`${i + 1}. [${s.kind}] ${s.name} (${meta.join(', ')})`);
    for (const l of render(s.input, o)) out.push(`     → ${l}`);
    for (const l of render(s.output, o)) out.push(`     ← ${l}`);
    if (s.scores) for (const [k, v] of Object.entries(s.scores)) out.push(`     · ${k} = ${formatNumber(v)}`);
  });
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}
