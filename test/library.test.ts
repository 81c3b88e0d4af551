/**
 * The package entry point works without the CLI: index a folder, search, ask — in one process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, IndexNotFoundError, exactMatch, getAnalyzer, indexPaths } from '../src/index.js';

describe('library entry (src/index.ts)', () => {
  it('indexes, searches and answers with no CLI', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openbook-lib-'));
    try {
      writeFileSync(path.join(dir, 'a.md'), '# PageRank\n\nPageRank uses a damping factor d = 0.85 in its power iteration.\n');
      writeFileSync(path.join(dir, 'b.md'), '# BM25\n\nBM25 uses k1 and b to saturate and normalise term frequency.\n');
      const indexDir = path.join(dir, '.openbook');
      const summary = await indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now });
      expect(summary).toMatchObject({ added: 2, removed: 0, skipped: 0, committed: true, generation: 1 });
      const engine = await Engine.open(indexDir);
      const hits = await engine.search('damping factor', { topK: 1 });
      expect(hits.map((h) => h.source)).toEqual(['a.md']);
      const answer = await engine.ask('What damping factor does PageRank use?');
      expect(answer.citations[0].quote).toBe('PageRank uses a damping factor d = 0.85 in its power iteration.');
      expect(getAnalyzer('english').analyze("PageRank's damping")).toEqual(['pagerank', 'damp']);
      expect(exactMatch('The Damping', 'damping', 'squad')).toBe(1);
      await expect(Engine.open(path.join(dir, 'none'))).rejects.toBeInstanceOf(IndexNotFoundError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fuses a PageRank prior over the link graph with the text score', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openbook-prior-'));
    try {
      // a → b, a → c, b → a, c → a, c → b; every document matches the query.
      writeFileSync(path.join(dir, 'a.md'), '# Hub\n\nBM25 retrieval basics. See [b](b.md) and [c](c.md).\n');
      writeFileSync(path.join(dir, 'b.md'), '# B\n\nBM25 retrieval with length normalisation. Back to [hub](a.md).\n');
      writeFileSync(path.join(dir, 'c.md'), '# C\n\nBM25 retrieval with saturation. Back to [hub](a.md) and [b](b.md).\n');
      const indexDir = path.join(dir, '.openbook');
      await indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now });
      const engine = await Engine.open(indexDir);
      const hits = await engine.search('BM25 retrieval', { topK: 3, prior: 'pagerank', prWeight: 0.5 });
      // PageRank (d = 0.85): a 0.432749, b 0.333333, c 0.233918. BM25 ranks b first, a and c tie.
      // Min-max over the three: text b 1, a 0, c 0; PR a 1, b (0.333333 − 0.233918)/(0.432749 − 0.233918) = 0.5, c 0.
      // Score = 0.5·text + 0.5·PR: b 0.75, a 0.5, c 0.
      expect(hits.map((h) => h.source)).toEqual(['b.md', 'a.md', 'c.md']);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(0.75, 5), expect.closeTo(0.5, 5), expect.closeTo(0, 5)]);
      expect(hits[1].scores?.pagerank).toBeCloseTo(0.432749, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
