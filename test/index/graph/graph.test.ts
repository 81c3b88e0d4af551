import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexFormatError, InvalidParameterError } from '../../../src/core/errors.js';
import type { Link } from '../../../src/core/types.js';
import { mulberry32 } from '../../../src/core/random.js';
import {
  buildGraph,
  buildLinkGraph,
  candidatePaths,
  decodeEdges,
  encodeEdges,
  GRAPH_DIR,
  GRAPH_MANIFEST,
  pageRank,
  readLinkGraph,
  type LinkedDocument,
} from '../../../src/index/graph/index.js';
import { IndexWriter } from '../../../src/index/index.js';
import { makeDoc, stepClock, tempDir, tinyAnalyzer, tinyConfig } from '../helpers.js';

const links = (...hrefs: string[]): Link[] => hrefs.map((href) => ({ href, text: href }));
const doc = (id: string, ...hrefs: string[]): LinkedDocument => ({ id, source: id, links: links(...hrefs) });
/** CSR from an adjacency list. */
const csr = (adj: number[][]) => {
  const offsets = new Uint32Array(adj.length + 1);
  adj.forEach((row, u) => (offsets[u + 1] = offsets[u] + row.length));
  return { offsets, targets: Uint32Array.from(adj.flat()) };
};

describe('link resolution', () => {
  it('relative paths, fragments, extensions, folders, absolute URLs; unresolved links counted', () => {
    const docs: LinkedDocument[] = [
      doc('docs/guide/intro.md', './setup.md#install', '../api.html', 'setup', '#top', 'missing.md', 'https://example.org/x', 'setup.md'),
      doc('docs/guide/setup.md', '/docs/api.md', '..', 'https://site.test/page'),
      doc('docs/api.md', 'guide/intro.html', 'guide/intro.md?v=2#h'),
      doc('docs/README.md'),
      { id: 'https://site.test/page', source: 'pages.jsonl', links: links('docs/api.md') },
    ];
    const g = buildGraph(docs);
    const row = (u: number) => [...g.targets.slice(g.offsets[u], g.offsets[u + 1])];
    // intro: ./setup.md#install → setup (1); ../api.html → api.md by .html→.md swap (2); "setup" → setup.md by
    // appended .md (duplicate of 1); #top → self; missing.md and the outside URL → unresolved; setup.md → duplicate.
    expect(row(0)).toEqual([1, 2]);
    // setup: /docs/api.md from the root (2); ".." → docs/README.md as the folder's index (3); the URL equals doc 4's id.
    expect(row(1)).toEqual([2, 3, 4]);
    // api: guide/intro.html → intro.md (swap); the second link repeats it (query and fragment cut).
    expect(row(2)).toEqual([0]);
    expect(row(3)).toEqual([]);
    // doc 4's source is a JSONL file: relative links resolve against its folder (the root).
    expect(row(4)).toEqual([2]);
    expect(g.counts).toEqual({ links: 13, edges: 7, selfLinks: 1, duplicateLinks: 3, unresolved: 2 });
    expect(g.unresolvedExamples).toEqual(['docs/guide/intro.md → missing.md', 'docs/guide/intro.md → https://example.org/x']);
    expect([...g.inDegree]).toEqual([1, 1, 3, 1, 1]);
  });

  it('candidate paths in the order they are tried', () => {
    expect(candidatePaths('b.html', 'x/a.md')).toEqual([
      'x/b.html', 'x/b.html.md', 'x/b.html.markdown', 'x/b.html.html', 'x/b.html.htm', 'x/b.md', 'x/b.markdown',
      'x/b.html/index.md', 'x/b.html/README.md', 'x/b.html/index.html',
    ]);
    expect(candidatePaths('./', 'x/a.md')).toEqual(['x/index.md', 'x/README.md', 'x/index.html']);
    expect(candidatePaths('caf%C3%A9.md', 'a.md')[0]).toBe('café.md');
  });

  it('CSR edges round-trip through their byte form, and a bad buffer is refused', () => {
    const g = csr([[1, 2], [], [0]]);
    const back = decodeEdges(encodeEdges(g));
    expect([...back.offsets]).toEqual([0, 2, 2, 3]);
    expect([...back.targets]).toEqual([1, 2, 0]);
    const bad = Buffer.from(encodeEdges(g));
    bad.writeUInt32LE(7, 8 + 4 * 4); // target 0 → 7, out of range for 3 nodes
    expect(() => decodeEdges(bad)).toThrow(/points to node 7 of 3/);
  });
});

