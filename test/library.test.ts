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
});
