/**
 * kill -9 at random moments must leave the last committed index readable. A child process
 * (test/index/fixtures/crash-writer.ts, run with node --import tsx) commits generation after
 * generation of a deterministic plan; we SIGKILL its process group after a seeded random delay,
 * open the reader, and check that it equals the plan's state for the generation it reports, and
 * that this generation is the last one the child confirmed (or the one it was committing).
 * The next round's child finds the dead child's lock and takes it over.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexReader, IndexWriter } from '../../src/index/index.js';
import { stateAt } from './fixtures/crash-plan.js';
import { stepClock, tempDir, tinyAnalyzer, tinyConfig } from './helpers.js';
import { mulberry32 } from '../../src/core/random.js';

const SCRIPT = join(import.meta.dirname, 'fixtures', 'crash-writer.ts');
const ROUNDS = 6;


/** Runs the child until it is ready, lets it commit for `delayMs`, kills it; returns the generations it confirmed. */
async function runAndKill(dir: string, delayMs: number): Promise<{ ready: number; committed: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  const ready = await new Promise<number>((res, rej) => {
    const timer = setInterval(() => {
      const m = /ready (\d+)\n/.exec(out);
      if (m) {
        clearInterval(timer);
        res(Number(m[1]));
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        rej(new Error(`child exited early (${child.exitCode}): ${err}`));
      }
    }, 5);
  });
  await new Promise((res) => setTimeout(res, delayMs));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  expect(err).toBe('');
  const committed = [...out.matchAll(/committed (\d+)\n/g)].map((m) => Number(m[1]));
  return { ready, committed };
}

/** Order-independent picture of an index: documents, chunk texts, stats, scores by chunk id. */
function fingerprint(r: IndexReader) {
  const { generation: _g, committedAt: _c, bytesOnDisk: _b, ...stats } = r.stats();
  const docs = [...r.documents()].map((d) => ({ id: d.id, hash: d.contentHash, chunks: r.chunksOf(d.id).map((n) => r.chunk(n)) }));
  docs.sort((a, b) => (a.id < b.id ? -1 : 1));
  const scores: Record<string, Record<string, number>> = {};
  for (const q of ['alpha crash', 'fsync rename manifest', 'docxxx versionvv term']) {
    scores[q] = Object.fromEntries(r.search(q, { topK: 1000 }).map((h) => [r.chunk(h.chunk).id, h.score]));
  }
  return { stats, docs, scores };
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('openbook-crash-')));
afterAll(() => cleanup());

describe('crash safety', () => {
  it(`kill -9 during commits, ${ROUNDS} rounds: the reader always sees a complete committed state`, async () => {
    const rng = mulberry32(7);
    let lastConfirmed = 0;
    let totalCommits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { ready, committed } = await runAndKill(dir, 50 + rng() * 600);
      expect(ready).toBeGreaterThanOrEqual(lastConfirmed);
      lastConfirmed = Math.max(ready, ...committed);
      totalCommits += committed.length;

      const r = await IndexReader.open(dir, { analyzer: tinyAnalyzer });
      const g = r.stats().generation;
      // the commit in flight when killed may or may not have landed
      expect(g === lastConfirmed || g === lastConfirmed + 1).toBe(true);
      lastConfirmed = g;

      const expected = await tempDir('openbook-expected-');
      const w = await IndexWriter.open(expected.dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
      if (g > 1) for (const { doc, chunks } of stateAt(g)) w.addDocument(doc, chunks);
      await w.commit();
      await w.close();
      const want = await IndexReader.open(expected.dir, { analyzer: tinyAnalyzer });
      expect(fingerprint(r)).toEqual(fingerprint(want));
      await expected.cleanup();
    }
    // the rounds did commit (otherwise the test proves nothing)
    expect(totalCommits).toBeGreaterThan(ROUNDS);
  }, 120_000);
});
