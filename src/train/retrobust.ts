/**
 * RetRobust training data: Yoran, Wolfson, Ram & Berant, "Making Retrieval-Augmented Language
 * Models Robust to Irrelevant Context", ICLR 2024 (arXiv 2310.01558), §5 (training on a mixture
 * of relevant and irrelevant contexts).
 *
 * For each question, three records that share the gold answer as the target:
 *   - `top-1`:    the retriever's rank-1 passage (usually relevant);
 *   - `low-rank`: one passage drawn uniformly from ranks 11–20 (relevant-looking, usually not useful);
 *   - `random`:   one passage drawn uniformly from the corpus, not an oracle (irrelevant);
 *   - `other-top-1` (opt-in): the top-1 passage of another question of the same file, drawn
 *     uniformly among the other questions whose top-1 is not one of this question's oracles — a
 *     fluent, on-topic-looking passage that answers a different question.
 * The model learns to answer from a useful passage and to ignore a useless one. (The paper trains on
 * question decompositions for multi-hop data; single-hop questions, as here, have the answer as target.)
 *
 * Random draws, per question in input order: 1 draw for the low-rank pick (when ranks 11–20 exist),
 * then, in the order of `settings`, the random passage's draws (rejection sampling, usually 1) and
 * the other-top-1 draw (1, when there is a candidate). Each passage says whether it is
 * an oracle (`role`), its rank, and whether it contains a gold answer.
 * Cost per question: 1 search for the top 20 (all searches run first when other-top-1 is asked).
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import { label, sampleIds, type ContextPassage, type PassagePool, type SkippedQuestion, type TrainQuestion } from './common.js';

export type RetRobustSetting = 'top-1' | 'low-rank' | 'random' | 'other-top-1';
/** The default settings, in order. */
export const retRobustSettings: readonly RetRobustSetting[] = ['top-1', 'low-rank', 'random'];
/** Every setting `settings` may name. */
export const allRetRobustSettings: readonly RetRobustSetting[] = ['top-1', 'low-rank', 'random', 'other-top-1'];

/** Ranks (1-based, inclusive) of the low-rank setting. */
export const LOW_RANK_FIRST = 11;
export const LOW_RANK_LAST = 20;

export interface RetRobustOptions {
  rng: () => number;
  /** Which settings to emit, in this order (default top-1, low-rank, random). */
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
  for (const s of settings) if (!allRetRobustSettings.includes(s)) throw new InvalidParameterError(`retrobust: unknown setting ${JSON.stringify(s)}; valid: ${allRetRobustSettings.join(', ')}`);
  const records: RetRobustRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  const search = async (q: TrainQuestion) => (pool.search && settings.some((s) => s !== 'random') ? pool.search(q.question, LOW_RANK_LAST, o.signal) : []);
  // other-top-1 needs every question's ranking before the first record
  const rankings = settings.includes('other-top-1') ? await Promise.all(questions.map(search)) : undefined;
  let done = 0;
  for (const [qi, q] of questions.entries()) {
    const oracle = new Set(q.oracleIds);
    const role = (id: string) => (oracle.has(id) ? 'oracle' : 'distractor');
    const ranked = rankings ? rankings[qi] : await search(q);
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
      } else if (setting === 'other-top-1') {
        const candidates = questions.flatMap((other, j) => {
          const top = rankings![j][0];
          return j !== qi && top && !oracle.has(top.id) ? [{ other, top }] : [];
        });
        if (candidates.length === 0) skipped.push({ id: q.id, reason: "other-top-1: no other question's top-1 passage is a non-oracle passage" });
        else {
          const c = candidates[Math.floor(o.rng() * candidates.length)];
          emit('other-top-1', [label(c.top, 'distractor', `top-1 of ${c.other.id}`, q.answers, 1)]);
        }
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
