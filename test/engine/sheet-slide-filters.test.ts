/**
 * #16 item 1: chunks inherit their document's fields "plus their own (headingPath, page, sheet,
 * slide)". An XLSX chunk's `sheet` is the sheet its first row is on, a PPTX chunk's `slide` the
 * first slide it covers (as `page` is a PDF chunk's first page); both are filter fields, each hit
 * of a filtered search has them, and filtering equals brute force over the unfiltered ranking
 * with each hit's locator.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { PgEngine } from '../../src/engine/pg-engine.js';
import { PgStore } from '../../src/index/pg/store.js';
import { makePptx, makeXlsx } from '../support/office-files.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

let dir: string;
let engine: Engine;
const Q = 'budget 예산';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-sheet-slide-'));
  mkdirSync(path.join(dir, 'office'));
  writeFileSync(
    path.join(dir, 'office', 'plan.xlsx'),
    makeXlsx([
      { name: '단가', rows: [['품목', '설명'], ['나사', 'budget 예산 screws'], ['볼트', 'budget bolts']] },
      { name: 'Q2', rows: [['item', 'note'], ['paint', 'budget 예산 paint'], ['brush', 'budget brushes']] },
    ]),
  );
  writeFileSync(
    path.join(dir, 'office', 'deck.pptx'),
    makePptx([
      { title: 'Intro', body: ['budget overview 예산'] },
      { title: 'Costs', body: ['budget costs in detail'] },
      { title: 'Plan', body: ['budget plan 예산 next year'] },
    ]),
  );
  await indexPaths({ indexDir: path.join(dir, '.openbook'), paths: ['office'], cwd: dir, now: Date.now, chunkSize: 8, chunkOverlap: 0 });
  engine = await Engine.open(path.join(dir, '.openbook'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sheetOf = (h: Hit) => (h.locator?.kind === 'row' ? h.locator.sheet : undefined);
const slideOf = (h: Hit) => (h.locator?.kind === 'slide' ? h.locator.start : undefined);

describe('sheet and slide are chunk fields', () => {
  it('sheet = "Q2" keeps the chunks of that sheet only, exactly brute force', async () => {
    const all = await engine.search(Q, { topK: 100 });
    expect(new Set(all.map(sheetOf).filter(Boolean))).toEqual(new Set(['단가', 'Q2']));
    for (const k of [1, 2, 10]) {
      const hits = await engine.search(Q, { topK: k, filter: 'sheet = "Q2"' });
      expect(hits.map((h) => h.chunkId)).toEqual(all.filter((h) => sheetOf(h) === 'Q2').slice(0, k).map((h) => h.chunkId));
    }
    const ko = await engine.search(Q, { topK: 10, filter: 'sheet = "단가"' });
    expect(ko.length).toBeGreaterThan(0);
    expect(ko.every((h) => sheetOf(h) === '단가')).toBe(true);
  });

  it('slide >= 2 keeps the chunks from slide 2 on, exactly brute force; NOT slide = 1 keeps the sheets too', async () => {
    const all = await engine.search(Q, { topK: 100 });
    expect(new Set(all.map(slideOf).filter((s) => s !== undefined))).toEqual(new Set([1, 2, 3]));
    const hits = await engine.search(Q, { topK: 10, filter: 'slide >= 2' });
    expect(hits.map((h) => h.chunkId)).toEqual(all.filter((h) => (slideOf(h) ?? 0) >= 2).slice(0, 10).map((h) => h.chunkId));
    expect(hits.map(slideOf).sort()).toEqual([2, 3]);
    const notOne = await engine.search(Q, { topK: 100, filter: 'NOT slide = 1' });
    expect(notOne.map((h) => h.chunkId)).toEqual(all.filter((h) => slideOf(h) !== 1).map((h) => h.chunkId));
  });

});

describe.skipIf(!pgAvailable())('sheet and slide on the PostgreSQL store', () => {
  let cluster: PgCluster;
  beforeAll(() => {
    cluster = startPgCluster(0);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('the same filters give the embedded index\'s hits', async () => {
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query('CREATE DATABASE sheets');
    await c.end();
    const url = cluster.url.replace(/\/[^/?]+(\?|$)/, '/sheets$1');
    const store = PgStore.connect(url);
    try {
      await indexPaths({ indexDir: path.join(dir, 'unused'), store, paths: ['office'], cwd: dir, now: Date.now, chunkSize: 8, chunkOverlap: 0 });
    } finally {
      await store.close();
    }
    const pge = await PgEngine.open(url);
    try {
      for (const filter of ['sheet = "Q2"', 'sheet = "단가"', 'slide >= 2', 'NOT slide = 1']) {
        const want = (await engine.search(Q, { topK: 10, filter })).map((h) => [h.chunkId, h.score]);
        expect(want.length).toBeGreaterThan(0);
        expect((await pge.search(Q, { topK: 10, filter })).map((h) => [h.chunkId, h.score])).toEqual(want);
      }
    } finally {
      await pge.close();
    }
  }, 120_000);
});
