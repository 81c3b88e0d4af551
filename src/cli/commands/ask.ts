/**
 * `openbook ask "<question>"` — a cited answer. With no model configured: the extractive
 * answer (the best sentences of the top passages, each with its `[n]`), then the sources.
 * With a model: an LLM answer that streams, with its citations checked; `--method` runs a
 * named method of the literature and `--trace` shows its steps.
 */
import type { Command } from 'commander';
import { InvalidParameterError } from '../../core/errors.js';
import type { EngineAnswer } from '../../engine/engine.js';
import { formatTrace } from '../../methods/format.js';
import { retrievalSettings, type RetrievalSetting } from '../../methods/retrieval.js';
import { loadCliModels } from '../models.js';
import { action, colors, helpRequested, intFlag, printJson, useColor } from '../shared.js';
import { answerJson } from '../../engine/json.js';
import { closeCliEngine, location, openCliEngine, parseRetrievalFlags, rerankLoadOptions, retrievalOptions, type RetrievalFlags } from './search.js';

interface AskFlags extends RetrievalFlags {
  extractive?: boolean;
  method?: string;
  param?: string[];
  trace?: boolean;
  retrieval?: string;
  seed?: string;
  nliModel?: string;
}

const collect = (v: string, prev: string[] = []) => prev.concat(v);

/** Parses repeated `--param name=value` into a record (numbers and booleans typed). */
export function parseParams(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InvalidParameterError(`--param expects name=value, got ${JSON.stringify(p)}`);
    const name = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    out[name] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

export async function register(program: Command): Promise<void> {
  // The method names come from the registry, which loads every method: only when help is shown (running a method loads it anyway).
  const methods = helpRequested() ? (await import('../../methods/registry.js')).methodNames.join(', ') : '(listed in --help)';
  retrievalOptions(program.command('ask').description('answer a question from the indexed documents, with citations').addHelpText('after', '\nExamples:\n  $ openbook ask "What does HyDE generate before it retrieves?"\n  $ openbook ask "HyDE는 무엇을 먼저 생성하나?" -k 3 --json\n  $ openbook ask "Why is the page slow?" --method hyde --trace').argument('<question>', 'the question'), 5)
    .option('--extractive', 'use the offline extractive answerer even when a model is configured')
    .option('--method <name>', `a RAG method by name: ${methods}`)
    .option('--param <name=value>', "a method parameter named as in its paper, e.g. --param K=4 (repeatable)", collect)
    .option('--trace', 'print the method\'s steps (what it retrieved, generated, scored and decided)')
    .option('--retrieval <setting>', `passages given to a method: ${retrievalSettings.join(', ')} (RetRobust's noisy settings)`)
    .option('--seed <n>', 'seed for sampling methods', '7')
    .option('--nli-model <dir>', 'NLI model folder for RetRobust\'s gate (ONNX sequence classification + tokenizer.json, labels with entailment and contradiction) (default: nli.modelDir, else the LLM judges)')
    .action(
      action(async (question: string, flags: AskFlags) => {
        const models = await loadCliModels(flags, { llm: !flags.extractive, ...rerankLoadOptions(flags), nli: flags.method !== undefined, ...(flags.nliModel !== undefined ? { nliModel: flags.nliModel } : {}) });
        try {
          const engine = await openCliEngine(flags, models);
          const streaming = !flags.json && !flags.method && Boolean(models.llm) && !flags.extractive;
          let streamed = false;
          const answer = await engine.ask(question, {
            ...parseRetrievalFlags(flags, 5, models.config, models.sources),
            extractive: flags.extractive,
            ...(flags.method ? { method: flags.method, params: parseParams(flags.param) } : {}),
            ...(flags.retrieval ? { retrieval: flags.retrieval as RetrievalSetting } : {}),
            seed: intFlag('--seed', flags.seed, 7, 0),
            ...(streaming
              ? {
                  onToken: (t: string) => {
                    streamed = true;
                    process.stdout.write(t);
                  },
                }
              : {}),
          });
          await closeCliEngine(engine);
          if (flags.json) printJson(answerJson(answer, engine));
          else printAnswer(answer, { streamed, trace: flags.trace });
        } finally {
          await models.close();
        }
      }),
    );
}

/**
 * The answer text with its short answer (the first citation's `answerSpan`) passed through `mark`
 * where the answer leads with it ("<span> — …") and at its place in the first quote (the answer
 * joins a quote's line breaks into spaces; the span is found the same way). Without a span the
 * text is returned unchanged.
 */
export function highlightAnswer(a: { answer: string; citations: ReadonlyArray<{ quote: string; answerSpan?: { start: number; end: number } }> }, mark: (s: string) => string): string {
  const c = a.citations[0];
  if (!c?.answerSpan) return a.answer;
  const flat = (s: string) => s.replace(/\s*\n\s*/g, ' ');
  const span = flat(c.quote.slice(c.answerSpan.start, c.answerSpan.end));
  const lead = `${span} — `;
  if (!a.answer.startsWith(lead)) return a.answer;
  const rest = a.answer.slice(lead.length);
  const quote = flat(c.quote);
  // Where the span sits in the flattened quote: the flattened text before it, measured.
  const before = flat(c.quote.slice(0, c.answerSpan.start));
  const at = rest.startsWith(quote) ? quote.indexOf(span, Math.max(0, before.length - 1)) : -1;
  const body = at >= 0 ? rest.slice(0, at) + mark(span) + rest.slice(at + span.length) : rest;
  return `${mark(span)} — ${body}`;
}

/** Answer (unless already streamed), then the numbered sources, then the trace if asked. */
export function printAnswer(a: EngineAnswer, o: { streamed?: boolean; trace?: boolean } = {}): void {
  const c = colors();
  const out = process.stdout;
  if (o.streamed) out.write('\n');
  else out.write(highlightAnswer(a, useColor() ? c.mark : (x) => x).replace(/\[(\d+)\]/g, (m) => c.cyan(m)) + '\n');
  if (a.invalidCitations && a.invalidCitations.length > 0) {
    process.stderr.write(`${c.yellow('warning:')} removed citation markers that point to no passage: ${a.invalidCitations.map((n) => `[${n}]`).join(' ')}\n`);
  }
  if (a.citations.length > 0) {
    out.write('\n' + c.bold('Sources') + '\n');
    const seen = new Set<number>();
    for (const cit of a.citations) {
      if (seen.has(cit.n)) continue;
      seen.add(cit.n);
      const lines = a.citations.filter((x) => x.n === cit.n);
      const start = Math.min(...lines.map((x) => x.startLine));
      const end = Math.max(...lines.map((x) => x.endLine));
      out.write(`  ${c.cyan(`[${cit.n}]`)} ${location({ source: cit.source, startLine: start, endLine: end, page: cit.page, locator: cit.locator })}${cit.title ? c.dim(`  ${cit.title}`) : ''}\n`);
    }
  }
  if (o.trace && a.trace) {
    out.write('\n' + c.bold(`Trace (${a.method})`) + '\n' + formatTrace(a.trace));
  }
  if (a.usage && (a.usage.promptTokens > 0 || a.usage.completionTokens > 0)) {
    out.write(c.dim(`\n${a.model ?? a.method}: ${a.usage.promptTokens} prompt + ${a.usage.completionTokens} completion tokens${a.calls !== undefined ? `, ${a.calls} model calls` : ''}`) + '\n');
  }
}