describe('PageRank (Page, Brin, Motwani & Winograd 1999), d = 0.85', () => {
  it('3-node cycle with a chord, solved by hand', () => {
    // A→B, A→C, B→C, C→A; N = 3, (1−d)/N = 0.05:
    //   A = 0.05 + 0.85·C,  B = 0.05 + 0.85·A/2,  C = 0.05 + 0.85·(A/2 + B)
    //   C = 0.05 + 0.425A + 0.85(0.05 + 0.425A) = 0.0925 + 0.78625A
    //   A = 0.05 + 0.85(0.0925 + 0.78625A) = 0.128625 + 0.6683125A  →  A = 0.128625/0.3316875 = 0.3877897
    //   B = 0.05 + 0.425·0.3877897 = 0.2148106,  C = 0.0925 + 0.78625·0.3877897 = 0.3973997   (sum 1)
    const r = pageRank(csr([[1, 2], [2], [0]]));
    expect(r.converged).toBe(true);
    expect(r.scores[0]).toBeCloseTo(0.3877897, 7);
    expect(r.scores[1]).toBeCloseTo(0.2148106, 7);
    expect(r.scores[2]).toBeCloseTo(0.3973997, 7);
    expect(r.l1Delta).toBeLessThan(1e-10);
  });

  it('a dangling node spreads its mass uniformly', () => {
    // A→B, B has no out-links. B's mass goes to both nodes (B/2 each):
    //   A = 0.075 + 0.85·B/2,  with B = 1 − A:  A = 0.075 + 0.425 − 0.425A  →  A = 0.5/1.425 = 0.3508772, B = 0.6491228
    const r = pageRank(csr([[1], []]));
    expect(r.scores[0]).toBeCloseTo(0.3508772, 7);
    expect(r.scores[1]).toBeCloseTo(0.6491228, 7);
  });

  it('no edges: uniform; one node: 1; empty graph: empty', () => {
    expect([...pageRank(csr([[], [], [], []])).scores]).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect([...pageRank(csr([[]])).scores]).toEqual([1]);
    expect(pageRank(csr([])).scores.length).toBe(0);
  });

  it('equals the linear-system solution on a seeded random graph (with dangling nodes)', () => {
    const n = 40;
    const d = 0.85;
    const rng = mulberry32(11);
    const adj: number[][] = [];
    for (let u = 0; u < n; u++) {
      const row = new Set<number>();
      if (rng() > 0.15) for (let k = 0; k < 1 + Math.floor(rng() * 5); k++) { const v = Math.floor(rng() * n); if (v !== u) row.add(v); }
      adj.push([...row].sort((a, b) => a - b));
    }
    expect(adj.some((r) => r.length === 0)).toBe(true);
    // (I − d·M̂) x = (1 − d)/N · 1, M̂[v][u] = 1/L(u) for u→v, 1/N for dangling u; Gaussian elimination with pivoting.
    const A = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (j === n ? (1 - d) / n : i === j ? 1 : 0)));
    adj.forEach((row, u) => {
      if (row.length === 0) for (let v = 0; v < n; v++) A[v][u] -= d / n;
      else for (const v of row) A[v][u] -= d / row.length;
    });
    for (let c = 0; c < n; c++) {
      let p = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
      [A[c], A[p]] = [A[p], A[c]];
      for (let r = 0; r < n; r++) {
        if (r === c) continue;
        const f = A[r][c] / A[c][c];
        for (let j = c; j <= n; j++) A[r][j] -= f * A[c][j];
      }
    }
    const exact = A.map((row, i) => row[n] / row[i]);
    const r = pageRank(csr(adj));
    expect(r.converged).toBe(true);
    const sum = r.scores.reduce((a, x) => a + x, 0);
    expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    for (let i = 0; i < n; i++) expect(Math.abs(r.scores[i] - exact[i])).toBeLessThan(1e-10);
  });

  it('stops at maxIterations and reports not converged; bad parameters are typed errors', () => {
    const r = pageRank(csr([[1, 2], [2], [0]]), { maxIterations: 3 });
    expect(r.iterations).toBe(3);
    expect(r.converged).toBe(false);
    expect(() => pageRank(csr([[]]), { damping: 1 })).toThrow(InvalidParameterError);
    expect(() => pageRank(csr([[]]), { tolerance: 0 })).toThrow(InvalidParameterError);
    expect(() => pageRank(csr([[]]), { maxIterations: 0 })).toThrow(InvalidParameterError);
  });
});

