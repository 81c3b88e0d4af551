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
 * Transport: each turn is one chat call; the model's turn is an assistant message and the
 * retrieved `<information>` block the next user message (portable to every chat endpoint, where
 * the reference implementation appends both to one raw-text transcript).
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
  defaults: { maxSearches: 4, maxTokens: 512, topK: 3, numbering: 'per-search' },
  cost: 'up to B + 2 chat calls and B retrievals',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'search-r1');
    const p = { ...searchR1.defaults, ...params };
    checkInteger('search-r1', 'maxSearches', p.maxSearches, 0);
    checkInteger('search-r1', 'topK', p.topK, 1);
    if (p.numbering !== 'per-search' && p.numbering !== 'run') throw new InvalidParameterError(`search-r1: numbering must be "per-search" or "run", got ${JSON.stringify(p.numbering)}`);
    const tracer = new Tracer(ctx);
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
