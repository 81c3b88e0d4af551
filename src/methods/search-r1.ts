/**
 * Search-R1: Jin, Zeng, Yue, Yoon, Arik, Wang, Zamani, Han, "Search-R1: Training LLMs to Reason
 * and Leverage Search Engines with Reinforcement Learning", arXiv 2503.09516 (2025) — the
 * inference rollout (the RL training with an exact-match reward is out of scope here).
 *
 * The model reasons inside `<think>…</think>`; when it lacks knowledge it writes
 * `<search> query </search>` and generation stops at `</search>`; the top-k passages come back
 * inside `<information>…</information>` and the model continues; it ends with
 * `<answer> … </answer>`. At most `maxSearches` B searches (default 4 here; FlashRAG allows 5);
 * a search past the budget is refused inside `<information>` and the model is asked to answer.
 *
 * Transport (`transport`):
 * - `chat` (default): each turn is one chat call; the model's turn is an assistant message and the
 *   retrieved `<information>` block the next user message (portable to every chat endpoint).
 * - `completions`: one raw-text transcript on `/v1/completions`, as the released checkpoints were
 *   trained (PeterGriffinJin/Search-R1:search_r1/llm_agent/generation.py, the rollout of training):
 *   the prompt, then each response cut after its first `</search>` or `</answer>` (restored when the
 *   server drops the stop string), then for a search `\n\n<information>{docs}</information>\n\n`
 *   with `_passages2string`'s `Doc i(Title: t) text` lines (numbered from 1 in every block), for a
 *   turn with neither tag the reference's invalid-action observation; the action is the first
 *   `<search>…</search>` or `<answer>…</answer>` of the response. `maxSearches` is the reference's
 *   `max_turns`; after it one final turn runs whose search is not executed. `transcriptRollout`
 *   returns the segments with their loss mask (model text 1, inserted text 0) for
 *   `openbook train-data search-r1` (src/train/search-r1.ts).
 *
 * Robustness: the last `<answer>` wins even when `</answer>` is missing (the stop string cut it,
 * or the model forgot); a `<search>` without `</search>` is a search up to the end of the turn;
 * a turn with neither tag ends the loop with the turn's text (tags removed) as the answer, and
 * the trace says so. An empty search query is not sent to the retriever.
 *
 * Parameters: `maxSearches` B = 4, `maxTokens` per turn 512 (the reference's new-token limit),
 * `topK` 3 passages per search (the paper's and the reference's topk), `numbering` 'per-search'
 * (each <information> block counts from Doc 1, as the reference's `_passages2string` in
 * PeterGriffinJin/Search-R1:infer.py; markers [n] in the answer then refer to the last block read)
 * or 'run' (one count over the run; markers refer to every passage retrieved).
 * Cost: up to B + 2 chat calls (B searches, one refused search, one last turn) + up to B retrievals.
 */
