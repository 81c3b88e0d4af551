/**
 * `openbook graph` — the documents with the highest PageRank in the index's link graph, with
 * their in- and out-degrees and the link counts (resolved, self, duplicate, unresolved).
 * Uses the graph stored at `openbook index` time; when it is missing or older than the index,
 * computes it in memory (and says so) without writing.
 */
import type { Command } from 'commander';
import { computeLinkGraph, outDegree, readLinkGraph, type LinkGraph } from '../../index/graph/index.js';
import { IndexReader } from '../../index/index.js';
import type { DocumentRecord } from '../../index/index.js';
import { action, colors, intFlag, printJson, renderTable, resolveIndexDir } from '../shared.js';
import { resolveStoreUrl } from '../store-url.js';
import { loadCliConfig } from './config.js';

export function register(program: Command): void {
  program
    .command('graph')
    .description('top documents by PageRank over the link graph (HTML/Markdown links), with in/out degrees')
    .addHelpText('after', '\nExamples:\n  $ openbook graph\n  $ openbook graph -k 5 --json')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--store <url>', 'a PostgreSQL store instead of the index folder (the graph is computed from its documents\' links)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('-k, --top-k <n>', 'number of documents to show (default: 20)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: { index?: string; store?: string; config?: string; topK?: string; json?: boolean }) => {
        const top = intFlag('--top-k', flags.topK, 20, 1, 1_000_000);
        const url = resolveStoreUrl(flags.store, (await loadCliConfig(flags)).config);
        let dir: string;
        let documents: DocumentRecord[];
        let stored: Awaited<ReturnType<typeof readLinkGraph>> = null;
        if (url) {
          // The store keeps no graph files: the graph is computed from the stored records' links (never written).
          const { maskUrl, PgStore } = await import('../../index/pg/store.js');
          const store = PgStore.connect(url);
          try {
            documents = await (await store.reader()).documents();
          } finally {
            await store.close();
          }
          dir = maskUrl(url);
        } else {
          dir = resolveIndexDir(flags.index);
          const reader = await IndexReader.open(dir);
          documents = [...reader.documents()];
          stored = await readLinkGraph(dir);
        }
        const byId = new Map(documents.map((d) => [d.id, d]));
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
          const c = computeLinkGraph(documents);
          graph = c.graph;
          scores = c.pagerank.scores;
          pr = c.pagerank;
          origin = 'computed';
        }
        const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || (graph.docIds[a] < graph.docIds[b] ? -1 : 1));
        const rows = order.slice(0, top).map((i, r) => {
          const rec = byId.get(graph.docIds[i]);
          return { rank: r + 1, docId: graph.docIds[i], title: rec?.title ?? '', source: rec?.source ?? '', pagerank: scores[i], inDegree: graph.inDegree[i], outDegree: outDegree(graph, i) };
        });
        const summary = { ...(url ? { store: dir } : { indexDir: dir }), origin, numNodes: graph.docIds.length, numEdges: graph.targets.length, links: graph.counts, damping: pr.damping, iterations: pr.iterations, converged: pr.converged };
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
