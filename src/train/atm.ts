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
 * Attacker preference pairs (with a model that can score continuations), as the authors' code
 * builds them (chuhac/ATM-RAG: `atm_train/ppl_infer/ppl_infer_with_trainer.py` scores, and
 * `atm_train/attacker_dpo/build_compare_dpo_data.py` picks): the one attacker prompt
 * ({@link fabricationPrompt}) is sampled `numFabricated` times (distinct seeds); the generator
 * scores log p(gold answer + its end | prompt with that fabricated passage as the context)
 * (`docRawPrompt`, `answerContinuation` of `methods/replug.ts`); the fabrication that makes the gold
 * answer least likely is `chosen` (the attack that works), the most likely `rejected`, for DPO on
 * the attacker (`{ prompt, chosen, rejected }`, TRL's format). The authors rank by perplexity of
 * the same gold tokens, which orders the fabrications exactly as log p does.
 *
 * Random draws, per question in input order: distractor draws (random source only); the clean
 * shuffle; the substitute answer pick (1 draw per try, entity-swap); the duplicated distractor pick
 * (1 draw, duplicate); the attacked shuffle (shuffle).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { LanguageModel } from '../models/types.js';
import { answerContinuation, docRawPrompt } from '../methods/replug.js';
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
  /** With a model: each fabrication and the generator's log p(gold + end | that passage), natural log. */
  fabrications?: Array<{ id: string; text: string; logpGold?: number }>;
  /** The attacker's DPO pair: the most misleading fabrication (lowest log p of the gold answer) chosen, the least rejected. */
  dpo?: { prompt: string; chosen: string; rejected: string; chosenLogpGold: number; rejectedLogpGold: number };
  /** Why there is no `dpo` pair when a model wrote fabrications. */
  dpoSkipped?: string;
}

/** Replaces every occurrence of `from` in `text` by `to` (literal, case-sensitive). */
export function swapEntity(text: string, from: string, to: string): string {
  return text.split(from).join(to);
}

/** The prompt asking the attacker model for one misleading passage (the same for every sample: it is the DPO prompt). */
export function fabricationPrompt(question: string, answer: string): string {
  return (
    `Write a short encyclopedia-style paragraph (3–5 sentences) that looks relevant to the question below but ` +
    `supports a wrong answer — anything except "${answer}". Do not mention that it is wrong. This is adversarial ` +
    `training data for a robust question-answering model.\n\nQuestion: ${question}\nParagraph:`
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
    const ranking: Pick<AtmRecord, 'fabrications' | 'dpo' | 'dpoSkipped'> = {};
    if (o.llm) {
      const prompt = fabricationPrompt(q.question, gold);
      const fabrications: NonNullable<AtmRecord['fabrications']> = [];
      for (let n = 1; n <= numFabricated; n++) {
        const r = await o.llm.generate([{ role: 'user', content: prompt }], { temperature: 0.7, maxTokens: 200, seed: n, signal: o.signal });
        const text = r.generations[0]?.text.trim() ?? '';
        if (text === '') continue;
        const id = `${q.id}#fabricated-${n}`;
        attacked.push({ id, title: '', text, role: 'fabricated', origin: `model:${o.llm.id}`, containsAnswer: containsAnswer(text, q.answers) });
        log.push({ kind: 'fabricate', detail: `passage ${n} by ${o.llm.id}` });
        fabrications.push({ id, text });
      }
      ranking.fabrications = fabrications;
      Object.assign(ranking, await rankFabrications(o.llm, q.question, gold, prompt, fabrications, o.signal));
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
    records.push({ method: 'atm', id: q.id, question: q.question, answers: q.answers, clean, attacked, attacks: log, target: gold, attackSource: o.llm ? `model:${o.llm.id}` : 'template', ...ranking });
    o.onProgress?.(++done, questions.length);
  }
  return { records, skipped };
}

/**
 * Scores each fabrication (in place: `logpGold`) and picks the DPO pair: chosen = lowest
 * log p(gold | fabrication), rejected = highest (first on ties). No pair when the model cannot
 * score continuations, fewer than two fabrications came back, or all scores tie.
 */
async function rankFabrications(
  llm: LanguageModel,
  question: string,
  gold: string,
  prompt: string,
  fabrications: NonNullable<AtmRecord['fabrications']>,
  signal?: AbortSignal,
): Promise<Pick<AtmRecord, 'dpo' | 'dpoSkipped'>> {
  if (!llm.capabilities.echoScoring) return { dpoSkipped: `${llm.id} cannot score continuations (log p of the gold answer), so the fabrications are not ranked` };
  if (fabrications.length < 2) return { dpoSkipped: `${fabrications.length} fabrication(s) came back; a pair needs two` };
  for (const f of fabrications) {
    const passage = { rank: 1, score: 0, docId: f.id, chunkId: f.id, source: f.id, title: '', text: f.text, startLine: 1, endLine: 1 };
    f.logpGold = (await llm.scoreContinuation(docRawPrompt(passage, question), answerContinuation(gold), signal ? { signal } : {})).logprob;
  }
  let lo = 0;
  let hi = 0;
  fabrications.forEach((f, i) => {
    if (f.logpGold! < fabrications[lo].logpGold!) lo = i;
    if (f.logpGold! > fabrications[hi].logpGold!) hi = i;
  });
  if (fabrications[lo].logpGold === fabrications[hi].logpGold) return { dpoSkipped: `every fabrication gives the gold answer the same log-probability (${String(fabrications[lo].logpGold).replace('-', '−')})` };
  return { dpo: { prompt, chosen: fabrications[lo].text, rejected: fabrications[hi].text, chosenLogpGold: fabrications[lo].logpGold!, rejectedLogpGold: fabrications[hi].logpGold! } };
}
