/**
 * A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI API to stand in for a model
 * in tests. It runs the real `openai` SDK code path end to end (HTTP, JSON, SSE streaming,
 * retries) with no network. Test names that use it should say the server stands in for a model.
 *
 * ```ts
 * const server = await startOpenAIServer({ chat: (req) => `you said: ${req.messages.at(-1)!.content}` });
 * const llm = new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model' });
 * server.enqueueChat({ content: 'scripted [1]' });   // next chat reply (queue beats `chat`)
 * server.failNext(2, { status: 429, retryAfter: '0' }); // the next 2 requests fail, then normal replies
 * expect(server.requests.at(-1)!.body).toMatchObject({ model: 'test-model' });
 * await server.close();
 * ```
 *
 * Endpoints (base URL `server.url` already ends in `/v1`):
 * - `GET /v1/models` → the `models` option's ids.
 * - `POST /v1/chat/completions` — non-stream and `stream: true` (SSE chunks, one per token, a
 *   usage chunk when `stream_options.include_usage`, then `[DONE]`); honours `stop` (cut before
 *   the first stop string, finish_reason "stop"), `max_tokens` (finish_reason "length"), `n`,
 *   and `logprobs` / `top_logprobs` unless the server was started with `logprobs: false`
 *   (then `logprobs` is always `null`, like endpoints that lack the feature). The default reply
 *   is `echo: <last user message>`, except that a trailing assistant message that reaches the
 *   model (see the modes' prefill) ending in an open count ("1, 2, 3, 4,") is continued
 *   (" 5, 6, 7") — what `probeCapabilities` asks to tell prefill from a new turn.
 * - `POST /v1/completions` — with `echo: true` and `logprobs: k` returns the prompt's tokens
 *   with `token_logprobs` (first `null`), `top_logprobs`, `text_offset` (Unicode code points, as
 *   Python servers count), followed by `max_tokens` generated tokens of `completionText`.
 *   With `echo: false` in the options, echo requests get 400 (as llama.cpp's server answers).
 * - `POST /v1/embeddings` — `hashEmbedding(text, embeddingDim)` per input; `encoding_format:
 *   "base64"` gets base64 float32 unless `ignoreEncodingFormat` (then always float arrays).
 *
 * Determinism: the toy tokenizer is `tokenize()` below (runs of whitespace + one word or one
 * punctuation mark); each token's log-probability is `tokenLogprob()` = −0.1 × its trimmed
 * length (" Paris" → −0.5), so tests can work numbers out by hand. Top alternatives are the
 * chosen token, then `"<alt1>"`, `"<alt2>"`, … each 1.0 lower.
 *
 * Server modes (`mode`, default `generic` = the behaviour above): the stand-in behaves as one real
 * server does, following that server's documented semantics (see `SERVER_SEMANTICS` below for the
 * table and its sources): whether a trailing assistant message is continued (prefill) and under
 * which request fields, whether `/v1/completions` gives `echo` + `logprobs`, whether `n` is
 * honoured, whether chat logprobs come back at all, and the error for an unsupported field. In
 * every mode but `generic` and `lmstudio`, logprob entries carry `bytes` and a Hangul syllable
 * (3 UTF-8 bytes) is emitted as two byte-level tokens — the first two bytes, then the last —
 * (partial UTF-8), each with log-probability −0.1 (so " 서울" is four tokens, Σ = −0.4); how a
 * partial token is reported (`token` string, real or replacement `bytes`) follows each server
 * (`partialTokens`), and `max_tokens` counts the byte-level tokens, the message text holding back a
 * character cut in half.
 *
 * Failure injection: `failNext(count, { status, retryAfter?, retryAfterMs?, path? })` makes the
 * next `count` requests (optionally only those whose path contains `path`) fail with that
 * status and headers; `delayMs` in a scripted reply holds the response that long (timeouts).
 * Every request is appended to `requests` (method, path, headers, parsed body).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  stop?: string | string[];
  max_tokens?: number;
  max_completion_tokens?: number;
  n?: number;
  temperature?: number;
  seed?: number;
  logprobs?: boolean;
  top_logprobs?: number;
  [key: string]: unknown;
}

/** The real servers the stand-in can imitate; `generic` is the idealised server of the other tests. */
export type ServerMode = 'generic' | 'vllm' | 'llamacpp' | 'ollama' | 'openai' | 'lmstudio';

