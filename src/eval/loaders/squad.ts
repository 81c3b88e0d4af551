/**
 * SQuAD v1.1 (Rajpurkar et al., EMNLP 2016) and KorQuAD 1.0 (Lim et al., 2019) JSON files:
 * `{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}`.
 *
 * Each paragraph becomes one corpus document with id `<article>.<paragraph>` (0-based indexes
 * into `data` and `paragraphs`, so ids are stable and whitespace-free) and the article title —
 * read as words where it is a Wikipedia page name (see {@link pageTitle}: both files' titles are,
 * "Super_Bowl_50", "알렉산더_헤이그");
 * a question's one relevant document is its own paragraph; its gold answers are kept for EM/F1.
 * These files are single JSON objects, so "line" in problem reports is the JSON path
 * (`data[3].paragraphs[1].qas[0]`).
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { InputFormatError } from '../../core/errors.js';
import { reportProblem, requireFile, type CorpusDoc, type LoadOptions, type QaDataset, type QaQuestion } from './common.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * An article title as words: a title with underscores and no whitespace is a Wikipedia page name
 * (the URL form, where "_" stands for a space), so its underscore runs become single spaces and
 * the ends are trimmed ("Super_Bowl_50" → "Super Bowl 50", "커맨드_앤_컨커_3__타이베리움_워" →
 * "커맨드 앤 컨커 3 타이베리움 워", where "__" was a colon). Anything else is kept as it is. The
 * word tokenizers keep "Super_Bowl_50" as one token (UAX #29: "_" joins words), so as written
 * the title would match no question.
 */
export function pageTitle(title: string): string {
  if (!title.includes('_') || /\s/.test(title)) return title;
  return title.replace(/_+/g, ' ').trim();
}

/**
 * Loads a SQuAD-format file. `answerMetric` is 'korquad' when the file's `version` starts with
 * "KorQuAD" (or the file name does), else 'squad'.
 * @throws NotFoundError when missing; InputFormatError when the file is not JSON or has no `data`
 *   array (always), or on a malformed entry with `strict`.
 */
export async function loadSquad(file: string, opts: LoadOptions = {}): Promise<QaDataset> {
  const path = resolve(file);
  await requireFile(path, 'SQuAD-format file');
  let root: unknown;
  try {
    root = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputFormatError(`${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!isObject(root) || !Array.isArray(root.data)) throw new InputFormatError(`${path}: expected {"data": [...]} at the top level`);
  const version = typeof root.version === 'string' ? root.version : '';
  const korquad = /^korquad/i.test(version) || /korquad/i.test(basename(path));
  const corpus: CorpusDoc[] = [];
  const questions: QaQuestion[] = [];
  const seenQ = new Set<string>();
  root.data.forEach((article: unknown, a: number) => {
    if (!isObject(article) || !Array.isArray(article.paragraphs)) {
      reportProblem(opts, path, `data[${a}]`, 'expected an object with a "paragraphs" array');
      return;
    }
    const title = typeof article.title === 'string' ? pageTitle(article.title) : '';
    article.paragraphs.forEach((para: unknown, p: number) => {
      const where = `data[${a}].paragraphs[${p}]`;
      if (!isObject(para) || typeof para.context !== 'string' || !Array.isArray(para.qas)) {
        reportProblem(opts, path, where, 'expected "context" (string) and "qas" (array)');
        return;
      }
      const docId = `${a}.${p}`;
      corpus.push({ id: docId, title, text: para.context });
      para.qas.forEach((qa: unknown, q: number) => {
        const qWhere = `${where}.qas[${q}]`;
        if (!isObject(qa) || typeof qa.question !== 'string' || typeof qa.id !== 'string' || !Array.isArray(qa.answers)) {
          reportProblem(opts, path, qWhere, 'expected "id", "question" (strings) and "answers" (array)');
          return;
        }
        const answers = qa.answers.filter((x): x is Json => isObject(x) && typeof x.text === 'string').map((x) => x.text as string);
        if (answers.length === 0) {
          reportProblem(opts, path, qWhere, `question ${qa.id} has no answer with a "text"`);
          return;
        }
        if (seenQ.has(qa.id)) {
          reportProblem(opts, path, qWhere, `duplicate question id ${qa.id}`);
          return;
        }
        seenQ.add(qa.id);
        questions.push({ id: qa.id, question: qa.question, answers, relevant: [docId] });
      });
    });
  });
  return { name: basename(path).replace(/\.json$/i, ''), answerMetric: korquad ? 'korquad' : 'squad', corpus, questions, files: [path] };
}
