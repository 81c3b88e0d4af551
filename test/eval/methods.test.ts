import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMethodSpecs } from '../../src/cli/commands/eval.js';
import { CapabilityError, InvalidParameterError } from '../../src/core/errors.js';
import { allGoldRecall, checkMethodsRun, evaluateQaMethods, summarizeRecords, type QaMethodRecord } from '../../src/eval/methods.js';

const dir = mkdtempSync(join(tmpdir(), 'openbook-eval-methods-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Recall@k of a comparison', () => {
  it('is 1 only when every gold paragraph was used; the fraction is kept apart', () => {
    expect(allGoldRecall(['a', 'b'], ['a', 'b', 'c'])).toEqual({ recall: 1, goldRecall: 1 });
    // one of two gold paragraphs: 1/2 of the gold, but not "both gold"
    expect(allGoldRecall(['a', 'b'], ['a', 'c'])).toEqual({ recall: 0, goldRecall: 0.5 });
    expect(allGoldRecall(['a'], [])).toEqual({ recall: null, goldRecall: null });
  });

  it('summaries: means of EM/F1 over items, recall over items that used passages, sums of cost', () => {
    const rec = (em: number, f1: number, recall: number | null, calls: number, p: number, c: number, seconds: number, error?: string): QaMethodRecord => ({
      method: 'm', id: 'x', question: 'q', gold: ['g'], prediction: '', em, f1, recall, goldRecall: recall, calls, usage: { promptTokens: p, completionTokens: c }, seconds, citations: [], trace: [], ...(error ? { error } : {}),
    });
    const s = summarizeRecords('m', [rec(1, 1, 1, 2, 10, 3, 0.5), rec(0, 0.5, null, 1, 5, 1, 0.25), rec(0, 0, 0, 0, 0, 0, 0.25, 'boom')]);
    // EM (1+0+0)/3; F1 (1+0.5+0)/3 = 0.5; recall over 2 items (1+0)/2; calls 3; tokens 13+6+0 = 19; seconds 1
    expect(s).toEqual({ method: 'm', questions: 3, EM: 1 / 3, F1: 0.5, recall: 0.5, calls: 3, tokens: 19, seconds: 1, errors: 1 });
  });
});

describe('method lists and parameters', () => {
  it('--methods and --param method.name=value become specs in order', () => {
    expect(parseMethodSpecs('naive, hyde,extractive', ['hyde.K=4', 'hyde.temperature=0.7'])).toEqual([{ name: 'naive' }, { name: 'hyde', params: { K: 4, temperature: 0.7 } }, { name: 'extractive' }]);
    expect(() => parseMethodSpecs('naive', ['hyde.K=4'])).toThrow(/method hyde is not in --methods/);
    expect(() => parseMethodSpecs('naive', ['K=4'])).toThrow(InvalidParameterError);
  });

  it('refuses unknown methods and parameters, and methods without their model, before any work', () => {
    expect(() => checkMethodsRun([{ name: 'nope' }], {}, { retriever: 'bm25' })).toThrow(/unknown method "nope"; valid: extractive, /);
    expect(() => checkMethodsRun([{ name: 'extractive' }, { name: 'extractive' }], {}, { retriever: 'bm25' })).toThrow(/twice/);
    expect(() => checkMethodsRun([{ name: 'naive' }, { name: 'replug' }], {}, { retriever: 'bm25' })).toThrow(CapabilityError);
    expect(() => checkMethodsRun([{ name: 'naive' }, { name: 'replug' }], {}, { retriever: 'bm25' })).toThrow(/naive, replug need a language model/);
    expect(() => checkMethodsRun([{ name: 'extractive' }], {}, { retriever: 'hybrid' })).toThrow(/--retriever hybrid needs an embedding model/);
    expect(() => checkMethodsRun([{ name: 'extractive' }], {}, { retriever: 'bm25' })).not.toThrow();
  });
});

describe('evaluateQaMethods on HotpotQA (IRCoT JSONL), offline', () => {
  // Pooled paragraphs p0..p5 (order of first appearance); each question has two gold paragraphs.
  // Analyzer "standard", fields text, k = 2:
  //   q1 "Which city hosts the Louvre museum?" — only p0 (louvre, museum, the) and p1 (city, the) match
  //      → hits {p0, p1} = both gold → Recall 1, gold fraction 1
  //   q2 "Who wrote Hamlet?" — only p3 (hamlet) matches → hits {p3}: one of two gold → Recall 0, fraction 1/2
  // Recall@2 (all gold) = (1 + 0)/2 = 0.5
  const ctx = (title: string, text: string, supporting: boolean) => ({ idx: 0, title, paragraph_text: text, is_supporting: supporting });
  const lines = [
    {
      question_id: 'q1',
      question_text: 'Which city hosts the Louvre museum?',
      answers_objects: [{ number: '', date: { day: '', month: '', year: '' }, spans: ['Paris'] }],
      contexts: [ctx('Louvre', 'The Louvre museum is in Paris.', true), ctx('Paris', 'Paris is the capital city of France.', true), ctx('Berlin', 'Berlin has many museums.', false)],
    },
    {
      question_id: 'q2',
      question_text: 'Who wrote Hamlet?',
      answers_objects: [{ number: '', date: { day: '', month: '', year: '' }, spans: ['William Shakespeare'] }],
      contexts: [ctx('Hamlet', 'Hamlet is a tragedy by Shakespeare.', true), ctx('Shakespeare', 'William Shakespeare was born in Stratford.', true), ctx('Macbeth', 'Macbeth is another tragedy.', false)],
    },
  ];
  const file = join(dir, 'dev_mini.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

  it('Recall@k counts both gold paragraphs; the run folder holds config, traces, report', async () => {
    const out = join(dir, 'run');
    const now = () => performance.now();
    const res = await evaluateQaMethods(
      {
        dataset: file,
        methods: [{ name: 'extractive' }],
        index: { analyzer: 'standard', fields: 'text', luceneNorms: true },
        search: { similarity: 'bm25', k1: 0.9, b: 0.4, topK: 20 },
        k: 2,
        seed: 5,
      },
      { cacheDir: join(dir, 'cache'), now, wallClock: Date.now, models: {}, outDir: out, runConfig: { note: 'test' } },
    );
    expect(res.answerMetric).toBe('squad');
    expect(res.records.map((r) => [r.id, r.recall, r.goldRecall])).toEqual([
      ['q1', 1, 1],
      ['q2', 0, 0.5],
    ]);
    expect(res.summaries[0]).toMatchObject({ method: 'extractive', questions: 2, recall: 0.5, calls: 0, tokens: 0, errors: 0 });
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('| method | n | EM | F1 | Recall@2 (all gold) | calls | tokens | seconds | errors |');
    expect(report).toContain('HotpotQA: both gold paragraphs');
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ k: 2, seed: 5, retrieval: 'top', retriever: 'bm25', note: 'test', questions: 2 });
    expect(readFileSync(join(out, 'traces.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
