/**
 * SuRe: Kim, Nam, Mo, Park, Lee, Seo, Ha, Shin, "SuRe: Summarizing Retrievals using Answer
 * Candidates for Open-domain QA of LLMs", ICLR 2024 (arXiv 2404.13081).
 *
 * 1. Candidates: one call with the k passages asks for N short candidate answers, "(a) …, (b) …".
 * 2. Summaries: per candidate y_i, a summary s_i of the passages that supports y_i.
 * 3. Validity: per (y_i, s_i), does s_i support y_i?  v_i ∈ {1 True, 0 False}.
 * 4. Ranking: for every ordered pair (i, j), i ≠ j, which summary is more informative?
 *    The winner gets 1, an unparsable verdict 0.5 each; r_i = wins of i / comparisons of i
 *    (2(N−1)), in [0, 1].
 * 5. Answer: argmax_i (v_i + r_i) (ties: the earlier candidate), cited from the passages.
 *
 * FlashRAG's `SuRePipeline` follows the same five steps with row-sum ranking scores; we scale the
 * ranking to [0, 1] so that a valid summary outweighs ranking wins whatever N is. Empty
 * candidates give an empty answer.
 *
 * Parameters: `numCandidates` N = 2 (the paper's), `summaryMaxTokens` 200.
 * Cost: 1 retrieval + 1 + N + N + N(N−1) chat calls (7 for N = 2).
 */
import { stripMarkers } from '../generate/citations.js';
import { formatPassages } from './cite.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';
import { argmax } from './prob.js';
import { renderPrompt } from './prompts.js';

export interface SureParams {
  numCandidates: number;
  summaryMaxTokens: number;
}

/** Candidates from "(a) x, (b) y" (also one per line, or "a) x"); duplicates and empties dropped. */
export function parseCandidates(text: string, max: number): string[] {
  const clean = (s: string) => s.replace(/^[\s"'“”‘’]+|[\s"'“”‘’.,;]+$/g, '');
  const parts = text.split(/\(?\b[a-h]\)\s*/i).map(clean);
  const found = parts.filter((s) => s.length > 0);
  const list = /\(?\b[a-h]\)/i.test(text) ? found : text.split('\n').map(clean);
  const out: string[] = [];
  for (const c of list) if (c.length > 0 && !out.includes(c)) out.push(c);
  return out.slice(0, max);
}

/** "True"/"False" → 1/0 (first one named; neither → 0). */
export function parseValidity(text: string): number {
  const m = text.toLowerCase().match(/\b(true|false|yes|no)\b/);
  return m && (m[1] === 'true' || m[1] === 'yes') ? 1 : 0;
}

/** "Passage 1"/"Passage 2" → 1/2, else undefined. */
export function parsePairwise(text: string): 1 | 2 | undefined {
  const m = text.match(/passage\s*([12])/i) ?? text.trim().match(/^([12])\b/);
  return m ? (Number(m[1]) as 1 | 2) : undefined;
}

export const sure: Method<SureParams> = {
  name: 'sure',
  paper: 'Kim et al., "SuRe: Summarizing Retrievals using Answer Candidates for Open-domain QA of LLMs", ICLR 2024 (arXiv 2404.13081).',
  defaults: { numCandidates: 2, summaryMaxTokens: 200 },
  cost: '1 retrieval + 1 + 2N + N(N−1) chat calls',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'sure');
    const p = { ...sure.defaults, ...params };
    checkInteger('sure', 'numCandidates', p.numCandidates, 1);
    const tracer = new Tracer(ctx);
    const hits = await tracer.retrieve('retrieve top-k', question, ctx.topK);
    const passages = formatPassages(hits);
    const cand = await tracer.generate('candidate answers', [{ role: 'user', content: renderPrompt('sure.candidates', { k: hits.length, numCandidates: p.numCandidates, passages, question }) }], {
      temperature: 0,
      maxTokens: 64,
    });
    const candidates = parseCandidates(stripMarkers(cand.generations[0].text), p.numCandidates);
    tracer.note('transform', 'parse candidates', { output: candidates });
    if (candidates.length === 0) return tracer.finish('', [], hits);
    const summaries: string[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const r = await tracer.generate(`summary for candidate ${i + 1}`, [{ role: 'user', content: renderPrompt('sure.summary', { passages, question, candidate: candidates[i] }) }], {
        temperature: 0,
        maxTokens: p.summaryMaxTokens,
        stop: ['[DONE]'],
      });
      summaries.push(r.generations[0].text.trim());
    }
    const validity: number[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const r = await tracer.generate(`validity of summary ${i + 1}`, [{ role: 'user', content: renderPrompt('sure.validate', { question, candidate: candidates[i], summary: summaries[i] }) }], {
        temperature: 0,
        maxTokens: 4,
      });
      validity.push(parseValidity(r.generations[0].text));
    }
    const wins = candidates.map(() => 0);
    for (let i = 0; i < candidates.length; i++) {
      for (let j = 0; j < candidates.length; j++) {
        if (i === j) continue;
        const r = await tracer.generate(`rank summary ${i + 1} vs ${j + 1}`, [{ role: 'user', content: renderPrompt('sure.rank', { question, summary1: summaries[i], summary2: summaries[j] }) }], {
          temperature: 0,
          maxTokens: 8,
        });
        const v = parsePairwise(r.generations[0].text);
        if (v === 1) wins[i] += 1;
        else if (v === 2) wins[j] += 1;
        else {
          wins[i] += 0.5;
          wins[j] += 0.5;
        }
      }
    }
    const comparisons = 2 * (candidates.length - 1);
    const ranking = wins.map((w) => (comparisons === 0 ? 0 : w / comparisons));
    const total = validity.map((v, i) => v + ranking[i]);
    const best = argmax(total);
    tracer.note('decide', 'argmax validity + ranking', {
      input: candidates,
      output: candidates[best],
      scores: Object.fromEntries(candidates.flatMap((c, i) => [[`v(${c})`, validity[i]], [`r(${c})`, ranking[i]], [`total(${c})`, total[i]]])),
    });
    return tracer.finishCited(candidates[best], hits);
  },
};