/** The real-server modes, for tests that run under each. */
export const SERVER_MODES = ['vllm', 'llamacpp', 'ollama', 'openai', 'lmstudio'] as const;

export interface ServerSemantics {
  /** How a trailing assistant message is treated: always continued, continued only with vLLM's fields, or answered with a new turn. */
  prefill: 'always' | 'continue_final_message' | 'never';
  /** `n` > 1: 'choices' = n choices; 'one' = the field is ignored, one choice comes back; 'error' = the request is refused. */
  n: 'choices' | 'one' | 'error';
  /** `/v1/completions`: 'echo' = echo + logprobs; 'no-echo' = 400 on echo; 'no-logprobs' = echo and logprobs ignored (logprobs null); 'absent' = 404. */
  completions: 'echo' | 'no-echo' | 'no-logprobs' | 'absent';
  /** Chat completions return logprobs when asked. */
  chatLogprobs: boolean;
  /** Logprob entries carry `bytes`, Hangul split across byte-level tokens (and `max_tokens` counts those tokens). */
  byteTokens: boolean;
  /**
   * How a byte-level token that holds part of a character is reported: `raw` = its real bytes, `token`
   * the U+FFFD string (OpenAI); `replacement` = the token decoded alone with U+FFFD and `bytes` those of
   * U+FFFD (EF BF BD), so the token's identity is lost (vLLM's chat serving, Ollama); `truncated` = its
   * real bytes, `token` cut at the last whole character (llama.cpp's server). Only with `byteTokens`.
   */
  partialTokens: 'raw' | 'replacement' | 'truncated';
  /** Unknown request fields get 400 "Unrecognized request argument supplied: <field>". */
  rejectsUnknownFields: boolean;
}

/**
 * What each mode does, and where that comes from (checked against the sources on 2026-12-03).
 * - vllm — vLLM's OpenAI-compatible server, `ChatCompletionRequest` in
 *   vllm-project/vllm:vllm/entrypoints/openai/protocol.py: `add_generation_prompt` defaults to true,
 *   `continue_final_message` to false, described as "If this is set, the chat will be formatted so
 *   that the final message in the chat is open-ended, without any EOS tokens. The model will continue
 *   this message rather than starting a new one. … Cannot be used at the same time as
 *   `add_generation_prompt`." Its `check_generation_prompt` validator rejects both set to true
 *   ("Cannot set both `continue_final_message` and `add_generation_prompt` to True."); with
 *   `continue_final_message` alone the default `add_generation_prompt: true` reaches transformers'
 *   `apply_chat_template`, which raises "continue_final_message and add_generation_prompt are not
 *   compatible. …" — both come back as 400. `n`, and `echo` + `logprobs` on /v1/completions, are
 *   served; chat logprob entries follow OpenAI's schema with `bytes`.
 * - llamacpp — llama.cpp's server (ggml-org/llama.cpp:tools/server): `--prefill-assistant` is on by
 *   default ("whether to prefill the assistant's response if the last message is an assistant
 *   message (default: prefill enabled)"; `--no-prefill-assistant` turns it off).
 *   `oaicompat_chat_params_parse` and `oaicompat_completion_params_parse` (server-common.cpp) throw
 *   "Only one completion choice is allowed" for `n` ≠ 1 — a std::runtime_error, answered as HTTP 500
 *   `server_error` — and the completion parser throws "Only no echo is supported" for `echo`. Chat
 *   `logprobs` map to `n_probs` = `top_logprobs`; entries carry `bytes`.
 * - ollama — Ollama's OpenAI compatibility page (ollama/ollama:docs/api/openai-compatibility.mdx):
 *   `n` is unchecked among the supported request fields of both endpoints (Go's JSON decoding
 *   ignores it: one choice comes back), `echo` is unchecked for /v1/completions (ignored: no prompt
 *   log-probabilities); chat logprobs came with v0.12.11, `TokenLogprob` in api/types.go carries
 *   `bytes`. A trailing assistant message is continued, as by /api/chat.
 * - openai — OpenAI's API: chat models answer a trailing assistant message with a new turn (no
 *   prefill); an unknown field is a 400 "Unrecognized request argument supplied: <field>" (as
 *   clients report it; the reference lists the known fields); /v1/completions serves only legacy
 *   completion models (a chat model gets 404 "This is a chat model and not supported in the
 *   v1/completions endpoint"); `n` is honoured; `logprobs.content[]` has `token`, `logprob`,
 *   `bytes`, `top_logprobs` (≤ 20).
 * - lmstudio — LM Studio's OpenAI-compatible endpoints (lmstudio.ai/docs/developer/openai-compat):
 *   assistant messages may be included in the request; `logprobs` are stubbed (null, as the
 *   rlmstudio client documents); `n` is not listed (one choice). Least documented of the five: the
 *   most conservative mode.
 *
 * Byte-level tokens (`byteTokens`, `partialTokens`): OpenAI's `logprobs.content[].bytes` is "a list of
 * integers representing the UTF-8 bytes representation of the token. Useful in instances where
 * characters are represented by multiple tokens and their byte representations must be combined"
 * (API reference, ChatCompletionTokenLogprob) — real bytes, `raw`. vLLM's chat serving builds `bytes`
 * as `list(token.encode("utf-8", errors="replace"))` of the token decoded alone
 * (vllm/entrypoints/openai/serving_chat.py `_get_top_logprobs`), so a partial token comes back as
 * token "�" with bytes [239, 191, 189] (reported in standardcompletions/rfcs#2, "vLLM returns a
 * Unicode replacement character") — `replacement`; Ollama does the same (ollama/ollama#13497, "tokens
 * using partial UTF-8 bytes are returned as the Replacement Character with bytes [239, 191, 189]"; the
 * fix, #13500, was open on 2026-12-03). llama.cpp's server sends the raw piece as `bytes` and the
 * piece cut at its last valid UTF-8 boundary as `token` (tools/server utils: `validate_utf8`,
 * `str_to_bytes`) — `truncated`. Every server holds an incomplete character back from the message
 * text until the token that completes it (vLLM's incremental detokenizer, llama.cpp's
 * `validate_utf8`): with `max_tokens` ending inside a character the content stops before it.
 */
