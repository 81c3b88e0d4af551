/**
 * What one benchmark run searches: documents as `{ id, contents }` with contents = title + "\n" +
 * text (BEIR "flat", as Anserini's BeirFlatCollection), the test queries, and their qrels.
 *
 * Sources: a BEIR folder read with openbook's BEIR loader (`src/eval/loaders/beir.ts`), optionally
 * cut to a smoke-sized subset, or the seeded synthetic corpus when no dataset folder exists.
 */
import type { Qrels } from '../src/eval/loaders/common.js';
import { loadBeir } from '../src/eval/loaders/beir.js';
import type { BenchDoc } from './systems.js';
import { syntheticCorpus } from './synthetic.js';

export interface BenchData {
  name: string;
  docs: BenchDoc[];
  /** [qid, text] in qrels order. */
  queries: Array<[string, string]>;
  qrels: Qrels;
}

export type DataSpec =
  | { kind: 'beir'; dir: string; split: string; /** Cut to about this many documents (smoke). */ maxDocs?: number; maxQueries?: number }
  | { kind: 'synthetic'; numDocs: number; numQueries: number; seed: number };

/** Loads the data described by `spec`; the same spec gives the same data in every process. */
export async function loadBenchData(spec: DataSpec): Promise<BenchData> {
  if (spec.kind === 'synthetic') {
    const corpus = syntheticCorpus({ numDocs: spec.numDocs, seed: spec.seed });
    const docs = [...corpus.docs()];
    const qs = corpus.queries(spec.numQueries);
    const qrels: Qrels = new Map(qs.map((q) => [q.qid, new Map([[q.relevant, 1]])]));
    return { name: `synthetic-${spec.numDocs}`, docs, queries: qs.map((q) => [q.qid, q.text]), qrels };
  }
  const ds = await loadBeir(spec.dir, spec.split);
  let queries = [...ds.queries];
  let qrels = ds.qrels;
  let corpus = ds.corpus;
  if (spec.maxQueries !== undefined) queries = queries.slice(0, spec.maxQueries);
  if (spec.maxDocs !== undefined || spec.maxQueries !== undefined) {
    const kept = new Set(queries.map(([qid]) => qid));
    qrels = new Map([...ds.qrels].filter(([qid]) => kept.has(qid)));
  }
  if (spec.maxDocs !== undefined) {
    // Keep every judged document of the kept queries, then fill up in corpus order.
    const need = new Set<string>();
    for (const judged of qrels.values()) for (const d of judged.keys()) need.add(d);
    const judgedDocs = corpus.filter((d) => need.has(d.id));
    const rest = corpus.filter((d) => !need.has(d.id)).slice(0, Math.max(0, spec.maxDocs - judgedDocs.length));
    const keep = new Set([...judgedDocs, ...rest].map((d) => d.id));
    corpus = corpus.filter((d) => keep.has(d.id));
  }
  return {
    name: ds.name,
    docs: corpus.map((d) => ({ id: d.id, contents: `${d.title}\n${d.text}` })),
    queries,
    qrels,
  };
}
