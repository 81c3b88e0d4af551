/**
 * A tiny sentence-embedding model folder, built on the fly for tests: it stands in for a real
 * model (multilingual-e5-small etc.) so the LocalEmbedder code path (tokenizer.json → ONNX
 * session → pooling → normalisation) runs offline, and the expected vectors can be worked out
 * by hand.
 *
 * The ONNX graph (opset 13):
 *   emb  = Gather(E, input_ids, axis=0)                       [B, T, D]
 *   mask = Unsqueeze(Cast(attention_mask, float), axes=[-1])  [B, T, 1]
 *   last_hidden_state = emb · mask                            [B, T, D]
 * so token t's hidden state is row `input_ids[t]` of `E` (zero at padding). `token_type_ids` is a
 * declared graph input the graph does not use, as BERT-style exports declare it.
 *
 * The tokenizer is a WordPiece `tokenizer.json` (lower-casing normaliser, whitespace
 * pre-tokenizer, `[CLS] … [SEP]` template), readable by @huggingface/transformers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Vocabulary of the tiny tokenizer: id = position. */
export const TINY_VOCAB = [
  '[PAD]', // 0
  '[UNK]', // 1
  '[CLS]', // 2
  '[SEP]', // 3
  'query', // 4
  'passage', // 5
  ':', // 6
  'cat', // 7
  'dog', // 8
  'play', // 9
  '##ing', // 10
  'sat', // 11
] as const;

/** Embedding table E of the tiny model: row i is the hidden state of token id i (D = 3). */
export const TINY_EMBEDDINGS: number[][] = [
  [0, 0, 0], // [PAD]
  [0, 0, 1], // [UNK]
  [1, 1, 1], // [CLS]
  [0, 0, 0], // [SEP]
  [2, 0, 0], // query
  [0, 2, 0], // passage
  [0, 0, 0], // :
  [3, 0, 0], // cat
  [0, 3, 0], // dog
  [1, 2, 0], // play
  [0, 1, 2], // ##ing
  [1, 0, 1], // sat
];

export const TINY_DIMENSION = 3;

function valueInfo(name: string, elemType: number, dims: Array<number | string>): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number' ? onnx.TensorShapeProto.Dimension.create({ dimValue: d }) : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