export const SERVER_SEMANTICS: Record<ServerMode, ServerSemantics> = {
  generic: { prefill: 'always', n: 'choices', completions: 'echo', chatLogprobs: true, byteTokens: false, partialTokens: 'raw', rejectsUnknownFields: false },
  vllm: { prefill: 'continue_final_message', n: 'choices', completions: 'echo', chatLogprobs: true, byteTokens: true, partialTokens: 'replacement', rejectsUnknownFields: false },
  llamacpp: { prefill: 'always', n: 'error', completions: 'no-echo', chatLogprobs: true, byteTokens: true, partialTokens: 'truncated', rejectsUnknownFields: false },
  ollama: { prefill: 'always', n: 'one', completions: 'no-logprobs', chatLogprobs: true, byteTokens: true, partialTokens: 'replacement', rejectsUnknownFields: false },
  openai: { prefill: 'never', n: 'choices', completions: 'absent', chatLogprobs: true, byteTokens: true, partialTokens: 'raw', rejectsUnknownFields: true },
  lmstudio: { prefill: 'always', n: 'one', completions: 'no-logprobs', chatLogprobs: false, byteTokens: false, partialTokens: 'raw', rejectsUnknownFields: false },
};

/** The request fields OpenAI's chat endpoint knows (for `rejectsUnknownFields`). */
const OPENAI_CHAT_FIELDS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'stop', 'max_tokens', 'max_completion_tokens', 'n', 'temperature', 'seed',
  'logprobs', 'top_logprobs', 'top_p', 'presence_penalty', 'frequency_penalty', 'user', 'response_format', 'tools', 'tool_choice', 'logit_bias',
]);

/** One token as a byte-level tokenizer emits it. */
export interface ByteToken {
  token: string;
  bytes: number[];
  logprob: number;
}

/**
 * Byte-level tokens of the toy tokens: every Hangul syllable (U+AC00–U+D7A3, 3 UTF-8 bytes) is
 * split after its second byte; the piece strings are the bytes decoded with U+FFFD for partial
 * UTF-8. Split pieces get log-probability −0.1 each; other tokens keep `tokenLogprob`.
 */
