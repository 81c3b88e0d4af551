/**
 * `LanguageModel` over a local causal-LM folder (an ONNX decoder as exported by Hugging Face
 * Optimum / transformers.js for text generation: GPT-2, SmolLM2, Qwen2.5 …), fully offline, on
 * the same runtime stack as the local embedder: the tokenizer from the folder's `tokenizer.json`
 * via @huggingface/transformers (`local_files_only`, absolute path, no hub access) and the graph
 * in onnxruntime-node (CPU). Both are imported in `load()`.
 *
 * It implements the whole contract — chat generation (the folder's chat template when
 * tokenizer_config.json has one, else a plain "User: … / Assistant:" transcript; a trailing
 * assistant message is continued with `continueFinalMessage`, as on vLLM), streaming,
 * per-token log-probabilities with top alternatives, continuation scoring — and also
 * `TokenDistributionModel`: the full next-token distribution at every position and, when the
 * graph outputs `last_hidden_state` / `hidden_states` (Optimum's default decoder export does
 * not; see docs/models.md), the final-layer hidden states kNN-LM keys on.
 *
 * Graph inputs it feeds: `input_ids`, `attention_mask` (ones), `position_ids` (0..T−1),
 * `token_type_ids` (zeros), `use_cache_branch` (false) and every `past_key_values.*` as an
 * empty past ([1, kv heads, 0, head dim] from config.json). Each step re-runs the whole
 * sequence (no KV cache), so generating n tokens after a p-token prompt costs n forward passes
 * over ≤ p + n tokens: fine for small models and short answers, slow for long ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputFormatError, InvalidParameterError, ModelError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';
import type { TokenUsage } from '../core/types.js';
import { openOnnxFolder, readModelFolder } from './onnx-folder.js';
import type {
  ChatMessage,
  ContinuationScore,
  GenerateOptions,
  GenerateResult,
  Generation,
  LanguageModel,
  LanguageModelCapabilities,
  NextTokenForward,
  TokenDistributionModel,
  TokenLogprob,
} from './types.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type Tensor = import('onnxruntime-node').Tensor;
type Tokenizer = import('@huggingface/transformers').PreTrainedTokenizer;

export interface LocalCausalLMOptions {
  /** The model folder (absolute, or relative to the working directory). */
  modelDir: string;
  /** Default `local:<folder name>`. */
  id?: string;
  /** ONNX file relative to modelDir. Default model.onnx, onnx/model.onnx, decoder_model_merged.onnx, onnx/decoder_model_merged.onnx, decoder_model.onnx. */
  onnxFile?: string;
  /** onnxruntime intra-op threads. Default: onnxruntime's choice. */
  threads?: number;
  /** Position limit. Default: config.json n_positions / max_position_embeddings, else tokenizer model_max_length, else 1024. */
  contextLength?: number;
  /** Default upper bound on generated tokens when a call gives no `maxTokens`. Default 256. */
  defaultMaxTokens?: number;
}

/** What `load()` found in the folder, for `doctor`. */
export interface LocalCausalLMInfo {
  onnxPath: string;
  vocabSize: number;
  contextLength: number;
  hiddenStates: boolean;
  /** Name of the graph output the hidden states come from, when present. */
  hiddenOutput?: string;
  hiddenSize?: number;
  chatTemplate: boolean;
  inputs: string[];
  outputs: string[];
}

interface Loaded {
  ort: Ort;
  session: Session;
  tokenizer: Tokenizer;
  info: LocalCausalLMInfo;
  eos: number[];
  bos: number | undefined;
  /** [kv heads, head dim] for empty past_key_values inputs. */
  past: [number, number];
}

const ONNX_CANDIDATES = ['model.onnx', join('onnx', 'model.onnx'), 'decoder_model_merged.onnx', join('onnx', 'decoder_model_merged.onnx'), 'decoder_model.onnx', join('onnx', 'decoder_model.onnx')];
const HIDDEN_OUTPUTS = ['last_hidden_state', 'hidden_states', 'final_hidden_state'];

export class LocalCausalLM implements LanguageModel, TokenDistributionModel {
  readonly id: string;
  readonly capabilities: LanguageModelCapabilities = { chat: true, streaming: true, logprobs: true, echoScoring: true, prefill: true };
  private readonly dir: string;
  private loading: Promise<Loaded> | undefined;
  private state: Loaded | undefined;

