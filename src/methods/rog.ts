/**
 * RoG: Luo, Li, Haffari, Pan, "Reasoning on Graphs: Faithful and Interpretable Large Language
 * Model Reasoning", ICLR 2024 (arXiv 2310.01061), inference with a prompted (not fine-tuned) LLM.
 *
 * 1. Planning (§4.1): the LLM writes K relation paths z = (r_1, …, r_l), sequences of relations
 *    of the graph that lead from the question's topic entities to the answer. RoG's fine-tuned
 *    planner knows the KG's relations; a general chat model is shown them instead: the relations
 *    on edges within `maxHops` hops of the topic entities. Paths naming a relation the graph does
 *    not have, or longer than `maxHops`, are rejected (the trace lists them).
 * 2. Retrieval (§4.2): each planned path is followed from each topic entity by BFS constrained to
 *    the path (`KnowledgeGraph.followRelationPath`), giving reasoning paths w_z = e_0 —r_1→ e_1 …
 *    —r_l→ e_l; at most `maxReasoningPaths` in all, duplicates kept once.
 * 3. Reasoning (§4.2): the LLM answers from the numbered reasoning paths and cites them with
 *    `[n]`. Each path is a passage (`Hit`): source = the KG file, text = the rendered path, lines
 *    = the smallest span of file lines holding its triples, score = 1/rank.
 *
 * Topic entities are the graph's entity names found in the question (case-folded exact match,
 * longest first, whole words; `KnowledgeGraph.topicEntities`) — RoG takes them from the dataset's
 * annotations (WebQSP, CWQ), which a free question does not have. With no topic entity the method
 * answers that it found none, without a model call; when the plans retrieve no path the LLM
 * answers closed-book, as RoG's reasoning prompt does with an empty path list, and the trace says so.
 *
 * Parameters: `numPaths` K = 3 (RoG's beam size for planning), `maxHops` 3, `maxReasoningPaths`
 * 20 (ours), `maxTokens` 64; `kg` (string, a triples file the engine loads into `ctx.kg`).
 * Cost: 1 planning chat call + 1 reasoning chat call; no text retrieval.
 * @throws CapabilityError when `ctx.kg` is absent
 */
import { CapabilityError } from '../core/errors.js';
import type { Hit } from '../core/types.js';
import { renderTemplate } from '../generate/prompts.js';
import { answerClosedBook, ANSWER_MAX_TOKENS } from './answer.js';
import { type KnowledgeGraph, type ReasoningPath, renderPath } from './kg.js';
import { checkContext, checkInteger, Tracer, type Method } from './method.js';

export interface RogParams {
  numPaths: number;
  maxHops: number;
  maxReasoningPaths: number;
  maxTokens: number;
}

/** Most relation names shown to the planner (the prompt says when the list was cut). */
export const PLANNER_MAX_RELATIONS = 200;

/** RoG's prompts (Luo et al. 2024, appendix: "Please generate a valid relation path…", "Based on the reasoning paths…"), with the KG's relations shown and `[n]` citations asked for. */
export const rogPrompts = {
  plan:
    'Please generate {{k}} valid relation paths that can be helpful for answering the following question. A relation path is a sequence of at most {{maxHops}} relations from the list below, followed from one of the topic entities through the knowledge graph.\n\nTopic entities: {{entities}}\nRelations:\n{{relations}}\n\nQuestion: {{question}}\n\nWrite one path per line, best first, in the form <PATH> relation1 <SEP> relation2 </PATH>.',
  reason:
    'Based on the reasoning paths, please answer the given question. Cite every path you use with its marker, e.g. [1]. Keep the answer as simple as possible; if there are several answers, list them.\n\nReasoning paths:\n{{paths}}\n\nQuestion: {{question}}\nAnswer:',
} as const;

/** A planned path that was not used, with the reason. */
export interface RejectedPlan {
  text: string;
  reason: string;
}

const fold = (s: string): string => s.toLowerCase().replace(/[\s-]+/g, '_');

