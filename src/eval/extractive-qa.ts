/**
 * The offline extractive answer measured as shipped: every question goes through
 * `Engine.ask(question, { extractive: true, topK: k })` — the same retrieval (content-word BM25
 * query), candidate count and refusals as `openbook ask` — over an index of the dataset's
 * paragraphs, and is scored with:
 *
 *  - `answer-bearing@1`: the first quoted unit contains a gold answer. Both are normalised
 *    with the dataset's official normalisation (src/eval/qa-metrics.ts); for SQuAD the gold
 *    must occur as whole tokens of the quote, for KorQuAD as a substring (a Korean particle may
 *    follow the answer: "임수경이" contains "임수경"). A refusal counts 0.
 *  - `EM`, `F1`: of the short answer — the citation's `answerSpan` when the answerer marked
 *    one, else the whole first quote; "" when refused (SQuAD token F1, KorQuAD character F1).
 *  - `refusal`: share of questions answered "nothing found".
 *  - `refusal|gold@1`: share refused among the questions whose gold paragraph `ask` ranked first
 *    (the refusals a user would call wrong).
 *  - `gold@1`: share of questions whose gold paragraph `ask` ranked first (context for the above).
 *
 * All values are in [0, 1]; means over questions (for `refusal|gold@1` over gold-first ones; 0
 * when there are none).
 */
import type { Citation } from '../core/types.js';
import type { Engine, SearchOptions } from '../engine/engine.js';
import type { QaQuestion } from './loaders/common.js';
import { normalizeKorquadAnswer, normalizeSquadAnswer, scoreAnswer, type AnswerMetric } from './qa-metrics.js';

/** The metric names of an extractive QA evaluation, in report order. */
export const extractiveQaMetricNames = ['answer-bearing@1', 'EM', 'F1', 'refusal', 'refusal|gold@1', 'gold@1'] as const;
export type ExtractiveQaMetric = (typeof extractiveQaMetricNames)[number];

/** One question answered through `ask`'s path. */
export interface ExtractiveQaItem {
  id: string;
  question: string;
  gold: string[];
  /** The first quoted unit, "" when refused. */
  quote: string;
  /** The short answer scored by EM/F1 (the marked span, else the quote), "" when refused. */
  prediction: string;
  refused: boolean;
  /** 1-based rank of the first gold paragraph among `ask`'s hits, 0 when absent. */
  goldRank: number;
  answerBearing: number;
  em: number;
  f1: number;
}

/** Whether `quote` contains one of `golds` after the dataset's normalisation; see the module comment. */
export function containsGold(quote: string, golds: readonly string[], metric: AnswerMetric): boolean {
  if (quote === '') return false;
  if (metric === 'korquad') {
    const q = normalizeKorquadAnswer(quote);
    return golds.some((g) => {
      const n = normalizeKorquadAnswer(g);
      return n !== '' && q.includes(n);
    });
  }
  const q = ` ${normalizeSquadAnswer(quote)} `;
  return golds.some((g) => {
    const n = normalizeSquadAnswer(g);
    return n !== '' && q.includes(` ${n} `);
  });
}

/** The short answer of a citation: its marked span when it has one, else the whole quote. */
export function shortAnswer(c: Citation | undefined): string {
  if (!c) return '';
  return c.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end) : c.quote;
}

/** Asks one question exactly as `openbook ask --extractive -k <k>` does and scores it. */
export async function askExtractiveItem(engine: Engine, q: QaQuestion, k: number, search: SearchOptions, metric: AnswerMetric): Promise<ExtractiveQaItem> {
  const a = await engine.ask(q.question, { ...search, topK: k, extractive: true });
  const first = a.citations[0];
  const quote = first?.quote ?? '';
  const prediction = shortAnswer(first);
  const goldIdx = (a.hits ?? []).findIndex((h) => q.relevant.includes(h.docId));
  const { em, f1 } = scoreAnswer(prediction, q.answers, metric);
  return {
    id: q.id,
    question: q.question,
    gold: q.answers,
    quote,
    prediction,
    refused: first === undefined,
    goldRank: goldIdx + 1,
    answerBearing: containsGold(quote, q.answers, metric) ? 1 : 0,
    em,
    f1,
  };
}

/** The metrics of `extractiveQaMetricNames` over items; see the module comment. */
export function summarizeExtractiveQa(items: readonly ExtractiveQaItem[]): Record<ExtractiveQaMetric, number> {
  const n = items.length;
  const mean = (f: (i: ExtractiveQaItem) => number) => (n > 0 ? items.reduce((acc, i) => acc + f(i), 0) / n : 0);
  const goldFirst = items.filter((i) => i.goldRank === 1);
  return {
    'answer-bearing@1': mean((i) => i.answerBearing),
    EM: mean((i) => i.em),
    F1: mean((i) => i.f1),
    refusal: mean((i) => (i.refused ? 1 : 0)),
    'refusal|gold@1': goldFirst.length > 0 ? goldFirst.filter((i) => i.refused).length / goldFirst.length : 0,
    'gold@1': mean((i) => (i.goldRank === 1 ? 1 : 0)),
  };
}