import { InvalidParameterError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import type { ChatMessage } from '../models/types.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { renderPrompt } from './prompts.js';

export interface SearchR1Params {
  /** 'chat': one chat call per turn; 'completions': one raw transcript on /v1/completions, as the checkpoints were trained. */
  transport: 'chat' | 'completions';
  maxSearches: number;
  maxTokens: number;
  /** Passages per search (the reference retriever's topk, 3; the method's own, not the context's topK). */
  topK: number;
  /** 'per-search': every <information> block counts from Doc 1, as the reference does; 'run': one count over the whole run. */
  numbering: 'per-search' | 'run';
}

/** What one model turn asked for. */
export type TurnAction = { kind: 'answer'; answer: string; closed: boolean } | { kind: 'search'; query: string; closed: boolean } | { kind: 'none'; text: string };

/**
 * Reads one turn: the last `<answer>` (closed or not) wins; else the last `<search>` (closed or
 * not); else `none` with the text stripped of tags.
 */
export function parseTurn(text: string): TurnAction {
  const a = text.lastIndexOf('<answer>');
  if (a >= 0) {
    const rest = text.slice(a + '<answer>'.length);
    const end = rest.indexOf('</answer>');
    return { kind: 'answer', answer: (end >= 0 ? rest.slice(0, end) : rest).trim(), closed: end >= 0 };
  }
  const s = text.lastIndexOf('<search>');
  if (s >= 0) {
    const rest = text.slice(s + '<search>'.length);
    const end = rest.indexOf('</search>');
    return { kind: 'search', query: (end >= 0 ? rest.slice(0, end) : rest).trim(), closed: end >= 0 };
  }
  return { kind: 'none', text: text.replace(/<\/?(think|search|answer|information)>/g, '').trim() };
}

/**
 * The `<information>` block: `Doc i(Title: t) text` per passage, i from `firstNumber` (1: the
 * reference's `_passages2string`, PeterGriffinJin/Search-R1:infer.py, numbers each search afresh).
 */
export function informationBlock(hits: readonly Hit[], firstNumber = 1): string {
  const docs = hits.map((h, i) => `Doc ${firstNumber + i}(Title: ${h.title}) ${h.text.trim()}`).join('\n');
  return `<information>\n${docs}\n</information>`;
}

export const searchR1: Method<SearchR1Params> = {
  name: 'search-r1',
  paper: 'Jin et al., "Search-R1: Training LLMs to Reason and Leverage Search Engines with Reinforcement Learning", arXiv 2503.09516 (2025).',
  defaults: { transport: 'chat', maxSearches: 4, maxTokens: 512, topK: 3, numbering: 'per-search' },
  cost: 'up to B + 2 chat calls and B retrievals',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'search-r1');
    const p = { ...searchR1.defaults, ...params };
    checkInteger('search-r1', 'maxSearches', p.maxSearches, 0);
    checkInteger('search-r1', 'topK', p.topK, 1);
    if (p.numbering !== 'per-search' && p.numbering !== 'run') throw new InvalidParameterError(`search-r1: numbering must be "per-search" or "run", got ${JSON.stringify(p.numbering)}`);
    if (p.transport !== 'chat' && p.transport !== 'completions') throw new InvalidParameterError(`search-r1: transport must be "chat" or "completions", got ${JSON.stringify(p.transport)}`);
    const tracer = new Tracer(ctx);
    if (p.transport === 'completions') {
      const t = await transcriptRollout(tracer, question, p);
      if (t.answer === undefined) {
        tracer.note('decide', `no <answer> in ${t.turns} turns`, { output: '' });
        return tracer.finish('', [], t.lastHits);
      }
      tracer.note('decide', `turn ${t.turns}: answer`, { output: t.answer });
      return tracer.finishCited(t.answer, t.lastHits);
    }
    const messages: ChatMessage[] = [{ role: 'user', content: renderPrompt('searchr1.user', { question }) }];
    const seen: Hit[] = [];
    // what the answer's [n] markers point at: the last block's passages (per-search numbering) or every passage so far
    let cited: Hit[] = [];
    let searches = 0;
    for (let turn = 1; turn <= p.maxSearches + 2; turn++) {
      const res = await tracer.generate(`turn ${turn}`, messages, { temperature: 0, maxTokens: p.maxTokens, stop: ['</search>', '</answer>'] });
      const text = res.generations[0].text;
      const action = parseTurn(text);
      if (action.kind === 'answer') {
        tracer.note('decide', `turn ${turn}: answer`, { input: { finishReason: res.generations[0].finishReason, closingTag: action.closed }, output: action.answer });
        return tracer.finishCited(action.answer, cited);
      }
      if (action.kind === 'none') {
        tracer.note('decide', `turn ${turn}: no <search> or <answer> tag, the turn's text is the answer`, { output: action.text });
        return tracer.finishCited(action.text, cited);
      }
      messages.push({ role: 'assistant', content: action.closed ? text : `${text}</search>` });
      let info: string;
      if (searches >= p.maxSearches) {
        info = `<information>\nSearch budget of ${p.maxSearches} exhausted; no more searches. Give the final answer now inside <answer> and </answer>.\n</information>`;
        tracer.note('decide', `turn ${turn}: search refused (budget ${p.maxSearches} used)`, { input: action.query, output: info });
      } else if (action.query.length === 0) {
        info = '<information>\nEmpty search query; nothing was searched.\n</information>';
        tracer.note('decide', `turn ${turn}: empty <search> query`, { output: info });
      } else {
        searches++;
        const hits = await tracer.retrieve(`search ${searches} of ${p.maxSearches}`, action.query, p.topK);
        info = informationBlock(hits, p.numbering === 'per-search' ? 1 : seen.length + 1);
        seen.push(...hits);
        cited = p.numbering === 'per-search' ? hits : [...seen];
      }
      messages.push({ role: 'user', content: info });
    }
    tracer.note('decide', 'no <answer> after the budget and one final turn', { output: '' });
    return tracer.finish('', [], seen);
  },
};

