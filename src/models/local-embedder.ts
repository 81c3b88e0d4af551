/**
 * `Embedder` over a local sentence-embedding model folder (e.g. multilingual-e5-small exported
 * to ONNX), fully offline: the tokenizer is read from the folder's `tokenizer.json` by
 * @huggingface/transformers with `local_files_only` and an absolute path (so the hub is never
 * contacted and no global `env` is touched), and the ONNX graph runs in onnxruntime-node (CPU).
 *
 * Pipeline per batch: prefix by kind → tokenize (pad to the longest, truncate at `maxLength`) →
 * ONNX forward pass → pooling (mean over the attention mask, or CLS; see `onnx-pooling.ts`) →
 * optional L2 normalisation. A graph that already outputs a pooled `sentence_embedding` is used
 * as is. Texts are batched in length order (less padding) and returned in input order.
 *
 * Defaults come from the folder (see `onnx-folder.ts`): pooling from `1_Pooling/config.json`
 * (else mean), normalisation from `modules.json` (else on), prefixes from
 * `config_sentence_transformers.json` prompts, else "query: " / "passage: " when the folder name
 * marks an E5 model, else none. Every option given explicitly wins.
 *
 * Both libraries are imported in `load()` (they are large), not at module load.
 */
import { basename, resolve } from 'node:path';
import { InvalidParameterError, ModelError } from '../core/errors.js';
import { looksLikeE5, openOnnxFolder, readModelFolder, type ModelFolderInfo } from './onnx-folder.js';
import { clsPool, l2NormalizeInPlace, meanPool, poolingModes, type PoolingMode } from './onnx-pooling.js';
import type { EmbedOptions, Embedder } from './types.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type Tokenizer = import('@huggingface/transformers').PreTrainedTokenizer;

export interface LocalEmbedderOptions {
  /** The model folder (absolute, or relative to the process's working directory). */
  modelDir: string;
  /** Default `local:<folder name>`; keys the dense store, so keep it stable across machines. */
  id?: string;
  /** 'auto' (default) follows the folder's pooling config, else mean. */
  pooling?: PoolingMode | 'auto';
  /** L2-normalise outputs. Default: the folder's modules.json says, else true. */
  normalize?: boolean;
  /** Prepended to queries. Default: from the folder (see module comment). */
  queryPrefix?: string;
  /** Prepended to passages. Default: from the folder. */
  passagePrefix?: string;
  /** Texts per forward pass, ≥ 1. Default 32. */
  batchSize?: number;
  /** Token limit per text (longer texts are truncated). Default min(tokenizer model_max_length, 512). */
  maxLength?: number;
  /** ONNX file relative to modelDir (e.g. "onnx/model_quantized.onnx"). Default model.onnx or onnx/model.onnx. */
  onnxFile?: string;
  /** onnxruntime intra-op threads. Default: onnxruntime's choice. */
  threads?: number;
}

/** What `load()` resolved from the options and the folder. */
export interface LocalEmbedderSettings {
  pooling: PoolingMode;
  normalize: boolean;
  queryPrefix: string;
  passagePrefix: string;
  maxLength: number;
  dimension: number;
  onnxPath: string;
}

/** The resolved settings (less `onnxPath`, which `folder` holds) and what inference needs. */
interface Loaded extends Omit<LocalEmbedderSettings, 'onnxPath'> {
  ort: Ort;
  session: Session;
  tokenizer: Tokenizer;
  folder: ModelFolderInfo;
  /** Special-token ids the tokenizer puts before / after one sequence (e.g. [CLS] / [SEP], <s> / </s>). */
  prefixIds: number[];
  suffixIds: number[];
  padId: number;
}

export class LocalEmbedder implements Embedder {
  readonly id: string;
  private readonly dir: string;
  private loading: Promise<Loaded> | undefined;
  private loadedState: Loaded | undefined;

