/**
 * The systems the benchmark compares, each behind one small adapter: build an index from
 * `{ id, contents }` documents, answer a query with up to `topK` document ids best first, and
 * (where the library persists) write its index so its size on disk can be reported.
 *
 * Each peer is used the way its own documentation shows (quick-start options unless noted):
 * - openbook: `IndexWriter` (analyzer `english`, one chunk per document, Lucene norms) committed to
 *   a directory, then `IndexReader.search(text, { topK })` with BM25 k1 0.9, b 0.4.
 * - minisearch 7: `new MiniSearch({ fields: ['contents'] })`, `addAll`, `search(q)` (defaults: OR,
 *   no prefix, no fuzzy, its BM25+ scoring); persisted as `JSON.stringify(index)` (its documented way).
 * - @orama/orama 3: `create({ schema: { contents: 'string' } })`, `insertMultiple`,
 *   `search(db, { term, limit })` (its BM25); persisted with `save(db)` as JSON.
 * - wink-bm25-text-search 3: the README's pipeline (wink-nlp-utils lowerCase, tokenize0,
 *   removeWords, stem, propagateNegations), `defineConfig({ fldWeights: { contents: 1 } })`,
 *   `addDoc`, `consolidate`, `search(q, limit)`; persisted with `exportJSON()`.
 * - flexsearch 0.8 (not BM25): `new Index()`, `add(id, text)`, `search(q, { limit, suggest: true })`.
 *   `suggest: true` is the README's option for queries whose terms are not all present; without
 *   it a natural-language query that has one unmatched word returns nothing. Persisted with `export`.
 * - flexsearch-en: the same with its English language pack, as its README shows for English
 *   text: `new Index({ encoder: new Encoder(EnglishPreset) })` with `EnglishPreset` from
 *   `flexsearch/lang/en` (stop words, a suffix stemmer, contractions). Better and faster than the
 *   defaults on English, so the peer an English user would pick.
 * - lunr 2: `lunr(function () { this.ref('id'); this.field('contents'); … })`; queries through
 *   `idx.query(q => q.term(lunr.tokenizer(text)))`, the guide's way to search user text without
 *   lunr's query syntax (`idx.search` throws on ":" or "~" in free text); persisted as JSON.
 * - okapibm25 1 (what LangChain.js's and LlamaIndex.TS's BM25 retrievers call): no index; each
 *   query calls `BM25(documents, query.toLowerCase().split(/\s+/))` over all texts as LangChain.js's
 *   `BM25Retriever` does, then sorts. Its keywords become `RegExp`s unescaped, so a query with an
 *   unbalanced "(" throws; such a query returns nothing and is counted.
 */
import { rm, mkdir, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexReader, IndexWriter } from '../src/index/index.js';
import type { Chunk, Document } from '../src/core/types.js';

/** One corpus document as every system sees it: `contents` = title + "\n" + text ("flat"). */
export interface BenchDoc {
  id: string;
  contents: string;
}

/** A built index of one system. */
export interface BuiltSystem {
  /** Up to `topK` document ids, best first. */
  search(query: string, topK: number): string[] | Promise<string[]>;
  /** Writes the index under `dir` and returns its size in bytes, or null when the library does not persist. */
  persist(dir: string): Promise<number | null>;
  /** Queries that threw (counted, answered with nothing). */
  failedQueries(): number;
}

export interface SystemAdapter {
  readonly name: string;
  /** Builds the index; `workDir` is an empty scratch folder the system may write to. */
  build(docs: readonly BenchDoc[], workDir: string): Promise<BuiltSystem>;
}

