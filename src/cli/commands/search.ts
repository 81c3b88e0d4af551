/**
 * `openbook search "<query>"` — ranked chunks with scores, sources, line ranges and snippets.
 */
import type { Command } from 'commander';
import type { Hit } from '../../core/types.js';
import { Engine } from '../../engine/engine.js';
import type { SimilarityName } from '../../index/index.js';
import { action, colors, floatFlag, intFlag, printJson, resolveIndexDir } from '../shared.js';

export interface RetrievalFlags {
  index?: string;
  k?: string;
  similarity?: string;
  k1?: string;
  b?: string;
  delta?: string;
  json?: boolean;
}

/** Adds the retrieval flags shared by `search` and `ask`. */
export function retrievalOptions(cmd: Command, defaultK: number): Command {
  return cmd
    .option('--index <dir>', 'index folder (default .openbook, or $OPENBOOK_INDEX)')
    .option('-k, --k <n>', 'number of passages', String(defaultK))
    .option('--similarity <name>', 'bm25 (default), bm25-robertson, bm25-atire, bm25l, bm25+, tfidf')
    .option('--k1 <x>', 'BM25 k1 ≥ 0 (default 0.9)')
    .option('--b <x>', 'BM25 b in [0, 1] (default 0.4)')
    .option('--delta <x>', 'δ for BM25L (0.5) / BM25+ (1.0)')
    .option('--json', 'print JSON');
}

/** Parses the shared retrieval flags into engine options. */
export function parseRetrievalFlags(flags: RetrievalFlags, defaultK: number) {
  return {
    topK: intFlag('-k', flags.k, defaultK, 1, 10_000),
    similarity: flags.similarity as SimilarityName | undefined,
    k1: flags.k1 === undefined ? undefined : floatFlag('--k1', flags.k1, 0.9, 0),
    b: flags.b === undefined ? undefined : floatFlag('--b', flags.b, 0.4, 0, 1),
    delta: flags.delta === undefined ? undefined : floatFlag('--delta', flags.delta, 0.5, 0),
  };
}

/** The JSON shape of a hit in `search --json` and `ask --json`. */
export function hitJson(h: Hit) {
  return {
    rank: h.rank,
    score: h.score,
    docId: h.docId,
    chunkId: h.chunkId,
    source: h.source,
    title: h.title,
    text: h.text,
    startLine: h.startLine,
    endLine: h.endLine,
    ...(h.page !== undefined ? { page: h.page } : {}),
    ...(h.scores ? { scores: h.scores } : {}),
  };
}

/** `path:start-end` (plus `, p. N` for PDFs). */
export function location(h: { source: string; startLine: number; endLine: number; page?: number }): string {
  const lines = h.startLine === h.endLine ? `${h.startLine}` : `${h.startLine}-${h.endLine}`;
  return `${h.source}:${lines}${h.page !== undefined ? `, p. ${h.page}` : ''}`;
}

/** A one-line snippet of about `width` characters around the first highlighted term. */
export function snippet(text: string, spans: Array<{ start: number; end: number }>, mark: (s: string) => string, width = 220): string {
  const first = spans[0]?.start ?? 0;
  let from = Math.max(0, first - Math.floor(width / 3));
  const ws = text.lastIndexOf(' ', from);
  if (from > 0 && ws > from - 20) from = ws + 1;
  const to = Math.min(text.length, from + width);
  let out = '';
  let pos = from;
  for (const s of spans) {
    if (s.start < from || s.end > to) continue;
    out += text.slice(pos, s.start) + mark(text.slice(s.start, s.end));
    pos = s.end;
  }
  out += text.slice(pos, to);
  return (from > 0 ? '…' : '') + out.replace(/\s+/g, ' ').trim() + (to < text.length ? '…' : '');
}

export function register(program: Command): void {
  retrievalOptions(program.command('search').description('rank indexed passages for a query').argument('<query>', 'the query'), 10).action(
    action(async (query: string, flags: RetrievalFlags) => {
      const engine = await Engine.open(resolveIndexDir(flags.index));
      const opts = parseRetrievalFlags(flags, 10);
      const hits = await engine.search(query, opts);
      if (flags.json) {
        printJson({ query, hits: hits.map(hitJson) });
        return;
      }
      const c = colors();
      if (hits.length === 0) {
        process.stdout.write('no matching passages\n');
        return;
      }
      for (const h of hits) {
        process.stdout.write(`${c.bold(String(h.rank).padStart(2))}. ${c.cyan(location(h))}  ${c.dim(h.score.toFixed(4))}  ${c.bold(h.title)}\n`);
        process.stdout.write(`    ${snippet(h.text, engine.highlightSpans(query, h.text), c.mark)}\n`);
      }
    }),
  );
}
