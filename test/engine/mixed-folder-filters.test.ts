/**
 * #16 "Done when": a folder as an office keeps it — Markdown with front matter and tags, a
 * sidecar, run tags (`--meta`), and a real HWPX, HWP, XLSX, PPTX, CP949 CSV, PDF and DOCX made
 * here with their document properties — indexed once, then filtered by every kind of field
 * (fixed string, IN, list CONTAINS, front-matter date, property date, property string, encoding,
 * path GLOB, number, NOT, AND/OR of user and property fields) through BM25 search, ask, dense
 * (a hashing embedder stands in for a model), hybrid and eval: each gives exactly brute force —
 * the unfiltered ranking of every chunk, then a predicate over each document's fields (the
 * filter language's `matchesFilter`), then the first k. Eval runs on a BEIR corpus exported from
 * the indexed documents with their fields as `metadata`.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesFilter, parseFilter } from '../../src/core/filter.js';
import type { Hit } from '../../src/core/types.js';
import { Engine } from '../../src/engine/engine.js';
import { embedIndex } from '../../src/engine/embed.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { loadRetrievalDataset } from '../../src/eval/datasets.js';
import type { Run } from '../../src/eval/loaders/trec.js';
import { evaluateRun } from '../../src/eval/metrics.js';
import { evaluateRetrieval } from '../../src/eval/retrieval.js';
import { openEvalIndex, runQueries, type EvalDeps } from '../../src/eval/runner.js';
import { documentMetadata } from '../../src/index/store/metadata.js';
import type { EmbedOptions, Embedder } from '../../src/models/types.js';
import { HybridRetriever } from '../../src/retrieve/hybrid.js';
import type { Retriever } from '../../src/retrieve/types.js';
import { encodeCp949, makeDocx, makeHwp, makeHwpx, makePdf, makePptx, makeXlsx } from '../support/office-files.js';

const DIM = 64;
/** Hashed bag of words (FNV-1a of each lower-cased word into 64 buckets): a stand-in for an embedding model. */
class HashingEmbedder implements Embedder {
  readonly id = 'test:hashing-64';
  readonly normalized = false;
  async dimension(): Promise<number> {
    return DIM;
  }
  async embed(texts: string[], _o: EmbedOptions): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(DIM);
      for (const w of t.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)) {
        let h = 0x811c9dc5;
        for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193) >>> 0;
        v[h % DIM] += 1;
      }
      return v;
    });
  }
}

let dir: string;
let indexDir: string;
let engine: Engine;
const embedder = new HashingEmbedder();

