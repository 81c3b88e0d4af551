/**
 * Texts for language-model evaluation and kNN-LM datastores: `.txt` / `.md` files, a folder of
 * them (recursively, sorted by path), or a JSONL file with one text per line (a JSON string, or
 * an object with a `text` field; the source is `<file>:<line>`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { InputFormatError, NotFoundError } from '../core/errors.js';

export interface LmText {
  /** File path (relative to the folder given), or `<file>:<line>` for JSONL. */
  source: string;
  text: string;
}

const TEXT_EXT = new Set(['.txt', '.md', '.markdown']);

/**
 * Reads the texts at `path`.
 * @throws NotFoundError when the path does not exist or holds no text files
 * @throws InputFormatError naming file and line for a malformed JSONL line
 */
export function loadLmTexts(path: string): LmText[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new NotFoundError(`${path} does not exist`);
  }
  const out: LmText[] = [];
  const readOne = (file: string, name: string) => {
    if (extname(file).toLowerCase() === '.jsonl') {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.trim() === '') return;
          let v: unknown;
          try {
            v = JSON.parse(line);
          } catch (err) {
            throw new InputFormatError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
          }
          const text = typeof v === 'string' ? v : typeof (v as { text?: unknown })?.text === 'string' ? (v as { text: string }).text : undefined;
          if (text === undefined) throw new InputFormatError(`${file}:${i + 1}: field "text": expected a string (or the line to be a JSON string)`);
          out.push({ source: `${name}:${i + 1}`, text });
        });
    } else out.push({ source: name, text: readFileSync(file, 'utf8') });
  };
  if (st.isDirectory()) {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : TEXT_EXT.has(extname(e.name).toLowerCase()) || extname(e.name) === '.jsonl' ? [join(dir, e.name)] : []))
        .sort();
    for (const f of walk(path)) readOne(f, relative(path, f));
    if (out.length === 0) throw new NotFoundError(`${path} holds no .txt, .md or .jsonl files`);
  } else readOne(path, path);
  return out;
}
