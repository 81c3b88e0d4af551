/**
 * HotpotQA (Yang et al., EMNLP 2018) in the IRCoT processed JSONL form (Trivedi et al., ACL 2023):
 * one question per line, `{"question_id", "question_text", "answers_objects": [{"spans": [...]}],
 * "contexts": [{"id", "title", "paragraph_text", "is_supporting"}]}`.
 *
 * The corpus is the pool of distinct (title, paragraph_text) pairs over all questions, with ids
 * `p0, p1, …` in order of first appearance (stable for a given file); each question's relevant
 * documents are its `is_supporting` paragraphs (two per question in the IRCoT subsample).
 */
import { basename, resolve } from 'node:path';
import { parseJsonObjectLine, readLines, reportProblem, requireFile, type CorpusDoc, type LoadOptions, type QaDataset, type QaQuestion } from './common.js';

export async function loadHotpotQa(file: string, opts: LoadOptions = {}): Promise<QaDataset> {
  const path = resolve(file);
  await requireFile(path, 'HotpotQA JSONL file');
  const corpus: CorpusDoc[] = [];
  const idOf = new Map<string, string>();
  const questions: QaQuestion[] = [];
  for await (const { line, lineNo } of readLines(path)) {
    if (line.trim() === '') continue;
    const obj = parseJsonObjectLine(line, path, lineNo, opts);
    if (!obj) continue;
    const { question_id: qid, question_text: question, contexts, answers_objects: answersObjects } = obj;
    if (typeof qid !== 'string' || typeof question !== 'string' || !Array.isArray(contexts) || !Array.isArray(answersObjects)) {
      reportProblem(opts, path, lineNo, 'expected "question_id", "question_text", "contexts" and "answers_objects"');
      continue;
    }
    const relevant: string[] = [];
    let bad = false;
    for (const c of contexts as unknown[]) {
      const ctx = c as Record<string, unknown>;
      if (ctx === null || typeof ctx !== 'object' || typeof ctx.title !== 'string' || typeof ctx.paragraph_text !== 'string') {
        bad = true;
        break;
      }
      const key = `${ctx.title}\u0000${ctx.paragraph_text}`;
      let id = idOf.get(key);
      if (id === undefined) {
        id = `p${corpus.length}`;
        idOf.set(key, id);
        corpus.push({ id, title: ctx.title, text: ctx.paragraph_text });
      }
      if (ctx.is_supporting === true && !relevant.includes(id)) relevant.push(id);
    }
    if (bad) {
      reportProblem(opts, path, lineNo, `question ${qid}: a context lacks string "title"/"paragraph_text"`);
      continue;
    }
    const answers = (answersObjects as unknown[]).flatMap((a) => {
      const spans = (a as Record<string, unknown> | null)?.spans;
      return Array.isArray(spans) ? spans.filter((s): s is string => typeof s === 'string') : [];
    });
    if (answers.length === 0) reportProblem(opts, path, lineNo, `question ${qid}: no answer spans`);
    if (relevant.length === 0) reportProblem(opts, path, lineNo, `question ${qid}: no supporting paragraph`);
    questions.push({ id: qid, question, answers, relevant });
  }
  return { name: basename(path).replace(/\.jsonl$/i, ''), answerMetric: 'squad', corpus, questions, files: [path] };
}
