/**
 * Document metadata gathered at load time into `Document.meta` (the filterable fields of
 * `index/store/metadata.ts`):
 *   - `lang`: the dominant script of the text (`detectLang`);
 *   - Markdown YAML front matter (`frontMatterMeta`), JSONL fields other than id/title/text
 *     (`flattenMeta`), PDF/DOCX document properties (by their loaders);
 *   - user tags: `index --meta key=value` for every file of a run, and a sidecar file next to a
 *     document, `<file>.meta.json` or `<file>.meta.yaml` (`readSidecar`); later layers win for
 *     scalars and lists are united (`mergeMeta`).
 * Values are flattened: nested objects become dotted keys (`author.name`), lists of scalars
 * become string lists, and strings that are ISO dates (`2024-03-01`, `2024-03-01T09:30:00Z`)
 * become ms since the epoch, so `date >= 2024-01-01` compares as dates (as `mtime` does). Which
 * fields hold such dates travels with each layer (`metaDateKeys`) and is stored as
 * `Document.metaDates`, so `status` lists them as type `date`, not `number`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InputFormatError, InvalidParameterError } from '../core/errors.js';

// The YAML parser (~70 CommonJS files) loads when a front matter or a .meta.yaml sidecar is read.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);

export type DocMeta = Record<string, string | number | boolean | string[]>;

/**
 * Version of what the loaders record as metadata (`Document.metaVersion`). 1: lang, front
 * matter, JSONL fields, document properties (PDF, DOCX/PPTX/XLSX, HWPX, HWP, EPUB) and the text
 * encoding. 2: `metaDates`, the fields holding ISO dates. A document stored without it, or with an older one, is read again on the next run
 * even when its bytes are unchanged, so a filter on a field it lacks sees it after one run.
 * Raise it whenever a loader starts recording a field.
 */
export const META_VERSION = 2;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A scalar as stored: ISO-date strings → ms since the epoch (UTC when no zone is given). */
function scalar(v: string | number | boolean): string | number | boolean {
  if (typeof v !== 'string' || !ISO_DATE.test(v.trim())) return v;
  const s = v.trim();
  const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) || s.length === 10 ? s : `${s}Z`);
  return Number.isFinite(t) ? t : v;
}

/** The keys of each metadata layer built here whose number is a date (ms since the epoch). */
const DATE_KEYS = new WeakMap<DocMeta, Set<string>>();

function noteDate(out: DocMeta, key: string, raw: unknown, stored: unknown): void {
  if (typeof stored !== 'number' || (typeof raw !== 'string' && !(raw instanceof Date))) return;
  let keys = DATE_KEYS.get(out);
  if (!keys) DATE_KEYS.set(out, (keys = new Set()));
  keys.add(key);
}

/**
 * The fields of `meta` that hold dates (ms since the epoch converted from ISO-date strings or
 * YAML dates), sorted; [] for a layer with none or one not built by this module's functions
 * (`flattenMeta`, `frontMatterMeta`, `readSidecar`, `parseMetaPairs`, `mergeMeta`).
 */
export function metaDateKeys(meta: DocMeta | undefined): string[] {
  const keys = meta ? DATE_KEYS.get(meta) : undefined;
  return keys ? [...keys].filter((k) => typeof meta![k] === 'number').sort() : [];
}

/**
 * Flattens a parsed object into metadata (module comment). Keys listed in `skip` are left out
 * at the top level; null/undefined values and empty keys are dropped.
 */
export function flattenMeta(obj: Record<string, unknown>, skip: ReadonlySet<string> = new Set(), prefix = ''): DocMeta {
  const out: DocMeta = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === '' || (prefix === '' && skip.has(k)) || v === null || v === undefined) continue;
    const key = prefix + k;
    if (v instanceof Date) {
      out[key] = v.getTime();
      noteDate(out, key, v, out[key]);
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      if (typeof v === 'number' && !Number.isFinite(v)) continue;
      out[key] = scalar(v);
      noteDate(out, key, v, out[key]);
    } else if (Array.isArray(v)) {
      const items = v.filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean').map((x) => String(x));
      out[key] = items;
    } else if (typeof v === 'object') {
      const inner = flattenMeta(v as Record<string, unknown>, skip, `${key}.`);
      Object.assign(out, inner);
      for (const k of metaDateKeys(inner)) noteDate(out, k, '', inner[k]);
    }
  }
  return out;
}

/**
 * The YAML front matter of a Markdown text (`---` on line 1, closed by `---` or `...`), flattened;
 * `{}` when there is none.
 * @throws InputFormatError naming the line when the block is not valid YAML or not a mapping
 */
