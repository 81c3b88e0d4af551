/**
 * ALCE citation recall/precision, faithfulness and answer relevance against hand-labelled answers:
 * with the tiny NLI graph (test/support/tiny-onnx.ts) and with an LLM judge whose Yes/No
 * log-probabilities a loopback server scripts, including items the judge cannot score.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LlmJudge, NliJudge, scoreGrounded, splitStatements } from '../../src/eval/grounded.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { OnnxSequenceClassifier } from '../../src/models/sequence-classifier.js';
import { TINY_CROSS_ENCODER, TINY_NLI, writeTinyClassifierFolder } from '../support/tiny-onnx.js';

const root = mkdtempSync(join(tmpdir(), 'openbook-grounded-'));
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
  rmSync(root, { recursive: true, force: true });
});

function nli(name = 'nli', weights = TINY_NLI): NliJudge {
  const m = new OnnxSequenceClassifier({ modelDir: writeTinyClassifierFolder(join(root, name), weights), threads: 1 });
  closers.push(() => m.close());
  return new NliJudge(m);
}

// Tiny NLI logits (e, n, c) = premise: +2 to e per "cat"/"dog"; hypothesis: −1 to e per "cat"/"dog",
// +0.5 to n per unknown token ("zebra", "." are [UNK]), +1 to c per "sat". φ = 1 ⇔ e is the argmax (ties: e).
// With A animal words in the premise:
//   "cat dog." → (2A − 2, 0.5, 0): entailed ⇔ A ≥ 2
//   "cat."     → (2A − 1, 0.5, 0): entailed ⇔ A ≥ 1
//   "zebra."   → (2A, 1.0, 0):     entailed ⇔ A ≥ 1
const passages = [
  { chunkId: 'p1', text: 'cat' }, // A = 1
  { chunkId: 'p2', text: 'dog' }, // A = 1
  { chunkId: 'p3', text: 'sat' }, // A = 0
];
const citations = [
  { n: 1, chunkId: 'p1' },
  { n: 2, chunkId: 'p2' },
  { n: 3, chunkId: 'p3' },
];

describe('splitStatements', () => {
  it('gives each sentence its markers; a marker opening a sentence belongs to the one before', () => {
    expect(splitStatements('cat dog [1][2]. cat [1, 3]. zebra [3].')).toEqual([
      { text: 'cat dog.', cites: [1, 2] },
      { text: 'cat.', cites: [1, 3] },
      { text: 'zebra.', cites: [3] },
    ]);
    // the extractive answerer writes "sentence. [n]"
    expect(splitStatements('Cats purr. [1] Dogs bark. [2]')).toEqual([
      { text: 'Cats purr.', cites: [1] },
      { text: 'Dogs bark.', cites: [2] },
    ]);
    expect(splitStatements('')).toEqual([]);
  });
});

describe('scoreGrounded with the tiny NLI judge', () => {
  it('ALCE recall and precision and faithfulness of a hand-labelled answer', async () => {
    const g = await scoreGrounded({ question: 'q', answer: 'cat dog [1][2]. cat [1][3]. zebra [3].', citations, passages }, nli());
    // s1 "cat dog." cites p1+p2: joint A = 2 → supported. Alone p1 (A 1) no, rest p2 (A 1) no → p1 precise; likewise p2.
    // s2 "cat." cites p1+p3: joint A = 1 → supported. p1 alone supports → precise; p3 alone (A 0) no, rest p1 yes → irrelevant.
    // s3 "zebra." cites p3: A = 0 → (0, 1, 0) → unsupported; its citation is not precise.
    // recall = 2/3; precision = 3 precise / 5 citations = 0.6
    expect(g.citationRecall).toBeCloseTo(2 / 3, 10);
    expect(g.citationPrecision).toBe(0.6);
    // context "cat\ndog\nsat" has A = 2: every statement entailed → faithfulness 1
    expect(g.faithfulness).toBe(1);
    expect(g.statements.map((s) => [s.text, s.supported, s.entailedByContext])).toEqual([
      ['cat dog.', true, true],
      ['cat.', true, true],
      ['zebra.', false, true],
    ]);
    expect(g.answerRelevance).toEqual({ unscored: expect.stringMatching(/needs --judge llm/) });
  });

  it('an answer without citations is unsupported; an empty answer is unscored, never NaN', async () => {
    const judge = nli('nli-2');
    const uncited = await scoreGrounded({ question: 'q', answer: 'cat.', citations: [], passages: [passages[0]] }, judge);
    // no citation → recall 0, precision 0 (ALCE); context "cat" (A 1) entails "cat." → faithfulness 1
    expect([uncited.citationRecall, uncited.citationPrecision, uncited.faithfulness]).toEqual([0, 0, 1]);
    const empty = await scoreGrounded({ question: 'q', answer: '', citations: [], passages }, judge);
    expect(empty.citationRecall).toEqual({ unscored: 'the answer has no statement to judge (empty or refused)' });
    expect(empty.faithfulness).toEqual({ unscored: 'the answer has no statement to judge (empty or refused)' });
    const noPassages = await scoreGrounded({ question: 'q', answer: 'zebra.', citations: [], passages: [] }, judge);
    expect(noPassages.faithfulness).toEqual({ unscored: 'the method used no passages' });
  });

  it('refuses a model without an entailment label', async () => {
    await expect(scoreGrounded({ question: 'q', answer: 'cat [1].', citations, passages }, nli('ce', TINY_CROSS_ENCODER))).rejects.toThrow(/no entailment label/);
  });
});

/** A chat server answering each Yes/No prompt with scripted first-token alternatives. */
async function judgeServer(topFor: (prompt: string) => Array<{ token: string; logprob: number }>): Promise<string> {
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as { messages: Array<{ content: string }> };
      const top = topFor(body.messages.at(-1)!.content);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          created: 0,
          model: 'judge',
          choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: top[0].token }, logprobs: { content: [{ token: top[0].token, logprob: top[0].logprob, bytes: null, top_logprobs: top.map((t) => ({ ...t, bytes: null })) }] } }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

