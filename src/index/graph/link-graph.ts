/**
 * The link graph of the indexed documents: one node per document (in index order), one directed
 * edge u → v when document u links to document v. Edges are kept in CSR form (compressed sparse
 * rows) in typed arrays: the targets of node u are `targets[offsets[u] .. offsets[u + 1] − 1]`,
 * ascending and distinct.
 *
 * Resolving a link's `href` (as written in the HTML `<a href>` or Markdown `[x](y)`):
 *
 * 1. The `#fragment` and `?query` are cut off. A link that is only a fragment (`#usage`) points
 *    into its own document: it counts as a self-link.
 * 2. An absolute URL (`scheme:…` or `//host/…`) matches a document whose `source` or `id` equals it,
 *    with or without its fragment; otherwise it is unresolved (an outside page).
 * 3. A relative path is percent-decoded and resolved against the folder of the linking document's
 *    `source` (POSIX rules: `./`, `../`); a path starting with `/` is taken from the indexing root
 *    (the folder sources are relative to). The first of these that names a document wins:
 *    the path itself; the path with `.md`, `.markdown`, `.html`, `.htm` appended; the path with a
 *    `.html`/`.htm` ending swapped for `.md` and vice versa (sites built from Markdown link to
 *    the generated page); `index.md`, `README.md`, `index.html` inside the path as a folder.
 *    A path matches a document by `source` (when exactly one document has that source: a JSONL
 *    file's lines share theirs) or by `id`.
 *
 * Unresolved links are counted, never errors. Self-links and repeated links (u → v twice) add no
 * edge and are counted; PageRank on this graph is therefore the simple-graph PageRank of
 * Page, Brin, Motwani & Winograd (1999), where a page's vote is split over its distinct out-links.
 */
import path from 'node:path';
import type { Link } from '../../core/types.js';

/** What the graph needs of a document: its id, source path and outgoing links. */
export interface LinkedDocument {
  id: string;
  source: string;
  links?: Link[];
}

/** Counts of what happened to the links while building the graph. */
export interface LinkCounts {
  /** Links seen over all documents. */
  links: number;
  /** Links that became an edge (first occurrence of u → v, u ≠ v). */
  edges: number;
  /** Links resolved to the linking document itself (including `#fragment`-only links). */
  selfLinks: number;
  /** Links resolved to a target that document already linked to. */
  duplicateLinks: number;
  /** Links to nothing in the index (outside URLs, missing files). */
  unresolved: number;
}

/** The directed link graph in CSR form. Node i is document `docIds[i]`. */
export interface LinkGraph {
  /** Document ids, node order (= the index's document order). */
  docIds: string[];
  /** Length numNodes + 1; out-edges of u are targets[offsets[u] .. offsets[u+1]−1]. */
  offsets: Uint32Array;
  /** Target node of each edge, ascending within a row, no duplicates, no self-loops. */
  targets: Uint32Array;
  /** Number of distinct documents linking to each node. */
  inDegree: Uint32Array;
  counts: LinkCounts;
  /** Up to `maxUnresolvedExamples` unresolved links as `source → href`, for reports. */
  unresolvedExamples: string[];
}

export interface BuildGraphOptions {
  /** How many unresolved links to keep as examples (default 20). */
  maxUnresolvedExamples?: number;
}

const ABSOLUTE_URL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
const APPENDED_EXTENSIONS = ['.md', '.markdown', '.html', '.htm'];
const FOLDER_INDEX_FILES = ['index.md', 'README.md', 'index.html'];

/** Cuts `#fragment` and `?query` off an href. */
export function stripFragment(href: string): string {
  const hash = href.indexOf('#');
  const noHash = hash >= 0 ? href.slice(0, hash) : href;
  const q = noHash.indexOf('?');
  return q >= 0 ? noHash.slice(0, q) : noHash;
}

/**
 * Candidate paths (POSIX, relative to the indexing root, normalised) that a relative `href`
 * written in the document at `fromSource` may name, in the order they are tried.
 * @param href relative href without fragment/query
 */