  /** Cheap: checks the options only. */
  constructor(private readonly options: LocalCausalLMOptions) {
    if (!options.modelDir) throw new InvalidParameterError('LocalCausalLM: modelDir is required');
    if (options.contextLength !== undefined && (!Number.isInteger(options.contextLength) || options.contextLength < 2)) {
      throw new InvalidParameterError(`LocalCausalLM: contextLength must be an integer ≥ 2, got ${options.contextLength}`);
    }
    this.dir = resolve(options.modelDir);
    this.id = options.id ?? `local:${basename(this.dir)}`;
  }

  /** What the folder holds (after `load()`). */
  get info(): LocalCausalLMInfo | undefined {
    return this.state?.info;
  }

  private get s(): Loaded {
    if (!this.state) throw new ModelError(`LocalCausalLM ${this.id}: call load() first`);
    return this.state;
  }

  get vocabSize(): number {
    return this.s.info.vocabSize;
  }
  get hasHiddenStates(): boolean {
    return this.s.info.hiddenStates;
  }
  get contextLength(): number {
    return this.s.info.contextLength;
  }
  get eosTokenIds(): readonly number[] {
    return this.s.eos;
  }
  get bosTokenId(): number | undefined {
    return this.s.bos;
  }

  /**
   * Reads the folder, opens the ONNX session and the tokenizer, and runs one probe token to learn
   * the vocabulary size and whether hidden states come out. Idempotent.
   * @throws NotFoundError when the folder, an ONNX file or tokenizer.json is missing
   * @throws CapabilityError when the optional runtime packages are not installed
   * @throws ModelError when the files cannot be loaded or the graph has no `logits` output
   */
  load(): Promise<void> {
    this.loading ??= this.doLoad().then((s) => (this.state = s));
    return this.loading.then(() => undefined);
  }

  private async doLoad(): Promise<Loaded> {
    const o = this.options;
    const folder = readModelFolder(this.dir, o.onnxFile, 'language model', ONNX_CANDIDATES);
    const config = readJson(join(this.dir, 'config.json')) ?? {};
    const { ort, session, tokenizer } = await openOnnxFolder(folder, o.threads);
    if (!session.outputNames.includes('logits')) {
      throw new ModelError(`${folder.onnxPath} has no "logits" output (outputs: ${session.outputNames.join(', ')}); export it for the text-generation task`);
    }
    const num = (...keys: string[]) => keys.map((k) => config[k]).find((v): v is number => typeof v === 'number' && v > 0);
    const heads = num('num_key_value_heads', 'num_attention_heads', 'n_head') ?? 1;
    const hidden = num('hidden_size', 'n_embd', 'd_model') ?? heads;
    const headDim = num('head_dim') ?? Math.max(1, Math.floor(hidden / (num('num_attention_heads', 'n_head') ?? heads)));
    const contextLength = o.contextLength ?? num('n_positions', 'max_position_embeddings', 'n_ctx') ?? folder.modelMaxLength ?? 1024;
    const ids = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
    const generation = readJson(join(this.dir, 'generation_config.json')) ?? {};
    const eos = [...new Set([...ids(generation.eos_token_id), ...ids(config.eos_token_id), ...ids(tokenizer.eos_token_id)])];
    const bosRaw = ids(config.bos_token_id)[0] ?? ids(tokenizer.bos_token_id ?? undefined)[0];
    const hiddenOutput = pickHiddenOutput(session.outputNames);
    const state: Loaded = {
      ort,
      session,
      tokenizer,
      eos,
      bos: bosRaw,
      past: [heads, headDim],
      info: {
        onnxPath: folder.onnxPath,
        vocabSize: 0,
        contextLength,
        hiddenStates: hiddenOutput !== undefined,
        ...(hiddenOutput ? { hiddenOutput } : {}),
        chatTemplate: typeof (tokenizer as unknown as { chat_template?: unknown }).chat_template === 'string',
        inputs: [...session.inputNames],
        outputs: [...session.outputNames],
      },
    };
    const probe = await this.run(state, [eos[0] ?? 0]);
    state.info.vocabSize = probe.vocabSize;
    if (probe.hiddenSize !== undefined) state.info.hiddenSize = probe.hiddenSize;
    return state;
  }

