/**
 * Sequence classification over a local ONNX model folder: a text, or a text pair, in → one row of
 * logits out. This is the shape of a cross-encoder reranker (`cross-encoder/ms-marco-MiniLM-L-6-v2`,
 * `BAAI/bge-reranker-v2-m3`, `jinaai/jina-reranker-v2-base-multilingual`: one logit, query and
 * passage as the pair) and of an NLI model (`cross-encoder/nli-deberta-v3-xsmall`,
 * `MoritzLaurer/mDeBERTa-v3-base-xnli…`: three logits, premise and hypothesis as the pair), as
 * Hugging Face Optimum exports them for `AutoModelForSequenceClassification`.
 *
 * Same runtime and tokenizer stack as the local embedder (`local-embedder.ts`): the tokenizer is
 * read from the folder's `tokenizer.json` by @huggingface/transformers with `local_files_only`
 * (the hub is never contacted), the graph runs in onnxruntime-node on the CPU, and both libraries
 * are imported in `load()`.
 *
 * Encoding of a pair follows the tokenizer's own pair template, found by probing it once
 * (BERT: `[CLS] a [SEP] b [SEP]`, token types 0…0 1…1; XLM-R: `<s> a </s></s> b </s>`). When the
 * pair is longer than `maxLength`, tokens are removed one at a time from the end of the longer
 * sequence (ties: from the second), the `longest_first` strategy of Hugging Face tokenizers, so
 * the special tokens always survive. Inputs are batched in length order (less padding) and
 * returned in input order.
 *
 * Output: the graph output named `logits` (else its first output), shape [batch, numLabels] or
 * [batch]; labels come from `config.json` `id2label` (else `LABEL_<i>`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputFormatError, InvalidParameterError, ModelError } from '../core/errors.js';
import { openOnnxFolder, readModelFolder, type ModelFolderInfo } from './onnx-folder.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type Tensor = import('onnxruntime-node').Tensor;
type Tokenizer = import('@huggingface/transformers').PreTrainedTokenizer;

/** One input: a text, or a text pair (query + passage, premise + hypothesis). */
export interface ClassifierInput {
  text: string;
  textPair?: string;
}

export interface SequenceClassifierOptions {
  /** The model folder (absolute, or relative to the process's working directory). */
  modelDir: string;
  /** Default `local:<folder name>`; keys caches, so keep it stable across machines. */
  id?: string;
  /** Inputs per forward pass, ≥ 1. Default 16. */
  batchSize?: number;
  /** Token limit per input, special tokens included. Default min(tokenizer model_max_length, 512). */
  maxLength?: number;
  /** ONNX file relative to modelDir (e.g. "onnx/model_quantized.onnx"). Default model.onnx or onnx/model.onnx. */
  onnxFile?: string;
  /** onnxruntime intra-op threads. Default: onnxruntime's choice. */
  threads?: number;
  /**
   * How a pair longer than `maxLength` is cut: `longest_first` (default; Hugging Face's default
   * strategy) or `only_first` (only the first text loses tokens, as RetRobust's NLI code asks of
   * bart-large-mnli: the premise is cut, the hypothesis kept; when the second text alone does not
   * fit, longest_first is used).
   */
  truncation?: 'longest_first' | 'only_first';
}

export interface ClassifyOptions {
  signal?: AbortSignal;
}

/** How the tokenizer frames one text or a pair: special ids (and their token types) around the parts. */
interface Frame {
  /** Ids before, between (pairs only) and after the texts. */
  prefix: number[];
  middle: number[];
  suffix: number[];
  /** Token types of the frame's ids and of the texts' tokens. */
  prefixTypes: number[];
  middleTypes: number[];
  suffixTypes: number[];
  typeA: number;
  typeB: number;
}

interface Loaded {
  ort: Ort;
  session: Session;
  tokenizer: Tokenizer;
  folder: ModelFolderInfo;
  single: Frame;
  pair: Frame;
  padId: number;
  maxLength: number;
  labels: string[];
  outputName: string;
}

