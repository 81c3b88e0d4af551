/**
 * `LanguageModel` over any OpenAI-compatible HTTP endpoint (OpenAI, vLLM, llama.cpp server,
 * Ollama `/v1`, LM Studio) through the official `openai` SDK with a configurable `baseURL`.
 *
 * - Chat: `POST {baseUrl}/chat/completions`, streamed (SSE) or not, with stop, temperature,
 *   max_tokens, n, seed, logprobs/top_logprobs.
 * - Continuation scoring: `POST {baseUrl}/completions` with `echo: true, logprobs: 1,
 *   max_tokens: 1` on `prompt + continuation`; the continuation's tokens are picked by
 *   `text_offset`. `max_tokens` is 1, not 0, because vLLM rejects 0 (SamplingParams requires
 *   max_tokens ≥ 1; vllm-project/vllm#9336) and lm-evaluation-harness sends 1 to local servers
 *   for the same reason; the one generated token lies past the continuation and is ignored.
 *   llama.cpp's server rejects `echo` ("Only no echo is supported"): `probeCapabilities()`
 *   reports `echoScoring: false` there and `scoreContinuation` raises `CapabilityError`.
 * - Retries (429/5xx/timeouts, honouring Retry-After) and the concurrency limit: `./retry.ts`.
 * - Token usage: each result carries its own; `totalUsage()` sums every call of this instance.
 *
 * Capabilities start as assumed (all true unless given) and become measured after
 * `probeCapabilities()`. A call that needs a capability marked false throws `CapabilityError`
 * before any request; an endpoint that silently omits logprobs also yields `CapabilityError`.
 */
import type OpenAI from 'openai';
import { CapabilityError, InvalidParameterError, ModelError } from '../core/errors.js';
import type { TokenUsage } from '../core/types.js';
import { createOpenAIClient, isSdkError } from './openai-sdk.js';
import { ConcurrencyLimiter, abortReason, toModelError, withRetry, type RetryPolicy, type Sleep } from './retry.js';
import type {
  ChatMessage,
  CompleteOptions,
  CompleteResult,
  ContinuationScore,
  GenerateOptions,
  GenerateResult,
  Generation,
  LanguageModel,
  LanguageModelCapabilities,
  TokenLogprob,
} from './types.js';

export interface OpenAICompatibleOptions {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Model name as the endpoint knows it. */
  model: string;
  /** Bearer token; local servers accept any (default "not-needed"). */
  apiKey?: string;
  /** Per-attempt timeout in ms. Default 60 000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay in ms. Default 500. */
  baseDelayMs?: number;
  /** Longest single wait in ms (also the most of a Retry-After that is honoured). Default 30 000. */
  maxDelayMs?: number;
  /** Requests in flight at once. Default 4. */
  maxConcurrency?: number;
  /** Known capabilities (e.g. from a previous probe); unspecified ones are assumed true. */
  capabilities?: Partial<LanguageModelCapabilities>;
  /** Known to return one choice per request (a previous probe's `n` failed): samples are asked for one by one from the start. */
  oneChoicePerRequest?: boolean;
  /** Injected for tests: the backoff sleep. */
  sleep?: Sleep;
  /** Clock in ms for latency and HTTP-date Retry-After. Default `performance.now`-based wall clock. */
  now?: () => number;
  /** Called before each retry wait. */
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

/** One probe's outcome. */
export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** Why it failed or what was missing. */
  error?: string;
}

export interface CapabilityReport {
  model: string;
  baseUrl: string;
  capabilities: LanguageModelCapabilities;
  /**
   * Per capability: did it work, how long it took, and why not. Besides the capabilities: `n`
   * (two choices came back for n = 2 in one request; when not, `generate` asks once per sample)
   * and `byteTokens` (a Hangul reply's logprob entries carry their real `bytes`, so byte-level tokens
   * keep their identity; not so where partial tokens come back as U+FFFD's bytes: vLLM, Ollama).
   */
  probes: Record<keyof LanguageModelCapabilities | 'n' | 'byteTokens', ProbeResult>;
  /** Model ids the endpoint lists (`GET /models`), or undefined when it does not answer. */
  models?: string[];
  /** Why `GET /models` failed, when it did. */
  modelsError?: string;
}

/** Accumulated token usage plus the number of successful requests. */
export interface UsageTotals extends TokenUsage {
  requests: number;
}

