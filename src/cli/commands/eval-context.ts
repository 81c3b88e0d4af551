/**
 * `openbook eval context --dataset PATH [--limit N] [--modes …] [--budgets …]`: the share of
 * questions whose gold answer lies inside the returned context, per small-to-big mode and
 * context budget (src/eval/context-eval.ts).
 */
import type { Command } from 'commander';
import { action, intFlag, printJson, renderTable } from '../shared.js';

export function registerEvalContext(evalCmd: Command): void {
  evalCmd
    .command('context')
    .description('small-to-big: share of questions whose gold answer is inside the returned context, per --context mode and token budget')
    .addHelpText('after', '\nExamples:\n  $ openbook eval context --dataset ../shared/datasets/squad-v1.1 --limit 300\n  $ openbook eval context --dataset ../shared/datasets/korquad-v1.0 --modes chunk,parent --budgets 256,512')
    .requiredOption('--dataset <path>', 'SQuAD/KorQuAD .json or HotpotQA .jsonl (or a folder holding one)')
    .option('--modes <list>', 'comma-separated --context modes', 'chunk,sentence-window:1,sentence-window:3,parent')
    .option('--budgets <list>', 'comma-separated context budgets in analyzer tokens', '256,512,1024')
    .option('--chunk-size <n>', 'chunk size of the eval index, tokens', '64')
    .option('--analyzer <name>', 'analyzer of the eval index', 'auto')
    .option('--limit <n>', 'a seeded random sample of this many questions')
    .option('--seed <n>', 'seed of the sample and of the bootstrap', '1')
    .option('--filter <expr>', 'only paragraphs whose metadata match (id, title = the article), inside scoring as search --filter')
    .option('--json', 'print JSON')
    .action(
      action(async (f: { dataset: string; modes: string; budgets: string; chunkSize: string; analyzer?: string; limit?: string; seed: string; filter?: string; json?: boolean }) => {
        const { evaluateContext } = await import('../../eval/context-eval.js');
        const budgets = f.budgets.split(',').map((b) => intFlag('--budgets', b.trim(), 256, 1));
        const r = await evaluateContext({
          dataset: f.dataset,
          modes: f.modes.split(',').map((m) => m.trim()).filter(Boolean),
          budgets,
          chunkSize: intFlag('--chunk-size', f.chunkSize, 64, 8),
          ...(f.analyzer ? { analyzer: f.analyzer } : {}),
          ...(f.limit !== undefined ? { limit: intFlag('--limit', f.limit, 0, 1) } : {}),
          seed: intFlag('--seed', f.seed, 1, 0),
          ...(f.filter !== undefined ? { filter: f.filter } : {}),
        });
        if (f.json) {
          printJson(r);
          return;
        }
        const pct = (x: number) => (100 * x).toFixed(1);
        process.stdout.write(`${r.dataset}: ${r.questions} questions, ${r.chunkSize}-token chunks, analyzer ${r.analyzer}; share of questions with a gold answer inside the first B tokens of context (95% bootstrap CI)\n`);
        process.stdout.write(renderTable(['context', ...r.budgets.map((b) => `B = ${b}`)], r.rows.map((row) => [row.mode, ...row.share.map((s, i) => `${pct(s)}% [${pct(row.ci[i].low)}, ${pct(row.ci[i].high)}]`)])) + '\n');
      }),
    );
}
