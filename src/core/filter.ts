/**
 * The metadata filter language: one grammar for the CLI (`--filter`), HTTP (`filter` field) and
 * the library, parsed into a {@link FilterExpr} tree and evaluated against a flat metadata record.
 * Store-independent: the embedded index turns a filter into a chunk bitset with
 * {@link matchesFilter}; another store may translate the same tree (e.g. into SQL `WHERE`).
 *
 * Grammar (keywords case-insensitive; columns in errors are 1-based):
 * ```
 * expr    := or
 * or      := and ("OR" and)*
 * and     := not ("AND" not)*
 * not     := "NOT" not | primary
 * primary := "(" expr ")" | field op value | field "IN" "[" value ("," value)* "]"
 *          | field "CONTAINS" value | field "GLOB" string
 * op      := "=" | "!=" | "<" | "<=" | ">" | ">="
 * value   := "string" | 'string' | number | true | false | date (YYYY-MM-DD[THH:MM[:SS]])
 * field   := [A-Za-z_][A-Za-z0-9_.]*
 * ```
 * Semantics: a missing field makes every comparison false (and `NOT` of it true). Dates compare
 * as ms since the epoch (UTC), so `mtime >= 2024-01-01` works on the `mtime` field (ms).
 * `CONTAINS` is membership for array fields and substring for string fields. `GLOB` matches with
 * `*` (no `/`), `**` (any) and `?`. Strings compare by UTF-16 code units.
 */

import { InvalidParameterError, OpenbookError } from './errors.js';

/** A metadata value as stored: scalars or a list of strings (tags, heading path). */
export type MetaValue = string | number | boolean | string[];

/** Flat metadata of one chunk (document fields plus the chunk's own). */
export type MetaRecord = Readonly<Record<string, MetaValue | undefined>>;

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type FilterScalar = string | number | boolean;

/** The parsed filter; this is also the JSON form accepted by the HTTP API and the library. */
export type FilterExpr =
  | { and: FilterExpr[] }
  | { or: FilterExpr[] }
  | { not: FilterExpr }
  | { field: string; op: CompareOp; value: FilterScalar }
  | { field: string; op: 'in'; values: FilterScalar[] }
  | { field: string; op: 'contains'; value: FilterScalar }
  | { field: string; op: 'glob'; pattern: string };

/** A filter that cannot be parsed; `column` is 1-based in the filter text. */
export class FilterSyntaxError extends OpenbookError {
  constructor(
    readonly column: number,
    reason: string,
  ) {
    super('FILTER_SYNTAX', `filter: column ${column}: ${reason}`, { httpStatus: 400 });
  }
}

interface Token {
  kind: 'word' | 'string' | 'number' | 'date' | 'op' | 'punct' | 'end';
  text: string;
  value?: FilterScalar;
  col: number;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    const col = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== ch) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j++];
      }
      if (j >= src.length) throw new FilterSyntaxError(col, 'unterminated string');
      out.push({ kind: 'string', text: src.slice(i, j + 1), value: s, col });
      i = j + 1;
      continue;
    }
    const date = DATE_RE.exec(src.slice(i));
    if (date) {
      const ms = Date.parse(date[0].length === 10 ? `${date[0]}T00:00:00Z` : date[0].endsWith('Z') ? date[0] : `${date[0]}Z`);
      if (Number.isNaN(ms)) throw new FilterSyntaxError(col, `invalid date ${date[0]}`);
      out.push({ kind: 'date', text: date[0], value: ms, col });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/i.exec(src.slice(i));
    if (num) {
      out.push({ kind: 'number', text: num[0], value: Number(num[0]), col });
      i += num[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ kind: 'op', text: op[0], col });
      i += op[0].length;
      continue;
    }
    if ('()[],'.includes(ch)) {
      out.push({ kind: 'punct', text: ch, col });
      i++;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (word) {
      out.push({ kind: 'word', text: word[0], col });
      i += word[0].length;
      continue;
    }
    throw new FilterSyntaxError(col, `unexpected character ${JSON.stringify(ch)}`);
  }
  out.push({ kind: 'end', text: '', col: src.length + 1 });
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'glob', 'true', 'false']);