describe('stored link graph under <index>/graph/', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function indexWith(dir: string, docs: Array<{ id: string; links?: string[] }>) {
    const w = await IndexWriter.open(dir, tinyConfig, { now: stepClock(), analyzer: tinyAnalyzer });
    for (const d of docs) {
      const { doc: document, chunks } = makeDoc(d.id, `text of ${d.id}`, { source: `${d.id}.md`, format: 'md', ...(d.links ? { links: links(...d.links) } : {}) });
      w.addDocument(document, chunks);
    }
    const info = await w.commit();
    await w.close();
    return info.generation;
  }

  it('builds, stores and reads back the graph and PageRank; stale after a new commit; corruption detected', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const gen = await indexWith(t.dir, [{ id: 'a', links: ['b.md', 'c.md'] }, { id: 'b', links: ['c.md'] }, { id: 'c', links: ['a.md', 'https://x.test'] }]);
    const s = await buildLinkGraph(t.dir, () => 42);
    expect(s).toMatchObject({ written: true, indexGeneration: gen, numNodes: 3, numEdges: 4, converged: true });
    expect(s.counts.unresolved).toBe(1);
    const stored = await readLinkGraph(t.dir);
    expect(stored).not.toBeNull();
    expect(stored!.stale).toBe(false);
    expect(stored!.manifest.builtAt).toBe(42);
    expect(stored!.graph.docIds).toEqual(['a', 'b', 'c']);
    // same graph as the hand-solved 3-node test
    expect(stored!.pagerank[0]).toBeCloseTo(0.3877897, 7);
    expect(stored!.pagerank[2]).toBeCloseTo(0.3973997, 7);
    expect([...stored!.graph.inDegree]).toEqual([1, 1, 2]);

    await indexWith(t.dir, [{ id: 'd' }]);
    expect((await readLinkGraph(t.dir))!.stale).toBe(true);

    const m = JSON.parse(await readFile(join(t.dir, GRAPH_DIR, GRAPH_MANIFEST), 'utf8')) as { files: { pagerank: { name: string } } };
    const prFile = join(t.dir, GRAPH_DIR, m.files.pagerank.name);
    const bytes = await readFile(prFile);
    bytes[3] ^= 0xff;
    await writeFile(prFile, bytes);
    await expect(readLinkGraph(t.dir)).rejects.toThrow(IndexFormatError);
  });

  it('writes nothing when no document has links; a rebuild replaces the previous generation files', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await indexWith(t.dir, [{ id: 'a' }, { id: 'b' }]);
    expect((await buildLinkGraph(t.dir, () => 1)).written).toBe(false);
    expect(await readLinkGraph(t.dir)).toBeNull();

    const g2 = await indexWith(t.dir, [{ id: 'c', links: ['a.md'] }]);
    expect((await buildLinkGraph(t.dir, () => 2)).written).toBe(true);
    const g3 = await indexWith(t.dir, [{ id: 'e' }]);
    await buildLinkGraph(t.dir, () => 3);
    const stored = await readLinkGraph(t.dir);
    expect(stored!.manifest.indexGeneration).toBe(g3);
    expect(stored!.stale).toBe(false);
    const { readdir } = await import('node:fs/promises');
    const names = (await readdir(join(t.dir, GRAPH_DIR))).sort();
    const pad = (g: number) => `g${String(g).padStart(8, '0')}`;
    expect(names).toEqual([`${pad(g3)}.docids.json`, `${pad(g3)}.edges`, `${pad(g3)}.pagerank`, GRAPH_MANIFEST].sort());
    expect(names.some((n) => n.startsWith(pad(g2)))).toBe(false);
  });
});
