import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapabilityError, InvalidParameterError } from '../../src/core/errors.js';
import type { Hit } from '../../src/core/types.js';
import { scoreAnswer } from '../../src/eval/qa-metrics.js';
import { comparisonTable, recallOf, runMethodsOnQa, writeTracesJsonl, type TraceRecord } from '../../src/methods/compare.js';
import { formatTrace } from '../../src/methods/format.js';
import { methodNames, runMethod } from '../../src/methods/registry.js';
import { withRetrievalSetting } from '../../src/methods/retrieval.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { context, MemoryRetriever, model } from './support/memory.js';

const hit = (i: number): Hit => ({ rank: i, score: 100 - i, docId: `h${i}`, chunkId: `h${i}#0`, source: `h${i}.txt`, title: `H${i}`, text: `passage ${i}`, startLine: 1, endLine: 1 });
const ranked = { retrieve: async (_q: string, topK: number) => Array.from({ length: Math.min(topK, 30) }, (_, i) => hit(i + 1)) };

describe('noisy-retrieval settings', () => {
  it('top is unchanged; low-rank returns ranks 11.. renumbered; random draws with the seeded rng', async () => {
    const rng = () => 0.5;
    expect(await withRetrievalSetting(ranked, 'top', { rng }).retrieve('q', 2)).toEqual([hit(1), hit(2)]);
    const low = await withRetrievalSetting(ranked, 'low-rank', { rng }).retrieve('q', 3);
    expect(low.map((h) => [h.docId, h.rank, h.scores!.originalRank])).toEqual([
      ['h11', 1, 11],
      ['h12', 2, 12],
      ['h13', 3, 13],
    ]);
    const draws: number[] = [];
    const random = withRetrievalSetting(ranked, 'random', {
      rng,
      randomPassages: async (n, r) => Array.from({ length: n }, () => {
        const i = Math.floor(r() * 30) + 1;
        draws.push(i);
        return hit(i);
      }),
    });
    expect((await random.retrieve('q', 2)).map((h) => h.docId)).toEqual(['h16', 'h16']); // ⌊0.5 · 30⌋ + 1 = 16
    expect(() => withRetrievalSetting(ranked, 'random', { rng })).toThrow(CapabilityError);
    expect(() => withRetrievalSetting(ranked, 'worst' as never, { rng })).toThrow(/valid: top, low-rank, random/);
  });
});

describe('trace formatter', () => {
  it('prints numbered steps with inputs, outputs, scores, durations and tokens', () => {
    const text = formatTrace([
      { kind: 'retrieve', name: 'retrieve top-k', input: { query: 'capital of France', topK: 2 }, output: [{ rank: 1, chunkId: 'd0#0', score: 5 }], durationMs: 3 },
      { kind: 'generate', name: 'answer', input: { prompt: 'a'.repeat(8) }, output: 'Paris [1]', usage: { promptTokens: 40, completionTokens: 4 }, durationMs: 120.5 },
      { kind: 'score', name: 'weights', scores: { 'λ[1]': 0.7310585786, 'λ[2]': 0.5, 'tiny': 0.0000123, 'log p': -Infinity }, durationMs: 0 },
    ], { maxChars: 5 });
    expect(text).toBe(
      [
        '1. [retrieve] retrieve top-k (3 ms)',
        '     → query: capit…',
        '     → topK: 2',
        '     ← 1. {rank…',
        '2. [generate] answer (121 ms, 40+4 tokens)',
        '     → prompt: aaaaa…',
        '     ← Paris…',
        '3. [score] weights (0 ms)',
        '     · λ[1] = 0.7311',
        '     · λ[2] = 0.5',
        '     · tiny = 1.23e-5',
        '     · log p = -inf',
        '',
      ].join('\n'),
    );
  });
});

