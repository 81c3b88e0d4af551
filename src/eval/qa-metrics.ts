/**
 * Answer metrics of extractive QA: exact match (EM) and F1, max over the gold answers.
 *
 * SQuAD v1.1 (official `evaluate-v1.1.py`, Rajpurkar et al. 2016): normalise = lower-case →
 * delete ASCII punctuation (Python `string.punctuation`) → delete the articles a/an/the as whole
 * words → collapse whitespace; F1 is over whitespace tokens, with multiset (Counter) overlap.
 *
 * KorQuAD 1.0 (official `evaluate-v1.0.py` in korquad/korquad.github.io, adapted from SQuAD's):
 * normalise = first replace each of ' " 《 》 < > 〈 〉 ( ) ‘ ’ with a space → lower-case → delete
 * ASCII punctuation → collapse whitespace (articles are *not* removed); EM compares the
 * normalised strings; F1 is over **characters**: both normalised strings are split on
 * whitespace and the tokens flattened into character lists, then multiset overlap as above.
 * (Korean answers often differ from the gold span by a particle, e.g. "임수경" vs "임수경이";
 * character F1 gives such answers partial credit where token F1 gives 0.)
 */

/** Python's `string.punctuation`: the 32 ASCII punctuation characters. */
const ASCII_PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** Python 3 `\b` is Unicode-aware; emulate it with Unicode letter/number lookarounds. */
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;
const KORQUAD_SPACE_CHARS = /['"《》<>〈〉()‘’]/g;

const removePunct = (s: string): string => Array.from(s).filter((c) => !ASCII_PUNCT.has(c)).join('');
const splitWs = (s: string): string[] => s.split(/\s+/u).filter((t) => t.length > 0);

/** SQuAD v1.1 `normalize_answer`. */
export function normalizeSquadAnswer(s: string): string {
  return splitWs(removePunct(s.toLowerCase()).replace(ARTICLES, ' ')).join(' ');
}

/** KorQuAD 1.0 `normalize_answer`. */
export function normalizeKorquadAnswer(s: string): string {
  return splitWs(removePunct(s.replace(KORQUAD_SPACE_CHARS, ' ').toLowerCase())).join(' ');
}

/** F1 of two token multisets: 2PR/(P+R), 0 when they share nothing (or either is empty). */
function multisetF1(pred: readonly string[], gold: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / pred.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

export type AnswerMetric = 'squad' | 'korquad';

/** EM of one prediction against one gold answer: 1 or 0. */
export function exactMatch(prediction: string, gold: string, metric: AnswerMetric): number {
  const norm = metric === 'korquad' ? normalizeKorquadAnswer : normalizeSquadAnswer;
  return norm(prediction) === norm(gold) ? 1 : 0;
}

/** F1 of one prediction against one gold answer, in [0, 1] (token F1 for SQuAD, character F1 for KorQuAD). */
export function answerF1(prediction: string, gold: string, metric: AnswerMetric): number {
  if (metric === 'korquad') {
    const chars = (s: string) => splitWs(normalizeKorquadAnswer(s)).flatMap((t) => Array.from(t));
    return multisetF1(chars(prediction), chars(gold));
  }
  return multisetF1(splitWs(normalizeSquadAnswer(prediction)), splitWs(normalizeSquadAnswer(gold)));
}

/** Max EM and max F1 over the gold answers (the official scripts' `metric_max_over_ground_truths`). */
export function scoreAnswer(prediction: string, golds: readonly string[], metric: AnswerMetric): { em: number; f1: number } {
  let em = 0;
  let f1 = 0;
  for (const g of golds) {
    em = Math.max(em, exactMatch(prediction, g, metric));
    f1 = Math.max(f1, answerF1(prediction, g, metric));
  }
  return { em, f1 };
}
