/**
 * Side by side: run several methods on the same QA items and summarise each method in one row —
 * EM, F1, retrieval Recall@k, model calls, tokens and seconds — and keep every item's trace.
 *
 * The answer metric is injected (`score`), so this module needs nothing from `src/eval`
 * (methods come before eval in the import order); `eval qa --methods` passes the SQuAD or
 * KorQuAD scorer of `src/eval/qa-metrics.ts`. Answers are scored with their `[n]` markers
 * removed.
 *
 * Recall@k of one item = |relevant ∩ docIds of the hits the method answered from| / |relevant|,
 * where k is the number of those hits (ctx.topK for most methods); items for which the method
 * used no passages (closed-book, a RetRobust fallback) do not enter its mean, and a method that
 * never uses passages has Recall@k `null`. A method that throws on an item gets an error record
 * for it and scores 0 for EM and F1 there; a `CapabilityError` stops that method (every further
 * item would fail the same way) and is reported in `error`.
 */
import { writeFile } from 'node:fs/promises';
import { CapabilityError } from '../core/errors.js';
import type { Citation, TokenUsage, TraceStep } from '../core/types.js';
import { stripMarkers } from '../generate/citations.js';
import type { MethodContext } from './method.js';
import { runMethod } from './registry.js';

/** One QA item (the shape of `QaQuestion` in src/eval/loaders). */
export interface QaItem {
  id: string;
  question: string;
  answers: string[];
  /** Ids of the gold documents (Hit.docId). */
  relevant: string[];
}

/** EM and F1 of a prediction against the gold answers, each in [0, 1]. */
export type AnswerScorer = (prediction: string, golds: readonly string[]) => { em: number; f1: number };

export interface MethodSpec {
  name: string;
  params?: Record<string, unknown>;
}

/** One row of the comparison table. Means are over the items run. */
export interface MethodSummary {
  method: string;
  questions: number;
  EM: number;
  F1: number;
  /** Mean Recall@k over items that used passages; null when none did. */
  recall: number | null;
  /** Model calls, summed over items. */
  calls: number;
  /** Prompt + completion tokens, summed over items. */
  tokens: number;
  /** Wall-clock seconds, summed over items. */
  seconds: number;
  /** Items that threw. */
  errors: number;
  /** Why the method stopped early (a missing capability), if it did. */
  error?: string;
}

/** One item's record for the traces JSONL. */
export interface TraceRecord {
  method: string;
  id: string;
  question: string;
  gold: string[];
  prediction: string;
  em: number;
  f1: number;
  recall: number | null;
  calls: number;
  usage: TokenUsage;
  seconds: number;
  citations: Citation[];
  trace: TraceStep[];
  error?: string;
  /** The answer as the method wrote it, `[n]` markers kept (grounded-answer metrics split it into statements). */
  answer?: string;
  /** The passages the answer was made from, in rank order (the judges' context). */
  passages?: Array<{ chunkId: string; docId: string; text: string }>;
}

export interface CompareOptions {
  score: AnswerScorer;
  /** Called after each item (e.g. to append to a JSONL file or show progress). */
  onRecord?: (record: TraceRecord) => void | Promise<void>;
}

/** Recall of the relevant ids among `docIds`: |relevant ∩ docIds| / |relevant|; null when there are no hits or no relevant ids. */
export function recallOf(relevant: readonly string[], docIds: readonly string[]): number | null {
  if (docIds.length === 0 || relevant.length === 0) return null;
  const got = new Set(docIds);
  return relevant.filter((r) => got.has(r)).length / relevant.length;
}

/**
 * Runs every method on every item, in order (methods outer, items inner).
 * @returns one summary per method (in the order given) and every item's record
 */
export async function runMethodsOnQa(
  items: readonly QaItem[],
  methods: ReadonlyArray<string | MethodSpec>,
  ctx: MethodContext,
  options: CompareOptions,
): Promise<{ summaries: MethodSummary[]; records: TraceRecord[] }> {
  const specs = methods.map((m) => (typeof m === 'string' ? { name: m } : m));
  const summaries: MethodSummary[] = [];
  const records: TraceRecord[] = [];
  for (const spec of specs) {
    const s: MethodSummary = { method: spec.name, questions: 0, EM: 0, F1: 0, recall: null, calls: 0, tokens: 0, seconds: 0, errors: 0 };
    let recallSum = 0;
    let recallN = 0;
    for (const item of items) {
      const t0 = ctx.now();
      let rec: TraceRecord;
      try {
        const a = await runMethod(spec.name, item.question, ctx, spec.params ?? {});
        const prediction = stripMarkers(a.answer);
        const { em, f1 } = options.score(prediction, item.answers);
        const recall = recallOf(item.relevant, a.hits.map((h) => h.docId));
        rec = {
          method: spec.name,
          id: item.id,
          question: item.question,
          gold: item.answers,
          prediction,
          em,
          f1,
          recall,
          calls: a.calls,
          usage: a.usage ?? { promptTokens: 0, completionTokens: 0 },
          seconds: (ctx.now() - t0) / 1000,
          citations: a.citations,
          trace: a.trace ?? [],
          answer: a.answer,
          passages: a.hits.map((h) => ({ chunkId: h.chunkId, docId: h.docId, text: h.text })),
        };
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        const message = err instanceof Error ? err.message : String(err);
        rec = { method: spec.name, id: item.id, question: item.question, gold: item.answers, prediction: '', em: 0, f1: 0, recall: null, calls: 0, usage: { promptTokens: 0, completionTokens: 0 }, seconds: (ctx.now() - t0) / 1000, citations: [], trace: [], error: message };
        s.errors++;
        if (err instanceof CapabilityError) s.error = message;
      }
      s.questions++;
      s.EM += rec.em;
      s.F1 += rec.f1;
      s.calls += rec.calls;
      s.tokens += rec.usage.promptTokens + rec.usage.completionTokens;
      s.seconds += rec.seconds;
      if (rec.recall !== null) {
        recallSum += rec.recall;
        recallN++;
      }
      records.push(rec);
      await options.onRecord?.(rec);
      if (s.error) break;
    }
    if (s.questions > 0) {
      s.EM /= s.questions;
      s.F1 /= s.questions;
    }
    s.recall = recallN > 0 ? recallSum / recallN : null;
    summaries.push(s);
  }
  return { summaries, records };
}

/** One JSON object per line (−∞ and NaN become null, as JSON has no such numbers). */
export function tracesJsonl(records: readonly TraceRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}

/** Writes `tracesJsonl(records)` to `path`. */
export async function writeTracesJsonl(path: string, records: readonly TraceRecord[]): Promise<void> {
  await writeFile(path, tracesJsonl(records), 'utf8');
}

/**
 * The comparison as a Markdown table: EM and F1 as percentages with 1 decimal, Recall@k with 4
 * decimals ("–" when null), calls and tokens as totals, seconds with 1 decimal.
 * @param k the retrieval depth, for the column header
 */
export function comparisonTable(summaries: readonly MethodSummary[], k: number): string {
  const head = `| method | n | EM | F1 | Recall@${k} | calls | tokens | seconds | errors |`;
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = summaries.map(
    (s) =>
      `| ${s.method} | ${s.questions} | ${(100 * s.EM).toFixed(1)} | ${(100 * s.F1).toFixed(1)} | ${s.recall === null ? '–' : s.recall.toFixed(4)} | ${s.calls} | ${s.tokens} | ${s.seconds.toFixed(1)} | ${s.errors}${s.error ? ` (${s.error})` : ''} |`,
  );
  return [head, rule, ...rows].join('\n') + '\n';
}
