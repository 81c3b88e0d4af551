/**
 * #16 item 5's fuzz test: seeded mutations of real files of every zip/binary format (truncated at
 * random points, bytes flipped, a member swapped for a zip bomb) and of nested markup are indexed
 * under tight budgets. The run must end within a bound (no hang), every input must be either
 * indexed or named in a warning, and the documents committed before must all still be
 * there and unchanged.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexPaths } from '../../src/engine/indexer.js';
import { IndexReader } from '../../src/index/index.js';
import { docxBomb, hwpxBomb, nestedHtml, pdfFlateBomb, truncatedPdf, xlsxBomb } from '../support/hostile-files.js';
import { makeDocx, makeEpub, makeHwp, makeHwpx, makePptx, makeXlsx } from '../support/office-files.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fuzzed inputs under budgets', () => {
  it('60 mutated and hostile files: no hang, each indexed or named in a warning, committed documents kept', async () => {
    const indexDir = path.join(dir, '.openbook');
    await mkdir(path.join(dir, 'kept'));
    await writeFile(path.join(dir, 'kept/a.md'), '# Kept A\n\nThe aardvark digs burrows.\n');
    await writeFile(path.join(dir, 'kept/b.docx'), makeDocx(['Kept paragraph about the bison.']));
    await indexPaths({ indexDir, paths: ['kept'], cwd: dir, now: Date.now });
    const before = await IndexReader.open(indexDir);
    const beforeTexts = new Map([...before.documents()].map((d) => [d.id, before.documentTextOf(d.id)]));

    const seeds: Array<[string, Buffer]> = [
      ['docx', makeDocx(['Fuzz paragraph one.', 'Fuzz paragraph two.'])],
      ['xlsx', makeXlsx([{ name: 'S', rows: [['name', 'price'], ['apple', 3], ['pear', 4]] }])],
      ['pptx', makePptx([{ title: 'Slide', body: ['fuzz body'], notes: ['note'] }])],
      ['hwpx', makeHwpx([['한글 문단 하나', '둘째 문단']])],
      ['hwp', makeHwp([['한글 본문']], { compressed: true })],
      ['epub', makeEpub([{ file: 'c1.xhtml', body: '<p>Chapter text.</p>' }])],
      ['pdf', await truncatedPdf(1)],
      ['html', Buffer.from(nestedHtml(50, 'div'))],
    ];
    const r = rng(20261203);
    const fuzzDir = path.join(dir, 'fuzz');
    await mkdir(fuzzDir);
    const names: string[] = [];
    for (let i = 0; i < 48; i++) {
      const [ext, seed] = seeds[i % seeds.length];
      let bytes = Buffer.from(seed);
      const op = Math.floor(r() * 3);
      if (op === 0) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
      else if (op === 1) for (let k = 0; k < 1 + Math.floor(r() * 8); k++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      else bytes = Buffer.concat([bytes.subarray(0, Math.floor(bytes.length / 2)), Buffer.from(bytes.subarray(Math.floor(bytes.length / 2)).reverse())]);
      const name = `f${String(i).padStart(2, '0')}.${ext}`;
      await writeFile(path.join(fuzzDir, name), bytes);
      names.push(`fuzz/${name}`);
    }
    const hostile: Array<[string, Buffer]> = [
      ['h-bomb.docx', await docxBomb(64 << 20)],
      ['h-bomb.xlsx', await xlsxBomb(64 << 20)],
      ['h-bomb.hwpx', await hwpxBomb(64 << 20)],
      ['h-bomb.pdf', await pdfFlateBomb(64 << 20)],
      ['h-cut.pdf', await truncatedPdf(0.3)],
      ['h-div.html', Buffer.from(nestedHtml(100_000, 'div'))],
      ['h-table.html', Buffer.from(nestedHtml(2000, 'table'))],
      ['h-ul.html', Buffer.from(nestedHtml(100_000, 'ul'))],
      ['h-div2k.html', Buffer.from(nestedHtml(2000, 'div'))],
      ['h-wide.html', Buffer.from(`<html><body>${'<p>w</p>'.repeat(50_000)}</body></html>`)],
      ['h-empty.docx', Buffer.alloc(0)],
      ['h-junk.pdf', Buffer.from('%PDF-1.7\n' + 'x'.repeat(5000))],
    ];
    for (const [name, bytes] of hostile) {
      await writeFile(path.join(fuzzDir, name), bytes);
      names.push(`fuzz/${name}`);
    }
    expect(names).toHaveLength(60);

    const warnings: string[] = [];
    const t0 = Date.now();
    const summary = await indexPaths({ indexDir, paths: ['kept', 'fuzz'], cwd: dir, now: Date.now, budgets: { timeoutMs: 3000, maxHeapMb: 256, maxDecompressedBytes: 16 << 20 }, onWarning: (m) => warnings.push(m) });
    const ms = Date.now() - t0;
    // Bound: at most a handful of files can reach the time budget; all the rest fail or parse fast.
    expect(ms).toBeLessThan(60_000);
    const after = await IndexReader.open(indexDir);
    const ids = new Set([...after.documents()].map((d) => d.id));
    for (const n of names) {
      const named = warnings.filter((w) => w.startsWith(`${n}: `) || w.startsWith(`${n}:`));
      expect(ids.has(n) || named.length >= 1, `${n}: neither indexed nor named (${JSON.stringify(named)})`).toBe(true);
    }
    for (const [id, text] of beforeTexts) expect(after.documentTextOf(id), id).toBe(text);
    for (const f of ['h-bomb.docx', 'h-bomb.xlsx', 'h-bomb.hwpx', 'h-bomb.pdf']) expect(warnings).toContain(`fuzz/${f}: skipped: decompresses to more than 16 MiB (limit maxDecompressedBytes)`);
    console.log(`fuzz-budgets: 60 inputs in ${ms} ms, ${summary.added} indexed, ${warnings.length} warnings (${warnings.filter((w) => w.includes('(limit timeoutMs)')).length} time, ${warnings.filter((w) => w.includes('(limit maxHeapMb)')).length} heap, ${warnings.filter((w) => w.includes('(limit maxDecompressedBytes)')).length} decompressed)`);
  }, 120_000);
});