  encode(text: string): number[] {
    return this.s.tokenizer.encode(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[]): string {
    return this.s.tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /**
   * One forward pass over `ids`; see `NextTokenForward`.
   * @throws InvalidParameterError when `ids` is empty or longer than `contextLength`
   */
  async forward(ids: readonly number[], signal?: AbortSignal): Promise<NextTokenForward> {
    signal?.throwIfAborted();
    await this.load();
    if (ids.length === 0 || ids.length > this.s.info.contextLength) {
      throw new InvalidParameterError(`LocalCausalLM.forward: ${ids.length} tokens; expected 1..${this.s.info.contextLength} (the context length)`);
    }
    return this.run(this.s, ids);
  }

  private async run(s: Loaded, ids: readonly number[]): Promise<NextTokenForward> {
    const t = ids.length;
    const int64 = (f: (i: number) => number, n = t) => new s.ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i))), [1, n]);
    const feeds: Record<string, Tensor> = {};
    for (const name of s.session.inputNames) {
      if (name === 'input_ids') feeds[name] = int64((i) => ids[i]);
      else if (name === 'attention_mask') feeds[name] = int64(() => 1);
      else if (name === 'position_ids') feeds[name] = int64((i) => i);
      else if (name === 'token_type_ids') feeds[name] = int64(() => 0);
      else if (name === 'use_cache_branch') feeds[name] = new s.ort.Tensor('bool', [false], [1]);
      else if (name.startsWith('past_key_values.') || name.startsWith('past.')) feeds[name] = new s.ort.Tensor('float32', new Float32Array(0), [1, s.past[0], 0, s.past[1]]);
      else throw new ModelError(`the ONNX decoder ${s.info.onnxPath} wants an input "${name}" openbook does not know (known: input_ids, attention_mask, position_ids, token_type_ids, use_cache_branch, past_key_values.*)`);
    }
    let out: Record<string, Tensor>;
    try {
      out = (await s.session.run(feeds)) as Record<string, Tensor>;
    } catch (err) {
      throw new ModelError(`the ONNX forward pass of ${s.info.onnxPath} failed: ${(err as Error).message}`, { cause: err });
    }
    const logits = out.logits;
    if (logits.dims.length !== 3 || logits.dims[1] !== t) throw new ModelError(`"logits" of ${s.info.onnxPath} has shape [${logits.dims.join(', ')}]; expected [1, ${t}, vocab]`);
    const v = logits.dims[2] as number;
    const logprobs = Float32Array.from(logits.data as Float32Array);
    for (let i = 0; i < t; i++) logSoftmaxInPlace(logprobs.subarray(i * v, (i + 1) * v));
    const result: NextTokenForward = { length: t, vocabSize: v, logprobs };
    const hName = s.info.hiddenOutput;
    if (hName && out[hName]) {
      const h = out[hName];
      const d = h.dims[h.dims.length - 1] as number;
      const data = h.data as Float32Array;
      // [1, T, D], or [layers, 1, T, D] / [1, layers, T, D] stacks: the last T·D values are the final layer.
      result.hidden = Float32Array.from(data.subarray(data.length - t * d));
      result.hiddenSize = d;
    }
    return result;
  }

  /**
   * The prompt text a chat becomes: the folder's chat template, or the plain transcript (module
   * comment). With `continueFinalMessage` and a trailing assistant message, that message is left
   * open for the model to continue — the chat before it with the generation prompt, then its text
   * verbatim — as vLLM renders `continue_final_message: true` with `add_generation_prompt: false`.
   */
  chatPrompt(messages: ChatMessage[], continueFinalMessage = false): string {
    const last = messages.at(-1);
    if (continueFinalMessage && last?.role === 'assistant') return this.chatPrompt(messages.slice(0, -1)) + last.content;
    const s = this.s;
    if (s.info.chatTemplate) {
      return s.tokenizer.apply_chat_template(messages as unknown as Parameters<Tokenizer['apply_chat_template']>[0], { tokenize: false, add_generation_prompt: true }) as string;
    }
    const role = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
    return messages.map((m) => `${role[m.role]}: ${m.content}\n`).join('') + 'Assistant:';
  }

  async generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    const it = this.stream(messages, options);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  /**
   * Decodes `n` samples one after the other (greedy at temperature 0, else sampling from
   * softmax(logits / temperature) with mulberry32(seed + sample index)); yields the first
   * sample's text deltas. Reported log-probabilities are the model's (temperature 1).
   */
  async *stream(messages: ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult, void> {
    options.signal?.throwIfAborted();
    await this.load();
    const started = performance.now();
    const n = options.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new InvalidParameterError(`LocalCausalLM: n must be an integer ≥ 1, got ${n}`);
    const temperature = options.temperature ?? 0;
    if (!(temperature >= 0)) throw new InvalidParameterError(`LocalCausalLM: temperature must be ≥ 0, got ${temperature}`);
    const topK = options.logprobs ? Math.min(20, Math.max(0, options.topLogprobs ?? 0)) : 0;
    const prompt = this.encode(this.chatPrompt(messages, options.continueFinalMessage));
    const usage: TokenUsage = { promptTokens: prompt.length, completionTokens: 0 };
    const generations: Generation[] = [];
    for (let k = 0; k < n; k++) {
      const rng = mulberry32((options.seed ?? 0) + k);
      const dec = new Decoder(this, options.stop ?? [], options.maxTokens ?? this.options.defaultMaxTokens ?? 256);
      const step = (ids: number[]) => this.next(ids, options.signal);
      let ids = [...prompt];
      while (!dec.done) {
        const row = await step(ids);
        const id = temperature === 0 ? argmax(row) : sample(row, temperature, rng);
        usage.completionTokens += 1;
        if (this.s.eos.includes(id)) {
          dec.finish('stop');
          break;
        }
        const delta = dec.push(id, row[id], topK > 0 ? topAlternatives(row, topK, (i) => this.decode([i])) : undefined);
        if (k === 0 && delta) yield delta;
        ids = [...ids, id];
      }
      const tail = dec.flush();
      if (k === 0 && tail) yield tail;
      generations.push(dec.generation(Boolean(options.logprobs)));
    }
    return { generations, usage, model: this.id, latencyMs: performance.now() - started };
  }

  /** log p(· | ids) at the last position, the sequence cut from the left to the context length. */
  private async next(ids: number[], signal?: AbortSignal): Promise<Float32Array> {
    const window = ids.length > this.s.info.contextLength ? ids.slice(ids.length - this.s.info.contextLength) : ids;
    const f = await this.forward(window, signal);
    return f.logprobs.subarray((f.length - 1) * f.vocabSize, f.length * f.vocabSize);
  }

  /**
   * log p(continuation | prompt): the prompt's and the continuation's token ids (encoded
   * separately, as lm-evaluation-harness does for its loglikelihood requests), one forward pass,
   * the sum over the continuation's positions. An empty prompt is the BOS token when the model
   * has one. Prompts longer than the context lose tokens from the left.
   */
  async scoreContinuation(prompt: string, continuation: string, options: { signal?: AbortSignal } = {}): Promise<ContinuationScore> {
    options.signal?.throwIfAborted();
    await this.load();
    let p = this.encode(prompt);
    if (p.length === 0) {
      if (this.s.bos === undefined) throw new InvalidParameterError('scoreContinuation: empty prompt and the model has no BOS token to condition on');
      p = [this.s.bos];
    }
    const c = this.encode(continuation);
    if (c.length === 0) return { logprob: 0, tokens: [] };
    if (c.length >= this.s.info.contextLength) throw new InvalidParameterError(`scoreContinuation: the continuation has ${c.length} tokens; the context holds ${this.s.info.contextLength}`);
    const keep = Math.min(p.length, this.s.info.contextLength - c.length);
    const ids = [...p.slice(p.length - keep), ...c];
    const f = await this.forward(ids, options.signal);
    const dec = new Decoder(this, [], Infinity);
    let sum = 0;
    for (let i = 0; i < c.length; i++) {
      const pos = keep + i - 1;
      const row = f.logprobs.subarray(pos * f.vocabSize, (pos + 1) * f.vocabSize);
      sum += row[c[i]];
      dec.push(c[i], row[c[i]], topAlternatives(row, 1, (x) => this.decode([x])));
    }
    dec.flush();
    return { logprob: sum, tokens: dec.generation(true).logprobs ?? [] };
  }

  /** Releases the ONNX session; `load()` may be called again. */
  async close(): Promise<void> {
    const s = this.state;
    this.state = undefined;
    this.loading = undefined;
    await s?.session.release();
  }
}