export class OnnxSequenceClassifier {
  readonly id: string;
  private readonly dir: string;
  private loading: Promise<Loaded> | undefined;
  private state: Loaded | undefined;

  /** Cheap: checks the options only; nothing is read until `load()`. */
  constructor(private readonly options: SequenceClassifierOptions) {
    if (!options.modelDir) throw new InvalidParameterError('OnnxSequenceClassifier: modelDir is required');
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
      throw new InvalidParameterError(`OnnxSequenceClassifier: batchSize must be an integer ≥ 1, got ${options.batchSize}`);
    }
    if (options.maxLength !== undefined && (!Number.isInteger(options.maxLength) || options.maxLength < 4)) {
      throw new InvalidParameterError(`OnnxSequenceClassifier: maxLength must be an integer ≥ 4, got ${options.maxLength}`);
    }
    this.dir = resolve(options.modelDir);
    this.id = options.id ?? `local:${basename(this.dir)}`;
  }

  /** Label names by logit index (from config.json `id2label`); undefined before `load()`. */
  get labels(): string[] | undefined {
    return this.state?.labels;
  }

  /** The resolved token limit; undefined before `load()`. */
  get maxLength(): number | undefined {
    return this.state?.maxLength;
  }

  /**
   * Reads the folder, creates the ONNX session and the tokenizer, probes the tokenizer's single and
   * pair templates. Idempotent (concurrent calls share one load).
   * @throws NotFoundError when the folder, the ONNX file or tokenizer.json is missing
   * @throws InputFormatError on a malformed config.json
   * @throws ModelError when onnxruntime or the tokenizer cannot load the files
   */
  load(): Promise<void> {
    this.loading ??= this.doLoad().then((s) => (this.state = s));
    return this.loading.then(() => undefined);
  }

  private async doLoad(): Promise<Loaded> {
    const o = this.options;
    const folder = readModelFolder(this.dir, o.onnxFile, 'sequence-classification model');
    const { ort, session, tokenizer } = await openOnnxFolder(folder, o.threads);
    for (const name of session.inputNames) {
      if (!['input_ids', 'attention_mask', 'token_type_ids'].includes(name)) {
        throw new ModelError(`the ONNX model ${folder.onnxPath} wants an input "${name}" that a sequence classifier does not have (known: input_ids, attention_mask, token_type_ids)`);
      }
    }
    const outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
    const padId = typeof tokenizer.pad_token_id === 'number' ? tokenizer.pad_token_id : 0;
    const maxLength = o.maxLength ?? Math.min(folder.modelMaxLength ?? 512, 512);
    const single = probeFrame(tokenizer, this.dir, false);
    const pair = probeFrame(tokenizer, this.dir, true);
    if (pair.prefix.length + pair.middle.length + pair.suffix.length + 2 > maxLength) {
      throw new InvalidParameterError(`OnnxSequenceClassifier: maxLength ${maxLength} leaves no room for a text pair after the special tokens`);
    }
    return { ort, session, tokenizer, folder, single, pair, padId, maxLength, labels: readLabels(this.dir), outputName };
  }

  /**
   * Logits for each input, in input order: `result[i][c]` is the raw (pre-softmax) score of label
   * `labels[c]` for `inputs[i]`. A one-logit model (cross-encoder) gives rows of length 1.
   * @throws the load errors above; ModelError when a forward pass fails or its output has an unexpected shape; the signal's reason when aborted
   */
  async classify(inputs: ClassifierInput[], options: ClassifyOptions = {}): Promise<Float32Array[]> {
    if (inputs.length === 0) return [];
    options.signal?.throwIfAborted();
    await this.load();
    const s = this.state!;
    const batchSize = this.options.batchSize ?? 16;
    const encoded = inputs.map((x) => this.encode(s, x));
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length || a - b);
    const out = new Array<Float32Array>(inputs.length);
    for (let start = 0; start < order.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const idx = order.slice(start, start + batchSize);
      const rows = await this.forward(
        s,
        idx.map((i) => encoded[i]),
      );
      idx.forEach((i, j) => (out[i] = rows[j]));
    }
    return out;
  }

  /** Token ids and types of one input: the frame around the (truncated) texts. */
  private encode(s: Loaded, input: ClassifierInput): { ids: number[]; types: number[] } {
    const tok = (t: string) => s.tokenizer.encode(t, { add_special_tokens: false });
    if (input.textPair === undefined) {
      const f = s.single;
      const a = tok(input.text).slice(0, s.maxLength - f.prefix.length - f.suffix.length);
      return { ids: [...f.prefix, ...a, ...f.suffix], types: [...f.prefixTypes, ...a.map(() => f.typeA), ...f.suffixTypes] };
    }
    const f = s.pair;
    let a = tok(input.text);
    let b = tok(input.textPair);
    const room = s.maxLength - f.prefix.length - f.middle.length - f.suffix.length;
    if (a.length + b.length > room) {
      if (this.options.truncation === 'only_first' && b.length < room) a = a.slice(0, room - b.length);
      else [a, b] = truncateLongestFirst(a, b, room);
    }
    return {
      ids: [...f.prefix, ...a, ...f.middle, ...b, ...f.suffix],
      types: [...f.prefixTypes, ...a.map(() => f.typeA), ...f.middleTypes, ...b.map(() => f.typeB), ...f.suffixTypes],
    };
  }

  /** Pads one batch to its longest input (pad id, attention 0, type 0) and runs the graph. */
  private async forward(s: Loaded, batch: Array<{ ids: number[]; types: number[] }>): Promise<Float32Array[]> {
    const b = batch.length;
    const t = Math.max(...batch.map((x) => x.ids.length));
    const ids = new BigInt64Array(b * t);
    const mask = new BigInt64Array(b * t);
    const types = new BigInt64Array(b * t);
    batch.forEach((x, i) => {
      for (let j = 0; j < t; j++) {
        const real = j < x.ids.length;
        ids[i * t + j] = BigInt(real ? x.ids[j] : s.padId);
        mask[i * t + j] = real ? 1n : 0n;
        types[i * t + j] = BigInt(real ? x.types[j] : 0);
      }
    });
    const feeds: Record<string, Tensor> = {};
    for (const name of s.session.inputNames) {
      const data = name === 'input_ids' ? ids : name === 'attention_mask' ? mask : types;
      feeds[name] = new s.ort.Tensor('int64', data, [b, t]);
    }
    let result: Record<string, Tensor>;
    try {
      result = (await s.session.run(feeds)) as Record<string, Tensor>;
    } catch (err) {
      throw new ModelError(`the ONNX forward pass of ${s.folder.onnxPath} failed: ${(err as Error).message}`, { cause: err });
    }
    const tensor = result[s.outputName];
    const dims = tensor.dims as number[];
    const data = tensor.data as Float32Array;
    const width = dims.length === 1 ? 1 : dims.length === 2 ? dims[1] : -1;
    if (width < 1 || dims[0] !== b) {
      throw new ModelError(`the ONNX output "${s.outputName}" of ${s.folder.onnxPath} has shape [${dims.join(', ')}]; a sequence classifier gives [batch, numLabels] or [batch]`);
    }
    return Array.from({ length: b }, (_, i) => Float32Array.from(data.subarray(i * width, (i + 1) * width)));
  }

  /** Releases the ONNX session. The classifier can be loaded again afterwards. */
  async close(): Promise<void> {
    const s = this.state;
    this.state = undefined;
    this.loading = undefined;
    await s?.session.release();
  }
}

