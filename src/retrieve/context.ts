/**
 * Small-to-big context: retrieve small units, hand the reader their surroundings.
 *
 *   chunk               the retrieved chunks as they are (default).
 *   sentence-window:N   retrieve by sentence, return ±N sentences around each (LlamaIndex's
 *                       SentenceWindowNodeParser, Haystack's SentenceWindowRetriever). The
 *                       sentences of the first stage's top max(4·topK, 20) chunks are ranked by
 *                       BM25 (Lucene's formula, k1 0.9, b 0.4, idf from the index, avgdl = the
 *                       candidates' mean sentence length) over the query's analysed terms; the
 *                       best topK sentences whose windows do not overlap are expanded to ±N
 *                       sentences of the whole document text (windows may cross chunk borders).
 *   parent[:T]          retrieve chunks, return each one's section — from its innermost heading
 *                       to the next heading of the same or a higher level — cut to T tokens of
 *                       the index's analyzer (default 512) around the chunk (LangChain's
 *                       ParentDocumentRetriever, LlamaIndex's AutoMergingRetriever); one hit per
 *                       section, at the rank of its best chunk.
 * Every returned text is a verbatim span of the document text, and the hit's line range is that
 * span's, so a quote from it is cited at its exact lines.
 */
import type { Analyzer } from '../analysis/analyzer.js';
import { splitSentences, type SentenceSpan } from '../analysis/sentences.js';
import { InvalidParameterError } from '../core/errors.js';
import type { Heading, Hit } from '../core/types.js';
import type { IndexReader } from '../index/store/reader.js';
import { parseChunkId } from './dense.js';
import type { Retriever } from './types.js';

export type ContextMode = { kind: 'chunk' } | { kind: 'sentence-window'; n: number } | { kind: 'parent'; budget: number };

/** Default token budget of `parent`. */
export const PARENT_BUDGET = 512;

/**
 * Parses `chunk`, `sentence-window:N` (N integer 0..20) or `parent[:T]` (T integer ≥ 16).
 * @throws InvalidParameterError naming the accepted forms
 */
export function parseContextMode(s: string): ContextMode {
  const t = s.trim();
  if (t === 'chunk') return { kind: 'chunk' };
  let m = /^sentence-window:(\d+)$/.exec(t);
  if (m) {
    const n = Number(m[1]);
    if (n > 20) throw new InvalidParameterError(`--context sentence-window:N takes N from 0 to 20, got ${n}`);
    return { kind: 'sentence-window', n };
  }
  m = /^parent(?::(\d+))?$/.exec(t);
  if (m) {
    const budget = m[1] === undefined ? PARENT_BUDGET : Number(m[1]);
    if (budget < 16) throw new InvalidParameterError(`--context parent:T takes a budget of at least 16 tokens, got ${budget}`);
    return { kind: 'parent', budget };
  }
  throw new InvalidParameterError(`--context must be chunk, sentence-window:N or parent[:T], got ${JSON.stringify(s)}`);
}

interface Located {
  hit: Hit;
  docText: string;
  /** Offset of the hit's chunk in the document text. */
  start: number;
  end: number;
  headings: readonly Heading[];
}

/** Where a retrieved chunk sits in its document: the whole text, its headings and the chunk's offsets. */
export interface ContextChunk {
  docText: string;
  start: number;
  end: number;
  headings: readonly Heading[];
}

/**
 * What the context modes read of an index, asynchronously so a store on a server can answer:
 * the embedded index through {@link indexContextSource}, the PostgreSQL store through
 * `retrieve/pg.ts` `pgContextSource`.
 */
export interface ContextSource {
  /** Each hit's chunk in its document, in the order given; undefined for a chunk no longer in the index. */
  locate(hits: readonly Hit[]): Promise<Array<ContextChunk | undefined>>;
  /** The N of idf (chunks with at least one term) and the document frequencies of `terms`. */
  termStats(terms: readonly string[]): Promise<{ numDocs: number; docFreq: Map<string, number> }>;
}

/** The embedded index as a {@link ContextSource}. */
export function indexContextSource(reader: IndexReader): ContextSource {
  return {
    async locate(hits) {
      return hits.map((h) => {
        const id = parseChunkId(h.chunkId);
        if (!id) return undefined;
        const n = reader.chunksOf(id.docId)[id.ordinal];
        const docText = reader.documentTextOf(id.docId);
        if (n === undefined || docText === undefined) return undefined;
        const c = reader.chunk(n);
        return { docText, start: c.startChar, end: c.endChar, headings: reader.document(h.docId)?.headings ?? [] };
      });
    },
    async termStats(terms) {
      return { numDocs: reader.stats().docCount, docFreq: new Map(terms.map((t) => [t, reader.docFreq(t)])) };
    },
  };
}

const K1 = 0.9;
const B = 0.4;