export function byteTokens(tokens: string[]): ByteToken[] {
  const out: ByteToken[] = [];
  for (const t of tokens) {
    if (!/[\uAC00-\uD7A3]/u.test(t)) {
      out.push({ token: t, bytes: [...Buffer.from(t)], logprob: tokenLogprob(t) });
      continue;
    }
    let pending: number[] = [];
    for (const ch of t) {
      const b = [...Buffer.from(ch)];
      if (/[\uAC00-\uD7A3]/u.test(ch)) {
        out.push({ token: Buffer.from([...pending, b[0], b[1]]).toString('utf8'), bytes: [...pending, b[0], b[1]], logprob: -0.1 });
        out.push({ token: Buffer.from([b[2]]).toString('utf8'), bytes: [b[2]], logprob: -0.1 });
        pending = [];
      } else pending.push(...b);
    }
    if (pending.length > 0) out.push({ token: Buffer.from(pending).toString('utf8'), bytes: pending, logprob: -0.1 });
  }
  return out;
}

/** Whether `bytes` are whole UTF-8 characters. */
function wholeUtf8(bytes: number[]): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    return true;
  } catch {
    return false;
  }
}

/** The longest prefix of `bytes` that ends on a character boundary, decoded (what servers put in the message text). */
export function heldBackText(bytes: number[]): string {
  for (let end = bytes.length; end >= 0; end--) if (wholeUtf8(bytes.slice(0, end))) return Buffer.from(bytes.slice(0, end)).toString('utf8');
  return '';
}

/** How a server of the given `partialTokens` kind reports one byte-level token: its `token` string and `bytes`. */
export function reportToken(t: { bytes: number[] }, kind: ServerSemantics['partialTokens']): { token: string; bytes: number[] } {
  if (wholeUtf8(t.bytes)) return { token: Buffer.from(t.bytes).toString('utf8'), bytes: t.bytes };
  const shown = Buffer.from(t.bytes).toString('utf8');
  if (kind === 'replacement') return { token: shown, bytes: [...Buffer.from(shown)] };
  if (kind === 'truncated') return { token: heldBackText(t.bytes), bytes: t.bytes };
  return { token: shown, bytes: t.bytes };
}

/** A scripted chat reply: plain text, or text per sample with options. */
export type ChatReply =
  | string
  | {
      /** One string for all samples, or one per sample (index i of `n`). */
      content: string | string[];
      /** Overrides the computed finish_reason. */
      finishReason?: string;
      /** Holds the response this long before answering (for timeout/abort tests). */
      delayMs?: number;
    };

export interface FailureSpec {
  status: number;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: string;
  /** `retry-after-ms` header value. */
  retryAfterMs?: string;
  /** Only requests whose path contains this string fail (default: any). */
  path?: string;
  /** Error message in the JSON body. */
  message?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
  /** HTTP status the server answered with. */
  status?: number;
}

export interface OpenAIServerOptions {
  /** Model ids listed by /v1/models; default `['test-model']`. */
  models?: string[];
  /** Reply function used when the queue is empty; default echoes `echo: <last user message>`. */
  chat?: (req: ChatRequest, sampleIndex: number) => ChatReply | Promise<ChatReply>;
  /** Chat endpoint returns logprobs when asked (default true). */
  logprobs?: boolean;
  /** Chat endpoint accepts `stream: true` (default true; false → 400). */
  streaming?: boolean;
  /** /v1/completions accepts `echo: true` (default true; false → 400 like llama.cpp). */
  echo?: boolean;
  /** Text the completions endpoint generates after the prompt, token by token (default " ok ."). */
  completionText?: string;
  /** Serve /v1/embeddings (default true; false → 404). */
  embeddings?: boolean;
  /** Embedding dimension (default 8). */
  embeddingDim?: number;
  /** Answer base64 requests with float arrays anyway (the trap the SDK's default falls into). */
  ignoreEncodingFormat?: boolean;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Which real server to imitate (default `generic`); see `SERVER_SEMANTICS`. */
  mode?: ServerMode;
  /**
   * The model's log-probability of `token` after the text `preceding` on /v1/completions (echoed
   * prompt tokens and generated ones); default `tokenLogprob(token)`, which ignores the context.
   * Tests use it for a model whose end of answer depends on what came before (after " Paris" the
   * model would go on with ", France", so "\n" there is unlikely).
   */
  completionLogprob?: (preceding: string, token: string) => number;
  /**
   * What /v1/completions generates after a prompt (echo off), instead of `completionText`; honours
   * `stop` (cut before the first stop string, finish_reason "stop"; with vLLM's
   * `include_stop_str_in_output: true` the stop string stays) and `max_tokens` ("length"); a
   * reply generated to its end finishes with "stop". Stands in for a raw-prompt model (a Self-RAG or
   * Search-R1 checkpoint).
   */
  complete?: (prompt: string, req: Record<string, unknown>) => string;
  /** Strings the toy tokenizer keeps whole on /v1/completions (a model's added tokens, e.g. Self-RAG's "[Retrieval]"). */
  specialTokens?: string[];
  /**
   * The top alternatives at one generated position of /v1/completions (log-probabilities by token
   * string; the chosen token's own log-probability is taken from it when listed), given the text
   * before the token; undefined → the default (`completionLogprob`, then `<alt1>`, … each 1.0 lower).
   */
  completionAlternatives?: (preceding: string, token: string) => Record<string, number> | undefined;
  /**
   * The top alternatives at one generated position of a chat reply (log-probabilities by token
   * string; the chosen token's own log-probability is taken from it when listed), given the request,
   * the token and its position; undefined → the default. Not used with byte-level tokens.
   */
  chatAlternatives?: (req: ChatRequest, token: string, position: number) => Record<string, number> | undefined;
}