  /** Cheap: checks the options only; nothing is read until `load()`. */
  constructor(private readonly options: LocalEmbedderOptions) {
    if (!options.modelDir) throw new InvalidParameterError('LocalEmbedder: modelDir is required');
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
      throw new InvalidParameterError(`LocalEmbedder: batchSize must be an integer ≥ 1, got ${options.batchSize}`);
    }
    if (options.maxLength !== undefined && (!Number.isInteger(options.maxLength) || options.maxLength < 2)) {
      throw new InvalidParameterError(`LocalEmbedder: maxLength must be an integer ≥ 2, got ${options.maxLength}`);
    }
    if (options.pooling !== undefined && options.pooling !== 'auto' && !poolingModes.includes(options.pooling)) {
      throw new InvalidParameterError(`LocalEmbedder: unknown pooling "${options.pooling}"; valid: auto, ${poolingModes.join(', ')}`);
    }
    this.dir = resolve(options.modelDir);
    this.id = options.id ?? `local:${basename(this.dir)}`;
  }

  /** Whether vectors come back unit-length. Before `load()` this is the explicit option (default true). */
  get normalized(): boolean {
    return this.loadedState?.normalize ?? this.options.normalize ?? true;
  }

  /** What `load()` resolved (pooling, normalisation, prefixes, maxLength, dimension); undefined before. */
  get settings(): LocalEmbedderSettings | undefined {
    const s = this.loadedState;
    if (!s) return undefined;
    const { pooling, normalize, queryPrefix, passagePrefix, maxLength, dimension } = s;
    return { pooling, normalize, queryPrefix, passagePrefix, maxLength, dimension, onnxPath: s.folder.onnxPath };
  }

  /**
   * Reads the folder, creates the ONNX session and the tokenizer, and runs one probe text to learn
   * the output dimension. Idempotent (concurrent calls share one load).
   * @throws NotFoundError when the folder, the ONNX file or tokenizer.json is missing
   * @throws InputFormatError on malformed folder configs
   * @throws ModelError when onnxruntime or the tokenizer cannot load the files
   */
  load(): Promise<void> {
    this.loading ??= this.doLoad().then((s) => {
      this.loadedState = s;
      return s;
    });
    return this.loading.then(() => undefined);
  }

  private async doLoad(): Promise<Loaded> {
    const o = this.options;
    const folder = readModelFolder(this.dir, o.onnxFile);
    const { ort, session, tokenizer } = await openOnnxFolder(folder, o.threads);
    const e5 = looksLikeE5(this.dir);
    const state: Loaded = {
      ort,
      session,
      tokenizer,
      folder,
      pooling: o.pooling && o.pooling !== 'auto' ? o.pooling : (folder.pooling ?? 'mean'),
      normalize: o.normalize ?? folder.normalize ?? true,
      queryPrefix: o.queryPrefix ?? folder.prompts?.query ?? (e5 ? 'query: ' : ''),
      passagePrefix: o.passagePrefix ?? folder.prompts?.passage ?? (e5 ? 'passage: ' : ''),
      maxLength: o.maxLength ?? Math.min(folder.modelMaxLength ?? 512, 512),
      dimension: 0,
      ...specialTokenFrame(tokenizer, this.dir),
    };
    if (state.prefixIds.length + state.suffixIds.length >= state.maxLength) {
      throw new InvalidParameterError(`LocalEmbedder: maxLength ${state.maxLength} leaves no room for text after the special tokens`);
    }
    const [probe] = await this.forward(state, ['dimension probe']);
    state.dimension = probe.length;
    return state;
  }

  async dimension(): Promise<number> {
    await this.load();
    return this.loadedState!.dimension;
  }

  /**
   * Embeds `texts` (prefixed by `options.kind`) in batches of `batchSize`.
   * @returns one Float32Array of `dimension()` entries per text, in input order
   * @throws the load errors above; ModelError when a forward pass fails; the signal's reason when aborted
   */
  async embed(texts: string[], options: EmbedOptions): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    options.signal?.throwIfAborted();
    await this.load();
    const s = this.loadedState!;
    const prefix = options.kind === 'query' ? s.queryPrefix : s.passagePrefix;
    const batchSize = this.options.batchSize ?? 32;
    // Length order keeps padding low; results go back to input order.
    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length || a - b);
    const out = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const idx = order.slice(start, start + batchSize);
      const vectors = await this.forward(
        s,
        idx.map((i) => prefix + texts[i]),
      );
      idx.forEach((i, j) => (out[i] = vectors[j]));
    }
    return out;
  }

  /**
   * Tokenize → run → pool → normalise one batch. Truncation keeps the special tokens, as the
   * Hugging Face tokenizers library does (prefix + first maxLength − |specials| text tokens +
   * suffix); padding to the batch's longest with the pad id, attention mask 0 there.
   */
  private async forward(s: Loaded, batch: string[]): Promise<Float32Array[]> {
    const room = s.maxLength - s.prefixIds.length - s.suffixIds.length;
    const seqs = batch.map((text) => [...s.prefixIds, ...s.tokenizer.encode(text, { add_special_tokens: false }).slice(0, room), ...s.suffixIds]);
    const b = seqs.length;
    const t = Math.max(...seqs.map((q) => q.length));
    const enc = {
      input_ids: seqs.map((q) => [...q, ...new Array<number>(t - q.length).fill(s.padId)]),
      attention_mask: seqs.map((q) => [...new Array<number>(q.length).fill(1), ...new Array<number>(t - q.length).fill(0)]),
      token_type_ids: undefined as number[][] | undefined,
    };
    const int64 = (rows: number[][] | undefined, fill = 0) => {
      const data = new BigInt64Array(b * t);
      for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) data[i * t + j] = BigInt(rows ? rows[i][j] : fill);
      return new s.ort.Tensor('int64', data, [b, t]);
    };
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const name of s.session.inputNames) {
      if (name === 'input_ids') feeds[name] = int64(enc.input_ids);
      else if (name === 'attention_mask') feeds[name] = int64(enc.attention_mask);
      else if (name === 'token_type_ids') feeds[name] = int64(enc.token_type_ids, 0);
      else throw new ModelError(`the ONNX model ${s.folder.onnxPath} wants an input "${name}" that a sentence encoder does not have (known: input_ids, attention_mask, token_type_ids)`);
    }
    let result: Record<string, import('onnxruntime-node').Tensor>;
    try {
      result = (await s.session.run(feeds)) as Record<string, import('onnxruntime-node').Tensor>;
    } catch (err) {
      throw new ModelError(`the ONNX forward pass of ${s.folder.onnxPath} failed: ${(err as Error).message}`, { cause: err });
    }
    const names = s.session.outputNames;
    const tokenOut = ['last_hidden_state', 'token_embeddings'].find((n) => names.includes(n));
    const pooledOut = names.includes('sentence_embedding') ? 'sentence_embedding' : undefined;
    const useName = (this.options.pooling === undefined || this.options.pooling === 'auto') && pooledOut ? pooledOut : (tokenOut ?? pooledOut ?? names[0]);
    const tensor = result[useName];
    const data = tensor.data as Float32Array;
    let vectors: Float32Array[];
    if (tensor.dims.length === 3) {
      const [, seq, dim] = tensor.dims as number[];
      const mask = enc.attention_mask.flat();
      vectors = s.pooling === 'cls' ? clsPool(data, b, seq, dim) : meanPool(data, mask, b, seq, dim);
    } else if (tensor.dims.length === 2) {
      const dim = tensor.dims[1] as number;
      vectors = Array.from({ length: b }, (_, i) => data.slice(i * dim, (i + 1) * dim));
    } else {
      throw new ModelError(`the ONNX output "${useName}" of ${s.folder.onnxPath} has shape [${tensor.dims.join(', ')}]; expected [batch, seq, dim] or [batch, dim]`);
    }
    if (s.normalize) vectors.forEach(l2NormalizeInPlace);
    return vectors;
  }

  /** Releases the ONNX session. The embedder can be loaded again afterwards. */
  async close(): Promise<void> {
    const s = this.loadedState;
    this.loadedState = undefined;
    this.loading = undefined;
    await s?.session.release();
  }
}

/** Finds the special tokens wrapped around one sequence by comparing an encoding with and without them. */
function specialTokenFrame(tokenizer: Tokenizer, dir: string): { prefixIds: number[]; suffixIds: number[]; padId: number } {
  const bare = tokenizer.encode('a', { add_special_tokens: false });
  const framed = tokenizer.encode('a', { add_special_tokens: true });
  for (let i = 0; i + bare.length <= framed.length; i++) {
    if (bare.every((id, j) => framed[i + j] === id)) {
      const padId = tokenizer.pad_token_id ?? 0;
      return { prefixIds: framed.slice(0, i), suffixIds: framed.slice(i + bare.length), padId: typeof padId === 'number' ? padId : 0 };
    }
  }
  throw new ModelError(`the tokenizer in ${dir} does not keep a text's tokens intact when adding special tokens; openbook cannot frame sequences for it`);
}