/**
 * Parses the filter text into a tree.
 * @throws FilterSyntaxError naming the 1-based column of the first mistake
 */
export function parseFilter(src: string): FilterExpr {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Token => toks[p];
  const isKw = (t: Token, kw: string) => t.kind === 'word' && t.text.toLowerCase() === kw;
  const expect = (text: string): void => {
    const t = peek();
    if (t.text !== text) throw new FilterSyntaxError(t.col, `expected "${text}", found ${describe(t)}`);
    p++;
  };
  const value = (): FilterScalar => {
    const t = peek();
    if (t.kind === 'string' || t.kind === 'number' || t.kind === 'date') {
      p++;
      return t.value!;
    }
    if (isKw(t, 'true') || isKw(t, 'false')) {
      p++;
      return t.text.toLowerCase() === 'true';
    }
    throw new FilterSyntaxError(t.col, `expected a value (a "string", number, date or true/false), found ${describe(t)}`);
  };
  const primary = (): FilterExpr => {
    const t = peek();
    if (t.text === '(' && t.kind === 'punct') {
      p++;
      const e = or();
      expect(')');
      return e;
    }
    if (t.kind !== 'word' || KEYWORDS.has(t.text.toLowerCase())) throw new FilterSyntaxError(t.col, `expected a field name or "(", found ${describe(t)}`);
    p++;
    const field = t.text;
    const o = peek();
    if (o.kind === 'op') {
      p++;
      return { field, op: o.text as CompareOp, value: value() };
    }
    if (isKw(o, 'in')) {
      p++;
      expect('[');
      const values = [value()];
      while (peek().text === ',') {
        p++;
        values.push(value());
      }
      expect(']');
      return { field, op: 'in', values };
    }
    if (isKw(o, 'contains')) {
      p++;
      return { field, op: 'contains', value: value() };
    }
    if (isKw(o, 'glob')) {
      p++;
      const s = peek();
      if (s.kind !== 'string') throw new FilterSyntaxError(s.col, `GLOB needs a quoted pattern, found ${describe(s)}`);
      p++;
      return { field, op: 'glob', pattern: s.value as string };
    }
    throw new FilterSyntaxError(o.col, `expected an operator (=, !=, <, <=, >, >=, IN, CONTAINS, GLOB) after "${field}", found ${describe(o)}`);
  };
  const not = (): FilterExpr => {
    if (isKw(peek(), 'not')) {
      p++;
      return { not: not() };
    }
    return primary();
  };
  const and = (): FilterExpr => {
    const parts = [not()];
    while (isKw(peek(), 'and')) {
      p++;
      parts.push(not());
    }
    return parts.length === 1 ? parts[0] : { and: parts };
  };
  const or = (): FilterExpr => {
    const parts = [and()];
    while (isKw(peek(), 'or')) {
      p++;
      parts.push(and());
    }
    return parts.length === 1 ? parts[0] : { or: parts };
  };
  const e = or();
  const t = peek();
  if (t.kind !== 'end') throw new FilterSyntaxError(t.col, `expected AND, OR or the end, found ${describe(t)}`);
  return e;
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the filter' : JSON.stringify(t.text);
}

/** A filter given as text (parsed) or as the JSON tree (checked). @throws FilterSyntaxError */
export function toFilter(f: string | FilterExpr): FilterExpr {
  if (typeof f === 'string') return parseFilter(f);
  checkFilterJson(f, '$');
  return f;
}