describe('registry and side-by-side comparison (the loopback server stands in for an LLM)', () => {
  let server: OpenAIServer;
  let dir: string;
  beforeEach(async () => {
    server = await startOpenAIServer();
    dir = await mkdtemp(join(tmpdir(), 'openbook-methods-'));
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the methods of the notes and rejects unknown names and parameters', async () => {
    expect(methodNames).toEqual(['closed-book', 'naive', 'hyde', 'lamer', 'recitation', 'replug', 'realm', 'rag-sequence', 'rag-token', 'sure', 'retrobust', 'self-rag', 'search-r1', 'duetrag', 'rog', 'knn-lm']);
    const ctx = context(model(server), new MemoryRetriever());
    await expect(runMethod('nope', 'q', ctx)).rejects.toThrow(/unknown method "nope"; valid: closed-book, naive/);
    await expect(runMethod('hyde', 'q', ctx, { K: 3 })).rejects.toThrow(/hyde: unknown parameter "K"; valid: numHypotheses, temperature, maxTokens/);
    await expect(runMethod('hyde', 'q', ctx, { numHypotheses: '3' })).rejects.toThrow(InvalidParameterError);
    server.enqueueChat('Paris [1]');
    const a = await runMethod('naive', 'What is the capital of France?', ctx);
    expect(a).toMatchObject({ method: 'naive', answer: 'Paris [1]', calls: 1 });
  });

  it('runs methods on QA items: EM, F1, Recall@k, calls; writes the traces as JSONL', async () => {
    expect(recallOf(['a', 'b'], ['b', 'c'])).toBe(0.5);
    expect(recallOf(['a'], [])).toBeNull();
    const items = [
      { id: 'q1', question: 'What is the capital of France?', answers: ['Paris'], relevant: ['d0'] },
      { id: 'q2', question: 'Who wrote Hamlet?', answers: ['William Shakespeare'], relevant: ['d2'] },
    ];
    // closed-book: q1 "Paris", q2 "Rome"; naive: q1 "Paris [1]", q2 "Shakespeare [1]"
    server.enqueueChat('Paris', 'Rome', 'Paris [1]', 'Shakespeare [1]');
    const records: TraceRecord[] = [];
    const { summaries } = await runMethodsOnQa(items, ['closed-book', 'naive'], context(model(server), new MemoryRetriever()), {
      score: (p, g) => scoreAnswer(p, g, 'squad'),
      onRecord: (r) => {
        records.push(r);
      },
    });
    // closed-book: EM (1 + 0)/2, F1 (1 + 0)/2, no passages → Recall null
    expect(summaries[0]).toMatchObject({ method: 'closed-book', questions: 2, EM: 0.5, F1: 0.5, recall: null, calls: 2, errors: 0 });
    // naive q2: "Shakespeare" vs "William Shakespeare": P 1/1, R 1/2 → F1 2/3; mean F1 (1 + 2/3)/2 = 0.833333
    // retrieval: q1 top-2 = Paris(d0), Berlin; q2 top-2 = Hamlet(d2), Paris → Recall@2 = 1 for both
    expect(summaries[1]).toMatchObject({ method: 'naive', EM: 0.5, recall: 1, calls: 2 });
    expect(summaries[1].F1).toBeCloseTo(0.833333, 6);
    expect(summaries[1].tokens).toBeGreaterThan(summaries[0].tokens); // passages make the prompts longer
    expect(records.map((r) => `${r.method}/${r.id}:${r.prediction}`)).toEqual(['closed-book/q1:Paris', 'closed-book/q2:Rome', 'naive/q1:Paris', 'naive/q2:Shakespeare']);
    const path = join(dir, 'traces.jsonl');
    await writeTracesJsonl(path, records);
    const back = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    expect(back).toHaveLength(4);
    expect(back[3].trace.map((s) => s.kind)).toEqual(['retrieve', 'generate']);
    expect(back[3].citations[0].chunkId).toBe('d2#0');
    const table = comparisonTable(summaries, 2);
    expect(table.split('\n')[0]).toBe('| method | n | EM | F1 | Recall@2 | calls | tokens | seconds | errors |');
    expect(table).toContain('| naive | 2 | 50.0 | 83.3 | 1.0000 | 2 |');
    expect(table).toContain('| closed-book | 2 | 50.0 | 50.0 | – | 2 |');
  });

  it('stops a method at a missing capability and reports it', async () => {
    const items = [
      { id: 'q1', question: 'What is the capital of France?', answers: ['Paris'], relevant: ['d0'] },
      { id: 'q2', question: 'Who wrote Hamlet?', answers: ['William Shakespeare'], relevant: ['d2'] },
    ];
    const { summaries, records } = await runMethodsOnQa(items, ['rag-token'], context(model(server, { logprobs: false }), new MemoryRetriever()), {
      score: (p, g) => scoreAnswer(p, g, 'squad'),
    });
    expect(summaries[0]).toMatchObject({ questions: 1, errors: 1, EM: 0 });
    expect(summaries[0].error).toMatch(/rag-token: token-level decoding needs token log-probabilities/);
    expect(records).toHaveLength(1);
  });
});

describe('count parameters are checked before any model call', () => {
  // The model points at a closed port: a call would fail with a ModelError, not these messages.
  const ctx = (topK = 2) => ({ ...context(new OpenAICompatibleModel({ baseUrl: 'http://127.0.0.1:9', model: 'never-called', maxRetries: 0 }), new MemoryRetriever()), topK });

  it('names the method, the parameter, the bound and the value', async () => {
    await expect(runMethod('hyde', 'q', ctx(), { numHypotheses: 0 })).rejects.toThrow(new InvalidParameterError('hyde: numHypotheses must be an integer ≥ 1, got 0'));
    await expect(runMethod('sure', 'q', ctx(), { numCandidates: 1.5 })).rejects.toThrow('sure: numCandidates must be an integer ≥ 1, got 1.5');
    await expect(runMethod('search-r1', 'q', ctx(), { maxSearches: -1 })).rejects.toThrow('search-r1: maxSearches must be an integer ≥ 0, got -1');
    await expect(runMethod('naive', 'q', ctx(0))).rejects.toThrow('naive: topK must be an integer ≥ 1, got 0');
  });
});
