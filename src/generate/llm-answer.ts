/**
 * An answer written by a language model from numbered passages, with checked citations.
 *
 * Steps: number the hits 1..k as passages (title, source, text) with the `passage` template;
 * build the system and user messages from `answer-with-citations.*`, asking for an answer in
 * the question's language (`answerLanguage`) that cites passages as `[n]`; call the model at
 * temperature 0 — streaming through `onToken` when given and the model streams — then parse
 * the markers with `checkCitations`: numbers that point at no passage are removed from the
 * answer text and reported in `invalidCitations`, every remaining citation resolves to a hit
 * and quotes that hit's text verbatim.
 *
 * `onToken` receives the text as it arrives with invalid markers already removed
 * (`MarkerStreamFilter`), so what the terminal shows is the returned `answer` (up to
 * surrounding whitespace); `rawAnswer` keeps the model's own text.
 */
import type { Answer, Hit, TokenUsage } from '../core/types.js';
import type { ChatMessage, GenerateOptions, GenerateResult, LanguageModel } from '../models/types.js';
import { MarkerStreamFilter, checkCitations } from './citations.js';
import { notFoundMessage } from './extractive.js';
import { answerLanguage, loadTemplates, renderTemplate, type TemplateSet } from './prompts.js';

/** Upper bound on answer tokens unless the caller says otherwise (a cited paragraph). */
export const DEFAULT_ANSWER_MAX_TOKENS = 512;

export interface LlmAnswerOptions {
  llm: LanguageModel;
  question: string;
  /** Retrieved passages, best first; marker n refers to hits[n − 1]. */
  hits: Hit[];
  /** Templates in effect (`loadTemplates(config.prompts)`); the built-ins when omitted. */
  templates?: TemplateSet;
  /** Receives text deltas as they stream. */
  onToken?: (delta: string) => void;
  signal?: AbortSignal;
  /** Default `DEFAULT_ANSWER_MAX_TOKENS`. */
  maxTokens?: number;
  /** Default 0 (greedy; also what makes the answer cacheable). */
  temperature?: number;
  /** Clock for `latencyMs`, in ms. */
  now?: () => number;
}

export interface LlmAnswer extends Answer {
  /** The messages sent to the model. */
  prompt: ChatMessage[];
  /** Model id as reported by the endpoint (falls back to `llm.id`). */
  model: string;
  usage: TokenUsage;
  /** Wall-clock time of the model call(s), ms. */
  latencyMs: number;
  /** Marker numbers in the model's text that pointed at no passage (removed from `answer`). */
  invalidCitations: number[];
  /** The model's text before invalid markers were removed. */
  rawAnswer: string;
  /** True when the response came from the cache. */
  cached?: boolean;
}

/** The chat messages for a question over numbered passages. */
export function buildAnswerPrompt(question: string, hits: readonly Hit[], templates: TemplateSet = loadTemplates()): ChatMessage[] {
  const language = answerLanguage(question);
  const passages = hits
    .map((h, i) => renderTemplate('passage', templates.passage, { n: i + 1, title: h.title || h.docId, source: h.source, text: h.text.trim() }))
    .join('\n\n');
  return [
    { role: 'system', content: renderTemplate('answer-with-citations.system', templates['answer-with-citations.system'], { language }) },
    { role: 'user', content: renderTemplate('answer-with-citations.user', templates['answer-with-citations.user'], { passages, question, language }) },
  ];
}

/**
 * Answers `question` from `hits` with `llm`.
 * @returns the cleaned answer, its citations (each resolving to a hit), the prompt, model,
 *   token usage, latency and the invalid marker numbers
 * @throws CapabilityError / ModelError from the model; the signal's reason when aborted
 */
export async function answerWithLlm(options: LlmAnswerOptions): Promise<LlmAnswer> {
  const { llm, question, hits } = options;
  const now = options.now ?? (() => performance.now());
  const prompt = buildAnswerPrompt(question, hits, options.templates);
  if (hits.length === 0) {
    const answer = notFoundMessage(question);
    return { question, answer, rawAnswer: answer, citations: [], hits, method: 'llm', prompt, model: llm.id, usage: { promptTokens: 0, completionTokens: 0 }, latencyMs: 0, invalidCitations: [] };
  }
  const genOptions: GenerateOptions = {
    temperature: options.temperature ?? 0,
    maxTokens: options.maxTokens ?? DEFAULT_ANSWER_MAX_TOKENS,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const t0 = now();
  let result: GenerateResult;
  const filter = new MarkerStreamFilter(hits.length);
  const emit = (text: string) => {
    if (text && options.onToken) options.onToken(text);
  };
  if (options.onToken && llm.capabilities.streaming) {
    const it = llm.stream(prompt, genOptions);
    let step = await it.next();
    while (!step.done) {
      emit(filter.push(step.value));
      step = await it.next();
    }
    emit(filter.flush());
    result = step.value;
  } else {
    result = await llm.generate(prompt, genOptions);
    emit(filter.push(result.generations[0]?.text ?? '') + filter.flush());
  }
  const latencyMs = now() - t0;
  const rawAnswer = result.generations[0]?.text.trim() ?? '';
  const checked = checkCitations(rawAnswer, hits);
  return {
    question,
    answer: checked.answer,
    rawAnswer,
    citations: checked.citations,
    hits,
    method: 'llm',
    prompt,
    model: result.model || llm.id,
    usage: result.usage,
    latencyMs,
    invalidCitations: checked.invalidCitations,
    ...(result.cached ? { cached: true } : {}),
  };
}
