/**
 * The methods by name. `runMethod(name, question, ctx, params)` runs one and returns an
 * `Answer` (question, answer, citations, hits, method, trace, usage, invalidCitations); `methodNames` lists them
 * in the order of the notes.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Answer } from '../core/types.js';
import { closedBook } from './closed-book.js';
import { duetrag } from './duetrag.js';
import { hyde } from './hyde.js';
import { knnLm } from './knn-lm.js';
import { lamer } from './lamer.js';
import type { Method, MethodContext, MethodResult } from './method.js';
import { naive } from './naive.js';
import { ragSequence } from './rag-sequence.js';
import { ragToken } from './rag-token.js';
import { realm } from './realm.js';
import { recitation } from './recitation.js';
import { replug } from './replug.js';
import { retrobust } from './retrobust.js';
import { rog } from './rog.js';
import { searchR1 } from './search-r1.js';
import { selfRag } from './self-rag.js';
import { sure } from './sure.js';

// Each method has its own parameter record; the registry stores them behind the common shape.
const all = [closedBook, naive, hyde, lamer, recitation, replug, realm, ragSequence, ragToken, sure, retrobust, selfRag, searchR1, duetrag, rog, knnLm] as unknown as Method<Record<string, unknown>>[];

export const methods: ReadonlyMap<string, Method<Record<string, unknown>>> = new Map(all.map((m) => [m.name, m]));

/** Registry names, in the order of the notes. */
export const methodNames: readonly string[] = all.map((m) => m.name);

/** The method called `name`. @throws InvalidParameterError listing the valid names */
export function getMethod(name: string): Method<Record<string, unknown>> {
  const m = methods.get(name);
  if (!m) throw new InvalidParameterError(`unknown method ${JSON.stringify(name)}; valid: ${methodNames.join(', ')}`);
  return m;
}

/**
 * Checks `params` against the method's defaults: every key must be a known parameter with a
 * value of the same type as its default (or as declared in `optional`).
 * @throws InvalidParameterError naming the method and the parameter
 */
export function checkParams(method: Method<Record<string, unknown>>, params: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(params)) {
    const want = key in method.defaults ? typeof method.defaults[key] : method.optional?.[key];
    if (want === undefined) {
      const known = [...Object.keys(method.defaults), ...Object.keys(method.optional ?? {})];
      throw new InvalidParameterError(`${method.name}: unknown parameter ${JSON.stringify(key)}; valid: ${known.length > 0 ? known.join(', ') : '(none)'}`);
    }
    if (typeof value !== want) throw new InvalidParameterError(`${method.name}: ${key} must be a ${want}, got ${JSON.stringify(value)}`);
  }
}

/**
 * Runs the named method; the result as an `Answer` with `method` = name, plus calls and, when
 * the model wrote markers that point at no passage (removed from the answer), `invalidCitations`.
 */
export async function runMethod(
  name: string,
  question: string,
  ctx: MethodContext,
  params: Record<string, unknown> = {},
): Promise<Answer & { calls: number; invalidCitations?: number[] }> {
  const m = getMethod(name);
  checkParams(m, params);
  const r: MethodResult = await m.run(question, ctx, params);
  return {
    question,
    answer: r.answer,
    citations: r.citations,
    hits: r.hits,
    method: name,
    trace: r.trace,
    usage: r.usage,
    calls: r.calls,
    ...(r.invalidCitations ? { invalidCitations: r.invalidCitations } : {}),
  };
}
