/**
 * BEIR datasets (Thakur et al., "BEIR: A Heterogeneous Benchmark for Zero-shot Evaluation of
 * Information Retrieval Models", NeurIPS 2021 Datasets and Benchmarks). Layout of one dataset
 * folder: `corpus.jsonl` (`{"_id", "title", "text", "metadata"}` per line), `queries.jsonl`
 * (`{"_id", "text", "metadata"}`), `qrels/<split>.tsv` (`query-id corpus-id score` with a
 * header row; BEIR writes it with Python's csv module, so lines end in CRLF).
 */
import { basename, join, resolve } from 'node:path';
import {
  idField,
  parseJsonObjectLine,
  readLines,
  reportProblem,
  requireFile,
  type CorpusDoc,
  type LoadOptions,
  type RetrievalDataset,
} from './common.js';
import { readQrels } from './trec.js';
import { flattenMeta, metaDateKeys } from '../../ingest/metadata.js';

/** Corpus-line fields that are the document itself, not metadata. */
const BEIR_DOC_FIELDS: ReadonlySet<string> = new Set(['_id', 'title', 'text']);

/**
 * Streams `corpus.jsonl`. A line without a string `_id` is malformed; a missing `title` is
 * read as "" (several BEIR corpora have none), a missing `text` is malformed.
 */
export async function* readBeirCorpus(file: string, opts: LoadOptions = {}): AsyncGenerator<CorpusDoc> {
  await requireFile(file, 'BEIR corpus');
  const seen = new Set<string>();
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const obj = parseJsonObjectLine(line, file, lineNo, opts);
    if (!obj) continue;
    const id = idField(obj, '_id');
    if (id === undefined) {
      reportProblem(opts, file, lineNo, 'missing "_id"');
      continue;
    }
    if (typeof obj.text !== 'string') {
      reportProblem(opts, file, lineNo, `document ${id}: "text" is missing or not a string`);
      continue;
    }
    if (obj.title !== undefined && obj.title !== null && typeof obj.title !== 'string') {
      reportProblem(opts, file, lineNo, `document ${id}: "title" is not a string`);
      continue;
    }
    if (seen.has(id)) {
      reportProblem(opts, file, lineNo, `duplicate document id ${id}`);
      continue;
    }
    seen.add(id);
    const meta = flattenMeta(obj as Record<string, unknown>, BEIR_DOC_FIELDS);
    const dates = metaDateKeys(meta);
    yield { id, title: typeof obj.title === 'string' ? obj.title : '', text: obj.text, ...(Object.keys(meta).length > 0 ? { meta } : {}), ...(dates.length > 0 ? { metaDates: dates } : {}) };
  }
}

/** Reads `queries.jsonl` into qid → text (file order). */
export async function readBeirQueries(file: string, opts: LoadOptions = {}): Promise<Map<string, string>> {
  await requireFile(file, 'BEIR queries');
  const queries = new Map<string, string>();
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const obj = parseJsonObjectLine(line, file, lineNo, opts);
    if (!obj) continue;
    const id = idField(obj, '_id');
    if (id === undefined || typeof obj.text !== 'string') {
      reportProblem(opts, file, lineNo, 'expected string "_id" and "text"');
      continue;
    }
    queries.set(id, obj.text);
  }
  return queries;
}

/**
 * Loads a BEIR dataset folder for one split. Queries are those with judgments in the split's
 * qrels, in qrels order; a judged query missing from `queries.jsonl` is reported (and, under
 * trec_eval `-c`, still counts as a query scoring 0).
 * @throws NotFoundError when a file is missing; InputFormatError on malformed lines with `strict`.
 */
export async function loadBeir(dir: string, split = 'test', opts: LoadOptions = {}): Promise<RetrievalDataset> {
  const root = resolve(dir);
  const corpusFile = join(root, 'corpus.jsonl');
  const queriesFile = join(root, 'queries.jsonl');
  const qrelsFile = join(root, 'qrels', `${split}.tsv`);
  await requireFile(qrelsFile, `qrels for split "${split}"`);
  const corpus: CorpusDoc[] = [];
  for await (const doc of readBeirCorpus(corpusFile, opts)) corpus.push(doc);
  const allQueries = await readBeirQueries(queriesFile, opts);
  const qrels = await readQrels(qrelsFile, opts);
  const queries = new Map<string, string>();
  for (const qid of qrels.keys()) {
    const text = allQueries.get(qid);
    if (text === undefined) reportProblem(opts, queriesFile, '-', `query ${qid} has judgments in ${qrelsFile} but no text`);
    else queries.set(qid, text);
  }
  return { name: basename(root), corpus, queries, qrels, files: [corpusFile, queriesFile, qrelsFile] };
}
