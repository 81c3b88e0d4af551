/**
 * Test helpers for the index: a stand-in analyzer and document builders.
 * The analyzer lowercases and splits on anything that is not a letter (Unicode \p{L}); it stands in
 * for the real registry analyzers so these tests do not depend on stemming or stop words.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Analyzer, Token } from '../../src/analysis/analyzer.js';
import type { Chunk, Document } from '../../src/core/types.js';
import type { IndexConfig } from '../../src/index/index.js';

export const tinyAnalyzer: Analyzer = {
  name: 'tiny',
  analyze(text: string): string[] {
    return this.tokens(text).map((t) => t.term);
  },
  tokens(text: string): Token[] {
    const out: Token[] = [];
    for (const m of text.matchAll(/\p{L}+/gu)) out.push({ term: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
    return out;
  },
};

export const tinyConfig: IndexConfig = { analyzer: 'tiny', chunkSize: 0, chunkOverlap: 0, noChunk: false, luceneNorms: true };

/** A document whose chunks are its paragraphs (split at blank lines). */
export function makeDoc(id: string, text: string, extra: Partial<Document> = {}): { doc: Document; chunks: Chunk[] } {
  const doc: Document = {
    id,
    source: `${id}.txt`,
    title: id.toUpperCase(),
    text,
    format: 'txt',
    contentHash: createHash('sha256').update(text).digest('hex'),
    sizeBytes: Buffer.byteLength(text),
    mtimeMs: 1_700_000_000_000,
    ...extra,
  };
  const chunks: Chunk[] = [];
  let start = 0;
  const parts = text.split('\n\n');
  for (const part of parts) {
    const end = start + part.length;
    const startLine = text.slice(0, start).split('\n').length;
    chunks.push({
      id: `${id}#${chunks.length}`,
      docId: id,
      ordinal: chunks.length,
      text: text.slice(start, end),
      headingPath: chunks.length % 2 === 0 ? [] : ['Section', `Part ${chunks.length}`],
      startChar: start,
      endChar: end,
      startLine,
      endLine: startLine + part.split('\n').length - 1,
    });
    start = end + 2;
  }
  return { doc, chunks };
}

export async function tempDir(prefix = 'openbook-index-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fixed clock that advances 1 s per call. */
export function stepClock(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => (t += 1000);
}
