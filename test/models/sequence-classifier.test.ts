import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFormatError, InvalidParameterError, NotFoundError } from '../../src/core/errors.js';
import { findLabel, OnnxSequenceClassifier, sigmoid, softmax, truncateLongestFirst } from '../../src/models/sequence-classifier.js';
import { TINY_CROSS_ENCODER, TINY_NLI, writeTinyClassifierFolder, writeTinyModelFolder } from '../support/tiny-onnx.js';

// The tiny classifier (test/support/tiny-onnx.ts) stands in for a real cross-encoder / NLI model:
// a logit is the sum over non-padding tokens of the token's weight in its segment (A = first
// text and the frame tokens typed 0, B = second text and the frame tokens typed 1).
// Tokenizer pair template: [CLS] A [SEP] B [SEP], types 0 … 0 1 … 1.
const root = mkdtempSync(join(tmpdir(), 'openbook-seqcls-'));
const models: OnnxSequenceClassifier[] = [];
afterAll(async () => {
  for (const m of models) await m.close();
  rmSync(root, { recursive: true, force: true });
});
function make(name: string, weights = TINY_CROSS_ENCODER, options: Partial<ConstructorParameters<typeof OnnxSequenceClassifier>[0]> = {}, modelMaxLength?: number) {
  const dir = writeTinyClassifierFolder(join(root, name), weights, { modelMaxLength });
  const m = new OnnxSequenceClassifier({ modelDir: dir, threads: 1, ...options });
  models.push(m);
  return m;
}
const row = (v: Float32Array) => [...v].map((x) => Math.round(x * 1e6) / 1e6);

describe('OnnxSequenceClassifier with the tiny ONNX classifier (stands in for a real cross-encoder / NLI model)', () => {
  it('scores query–passage pairs with the passage-segment weights; batching and padding change nothing', async () => {
    const m = make('ce', TINY_CROSS_ENCODER, { batchSize: 2 });
    // weightsB: cat 2, dog 1, sat −1, play 0.5; everything in segment A weighs 0.
    // ("cat", "cat sat")      → B: cat + sat + [SEP]  = 2 − 1 + 0 = 1
    // ("dog", "dog dog cat")  → B: 1 + 1 + 2          = 4
    // ("cat", "sat")          → B: −1
    // ("dog", "play")         → B: 0.5
    // ("cat dog", "unknownword") → B: [UNK] 0          = 0
    const inputs = [
      { text: 'cat', textPair: 'cat sat' },
      { text: 'dog', textPair: 'dog dog cat' },
      { text: 'cat', textPair: 'sat' },
      { text: 'dog', textPair: 'play' },
      { text: 'cat dog', textPair: 'unknownword' },
    ];
    const logits = await m.classify(inputs);
    expect(logits.map(row)).toEqual([[1], [4], [-1], [0.5], [0]]);
    const alone = await m.classify([inputs[1]]);
    expect(row(alone[0])).toEqual([4]);
    expect(m.labels).toEqual(['LABEL_0']);
  });

  it('gives three NLI logits per premise–hypothesis pair, labelled from config.json id2label', async () => {
    const m = make('nli', TINY_NLI);
    // weightsA: cat, dog → entailment +2; weightsB: cat, dog → entailment −1, [UNK] → neutral +0.5, sat → contradiction +1
    // ("cat dog", "cat")        → e = 2 + 2 − 1 = 3, n = 0, c = 0
    // ("dog", "cat sat")        → e = 2 − 1 = 1, n = 0, c = 1
    // ("cat", "zebra")          → e = 2, n = 0.5, c = 0
    const logits = await m.classify([
      { text: 'cat dog', textPair: 'cat' },
      { text: 'dog', textPair: 'cat sat' },
      { text: 'cat', textPair: 'zebra' },
    ]);
    expect(logits.map(row)).toEqual([
      [3, 0, 0],
      [1, 0, 1],
      [2, 0.5, 0],
    ]);
    expect(m.labels).toEqual(['entailment', 'neutral', 'contradiction']);
    expect(findLabel(m.labels!, 'entail')).toBe(0);
    expect(findLabel(m.labels!, 'CONTRADICTION')).toBe(2);
    expect(findLabel(m.labels!, 'yes')).toBe(-1);
  });

  it('classifies a single text (no pair) with segment-A weights only', async () => {
    const m = make('nli-single', TINY_NLI);
    // "cat dog" alone: [CLS] cat dog [SEP], all type 0 → e = 2 + 2 = 4
    expect(row((await m.classify([{ text: 'cat dog' }]))[0])).toEqual([4, 0, 0]);
  });

  it('truncates the longer text first and keeps the special tokens', async () => {
    // maxLength 7: the frame takes 3 ([CLS] [SEP] [SEP]), 4 tokens for the texts.
    // ("cat", "dog dog dog dog dog") → 1 + 5 tokens > 4 → B cut to 3: 1 + 1 + 1 = 3 (not 5)
    const m = make('short', TINY_CROSS_ENCODER, { maxLength: 7 });
    expect(row((await m.classify([{ text: 'cat', textPair: 'dog dog dog dog dog' }]))[0])).toEqual([3]);
    expect(m.maxLength).toBe(7);
    expect(truncateLongestFirst([1, 2, 3, 4], [5, 6], 4)).toEqual([
      [1, 2],
      [5, 6],
    ]);
    // ties go to the second: (3, 3) into 4 → (2, 2); (3, 3) into 5 → (3, 2)
    expect(truncateLongestFirst([1, 2, 3], [4, 5, 6], 5)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('softmax and sigmoid', () => {
    // softmax(1, 0, 1) = (e, 1, e) / (2e + 1); e / (2e + 1) = 0.422319
    const p = softmax([1, 0, 1]);
    expect(p[0]).toBeCloseTo(0.422319, 6);
    expect(p[1]).toBeCloseTo(0.155362, 6);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(2)).toBeCloseTo(0.880797, 6);
    expect(sigmoid(-800)).toBe(0);
  });

  it('rejects bad options and folders with typed errors', async () => {
    expect(() => new OnnxSequenceClassifier({ modelDir: '' })).toThrow(InvalidParameterError);
    expect(() => new OnnxSequenceClassifier({ modelDir: root, batchSize: 0 })).toThrow(InvalidParameterError);
    await expect(new OnnxSequenceClassifier({ modelDir: join(root, 'absent') }).load()).rejects.toThrow(NotFoundError);
    await expect(new OnnxSequenceClassifier({ modelDir: join(root, 'absent') }).load()).rejects.toThrow(/sequence-classification model folder/);
    const bad = writeTinyClassifierFolder(join(root, 'bad-config'));
    writeFileSync(join(bad, 'config.json'), '{ not json');
    await expect(new OnnxSequenceClassifier({ modelDir: bad }).load()).rejects.toThrow(InputFormatError);
  });

  it('an embedding graph (3-D output) is refused with a shape message', async () => {
    const dir = writeTinyModelFolder(join(root, 'embedder'));
    const m = new OnnxSequenceClassifier({ modelDir: dir, threads: 1 });
    models.push(m);
    await expect(m.classify([{ text: 'cat', textPair: 'dog' }])).rejects.toThrow(/\[batch, numLabels\]/);
  });
});
