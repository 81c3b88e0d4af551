/**
 * The index progress for one big file (#13 item 4): a single large JSONL showed `0/1 files … ETA NF`
 * until it was done, since progress counted whole files only. Progress now carries bytes (the file
 * sizes of the walk, and within a JSONL file the bytes of the lines read so far), and the CLI's bar
 * counts bytes when the run has one file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexBarCount } from '../../src/cli/commands/index-cmd.js';
import { indexPaths, type IndexProgress } from '../../src/engine/indexer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-progress-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A JSONL line of exactly 100 bytes with its newline. */
function line(i: number): string {
  const head = `{"_id":"d${String(i).padStart(4, '0')}","text":"passage ${i} about`;
  const tail = '"}\n';
  return head + ' x'.repeat(50).slice(0, 100 - head.length - tail.length) + tail;
}

describe('index progress of one big file', () => {
  it('counts the bytes of the lines read so far', async () => {
    // 2,500 lines × 100 bytes = 250,000 bytes; the indexer reports every 1,000 documents written
    const text = Array.from({ length: 2500 }, (_, i) => line(i)).join('');
    expect(Buffer.byteLength(text)).toBe(250_000);
    await writeFile(path.join(dir, 'corpus.jsonl'), text);
    const events: IndexProgress[] = [];
    await indexPaths({ indexDir: path.join(dir, '.openbook'), paths: ['corpus.jsonl'], cwd: dir, now: Date.now, threads: 1, onProgress: (p) => events.push({ ...p }) });
    const index = events.filter((p) => p.phase === 'index');
    expect(index.map((p) => p.bytesTotal)).toEqual(index.map(() => 250_000));
    // at the start 0; after 1,000 lines 100,000 bytes; after 2,000 lines 200,000
    expect(index.map((p) => p.bytesDone)).toEqual([0, 100_000, 200_000]);
    expect(index.map((p) => p.filesDone)).toEqual([0, 0, 0]);
    const commit = events.find((p) => p.phase === 'commit');
    expect(commit).toMatchObject({ filesDone: 1, filesTotal: 1, bytesDone: 250_000, bytesTotal: 250_000 });
  });

  it('adds whole files as they are done when there are several', async () => {
    await writeFile(path.join(dir, 'a.md'), '# A\n\nalpha\n'); // 4 + 1 + 6 = 11 bytes
    await writeFile(path.join(dir, 'b.md'), '# B\n\nbeta beta\n'); // 4 + 1 + 10 = 15 bytes
    const events: IndexProgress[] = [];
    await indexPaths({ indexDir: path.join(dir, '.openbook'), paths: ['a.md', 'b.md'], cwd: dir, now: Date.now, threads: 1, onProgress: (p) => events.push({ ...p }) });
    expect(events.filter((p) => p.phase !== 'scan').map((p) => [p.phase, p.filesDone, p.bytesDone, p.bytesTotal])).toEqual([
      ['index', 0, 0, 26],
      ['index', 1, 11, 26],
      ['commit', 2, 26, 26],
    ]);
  });

  it('the CLI bar counts bytes for one file and files for several', () => {
    const one = { phase: 'index' as const, filesDone: 0, filesTotal: 1, chunks: 1000, bytesDone: 100_000, bytesTotal: 250_000 };
    // 100,000 B = 97.7 KiB, 250,000 B = 244.1 KiB
    expect(indexBarCount(one)).toEqual({ value: 100_000, total: 250_000, count: '97.7 KiB/244.1 KiB' });
    expect(indexBarCount({ ...one, filesDone: 1, filesTotal: 2 })).toEqual({ value: 1, total: 2, count: '1/2 files' });
  });
});