/**
 * Relation paths from the planner's text, matched to the graph's relations. Accepts
 * `<PATH> r1 <SEP> r2 </PATH>` (RoG's format), or one path per line with the relations separated
 * by `<SEP>`, arrows (`->`, `→`, `=>`, `—>`), commas, semicolons or `|`; list markers ("1.", "-",
 * "Path 2:") and quotes/backticks around names are dropped. A name matches a relation of the
 * graph exactly, else after lower-casing with spaces and hyphens read as "_".
 * @param maxPaths keep the first this many distinct valid paths
 * @returns the paths (lists of relation names as the graph spells them) and the rejected lines
 */
export function parseRelationPaths(text: string, kg: Pick<KnowledgeGraph, 'relations'>, maxPaths: number, maxHops: number): { paths: string[][]; rejected: RejectedPlan[] } {
  const byFold = new Map<string, string>();
  for (const r of kg.relations) if (!byFold.has(fold(r))) byFold.set(fold(r), r);
  const exact = new Set(kg.relations);
  const body = text.replace(/```[a-z]*\n?/gi, '');
  const tagged = [...body.matchAll(/<PATH>([\s\S]*?)(?:<\/PATH>|$)/gi)].map((m) => m[1]);
  const candidates = tagged.length > 0 ? tagged : body.split('\n');
  const paths: string[][] = [];
  const seen = new Set<string>();
  const rejected: RejectedPlan[] = [];
  for (const raw of candidates) {
    let line = raw.trim();
    if (line.length === 0) continue;
    line = line.replace(/^(?:path\s*\d*\s*[:.)]|\(?\d+[.):]|[-*•])\s*/i, '').trim();
    const names = line
      .split(/<SEP>|->|→|=>|—>|[,;|]/i)
      .map((s) => s.trim().replace(/^["'`[\]]+|["'`[\]]+$/g, '').trim())
      .filter((s) => s.length > 0);
    if (names.length === 0) continue;
    const matched = names.map((n) => (exact.has(n) ? n : byFold.get(fold(n))));
    const unknown = names.filter((_, i) => matched[i] === undefined);
    if (unknown.length > 0) {
      rejected.push({ text: raw.trim(), reason: `not a relation of the graph: ${unknown.join(', ')}` });
      continue;
    }
    if (names.length > maxHops) {
      rejected.push({ text: raw.trim(), reason: `${names.length} relations > maxHops ${maxHops}` });
      continue;
    }
    const path = matched as string[];
    const key = path.join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    if (paths.length < maxPaths) paths.push(path);
    else rejected.push({ text: raw.trim(), reason: `beyond the first ${maxPaths} paths` });
  }
  return { paths, rejected };
}

/** A reasoning path as a passage: source = the KG file, lines = the span of its triples' lines, score = 1/rank. */
export function pathHit(path: ReasoningPath, rank: number, source: string): Hit {
  const lines = path.triples.map((t) => t.line);
  const text = renderPath(path);
  return {
    rank,
    score: 1 / rank,
    docId: source,
    chunkId: `${source}#path:${text}`,
    source,
    title: `reasoning path ${path.triples.map((t) => t.relation).join(' → ')}`,
    text,
    startLine: Math.min(...lines),
    endLine: Math.max(...lines),
  };
}

