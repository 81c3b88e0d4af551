/**
 * `npm run eval:notes`: asks every question of bench/qa-notes/questions.jsonl through the offline
 * answerer exactly as `openbook ask` does (`Engine.ask(q, { extractive: true, topK: 5 })`) over
 * one index of docs/, bench/qa-notes/notes/ and ../shared/seeds (when present; its questions are
 * skipped otherwise, with a line saying so), and prints one verdict per question (right span /
 * right sentence / wrong / refused, see verdict.ts) and the totals.
 *
 *   npm run eval:notes [-- --json] [-- --k 5]
 *
 * Exit code 1 when a cited span is not verbatim, or when right sentences (both right verdicts)
 * are fewer than 90% of the questions asked (the target of issue #12); else 0.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { judge, parseQuestions, spansVerbatim, type Verdict } from './verdict.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const SEEDS = '../shared/seeds';
const TARGET = 0.9;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const ki = process.argv.indexOf('--k');
  const k = ki >= 0 ? Number(process.argv[ki + 1]) : 5;
  const questions = parseQuestions(await readFile(path.join(here, 'questions.jsonl'), 'utf8'), 'bench/qa-notes/questions.jsonl');
  const haveSeeds = existsSync(path.resolve(repo, SEEDS));
  const asked = questions.filter((q) => haveSeeds || !q.file.startsWith(`${SEEDS}/`));
  if (!haveSeeds) process.stderr.write(`${SEEDS} not found: ${questions.length - asked.length} of its questions skipped\n`);
  const dir = await mkdtemp(path.join(tmpdir(), 'openbook-qa-notes-'));
  try {
    await indexPaths({ indexDir: dir, paths: ['docs', 'bench/qa-notes/notes', ...(haveSeeds ? [SEEDS] : [])], cwd: repo, now: Date.now, onWarning: (m) => process.stderr.write(`${m}\n`) });
    const engine = await Engine.open(dir);
    const counts: Record<Verdict, number> = { 'right span': 0, 'right sentence': 0, wrong: 0, refused: 0 };
    let verbatim = true;
    const rows: unknown[] = [];
    for (const q of asked) {
      const a = await engine.ask(q.question, { extractive: true, topK: k });
      const v = judge(q, a.citations);
      counts[v]++;
      if (!spansVerbatim(a.citations)) verbatim = false;
      const c = a.citations[0];
      const span = c?.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end) : undefined;
      if (json) rows.push({ ...q, verdict: v, source: c?.source, startLine: c?.startLine, endLine: c?.endLine, quote: c?.quote, span });
      else {
        const where = c ? `${c.source}:${c.startLine}-${c.endLine}` : '—';
        process.stdout.write(`${v.padEnd(14)} ${q.id.padEnd(10)} ${q.question}\n${' '.repeat(15)}gold: ${q.answer} @ ${q.file}:${q.line}\n${' '.repeat(15)}got:  ${span !== undefined ? `[${span}] ` : ''}${(c?.quote ?? '').replace(/\s*\n\s*/g, ' ').slice(0, 160)} @ ${where}\n`);
      }
    }
    const n = asked.length;
    const right = counts['right span'] + counts['right sentence'];
    const totals = { questions: n, ...counts, rightSentenceShare: n > 0 ? right / n : 0, spansVerbatim: verbatim };
    if (json) process.stdout.write(`${JSON.stringify({ totals, questions: rows }, null, 2)}\n`);
    else {
      const pct = (x: number) => `${((100 * x) / Math.max(1, n)).toFixed(1)}%`;
      process.stdout.write(
        `\n${n} questions: right sentence ${right} (${pct(right)}; of them right span ${counts['right span']}), wrong ${counts.wrong} (${pct(counts.wrong)}), refused ${counts.refused} (${pct(counts.refused)}); every span verbatim: ${verbatim ? 'yes' : 'NO'}\n`,
      );
    }
    if (!verbatim || right < TARGET * n) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
