/**
 * `openbook graph` — the documents with the highest PageRank in the index's link graph, with
 * their in- and out-degrees and the link counts (resolved, self, duplicate, unresolved).
 * Uses the graph stored at `openbook index` time; when it is missing or older than the index,
 * computes it in memory (and says so) without writing.
 */
import type { Command } from 'commander';
import { computeLinkGraph, outDegree, readLinkGraph, type LinkGraph } from '../../index/graph/index.js';
import { IndexReader } from '../../index/index.js';
import { action, colors, intFlag, printJson, renderTable, resolveIndexDir } from '../shared.js';

export function register(program: Command): void {
  program
    .command('graph')
    .description('top documents by PageRank over the link graph (HTML/Markdown links), with in/out degrees')
    .option('--index <dir>', 'index folder (default .openbook, or $OPENBOOK_INDEX)')
    .option('-k, --top-k <n>', 'number of documents to show (default 20)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: { index?: string; topK?: string; json?: boolean }) => {
        const dir = resolveIndexDir(flags.index);
        const top = intFlag('--top-k', flags.topK, 20, 1, 1_000_000);
        const reader = await IndexReader.open(dir);
        const stored = await readLinkGraph(dir);
        let graph: LinkGraph;
        let scores: Float64Array;
        let origin: 'stored' | 'computed';
        let pr: { iterations: number; converged: boolean; damping: number };
        if (stored && !stored.stale) {
          graph = stored.graph;
          scores = stored.pagerank;
          pr = stored.manifest.pagerank;
          origin = 'stored';
        } else {
          const c = computeLinkGraph([...reader.documents()]);
          graph = c.graph;
          scores = c.pagerank.scores;
          pr = c.pagerank;
          origin = 'computed';
        }
        const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || (graph.docIds[a] < graph.docIds[b] ? -1 : 1));
        const rows = order.slice(0, top).map((i, r) => {
          const rec = reader.document(graph.docIds[i]);
          return { rank: r + 1, docId: graph.docIds[i], title: rec?.title ?? '', source: rec?.source ?? '', pagerank: scores[i], inDegree: graph.inDegree[i], outDegree: outDegree(graph, i) };
        });
        const summary = { indexDir: dir, origin, numNodes: graph.docIds.length, numEdges: graph.targets.length, links: graph.counts, damping: pr.damping, iterations: pr.iterations, converged: pr.converged };
        if (flags.json) {
          printJson({ ...summary, unresolvedExamples: graph.unresolvedExamples, top: rows });
          return;
        }
        const c = colors();
        const k = graph.counts;
        process.stdout.write(
          c.bold(`link graph of ${dir}`) +
            ` — ${summary.numNodes} documents, ${summary.numEdges} edges; links: ${k.links} (${k.edges} edges, ${k.selfLinks} self, ${k.duplicateLinks} repeated, ${k.unresolved} unresolved)\n`,
        );
        process.stdout.write(c.dim(`PageRank d=${pr.damping}, ${pr.iterations} iterations${pr.converged ? '' : ' (not converged)'}; ${origin === 'stored' ? 'stored at index time' : 'computed now (no current stored graph; `openbook index` stores it)'}`) + '\n');
        if (k.links === 0) process.stdout.write(c.yellow('no document has links: every PageRank is 1/N') + '\n');
        process.stdout.write(renderTable(['#', 'PageRank', 'in', 'out', 'document'], rows.map((r) => [r.rank, r.pagerank.toFixed(6), r.inDegree, r.outDegree, r.source === r.docId ? r.docId : `${r.docId} (${r.source})`])) + '\n');
      }),
    );
}