/** Serialises the tiny ONNX graph described in the module comment. */
export function tinyOnnxModelBytes(embeddings: number[][] = TINY_EMBEDDINGS): Uint8Array {
  const vocabSize = embeddings.length;
  const dim = embeddings[0].length;
  const table = onnx.TensorProto.create({
    name: 'E',
    dataType: onnx.TensorProto.DataType.FLOAT,
    dims: [vocabSize, dim],
    floatData: embeddings.flat(),
  });
  const axes = onnx.TensorProto.create({ name: 'axes', dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [-1] });
  const graph = onnx.GraphProto.create({
    name: 'tiny-sentence-encoder',
    initializer: [table, axes],
    node: [
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['E', 'input_ids'],
        output: ['emb'],
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
      onnx.NodeProto.create({
        opType: 'Cast',
        input: ['attention_mask'],
        output: ['mask_f'],
        attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT })],
      }),
      onnx.NodeProto.create({ opType: 'Unsqueeze', input: ['mask_f', 'axes'], output: ['mask3'] }),
      onnx.NodeProto.create({ opType: 'Mul', input: ['emb', 'mask3'], output: ['last_hidden_state'] }),
    ],
    input: [
      valueInfo('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
      valueInfo('attention_mask', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
      valueInfo('token_type_ids', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
    ],
    output: [valueInfo('last_hidden_state', onnx.TensorProto.DataType.FLOAT, ['batch', 'seq', dim])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'openbook-tests',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** tokenizer.json (Hugging Face tokenizers format) for `TINY_VOCAB`, WordPiece with `##` continuations. */
export function tinyTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  TINY_VOCAB.forEach((t, i) => (vocab[t] = i));
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export interface TinyModelFolderOptions {
  /** Write a sentence-transformers `1_Pooling/config.json` with this mode (absent: no pooling config). */
  pooling?: 'mean' | 'cls';
  /** Write `modules.json` listing a Normalize module. */
  normalizeModule?: boolean;
  /** Put model.onnx under `onnx/` (transformers.js layout) instead of the folder root (Optimum layout). */
  onnxSubfolder?: boolean;
  /** `model_max_length` in tokenizer_config.json. */
  modelMaxLength?: number;
}

/** Writes the tiny model folder into `dir` (created if absent) and returns `dir`. */
export function writeTinyModelFolder(dir: string, options: TinyModelFolderOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const onnxDir = options.onnxSubfolder ? join(dir, 'onnx') : dir;
  mkdirSync(onnxDir, { recursive: true });
  writeFileSync(join(onnxDir, 'model.onnx'), tinyOnnxModelBytes());
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: options.modelMaxLength ?? 512,
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
    }),
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: TINY_DIMENSION }));
  if (options.pooling) {
    mkdirSync(join(dir, '1_Pooling'), { recursive: true });
    writeFileSync(
      join(dir, '1_Pooling', 'config.json'),
      JSON.stringify({
        word_embedding_dimension: TINY_DIMENSION,
        pooling_mode_cls_token: options.pooling === 'cls',
        pooling_mode_mean_tokens: options.pooling === 'mean',
        pooling_mode_max_tokens: false,
        pooling_mode_mean_sqrt_len_tokens: false,
      }),
    );
  }
  if (options.normalizeModule) {
    const modules = [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ];
    writeFileSync(join(dir, 'modules.json'), JSON.stringify(modules));
  }
  return dir;
}

/**
 * A tiny sequence-classification graph (cross-encoder / NLI stand-in), opset 13:
 *   row    = input_ids + V · token_type_ids                      [B, T]   (V = vocabulary size)
 *   w      = Gather(W, row, axis=0) · Unsqueeze(Cast(mask))      [B, T, C]
 *   logits = ReduceSum(w, axes=[1], keepdims=0) + bias           [B, C]
 * so a logit is the sum, over the non-padding tokens, of that token's weight in its segment:
 * `weightsA[id]` for tokens of the first text (and the frame tokens typed 0), `weightsB[id]` for
 * those of the second (typed 1). Hand-computable: `[CLS] cat [SEP] dog sat [SEP]` scores
 * A[CLS] + A[cat] + A[SEP] + B[dog] + B[sat] + B[SEP].
 */
export interface TinyClassifierWeights {
  /** One row of C weights per token id of `TINY_VOCAB`, for segment A (token type 0). */
  weightsA: number[][];
  /** The same for segment B (token type 1). */
  weightsB: number[][];
  /** C biases added to every row (default zeros). */
  bias?: number[];
  /** `config.json` id2label names, C of them (default LABEL_0 …). */
  labels?: string[];
}