const BODY = (topic: string) => `${topic}: 예산 보안 점검 결과와 접근 권한 검토. The budget and access review of ${topic}.`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-mixed-'));
  indexDir = path.join(dir, '.openbook');
  const put = (rel: string, data: Uint8Array | string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  };
  put('notes/2024-minutes.md', `---\ntitle: 2024 회의록\ntags: [보안, 회의]\ndate: 2024-03-05\nyear: 2024\n---\n# 회의록\n\n${BODY('회의')}\n`);
  put('notes/2023-minutes.md', `---\ntags: [회의]\ndate: 2023-11-20\nyear: 2023\n---\n# 2023 회의록\n\n${BODY('지난 회의')} 예산 예산.\n`);
  put('notes/readme.md', `# Readme\n\n${BODY('readme')} English notes about budget and access control only, long enough to be Latin script.\n`);
  put('office/minutes.hwpx', makeHwpx([[BODY('한글 회의록'), '두 번째 문단의 예산 이야기.']], { title: '한글 회의록', creator: '홍길동', CreatedDate: '2024-05-05T00:00:00Z', language: 'ko' }));
  put('office/letter.hwp', makeHwp([[BODY('협조 공문'), '공문의 둘째 문단.']], { summary: { title: '협조 공문', author: '김민수', created: new Date(Date.UTC(2023, 8, 9)), pageCount: 2 } }));
  put('office/prices.xlsx', makeXlsx([{ name: '단가', rows: [['품목', '설명'], ['나사', BODY('단가표')], ['볼트', '예산 budget 보안']] }], { title: '단가표', author: '홍길동', created: '2022-01-10T00:00:00Z' }));
  put('office/prices.xlsx.meta.json', JSON.stringify({ tags: ['단가', '보안'], owner: 'purchasing' }));
  put('office/deck.pptx', makePptx([{ title: 'Budget review', body: [BODY('deck one')] }, { title: 'Access', body: ['access budget 보안 예산'] }], { props: { author: 'Jane Doe', created: '2024-02-01T09:00:00Z', slides: 2 } }));
  put('exports/orders.csv', encodeCp949(`항목,설명\n예산,${BODY('주문').replace(/,/g, ' ')}\n보안,접근 권한 예산 budget\n`));
  put('reports/audit.pdf', await makePdf(['Audit of the budget and access review, page one.', 'Budget access security, page two.'], { title: 'Audit 2024', author: '홍길동', created: new Date(Date.UTC(2024, 0, 15)) }));
  put('reports/contract.docx', makeDocx([BODY('계약서'), 'The contract covers budget, access and security.'], { title: '계약서', author: '이순신', created: '2023-12-31T00:00:00Z', pages: 3 }));
  // distinct mtimes: the older files were last touched in 2019
  for (const f of ['notes/2023-minutes.md', 'office/letter.hwp', 'exports/orders.csv']) utimesSync(path.join(dir, f), new Date('2019-06-01T00:00:00Z'), new Date('2019-06-01T00:00:00Z'));
  const summary = await indexPaths({ indexDir, paths: ['notes', 'office', 'exports', 'reports'], cwd: dir, now: Date.now, meta: { project: 'alpha' }, chunkSize: 24, chunkOverlap: 0 });
  expect(summary.skipped).toBe(0);
  await embedIndex({ indexDir, embedder, now: Date.now });
  engine = await Engine.open(indexDir, { embedder });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILTERS: Array<{ kind: string; filter: string; expect: string[] }> = [
  { kind: 'fixed string', filter: 'format = "hwp"', expect: ['office/letter.hwp'] },
  { kind: 'IN', filter: 'format IN ["hwpx", "xlsx", "csv"]', expect: ['exports/orders.csv', 'office/minutes.hwpx', 'office/prices.xlsx'] },
  { kind: 'list (front matter + sidecar)', filter: 'tags CONTAINS "보안"', expect: ['notes/2024-minutes.md', 'office/prices.xlsx'] },
  { kind: 'front-matter date', filter: 'date >= 2024-01-01', expect: ['notes/2024-minutes.md'] },
  { kind: 'property date', filter: 'createdAt >= 2024-01-01', expect: ['office/deck.pptx', 'office/minutes.hwpx', 'reports/audit.pdf'] },
  { kind: 'property string', filter: 'author = "홍길동"', expect: ['office/minutes.hwpx', 'office/prices.xlsx', 'reports/audit.pdf'] },
  { kind: 'encoding', filter: 'encoding = "cp949"', expect: ['exports/orders.csv'] },
  { kind: 'path glob', filter: 'path GLOB "office/**"', expect: ['office/deck.pptx', 'office/letter.hwp', 'office/minutes.hwpx', 'office/prices.xlsx'] },
  { kind: 'number (pages: PDF, DOCX app.xml, HWP summary)', filter: 'pages >= 2', expect: ['office/letter.hwp', 'reports/audit.pdf', 'reports/contract.docx'] },
  { kind: 'NOT detected lang', filter: 'NOT lang = "ko"', expect: ['notes/readme.md', 'office/deck.pptx', 'reports/audit.pdf', 'reports/contract.docx'] }, // the DOCX and the deck mix Hangul and Latin: lang "mixed"
  { kind: 'mtime', filter: 'mtime < 2020-01-01', expect: ['exports/orders.csv', 'notes/2023-minutes.md', 'office/letter.hwp'] },
  { kind: 'run tag, sidecar field, number, OR', filter: 'project = "alpha" AND (owner = "purchasing" OR year = 2023 OR slides = 2)', expect: ['notes/2023-minutes.md', 'office/deck.pptx', 'office/prices.xlsx'] },
];

const QUERY = '예산 보안 budget access';

function allowedDocs(filter: string): Set<string> {
  const expr = parseFilter(filter);
  return new Set([...engine.reader.documents()].filter((d) => matchesFilter(expr, documentMetadata(d))).map((d) => d.id));
}
const pairs = (hits: Hit[]) => hits.map((h) => [h.chunkId, h.score] as const);
const listRetriever = (name: string, full: Hit[], allowed: Set<string>): Retriever => ({
  name,
  retrieve: async (_q, topK) => full.filter((h) => allowed.has(h.docId)).slice(0, topK).map((h, i) => ({ ...h, rank: i + 1 })),
});