const ALL_CAPABILITIES: LanguageModelCapabilities = { chat: true, streaming: true, logprobs: true, echoScoring: true, prefill: true };

/** The chat the prefill probe sends: a count left open in a trailing assistant message. */
const PREFILL_PROBE: ChatMessage[] = [
  { role: 'user', content: 'Count from 1 to 10, separated by commas.' },
  { role: 'assistant', content: '1, 2, 3, 4,' },
];

/** The chat the byte-token probe sends: a reply in Hangul, whose syllables byte-level tokenizers split. */
const BYTE_PROBE: ChatMessage[] = [{ role: 'user', content: 'Write the Korean word 서울 (Seoul) and nothing else.' }];

/** The longest prefix of `bytes` that is whole UTF-8 characters, decoded (the last character may be cut by max_tokens). */
function wholePrefix(bytes: readonly number[]): string {
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (let end = bytes.length; end > bytes.length - 4 && end >= 0; end--) {
    try {
      return strict.decode(Uint8Array.from(bytes.slice(0, end)));
    } catch {
      // cut inside a character: try one byte shorter
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * What is known of an endpoint from its address before any probe. OpenAI's hosted API
 * (api.openai.com): chat models answer a trailing assistant message with a new turn and refuse
 * `continue_final_message` ("Unrecognized request argument supplied"), and the completions
 * endpoint serves no chat model, so neither prefill nor echo scoring; `auto` modes then never
 * pick token-level decoding there. Other addresses: nothing assumed (all true until probed).
 */
export function knownCapabilities(baseUrl: string): Partial<LanguageModelCapabilities> {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return {};
  }
  return host === 'api.openai.com' ? { prefill: false, echoScoring: false } : {};
}

export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  readonly model: string;
  readonly baseUrl: string;
  private caps: LanguageModelCapabilities;
  /** The SDK client, created (and the SDK loaded) on the first request. */
  private sdkClient: Promise<OpenAI> | undefined;
  private readonly limiter: ConcurrencyLimiter;
  private readonly policy: RetryPolicy;
  private readonly options: OpenAICompatibleOptions;
  private readonly now: () => number;
  private readonly totals: UsageTotals = { promptTokens: 0, completionTokens: 0, requests: 0 };
  private probing = false;
  /** Set once the endpoint refused `n` ≠ 1: samples are then asked for one per request. */
  private oneChoicePerRequest = false;

  constructor(options: OpenAICompatibleOptions) {
    if (!options.model) throw new InvalidParameterError('llm.model is required for an OpenAI-compatible model (set OPENBOOK_LLM_MODEL)');
    this.options = options;
    this.model = options.model;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.id = `openai-compatible:${options.model}`;
    this.caps = { ...ALL_CAPABILITIES, ...knownCapabilities(this.baseUrl), ...options.capabilities };
    this.oneChoicePerRequest = options.oneChoicePerRequest ?? false;
    this.limiter = new ConcurrencyLimiter(options.maxConcurrency ?? 4);
    this.policy = { maxRetries: options.maxRetries ?? 3, baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs };
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  private client(): Promise<OpenAI> {
    return (this.sdkClient ??= createOpenAIClient({ baseURL: this.baseUrl, apiKey: this.options.apiKey || 'not-needed', timeout: this.options.timeoutMs ?? 60_000 }));
  }

  get capabilities(): LanguageModelCapabilities {
    return { ...this.caps };
  }

  /** Sum of token usage over every successful call of this instance. */
  totalUsage(): UsageTotals {
    return { ...this.totals };
  }

  /** Requests currently in flight (≤ maxConcurrency). */
  get inFlight(): number {
    return this.limiter.inFlight;
  }

  async generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    this.require('chat', 'chat completions');
    if (options.logprobs) this.require('logprobs', 'token log-probabilities');
    if (options.continueFinalMessage && messages.at(-1)?.role === 'assistant') this.require('prefill', 'continuation of a trailing assistant message (prefill)');
    const started = this.now();
    const what = `POST ${this.baseUrl}/chat/completions (model ${this.model})`;
    const n = options.n ?? 1;
    let res: OpenAI.Chat.Completions.ChatCompletion;
    try {
      res = await this.chatOnce(messages, this.oneChoicePerRequest ? { ...options, n: 1 } : options, what);
    } catch (err) {
      if (n === 1 || !refusesN(err)) throw err;
      // llama.cpp's server refuses n ≠ 1 ("Only one completion choice is allowed"): one sample per request from now on
      this.oneChoicePerRequest = true;
      res = await this.chatOnce(messages, { ...options, n: 1 }, what);
    }
    let choices = res.choices.slice().sort((a, b) => a.index - b.index);
    let usage = { promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0 };
    // Ollama's and LM Studio's OpenAI layers ignore `n` (one choice), llama.cpp's refuses it: ask again,
    // one sample per request, each with its own seed (seed + i; 0 + i when none was given).
    for (let i = choices.length; i < n; i++) {
      const more = await this.chatOnce(messages, { ...options, n: 1, seed: (options.seed ?? 0) + i }, what);
      if (more.choices.length === 0) break;
      choices = [...choices, { ...more.choices[0], index: i }];
      usage = { promptTokens: usage.promptTokens + (more.usage?.prompt_tokens ?? 0), completionTokens: usage.completionTokens + (more.usage?.completion_tokens ?? 0) };
    }
    const generations: Generation[] = choices
      .slice()
      .sort((a, b) => a.index - b.index)
      .map((c) => {
        const g: Generation = { text: c.message?.content ?? '', finishReason: c.finish_reason ?? 'unknown' };
        if (options.logprobs) g.logprobs = this.readChatLogprobs(c.logprobs?.content, what);
        return g;
      });
    this.account(usage);
    return { generations, usage, model: res.model || this.model, latencyMs: this.now() - started };
  }

  /** One chat request; a refused prefill field becomes `CapabilityError`. */
  private async chatOnce(messages: ChatMessage[], options: GenerateOptions, what: string): Promise<OpenAI.Chat.Completions.ChatCompletion> {
    try {
      return await this.limiter.run(
        () =>
          withRetry(
            async () => (await this.client()).chat.completions.create({ ...this.chatParams(messages, options), stream: false }, { signal: options.signal }),
            this.retryContext(what, options.signal),
          ),
        options.signal,
      );
    } catch (err) {
      const cause = err instanceof ModelError ? err.cause : err;
      if (isSdkError(cause, 'APIError') && cause.status === 400 && /continue_final_message|add_generation_prompt/.test(cause.message)) {
        // measured now: `auto` modes asked afterwards no longer choose token-level decoding here
        this.caps = { ...this.caps, prefill: false };
        throw new CapabilityError(
          `${this.baseUrl} (model ${this.model}) cannot continue a trailing assistant message (prefill): it refused continue_final_message (HTTP 400: ${cause.message}); token-level decoding cannot run there — use a sequence-level mode or a vLLM / llama.cpp / Ollama server`,
        );
      }
      throw err;
    }
  }

  async *stream(messages: ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult, void> {
    this.require('chat', 'chat completions');
    this.require('streaming', 'streaming');
    if (options.logprobs) this.require('logprobs', 'token log-probabilities');
    const started = this.now();
    const what = `POST ${this.baseUrl}/chat/completions stream (model ${this.model})`;
    await this.limiter.acquire(options.signal);
    try {
      // Retries cover opening the stream; once tokens have been yielded a failure is final.
      const stream = await withRetry(
        async () =>
          (await this.client()).chat.completions.create(
            { ...this.chatParams(messages, options), stream: true, stream_options: { include_usage: true } },
            { signal: options.signal },
          ),
        this.retryContext(what, options.signal),
      );
      const texts: string[] = [];
      const finish: string[] = [];
      const logprobs: TokenLogprob[][] = [];
      let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
      let model = this.model;
      try {
        for await (const chunk of stream) {
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
          for (const choice of chunk.choices ?? []) {
            const i = choice.index ?? 0;
            const delta = choice.delta?.content ?? '';
            texts[i] = (texts[i] ?? '') + delta;
            if (choice.finish_reason) finish[i] = choice.finish_reason;
            if (choice.logprobs?.content) (logprobs[i] ??= []).push(...this.readChatLogprobs(choice.logprobs.content, what));
            if (i === 0 && delta) yield delta;
          }
        }
      } catch (err) {
        if (options.signal?.aborted) throw abortReason(options.signal);
        throw toModelError(err, what, 1);
      }
      const n = Math.max(texts.length, 1);
      const generations: Generation[] = [];
      for (let i = 0; i < n; i++) {
        const g: Generation = { text: texts[i] ?? '', finishReason: finish[i] ?? 'unknown' };
        if (options.logprobs) {
          if (!logprobs[i] || logprobs[i].length === 0) throw this.missingLogprobs(what);
          g.logprobs = logprobs[i];
        }
        generations.push(g);
      }
      this.account(usage);
      return { generations, usage, model, latencyMs: this.now() - started };
    } finally {
      this.limiter.release();
    }
  }

  async scoreContinuation(prompt: string, continuation: string, options: { signal?: AbortSignal } = {}): Promise<ContinuationScore> {
    this.require('echoScoring', 'continuation scoring (completions with echo + logprobs)');
    return this.scoreUnchecked(prompt, continuation, options.signal);
  }

  private async scoreUnchecked(prompt: string, continuation: string, signal?: AbortSignal): Promise<ContinuationScore> {
    if (prompt.length === 0) {
      throw new InvalidParameterError('scoreContinuation: prompt must be non-empty (the first token of an echoed prompt has no log-probability)');
    }
    if (continuation.length === 0) return { logprob: 0, tokens: [] };
    const what = `POST ${this.baseUrl}/completions echo+logprobs (model ${this.model})`;
    let res: OpenAI.Completions.Completion;
    try {
      res = await this.limiter.run(
        () =>
          withRetry(
            async () =>
              (await this.client()).completions.create(
                { model: this.model, prompt: prompt + continuation, echo: true, logprobs: 1, max_tokens: 1, temperature: 0 },
                { signal },
              ),
            this.retryContext(what, signal),
          ),
        signal,
      );
    } catch (err) {
      const cause = err instanceof ModelError ? err.cause : err;
      if (isSdkError(cause, 'APIError') && (cause.status === 400 || cause.status === 404 || cause.status === 422 || cause.status === 501)) {
        this.caps = { ...this.caps, echoScoring: false }; // measured: `auto` modes asked afterwards do not pick continuation scoring
        throw new CapabilityError(
          `${this.baseUrl} cannot score continuations for model ${this.model}: the completions endpoint refused echo + logprobs (HTTP ${cause.status}: ${cause.message})`,
        );
      }
      throw err;
    }
    const lp = res.choices[0]?.logprobs;
    if (!lp?.tokens || !lp.token_logprobs) {
      this.caps = { ...this.caps, echoScoring: false };
      throw new CapabilityError(`${this.baseUrl} returned no prompt log-probabilities for model ${this.model} (echo + logprobs unsupported)`);
    }
    const usage = { promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0 };
    this.account(usage);
    return pickContinuation(prompt, continuation, lp.tokens, lp.token_logprobs, lp.text_offset, lp.top_logprobs, this.baseUrl);
  }

  /**
   * Raw-prompt generation on `POST {baseUrl}/completions` (`prompt`, `max_tokens`, `stop`,
   * `logprobs: k` for the top alternatives of each generated token, any `extra` fields). The
   * legacy logprobs (`tokens`, `token_logprobs`, `top_logprobs` as token → log-probability maps)
   * become `TokenLogprob`s. A 404 (OpenAI's chat models: "This is a chat model and not supported in
   * the v1/completions endpoint") or a 501 raises `CapabilityError`.
   */
  async complete(prompt: string, options: CompleteOptions = {}): Promise<CompleteResult> {
    const started = this.now();
    const what = `POST ${this.baseUrl}/completions (model ${this.model})`;
    const top = options.topLogprobs;
    if (top !== undefined && (!Number.isInteger(top) || top < 1 || top > 20)) throw new InvalidParameterError(`topLogprobs must be an integer in [1, 20], got ${top}`);
    const temperature = options.temperature ?? 0;
    if (!(temperature >= 0)) throw new InvalidParameterError(`temperature must be ≥ 0, got ${temperature}`);
    const body = {
      model: this.model,
      prompt,
      max_tokens: options.maxTokens ?? 256,
      temperature,
      ...(options.stop && options.stop.length > 0 ? { stop: options.stop } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(top !== undefined ? { logprobs: top } : {}),
      ...options.extra,
    };
    let res: OpenAI.Completions.Completion;
    try {
      res = await this.limiter.run(
        () => withRetry(async () => (await this.client()).completions.create(body as OpenAI.Completions.CompletionCreateParamsNonStreaming, { signal: options.signal }), this.retryContext(what, options.signal)),
        options.signal,
      );
    } catch (err) {
      const cause = err instanceof ModelError ? err.cause : err;
      if (isSdkError(cause, 'APIError') && (cause.status === 404 || cause.status === 501)) {
        throw new CapabilityError(`${this.baseUrl} (model ${this.model}) has no raw completions endpoint (HTTP ${cause.status}: ${cause.message}); this mode needs /v1/completions (vLLM, llama.cpp, Ollama serve it)`);
      }
      throw err;
    }
    const choice = res.choices[0];
    const usage = { promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0 };
    this.account(usage);
    const out: CompleteResult = { text: choice?.text ?? '', finishReason: choice?.finish_reason ?? 'unknown', usage, model: res.model || this.model, latencyMs: this.now() - started };
    const lp = choice?.logprobs;
    if (top !== undefined && lp?.tokens && lp.token_logprobs) {
      out.logprobs = lp.tokens.map((token, i) => {
        const t: TokenLogprob = { token, logprob: lp.token_logprobs![i] ?? -Infinity };
        const alts = lp.top_logprobs?.[i];
        if (alts) t.top = Object.entries(alts).map(([tok, logprob]) => ({ token: tok, logprob })).sort((a, b) => b.logprob - a.logprob);
        return t;
      });
    }
    return out;
  }

  /** Model ids from `GET {baseUrl}/models`. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const what = `GET ${this.baseUrl}/models`;
    const page = await withRetry(async () => (await this.client()).models.list({ signal }), this.retryContext(what, signal));
    return page.data.map((m) => m.id);
  }

  /**
   * Measures what the endpoint can do with four small calls (chat with max_tokens 1, a stream,
   * chat with logprobs + top_logprobs 2, and one continuation score) and updates
   * `capabilities` accordingly. Never throws for a missing capability; aborts rethrow.
   */
  async probeCapabilities(signal?: AbortSignal): Promise<CapabilityReport> {
    const msgs: ChatMessage[] = [{ role: 'user', content: 'Reply with the single word OK.' }];
    const run = async (fn: () => Promise<boolean | string>): Promise<ProbeResult> => {
      const t0 = this.now();
      try {
        const r = await fn();
        const latencyMs = this.now() - t0;
        return r === true ? { ok: true, latencyMs } : { ok: false, latencyMs, error: typeof r === 'string' ? r : 'not supported' };
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        return { ok: false, latencyMs: this.now() - t0, error: err instanceof Error ? err.message : String(err) };
      }
    };
    const saved = this.caps;
    this.caps = { ...ALL_CAPABILITIES };
    this.probing = true;
    try {
      let models: string[] | undefined;
      let modelsError: string | undefined;
      try {
        models = await this.listModels(signal);
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        modelsError = err instanceof Error ? err.message : String(err);
        if (err instanceof ModelError && isSdkError(err.cause, 'APIConnectionError')) {
          // Nothing answers at this address: every probe would fail the same way.
          const down: ProbeResult = { ok: false, latencyMs: 0, error: modelsError };
          this.caps = { chat: false, streaming: false, logprobs: false, echoScoring: false, prefill: false };
          return {
            model: this.model,
            baseUrl: this.baseUrl,
            capabilities: this.capabilities,
            probes: { chat: down, streaming: down, logprobs: down, echoScoring: down, prefill: down, n: down, byteTokens: down },
            modelsError,
          };
        }
      }
      const chat = await run(async () => (await this.generate(msgs, { maxTokens: 1, signal })).generations.length > 0 || 'no choices returned');
      const streaming = await run(async () => {
        const it = this.stream(msgs, { maxTokens: 1, signal });
        let r = await it.next();
        while (!r.done) r = await it.next();
        return r.value.generations.length > 0 || 'stream ended without a choice';
      });
      const logprobs = await run(async () => {
        const r = await this.generate(msgs, { maxTokens: 1, logprobs: true, topLogprobs: 2, signal });
        return r.generations[0]?.logprobs?.[0] !== undefined || 'no logprobs in the response';
      });
      // byte tokens: a Hangul reply's tokens must carry their real bytes (joined, they decode to the text);
      // vLLM's chat serving and Ollama send U+FFFD's bytes (EF BF BD) for a token that holds part of a character
      const byteTokens: ProbeResult = !logprobs.ok
        ? { ok: false, latencyMs: 0, error: 'no logprobs to inspect' }
        : await run(async () => {
            const r = await this.generate(BYTE_PROBE, { maxTokens: 8, logprobs: true, signal });
            const g = r.generations[0];
            const toks = g?.logprobs ?? [];
            if (toks.length === 0) return 'no logprobs in the response';
            if (!toks.every((t) => Array.isArray(t.bytes))) return 'logprob entries carry no `bytes`: tokens are matched by their strings';
            const joined = wholePrefix(toks.flatMap((t) => t.bytes!));
            if (joined.includes('\uFFFD') && !g.text.includes('\uFFFD')) {
              return 'tokens that hold part of a character come back as U+FFFD (bytes EF BF BD): their identity is lost; the token-level decoders read whole characters from the message text instead';
            }
            return g.text.startsWith(joined) || `the joined bytes ${JSON.stringify(joined)} do not match the text ${JSON.stringify(g.text)}`;
          });
      // prefill: a count left open in a trailing assistant message goes on with "5" only when it is continued
      const prefill = await run(async () => {
        const r = await this.generate(PREFILL_PROBE, { maxTokens: 3, continueFinalMessage: true, signal });
        const text = r.generations[0]?.text ?? '';
        return /^\s*5\b/.test(text) || `a trailing assistant message got a new turn instead of its continuation (asked to continue "1, 2, 3, 4," it wrote ${JSON.stringify(text)})`;
      });
      // n: one request for two samples; fewer choices means generate() asks again per sample (seed + i)
      const n = await run(async () => {
        const r = await this.chatOnce(msgs, { maxTokens: 1, n: 2, temperature: 1, seed: 0, signal }, `POST ${this.baseUrl}/chat/completions n=2 (model ${this.model})`);
        return r.choices.length >= 2 || `asked for n = 2, got ${r.choices.length} choice(s): samples are requested one by one with seeds seed + i`;
      });
      const echoScoring = await run(async () => {
        const s = await this.scoreUnchecked('The sky is', ' blue', signal);
        return (s.tokens.length > 0 && Number.isFinite(s.logprob)) || 'no continuation tokens in the echoed logprobs';
      });
      this.caps = { chat: chat.ok, streaming: streaming.ok, logprobs: logprobs.ok, echoScoring: echoScoring.ok, prefill: prefill.ok };
      if (!n.ok && /only one completion choice is allowed/i.test(n.error ?? '')) this.oneChoicePerRequest = true;
      return {
        model: this.model,
        baseUrl: this.baseUrl,
        capabilities: this.capabilities,
        probes: { chat, streaming, logprobs, echoScoring, prefill, n, byteTokens },
        ...(models ? { models } : {}),
        ...(modelsError !== undefined ? { modelsError } : {}),
      };
    } catch (err) {
      this.caps = saved;
      throw err;
    } finally {
      this.probing = false;
    }
  }

  private chatParams(messages: ChatMessage[], options: GenerateOptions) {
    const n = options.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new InvalidParameterError(`n must be an integer ≥ 1, got ${n}`);
    const temperature = options.temperature ?? 0;
    if (!(temperature >= 0)) throw new InvalidParameterError(`temperature must be ≥ 0, got ${temperature}`);
    const top = options.topLogprobs;
    if (top !== undefined && (!Number.isInteger(top) || top < 0 || top > 20)) {
      throw new InvalidParameterError(`topLogprobs must be an integer in [0, 20], got ${top}`);
    }
    return {
      model: this.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      temperature,
      ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
      ...(options.stop && options.stop.length > 0 ? { stop: options.stop } : {}),
      ...(n !== 1 ? { n } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.logprobs ? { logprobs: true, ...(top !== undefined ? { top_logprobs: top } : {}) } : {}),
      ...(options.continueFinalMessage && messages.at(-1)?.role === 'assistant' ? { continue_final_message: true, add_generation_prompt: false } : {}),
    };
  }

  private readChatLogprobs(
    content: Array<{ token: string; logprob: number; bytes?: number[] | null; top_logprobs?: Array<{ token: string; logprob: number; bytes?: number[] | null }> }> | null | undefined,
    what: string,
  ): TokenLogprob[] {
    if (!content) throw this.missingLogprobs(what);
    return content.map((t) => {
      const out: TokenLogprob = { token: t.token, logprob: t.logprob };
      if (Array.isArray(t.bytes)) out.bytes = t.bytes;
      if (t.top_logprobs && t.top_logprobs.length > 0) {
        out.top = t.top_logprobs.map((x) => (Array.isArray(x.bytes) ? { token: x.token, logprob: x.logprob, bytes: x.bytes } : { token: x.token, logprob: x.logprob }));
      }
      return out;
    });
  }

  private missingLogprobs(what: string): CapabilityError {
    return new CapabilityError(`${what} returned no logprobs although they were requested; this endpoint does not offer token log-probabilities`);
  }

  private require(cap: keyof LanguageModelCapabilities, label: string): void {
    if (!this.caps[cap]) {
      throw new CapabilityError(`${this.baseUrl} (model ${this.model}) does not offer ${label}; run \`openbook doctor\` to see what it supports`);
    }
  }

  private retryContext(what: string, signal?: AbortSignal) {
    // While probing, one retry at most: a diagnostic should answer quickly about a dead endpoint.
    const policy = this.probing ? { ...this.policy, maxRetries: Math.min(this.policy.maxRetries, 1) } : this.policy;
    return { policy, sleep: this.options.sleep, now: this.options.now, signal, what, onRetry: this.options.onRetry };
  }

  private account(usage: TokenUsage): void {
    this.totals.promptTokens += usage.promptTokens;
    this.totals.completionTokens += usage.completionTokens;
    this.totals.requests += 1;
  }
}

/**
 * Whether `err` is an endpoint's refusal of `n` ≠ 1: llama.cpp's server throws "Only one completion
 * choice is allowed" (HTTP 500 in the builds that use std::runtime_error, 400 in others).
 */
export function refusesN(err: unknown): boolean {
  const cause = err instanceof ModelError ? err.cause : err;
  return isSdkError(cause, 'APIError') && /only one completion choice is allowed/i.test(cause.message);
}

/**
 * Picks the continuation's tokens out of an echoed `prompt + continuation`: every token that
 * overlaps the character range [|prompt|, |prompt + continuation|), measured in Unicode code
 * points as `text_offset` is (OpenAI legacy completions, vLLM). A token straddling the
 * boundary counts as continuation. Without `text_offset`, offsets are the running sum of
 * token lengths. Source of the method: lm-evaluation-harness `loglikelihood` over
 * OpenAI-compatible completions (sum of the continuation's token log-probabilities).
 */
export function pickContinuation(
  prompt: string,
  continuation: string,
  tokens: string[],
  tokenLogprobs: Array<number | null>,
  textOffset: number[] | undefined,
  topLogprobs: Array<Record<string, number> | null> | undefined,
  where: string,
): ContinuationScore {
  const start = [...prompt].length;
  const end = start + [...continuation].length;
  const offsets = textOffset && textOffset.length === tokens.length ? textOffset : runningOffsets(tokens);
  const picked: TokenLogprob[] = [];
  let sum = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tokStart = offsets[i];
    const tokEnd = i + 1 < tokens.length ? Math.max(offsets[i + 1], tokStart + 1) : tokStart + Math.max(1, [...tokens[i]].length);
    if (tokStart >= end || tokEnd <= start) continue;
    const lp = tokenLogprobs[i];
    if (lp === null || lp === undefined || !Number.isFinite(lp)) {
      throw new ModelError(`${where}: token ${i} (${JSON.stringify(tokens[i])}) of the continuation has no log-probability`);
    }
    const t: TokenLogprob = { token: tokens[i], logprob: lp };
    const top = topLogprobs?.[i];
    if (top) t.top = Object.entries(top).map(([token, logprob]) => ({ token, logprob })).sort((a, b) => b.logprob - a.logprob);
    picked.push(t);
    sum += lp;
  }
  if (picked.length === 0) throw new ModelError(`${where}: the echoed tokens do not cover the continuation ${JSON.stringify(continuation)}`);
  return { logprob: sum, tokens: picked };
}

function runningOffsets(tokens: string[]): number[] {
  const out: number[] = [];
  let cp = 0;
  for (const t of tokens) {
    out.push(cp);
    cp += [...t].length;
  }
  return out;
}