/** Newlines in text[a, b). */
function newlines(text: string, a: number, b: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', a); i !== -1 && i < b; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Wraps `inner` so its hits carry the context `mode` asks for (module comment). */
export function withContext(inner: Retriever, source: ContextSource, analyzer: Analyzer, mode: ContextMode): Retriever {
  if (mode.kind === 'chunk') return inner;
  const sentencesOf = new Map<string, SentenceSpan[]>();
  const docSentences = (docId: string, text: string) => {
    let s = sentencesOf.get(docId);
    if (!s) {
      s = splitSentences(text);
      if (sentencesOf.size > 256) sentencesOf.clear();
      sentencesOf.set(docId, s);
    }
    return s;
  };
  const locateAll = async (hits: Hit[]): Promise<Array<Located | undefined>> => {
    const found = await source.locate(hits);
    return hits.map((hit, i) => {
      const f = found[i];
      return f ? { hit, ...f } : undefined;
    });
  };
  /** The hit for document span [s, e) of `l`'s document, lines counted from the chunk's own. */
  const spanHit = (l: Located, s: number, e: number, rank: number, score: number, extra: Record<string, number>): Hit => {
    const startLine = s >= l.start ? l.hit.startLine + newlines(l.docText, l.start, s) : l.hit.startLine - newlines(l.docText, s, l.start);
    const text = l.docText.slice(s, e);
    const hit: Hit = { ...l.hit, rank, score, text, startLine, endLine: startLine + newlines(text, 0, text.length) };
    hit.scores = { ...(l.hit.scores ?? {}), [inner.name]: l.hit.score, ...extra };
    return hit;
  };
  const name = mode.kind === 'parent' ? `${inner.name}+parent` : `${inner.name}+sentence-window`;
  return {
    name,
    async retrieve(query: string, topK: number, signal?: AbortSignal): Promise<Hit[]> {
      if (mode.kind === 'parent') {
        const hits = await inner.retrieve(query, topK * 2, signal);
        const located = await locateAll(hits);
        const out: Hit[] = [];
        const seen = new Set<string>();
        for (const l of located) {
          if (!l) continue;
          const h = l.hit;
          const headings = l.headings;
          // the innermost heading at or before the chunk, and the next heading of the same or a higher level
          let hi = -1;
          for (let i = 0; i < headings.length; i++) if (headings[i].start <= l.start) hi = i;
          const secStart = hi >= 0 ? headings[hi].start : 0;
          let secEnd = l.docText.length;
          for (let i = hi + 1; i < headings.length; i++) {
            if (headings[i].start > l.start && (hi < 0 || headings[i].level <= headings[hi].level)) {
              secEnd = headings[i].start;
              break;
            }
          }
          const key = `${h.docId}@${secStart}`;
          if (seen.has(key)) continue;
          seen.add(key);
          // grow from the chunk by sentences, alternately after and before, within the budget
          const sents = docSentences(h.docId, l.docText).filter((x) => x.start >= secStart && x.end <= secEnd);
          let s = l.start;
          let e = l.end;
          let tokens = analyzer.tokens(l.docText.slice(s, e)).length;
          const before = sents.filter((x) => x.end <= s).reverse();
          const after = sents.filter((x) => x.start >= e);
          for (let bi = 0, ai = 0; bi < before.length || ai < after.length; ) {
            let grew = false;
            if (ai < after.length) {
              const t = analyzer.tokens(l.docText.slice(e, after[ai].end)).length;
              if (tokens + t <= mode.budget) {
                e = after[ai++].end;
                tokens += t;
                grew = true;
              } else ai = after.length;
            }
            if (bi < before.length) {
              const t = analyzer.tokens(l.docText.slice(before[bi].start, s)).length;
              if (tokens + t <= mode.budget) {
                s = before[bi++].start;
                tokens += t;
                grew = true;
              } else bi = before.length;
            }
            if (!grew) break;
          }
          out.push(spanHit(l, s, e, out.length + 1, h.score, { contextTokens: tokens }));
          if (out.length === topK) break;
        }
        return out;
      }
      // sentence-window
      const candidates = await inner.retrieve(query, Math.max(4 * topK, 20), signal);
      const terms = [...new Set(analyzer.analyze(query))];
      const [located, stats] = await Promise.all([locateAll(candidates), source.termStats(terms)]);
      const numDocs = Math.max(1, stats.numDocs);
      const df = (t: string) => stats.docFreq.get(t) ?? 0;
      const idf = new Map(terms.map((t) => [t, Math.log(1 + (numDocs - df(t) + 0.5) / (df(t) + 0.5))]));
      const scored: Array<{ l: Located; sent: SentenceSpan; tf: Map<string, number>; len: number; rank: number }> = [];
      located.forEach((l, rank) => {
        if (!l) return;
        const h = l.hit;
        for (const sent of docSentences(h.docId, l.docText)) {
          if (sent.start < l.start || sent.end > l.end) continue;
          const toks = analyzer.analyze(l.docText.slice(sent.start, sent.end));
          const tf = new Map<string, number>();
          for (const t of toks) if (idf.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1);
          scored.push({ l, sent, tf, len: toks.length, rank });
        }
      });
      const avgdl = scored.reduce((a, x) => a + x.len, 0) / Math.max(1, scored.length);
      const bm25 = (x: (typeof scored)[number]) => {
        let sc = 0;
        for (const [t, f] of x.tf) sc += idf.get(t)! * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * x.len) / Math.max(avgdl, 1e-9))));
        return sc;
      };
      const ranked = scored.map((x) => ({ ...x, score: bm25(x) })).sort((a, b) => b.score - a.score || a.rank - b.rank || a.sent.start - b.sent.start);
      const out: Hit[] = [];
      const taken: Array<{ docId: string; s: number; e: number }> = [];
      for (const x of ranked) {
        const sents = docSentences(x.l.hit.docId, x.l.docText);
        const i = sents.findIndex((y) => y.start === x.sent.start);
        const s = sents[Math.max(0, i - mode.n)].start;
        const e = sents[Math.min(sents.length - 1, i + mode.n)].end;
        if (taken.some((t) => t.docId === x.l.hit.docId && s < t.e && t.s < e)) continue;
        taken.push({ docId: x.l.hit.docId, s, e });
        out.push(spanHit(x.l, s, e, out.length + 1, x.score, { sentence: x.score }));
        if (out.length === topK) break;
      }
      return out;
    },
  };
}
