/**
 * Decoding over a mixture of documents, shared by REPLUG (token level), RAG-Token and
 * RAG-Sequence, through a chat endpoint that returns top-k log-probabilities.
 *
 * One decoding step for a partial answer y_<i asks the model once per document, with the
 * document's prompt and the partial answer as a trailing assistant message (a "prefill" that
 * the model continues), for ONE token with its top alternatives (`topLogprobs`, ≤ 20). The
 * per-document lists are mixed with `mixNextToken` (log Σ_d w_d p_d(t)). A document whose
 * reply is empty with finish reason "stop" has ended its answer: it contributes the
 * end-of-sequence token `EOS` (the empty string) with probability 1. A newline after answer text
 * also ends the answer (short-answer QA); a newline before any answer text does not (`endsAnswer`):
 * it stays in the prefix and decoding goes on. (A chat template that trims the assistant message
 * would drop such a prefix; the trace shows the prefix of every step.) Only the top alternatives are visible, so a token's
 * mixed probability is a lower bound; the unseen mass per document is reported.
 *
 * Prefill needs an endpoint that continues a final assistant message. Each step sets
 * `continueFinalMessage`, which sends vLLM's `continue_final_message: true` +
 * `add_generation_prompt: false` (without them vLLM starts a new assistant turn and every "next
 * token" would be the first token of a fresh answer); llama.cpp's server and Ollama continue a
 * trailing assistant message anyway; OpenAI refuses the fields and the step raises
 * `CapabilityError` (use the sequence-level forms there).
 *
 * Byte-level tokens. A byte-level BPE model splits a Hangul syllable (3 UTF-8 bytes) over two or
 * three tokens, and a token that ends inside a character cannot be sent back as prefill text (it
 * would arrive as U+FFFD). So a decoding step advances by one *unit*: a token that is whole
 * characters, or the run of tokens that completes a character. When a document's first token is
 * partial (`isWholeToken`), the step asks that document again for 2, 3, 4 tokens (UTF-8 has at most
 * 4 bytes) until the generated tokens end on a character boundary; the unit's text is their joined
 * bytes decoded (or, where the server reports U+FFFD's bytes for partial tokens — vLLM's chat
 * serving, Ollama — the message text, which servers hold back until a character is whole) and its
 * log-probability the sum of theirs, so p_d(unit) = Π p_d(token_i | …) is exact for that document.
 * Units are matched across documents by text. A partial alternative other than the document's own
 * first token has an unknown continuation: it is left out (probability 0, a lower bound, as for
 * tokens outside the top list). Every prefix sent back is therefore whole characters.
 *
 * Cost: one chat call per document per live beam per generated unit, plus up to three more for a
 * document whose next token is part of a character.
 */
import { CapabilityError } from '../core/errors.js';
import type { ChatMessage } from '../models/types.js';
import type { MethodContext, Tracer } from './method.js';
import { mixNextToken, stepBeams, type Beam, type MixedToken, type TokenAlternative } from './prob.js';

/** The end-of-sequence token in alternatives and beams. */
export const EOS = '';

/** Top alternatives the endpoint is asked for (OpenAI's maximum). */
export const TOP_LOGPROBS = 20;

/** Throws CapabilityError unless the model returns token log-probabilities. */
export function requireLogprobs(ctx: MethodContext, method: string): void {
  if (!ctx.llm.capabilities.logprobs) {
    throw new CapabilityError(`${method}: token-level decoding needs token log-probabilities with top alternatives, which ${ctx.llm.id} does not offer`);
  }
}

/**
 * Throws CapabilityError unless the model continues a trailing assistant message (prefill), which
 * every token step after the first sends; `instead` names what runs without it.
 */
export function requirePrefill(ctx: MethodContext, method: string, instead: string): void {
  if (!ctx.llm.capabilities.prefill) {
    throw new CapabilityError(
      `${method}: token-level decoding continues the partial answer as a trailing assistant message (prefill), which ${ctx.llm.id} does not do (it answers with a new turn; OpenAI's hosted models cannot continue, vLLM needs continue_final_message); ${instead}`,
    );
  }
}

/** Throws CapabilityError unless the model scores continuations (completions with echo). */
export function requireEchoScoring(ctx: MethodContext, method: string): void {
  if (!ctx.llm.capabilities.echoScoring) {
    throw new CapabilityError(`${method}: needs continuation scoring (completions endpoint with echo + logprobs), which ${ctx.llm.id} does not offer`);
  }
}

