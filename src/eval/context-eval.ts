/**
 * `openbook eval context`: how often the returned context holds the answer, per small-to-big
 * mode (`retrieve/context.ts`) at fixed context budgets — the measure of issue #16's table.
 *
 * Index: the dataset's paragraphs, each a Markdown-like document `# <title>\n\n<text>` (so a
 * paragraph is a section), cut into small chunks (`chunkSize` tokens, default 64, overlap 8) —
 * the "small" that small-to-big starts from. Per question and mode: BM25 over the question's
 * content words (as `ask` retrieves), hits concatenated in rank order and cut at `budget` tokens
 * of the index's analyzer; a question counts when a gold answer string (case-folded, whitespace
 * collapsed) lies inside that text. Reported per mode × budget as a share of the questions,
 * with a 95 % percentile bootstrap interval over questions (B = 1000, mulberry32(seed)).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentQuery } from '../analysis/question-words.js';
import { getAnalyzer } from '../analysis/registry.js';
import { InvalidParameterError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';
import type { Document } from '../core/types.js';
import { Engine } from '../engine/engine.js';
import { chunkDocument } from '../ingest/chunk.js';
import { IndexWriter } from '../index/store/writer.js';
import { parseContextMode } from '../retrieve/context.js';
import { loadQaDataset } from './datasets.js';
import type { LoadOptions } from './loaders/common.js';
import { sampleQuestions } from './qa.js';

export interface ContextEvalOptions extends LoadOptions {
  dataset: string;
  /** Modes as `--context` spells them. Default chunk, sentence-window:1, sentence-window:3, parent. */
  modes?: string[];
  /** Context budgets in analyzer tokens. Default 256, 512, 1024. */
  budgets?: number[];
  /** Chunk size of the index, tokens. Default 64. */
  chunkSize?: number;
  /** Analyzer of the eval index (default `auto`, as every eval and `index`). */
  analyzer?: string;
  limit?: number;
  seed?: number;
  /** Only paragraphs whose metadata match (core/filter.ts; fields id, title = the article, path = the paragraph id), applied inside scoring. */
  filter?: string;
}

export interface ContextEvalResult {
  dataset: string;
  questions: number;
  chunkSize: number;
  analyzer: string;
  budgets: number[];
  rows: Array<{ mode: string; share: number[]; ci: Array<{ low: number; high: number }> }>;
}

const norm = (s: string) => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();

/** Measures the modes (module comment). */
export async function evaluateContext(o: ContextEvalOptions): Promise<ContextEvalResult> {
  const modes = o.modes ?? ['chunk', 'sentence-window:1', 'sentence-window:3', 'parent'];
  modes.forEach(parseContextMode);
  const budgets = o.budgets ?? [256, 512, 1024];
  if (budgets.some((b) => !Number.isInteger(b) || b < 1)) throw new InvalidParameterError(`budgets must be integers ≥ 1, got ${budgets.join(', ')}`);
  const chunkSize = o.chunkSize ?? 64;
  const qa = await loadQaDataset(o.dataset, o);
  const analyzerName = o.analyzer ?? 'auto';
  const analyzer = getAnalyzer(analyzerName);
  const questions = o.limit === undefined ? qa.questions : sampleQuestions(qa.questions, o.limit, o.seed ?? 1);
  const dir = mkdtempSync(join(tmpdir(), 'openbook-context-eval-'));
  try {
    const writer = await IndexWriter.open(dir, { analyzer: analyzerName, chunkSize, chunkOverlap: 8, noChunk: false, luceneNorms: true }, { now: Date.now });
    for (const p of qa.corpus) {
      const head = `# ${p.title || p.id}\n\n`;
      const text = head + p.text;
      const doc: Document = { id: p.id, source: p.id, title: p.title, text, format: 'md', contentHash: p.id, sizeBytes: text.length, mtimeMs: 0, headings: [{ level: 1, text: p.title || p.id, start: 0 }] };
      writer.addDocument(doc, chunkDocument(doc, { chunkSize, chunkOverlap: 8 }));
    }
    await writer.commit();
    await writer.close();
    const engine = await Engine.open(dir);
    const maxBudget = Math.max(...budgets);
    const rows: ContextEvalResult['rows'] = [];
    for (const mode of modes) {
      const retriever = await engine.retriever({ context: mode, ...(o.filter !== undefined ? { filter: o.filter } : {}) });
      const found = budgets.map(() => new Uint8Array(questions.length));
      for (let qi = 0; qi < questions.length; qi++) {
        const q = questions[qi];
        const hits = await retriever.retrieve(contentQuery(q.question), 40);
        // token end offsets of the concatenated context, cut at each budget
        let ctx = '';
        let tokens = 0;
        const cutAt = budgets.map(() => -1);
        for (const h of hits) {
          const toks = analyzer.tokens(h.text);
          const base = ctx.length;
          ctx += (ctx ? '\n' : '') + h.text;
          const off = base + (base > 0 ? 1 : 0);
          budgets.forEach((b, bi) => {
            if (cutAt[bi] >= 0) return;
            if (tokens + toks.length >= b) cutAt[bi] = off + toks[b - tokens - 1].end;
          });
          tokens += toks.length;
          if (tokens >= maxBudget) break;
        }
        const gold = q.answers.map(norm).filter((a) => a !== '');
        budgets.forEach((_, bi) => {
          const text = norm(cutAt[bi] >= 0 ? ctx.slice(0, cutAt[bi]) : ctx);
          found[bi][qi] = gold.some((a) => text.includes(a)) ? 1 : 0;
        });
      }
      const share = found.map((f) => f.reduce((a, x) => a + x, 0) / Math.max(1, f.length));
      const ci = found.map((f) => bootstrapShare(f, 1000, o.seed ?? 1));
      rows.push({ mode, share, ci });
    }
    return { dataset: qa.name, questions: questions.length, chunkSize, analyzer: analyzerName, budgets, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bootstrapShare(xs: Uint8Array, b: number, seed: number): { low: number; high: number } {
  const rng = mulberry32(seed);
  const n = xs.length;
  if (n === 0) return { low: NaN, high: NaN };
  const stats: number[] = [];
  for (let r = 0; r < b; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rng() * n)];
    stats.push(s / n);
  }
  stats.sort((a, c) => a - c);
  return { low: stats[Math.round(0.025 * (b - 1))], high: stats[Math.round(0.975 * (b - 1))] };
}
