/**
 * The model contracts every provider implements and every method builds on.
 * Providers: OpenAI-compatible HTTP (OpenAI, vLLM, llama.cpp server, Ollama `/v1`, LM Studio)
 * and local model folders (ONNX). Each implementation runs the shared contract suites in
 * `test/models/*-contract.ts`. A capability an endpoint lacks raises `CapabilityError`
 * (from `core/errors`), never a silent fallback; callers check `capabilities` first.
 */
import type { TokenUsage } from '../core/types.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One generated token with its log-probability (natural log) and, when asked, the top alternatives. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /**
   * The token's UTF-8 bytes when the endpoint reports them (OpenAI's `bytes`, also vLLM and
   * llama.cpp). A byte-level token may hold part of a character (a Hangul syllable spans two or
   * three tokens whose `token` strings are U+FFFD): identity is the byte sequence, and text is
   * decoded from the joined bytes of consecutive tokens (`tokensText`).
   */
  bytes?: number[];
  /** Up to `topLogprobs` alternatives at this position, best first (includes the chosen token when the endpoint does). */
  top?: Array<{ token: string; logprob: number; bytes?: number[] }>;
}

/** The text of consecutive tokens: their joined `bytes` decoded as UTF-8 when every token has them, else the joined strings. */
export function tokensText(tokens: ReadonlyArray<{ token: string; bytes?: number[] }>): string {
  if (tokens.length > 0 && tokens.every((t) => t.bytes !== undefined)) return Buffer.from(tokens.flatMap((t) => t.bytes!)).toString('utf8');
  return tokens.map((t) => t.token).join('');
}

export interface GenerateOptions {
  /** Sampling temperature ≥ 0; 0 = greedy. Default 0. */
  temperature?: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
  /** Generation stops before any of these strings; the stop string is not included in `text`. */
  stop?: string[];
  /** Number of independent samples (n ≥ 1). Default 1. */
  n?: number;
  seed?: number;
  /** Return per-token log-probabilities; 0..20 alternatives per position. Needs `capabilities.logprobs`. */
  logprobs?: boolean;
  topLogprobs?: number;
  /**
   * When the last message is from the assistant, continue it (prefill) instead of starting a new
   * assistant turn. The OpenAI-compatible provider sends vLLM's `continue_final_message: true`
   * with `add_generation_prompt: false` (vLLM `ChatCompletionRequest`); llama.cpp's server and
   * Ollama continue a trailing assistant message anyway; an endpoint that refuses the fields
   * (OpenAI: "Unrecognized request argument") raises `CapabilityError`. Default false.
   */
  continueFinalMessage?: boolean;
  signal?: AbortSignal;
}

export interface Generation {
  text: string;
  /** Why generation ended: 'stop' (EOS or a stop string), 'length' (maxTokens), or provider-specific. */
  finishReason: string;
  /** Present when `logprobs` was requested and the endpoint returned them. */
  logprobs?: TokenLogprob[];
}

export interface GenerateResult {
  /** One entry per sample (`n`). */
  generations: Generation[];
  usage: TokenUsage;
  model: string;
  latencyMs: number;
  /** True when the result came from a response cache (`CachedLanguageModel`) instead of the model. */
  cached?: boolean;
}

/** Log-likelihood of a given continuation under the model, token by token. */
export interface ContinuationScore {
  /** Σ log p(token_i | prompt, tokens_<i), natural log. */
  logprob: number;
  tokens: TokenLogprob[];
}

