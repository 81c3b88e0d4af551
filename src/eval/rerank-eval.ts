/**
 * `eval retrieval --rerank`: the first-stage run reranked, and the comparison table rows.
 *
 * Reranked run: for each query, the first `depth` documents of the first-stage run (trec_eval
 * order) are scored by the reranker on their indexed text (`indexedText`: title + "\n" + text for
 * `fields: flat`) and reordered as `rerankHits` orders hits. The documents below the depth keep
 * their first-stage order after the reranked ones, so metrics deeper than the depth (R@100 with
 * depth 50) compare like with like. Run-file scores: the reranked documents carry their rerank
 * (or fused) score rounded to 6 decimals; unscored and tail documents get min − 1, min − 2, …
 * below the lowest reranked score, so trec_eval reads the same order.
 *
 * Table rows: each row has per-query values of every metric; {@link compareRows} adds the
 * bootstrap interval of each mean and the paired randomization p-value against the first row
 * (`compareMethods` in `stats.ts`).
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { rerankHits, type Reranker } from '../retrieve/rerank.js';
import type { Qrels } from './loaders/common.js';
import { roundRunScore, type Run, type RunEntry } from './loaders/trec.js';
import { trecEvalOrder, type Evaluation } from './metrics.js';
import { compareMethods, type BootstrapOptions, type ComparisonRow } from './stats.js';

export interface EvalRerankConfig {
  reranker: Reranker;
  /** First-stage documents reranked per query, ≥ 1. */
  depth: number;
  /** Weight in [0, 1] of the first-stage score in the fused score (0 = rerank alone). */
  firstStageWeight?: number;
}

/**
 * Reranks every query of `run` (module comment).
 * @param textOf the text the reranker reads for a dataset document id
 * @param now monotonic clock in ms
 * @returns the reranked run and the seconds spent in the reranker (summed over queries)
 */
export async function rerankRun(
  run: Run,
  queries: ReadonlyMap<string, string>,
  textOf: (docId: string) => string,
  config: EvalRerankConfig,
  now: () => number,
  onQuery?: (done: number, total: number) => void,
): Promise<{ run: Run; rerankSeconds: number }> {
  if (!Number.isInteger(config.depth) || config.depth < 1) throw new InvalidParameterError(`--rerank-depth must be an integer ≥ 1, got ${config.depth}`);
  const out: Run = new Map();
  let ms = 0;
  let done = 0;
  for (const [qid, entries] of run) {
    const ordered = trecEvalOrder(entries);
    const head = ordered.slice(0, config.depth);
    const tail = ordered.slice(config.depth);
    const hits: Hit[] = head.map((e, i) => ({ rank: i + 1, score: e.score, docId: e.docId, chunkId: e.docId, source: '', title: '', text: textOf(e.docId), startLine: 1, endLine: 1 }));
    const t0 = now();
    const r = await rerankHits(queries.get(qid) ?? '', hits, config.reranker, { topK: Math.max(1, head.length), ...(config.firstStageWeight !== undefined ? { firstStageWeight: config.firstStageWeight } : {}) });
    ms += now() - t0;
    const scored: RunEntry[] = [];
    const rest: string[] = [];
    for (const h of r.hits) {
      if (Number.isFinite(h.score)) scored.push({ docId: h.docId, score: roundRunScore(h.score) });
      else rest.push(h.docId);
    }
    rest.push(...tail.map((e) => e.docId));
    const min = scored.length > 0 ? Math.min(...scored.map((e) => e.score)) : 0;
    out.set(qid, [...scored, ...rest.map((docId, j) => ({ docId, score: roundRunScore(min - 1 - j) }))]);
    onQuery?.(++done, run.size);
  }
  return { run: out, rerankSeconds: ms / 1000 };
}

export type { ComparisonRow } from './stats.js';

/**
 * Intervals and paired tests for rows evaluated on the same qrels (per-query values, as
 * `evaluateRun` gives them): `compareMethods` over each row's per-query map.
 * @param bootstrap resamples and seed (default 1,000 and 1); the test uses the same seed
 */
export function compareRows(rows: ReadonlyArray<{ name: string; evaluation: Evaluation; msPerQuery?: number }>, qrels: Qrels, bootstrap: BootstrapOptions = {}): ComparisonRow[] {
  const order = [...qrels.keys()];
  return compareMethods(
    rows.map((r) => ({ name: r.name, metrics: r.evaluation.metrics, perItem: new Map(order.filter((q) => r.evaluation.perQuery.has(q)).map((q) => [q, r.evaluation.perQuery.get(q)!])), ...(r.msPerQuery !== undefined ? { msPerQuery: r.msPerQuery } : {}) })),
    bootstrap,
  );
}