/** The messages for one document with the partial answer `prefix` as a trailing assistant message. */
export function withPrefix(messages: readonly ChatMessage[], prefix: string): ChatMessage[] {
  return prefix.length === 0 ? [...messages] : [...messages, { role: 'assistant', content: prefix }];
}

/** Most byte-level tokens one character can span (UTF-8 encodes a character in at most 4 bytes). */
export const MAX_UNIT_TOKENS = 4;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `bytes` decode as whole UTF-8 characters, none of them U+FFFD. */
function wholeBytes(bytes: readonly number[]): boolean {
  if (bytes.length === 0) return false;
  try {
    return !STRICT_UTF8.decode(Uint8Array.from(bytes)).includes('\uFFFD');
  } catch {
    return false;
  }
}

/** Whether `bytes` are exactly U+FFFD's (EF BF BD): how vLLM's chat serving and Ollama report a partial token. */
function isReplacement(bytes: readonly number[]): boolean {
  return bytes.length === 3 && bytes[0] === 0xef && bytes[1] === 0xbf && bytes[2] === 0xbd;
}

/**
 * Whether a reported token is whole characters, so its text can be sent back as prefill: its bytes
 * (when reported) are valid UTF-8 and not U+FFFD's (vLLM and Ollama report a partial token as U+FFFD
 * with bytes EF BF BD), else its string is non-empty and has no U+FFFD. A genuine U+FFFD in the
 * output counts as partial (the price of servers that report partial tokens that way).
 */
export function isWholeToken(t: { token: string; bytes?: number[] }): boolean {
  if (t.bytes) return wholeBytes(t.bytes);
  return t.token.length > 0 && !t.token.includes('\uFFFD');
}

/** The text of a whole token: its bytes decoded when reported, else its string. */
function wholeText(t: { token: string; bytes?: number[] }): string {
  return t.bytes ? Buffer.from(t.bytes).toString('utf8') : t.token;
}

/**
 * Next-unit alternatives of one document's prompt after `prefix` (a unit is a whole-character token
 * or the run of byte-level tokens that completes a character; see the header): the whole tokens of
 * the first position's top list (or the token alone when the endpoint gives no alternatives), and,
 * when the document's own first token is partial, the unit its greedy continuation completes
 * (asked for 2…`MAX_UNIT_TOKENS` tokens), with the summed log-probability; `[EOS: 0]` when nothing
 * was generated and the model stopped. Alternatives carry their text as `token` (no bytes).
 */
export async function nextTokenAlternatives(tracer: Tracer, messages: readonly ChatMessage[], prefix: string, topLogprobs = TOP_LOGPROBS): Promise<TokenAlternative[]> {
  const msgs = withPrefix(messages, prefix);
  const ask = (maxTokens: number) =>
    tracer.generate(maxTokens === 1 ? 'next token' : `next ${maxTokens} tokens (completing a character)`, msgs, { temperature: 0, maxTokens, logprobs: true, topLogprobs, continueFinalMessage: true }, true);
  const g = (await ask(1)).generations[0];
  const first = g?.logprobs?.[0];
  if (!first) return [{ token: EOS, logprob: 0 }];
  const out: TokenAlternative[] = [];
  const seen = new Set<string>();
  const add = (token: string, logprob: number) => {
    if (seen.has(token)) return;
    seen.add(token);
    out.push({ token, logprob });
  };
  if (!isWholeToken(first)) {
    // the document's own first token ends inside a character: follow its greedy path to the character's end
    for (let k = 2; k <= MAX_UNIT_TOKENS; k++) {
      const gk = (await ask(k)).generations[0];
      const toks = gk?.logprobs ?? [];
      if (toks.length < k) break; // stopped inside a character
      // real bytes: decode them joined; replacement bytes (or none): the message text, held back until whole
      const bytes = toks.every((t) => t.bytes && t.bytes.length > 0 && !isReplacement(t.bytes)) ? toks.flatMap((t) => t.bytes!) : undefined;
      const text = bytes ? (wholeBytes(bytes) ? Buffer.from(bytes).toString('utf8') : '') : gk.text;
      if (text.length > 0 && !text.includes('\uFFFD')) {
        add(text, toks.reduce((s, t) => s + t.logprob, 0));
        break;
      }
    }
  }
  for (const a of first.top && first.top.length > 0 ? first.top : [first]) if (isWholeToken(a)) add(wholeText(a), a.logprob);
  return stableByLogprob(out);
}

