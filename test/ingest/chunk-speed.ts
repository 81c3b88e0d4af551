/**
 * Speed check for the chunker (not a test; run by hand):
 *   npx tsx test/ingest/chunk-speed.ts [/path/to/beir/corpus.jsonl]
 * Loads a BEIR corpus (default: the SciFact copy in /work/shared/datasets) and times
 * `chunkDocument` over every document, three times, in wall-clock and user-CPU milliseconds.
 */
import type { Document } from '../../src/core/types.js';
import { DEFAULT_CHUNKING, chunkDocument } from '../../src/ingest/chunk.js';
import { loadFile } from '../../src/ingest/load.js';

const corpus = process.argv[2] ?? '/work/shared/datasets/scifact/corpus.jsonl';
const docs: Document[] = [];
for await (const d of loadFile({ absPath: corpus, relPath: 'corpus.jsonl', format: 'jsonl', mtimeMs: 0 })) docs.push(d);
console.log(`${docs.length} documents from ${corpus}, Node ${process.version}`);
for (const opts of [DEFAULT_CHUNKING, { ...DEFAULT_CHUNKING, noChunk: true }]) {
  for (let rep = 1; rep <= 3; rep++) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    let chunks = 0;
    for (const d of docs) chunks += chunkDocument(d, opts).length;
    const wallMs = performance.now() - wall;
    const cpuMs = process.cpuUsage(cpu).user / 1000;
    console.log(
      `chunkSize ${opts.chunkSize} overlap ${opts.chunkOverlap} noChunk ${opts.noChunk}: run ${rep}: ` +
        `${chunks} chunks, ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms user CPU`,
    );
  }
}
