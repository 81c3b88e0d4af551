/**
 * One point of the scale curve, in a fresh process:
 *   node --expose-gc --import tsx bench/scale-child.ts '<ScaleJob JSON>'
 * Generates the seeded synthetic corpus (bench/synthetic.ts) of `numDocs` documents (untimed), indexes it
 * with openbook (one chunk per document, `english` analyzer, Lucene norms) and commits it, opens a
 * reader, then times `passes` passes over 3-term queries and over 1–8-term queries (top-100,
 * single-threaded). Prints one line `RESULT <ScaleResult JSON>`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Chunk, Document } from '../src/core/types.js';
import { IndexReader, IndexWriter } from '../src/index/index.js';
import { percentile } from './stats.js';
import { syntheticCorpus } from './synthetic.js';

export interface ScaleJob {
  numDocs: number;
  seed: number;
  numQueries: number;
  passes: number;
  topK: number;
  /** Keep the index here instead of a temporary folder (it is then not deleted). */
  dir?: string;
  /** Analysis threads of the writer (`WriterDeps.threads`); default 1. */
  threads?: number;
}

export interface LatencySummary {
  /** Median over passes of each pass's p50 / p99 / mean, ms. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Median over passes of CPU ms per query (the pass's CPU time / queries). */
  cpuMsPerQuery: number;
}

export interface ScaleResult {
  numDocs: number;
  rawTextBytes: number;
  numTerms: number;
  numPostings: number;
  /** Analysis + in-memory indexing + commit, seconds. */
  buildSeconds: number;
  /** CPU time (user + system) of the build, seconds. */
  buildCpuSeconds: number;
  commitSeconds: number;
  /** `IndexReader.open` (read files, decode postings, precompute impacts), seconds. */
  openSeconds: number;
  bytesOnDisk: number;
  /** Heap + ArrayBuffer growth of `IndexReader.open` after GC, measured in a fresh process, bytes. */
  readerMemoryBytes: number | null;
  peakRssBytes: number;
  threeTerm: LatencySummary;
  mixed: LatencySummary;
}

function summarize(passes: number[][], cpuMs: number[]): LatencySummary {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {
    p50Ms: med(passes.map((p) => percentile(p, 50))),
    p99Ms: med(passes.map((p) => percentile(p, 99))),
    meanMs: med(passes.map((p) => p.reduce((s, x) => s + x, 0) / p.length)),
    cpuMsPerQuery: med(cpuMs.map((c, i) => c / passes[i].length)),
  };
}

/** Indexes the corpus into `dir` (in its own function, so the writer is garbage before the reader is measured). */
async function build(dir: string, corpus: ReturnType<typeof syntheticCorpus>, threads: number): Promise<{ rawTextBytes: number; buildSeconds: number; buildCpuSeconds: number; commitSeconds: number }> {
  let rawTextBytes = 0;
  // Generate first (untimed): the build time is openbook's alone. The writer keeps the texts anyway.
  const docs = [...corpus.docs()];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const writer = await IndexWriter.open(dir, { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: true, luceneNorms: true }, { now: Date.now, threads });
  let commitSeconds: number;
  try {
    const items = function* () {
      for (const d of docs) {
        const text = d.contents;
        rawTextBytes += text.length; // ASCII: characters = UTF-8 bytes
        const doc: Document = { id: d.id, source: 'synthetic', title: '', text, format: 'jsonl', contentHash: d.id, sizeBytes: text.length, mtimeMs: 0 };
        const chunk: Chunk = { id: `${d.id}#0`, docId: d.id, ordinal: 0, text, headingPath: [], startChar: 0, endChar: text.length, startLine: 1, endLine: 1 };
        yield { doc, chunks: [chunk] };
      }
    };
    await writer.addDocuments(items());
    const c0 = performance.now();
    await writer.commit();
    commitSeconds = (performance.now() - c0) / 1000;
  } finally {
    await writer.close();
  }
  const cpu = process.cpuUsage(c0);
  return { rawTextBytes, buildSeconds: (performance.now() - t0) / 1000, buildCpuSeconds: (cpu.user + cpu.system) / 1e6, commitSeconds };
}

/** Heap + ArrayBuffer growth of opening the reader of `dir`, after GC, in a fresh Node process. */
function measureReaderMemory(dir: string): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--measure-reader', dir], { encoding: 'utf8' });
  return Number(/READER (\d+)/.exec(out)?.[1] ?? NaN);
}

async function measureReaderMain(dir: string, gc: () => void): Promise<void> {
  gc();
  const m0 = process.memoryUsage();
  const reader = await IndexReader.open(dir);
  gc();
  const m1 = process.memoryUsage();
  process.stdout.write(`READER ${m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers)} ${reader.stats().numChunks}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--measure-reader') {
    const gcFn = (globalThis as { gc?: () => void }).gc;
    if (!gcFn) throw new Error('needs --expose-gc');
    await measureReaderMain(process.argv[3], gcFn);
    return;
  }
  const job = JSON.parse(process.argv[2]) as ScaleJob;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bench/scale-child.ts needs node --expose-gc');
  const dir = job.dir ?? (await mkdtemp(join(tmpdir(), 'openbook-scale-')));
  const corpus = syntheticCorpus({ numDocs: job.numDocs, seed: job.seed });
  try {
    const { rawTextBytes, buildSeconds, buildCpuSeconds, commitSeconds } = await build(dir, corpus, job.threads ?? 1);
    // Reader memory is measured in a fresh process: the writer's garbage here would blur it.
    const readerMemoryBytes = measureReaderMemory(dir);
    const o0 = performance.now();
    const reader = await IndexReader.open(dir);
    const openSeconds = (performance.now() - o0) / 1000;
    const st = reader.stats();

    const run = (queries: Array<{ text: string }>): LatencySummary => {
      for (const q of queries.slice(0, 50)) reader.search(q.text, { topK: job.topK }); // warm-up
      const passes: number[][] = [];
      const cpuMs: number[] = [];
      for (let p = 0; p < job.passes; p++) {
        const lat: number[] = [];
        const c0 = process.cpuUsage();
        for (const q of queries) {
          const q0 = performance.now();
          reader.search(q.text, { topK: job.topK });
          lat.push(performance.now() - q0);
        }
        const c = process.cpuUsage(c0);
        cpuMs.push((c.user + c.system) / 1000);
        passes.push(lat);
      }
      return summarize(passes, cpuMs);
    };
    const threeTerm = run(corpus.queries(job.numQueries, 3, job.seed + 1));
    const mixed = run(corpus.queries(job.numQueries, undefined, job.seed + 2));
    const result: ScaleResult = {
      numDocs: job.numDocs,
      rawTextBytes,
      numTerms: st.numTerms,
      numPostings: st.numPostings,
      buildSeconds,
      buildCpuSeconds,
      commitSeconds,
      openSeconds,
      bytesOnDisk: st.bytesOnDisk,
      readerMemoryBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      threeTerm,
      mixed,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    if (job.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

await main();