/** The stop strings of every turn. */
const STOPS = ['</search>', '</answer>'];

/**
 * The observation after a turn with neither a search nor an answer, as the checkpoints saw it in
 * training (search_r1/llm_agent/generation.py, `execute_predictions`).
 */
export const INVALID_ACTION_OBSERVATION =
  '\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n';

/** The raw transcript's `<information>` block: `_passages2string`'s lines, numbered from Doc 1, stripped, between blank lines. */
export function rawInformationBlock(hits: readonly Hit[]): string {
  const docs = hits.map((h, i) => `Doc ${i + 1}(Title: ${h.title ?? ''}) ${h.text}`).join('\n').trim();
  return `\n\n<information>${docs}</information>\n\n`;
}

/**
 * A response as the reference keeps it: up to and including its first `</search>`, else its first
 * `</answer>`; when the server dropped the stop string (finish reason "stop" with the last opened
 * tag unclosed), that tag's closing string is restored.
 */
export function cutResponse(text: string, finishReason: string): string {
  const s = text.indexOf('</search>');
  if (s >= 0) return text.slice(0, s + '</search>'.length);
  const a = text.indexOf('</answer>');
  if (a >= 0) return text.slice(0, a + '</answer>'.length);
  if (finishReason !== 'stop') return text;
  const os = text.lastIndexOf('<search>');
  const oa = text.lastIndexOf('<answer>');
  if (os < 0 && oa < 0) return text;
  return text + (os > oa ? '</search>' : '</answer>');
}

/** The first `<search>…</search>` or `<answer>…</answer>` of a response (the reference's `postprocess_predictions`). */
export function firstAction(response: string): { kind: 'search' | 'answer'; content: string } | undefined {
  const m = /<(search|answer)>([\s\S]*?)<\/\1>/.exec(response);
  return m ? { kind: m[1] as 'search' | 'answer', content: m[2].trim() } : undefined;
}

/** One piece of a rollout's response: model text (loss 1) or text inserted by the environment (loss 0). */
export interface TranscriptSegment {
  text: string;
  /** 1 = generated by the model (trained on); 0 = retrieved `<information>` or an observation (masked out, as the reference's `info_mask`). */
  loss: 0 | 1;
}

/** A raw-transcript rollout. */
export interface TranscriptRollout {
  /** The prompt the transcript starts from. */
  prompt: string;
  /** The response after the prompt, in order; their texts joined are the response. */
  segments: TranscriptSegment[];
  /** The answer inside the final `<answer>`; undefined when the rollout ended without one. */
  answer?: string;
  searches: number;
  turns: number;
  /** The passages of the last search (what the answer's [n] markers point at). */
  lastHits: Hit[];
}

/**
 * Runs Search-R1's raw-transcript rollout on `/v1/completions` (see the header), greedy.
 * @throws CapabilityError when the model has no raw completions
 */
export async function transcriptRollout(tracer: Tracer, question: string, p: Pick<SearchR1Params, 'maxSearches' | 'maxTokens' | 'topK'>): Promise<TranscriptRollout> {
  const prompt = renderPrompt('searchr1.user', { question });
  let transcript = prompt;
  const segments: TranscriptSegment[] = [];
  let searches = 0;
  let lastHits: Hit[] = [];
  for (let turn = 1; turn <= p.maxSearches + 1; turn++) {
    const final = turn > p.maxSearches;
    const c = await tracer.complete(final ? `turn ${turn} (final)` : `turn ${turn}`, transcript, { temperature: 0, maxTokens: p.maxTokens, stop: STOPS });
    const response = cutResponse(c.text, c.finishReason);
    segments.push({ text: response, loss: 1 });
    transcript += response;
    const action = firstAction(response);
    if (action?.kind === 'answer') return { prompt, segments, answer: action.content, searches, turns: turn, lastHits };
    if (final) break;
    let inserted: string;
    if (action?.kind === 'search') {
      searches++;
      lastHits = action.content.length > 0 ? await tracer.retrieve(`search ${searches}`, action.content, p.topK) : [];
      inserted = rawInformationBlock(lastHits);
    } else {
      inserted = INVALID_ACTION_OBSERVATION;
      tracer.note('decide', `turn ${turn}: neither <search> nor <answer>`, { output: 'invalid-action observation' });
    }
    segments.push({ text: inserted, loss: 0 });
    transcript += inserted;
  }
  return { prompt, segments, searches, turns: p.maxSearches + 1, lastHits };
}