/**
 * Hugging Face `longest_first` truncation of a pair to `room` tokens: remove the last token of the
 * longer sequence, one at a time (the second one on ties), as `truncate_sequences` in
 * transformers' tokenization_utils_base does.
 * @param room tokens left for both texts after the special tokens, ≥ 0
 */
export function truncateLongestFirst(a: number[], b: number[], room: number): [number[], number[]] {
  let na = a.length;
  let nb = b.length;
  while (na + nb > room) {
    if (na > nb) na--;
    else nb--;
  }
  return [a.slice(0, na), b.slice(0, nb)];
}

/** softmax(logits)_c = exp(l_c − max) / Σ exp(l_j − max), a probability vector over the labels. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const e = Array.from(logits, (l) => Math.exp(l - max));
  const z = e.reduce((x, y) => x + y, 0);
  return e.map((x) => x / z);
}

/** The logistic function 1 / (1 + e^−x): a one-logit cross-encoder's relevance probability. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * Index of the label whose name matches `name` case-insensitively by prefix ("entail" finds
 * "ENTAILMENT" and "entailment"), or -1.
 */
export function findLabel(labels: readonly string[], name: string): number {
  const n = name.toLowerCase();
  return labels.findIndex((l) => l.toLowerCase().startsWith(n));
}

