/**
 * Shared pieces of the evaluation dataset loaders: the dataset shapes every loader returns,
 * line streaming, and the skip-or-fail policy for malformed input.
 *
 * Every loader reports a malformed line as `file:line: what is wrong`. By default the line is
 * skipped and the message goes to `onWarning`; with `strict: true` the first one throws
 * `InputFormatError` with the same message.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputFormatError, NotFoundError } from '../../core/errors.js';

/** One document of an evaluation corpus (a BEIR abstract, a SQuAD paragraph, a HotpotQA paragraph). */
export interface CorpusDoc {
  /** Dataset document id (BEIR `_id`, or an id the loader assigns, stable across runs). */
  id: string;
  title: string;
  text: string;
  /**
   * Metadata fields of the document (BEIR: the line's fields other than `_id`/`title`/`text`,
   * flattened as JSONL fields are, `metadata.url`), filterable with `eval --filter`.
   */
  meta?: Record<string, string | number | boolean | string[]>;
}

/**
 * Relevance judgments: qid → (docId → relevance grade). Grades are integers as in the qrels
 * file; grade ≥ 1 counts as relevant for Recall/MAP/MRR (trec_eval's default `-l 1`), and the
 * grade itself is the nDCG gain. Iteration order is file order.
 */
export type Qrels = Map<string, Map<string, number>>;

/** A retrieval test collection held in memory: corpus, queries of one split, judgments. */
export interface RetrievalDataset {
  /** Short name, e.g. "scifact". */
  name: string;
  corpus: CorpusDoc[];
  /** qid → query text, restricted to the queries that have judgments in `qrels` (file order). */
  queries: Map<string, string>;
  qrels: Qrels;
  /** Files the dataset was read from (absolute paths), for the eval-cache key. */
  files: string[];
}

/** A question with gold answers and its gold paragraph(s), for `eval qa`. */
export interface QaQuestion {
  id: string;
  question: string;
  /** Gold answer strings (SQuAD: usually 3 crowd answers; KorQuAD: 1). */
  answers: string[];
  /** Ids of the relevant corpus documents (SQuAD/KorQuAD: the question's own paragraph). */
  relevant: string[];
}

/** An extractive-QA dataset: paragraphs as the corpus and the questions over them. */
export interface QaDataset {
  name: string;
  /** Which official answer metric applies: SQuAD v1.1 token F1, or KorQuAD 1.0 character F1. */
  answerMetric: 'squad' | 'korquad';
  corpus: CorpusDoc[];
  questions: QaQuestion[];
  files: string[];
}

export interface LoadOptions {
  /** Throw `InputFormatError` at the first malformed line instead of skipping it. Default false. */
  strict?: boolean;
  /** Receives `file:line: what is wrong` for each skipped line. Default: ignore. */
  onWarning?: (message: string) => void;
}

/** Applies the skip-or-fail policy to one problem at `file:line`. */
export function reportProblem(opts: LoadOptions, file: string, line: number | string, what: string): void {
  const message = `${file}:${line}: ${what}`;
  if (opts.strict) throw new InputFormatError(message);
  opts.onWarning?.(message);
}

/** Throws `NotFoundError` naming `what` when `file` is not a readable regular file. */
export async function requireFile(file: string, what: string): Promise<void> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new NotFoundError(`${what} ${file} is not a file`);
  } catch (err) {
    if (err instanceof NotFoundError) throw err;
    throw new NotFoundError(`${what} ${file} not found`);
  }
}

/**
 * Streams the lines of a UTF-8 text file with 1-based line numbers. A trailing `\r` is
 * removed (CRLF files such as BEIR's qrels), and a UTF-8 BOM on line 1 is dropped.
 */
export async function* readLines(file: string): AsyncGenerator<{ line: string; lineNo: number }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of rl) {
    lineNo++;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    yield { line, lineNo };
  }
}

/** Parses one JSONL line into an object, or reports why it is not one and returns undefined. */
export function parseJsonObjectLine(
  line: string,
  file: string,
  lineNo: number,
  opts: LoadOptions,
): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    reportProblem(opts, file, lineNo, `invalid JSON (${(err as Error).message})`);
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    reportProblem(opts, file, lineNo, 'expected a JSON object');
    return undefined;
  }
  return value as Record<string, unknown>;
}

/** Reads a string field that may also be given as a number (BEIR ids are sometimes numeric). */
export function idField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}
