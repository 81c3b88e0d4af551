/**
 * One measurement in a fresh process (so peak RSS belongs to one system alone):
 *   node --expose-gc --import tsx bench/child.ts '<ChildJob JSON>'
 * Loads the data, builds the system's index (timed), measures the index's heap + ArrayBuffer
 * growth, writes the index where the library persists (size), then runs one full pass over the
 * queries cold (right after the build, as a first user meets it; timed and reported apart, and it is
 * every system's warm-up), then times full warm passes, single-threaded, until `minTimedMs` have
 * passed (at least one, at most `maxPasses`). The run (top-k per query) is the cold pass's (the
 * same ranking as any other pass). Prints one line `RESULT <ChildResult JSON>`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBenchData, type DataSpec } from './dataset.js';
import { SYSTEMS, type SystemName } from './systems.js';

export interface ChildJob {
  system: SystemName;
  data: DataSpec;
  topK: number;
  /** Timed warm full passes continue until this many ms have passed (at least one pass). */
  minTimedMs: number;
  maxPasses: number;
}

export interface ChildResult {
  system: SystemName;
  numDocs: number;
  numQueries: number;
  /** UTF-8 bytes of the indexed contents. */
  rawTextBytes: number;
  buildSeconds: number;
  /** CPU time (user + system) of the build, seconds: robust when other processes share the cores. */
  buildCpuSeconds: number;
  /** Heap + ArrayBuffer growth from before the build to after it (after GC), bytes. */
  indexMemoryBytes: number;
  /** Bytes on disk of the persisted index, or null. */
  indexBytesOnDisk: number | null;
  /** Per-query latency, ms, over all warm passes (query order within a pass). */
  latenciesMs: number[];
  /** Per-query latency, ms, of the cold first pass (right after the build, before any warm pass). */
  coldLatenciesMs: number[];
  /** CPU time (user + system) of the cold pass, ms. */
  coldCpuMs: number;
  /** Timed passes over the queries. */
  passes: number;
  /** CPU time (user + system) of all timed queries, ms. */
  queriesCpuMs: number;
  /** Peak resident set size of the whole process, bytes. */
  peakRssBytes: number;
  /** RSS after loading the data, before building, bytes. */
  baselineRssBytes: number;
  failedQueries: number;
  /** qid → top-k doc ids, best first. */
  run: Record<string, string[]>;
}

/**
 * Full GCs with event-loop turns between them, so finalizers (which free Buffers and other
 * ArrayBuffers, e.g. the bytes of files read) have run before memory is read.
 */
async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as ChildJob;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bench/child.ts needs node --expose-gc');
  const data = await loadBenchData(job.data);
  let rawTextBytes = 0;
  for (const d of data.docs) rawTextBytes += Buffer.byteLength(d.contents);
  const work = await mkdtemp(join(tmpdir(), `openbook-bench-${job.system}-`));
  try {
    await settle(gc);
    const baselineRssBytes = process.memoryUsage().rss;
    const m0 = process.memoryUsage();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const built = await SYSTEMS[job.system].build(data.docs, work);
    const buildSeconds = (performance.now() - t0) / 1000;
    const bc = process.cpuUsage(c0);
    const buildCpuSeconds = (bc.user + bc.system) / 1e6;
    await settle(gc);
    const m1 = process.memoryUsage();
    const indexMemoryBytes = m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers);
    const indexBytesOnDisk = await built.persist(join(work, 'persisted'));
    // Cold: one full pass right after the build, timed on its own; it is also the warm-up (JIT, caches).
    const coldLatenciesMs: number[] = [];
    const run: Record<string, string[]> = {};
    const cc0 = process.cpuUsage();
    for (const [qid, text] of data.queries) {
      const q0 = performance.now();
      const r = built.search(text, job.topK);
      const ids = r instanceof Promise ? await r : r;
      coldLatenciesMs.push(performance.now() - q0);
      run[qid] = ids;
    }
    const cc = process.cpuUsage(cc0);
    // Warm: full passes until at least minTimedMs have gone by (at least one pass, at most maxPasses).
    const latenciesMs: number[] = [];
    const qc0 = process.cpuUsage();
    const t1 = performance.now();
    let passes = 0;
    do {
      for (const [, text] of data.queries) {
        const q0 = performance.now();
        const r = built.search(text, job.topK);
        if (r instanceof Promise) await r;
        latenciesMs.push(performance.now() - q0);
      }
      passes++;
    } while (passes < job.maxPasses && performance.now() - t1 < job.minTimedMs);
    const qc = process.cpuUsage(qc0);
    const result: ChildResult = {
      system: job.system,
      numDocs: data.docs.length,
      numQueries: data.queries.length,
      rawTextBytes,
      buildSeconds,
      buildCpuSeconds,
      indexMemoryBytes,
      indexBytesOnDisk,
      latenciesMs,
      coldLatenciesMs,
      coldCpuMs: (cc.user + cc.system) / 1000,
      passes,
      queriesCpuMs: (qc.user + qc.system) / 1000,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      baselineRssBytes,
      failedQueries: built.failedQueries(),
      run,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
