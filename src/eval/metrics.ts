/**
 * Retrieval metrics computed exactly as trec_eval 9.x computes them
 * (usnistgov/trec_eval: `form_res_rels.c`, `m_ndcg_cut.c`, `m_recall.c`, `m_P.c`, `m_map.c`,
 * `m_recip_rank.c`), so `openbook eval` equals `trec_eval -c -m ndcg_cut.10 -m recall.100
 * -m map -m recip_rank qrels run` on the run file it writes.
 *
 * What trec_eval does, and so what this does:
 * - **Ordering.** The rank column of a run is ignored. Each query's documents are re-sorted by
 *   score descending, ties broken by docno in *descending* `strcmp` order (`comp_sim_docno`:
 *   `strcmp(p2->docno, p1->docno)`). Here docnos compare by UTF-16 code units, which equals
 *   byte order for ASCII ids (all the datasets we ship).
 * - **Relevance.** A document is relevant when its qrels grade ≥ 1 (`-l 1`, the default);
 *   unjudged documents are non-relevant.
 * - **nDCG@k** (`ndcg_cut.k`): DCG = Σ_{rank r ≤ k} gain_r / log2(r + 1) with gain = the qrels grade
 *   (linear gain; grades ≤ 0 add nothing); the ideal DCG sorts all of the query's positive grades
 *   descending under the same discount and cutoff; 0 when the ideal DCG is 0.
 * - **Recall@k** (`recall.k`): |relevant in top k| / |relevant|; 0 when nothing is relevant.
 * - **P@k** (`P.k`): |relevant in top k| / k, even when fewer than k were retrieved.
 * - **MAP** (`map`): Σ over relevant retrieved of precision at its rank, divided by |relevant|,
 *   over the first 1000 ranks (the depth of a standard run; trec_eval reads the whole run, and
 *   openbook's runs are 1000 deep by default, so the two agree).
 * - **MRR@k** (`recip_rank` on a run cut at k): 1 / rank of the first relevant document within k.
 * - **Averaging with `-c`.** Means are over every query in the qrels (including queries whose
 *   judgments are all 0: they score 0 on every measure); a judged query absent from the run
 *   scores 0. Queries in the run without judgments are ignored. Without `-c` (`complete: false`)
 *   the mean is over the queries in both.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Qrels } from './loaders/common.js';
import type { Run, RunEntry } from './loaders/trec.js';

/** Metric families; a metric is a family plus a cutoff, printed as e.g. `nDCG@10`, `MAP`. */
export type MetricFamily = 'nDCG' | 'Recall' | 'P' | 'MAP' | 'MRR';

export interface MetricSpec {
  family: MetricFamily;
  /** Cutoff k ≥ 1 (MAP: 1000; MRR without @k: Infinity). */
  k: number;
  /** Printed name, e.g. "nDCG@10", "Recall@100", "MAP", "MRR@10". */
  name: string;
}

/** The metrics `openbook eval retrieval --json` reports by default. */
export const defaultRetrievalMetrics = [
  'nDCG@10',
  'Recall@1',
  'Recall@5',
  'Recall@10',
  'Recall@20',
  'Recall@100',
  'Recall@1000',
  'MAP',
  'MRR@10',
] as const;

const familyByLowerName: Record<string, MetricFamily> = {
  ndcg: 'nDCG',
  recall: 'Recall',
  r: 'Recall',
  p: 'P',
  map: 'MAP',
  mrr: 'MRR',
};
const familyNames = ['nDCG@k', 'Recall@k (R@k)', 'P@k', 'MAP', 'MRR@k', 'MRR'];

/**
 * Parses a metric name: `nDCG@10`, `Recall@100` (alias `R@100`), `P@10`, `MAP`, `MRR@10`, `MRR`.
 * Case-insensitive; the returned `name` is canonical (`R@100` → `Recall@100`).
 * @throws InvalidParameterError naming the valid forms.
 */
export function parseMetric(text: string): MetricSpec {
  const m = /^\s*([A-Za-z]+)(?:@(\d+))?\s*$/.exec(text);
  const family = m ? familyByLowerName[m[1].toLowerCase()] : undefined;
  if (!m || !family) throw new InvalidParameterError(`unknown metric "${text}"; valid: ${familyNames.join(', ')}`);
  if (family === 'MAP') {
    if (m[2] !== undefined) throw new InvalidParameterError(`metric "${text}": MAP takes no cutoff (it is computed over the first 1000 ranks)`);
    return { family, k: 1000, name: 'MAP' };
  }
  if (m[2] === undefined) {
    if (family === 'MRR') return { family, k: Infinity, name: 'MRR' };
    throw new InvalidParameterError(`metric "${text}" needs a cutoff, e.g. ${family}@10`);
  }
  const k = Number.parseInt(m[2], 10);
  if (k < 1) throw new InvalidParameterError(`metric "${text}": cutoff must be ≥ 1`);
  return { family, k, name: `${family}@${k}` };
}

