/**
 * Issue 13 item 2, "validation happens once, at the edge": the CLI's flags and config and the
 * HTTP request schemas check retrieval options by the option table's rules; what they hand the
 * Engine is marked as checked (`checkedAtEdge`), and the Engine does not check it again. Options
 * a library user passes straight to the Engine (its own edge) are still checked, by the same
 * table — delta, prior, prWeight and context included.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetrievalFlags } from '../../src/cli/commands/search.js';
import { InvalidParameterError } from '../../src/core/errors.js';
import { checkSearchOptions, checkedAtEdge, Engine, isCheckedAtEdge, type SearchOptions } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { httpSearchOptions } from '../../src/server/methods.js';

let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-validate-once-'));
  writeFileSync(path.join(dir, 'pagerank.md'), '# PageRank\n\nPageRank uses a damping factor d = 0.85 in its power iteration.\n');
  writeFileSync(path.join(dir, 'bm25.md'), '# BM25\n\nBM25 uses k1 and b to saturate and normalise term frequency.\n');
  await indexPaths({ indexDir: path.join(dir, '.openbook'), paths: ['.'], cwd: dir, now: Date.now });
  engine = await Engine.open(path.join(dir, '.openbook'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the edges mark what they checked', () => {
  it("the CLI's parsed flags and the HTTP request's options are marked; a spread keeps the mark", () => {
    const cli = parseRetrievalFlags({ topK: '3', k1: '1.2', context: 'sentence-window:1' }, 10);
    expect(isCheckedAtEdge(cli)).toBe(true);
    expect(isCheckedAtEdge({ ...cli, extractive: true })).toBe(true);
    const http = httpSearchOptions({ q: 'x', topK: 3, k1: 1.2 }, 10);
    expect(isCheckedAtEdge(http)).toBe(true);
    expect(http).toMatchObject({ topK: 3, k1: 1.2 });
    expect(isCheckedAtEdge({ topK: 3 })).toBe(false);
  });
});

describe('the Engine checks only what no edge checked', () => {
  it('unmarked options are checked by the table (the library edge)', async () => {
    await expect(engine.search('damping', { topK: 0 })).rejects.toThrow(InvalidParameterError);
    await expect(engine.search('damping', { k1: -1 })).rejects.toThrow(/^k1 must be a number ≥ 0/);
  });

  it('options marked by an edge are not checked again: the engine trusts the edge', async () => {
    // topK 20,000 is past the table's 10,000 (refused unmarked); marked, the engine takes it as given
    await expect(engine.search('damping factor', { topK: 20_000 })).rejects.toThrow(/^topK must be an integer in \[1, 10000\]/);
    const hits = await engine.search('damping factor', checkedAtEdge({ topK: 20_000 } as SearchOptions));
    expect(hits.map((h) => h.source)).toEqual(['pagerank.md']);
  });

  it('delta, prior, prWeight and context are checked by the same table, naming the option', () => {
    const cases: Array<[SearchOptions, RegExp]> = [
      [{ delta: -1 }, /^delta must be a number ≥ 0, got -1$/],
      [{ delta: Infinity }, /^delta must be a number ≥ 0/],
      [{ prior: 'hits' as never }, /^prior must be one of pagerank, got "hits"$/],
      [{ prWeight: 1.5 }, /^prWeight must be a number in \[0, 1\], got 1.5$/],
      [{ context: 'window:2' }, /^context must be chunk, sentence-window:N/],
    ];
    for (const [o, message] of cases) expect(() => checkSearchOptions(o), JSON.stringify(o)).toThrow(message);
    expect(() => checkSearchOptions({ context: { kind: 'parent', budget: 64 }, prior: 'pagerank', prWeight: 0.5, delta: 0.5 })).not.toThrow();
  });
});