export const rog: Method<RogParams> = {
  name: 'rog',
  paper: 'Luo et al., "Reasoning on Graphs: Faithful and Interpretable Large Language Model Reasoning", ICLR 2024 (arXiv 2310.01061) — plan relation paths, retrieve them on a KG, reason over them.',
  defaults: { numPaths: 3, maxHops: 3, maxReasoningPaths: 20, maxTokens: ANSWER_MAX_TOKENS },
  optional: { kg: 'string' },
  cost: '2 chat calls (plan + reason); no text retrieval',
  async run(question, ctx, params = {}) {
    checkContext(ctx, 'rog');
    const p = { ...rog.defaults, ...params };
    checkInteger('rog', 'numPaths', p.numPaths, 1);
    checkInteger('rog', 'maxHops', p.maxHops, 1);
    checkInteger('rog', 'maxReasoningPaths', p.maxReasoningPaths, 1);
    checkInteger('rog', 'maxTokens', p.maxTokens, 1);
    const kg = ctx.kg;
    if (!kg) {
      throw new CapabilityError(
        'rog: needs a knowledge graph: pass --param kg=<triples file> (JSONL {"head","relation","tail"} or TSV head<TAB>relation<TAB>tail), or ctx.kg = await loadKnowledgeGraph(path) in the library',
      );
    }
    const tracer = new Tracer(ctx);
    const topics = tracer.time('transform', 'topic entities (KG entity names in the question, case-folded, longest first)', () => kg.topicEntities(question), (found) => ({
      input: { question, source: kg.source, entities: kg.entities.length },
      output: found.map((t) => t.entity),
    }));
    if (topics.length === 0) return tracer.finish(`No entity of the knowledge graph ${kg.source} was found in the question.`, [], []);
    const names = topics.map((t) => t.entity);
    const near = kg.relationsNear(names, p.maxHops);
    const shown = near.slice(0, PLANNER_MAX_RELATIONS);
    const planPrompt = renderTemplate('rog.plan', rogPrompts.plan, {
      k: p.numPaths,
      maxHops: p.maxHops,
      entities: names.join('; '),
      relations: shown.join('\n') + (near.length > shown.length ? `\n(… ${near.length - shown.length} more not shown)` : ''),
      question,
    });
    // 64 tokens per requested path: room for maxHops long relation names ("people.person.place_of_birth") per line
    const plan = await tracer.generate(`plan: ${p.numPaths} relation paths`, [{ role: 'user', content: planPrompt }], { temperature: 0, maxTokens: 64 * p.numPaths });
    const planned = tracer.time('transform', 'parse relation paths', () => parseRelationPaths(plan.generations[0].text, kg, p.numPaths, p.maxHops), (r) => ({
      input: { relationsShown: shown.length, relationsNear: near.length },
      output: { paths: r.paths.map((z) => z.join(' → ')), ...(r.rejected.length > 0 ? { rejected: r.rejected.map((x) => `${x.text} (${x.reason})`) } : {}) },
    }));
    const found: ReasoningPath[] = [];
    const seen = new Set<string>();
    for (const z of planned.paths) {
      for (const e of names) {
        if (found.length >= p.maxReasoningPaths) break;
        const t0 = ctx.now();
        const r = kg.followRelationPath(e, z, p.maxReasoningPaths);
        const added: string[] = [];
        for (const w of r.paths) {
          const text = renderPath(w);
          if (seen.has(text) || found.length >= p.maxReasoningPaths) continue;
          seen.add(text);
          found.push(w);
          added.push(text);
        }
        tracer.note('retrieve', `BFS along ${z.join(' → ')} from ${e}`, { input: { start: e, relations: z }, output: added, scores: { paths: r.paths.length, new: added.length, ...(r.truncated ? { truncatedAt: p.maxReasoningPaths } : {}) } }, t0);
      }
    }
    if (found.length === 0) {
      tracer.note('decide', 'no reasoning path: answer from the model’s own knowledge', { input: { plannedPaths: planned.paths.length } });
      const g = await answerClosedBook(tracer, 'answer closed-book (no reasoning paths)', question, { maxTokens: p.maxTokens });
      return tracer.finish(g.text.trim(), [], []);
    }
    const hits = found.map((w, i) => pathHit(w, i + 1, kg.source));
    const reasonPrompt = renderTemplate('rog.reason', rogPrompts.reason, { paths: hits.map((h, i) => `[${i + 1}] ${h.text}`).join('\n'), question });
    const g = await tracer.generate('reason over the paths', [{ role: 'user', content: reasonPrompt }], { temperature: 0, maxTokens: p.maxTokens });
    return tracer.finishCited(g.generations[0].text.trim(), hits);
  },
};