export function candidatePaths(href: string, fromSource: string): string[] {
  let decoded = href;
  try {
    decoded = decodeURI(href);
  } catch {
    // a malformed %-escape: keep the href as written
  }
  const joined = decoded.startsWith('/') ? decoded.slice(1) : path.posix.join(path.posix.dirname(fromSource), decoded);
  let base = path.posix.normalize(joined);
  if (base === '.' || base === './') base = '';
  const isFolder = decoded.endsWith('/') || base === '';
  const clean = base.replace(/\/+$/, '');
  const out: string[] = [];
  if (!isFolder) {
    out.push(clean);
    for (const ext of APPENDED_EXTENSIONS) out.push(clean + ext);
    const ext = path.posix.extname(clean).toLowerCase();
    const stem = clean.slice(0, clean.length - ext.length);
    if (ext === '.html' || ext === '.htm') out.push(stem + '.md', stem + '.markdown');
    else if (ext === '.md' || ext === '.markdown') out.push(stem + '.html', stem + '.htm');
  }
  for (const f of FOLDER_INDEX_FILES) out.push(clean === '' ? f : `${clean}/${f}`);
  return out;
}

/** Resolves hrefs of documents to node numbers. */
export class LinkResolver {
  private readonly bySource = new Map<string, number>();
  private readonly ambiguousSources = new Set<string>();
  private readonly byId = new Map<string, number>();

  constructor(docs: readonly Pick<LinkedDocument, 'id' | 'source'>[]) {
    docs.forEach((d, i) => {
      if (!this.byId.has(d.id)) this.byId.set(d.id, i);
      if (this.ambiguousSources.has(d.source)) return;
      if (this.bySource.has(d.source)) {
        this.bySource.delete(d.source);
        this.ambiguousSources.add(d.source);
      } else this.bySource.set(d.source, i);
    });
  }

  private lookup(key: string): number | undefined {
    return this.bySource.get(key) ?? this.byId.get(key);
  }

  /**
   * The node `href` (written in the document with source `fromSource`, node `fromNode`) points
   * to, or −1 when it names nothing in the index. Fragment-only hrefs give `fromNode`.
   */
  resolve(href: string, fromSource: string, fromNode: number): number {
    const trimmed = href.trim();
    if (trimmed.startsWith('#')) return fromNode;
    if (ABSOLUTE_URL.test(trimmed)) {
      return this.lookup(trimmed) ?? this.lookup(stripFragment(trimmed)) ?? -1;
    }
    const bare = stripFragment(trimmed);
    if (bare === '') return fromNode; // "?x" or "" — the page itself
    for (const p of candidatePaths(bare, fromSource)) {
      const hit = this.lookup(p);
      if (hit !== undefined) return hit;
    }
    return -1;
  }
}

/**
 * Builds the link graph of `docs` (node i = docs[i]); see the module comment for the rules.
 * Cost: O(total links × candidate paths) map lookups, plus a sort per row.
 */
export function buildGraph(docs: readonly LinkedDocument[], options: BuildGraphOptions = {}): LinkGraph {
  const maxExamples = options.maxUnresolvedExamples ?? 20;
  const resolver = new LinkResolver(docs);
  const n = docs.length;
  const counts: LinkCounts = { links: 0, edges: 0, selfLinks: 0, duplicateLinks: 0, unresolved: 0 };
  const unresolvedExamples: string[] = [];
  const rows: number[][] = [];
  for (let u = 0; u < n; u++) {
    const d = docs[u];
    const seen = new Set<number>();
    for (const link of d.links ?? []) {
      counts.links++;
      const v = resolver.resolve(link.href, d.source, u);
      if (v < 0) {
        counts.unresolved++;
        if (unresolvedExamples.length < maxExamples) unresolvedExamples.push(`${d.source} → ${link.href}`);
      } else if (v === u) counts.selfLinks++;
      else if (seen.has(v)) counts.duplicateLinks++;
      else seen.add(v);
    }
    rows.push([...seen].sort((a, b) => a - b));
  }
  const offsets = new Uint32Array(n + 1);
  for (let u = 0; u < n; u++) offsets[u + 1] = offsets[u] + rows[u].length;
  const targets = new Uint32Array(offsets[n]);
  const inDegree = new Uint32Array(n);
  for (let u = 0; u < n; u++) {
    let e = offsets[u];
    for (const v of rows[u]) {
      targets[e++] = v;
      inDegree[v]++;
    }
  }
  counts.edges = targets.length;
  return { docIds: docs.map((d) => d.id), offsets, targets, inDegree, counts, unresolvedExamples };
}

/** Out-degree of node u (distinct out-links). */
export function outDegree(g: Pick<LinkGraph, 'offsets'>, u: number): number {
  return g.offsets[u + 1] - g.offsets[u];
}
