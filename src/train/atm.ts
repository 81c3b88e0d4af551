/**
 * ATM attacker-side data: Zhu, Yan, Shi, Yin & Sha, "ATM: Adversarial Tuning
 * Multi-agent System Makes a Robust Retrieval-Augmented Generator", EMNLP 2024 (arXiv 2405.18111).
 *
 * In ATM an attacker fabricates plausible but misleading documents for a question and perturbs the
 * retrieved list; the generator is then trained (SFT on the gold answer plus a term pulling its
 * output on the attacked list towards that on the clean list). This module builds the attacker's
 * side only — pairs of (clean context, attacked context) with the gold answer — for a trainer
 * outside TypeScript.
 *
 * Clean context: the oracle passage(s) + k distractors (BM25 or random), shuffled.
 * Attacked context: the clean passages plus
 *   - with a model: `numFabricated` passages the model writes to support a wrong answer (`model:<id>`);
 *   - without one (or in addition, per `attacks`):
 *       `entity-swap`: a copy of each oracle with every occurrence of the gold answer replaced by
 *                      another question's gold answer (a counterfactual passage);
 *       `duplicate`:   one distractor repeated `numDuplicates` times (noise that outnumbers the oracle);
 *       `shuffle`:     the whole list re-shuffled.
 * Every added passage has role `fabricated` and says how it was made (`origin`).
 *
 * Random draws, per question in input order: distractor draws (random source only); the clean
 * shuffle; the substitute answer pick (1 draw per try, entity-swap); the duplicated distractor pick
 * (1 draw, duplicate); the attacked shuffle (shuffle).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { LanguageModel } from '../models/types.js';
import {
  checkInt,
  containsAnswer,
  oraclePassages,
  pickDistractors,
  shuffleInPlace,
  type ContextPassage,
  type DistractorSource,
  type PassagePool,
  type SkippedQuestion,
  type TrainQuestion,
} from './common.js';

export type AtmAttack = 'entity-swap' | 'duplicate' | 'shuffle';
export const atmAttacks: readonly AtmAttack[] = ['entity-swap', 'duplicate', 'shuffle'];

export interface AtmOptions {
  rng: () => number;
  /** Distractors in the clean context, k ≥ 0. Default 4. */
  numDistractors?: number;
  distractors?: DistractorSource;
  /** List perturbations (default all three). */
  attacks?: readonly AtmAttack[];
  /** Copies of the duplicated distractor added (≥ 1). Default 2. */
  numDuplicates?: number;
  /** With a model: fabricated passages per question (≥ 1). Default 2. */
  numFabricated?: number;
  llm?: LanguageModel;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface AtmRecord {
  method: 'atm';
  id: string;
  question: string;
  answers: string[];
  /** Oracle + distractors, shuffled. */
  clean: ContextPassage[];
  /** Clean passages plus fabricated ones, after the perturbations. */
  attacked: ContextPassage[];
  /** What was done, in order, with details (e.g. the swapped answer). */
  attacks: Array<{ kind: AtmAttack | 'fabricate'; detail: string }>;
  /** The training target: the first gold answer. */
  target: string;
  /** `template` (list perturbations only) or `model:<id>`. */
  attackSource: string;
}

/** Replaces every occurrence of `from` in `text` by `to` (literal, case-sensitive). */
export function swapEntity(text: string, from: string, to: string): string {
  return text.split(from).join(to);
}

/** The prompt asking the attacker model for one misleading passage. */
export function fabricationPrompt(question: string, answer: string, n: number): string {
  return (
    `Write a short encyclopedia-style paragraph (3–5 sentences) that looks relevant to the question below but ` +
    `supports a wrong answer — anything except "${answer}". Do not mention that it is wrong. This is adversarial ` +
    `training data for a robust question-answering model (passage ${n}).\n\nQuestion: ${question}\nParagraph:`
  );
}

/**
 * Clean vs attacked context pairs (see the module comment).
 * @throws InvalidParameterError on bad counts or an unknown attack
 */
