import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFormatError, InvalidParameterError, NotFoundError } from '../../src/core/errors.js';
import { LocalEmbedder } from '../../src/models/local-embedder.js';
import { clsPool, l2NormalizeInPlace, meanPool } from '../../src/models/onnx-pooling.js';
import { writeTinyModelFolder } from '../support/tiny-onnx.js';
import { embedderContract } from './embedder-contract.js';

// The tiny model (test/support/tiny-onnx.ts) stands in for a real sentence encoder: token t's
// hidden state is row t of E, so every pooled vector below is worked out from that table:
//   [CLS] [1,1,1]  [SEP] [0,0,0]  query [2,0,0]  passage [0,2,0]  ":" [0,0,0]  cat [3,0,0]
//   dog [0,3,0]  play [1,2,0]  ##ing [0,1,2]  sat [1,0,1]  [UNK] [0,0,1]
const root = mkdtempSync(join(tmpdir(), 'openbook-local-embedder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const embedders: LocalEmbedder[] = [];
function make(name: string, folder: Parameters<typeof writeTinyModelFolder>[1], options: Partial<ConstructorParameters<typeof LocalEmbedder>[0]> = {}) {
  const dir = writeTinyModelFolder(join(root, name), folder);
  const e = new LocalEmbedder({ modelDir: dir, threads: 1, ...options });
  embedders.push(e);
  return e;
}
afterAll(async () => {
  for (const e of embedders) await e.close();
});

const round = (v: Float32Array) => [...v].map((x) => Math.round(x * 1e6) / 1e6);

describe('LocalEmbedder with the tiny ONNX model (stands in for a real model)', () => {
  it('mean-pools over the attention mask; padding in a batch changes nothing', async () => {
    const e = make('tiny', { pooling: 'mean' }, { normalize: false });
    // "cat" → [CLS] cat [SEP]: ([1,1,1] + [3,0,0] + [0,0,0]) / 3 = [1.333333, 0.333333, 0.333333]
    // "playing dog" → [CLS] play ##ing dog [SEP]: [1+1+0+0, 1+2+1+3, 1+0+2+0] / 5 = [0.4, 1.4, 0.6]
    const [cat, playingDog] = await e.embed(['cat', 'Playing dog'], { kind: 'passage' });
    expect(round(cat)).toEqual([1.333333, 0.333333, 0.333333]);
    expect(round(playingDog)).toEqual([0.4, 1.4, 0.6]);
    const [alone] = await e.embed(['cat'], { kind: 'passage' });
    expect([...alone]).toEqual([...cat]);
    expect(await e.dimension()).toBe(3);
    expect(e.id).toBe('local:tiny');
    expect(e.settings).toMatchObject({ pooling: 'mean', normalize: false, queryPrefix: '', passagePrefix: '', maxLength: 512, dimension: 3 });
  });

  it('maps unknown words to [UNK] and truncates at maxLength tokens', async () => {
    const e = make('tiny-trunc', { pooling: 'mean' }, { normalize: false, maxLength: 3 });
    // maxLength 3: "cat dog sat" → [CLS] cat [SEP], the same as "cat": [4,1,1]/3
    const [v] = await e.embed(['cat dog sat'], { kind: 'passage' });
    expect(round(v)).toEqual([1.333333, 0.333333, 0.333333]);
    // "zebra" → [CLS] [UNK] [SEP] = ([1,1,1] + [0,0,1]) / 3 = [0.333333, 0.333333, 0.666667]
    const [z] = await e.embed(['zebra'], { kind: 'passage' });
    expect(round(z)).toEqual([0.333333, 0.333333, 0.666667]);
  });

  it('CLS pooling from 1_Pooling/config.json, onnx/ subfolder layout', async () => {
    const e = make('tiny-cls', { pooling: 'cls', onnxSubfolder: true }, { normalize: false });
    const [v] = await e.embed(['dog sat'], { kind: 'query' });
    expect([...v]).toEqual([1, 1, 1]); // the [CLS] row
    expect(e.settings?.onnxPath).toBe(join(root, 'tiny-cls', 'onnx', 'model.onnx'));
  });

  it('normalises when modules.json lists Normalize', async () => {
    const e = make('tiny-norm', { pooling: 'mean', normalizeModule: true });
    // mean of "cat" = [4,1,1]/3 → / ‖[4,1,1]‖ = / √18: [0.942809, 0.235702, 0.235702]
    const [v] = await e.embed(['cat'], { kind: 'passage' });
    expect(round(v)).toEqual([0.942809, 0.235702, 0.235702]);
    expect(e.normalized).toBe(true);
  });

  it('adds e5 "query: " / "passage: " prefixes when the folder name marks an E5 model; explicit prefixes win', async () => {
    const e = make('tiny-e5-small', { pooling: 'mean' }, { normalize: false });
    // "query: cat" → [CLS] query : cat [SEP] = [1+2+0+3+0, 1, 1] / 5 = [1.2, 0.2, 0.2]
    // "passage: cat" → [CLS] passage : cat [SEP] = [1+0+0+3, 1+2, 1] / 5 = [0.8, 0.6, 0.2]
    const [q] = await e.embed(['cat'], { kind: 'query' });
    const [p] = await e.embed(['cat'], { kind: 'passage' });
    expect(round(q)).toEqual([1.2, 0.2, 0.2]);
    expect(round(p)).toEqual([0.8, 0.6, 0.2]);
    const plain = make('tiny-e5-plain', { pooling: 'mean' }, { normalize: false, queryPrefix: '', passagePrefix: '' });
    expect(round((await plain.embed(['cat'], { kind: 'query' }))[0])).toEqual([1.333333, 0.333333, 0.333333]);
  });

  it('reads prefixes from config_sentence_transformers.json prompts', async () => {
    const dir = writeTinyModelFolder(join(root, 'tiny-prompts'), { pooling: 'mean' });
    writeFileSync(join(dir, 'config_sentence_transformers.json'), JSON.stringify({ prompts: { query: 'query: ', passage: '' } }));
    const e = new LocalEmbedder({ modelDir: dir, normalize: false, threads: 1 });
    embedders.push(e);
    expect(round((await e.embed(['cat'], { kind: 'query' }))[0])).toEqual([1.2, 0.2, 0.2]);
    expect(round((await e.embed(['cat'], { kind: 'passage' }))[0])).toEqual([1.333333, 0.333333, 0.333333]);
  });

  it('batches in length order and returns input order', async () => {
    const e = make('tiny-batch', { pooling: 'mean' }, { normalize: false, batchSize: 2 });
    const texts = ['playing dog', 'cat', 'zebra', 'cat'];
    const batched = await e.embed(texts, { kind: 'passage' });
    expect(round(batched[0])).toEqual([0.4, 1.4, 0.6]);
    expect(round(batched[1])).toEqual([1.333333, 0.333333, 0.333333]);
    expect(round(batched[2])).toEqual([0.333333, 0.333333, 0.666667]);
    expect([...batched[3]]).toEqual([...batched[1]]);
  });

  it('honours an aborted signal', async () => {
    const e = make('tiny-abort', { pooling: 'mean' });
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(e.embed(['cat'], { kind: 'query', signal: ac.signal })).rejects.toThrow('stop');
  });

  it('reports missing folders and files, bad pooling configs and bad options', async () => {
    await expect(new LocalEmbedder({ modelDir: join(root, 'nope') }).load()).rejects.toThrow(NotFoundError);
    const noTok = join(root, 'no-tokenizer');
    writeTinyModelFolder(noTok);
    rmSync(join(noTok, 'tokenizer.json'));
    await expect(new LocalEmbedder({ modelDir: noTok }).load()).rejects.toThrow(/no tokenizer.json/);
    const noOnnx = join(root, 'no-onnx');
    mkdirSync(noOnnx);
    await expect(new LocalEmbedder({ modelDir: noOnnx }).load()).rejects.toThrow(/looked for model.onnx, onnx\/model.onnx/);
    const maxPool = writeTinyModelFolder(join(root, 'max-pool'));
    mkdirSync(join(maxPool, '1_Pooling'));
    writeFileSync(join(maxPool, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_max_tokens: true }));
    await expect(new LocalEmbedder({ modelDir: maxPool }).load()).rejects.toThrow(InputFormatError);
    expect(() => new LocalEmbedder({ modelDir: noOnnx, batchSize: 0 })).toThrow(InvalidParameterError);
    expect(() => new LocalEmbedder({ modelDir: noOnnx, pooling: 'max' as never })).toThrow(/valid: auto, mean, cls/);
  });
});

describe('LocalEmbedder: Embedder contract (tiny ONNX model stands in for a real model)', () => {
  embedderContract(async () => {
    const e = make('tiny-contract', { pooling: 'mean', normalizeModule: true });
    await e.load();
    return { embedder: e };
  });
});

describe('pooling functions', () => {
  it('mean and CLS pooling, L2 normalisation', () => {
    // batch 2, seq 2, dim 2: seq 0 = [1,2],[3,4] (mask 1,1) → [2,3]; seq 1 = [5,6],[7,8] (mask 1,0) → [5,6]
    const h = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(meanPool(h, [1, 1, 1, 0], 2, 2, 2).map((v) => [...v])).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(clsPool(h, 2, 2, 2).map((v) => [...v])).toEqual([
      [1, 2],
      [5, 6],
    ]);
    expect(meanPool(h, [0, 0, 0, 0], 2, 2, 2).map((v) => [...v])).toEqual([
      [0, 0],
      [0, 0],
    ]); // all-masked: divided by the 1e-9 clamp, the sum is 0
    expect([...l2NormalizeInPlace(new Float32Array([3, 4]))]).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect([...l2NormalizeInPlace(new Float32Array([0, 0]))]).toEqual([0, 0]);
  });
});