/** Options of a raw-prompt completion (`/v1/completions`: no chat template, the prompt as the model sees it). */
export interface CompleteOptions {
  /** Sampling temperature ≥ 0; 0 = greedy. Default 0. */
  temperature?: number;
  /** Upper bound on generated tokens. Default 256. */
  maxTokens?: number;
  /** Generation stops at any of these strings; the stop string is not in `text` (unless a server field keeps it). */
  stop?: string[];
  seed?: number;
  /** Top alternatives per generated token, 1..20 (the legacy `logprobs: k` field); omitted = no log-probabilities. */
  topLogprobs?: number;
  /**
   * Extra request fields a server understands, sent as they are: vLLM's `skip_special_tokens: false`
   * (keep a checkpoint's added tokens such as Self-RAG's `[Retrieval]` in the text) or
   * `include_stop_str_in_output`. A server that refuses unknown fields answers 400.
   */
  extra?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** What a raw-prompt completion returned. */
export interface CompleteResult {
  /** The generated text (the prompt not included). */
  text: string;
  /** 'stop' (EOS or a stop string), 'length' (maxTokens), or provider-specific. */
  finishReason: string;
  /** Per generated token, with `top` alternatives, when `topLogprobs` was asked and the endpoint returned them. */
  logprobs?: TokenLogprob[];
  usage: TokenUsage;
  model: string;
  latencyMs: number;
}

export interface LanguageModelCapabilities {
  chat: boolean;
  streaming: boolean;
  /** Token log-probabilities of generated tokens (with top-k alternatives). */
  logprobs: boolean;
  /** `scoreContinuation` works (completions endpoint with `echo` + `logprobs`). */
  echoScoring: boolean;
  /**
   * A trailing assistant message is continued (prefill, `continueFinalMessage`) rather than answered
   * with a new turn. Token-level decoding (REPLUG token mode, RAG-Token, RAG-Sequence beam) needs
   * it. vLLM (with `continue_final_message`), llama.cpp's server and Ollama continue; OpenAI's
   * hosted chat models do not.
   */
  prefill: boolean;
}

export interface LanguageModel {
  /** Provider-qualified model id, e.g. "openai-compatible:qwen2.5:7b". */
  readonly id: string;
  readonly capabilities: LanguageModelCapabilities;
  /** Chat completion. */
  generate(messages: ChatMessage[], options?: GenerateOptions): Promise<GenerateResult>;
  /** Streaming chat completion: yields text deltas, returns the full result. */
  stream(messages: ChatMessage[], options?: GenerateOptions): AsyncGenerator<string, GenerateResult, void>;
  /**
   * log p(continuation | prompt) for a raw text prompt (no chat template), via the
   * completions endpoint with `echo: true, logprobs: 1, max_tokens: 0`. Throws
   * `CapabilityError` when `capabilities.echoScoring` is false.
   */
  scoreContinuation(prompt: string, continuation: string, options?: { signal?: AbortSignal }): Promise<ContinuationScore>;
  /**
   * Raw-prompt generation (`/v1/completions`), for checkpoints trained on a transcript format rather
   * than a chat template (Self-RAG's reflection tokens, Search-R1's tags). Optional: a model without
   * it, or an endpoint without the route (OpenAI's chat models), raises `CapabilityError`.
   */
  complete?(prompt: string, options?: CompleteOptions): Promise<CompleteResult>;
}

export interface EmbedOptions {
  /** 'query' or 'passage': models with asymmetric prefixes (e5: "query: ", "passage: ") need it. */
  kind: 'query' | 'passage';
  signal?: AbortSignal;
}

export interface Embedder {
  readonly id: string;
  /** Output dimension; known after `load()` for local models, after the first call for remote ones. */
  dimension(): Promise<number>;
  /** Whether vectors come back L2-normalised (cosine = dot). */
  readonly normalized: boolean;
  /** Embeds texts in batches; returns one Float32Array per text, in order. */
  embed(texts: string[], options: EmbedOptions): Promise<Float32Array[]>;
}

/**
 * One forward pass of a causal LM over a token sequence of length T: for every position t the
 * next-token log-distribution log p(· | ids[0..t]) over the whole vocabulary (natural log,
 * `logprobs[t·V + v]`, each row log-sum-exps to 0) and, when the graph outputs them, the
 * final-layer hidden states (`hidden[t·D + j]`) — the context representation kNN-LM keys on.
 */
export interface NextTokenForward {
  /** T, the number of positions. */
  length: number;
  /** V, the vocabulary size. */
  vocabSize: number;
  /** T × V log-probabilities, row-major. */
  logprobs: Float32Array;
  /** D, the hidden size, when `hidden` is present. */
  hiddenSize?: number;
  /** T × D final-layer hidden states, row-major; absent when the graph does not output them. */
  hidden?: Float32Array;
}

/**
 * A language model whose full next-token distribution (and optionally hidden states) is visible:
 * a local model folder. Perplexity and kNN-LM use it directly; hosted chat APIs do not offer it.
 */
export interface TokenDistributionModel {
  readonly id: string;
  /** Loads the model (idempotent); the getters below are valid afterwards. */
  load(): Promise<void>;
  /** V. */
  readonly vocabSize: number;
  /** Whether `forward` returns hidden states. */
  readonly hasHiddenStates: boolean;
  /** Longest sequence `forward` accepts (the model's position limit). */
  readonly contextLength: number;
  /** Token ids that end generation. */
  readonly eosTokenIds: readonly number[];
  /** Token id put before a text so its first token can be scored (GPT-2: `<|endoftext|>`), if the model has one. */
  readonly bosTokenId: number | undefined;
  /** Token ids of `text`, no special tokens added. */
  encode(text: string): number[];
  /** Text of `ids` (special tokens kept as text). */
  decode(ids: readonly number[]): string;
  /** Runs the model over `ids` (1 ≤ length ≤ contextLength). */
  forward(ids: readonly number[], signal?: AbortSignal): Promise<NextTokenForward>;
}

/** Whether `m` exposes its next-token distribution (a `TokenDistributionModel`). */
export function isTokenDistributionModel(m: unknown): m is TokenDistributionModel {
  return typeof m === 'object' && m !== null && typeof (m as TokenDistributionModel).forward === 'function' && typeof (m as TokenDistributionModel).encode === 'function';
}