/**
 * Turns token ids into text deltas: each token's text is the growth of the decoded prefix (so
 * multi-byte characters split across byte-level tokens come out whole, on the token that
 * completes them), stop strings cut the text (and the token list) where they begin, and text
 * that could still become a stop string is held back until it cannot.
 */
class Decoder {
  private ids: number[] = [];
  private text = '';
  private emitted = 0;
  private readonly tokens: TokenLogprob[] = [];
  done = false;
  private reason = 'length';
  private readonly hold: number;

  constructor(
    private readonly lm: LocalCausalLM,
    private readonly stop: string[],
    private readonly maxTokens: number,
  ) {
    this.hold = Math.max(0, ...stop.map((x) => x.length - 1));
    if (maxTokens <= 0) this.done = true;
  }

  /** Adds a token; returns the text that is safe to emit now. */
  push(id: number, logprob: number, top?: Array<{ token: string; logprob: number }>): string {
    this.ids.push(id);
    const full = this.lm.decode(this.ids).replace(/\uFFFD+$/u, '');
    const piece = full.startsWith(this.text) ? full.slice(this.text.length) : '';
    this.text = full.startsWith(this.text) ? full : this.text;
    this.tokens.push({ token: piece, logprob, ...(top ? { top } : {}) });
    const cut = this.stopIndex();
    if (cut >= 0) {
      this.truncate(cut);
      this.finish('stop');
      return this.take(this.text.length);
    }
    if (this.ids.length >= this.maxTokens) {
      this.finish('length');
      return '';
    }
    return this.take(Math.max(this.emitted, this.text.length - this.hold));
  }

