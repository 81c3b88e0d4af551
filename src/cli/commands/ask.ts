/**
 * `openbook ask "<question>"` — a cited answer. With no model configured: the extractive
 * answer (the best sentences of the top passages, each with its `[n]`), then the sources.
 */
import type { Command } from 'commander';
import type { Answer } from '../../core/types.js';
import { Engine } from '../../engine/engine.js';
import { action, colors, printJson, resolveIndexDir } from '../shared.js';
import { hitJson, location, parseRetrievalFlags, retrievalOptions, type RetrievalFlags } from './search.js';

export function register(program: Command): void {
  retrievalOptions(program.command('ask').description('answer a question from the indexed documents, with citations').argument('<question>', 'the question'), 5).action(
    action(async (question: string, flags: RetrievalFlags) => {
      const engine = await Engine.open(resolveIndexDir(flags.index));
      const answer = await engine.ask(question, parseRetrievalFlags(flags, 5));
      if (flags.json) printJson(answerJson(answer));
      else printAnswer(answer);
    }),
  );
}

/** The JSON shape of `ask --json`. */
export function answerJson(a: Answer) {
  return {
    question: a.question,
    answer: a.answer,
    method: a.method,
    citations: a.citations.map((c) => ({
      n: c.n,
      chunkId: c.chunkId,
      docId: c.docId,
      source: c.source,
      title: c.title,
      startLine: c.startLine,
      endLine: c.endLine,
      ...(c.page !== undefined ? { page: c.page } : {}),
      quote: c.quote,
    })),
    hits: a.hits.map(hitJson),
    ...(a.trace ? { trace: a.trace } : {}),
    ...(a.usage ? { usage: a.usage } : {}),
  };
}

/** Answer, then the numbered sources (one line each, grouped by marker number). */
export function printAnswer(a: Answer): void {
  const c = colors();
  const out = process.stdout;
  out.write(a.answer.replace(/\[(\d+)\]/g, (m) => c.cyan(m)) + '\n');
  if (a.citations.length === 0) return;
  out.write('\n' + c.bold('Sources') + '\n');
  const seen = new Set<number>();
  for (const cit of a.citations) {
    if (seen.has(cit.n)) continue;
    seen.add(cit.n);
    const lines = a.citations.filter((x) => x.n === cit.n);
    const start = Math.min(...lines.map((x) => x.startLine));
    const end = Math.max(...lines.map((x) => x.endLine));
    out.write(`  ${c.cyan(`[${cit.n}]`)} ${location({ source: cit.source, startLine: start, endLine: end, page: cit.page })}${cit.title ? c.dim(`  ${cit.title}`) : ''}\n`);
  }
}