export const SYSTEM_NAMES = ['openbook', 'minisearch', 'orama', 'wink-bm25', 'flexsearch', 'flexsearch-en', 'lunr', 'okapibm25'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

async function dirBytes(dir: string, names: string[]): Promise<number> {
  let n = 0;
  for (const f of names) n += (await stat(join(dir, f))).size;
  return n;
}

async function writeJson(dir: string, value: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.json'), value);
  return dirBytes(dir, ['index.json']);
}

const openbook: SystemAdapter = {
  name: 'openbook',
  async build(docs, workDir) {
    const dir = join(workDir, 'openbook-index');
    await rm(dir, { recursive: true, force: true });
    const writer = await IndexWriter.open(dir, { analyzer: 'english', chunkSize: 0, chunkOverlap: 0, noChunk: true, luceneNorms: true }, { now: Date.now });
    try {
      for (const d of docs) {
        const text = d.contents;
        const document: Document = { id: d.id, source: 'bench', title: '', text, format: 'jsonl', contentHash: d.id, sizeBytes: text.length, mtimeMs: 0 };
        const chunk: Chunk = { id: `${d.id}#0`, docId: d.id, ordinal: 0, text, headingPath: [], startChar: 0, endChar: text.length, startLine: 1, endLine: 1 };
        writer.addDocument(document, [chunk]);
      }
      await writer.commit();
    } finally {
      await writer.close();
    }
    const reader = await IndexReader.open(dir);
    return openbookSearcher(reader);
  },
};

/** The query side of openbook over an open reader (exported so the scale benchmark shares it). */
export function openbookSearcher(reader: IndexReader): BuiltSystem {
  const docIdOfChunk: string[] = [];
  for (const rec of reader.documents()) for (const n of reader.chunksOf(rec.id)) docIdOfChunk[n] = rec.id;
  return {
    search(query, topK) {
      const hits = reader.search(query, { topK });
      const out = new Array<string>(hits.length);
      for (let i = 0; i < hits.length; i++) out[i] = docIdOfChunk[hits[i].chunk];
      return out;
    },
    persist: () => Promise.resolve(reader.stats().bytesOnDisk),
    failedQueries: () => 0,
  };
}

const minisearch: SystemAdapter = {
  name: 'minisearch',
  async build(docs) {
    const { default: MiniSearch } = await import('minisearch');
    const ms = new MiniSearch<BenchDoc>({ fields: ['contents'] });
    ms.addAll(docs as BenchDoc[]);
    return {
      search: (q, topK) => ms.search(q).slice(0, topK).map((r) => String(r.id)),
      persist: (dir) => writeJson(dir, JSON.stringify(ms)),
      failedQueries: () => 0,
    };
  },
};

const orama: SystemAdapter = {
  name: 'orama',
  async build(docs) {
    const { create, insertMultiple, search, save } = await import('@orama/orama');
    const db = create({ schema: { contents: 'string' } as const });
    await insertMultiple(db, docs.map((d) => ({ id: d.id, contents: d.contents })));
    return {
      async search(q, topK) {
        const res = await search(db, { term: q, limit: topK });
        return res.hits.map((h) => h.id);
      },
      persist: (dir) => writeJson(dir, JSON.stringify(save(db))),
      failedQueries: () => 0,
    };
  },
};

interface WinkEngine {
  defineConfig(c: { fldWeights: Record<string, number> }): void;
  definePrepTasks(tasks: Array<(x: unknown) => unknown>): void;
  addDoc(doc: Record<string, string>, id: string): void;
  consolidate(): void;
  search(q: string, limit?: number): Array<[string, number]>;
  exportJSON(): string;
}

const wink: SystemAdapter = {
  name: 'wink-bm25',
  async build(docs) {
    const { default: bm25 } = (await import('wink-bm25-text-search')) as unknown as { default: () => WinkEngine };
    const { default: nlp } = (await import('wink-nlp-utils')) as unknown as {
      default: { string: Record<string, (x: unknown) => unknown>; tokens: Record<string, (x: unknown) => unknown> };
    };
    const engine = bm25();
    engine.defineConfig({ fldWeights: { contents: 1 } });
    engine.definePrepTasks([nlp.string.lowerCase, nlp.string.tokenize0, nlp.tokens.removeWords, nlp.tokens.stem, nlp.tokens.propagateNegations]);
    for (const d of docs) engine.addDoc({ contents: d.contents }, d.id);
    engine.consolidate();
    return {
      search: (q, topK) => engine.search(q, topK).map((r) => r[0]),
      persist: (dir) => writeJson(dir, engine.exportJSON()),
      failedQueries: () => 0,
    };
  },
};

interface FlexIndex {
  add(id: number, text: string): void;
  search(q: string, opts: { limit: number; suggest: boolean }): number[];
  export(handler: (key: string, data: string) => void): Promise<void> | void;
}

/** flexsearch's `Index` over the documents, with its default encoder or the given one. */
async function flexBuild(docs: readonly BenchDoc[], english: boolean): Promise<BuiltSystem> {
  const mod = (await import('flexsearch')) as unknown as { Index: new (o?: Record<string, unknown>) => FlexIndex; Encoder: new (preset: unknown) => unknown };
  let index: FlexIndex;
  if (english) {
    const { default: EnglishPreset } = (await import('flexsearch/lang/en')) as unknown as { default: unknown };
    index = new mod.Index({ encoder: new mod.Encoder(EnglishPreset) });
  } else index = new mod.Index();
  docs.forEach((d, i) => index.add(i, d.contents));
  return {
    search: (q, topK) => index.search(q, { limit: topK, suggest: true }).map((i) => docs[i].id),
    async persist(dir) {
      await mkdir(dir, { recursive: true });
      const names: string[] = [];
      const writes: Array<Promise<void>> = [];
      await index.export((key, data) => {
        const name = `${key}.json`;
        names.push(name);
        writes.push(writeFile(join(dir, name), data ?? ''));
      });
      await Promise.all(writes);
      return dirBytes(dir, names);
    },
    failedQueries: () => 0,
  };
}

const flexsearch: SystemAdapter = { name: 'flexsearch', build: (docs) => flexBuild(docs, false) };
const flexsearchEn: SystemAdapter = { name: 'flexsearch-en', build: (docs) => flexBuild(docs, true) };

const lunr: SystemAdapter = {
  name: 'lunr',
  async build(docs) {
    const { default: lunrFn } = await import('lunr');
    const idx = lunrFn(function () {
      this.ref('id');
      this.field('contents');
      for (const d of docs) this.add(d);
    });
    return {
      search: (q, topK) =>
        idx
          .query((query) => query.term(lunrFn.tokenizer(q), {}))
          .slice(0, topK)
          .map((r) => r.ref),
      persist: (dir) => writeJson(dir, JSON.stringify(idx)),
      failedQueries: () => 0,
    };
  },
};

const okapibm25: SystemAdapter = {
  name: 'okapibm25',
  async build(docs) {
    const mod = (await import('okapibm25')) as unknown as { default: { default?: unknown } | ((d: string[], k: string[]) => number[]) };
    const BM25 = (typeof mod.default === 'function' ? mod.default : mod.default.default) as (d: string[], k: string[]) => number[];
    const texts = docs.map((d) => d.contents);
    let failed = 0;
    return {
      search(q, topK) {
        let scores: number[];
        try {
          scores = BM25(texts, q.toLowerCase().split(/\s+/));
        } catch {
          failed++;
          return [];
        }
        const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
        return order.slice(0, topK).map((i) => docs[i].id);
      },
      persist: () => Promise.resolve(null),
      failedQueries: () => failed,
    };
  },
};

/** The adapters by name. */
export const SYSTEMS: Readonly<Record<SystemName, SystemAdapter>> = { openbook, minisearch, orama, 'wink-bm25': wink, flexsearch, 'flexsearch-en': flexsearchEn, lunr, okapibm25 };