/** `config.json` `id2label` as an array by id; `LABEL_<i>` fills gaps; [] when absent. */
function readLabels(dir: string): string[] {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return [];
  let config: { id2label?: Record<string, unknown> };
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as typeof config;
  } catch (err) {
    throw new InputFormatError(`${path} is not valid JSON`, { cause: err });
  }
  const map = config.id2label;
  if (!map || typeof map !== 'object') return [];
  const ids = Object.keys(map).map(Number);
  if (ids.some((i) => !Number.isInteger(i) || i < 0)) throw new InputFormatError(`${path}: id2label keys must be label ids 0, 1, …`);
  const n = Math.max(-1, ...ids) + 1;
  return Array.from({ length: n }, (_, i) => (typeof map[String(i)] === 'string' ? (map[String(i)] as string) : `LABEL_${i}`));
}

/**
 * Finds the special tokens (and token types) the tokenizer puts around one text or a pair, by
 * encoding probe texts with and without them and locating the bare tokens inside the framed ones.
 */
function probeFrame(tokenizer: Tokenizer, dir: string, pair: boolean): Frame {
  const a = tokenizer.encode('a', { add_special_tokens: false });
  const b = tokenizer.encode('b', { add_special_tokens: false });
  const enc = tokenizer('a', { text_pair: pair ? 'b' : null, add_special_tokens: true, return_token_type_ids: true, return_tensor: false }) as {
    input_ids: number[];
    token_type_ids?: number[];
  };
  const ids = enc.input_ids;
  const types = enc.token_type_ids ?? ids.map(() => 0);
  const at = (part: number[], from: number) => {
    for (let i = from; i + part.length <= ids.length; i++) if (part.every((id, j) => ids[i + j] === id)) return i;
    return -1;
  };
  const ia = at(a, 0);
  const ib = pair ? at(b, ia + a.length) : ids.length;
  if (ia < 0 || ib < 0) {
    throw new ModelError(`the tokenizer in ${dir} does not keep a text's tokens intact when adding special tokens; openbook cannot frame ${pair ? 'text pairs' : 'texts'} for it`);
  }
  const endB = pair ? ib + b.length : ids.length;
  return {
    prefix: ids.slice(0, ia),
    prefixTypes: types.slice(0, ia),
    typeA: types[ia] ?? 0,
    middle: pair ? ids.slice(ia + a.length, ib) : [],
    middleTypes: pair ? types.slice(ia + a.length, ib) : [],
    typeB: pair ? (types[ib] ?? 1) : 0,
    suffix: ids.slice(pair ? endB : ia + a.length),
    suffixTypes: types.slice(pair ? endB : ia + a.length),
  };
}
