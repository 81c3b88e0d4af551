/**
 * Issue #14 item 1 ("every command works unchanged"), for what the PostgreSQL store refused until
 * now: small-to-big `--context` (sentence-window:N, parent[:T]) and RetRobust's `--retrieval
 * low-rank|random` give on the store exactly the hits the embedded index gives for the same files,
 * against a real PostgreSQL 15 started by scripts/pg-cluster.sh. The language model is a scripted
 * stand-in (it records the passages it is shown and answers "[1]").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { PgEngine } from '../../src/engine/pg-engine.js';
import { PgStore } from '../../src/index/pg/store.js';
import type { LanguageModel } from '../../src/models/types.js';
import { pgAvailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const available = pgAvailable();

const NOTES = [
  '# Storage',
  '',
  'Segments are immutable files.',
  'A commit writes a new manifest.',
  'Readers see the last commit only.',
  'Old segments are deleted after a merge.',
  '',
  '## Crash safety',
  '',
  'Every file is written to a temporary name first.',
  'Then fsync makes it durable.',
  'The rename is atomic on POSIX file systems.',
  'A crash before the rename leaves the old manifest.',
  '',
  '# Search',
  '',
  'Queries are analysed like documents.',
  'Postings are scored with BM25.',
  '',
].join('\n');

const WORDS = 'segment commit manifest reader merge crash rename fsync durable query posting score shard replica backup'.split(' ');

/** 30 small files of 2–4 sentences drawn from WORDS (deterministic), so one query has > 20 matching chunks. */
function fillerFiles(dir: string): void {
  for (let i = 0; i < 30; i++) {
    const sentences = Array.from({ length: 2 + (i % 3) }, (_, s) => `${Array.from({ length: 6 }, (_, w) => WORDS[(i * 5 + s * 3 + w * w) % WORDS.length]).join(' ')}.`);
    writeFileSync(path.join(dir, `f${String(i).padStart(2, '0')}.md`), `# File ${i}\n\n${sentences.join(' ')}\n`);
  }
}

/** A stand-in language model: records the passages of every prompt and answers "[1]". */
function standInModel() {
  const prompts: string[] = [];
  const llm: LanguageModel = {
    id: 'stand-in',
    capabilities: { chat: true, streaming: false, logprobs: false, echoScoring: false, prefill: false },
    async generate(messages) {
      prompts.push(messages.map((m) => m.content).join('\n'));
      return { generations: [{ text: 'It is written first to a temporary name [1].', finishReason: 'stop' }], usage: { promptTokens: 0, completionTokens: 0 }, model: 'stand-in', latencyMs: 0 } as never;
    },
    // eslint-disable-next-line require-yield
    async *stream() {
      throw new Error('not used');
    },
    async scoreContinuation() {
      throw new Error('not used');
    },
  };
  return { llm, prompts };
}

const brief = (hits: Hit[] | undefined) => (hits ?? []).map((h) => ({ chunkId: h.chunkId, text: h.text, startLine: h.startLine, endLine: h.endLine, score: h.score, rank: h.rank, scores: h.scores }));

describe.skipIf(!available)('PgEngine: --context and --retrieval as on the embedded index (real PostgreSQL)', () => {
  let cluster: PgCluster;
  let tmp: string;
  let embedded: Engine;
  let store: PgEngine;
  const emLlm = standInModel();
  const pgLlm = standInModel();
  beforeAll(async () => {
    cluster = startPgCluster(0);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE parity');
    await admin.end();
    const url = cluster.url.replace(/\/[^/?]+(\?|$)/, '/parity$1');
    tmp = mkdtempSync(path.join(tmpdir(), 'openbook-pg-parity-'));
    const docs = path.join(tmp, 'docs');
    rmSync(docs, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(docs);
    writeFileSync(path.join(docs, 'notes.md'), NOTES);
    fillerFiles(docs);
    // 8-token chunks: about one sentence per chunk, as in test/retrieve/context.test.ts
    const common = { paths: [docs], chunkSize: 8, chunkOverlap: 0, analyzer: 'english', cwd: tmp, now: () => 1_700_000_000_000 };
    await indexPaths({ ...common, indexDir: path.join(tmp, 'ix') });
    const pgStore = PgStore.connect(url);
    try {
      await indexPaths({ ...common, indexDir: path.join(tmp, 'unused'), store: pgStore });
    } finally {
      await pgStore.close();
    }
    embedded = await Engine.open(path.join(tmp, 'ix'), { llm: emLlm.llm });
    store = await PgEngine.open(url, { llm: pgLlm.llm });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it.each([['sentence-window:0'], ['sentence-window:1'], ['sentence-window:3'], ['parent'], ['parent:16']])('search --context %s: the embedded hits, texts, lines and scores', async (context) => {
    for (const q of ['fsync durable', 'rename atomic POSIX', 'segments commit manifest', 'crash rename replica', 'posting score shard']) {
      const a = await embedded.search(q, { topK: 5, context });
      const b = await store.search(q, { topK: 5, context });
      expect(a.length).toBeGreaterThan(0);
      expect(brief(b)).toEqual(brief(a));
      expect(b).toEqual(a);
    }
    // the window of the context test, on the store: lines 10–12 of notes.md
    const [h] = await store.search('fsync durable', { topK: 1, context: 'sentence-window:1' });
    expect([h.docId, h.text, h.startLine, h.endLine]).toEqual(['docs/notes.md', NOTES.split('\n').slice(9, 12).join('\n'), 10, 12]);
  });

  it('ask --context parent (extractive) cites what the embedded index cites', async () => {
    const a = await embedded.ask('Is the rename atomic?', { topK: 3, context: 'parent', extractive: true });
    const b = await store.ask('Is the rename atomic?', { topK: 3, context: 'parent', extractive: true });
    expect(b.citations.length).toBeGreaterThan(0);
    expect(b.answer).toBe(a.answer);
    expect(b.citations).toEqual(a.citations);
  });

  it.each([['low-rank'], ['random']] as const)('ask --method naive --retrieval %s: the method is shown the embedded passages', async (retrieval) => {
    emLlm.prompts.length = 0;
    pgLlm.prompts.length = 0;
    const q = 'How is a crash before the rename handled?';
    const a = await embedded.ask(q, { topK: 4, method: 'naive', retrieval, seed: 11 });
    const b = await store.ask(q, { topK: 4, method: 'naive', retrieval, seed: 11 });
    expect(a.hits).toHaveLength(4);
    expect(brief(b.hits)).toEqual(brief(a.hits));
    expect(pgLlm.prompts).toEqual(emLlm.prompts);
    if (retrieval === 'low-rank') expect(a.hits!.map((h) => h.scores!.originalRank)).toEqual([11, 12, 13, 14]);
  });

  it('ask --retrieval random with a filter draws from the matching chunks only, as the embedded index does', async () => {
    const filter = 'path GLOB "docs/f1?.md"';
    const a = await embedded.ask('anything', { topK: 5, method: 'naive', retrieval: 'random', seed: 3, filter });
    const b = await store.ask('anything', { topK: 5, method: 'naive', retrieval: 'random', seed: 3, filter });
    expect(a.hits!.every((h) => /f1\d\.md$/.test(h.source))).toBe(true);
    expect(brief(b.hits)).toEqual(brief(a.hits));
  });
});