/**
 * trec_eval's order: score descending, then docno descending. Returns a new array.
 * @param entries one query's retrieved documents, any order
 */
export function trecEvalOrder(entries: readonly RunEntry[]): RunEntry[] {
  return [...entries].sort((x, y) => {
    if (x.score !== y.score) return y.score - x.score;
    return x.docId < y.docId ? 1 : x.docId > y.docId ? -1 : 0;
  });
}

/**
 * The value of each metric for one query.
 * @param ranked docIds in trec_eval order (see `trecEvalOrder`), best first
 * @param judged docId → grade for this query (may be empty)
 * @returns values in [0, 1], in the order of `metrics`
 */
export function evaluateQuery(ranked: readonly string[], judged: ReadonlyMap<string, number>, metrics: readonly MetricSpec[]): number[] {
  let numRel = 0;
  const positiveGrades: number[] = [];
  for (const g of judged.values()) {
    if (g >= 1) numRel++;
    if (g > 0) positiveGrades.push(g);
  }
  positiveGrades.sort((a, b) => b - a);
  const grades = ranked.map((d) => judged.get(d) ?? 0);
  return metrics.map((m) => {
    const depth = Math.min(grades.length, m.k);
    switch (m.family) {
      case 'nDCG': {
        let dcg = 0;
        for (let i = 0; i < depth; i++) if (grades[i] > 0) dcg += grades[i] / Math.log2(i + 2);
        let idcg = 0;
        for (let i = 0; i < Math.min(positiveGrades.length, m.k); i++) idcg += positiveGrades[i] / Math.log2(i + 2);
        return idcg > 0 ? dcg / idcg : 0;
      }
      case 'Recall':
      case 'P': {
        let hits = 0;
        for (let i = 0; i < depth; i++) if (grades[i] >= 1) hits++;
        if (m.family === 'P') return hits / m.k;
        return numRel > 0 ? hits / numRel : 0;
      }
      case 'MAP': {
        let hits = 0;
        let sum = 0;
        for (let i = 0; i < depth; i++) {
          if (grades[i] >= 1) {
            hits++;
            sum += hits / (i + 1);
          }
        }
        return numRel > 0 ? sum / numRel : 0;
      }
      case 'MRR': {
        for (let i = 0; i < depth; i++) if (grades[i] >= 1) return 1 / (i + 1);
        return 0;
      }
    }
  });
}

export interface Evaluation {
  /** Metric names, in the order asked. */
  metrics: string[];
  /** qid → metric name → value, for every query counted in the mean (qrels order). */
  perQuery: Map<string, Record<string, number>>;
  /** metric name → mean over the counted queries (0 when none). */
  mean: Record<string, number>;
  /** How many queries the mean is over. */
  numQueries: number;
}

/**
 * Evaluates a run against qrels like `trec_eval [-c]`.
 * @param metrics names (`parseMetric`) or parsed specs
 * @param opts.complete trec_eval `-c` (default true): average over all judged queries
 * @throws InvalidParameterError on an unknown metric name
 */
export function evaluateRun(qrels: Qrels, run: Run, metrics: ReadonlyArray<string | MetricSpec>, opts: { complete?: boolean } = {}): Evaluation {
  const specs = metrics.map((m) => (typeof m === 'string' ? parseMetric(m) : m));
  const complete = opts.complete ?? true;
  const perQuery = new Map<string, Record<string, number>>();
  const sums = new Array<number>(specs.length).fill(0);
  for (const [qid, judged] of qrels) {
    const entries = run.get(qid);
    if (!entries && !complete) continue;
    const ranked = entries ? trecEvalOrder(entries).map((e) => e.docId) : [];
    const values = evaluateQuery(ranked, judged, specs);
    const record: Record<string, number> = {};
    specs.forEach((s, i) => {
      record[s.name] = values[i];
      sums[i] += values[i];
    });
    perQuery.set(qid, record);
  }
  const mean: Record<string, number> = {};
  specs.forEach((s, i) => (mean[s.name] = perQuery.size > 0 ? sums[i] / perQuery.size : 0));
  return { metrics: specs.map((s) => s.name), perQuery, mean, numQueries: perQuery.size };
}