  finish(reason: string): void {
    this.done = true;
    this.reason = reason;
  }

  /** The rest of the text (the final decode, trailing partial characters included). */
  flush(): string {
    if (this.reason !== 'stop' || this.stopIndex() < 0) {
      const full = this.lm.decode(this.ids);
      if (full.startsWith(this.text) && full.length > this.text.length && this.tokens.length > 0) {
        this.tokens[this.tokens.length - 1].token += full.slice(this.text.length);
        this.text = full;
      }
      const cut = this.stopIndex();
      if (cut >= 0) {
        this.truncate(cut);
        this.reason = 'stop';
      }
    }
    return this.take(this.text.length);
  }

  generation(withLogprobs: boolean): Generation {
    return { text: this.text, finishReason: this.reason, ...(withLogprobs ? { logprobs: this.tokens } : {}) };
  }

  private stopIndex(): number {
    let cut = -1;
    for (const s of this.stop) {
      const i = s.length > 0 ? this.text.indexOf(s) : -1;
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    return cut;
  }

  /** Cuts the text at `at` and drops or shortens the tokens past it. */
  private truncate(at: number): void {
    this.text = this.text.slice(0, at);
    let pos = 0;
    let keep = 0;
    for (const t of this.tokens) {
      if (pos >= at) break;
      if (pos + t.token.length > at) t.token = t.token.slice(0, at - pos);
      pos += t.token.length;
      keep++;
    }
    this.tokens.length = keep;
  }

  private take(upTo: number): string {
    if (upTo <= this.emitted) return '';
    const out = this.text.slice(this.emitted, upTo);
    this.emitted = upTo;
    return out;
  }
}

/** log-softmax of a row, in place (max-shifted for stability). */
export function logSoftmaxInPlace(row: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < row.length; i++) row[i] -= lse;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function sample(row: Float32Array, temperature: number, rng: () => number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const w = new Float64Array(row.length);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += w[i] = Math.exp((row[i] - max) / temperature);
  let u = rng() * total;
  for (let i = 0; i < row.length; i++) {
    u -= w[i];
    if (u <= 0) return i;
  }
  return row.length - 1;
}

/** The `k` most likely tokens of a log-probability row, best first (ties: lower id first). */
export function topAlternatives(row: Float32Array, k: number, text: (id: number) => string): Array<{ token: string; logprob: number }> {
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (best.length < k || row[i] > row[best[best.length - 1]]) {
      best.push(i);
      best.sort((a, b) => row[b] - row[a] || a - b);
      if (best.length > k) best.pop();
    }
  }
  return best.map((i) => ({ token: text(i), logprob: row[i] }));
}

function pickHiddenOutput(names: readonly string[]): string | undefined {
  const direct = HIDDEN_OUTPUTS.find((n) => names.includes(n));
  if (direct) return direct;
  // Per-layer exports name them hidden_states.0 … hidden_states.L: the last is the final layer.
  const layers = names.map((n) => /^hidden_states\.(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null);
  if (layers.length === 0) return undefined;
  return layers.sort((a, b) => Number(b[1]) - Number(a[1]))[0][0];
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InputFormatError(`${path} is not valid JSON`, { cause: err });
  }
}