export interface OpenAIServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: LoggedRequest[];
  /** Queues chat replies, consumed one per chat request (before `options.chat`). */
  enqueueChat(...replies: ChatReply[]): void;
  /** The next `count` matching requests fail as described. */
  failNext(count: number, failure: FailureSpec): void;
  /** Requests to a path (substring match), e.g. `count('/chat/completions')`. */
  count(pathPart: string): number;
  close(): Promise<void>;
}

/** Toy tokenizer: a run of whitespace plus one word (letters/digits/marks) or one other character. */
export function tokenize(text: string): string[] {
  return text.match(/\s*(?:[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_])|\s+$/gu) ?? [];
}

/** `tokenize`, keeping each of `specials` (a model's added tokens) as one token. */
export function tokenizeSpecial(text: string, specials: readonly string[]): string[] {
  if (specials.length === 0) return tokenize(text);
  const re = new RegExp(`(${[...specials].sort((a, b) => b.length - a.length).map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'u');
  return text.split(re).flatMap((piece, i) => (i % 2 === 1 ? [piece] : piece.length > 0 ? tokenize(piece) : []));
}

/** Log-probability of a token in this fake model: −0.1 × trimmed length (" Paris" → −0.5; "." → −0.1). */
export function tokenLogprob(token: string): number {
  return -0.1 * Math.max(1, token.trim().length);
}

/**
 * Deterministic embedding: feature hashing of lower-cased words (FNV-1a 32-bit, index = hash mod
 * dim, +1 per occurrence), then L2-normalised; the zero vector for text without words.
 */
export function hashEmbedding(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) {
      h ^= word.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    v[h % dim] += 1;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

function topFor(token: string, k: number): Array<{ token: string; logprob: number }> {
  const lp = tokenLogprob(token);
  const out = [{ token, logprob: lp }];
  for (let i = 1; i < k; i++) out.push({ token: `<alt${i}>`, logprob: lp - i });
  return out;
}

function countTokens(messages: Array<{ content: string }>): number {
  return messages.reduce((s, m) => s + tokenize(String(m.content ?? '')).length, 0);
}

/** Applies stop strings and max_tokens to a full reply. */
function shape(content: string, stop: string[], maxTokens: number | undefined): { text: string; tokens: string[]; finish: string } {
  let text = content;
  let finish = 'stop';
  let cut = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (s.length > 0 && i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  if (cut >= 0) text = text.slice(0, cut);
  let tokens = tokenize(text);
  if (maxTokens !== undefined && tokens.length > maxTokens) {
    tokens = tokens.slice(0, maxTokens);
    text = tokens.join('');
    finish = 'length';
  }
  return { text, tokens, finish };
}

/** Starts the server on 127.0.0.1 with a free port. */
export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const models = options.models ?? ['test-model'];
  const dim = options.embeddingDim ?? 8;
  const requests: LoggedRequest[] = [];
  const queue: ChatReply[] = [];
  const failures: Array<FailureSpec & { remaining: number }> = [];
  let created = 1_700_000_000;

  const send = (res: http.ServerResponse, log: LoggedRequest, status: number, body: unknown, headers: Record<string, string> = {}) => {
    log.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, log: LoggedRequest, status: number, message: string, headers: Record<string, string> = {}) =>
    send(res, log, status, { error: { message, type: status === 429 ? 'rate_limit_error' : 'invalid_request_error', code: null } }, headers);

  async function chatReply(req: ChatRequest, i: number): Promise<ChatReply> {
    if (i === 0 && queue.length > 0) return queue.shift()!;
    if (options.chat) return options.chat(req, i);
    // a trailing assistant message that reaches the model and leaves a count open ("1, 2, 3, 4,") is continued, as a model would
    const open = req.messages.at(-1)?.role === 'assistant' ? /(\d+),\s*$/.exec(req.messages.at(-1)!.content) : null;
    if (open) return ` ${Number(open[1]) + 1}, ${Number(open[1]) + 2}, ${Number(open[1]) + 3}`;
    const last = [...req.messages].reverse().find((m) => m.role === 'user');
    return `echo: ${last?.content ?? ''}`;
  }

  const sem = SERVER_SEMANTICS[options.mode ?? 'generic'];
  const scoreOf = options.completionLogprob ?? ((_preceding: string, token: string) => tokenLogprob(token));

  async function handleChat(req: ChatRequest, res: http.ServerResponse, log: LoggedRequest) {
    if (req.stream && options.streaming === false) return error(res, log, 400, 'streaming is not supported by this server');
    if (sem.rejectsUnknownFields) {
      const unknown = Object.keys(req).find((k) => !OPENAI_CHAT_FIELDS.has(k));
      if (unknown) return error(res, log, 400, `Unrecognized request argument supplied: ${unknown}`);
    }
    if (req.continue_final_message === true && options.mode === 'vllm') {
      if (req.add_generation_prompt === true) return error(res, log, 400, 'Cannot set both `continue_final_message` and `add_generation_prompt` to True.');
      if (req.add_generation_prompt === undefined) {
        return error(
          res,
          log,
          400,
          'continue_final_message and add_generation_prompt are not compatible. Use continue_final_message when you want the model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it to start a new assistant message instead.',
        );
      }
    }
    if (sem.n === 'error' && (req.n ?? 1) !== 1) return send(res, log, 500, { error: { code: 500, message: 'Only one completion choice is allowed', type: 'server_error' } });
    if (req.messages.at(-1)?.role === 'assistant') {
      const continued =
        sem.prefill === 'always' || (sem.prefill === 'continue_final_message' && req.continue_final_message === true && req.add_generation_prompt === false);
      // A new assistant turn: what the model writes does not depend on the trailing message's text being continued,
      // so the stand-in answers the conversation without it (the reply starts from the beginning of an answer).
      if (!continued) req = { ...req, messages: req.messages.slice(0, -1) };
    }
    const n = sem.n === 'choices' ? (req.n ?? 1) : 1;
    const stop = req.stop === undefined ? [] : Array.isArray(req.stop) ? req.stop : [req.stop];
    const maxTokens = req.max_completion_tokens ?? req.max_tokens;
    const wantLogprobs = Boolean(req.logprobs) && options.logprobs !== false && sem.chatLogprobs;
    const topK = req.top_logprobs ?? 0;
    const samples: Array<{ text: string; tokens: string[]; finish: string; bytes?: ByteToken[] }> = [];
    let delayMs = 0;
    const first = await chatReply(req, 0);
    for (let i = 0; i < n; i++) {
      const reply = i === 0 ? first : typeof first === 'object' && Array.isArray(first.content) ? first : await chatReply(req, i);
      const content = typeof reply === 'string' ? reply : Array.isArray(reply.content) ? reply.content[i % reply.content.length] : reply.content;
      let shaped: { text: string; tokens: string[]; finish: string; bytes?: ByteToken[] } = shape(content, stop, sem.byteTokens ? undefined : maxTokens);
      if (sem.byteTokens) {
        // max_tokens counts byte-level tokens; a character cut by it is held back from the text
        let bt = byteTokens(shaped.tokens);
        if (maxTokens !== undefined && bt.length > maxTokens) {
          bt = bt.slice(0, maxTokens);
          const text = heldBackText(bt.flatMap((t) => t.bytes));
          shaped = { text, tokens: tokenize(text), finish: 'length', bytes: bt };
        } else shaped = { ...shaped, bytes: bt };
      }
      if (typeof reply === 'object' && reply.finishReason) shaped.finish = reply.finishReason;
      if (typeof reply === 'object' && reply.delayMs) delayMs = Math.max(delayMs, reply.delayMs);
      samples.push(shaped);
    }
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (res.destroyed) return;
    const usage = {
      prompt_tokens: countTokens(req.messages),
      completion_tokens: samples.reduce((s, x) => s + (x.bytes ?? x.tokens).length, 0),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const lpContent = (tokens: string[], bt?: ByteToken[]) =>
      sem.byteTokens
        ? (bt ?? byteTokens(tokens)).map((t) => {
            const shown = reportToken(t, sem.partialTokens);
            return {
              ...shown,
              logprob: t.logprob,
              top_logprobs: [{ ...shown, logprob: t.logprob }, ...topFor(t.token, topK).slice(1).map((x, i) => ({ token: x.token, logprob: t.logprob - (i + 1), bytes: [...Buffer.from(x.token)] }))].slice(0, topK),
            };
          })
        : tokens.map((t, position) => {
            const alts = options.chatAlternatives?.(req, t, position);
            if (!alts) return { token: t, logprob: tokenLogprob(t), bytes: [...Buffer.from(t)], top_logprobs: topFor(t, topK).map((x) => ({ ...x, bytes: [...Buffer.from(x.token)] })) };
            const lp = alts[t] ?? tokenLogprob(t);
            const top = Object.entries({ ...alts, [t]: lp })
              .sort((a, b) => b[1] - a[1])
              .slice(0, topK)
              .map(([token, logprob]) => ({ token, logprob, bytes: [...Buffer.from(token)] }));
            return { token: t, logprob: lp, bytes: [...Buffer.from(t)], top_logprobs: top };
          });
    const id = `chatcmpl-${++created}`;
    if (!req.stream) {
      return send(res, log, 200, {
        id,
        object: 'chat.completion',
        created,
        model: req.model,
        choices: samples.map((s, index) => ({
          index,
          message: { role: 'assistant', content: s.text },
          finish_reason: s.finish,
          logprobs: wantLogprobs ? { content: lpContent(s.tokens, s.bytes) } : null,
        })),
        usage,
      });
    }
    log.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: req.model, choices, ...extra })}\n\n`);
    for (let index = 0; index < samples.length; index++) {
      chunk([{ index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }]);
      for (const t of samples[index].tokens) {
        chunk([{ index, delta: { content: t }, finish_reason: null, logprobs: wantLogprobs ? { content: lpContent([t]) } : null }]);
      }
      chunk([{ index, delta: {}, finish_reason: samples[index].finish, logprobs: null }]);
    }
    if (req.stream_options?.include_usage) chunk([], { usage });
    res.write('data: [DONE]\n\n');
    res.end();
  }

  function handleCompletions(req: Record<string, unknown>, res: http.ServerResponse, log: LoggedRequest) {
    const prompt = String(req.prompt ?? '');
    if (sem.completions === 'absent') {
      return error(res, log, 404, 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?');
    }
    const echo = Boolean(req.echo) && sem.completions !== 'no-logprobs';
    if (echo && (options.echo === false || sem.completions === 'no-echo')) return error(res, log, 400, 'Only no echo is supported');
    const maxTokens = typeof req.max_tokens === 'number' ? req.max_tokens : 16;
    const k = typeof req.logprobs === 'number' && sem.completions !== 'no-logprobs' ? req.logprobs : undefined;
    const toks = (t: string) => tokenizeSpecial(t, options.specialTokens ?? []);
    const promptTokens = toks(prompt);
    let finish = 'length';
    let generated: string[];
    if (options.complete && !echo) {
      let out = options.complete(prompt, req);
      const stops = req.stop === undefined ? [] : Array.isArray(req.stop) ? req.stop.map(String) : [String(req.stop)];
      let cut = -1;
      let cutLen = 0;
      for (const st of stops) {
        const i = out.indexOf(st);
        if (st.length > 0 && i >= 0 && (cut < 0 || i < cut)) [cut, cutLen] = [i, st.length];
      }
      if (cut >= 0) out = out.slice(0, req.include_stop_str_in_output === true ? cut + cutLen : cut);
      generated = toks(out);
      finish = 'stop';
      if (generated.length > maxTokens) [generated, finish] = [generated.slice(0, maxTokens), 'length'];
    } else generated = toks(options.completionText ?? ' ok .').slice(0, maxTokens);
    const shown = echo ? [...promptTokens, ...generated] : generated;
    const text = echo ? shown.join('') : generated.join('');
    let logprobs: unknown = null;
    // the text before shown token i (the prompt included when it is not echoed)
    const before = (i: number) => (echo ? '' : prompt) + shown.slice(0, i).join('');
    const alternativesAt = (i: number, t: string) => (echo && i < promptTokens.length ? undefined : options.completionAlternatives?.(before(i), t));
    if (k !== undefined) {
      const offsets: number[] = [];
      let cp = 0;
      for (const t of shown) {
        offsets.push(cp);
        cp += [...t].length;
      }
      logprobs = {
        tokens: shown,
        token_logprobs: shown.map((t, i) => (echo && i === 0 ? null : (alternativesAt(i, t)?.[t] ?? scoreOf(before(i), t)))),
        top_logprobs: shown.map((t, i) => {
          if (echo && i === 0) return null;
          const alts = alternativesAt(i, t);
          if (alts) {
            const lp = alts[t] ?? scoreOf(before(i), t);
            return Object.fromEntries(Object.entries({ ...alts, [t]: lp }).sort((a, b) => b[1] - a[1]).slice(0, Math.max(1, k)));
          }
          const lp = scoreOf(before(i), t);
          return Object.fromEntries(topFor(t, Math.max(1, k)).map((x, j) => [x.token, lp - j]));
        }),
        text_offset: offsets,
      };
    }
    send(res, log, 200, {
      id: `cmpl-${++created}`,
      object: 'text_completion',
      created,
      model: req.model,
      choices: [{ index: 0, text, logprobs, finish_reason: finish }],
      usage: { prompt_tokens: promptTokens.length, completion_tokens: generated.length, total_tokens: promptTokens.length + generated.length },
    });
  }

  function handleEmbeddings(req: Record<string, unknown>, res: http.ServerResponse, log: LoggedRequest) {
    if (options.embeddings === false) return error(res, log, 404, 'embeddings are not served here');
    const inputs = Array.isArray(req.input) ? req.input.map(String) : [String(req.input ?? '')];
    const base64 = req.encoding_format === 'base64' && !options.ignoreEncodingFormat;
    const data = inputs.map((text, index) => {
      const v = hashEmbedding(text, dim);
      const embedding = base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce((s, t) => s + tokenize(t).length, 0);
    send(res, log, 200, { object: 'list', data, model: req.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const log: LoggedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body };
      requests.push(log);
      void (async () => {
        if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
          return error(res, log, 401, 'invalid api key');
        }
        const failure = failures.find((f) => f.remaining > 0 && (f.path === undefined || url.pathname.includes(f.path)));
        if (failure) {
          failure.remaining--;
          const headers: Record<string, string> = {};
          if (failure.retryAfter !== undefined) headers['retry-after'] = failure.retryAfter;
          if (failure.retryAfterMs !== undefined) headers['retry-after-ms'] = failure.retryAfterMs;
          return error(res, log, failure.status, failure.message ?? `injected failure ${failure.status}`, headers);
        }
        if (req.method === 'GET' && url.pathname === '/v1/models') {
          return send(res, log, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'test' })) });
        }
        if (req.method !== 'POST' || body === undefined) return error(res, log, 404, `no route ${req.method} ${url.pathname}`);
        if (url.pathname === '/v1/chat/completions') return handleChat(body as ChatRequest, res, log);
        if (url.pathname === '/v1/completions') return handleCompletions(body, res, log);
        if (url.pathname === '/v1/embeddings') return handleEmbeddings(body, res, log);
        return error(res, log, 404, `no route POST ${url.pathname}`);
      })().catch((err: unknown) => {
        if (!res.headersSent) error(res, log, 500, `test server bug: ${(err as Error).message}`);
        else res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    enqueueChat: (...replies) => queue.push(...replies),
    failNext: (count, failure) => failures.push({ ...failure, remaining: count }),
    count: (part) => requests.filter((r) => r.path.includes(part)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
