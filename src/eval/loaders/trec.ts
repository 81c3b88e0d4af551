/**
 * TREC run and qrels files.
 *
 * Run line:   `qid Q0 docno rank score tag` (whitespace-separated; trec_eval reads `score` as a
 *             double and ignores `rank`, re-sorting by score — see `metrics.ts`).
 * Qrels line: `qid iter docno rel` (trec_eval's format; `iter` ignored).
 * BEIR qrels: `query-id<TAB>corpus-id<TAB>score` with a header row, often CRLF — read by
 *             `readQrels` too (three columns, header skipped).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readLines, reportProblem, requireFile, type LoadOptions, type Qrels } from './common.js';

/** One retrieved document of a run: dataset doc id and the retriever's score. */
export interface RunEntry {
  docId: string;
  score: number;
}

/** A run: qid → retrieved documents (any order; evaluation re-sorts them as trec_eval does). */
export type Run = Map<string, RunEntry[]>;

/**
 * Reads qrels in TREC (4 columns) or BEIR TSV (3 columns, header) form.
 * Relevance must be an integer; a duplicate (qid, docno) keeps the last grade and is reported.
 * @throws NotFoundError when the file is missing; InputFormatError on a bad line with `strict`.
 */
export async function readQrels(file: string, opts: LoadOptions = {}): Promise<Qrels> {
  await requireFile(file, 'qrels file');
  const qrels: Qrels = new Map();
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const cols = line.trim().split(/\s+/);
    let qid: string, docId: string, relText: string;
    if (cols.length === 4) [qid, , docId, relText] = cols;
    else if (cols.length === 3) [qid, docId, relText] = cols;
    else {
      reportProblem(opts, file, lineNo, `expected 3 (BEIR) or 4 (TREC) columns, got ${cols.length}`);
      continue;
    }
    if (lineNo === 1 && !/^-?\d+$/.test(relText)) continue; // BEIR header "query-id corpus-id score"
    if (!/^-?\d+$/.test(relText)) {
      reportProblem(opts, file, lineNo, `relevance "${relText}" is not an integer`);
      continue;
    }
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    if (judged.has(docId)) reportProblem(opts, file, lineNo, `duplicate judgment for query ${qid}, doc ${docId}`);
    judged.set(docId, Number.parseInt(relText, 10));
  }
  return qrels;
}

/**
 * Reads a TREC run file. A duplicate (qid, docno) is an error in trec_eval; here it is reported
 * and the first occurrence kept.
 */
export async function readRun(file: string, opts: LoadOptions = {}): Promise<Run> {
  await requireFile(file, 'run file');
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) {
      reportProblem(opts, file, lineNo, `expected "qid Q0 docno rank score [tag]", got ${cols.length} columns`);
      continue;
    }
    const [qid, , docId, , scoreText] = cols;
    const score = Number(scoreText);
    if (!Number.isFinite(score)) {
      reportProblem(opts, file, lineNo, `score "${scoreText}" is not a number`);
      continue;
    }
    let docs = seen.get(qid);
    if (!docs) seen.set(qid, (docs = new Set()));
    if (docs.has(docId)) {
      reportProblem(opts, file, lineNo, `duplicate document ${docId} for query ${qid}`);
      continue;
    }
    docs.add(docId);
    let entries = run.get(qid);
    if (!entries) run.set(qid, (entries = []));
    entries.push({ docId, score });
  }
  return run;
}

/**
 * Formats a score as TREC runs are written by Anserini and Pyserini: fixed 6 decimals.
 * Metrics computed in memory use the same rounded value (`roundRunScore`), so a run file
 * evaluated with trec_eval gives exactly the numbers openbook printed, ties included.
 */
export function formatRunScore(score: number): string {
  return score.toFixed(6);
}

/** The score as trec_eval will read it back from the run file (`Number(score.toFixed(6))`). */
export function roundRunScore(score: number): number {
  return Number(score.toFixed(6));
}

/**
 * Writes a run in TREC format, each query's entries in the given order with ranks 1..n.
 * Query order follows the map's insertion order.
 */
export async function writeRun(file: string, run: Run, tag: string): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  for (const [qid, entries] of run) {
    let rank = 0;
    for (const e of entries) {
      rank++;
      if (!out.write(`${qid} Q0 ${e.docId} ${rank} ${formatRunScore(e.score)} ${tag}\n`)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}