/** Serialises the tiny sequence-classification graph described above. */
export function tinyClassifierOnnxBytes(w: TinyClassifierWeights): Uint8Array {
  const vocabSize = w.weightsA.length;
  if (w.weightsB.length !== vocabSize) throw new Error('weightsA and weightsB need one row per token id');
  const numLabels = w.weightsA[0].length;
  const f = onnx.TensorProto.DataType.FLOAT;
  const i64 = onnx.TensorProto.DataType.INT64;
  const graph = onnx.GraphProto.create({
    name: 'tiny-sequence-classifier',
    initializer: [
      onnx.TensorProto.create({ name: 'W', dataType: f, dims: [2 * vocabSize, numLabels], floatData: [...w.weightsA.flat(), ...w.weightsB.flat()] }),
      onnx.TensorProto.create({ name: 'V', dataType: i64, dims: [], int64Data: [vocabSize] }),
      onnx.TensorProto.create({ name: 'bias', dataType: f, dims: [numLabels], floatData: w.bias ?? new Array<number>(numLabels).fill(0) }),
      onnx.TensorProto.create({ name: 'axes_last', dataType: i64, dims: [1], int64Data: [-1] }),
      onnx.TensorProto.create({ name: 'axes_seq', dataType: i64, dims: [1], int64Data: [1] }),
    ],
    node: [
      onnx.NodeProto.create({ opType: 'Mul', input: ['token_type_ids', 'V'], output: ['offset'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['input_ids', 'offset'], output: ['row'] }),
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['W', 'row'],
        output: ['w'],
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
      onnx.NodeProto.create({
        opType: 'Cast',
        input: ['attention_mask'],
        output: ['mask_f'],
        attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: f })],
      }),
      onnx.NodeProto.create({ opType: 'Unsqueeze', input: ['mask_f', 'axes_last'], output: ['mask3'] }),
      onnx.NodeProto.create({ opType: 'Mul', input: ['w', 'mask3'], output: ['wm'] }),
      onnx.NodeProto.create({
        opType: 'ReduceSum',
        input: ['wm', 'axes_seq'],
        output: ['summed'],
        attribute: [onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
      onnx.NodeProto.create({ opType: 'Add', input: ['summed', 'bias'], output: ['logits'] }),
    ],
    input: [
      valueInfo('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
      valueInfo('attention_mask', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
      valueInfo('token_type_ids', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
    ],
    output: [valueInfo('logits', onnx.TensorProto.DataType.FLOAT, ['batch', numLabels])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'openbook-tests',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Rows of zeros for every token id, with `set` overriding single ids: `{ cat: [2] }`. */
export function tinyWeightRows(numLabels: number, set: Partial<Record<(typeof TINY_VOCAB)[number], number[]>> = {}): number[][] {
  return TINY_VOCAB.map((t) => set[t] ?? new Array<number>(numLabels).fill(0));
}

/**
 * A one-logit cross-encoder stand-in: the logit is 2·#cat + 1·#dog − 1·#sat + 0.5·#play over the
 * passage (segment B) tokens and 0 for everything in the query (segment A) and the frame.
 */
export const TINY_CROSS_ENCODER: TinyClassifierWeights = {
  weightsA: tinyWeightRows(1),
  weightsB: tinyWeightRows(1, { cat: [2], dog: [1], sat: [-1], play: [0.5] }),
};

/**
 * A three-label NLI stand-in (entailment, neutral, contradiction as in cross-encoder/nli-*):
 * hypothesis (segment B) token weights per label; the premise (segment A) adds to entailment for
 * each shared animal word. Logits (e, n, c) = Σ_A weightsA + Σ_B weightsB.
 */
export const TINY_NLI: TinyClassifierWeights = {
  weightsA: tinyWeightRows(3, { cat: [2, 0, 0], dog: [2, 0, 0] }),
  weightsB: tinyWeightRows(3, { cat: [-1, 0, 0], dog: [-1, 0, 0], '[UNK]': [0, 0.5, 0], sat: [0, 0, 1] }),
  labels: ['entailment', 'neutral', 'contradiction'],
};

/** Writes a tiny sequence-classification folder (model.onnx, tokenizer files, config.json with id2label) into `dir`. */
export function writeTinyClassifierFolder(dir: string, weights: TinyClassifierWeights = TINY_CROSS_ENCODER, options: { modelMaxLength?: number } = {}): string {
  writeTinyModelFolder(dir, { modelMaxLength: options.modelMaxLength });
  writeFileSync(join(dir, 'model.onnx'), tinyClassifierOnnxBytes(weights));
  const numLabels = weights.weightsA[0].length;
  const labels = weights.labels ?? Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'bert', architectures: ['BertForSequenceClassification'], id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])) }),
  );
  return dir;
}