describe('a mixed-format folder filtered by every kind of field gives exactly brute force', () => {
  it('the documents carry the fields the filters name', () => {
    expect([...engine.reader.documents()].map((d) => d.id).sort()).toEqual([
      'exports/orders.csv', 'notes/2023-minutes.md', 'notes/2024-minutes.md', 'notes/readme.md', 'office/deck.pptx', 'office/letter.hwp', 'office/minutes.hwpx', 'office/prices.xlsx', 'reports/audit.pdf', 'reports/contract.docx',
    ]);
    for (const f of FILTERS) expect([...allowedDocs(f.filter)].sort(), `${f.kind}: ${f.filter}`).toEqual(f.expect);
  });

  it('search (bm25), dense and hybrid with each filter equal brute-force filter-then-rank, for k = 1, 3, 10', async () => {
    const n = engine.reader.stats().numChunks;
    const fullBm25 = await engine.search(QUERY, { topK: n });
    const fullDense = await engine.search(QUERY, { topK: n, retriever: 'dense' });
    expect(fullBm25.length).toBeGreaterThan(10);
    expect(fullDense.length).toBe(n);
    for (const f of FILTERS) {
      const allowed = allowedDocs(f.filter);
      for (const k of [1, 3, 10]) {
        const what = `${f.kind}: ${f.filter}, k ${k}`;
        const bm25 = await engine.search(QUERY, { topK: k, filter: f.filter });
        expect(pairs(bm25), `bm25 ${what}`).toEqual(pairs(fullBm25.filter((h) => allowed.has(h.docId)).slice(0, k)));
        expect(bm25.length, `bm25 ${what}`).toBeGreaterThan(0);
        const dense = await engine.search(QUERY, { topK: k, filter: f.filter, retriever: 'dense' });
        expect(pairs(dense), `dense ${what}`).toEqual(pairs(fullDense.filter((h) => allowed.has(h.docId)).slice(0, k)));
        const hybrid = await engine.search(QUERY, { topK: k, filter: f.filter, retriever: 'hybrid' });
        const reference = new HybridRetriever(listRetriever('bm25', fullBm25, allowed), listRetriever('dense', fullDense, allowed), { fusion: 'rrf' });
        expect(pairs(hybrid), `hybrid ${what}`).toEqual(pairs(await reference.retrieve(QUERY, k)));
        expect(hybrid.every((h) => allowed.has(h.docId)), `hybrid ${what}`).toBe(true);
      }
    }
  }, 120_000);

  it('ask (extractive) retrieves exactly the brute-force passages and cites only allowed documents', async () => {
    const question = '예산 보안 점검 결과는 무엇인가?';
    const n = engine.reader.stats().numChunks;
    const full = await engine.search(engine.askQuery(question), { topK: n });
    for (const f of FILTERS) {
      const allowed = allowedDocs(f.filter);
      const a = await engine.ask(question, { filter: f.filter, extractive: true, topK: 5 });
      expect(a.hits.map((h) => h.chunkId), `${f.kind}: ${f.filter}`).toEqual(full.filter((h) => allowed.has(h.docId)).slice(0, 5).map((h) => h.chunkId));
      expect(a.citations.every((c) => allowed.has(c.docId)), f.filter).toBe(true);
      expect(a.citations.length, f.filter).toBeGreaterThan(0);
    }
  }, 120_000);

  it('eval retrieval over the documents exported with their fields as BEIR metadata: filtered figures equal brute force', async () => {
    const beir = path.join(dir, 'as-beir');
    mkdirSync(path.join(beir, 'qrels'), { recursive: true });
    const docs = [...engine.reader.documents()];
    const lines = docs.map((d) => {
      const m = documentMetadata(d);
      const metadata = Object.fromEntries(Object.entries(m).filter(([k, v]) => !k.startsWith('meta.') && v !== undefined && k !== 'id' && k !== 'title'));
      return JSON.stringify({ _id: d.id, title: d.title, text: engine.reader.chunksOf(d.id).map((c) => engine.reader.chunk(c).text).join('\n'), metadata });
    });
    writeFileSync(path.join(beir, 'corpus.jsonl'), lines.join('\n') + '\n');
    const queries = [QUERY, '회의록 예산', 'contract security', '단가 나사', 'audit budget'];
    writeFileSync(path.join(beir, 'queries.jsonl'), queries.map((t, i) => JSON.stringify({ _id: `q${i}`, text: t })).join('\n') + '\n');
    const rel = ['notes/2024-minutes.md', 'office/minutes.hwpx', 'reports/contract.docx', 'office/prices.xlsx', 'reports/audit.pdf'];
    writeFileSync(path.join(beir, 'qrels/test.tsv'), ['query-id\tcorpus-id\tscore', ...rel.map((d, i) => `q${i}\t${d}\t1`), 'q0\toffice/letter.hwp\t1', 'q1\tnotes/2023-minutes.md\t1'].join('\n') + '\n');
    const deps: EvalDeps = { cacheDir: path.join(dir, 'eval-cache'), now: () => performance.now(), wallClock: Date.now };
    const index = { analyzer: 'auto', fields: 'flat' as const, luceneNorms: true };
    const search = { similarity: 'bm25' as const, k1: 0.9, b: 0.4, topK: 3 };
    const metrics = ['nDCG@3', 'Recall@3', 'MAP', 'MRR@10'];
    const ds = await loadRetrievalDataset(beir, 'test', {});
    const opened = await openEvalIndex(ds.name, ds.corpus, ds.files, index, deps);
    const full = runQueries(opened, ds.queries, { ...search, topK: ds.corpus.length }, deps.now).run;
    for (const f of FILTERS) {
      // the same filter over the exported fields, named metadata.<field>
      const metaFilter = f.filter.replace(/\b(format|tags|date|createdAt|author|encoding|path|pages|lang|mtime|project|owner|year|slides)\b(?=\s+(=|!=|<|<=|>|>=|IN|CONTAINS|GLOB)\s)/g, 'metadata.$1');
      const allowed = new Set(f.expect);
      const brute: Run = new Map([...full].map(([q, entries]) => [q, entries.filter((e) => allowed.has(e.docId)).slice(0, search.topK)]));
      const got = await evaluateRetrieval({ dataset: beir, index, search: { ...search, filter: metaFilter }, metrics }, deps);
      expect(got.metrics, `${f.kind}: ${metaFilter}`).toEqual(evaluateRun(ds.qrels, brute, metrics, { complete: true }).mean);
    }
  }, 120_000);
});