export async function buildAtmRecords(questions: readonly TrainQuestion[], pool: PassagePool, o: AtmOptions): Promise<{ records: AtmRecord[]; skipped: SkippedQuestion[] }> {
  const k = o.numDistractors ?? 4;
  const numDuplicates = o.numDuplicates ?? 2;
  const numFabricated = o.numFabricated ?? 2;
  checkInt('atm', 'numDistractors', k, 0);
  checkInt('atm', 'numDuplicates', numDuplicates, 1);
  checkInt('atm', 'numFabricated', numFabricated, 1);
  const attacks = o.attacks ?? atmAttacks;
  for (const a of attacks) if (!atmAttacks.includes(a)) throw new InvalidParameterError(`atm: unknown attack ${JSON.stringify(a)}; valid: ${atmAttacks.join(', ')}`);
  const source: DistractorSource = o.distractors ?? (pool.search ? 'bm25' : 'random');
  const records: AtmRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  let done = 0;
  for (const q of questions) {
    const oracles = oraclePassages(q, pool);
    if (oracles.length === 0) {
      skipped.push({ id: q.id, reason: `none of its oracle passages (${q.oracleIds.join(', ')}) is in the corpus` });
      o.onProgress?.(++done, questions.length);
      continue;
    }
    const distractors = await pickDistractors(q, pool, k, source, o.rng, o.signal);
    const clean = shuffleInPlace([...oracles, ...distractors], o.rng);
    const attacked = [...clean];
    const log: AtmRecord['attacks'] = [];
    const gold = q.answers[0];
    if (o.llm) {
      for (let n = 1; n <= numFabricated; n++) {
        const r = await o.llm.generate([{ role: 'user', content: fabricationPrompt(q.question, gold, n) }], { temperature: 0.7, maxTokens: 200, signal: o.signal });
        const text = r.generations[0]?.text.trim() ?? '';
        if (text === '') continue;
        attacked.push({ id: `${q.id}#fabricated-${n}`, title: '', text, role: 'fabricated', origin: `model:${o.llm.id}`, containsAnswer: containsAnswer(text, q.answers) });
        log.push({ kind: 'fabricate', detail: `passage ${n} by ${o.llm.id}` });
      }
    }
    if (attacks.includes('entity-swap')) {
      const others = questions.filter((x) => x.id !== q.id && x.answers[0] && !q.answers.some((a) => a.toLowerCase() === x.answers[0].toLowerCase()));
      const target = others.length > 0 ? others[Math.floor(o.rng() * others.length)].answers[0] : undefined;
      for (const p of oracles) {
        if (target === undefined || !p.text.includes(gold)) continue;
        const text = swapEntity(p.text, gold, target);
        attacked.push({ id: `${p.id}#swap`, title: p.title, text, role: 'fabricated', origin: 'entity-swap', containsAnswer: containsAnswer(text, q.answers) });
        log.push({ kind: 'entity-swap', detail: `${p.id}: "${gold}" → "${target}"` });
      }
    }
    if (attacks.includes('duplicate') && distractors.length > 0) {
      const d = distractors[Math.floor(o.rng() * distractors.length)];
      for (let c = 1; c <= numDuplicates; c++) attacked.push({ ...d, id: `${d.id}#dup-${c}`, role: 'fabricated', origin: 'duplicate' });
      log.push({ kind: 'duplicate', detail: `${d.id} × ${numDuplicates}` });
    }
    if (attacks.includes('shuffle')) {
      shuffleInPlace(attacked, o.rng);
      log.push({ kind: 'shuffle', detail: attacked.map((p) => p.id).join(' ') });
    }
    records.push({ method: 'atm', id: q.id, question: q.question, answers: q.answers, clean, attacked, attacks: log, target: gold, attackSource: o.llm ? `model:${o.llm.id}` : 'template' });
    o.onProgress?.(++done, questions.length);
  }
  return { records, skipped };
}