function checkFilterJson(f: unknown, at: string): void {
  const bad = (why: string): never => {
    throw new FilterSyntaxError(1, `JSON filter at ${at}: ${why}`);
  };
  if (typeof f !== 'object' || f === null || Array.isArray(f)) bad('expected an object');
  const o = f as Record<string, unknown>;
  if ('and' in o || 'or' in o) {
    const list = o.and ?? o.or;
    if (!Array.isArray(list) || list.length === 0) bad('"and"/"or" needs a non-empty array');
    (list as unknown[]).forEach((x, i) => checkFilterJson(x, `${at}.${'and' in o ? 'and' : 'or'}[${i}]`));
    return;
  }
  if ('not' in o) return checkFilterJson(o.not, `${at}.not`);
  if (typeof o.field !== 'string' || o.field === '') bad('"field" must be a non-empty string');
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  switch (o.op) {
    case '=': case '!=': case '<': case '<=': case '>': case '>=': case 'contains':
      if (!scalar(o.value)) bad('"value" must be a string, number or boolean');
      return;
    case 'in':
      if (!Array.isArray(o.values) || o.values.length === 0 || !o.values.every(scalar)) bad('"values" must be a non-empty array of scalars');
      return;
    case 'glob':
      if (typeof o.pattern !== 'string') bad('"pattern" must be a string');
      return;
    default:
      bad(`unknown op ${JSON.stringify(o.op)}; valid: =, !=, <, <=, >, >=, in, contains, glob`);
  }
}

/** `*` = any run without "/", `**` = any run, `?` = one character; the whole value must match. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:/)?';
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

function compare(a: MetaValue, op: CompareOp, b: FilterScalar): boolean {
  if (Array.isArray(a)) return op === '=' ? a.includes(String(b)) : op === '!=' ? !a.includes(String(b)) : false;
  if (typeof a !== typeof b) {
    // a date literal against a string date (front matter "2024-03-01") compares as time
    if (typeof a === 'string' && typeof b === 'number') {
      const t = Date.parse(a);
      if (Number.isNaN(t)) return op === '!=';
      return compare(t, op, b);
    }
    return op === '!=';
  }
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

/** Compiles the tree into a predicate over metadata records (glob patterns compiled once). */
export function compileFilter(f: FilterExpr): (m: MetaRecord) => boolean {
  if ('and' in f) {
    const parts = f.and.map(compileFilter);
    return (m) => parts.every((p) => p(m));
  }
  if ('or' in f) {
    const parts = f.or.map(compileFilter);
    return (m) => parts.some((p) => p(m));
  }
  if ('not' in f) {
    const inner = compileFilter(f.not);
    return (m) => !inner(m);
  }
  const field = f.field;
  switch (f.op) {
    case 'in': {
      const vs = f.values;
      return (m) => {
        const v = m[field];
        return v !== undefined && vs.some((x) => compare(v, '=', x));
      };
    }
    case 'contains': {
      const x = f.value;
      return (m) => {
        const v = m[field];
        if (Array.isArray(v)) return v.includes(String(x));
        return typeof v === 'string' && v.includes(String(x));
      };
    }
    case 'glob': {
      const re = globToRegExp(f.pattern);
      return (m) => {
        const v = m[field];
        return Array.isArray(v) ? v.some((s) => re.test(s)) : typeof v === 'string' && re.test(v);
      };
    }
    default: {
      const { op, value } = f;
      return (m) => {
        const v = m[field];
        return v !== undefined && compare(v, op, value);
      };
    }
  }
}

/** Evaluates `f` on one record (convenience; use {@link compileFilter} in loops). */
export function matchesFilter(f: FilterExpr, m: MetaRecord): boolean {
  return compileFilter(f)(m);
}

/**
 * A filter as users give it: the filter language, or its JSON form (an object, or text that
 * starts with "{"), e.g. from `--filter`, a query string or a request body.
 * @throws FilterSyntaxError with the column of the mistake; InvalidParameterError for bad JSON or a bad JSON form
 */
export function filterFromInput(input: unknown): FilterExpr {
  if (typeof input === 'string' && input.trimStart().startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(input);
    } catch (err) {
      throw new InvalidParameterError(`filter: not valid JSON (${(err as Error).message})`);
    }
    return toFilter(v as FilterExpr);
  }
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null)) throw new InvalidParameterError('filter: expected the filter language as a string or its JSON form as an object');
  return toFilter(input as string | FilterExpr);
}