function stableByLogprob(xs: TokenAlternative[]): TokenAlternative[] {
  return xs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (a.x.logprob === b.x.logprob ? a.i - b.i : b.x.logprob - a.x.logprob))
    .map((e) => e.x);
}

/** One decoded token under the mixture, for the trace. */
export interface MixtureStep {
  prefix: string;
  token: string;
  /** log p(token | x, y_<i) under the mixture. */
  logprob: number;
  /** log p_d(token | d, x, y_<i) per document (−∞ when outside its top list). */
  perDoc: number[];
}

export interface MixtureDecodeResult {
  /** Finished hypotheses, best first by summed mixed log-probability. */
  beams: Beam[];
  /** For the best hypothesis: one entry per token. */
  steps: MixtureStep[];
  /** Σ over steps of log p_d(token) per document for the best hypothesis (−∞ if any token was unseen). */
  perDocLogprob: number[];
}

/**
 * Whether a hypothesis whose tokens join to `text` has ended its answer: a newline after the first
 * non-blank character. A newline before any answer text (a model that starts with "\n") does not
 * end it — decoding goes on from the newline, as the greedy RAG-Sequence path skips it.
 */
export function endsAnswer(text: string): boolean {
  return text.trimStart().includes('\n');
}

/**
 * Greedy (beamSize 1) or beam decoding on the per-step mixture Σ_d w_d p_d(y_i | d, x, y_<i) —
 * RAG-Token's decoder (Lewis et al. 2020, §2.4) and REPLUG's ensemble applied token by token
 * (Shi et al. 2023, §3).
 * @param docMessages one prompt per document
 * @param weights the document weights w_d (softmax of retrieval scores), one per document
 * @param beamSize N ≥ 1 (1 = greedy)
 * @param maxTokens tokens at most per hypothesis
 */
export async function mixtureDecode(
  tracer: Tracer,
  docMessages: ReadonlyArray<readonly ChatMessage[]>,
  weights: readonly number[],
  beamSize: number,
  maxTokens: number,
): Promise<MixtureDecodeResult> {
  type Tracked = Beam & { steps: MixtureStep[]; perDoc: number[] };
  let beams: Tracked[] = [{ tokens: [], logprob: 0, done: false, steps: [], perDoc: weights.map(() => 0) }];
  for (let t = 0; t < maxTokens && beams.some((b) => !b.done); t++) {
    const mixedByBeam: MixedToken[][] = [];
    for (const b of beams) {
      if (b.done) {
        mixedByBeam.push([]);
        continue;
      }
      const prefix = b.tokens.join('');
      const perDoc = await Promise.all(docMessages.map((m) => nextTokenAlternatives(tracer, m, prefix)));
      mixedByBeam.push(mixNextToken(perDoc, weights).slice(0, beamSize));
    }
    const next = stepBeams(beams, mixedByBeam, beamSize, EOS);
    beams = next.map((nb) => {
      const parent = beams[nb.from.beam];
      if (nb.from.alternative < 0) return parent;
      const m = mixedByBeam[nb.from.beam][nb.from.alternative];
      const done = nb.done || m.token === EOS || endsAnswer(parent.tokens.join('') + m.token);
      return {
        tokens: nb.tokens,
        logprob: nb.logprob,
        done,
        steps: [...parent.steps, { prefix: parent.tokens.join(''), token: m.token, logprob: m.logprob, perDoc: m.perDoc }],
        perDoc: parent.perDoc.map((s, d) => s + m.perDoc[d]),
      };
    });
  }
  return { beams: beams.map((b) => ({ tokens: b.tokens, logprob: b.logprob, done: b.done })), steps: beams[0].steps, perDocLogprob: beams[0].perDoc };
}

/** The answer of a generated text: its first non-blank line, trimmed ('' when there is none). */
export function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';
}

/** The answer text of a beam: the first non-blank line of its tokens joined, trimmed. */
export function beamText(b: Beam): string {
  return firstLine(b.tokens.join(''));
}