export function frontMatterMeta(text: string, where: string): DocMeta {
  const m = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
  if (!m) return {};
  let v: unknown;
  try {
    v = parseYaml(m[1]);
  } catch (err) {
    // yaml's line is within the front matter (its own position text is dropped: the file line is given).
    const line = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new InputFormatError(`${where}:${line !== undefined ? line + 1 : 2}: front matter is not valid YAML (${(err as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')})`);
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InputFormatError(`${where}:2: front matter must be a YAML mapping (key: value lines)`);
  return flattenMeta(v as Record<string, unknown>);
}

/**
 * The metadata of `<file>.meta.json` or `<file>.meta.yaml` next to `absPath`, or undefined.
 * @throws InputFormatError naming the sidecar when it cannot be parsed or is not an object
 */
export function readSidecar(absPath: string): DocMeta | undefined {
  for (const ext of ['.meta.json', '.meta.yaml', '.meta.yml']) {
    const p = absPath + ext;
    if (!existsSync(p)) continue;
    let v: unknown;
    try {
      const raw = readFileSync(p, 'utf8');
      v = ext === '.meta.json' ? JSON.parse(raw) : parseYaml(raw);
    } catch (err) {
      throw new InputFormatError(`${p}: not valid ${ext === '.meta.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputFormatError(`${p}: must hold an object of metadata fields`);
    return flattenMeta(v as Record<string, unknown>);
  }
  return undefined;
}

/**
 * `--meta key=value` pairs (repeatable) → metadata; a key given twice becomes a list
 * (`--meta tags=보안 --meta tags=계약` → tags = ["보안", "계약"]; `tags` is always a list); numbers
 * and true/false are typed, ISO dates become ms.
 * @throws InvalidParameterError for a pair without "=" or with an empty key
 */
export function parseMetaPairs(pairs: readonly string[] = []): DocMeta {
  const out: DocMeta = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InvalidParameterError(`--meta expects key=value, got ${JSON.stringify(p)}`);
    const key = p.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) throw new InvalidParameterError(`--meta: "${key}" is not a field name (letters, digits, _ and ., not starting with a digit)`);
    const raw = p.slice(eq + 1);
    const value = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : scalar(raw);
    const prev = out[key];
    if (prev === undefined) {
      out[key] = key === 'tags' ? [String(raw)] : value;
      if (typeof value === 'number' && !Number.isFinite(Number(raw))) noteDate(out, key, raw, out[key]);
    }
    else out[key] = [...(Array.isArray(prev) ? prev : [String(prev)]), String(raw)];
  }
  return out;
}

/**
 * The dominant script of `text` as a language tag: "ko" (Hangul), "ja" (any Kana), "zh" (Han
 * without Kana or Hangul), "en" (Latin script — any Latin-script language is reported as "en"),
 * "mixed" when no script has 60 % of the letters, "und" below 20 letters. Reads at most the
 * first 20,000 characters.
 */
export function detectLang(text: string): string {
  let hangul = 0;
  let kana = 0;
  let han = 0;
  let latin = 0;
  let letters = 0;
  const end = Math.min(text.length, 20_000);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7)) latin++;
    else if ((c >= 0xac00 && c <= 0xd7a3) || (c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f)) hangul++;
    else if (c >= 0x3040 && c <= 0x30ff) kana++;
    else if (c >= 0x4e00 && c <= 0x9fff) han++;
    else continue;
    letters++;
  }
  if (letters < 20) return 'und';
  if (kana > 0 && kana + han >= 0.6 * letters) return 'ja';
  // A Hangul syllable carries a whole word part; weigh it against Latin letters as 3 letters.
  const weighted = hangul * 3 + latin + han * 2;
  if (hangul * 3 >= 0.6 * weighted) return 'ko';
  if (han * 2 >= 0.6 * weighted) return 'zh';
  if (latin >= 0.6 * weighted) return 'en';
  return 'mixed';
}

/**
 * Merges metadata layers: a later scalar replaces an earlier value; where either side is a list
 * (tags) the two are united, earlier values first, so `--meta tags=x` adds to front-matter tags.
 * `undefined` layers are skipped.
 */
export function mergeMeta(...layers: Array<DocMeta | undefined>): DocMeta | undefined {
  const out: DocMeta = {};
  let any = false;
  for (const l of layers) {
    if (!l) continue;
    const dates = new Set(metaDateKeys(l));
    for (const [k, v] of Object.entries(l)) {
      const prev = out[k];
      if (prev !== undefined && (Array.isArray(prev) || Array.isArray(v))) {
        const list = (x: DocMeta[string]) => (Array.isArray(x) ? x : [String(x)]);
        out[k] = [...new Set([...list(prev), ...list(v)])];
      } else {
        out[k] = v;
        // The winning layer decides whether the field is a date.
        DATE_KEYS.get(out)?.delete(k);
        if (dates.has(k)) noteDate(out, k, '', v);
      }
    }
    any = true;
  }
  return any && Object.keys(out).length > 0 ? out : undefined;
}

/** `Document.userMetaHash` of the user layers (tags, sidecar): undefined when both are empty. */
export function userMetaHash(tags: DocMeta | undefined, sidecar: DocMeta | undefined): string | undefined {
  const user = mergeMeta(tags, sidecar);
  if (!user) return undefined;
  const sorted = Object.fromEntries(Object.entries(user).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
