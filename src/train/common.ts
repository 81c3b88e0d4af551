/**
 * Shapes shared by the training-data builders (RAFT, RetRobust, ATM): questions with gold answers
 * and oracle passages, a passage pool to draw distractors from, passages labelled oracle /
 * distractor / fabricated, seeded sampling, and JSONL output.
 *
 * The builders write data for trainers outside TypeScript; nothing here trains a model. Every
 * random choice goes through the caller's rng (uniform [0, 1), e.g. `mulberry32(seed)`), in a
 * documented order, so a seed reproduces the file byte for byte.
 */
import { InvalidParameterError } from '../core/errors.js';

/** A passage of the QA corpus (a SQuAD/KorQuAD paragraph, a HotpotQA paragraph). */
export interface TrainPassage {
  id: string;
  title: string;
  text: string;
}

/** A training question: gold answers and the ids of its oracle (gold) passages. */
export interface TrainQuestion {
  id: string;
  question: string;
  /** Gold answer strings, first = the one used as the target. Non-empty. */
  answers: string[];
  /** Ids of the passages that contain the answer (SQuAD: its paragraph; HotpotQA: the supporting paragraphs). */
  oracleIds: string[];
}

/** Where distractors come from. */
export interface PassagePool {
  /** The passage with this id, or undefined. */
  get(id: string): TrainPassage | undefined;
  /** Every passage id, in a fixed order (random draws index into it). */
  readonly ids: readonly string[];
  /** Passages ranked for `query`, best first (BM25 in the CLI): hard negatives. Absent = random distractors only. */
  search?(query: string, topK: number, signal?: AbortSignal): Promise<TrainPassage[]>;
}

/** What a passage is in a training context. */
export type PassageRole = 'oracle' | 'distractor' | 'fabricated';

/** A passage placed in a training context, labelled. */
export interface ContextPassage extends TrainPassage {
  role: PassageRole;
  /** How it was chosen: `gold`, `bm25` (hard negative), `random`, or how it was made (`entity-swap`, `duplicate`, `model:<id>`). */
  origin: string;
  /** 1-based rank in the retrieval it came from, when it came from one. */
  rank?: number;
  /** Whether a gold answer string occurs in the text (a "distractor" that contains it is a likely false negative). */
  containsAnswer: boolean;
}

/** Distractor source: BM25 hard negatives or uniform random passages. */
export type DistractorSource = 'bm25' | 'random';
export const distractorSources: readonly DistractorSource[] = ['bm25', 'random'];

/** A question the builder could not turn into a record, and why. */
export interface SkippedQuestion {
  id: string;
  reason: string;
}

/** Fisher–Yates shuffle in place with `rng` (n − 1 draws, from the last position down). */
export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * `count` distinct ids drawn uniformly from `ids` without the ones in `exclude`, by rejection
 * (one rng draw per attempt; gives up after 50·count + 100 attempts and returns what it has).
 * `accept`, when given, rejects a drawn id too (it is then never drawn again: `rejected` lists it).
 */
export function sampleIds(ids: readonly string[], count: number, exclude: ReadonlySet<string>, rng: () => number, accept?: (id: string) => boolean, rejected?: string[]): string[] {
  const out: string[] = [];
  const taken = new Set<string>();
  const budget = 50 * count + 100;
  for (let attempt = 0; out.length < count && attempt < budget && ids.length > 0; attempt++) {
    const id = ids[Math.floor(rng() * ids.length)];
    if (exclude.has(id) || taken.has(id)) continue;
    taken.add(id);
    if (accept && !accept(id)) {
      rejected?.push(id);
      continue;
    }
    out.push(id);
  }
  return out;
}

/** Whether any of `answers` occurs in `text` (case-insensitive, after trimming). */
export function containsAnswer(text: string, answers: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return answers.some((a) => a.trim() !== '' && lower.includes(a.trim().toLowerCase()));
}

/** Labels a passage for a context. */
export function label(p: TrainPassage, role: PassageRole, origin: string, answers: readonly string[], rank?: number): ContextPassage {
  return { id: p.id, title: p.title, text: p.text, role, origin, ...(rank !== undefined ? { rank } : {}), containsAnswer: containsAnswer(p.text, answers) };
}

/**
 * Distractors for a question: `count` passages that are not its oracles, BM25-ranked (the first
 * `count` acceptable non-oracle hits among the top count + |oracles| + 10) or uniform random.
 * With `dropAnswerBearing`, a passage that contains a gold answer is no distractor (RAFT: it would
 * teach the model to ignore a passage that answers); its id goes to `dropped`.
 * @throws InvalidParameterError when `bm25` is asked of a pool without search
 */
export async function pickDistractors(
  q: TrainQuestion,
  pool: PassagePool,
  count: number,
  source: DistractorSource,
  rng: () => number,
  signal?: AbortSignal,
  o: { dropAnswerBearing?: boolean; dropped?: string[] } = {},
): Promise<ContextPassage[]> {
  if (count === 0) return [];
  const oracle = new Set(q.oracleIds);
  const usable = (text: string) => !o.dropAnswerBearing || !containsAnswer(text, q.answers);
  if (source === 'bm25') {
    if (!pool.search) throw new InvalidParameterError('distractors "bm25" need a passage pool with search (a BM25 index); use "random" or give one');
    const ranked = await pool.search(q.question, count + oracle.size + 10, signal);
    const out: ContextPassage[] = [];
    ranked.forEach((p, i) => {
      if (out.length >= count || oracle.has(p.id)) return;
      if (usable(p.text)) out.push(label(p, 'distractor', 'bm25', q.answers, i + 1));
      else o.dropped?.push(p.id);
    });
    return out;
  }
  return sampleIds(pool.ids, count, oracle, rng, (id) => usable(pool.get(id)!.text), o.dropped).map((id) => label(pool.get(id)!, 'distractor', 'random', q.answers));
}

/** The oracle passages of `q` found in `pool`, labelled; missing ids are left out. */
export function oraclePassages(q: TrainQuestion, pool: PassagePool): ContextPassage[] {
  const out: ContextPassage[] = [];
  for (const id of q.oracleIds) {
    const p = pool.get(id);
    if (p) out.push(label(p, 'oracle', 'gold', q.answers));
  }
  return out;
}

/** A pool over an in-memory passage list (ids in list order), with an optional ranked search. */
export function memoryPool(passages: readonly TrainPassage[], search?: PassagePool['search']): PassagePool {
  const byId = new Map(passages.map((p) => [p.id, p]));
  return { get: (id) => byId.get(id), ids: passages.map((p) => p.id), ...(search ? { search } : {}) };
}

/** Records as JSONL: one JSON object per line, UTF-8, `\n` after each. */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

/** Checks an integer option. @throws InvalidParameterError naming it */
export function checkInt(where: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new InvalidParameterError(`${where}: ${name} must be an integer ≥ ${min}, got ${v}`);
}
