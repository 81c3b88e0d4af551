/** The durable-write helper the dense store shares with the index store (src/index/store/atomic-file.ts). */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsyncDir, renameDurable, tempPathOf, TMP_SUFFIX, writeFileDurable } from '../../../src/index/store/atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openbook-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('durable file replacement', () => {
  it('replaces a file through path.tmp and leaves no temp behind', async () => {
    const path = join(dir, 'manifest.json');
    writeFileSync(path, 'old');
    expect(tempPathOf(path)).toBe(`${path}${TMP_SUFFIX}`);
    await writeFileDurable(path, Uint8Array.of(0x6e, 0x65, 0x77)); // "new"
    await fsyncDir(dir);
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  it('a failed write rethrows, keeps the old file and removes the temp', async () => {
    const path = join(dir, 'seg.ids.u32');
    writeFileSync(path, 'old');
    await expect(writeFileDurable(path, 42 as unknown as string)).rejects.toThrow(TypeError);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['seg.ids.u32']);
  });

  it('renameDurable moves a temp file written by someone else over the target', async () => {
    const path = join(dir, 'ann.usearch');
    writeFileSync(tempPathOf(path), 'graph');
    await renameDurable(tempPathOf(path), path);
    expect(readFileSync(path, 'utf8')).toBe('graph');
    expect(readdirSync(dir)).toEqual(['ann.usearch']);
    await expect(renameDurable(tempPathOf(path), path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
