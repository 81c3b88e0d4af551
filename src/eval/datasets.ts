/**
 * Finds and loads an evaluation dataset by path, whatever its kind:
 * - a folder with `corpus.jsonl` → BEIR (queries of `split`, qrels from `qrels/<split>.tsv`);
 * - a `.json` file, or a folder holding exactly one → SQuAD v1.1 / KorQuAD 1.0 (paragraphs as the corpus);
 * - a `.jsonl` file, or a folder holding exactly one → HotpotQA in IRCoT form.
 * QA datasets become retrieval datasets with each question as a query and its gold
 * paragraph(s) judged relevant (grade 1).
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidParameterError, NotFoundError } from '../core/errors.js';
import { loadBeir } from './loaders/beir.js';
import type { LoadOptions, QaDataset, Qrels, RetrievalDataset } from './loaders/common.js';
import { loadHotpotQa } from './loaders/hotpotqa.js';
import { loadSquad } from './loaders/squad.js';

export type DatasetKind = 'beir' | 'squad' | 'hotpotqa';

/** Resolves `path` to (kind, file or folder). @throws NotFoundError, InvalidParameterError */
export async function detectDataset(path: string): Promise<{ kind: DatasetKind; path: string }> {
  const p = resolve(path);
  let s;
  try {
    s = await stat(p);
  } catch {
    throw new NotFoundError(`dataset ${p} not found`);
  }
  if (s.isFile()) {
    if (/\.jsonl$/i.test(p)) return { kind: 'hotpotqa', path: p };
    if (/\.json$/i.test(p)) return { kind: 'squad', path: p };
    throw new InvalidParameterError(`dataset ${p}: expected a BEIR folder, a SQuAD/KorQuAD .json or a HotpotQA .jsonl`);
  }
  const names = await readdir(p);
  if (names.includes('corpus.jsonl')) return { kind: 'beir', path: p };
  const json = names.filter((n) => /\.json$/i.test(n));
  const jsonl = names.filter((n) => /\.jsonl$/i.test(n));
  if (json.length === 1 && jsonl.length === 0) return { kind: 'squad', path: join(p, json[0]) };
  if (jsonl.length === 1 && json.length === 0) return { kind: 'hotpotqa', path: join(p, jsonl[0]) };
  throw new InvalidParameterError(`dataset folder ${p}: expected corpus.jsonl (BEIR), or exactly one .json (SQuAD/KorQuAD) or .jsonl (HotpotQA) file`);
}

/** Loads a QA dataset (SQuAD/KorQuAD/HotpotQA). @throws InvalidParameterError for a BEIR folder */
export async function loadQaDataset(path: string, opts: LoadOptions = {}): Promise<QaDataset> {
  const d = await detectDataset(path);
  if (d.kind === 'squad') return loadSquad(d.path, opts);
  if (d.kind === 'hotpotqa') return loadHotpotQa(d.path, opts);
  throw new InvalidParameterError(`dataset ${d.path} is a BEIR retrieval collection without answers; use \`openbook eval retrieval\``);
}

/** The retrieval view of a QA dataset: questions as queries, gold paragraphs relevant. */
export function qaAsRetrieval(qa: QaDataset): RetrievalDataset {
  const queries = new Map<string, string>();
  const qrels: Qrels = new Map();
  for (const q of qa.questions) {
    queries.set(q.id, q.question);
    qrels.set(q.id, new Map(q.relevant.map((d) => [d, 1])));
  }
  return { name: qa.name, corpus: qa.corpus, queries, qrels, files: qa.files };
}

/** Loads any supported dataset as a retrieval collection; `split` applies to BEIR only. */
export async function loadRetrievalDataset(path: string, split: string, opts: LoadOptions = {}): Promise<RetrievalDataset> {
  const d = await detectDataset(path);
  if (d.kind === 'beir') return loadBeir(d.path, split, opts);
  return qaAsRetrieval(d.kind === 'squad' ? await loadSquad(d.path, opts) : await loadHotpotQa(d.path, opts));
}
