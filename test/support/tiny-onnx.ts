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
