/**
 * RetRobust training data: Yoran, Wolfson, Ram & Berant, "Making Retrieval-Augmented Language
 * Models Robust to Irrelevant Context", ICLR 2024 (arXiv 2310.01558), §5 (training on a mixture
 * of relevant and irrelevant contexts).
 *
 * For each question, three records that share the gold answer as the target:
 *   - `top-1`:    the retriever's rank-1 passage (usually relevant);
 *   - `low-rank`: one passage drawn uniformly from ranks 11–20 (relevant-looking, usually not useful);
 *   - `random`:   one passage drawn uniformly from the corpus, not an oracle (irrelevant).
 * The model learns to answer from a useful passage and to ignore a useless one. (The paper trains on
 * question decompositions for multi-hop data; single-hop questions, as here, have the answer as target.)
 *
 * Random draws, per question in input order: 1 draw for the low-rank pick (when ranks 11–20 exist),
 * then the random passage's draws (rejection sampling, usually 1). Each passage says whether it is
 * an oracle (`role`), its rank, and whether it contains a gold answer.
 * Cost per question: 1 search for the top 20.
 */
import { CapabilityError } from '../core/errors.js';
import { label, sampleIds, type ContextPassage, type PassagePool, type SkippedQuestion, type TrainQuestion } from './common.js';

export type RetRobustSetting = 'top-1' | 'low-rank' | 'random';
export const retRobustSettings: readonly RetRobustSetting[] = ['top-1', 'low-rank', 'random'];

/** Ranks (1-based, inclusive) of the low-rank setting. */
export const LOW_RANK_FIRST = 11;
export const LOW_RANK_LAST = 20;

export interface RetRobustOptions {
  rng: () => number;
  /** Which settings to emit (default all three, in this order). */
  settings?: readonly RetRobustSetting[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RetRobustRecord {
  method: 'retrobust';
  id: string;
  question: string;
  setting: RetRobustSetting;
  /** One passage, labelled oracle or distractor. */
  context: ContextPassage[];
  /** The training input: passage then question. */
  input: string;
  /** The training target: the first gold answer. */
  target: string;
  answers: string[];
}

/** The training input: `Context: <title>: <text>` then `Question: …` then `Answer:`. */
export function retRobustInput(context: readonly ContextPassage[], question: string): string {
  return `${context.map((p) => `Context: ${p.title ? `${p.title}: ` : ''}${p.text}`).join('\n')}\nQuestion: ${question}\nAnswer:`;
}

/**
 * RetRobust records (see the module comment).
 * @throws CapabilityError when the pool has no search (top-1 and low-rank need a ranking)
 */
export async function buildRetRobustRecords(questions: readonly TrainQuestion[], pool: PassagePool, o: RetRobustOptions): Promise<{ records: RetRobustRecord[]; skipped: SkippedQuestion[] }> {
  const settings = o.settings ?? retRobustSettings;
  if (!pool.search && settings.some((s) => s !== 'random')) throw new CapabilityError('retrobust: the top-1 and low-rank settings need a ranked search over the corpus (a BM25 index)');
  const records: RetRobustRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  let done = 0;
  for (const q of questions) {
    const oracle = new Set(q.oracleIds);
    const role = (id: string) => (oracle.has(id) ? 'oracle' : 'distractor');
    const ranked = pool.search && settings.some((s) => s !== 'random') ? await pool.search(q.question, LOW_RANK_LAST, o.signal) : [];
    const low = ranked.slice(LOW_RANK_FIRST - 1, LOW_RANK_LAST);
    const lowPick = low.length > 0 && settings.includes('low-rank') ? Math.floor(o.rng() * low.length) : -1;
    const emit = (setting: RetRobustSetting, context: ContextPassage[]) =>
      records.push({ method: 'retrobust', id: q.id, question: q.question, setting, context, input: retRobustInput(context, q.question), target: q.answers[0], answers: q.answers });
    for (const setting of settings) {
      if (setting === 'top-1') {
        if (ranked.length === 0) skipped.push({ id: q.id, reason: 'top-1: the search returned nothing' });
        else emit('top-1', [label(ranked[0], role(ranked[0].id), 'bm25', q.answers, 1)]);
      } else if (setting === 'low-rank') {
        if (lowPick < 0) skipped.push({ id: q.id, reason: `low-rank: fewer than ${LOW_RANK_FIRST} passages ranked` });
        else emit('low-rank', [label(low[lowPick], role(low[lowPick].id), 'bm25', q.answers, LOW_RANK_FIRST + lowPick)]);
      } else {
        const [id] = sampleIds(pool.ids, 1, oracle, o.rng);
        if (id === undefined) skipped.push({ id: q.id, reason: 'random: no non-oracle passage in the corpus' });
        else emit('random', [label(pool.get(id)!, 'distractor', 'random', q.answers)]);
      }
    }
    o.onProgress?.(++done, questions.length);
  }
  return { records, skipped };
}