describe('scoreGrounded with an LLM judge (scripted log-probabilities)', () => {
  it('judges entailment by p(Yes) > 0.5 and relevance by p(Yes); an item it cannot score is unscored with the reason', async () => {
    const yes = (p: number) => [
      { token: 'Yes', logprob: Math.log(p) },
      { token: 'No', logprob: Math.log(1 - p) },
    ];
    const url = await judgeServer((prompt) => {
      if (prompt.includes('Does the answer address the question?')) return yes(0.7);
      if (prompt.includes('Hypothesis:\nParis is the capital of France.')) return yes(0.9);
      if (prompt.includes('Hypothesis:\nIt has 2 million people.')) return yes(0.2);
      return [{ token: 'Maybe', logprob: Math.log(0.99) }]; // neither Yes nor No
    });
    const judge = new LlmJudge(new OpenAICompatibleModel({ baseUrl: url, model: 'judge', apiKey: 'x' }));
    const ps = [
      { chunkId: 'a', text: 'Paris is the capital and largest city of France.' },
      { chunkId: 'b', text: 'France is in Europe.' },
    ];
    const g = await scoreGrounded({ question: 'What is the capital of France?', answer: 'Paris is the capital of France [1]. It has 2 million people [2].', citations: [{ n: 1, chunkId: 'a' }, { n: 2, chunkId: 'b' }], passages: ps }, judge);
    // s1 supported (0.9), s2 not (0.2) → recall 1/2; precision: s1's one citation precise, s2's not → 1/2
    expect(g.citationRecall).toBe(0.5);
    expect(g.citationPrecision).toBe(0.5);
    // the same two judgements against the whole context → faithfulness 1/2; relevance p(Yes) = 0.7
    expect(g.faithfulness).toBe(0.5);
    expect(g.answerRelevance).toBeCloseTo(0.7, 10);
    const u = await scoreGrounded({ question: 'Where?', answer: 'Lyon [1].', citations: [{ n: 1, chunkId: 'a' }], passages: ps }, judge);
    expect(u.citationRecall).toEqual({ unscored: expect.stringMatching(/could not score a statement: neither "Yes" nor "No"/) });
    expect(u.citationPrecision).toEqual({ unscored: expect.stringMatching(/could not score a citation/) });
    expect(u.faithfulness).toEqual({ unscored: expect.stringMatching(/neither "Yes" nor "No"/) });
  });
});
