/**
 * A tiny causal language-model folder, built on the fly for tests: it stands in for a real
 * decoder (GPT-2, SmolLM2, Qwen2.5 exported to ONNX) so the LocalCausalLM code path
 * (tokenizer.json → ONNX session → logits / hidden states) runs offline and every probability
 * can be worked out by hand.
 *
 * Tokenizer: GPT-2-style byte-level BPE with no merges, so every UTF-8 byte is one token:
 * token id b (0..255) is byte b, id 256 is `<|endoftext|>` (EOS). V = 257.
 *
 * The ONNX graph (opset 13), embedding → one layer → logits:
 *   emb    = Gather(E, input_ids)           [B, T, 5]   E[v] = one-hot(class(v))
 *   hidden = MatMul(emb, W)                 [B, T, 5]   W = I₅ → output `last_hidden_state`
 *   logits = MatMul(hidden, U)              [B, T, 257]
 * with five token classes: 0 = "a", 1 = "b", 2 = " ", 3 = ".", 4 = every other token (EOS too).
 * Row c of U is 0 everywhere except one favoured next token with logit ln 768, so
 *   p(favoured | class c) = 768 / (768 + 256) = 0.75,   p(any other | class c) = 1 / 1024.
 * Favoured next tokens: a → "b", b → " ", " " → "a", "." → EOS, other → "a".
 * The model is a bigram model (the distribution depends on the current token only), which is
 * what makes perplexities and kNN-LM mixtures hand-computable. `attention_mask` and one
 * `past_key_values.0.key/value` pair are declared inputs the graph ignores, as decoder exports
 * declare them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const TINY_LM_VOCAB_SIZE = 257;
export const TINY_LM_EOS = 256;
export const TINY_LM_HIDDEN = 5;
/** p of the favoured next token, and of each of the other 256 tokens. */
export const P_FAVOURED = 0.75;
export const P_OTHER = 1 / 1024;

/** Class of a token id (see the module comment). */
export function tinyClass(id: number): number {
  if (id === 0x61) return 0;
  if (id === 0x62) return 1;
  if (id === 0x20) return 2;
  if (id === 0x2e) return 3;
  return 4;
}

/** Favoured next token id per class. */
export const FAVOURED_NEXT = [0x62, 0x20, 0x61, TINY_LM_EOS, 0x61];

/** p(next | current) of the tiny model. */
export function tinyProb(current: number, next: number): number {
  return FAVOURED_NEXT[tinyClass(current)] === next ? P_FAVOURED : P_OTHER;
}

/** GPT-2's bytes_to_unicode: the printable character standing for each byte in byte-level BPE. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

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

/** Serialises the graph of the module comment; `hiddenStates: false` leaves `last_hidden_state` out of the outputs. */
export function tinyCausalLmBytes(options: { hiddenStates?: boolean } = {}): Uint8Array {
  const V = TINY_LM_VOCAB_SIZE;
  const D = TINY_LM_HIDDEN;
  const E: number[] = [];
  for (let v = 0; v < V; v++) for (let c = 0; c < D; c++) E.push(tinyClass(v) === c ? 1 : 0);
  const W: number[] = [];
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) W.push(i === j ? 1 : 0);
  const U: number[] = [];
  for (let c = 0; c < D; c++) for (let v = 0; v < V; v++) U.push(FAVOURED_NEXT[c] === v ? Math.log(768) : 0);
  const f = onnx.TensorProto.DataType.FLOAT;
  const tensor = (name: string, dims: number[], data: number[]) => onnx.TensorProto.create({ name, dataType: f, dims, floatData: data });
  const withHidden = options.hiddenStates ?? true;
  const graph = onnx.GraphProto.create({
    name: 'tiny-causal-lm',
    initializer: [tensor('E', [V, D], E), tensor('W', [D, D], W), tensor('U', [D, V], U)],
    node: [
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['E', 'input_ids'],
        output: ['emb'],
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
      onnx.NodeProto.create({ opType: 'MatMul', input: ['emb', 'W'], output: ['last_hidden_state'] }),
      onnx.NodeProto.create({ opType: 'MatMul', input: ['last_hidden_state', 'U'], output: ['logits'] }),
    ],
    input: [
      valueInfo('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'seq']),
      valueInfo('attention_mask', onnx.TensorProto.DataType.INT64, ['batch', 'total_seq']),
      valueInfo('past_key_values.0.key', f, ['batch', 1, 'past_seq', D]),
      valueInfo('past_key_values.0.value', f, ['batch', 1, 'past_seq', D]),
    ],
    output: [
      valueInfo('logits', f, ['batch', 'seq', V]),
      ...(withHidden ? [valueInfo('last_hidden_state', f, ['batch', 'seq', D])] : []),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'openbook-tests',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Byte-level BPE tokenizer.json with one token per byte and `<|endoftext|>` = 256. */
export function tinyCausalTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
  vocab['<|endoftext|>'] = TINY_LM_EOS;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: TINY_LM_EOS, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
}

/** Writes the tiny causal LM folder (Optimum layout: model.onnx at the root, or under onnx/). */
export function writeTinyCausalLmFolder(dir: string, options: { hiddenStates?: boolean; onnxSubfolder?: boolean; contextLength?: number } = {}): string {
  const onnxDir = options.onnxSubfolder ? join(dir, 'onnx') : dir;
  mkdirSync(onnxDir, { recursive: true });
  writeFileSync(join(onnxDir, 'model.onnx'), tinyCausalLmBytes(options));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyCausalTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', model_max_length: options.contextLength ?? 64 }),
  );
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'gpt2',
      vocab_size: TINY_LM_VOCAB_SIZE,
      n_embd: TINY_LM_HIDDEN,
      n_head: 1,
      n_layer: 1,
      n_positions: options.contextLength ?? 64,
      bos_token_id: TINY_LM_EOS,
      eos_token_id: TINY_LM_EOS,
    }),
  );
  return dir;
}
