/**
 * `openbook train-data raft|retrobust|atm|replug-lsr|search-r1 --dataset <path> --out file.jsonl` — training
 * data for trainers outside TypeScript, from a QA dataset (SQuAD/KorQuAD .json, HotpotQA .jsonl).
 *
 * Hard-negative distractors and rankings come from a BM25 index of the dataset's paragraphs (the
 * cached eval index, as `openbook eval qa` builds it). A configured language model writes RAFT's
 * chain-of-thought targets and ATM's fabricated passages, and is required for REPLUG-LSR; without
 * one, RAFT and ATM use their templates and say so in every record. Search-R1 rollouts need a model
 * served on /v1/completions (a Search-R1 checkpoint) and search the same BM25 index.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CapabilityError, InvalidParameterError } from '../../core/errors.js';
import { mulberry32 } from '../../core/random.js';
import { loadQaDataset } from '../../eval/datasets.js';
import { normalizeKorquadAnswer, normalizeSquadAnswer } from '../../eval/qa-metrics.js';
import { openEvalEngine } from '../../eval/engine-runner.js';
import type { QaDataset } from '../../eval/loaders/common.js';
import { sampleQuestions } from '../../eval/qa.js';
import type { Retriever } from '../../retrieve/types.js';
import { buildAtmRecords } from '../../train/atm.js';
import { distractorSources, memoryPool, toJsonl, type DistractorSource, type PassagePool, type SkippedQuestion, type TrainPassage, type TrainQuestion } from '../../train/common.js';
import { buildRaftRecords, buildRaftRecordsFromChunks } from '../../train/raft.js';
import { buildLsrRecord } from '../../train/replug-lsr.js';
import { exactMatchReward, searchR1Trajectory } from '../../train/search-r1.js';
import { allRetRobustSettings, buildRetRobustRecords, retRobustSettings, type RetRobustSetting } from '../../train/retrobust.js';
import { loadCliModels } from '../models.js';
import { action, checkOutputFile, colors, floatFlag, intFlag, printJson, resolveIndexDir } from '../shared.js';

const KINDS = ['raft', 'retrobust', 'atm', 'replug-lsr', 'search-r1'] as const;
type Kind = (typeof KINDS)[number];

interface Flags {
  dataset?: string;
  fromIndex?: boolean;
  index?: string;
  questionsPerChunk?: string;
  out: string;
  limit?: string;
  seed: string;
  k?: string;
  p?: string;
  gamma?: string;
  beta?: string;
  distractors?: string;
  settings?: string;
  retriever?: string;
  maxSearches?: string;
  model?: boolean;
  cache?: string;
  config?: string;
  json?: boolean;
}

/** Questions of a QA dataset as training questions (oracles = its relevant paragraphs). */
export function trainQuestions(qa: QaDataset): TrainQuestion[] {
  return qa.questions.filter((q) => q.answers.length > 0).map((q) => ({ id: q.id, question: q.question, answers: q.answers, oracleIds: q.relevant }));
}

/** A pool over the dataset's paragraphs whose search is the engine's BM25, one passage per paragraph. */
function poolWithSearch(corpus: TrainPassage[], retriever: Retriever | undefined): PassagePool {
  const byId = new Map(corpus.map((p) => [p.id, p]));
  if (!retriever) return memoryPool(corpus);
  return memoryPool(corpus, async (query, topK, signal) => {
    const hits = await retriever.retrieve(query, topK * 2, signal);
    const out: TrainPassage[] = [];
    const seen = new Set<string>();
    for (const h of hits) {
      const p = byId.get(h.docId);
      if (!p || seen.has(p.id)) continue;
      seen.add(p.id);
      out.push(p);
      if (out.length === topK) break;
    }
    return out;
  });
}

export function register(program: Command): void {
  program
    .command('train-data')
    .description('write training data (JSONL) for RAFT, RetRobust, ATM, REPLUG-LSR or Search-R1 from a QA dataset')
    .addHelpText('after', '\nExamples:\n  $ openbook train-data raft --dataset ../shared/datasets/squad-v1.1 --limit 100 --out raft.jsonl --no-model\n  $ openbook train-data raft --from-index --out raft.jsonl')
    .argument('<kind>', KINDS.join(' | '))
    .option('--dataset <path>', 'SQuAD/KorQuAD .json or HotpotQA .jsonl (or a folder holding one)')
    .option('--from-index', 'RAFT: the questions come from the model over the chunks of your own index (an unlabelled domain corpus, as in the paper) instead of a dataset')
    .option('--index <dir>', 'with --from-index: the index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--questions-per-chunk <n>', 'with --from-index: questions the model writes per chunk (default: 5)')
    .requiredOption('--out <file>', 'output JSONL file')
    .option('--limit <n>', 'a seeded random sample of n questions')
    .option('--seed <n>', 'seed of the sample and of every random choice', '1')
    .option('-k, --k <n>', 'RAFT/ATM: distractors per example (default: 4); REPLUG-LSR: passages per question (default: 20); Search-R1: passages per search (default: 3)')
    .option('--max-searches <n>', 'Search-R1: turns that may search, the reference\'s max_turns, then one final turn (default: 4)')
    .option('--p <x>', 'RAFT: probability P that the oracle is in the context (default: 0.8)')
    .option('--gamma <x>', 'REPLUG-LSR: temperature γ > 0 of the retrieval likelihood P_R = softmax(s/γ) (default: 0.1)')
    .option('--beta <x>', 'REPLUG-LSR: temperature β > 0 of the LM likelihood Q = softmax(log P_LM/β) (default: 0.1)')
    .option('--distractors <source>', `RAFT/ATM: ${distractorSources.join(' or ')} (default: bm25)`)
    .option('--retriever <kind>', 'REPLUG-LSR: bm25 or dense, the retriever whose scores s(d, x) give P_R (default: dense when an embedder is configured, else bm25)')
    .option('--settings <list>', `RetRobust: contexts to emit, comma-separated, of ${allRetRobustSettings.join(', ')} (default: ${retRobustSettings.join(',')}; other-top-1 = another question's top passage)`)
    .option('--no-model', 'RAFT/ATM: use the templates even when a language model is configured')
    .option('--cache <dir>', 'eval-index cache folder (default: .openbook/eval-cache)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (kindArg: string, f: Flags) => {
        if (!(KINDS as readonly string[]).includes(kindArg)) throw new InvalidParameterError(`train-data: unknown kind ${JSON.stringify(kindArg)}; valid: ${KINDS.join(', ')}`);
        const kind = kindArg as Kind;
        checkOutputFile('--out', f.out);
        const seed = intFlag('--seed', f.seed, 1, 0, 2 ** 32 - 1);
        const distractors = (f.distractors ?? 'bm25') as DistractorSource;
        if (!distractorSources.includes(distractors)) throw new InvalidParameterError(`--distractors must be one of ${distractorSources.join(', ')}, got ${JSON.stringify(f.distractors)}`);
        if (f.fromIndex) {
          if (kind !== 'raft') throw new InvalidParameterError(`--from-index is for raft (questions written over your own chunks); ${kind} needs --dataset`);
          return raftFromIndex(f, seed, distractors);
        }
        if (f.dataset === undefined) throw new InvalidParameterError('train-data needs --dataset <path> or --from-index (raft over your own index)');
        const started = performance.now();
        const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
        const qa = await loadQaDataset(f.dataset, { onWarning: warn });
        let questions = trainQuestions(qa);
        if (f.limit !== undefined) questions = sampleQuestions(qa.questions, intFlag('--limit', f.limit, questions.length, 1), seed).filter((q) => q.answers.length > 0).map((q) => ({ id: q.id, question: q.question, answers: q.answers, oracleIds: q.relevant }));
        if (f.retriever !== undefined && f.retriever !== 'bm25' && f.retriever !== 'dense') throw new InvalidParameterError(`--retriever must be bm25 or dense, got ${JSON.stringify(f.retriever)}`);
        const models = await loadCliModels({ config: f.config }, { llm: kind === 'replug-lsr' || kind === 'search-r1' || f.model !== false, embedder: kind === 'replug-lsr' && f.retriever !== 'bm25' });
        try {
          // REPLUG-LSR's P_R is the retriever's own likelihood: the paper trains a dense retriever, s(d, x) = E(d)·E(x)
          const lsrRetriever = kind === 'replug-lsr' ? ((f.retriever ?? (models.embedder ? 'dense' : 'bm25')) as 'bm25' | 'dense') : 'bm25';
          if (lsrRetriever === 'dense' && !models.embedder) throw new CapabilityError('--retriever dense needs an embedding model: set OPENBOOK_EMBED_BASE_URL + OPENBOOK_EMBED_MODEL, or OPENBOOK_EMBED_MODEL_DIR');
          const needsBm25 = kind === 'retrobust' || kind === 'replug-lsr' || kind === 'search-r1' || distractors === 'bm25';
          let retriever: Retriever | undefined;
          if (needsBm25) {
            const opened = await openEvalEngine(
              qa.name,
              qa.corpus,
              qa.files,
              { analyzer: 'auto', fields: 'text', luceneNorms: true },
              { similarity: 'bm25', k1: 0.9, b: 0.4 },
              { retriever: lsrRetriever },
              {
                cacheDir: path.resolve(f.cache ?? path.join('.openbook', 'eval-cache')),
                now: () => performance.now(),
                wallClock: Date.now,
                onProgress: (m) => process.stderr.write(`${m}\n`),
                models: lsrRetriever === 'dense' && models.embedder ? { embedder: models.embedder } : {},
              },
            );
            retriever = opened.retriever;
          }
          const pool = poolWithSearch(qa.corpus, retriever);
          const rng = mulberry32(seed);
          const onProgress = (done: number, total: number) => {
            if (done % 50 === 0 || done === total) process.stderr.write(`\r${kind}: ${done}/${total} questions`);
          };
          let records: unknown[];
          let skipped: SkippedQuestion[] = [];
          const llm = f.model === false ? undefined : models.llm;
          if (kind === 'raft') {
            const p = floatFlag('--p', f.p, 0.8, 0, 1);
            ({ records, skipped } = await buildRaftRecords(questions, pool, { rng, numDistractors: intFlag('-k', f.k, 4, 0), oracleProbability: p, distractors, llm, onProgress }));
          } else if (kind === 'retrobust') {
            const settings = f.settings === undefined ? retRobustSettings : (f.settings.split(',').map((x) => x.trim()) as RetRobustSetting[]);
            ({ records, skipped } = await buildRetRobustRecords(questions, pool, { rng, settings, onProgress }));
          } else if (kind === 'atm') {
            ({ records, skipped } = await buildAtmRecords(questions, pool, { rng, numDistractors: intFlag('-k', f.k, 4, 0), distractors, llm, onProgress }));
          } else if (kind === 'search-r1') {
            if (!models.llm) throw new InvalidParameterError('train-data search-r1 needs a language model on /v1/completions (a Search-R1 checkpoint): set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL');
            const p = { maxSearches: intFlag('--max-searches', f.maxSearches, 4, 0), maxTokens: 512, topK: intFlag('-k', f.k, 3, 1) };
            records = [];
            let done = 0;
            for (const q of questions) {
              const ctx = { llm: models.llm, retriever: retriever!, topK: p.topK, rng, now: () => performance.now() };
              const t = await searchR1Trajectory(ctx, q.question, p);
              records.push({ method: 'search-r1', id: q.id, question: q.question, golds: q.answers, ...t, reward: exactMatchReward(t.answer, q.answers, qa.answerMetric === 'korquad' ? normalizeKorquadAnswer : normalizeSquadAnswer), model: models.llm.id, maxSearches: p.maxSearches, topK: p.topK });
              onProgress(++done, questions.length);
            }
          } else {
            if (!models.llm) throw new InvalidParameterError('train-data replug-lsr needs a language model with continuation scoring: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL');
            const topK = intFlag('-k', f.k, 20, 1);
            const gamma = floatFlag('--gamma', f.gamma, 0.1, Number.MIN_VALUE);
            const beta = floatFlag('--beta', f.beta, 0.1, Number.MIN_VALUE);
            records = [];
            let done = 0;
            for (const q of questions) {
              const retrieverId = lsrRetriever === 'dense' ? `dense:${models.embedder!.id}` : 'bm25';
              records.push({ method: 'replug-lsr', id: q.id, oracleIds: q.oracleIds, retriever: retrieverId, ...(await buildLsrRecord(models.llm, retriever!, q.question, q.answers[0], { topK, gamma, beta })) });
              onProgress(++done, questions.length);
            }
          }
          process.stderr.write('\n');
          const out = path.resolve(f.out);
          await writeFile(out + '.tmp', toJsonl(records));
          await rename(out + '.tmp', out);
          const summary = {
            kind,
            dataset: qa.name,
            questions: questions.length,
            records: records.length,
            skipped: skipped.length,
            skippedExamples: skipped.slice(0, 5),
            seed,
            distractors: kind === 'raft' || kind === 'atm' ? distractors : undefined,
            target: kind === 'raft' || kind === 'atm' ? (llm ? `model:${llm.id}` : 'template') : undefined,
            // ATM: attacker DPO pairs (records with `dpo`), when the model wrote and could score fabrications
            dpoPairs: kind === 'atm' ? (records as Array<{ dpo?: unknown }>).filter((r) => r.dpo !== undefined).length : undefined,
            meanReward: kind === 'search-r1' && records.length > 0 ? (records as Array<{ reward: number }>).reduce((a, r) => a + r.reward, 0) / records.length : undefined,
            out,
            seconds: Math.round((performance.now() - started) / 10) / 100,
          };
          if (f.json) printJson(summary);
          else {
            const c = colors();
            process.stdout.write(`${c.green('✓')} ${summary.records} ${kind} records from ${summary.questions} questions of ${qa.name} → ${out} (${summary.seconds} s)\n`);
            if (skipped.length > 0) process.stdout.write(c.yellow(`  skipped ${skipped.length}: ${skipped.slice(0, 3).map((s) => `${s.id} (${s.reason})`).join('; ')}${skipped.length > 3 ? ' …' : ''}`) + '\n');
            if (summary.target) process.stdout.write(c.dim(`  distractors: ${distractors}; targets: ${summary.target}; seed ${seed}`) + '\n');
          }
        } finally {
          await models.close();
        }
      }),
    );
}

/**
 * `train-data raft --from-index`: RAFT over the chunks of the user's index, in index order
 * (`--limit n`: the first n chunks); BM25 over the same index gives the distractors by default.
 */
async function raftFromIndex(f: Flags, seed: number, distractors: DistractorSource): Promise<void> {
  const started = performance.now();
  const models = await loadCliModels({ config: f.config }, { llm: true, embedder: false });
  try {
    if (!models.llm) throw new InvalidParameterError('train-data raft --from-index needs a language model to write the questions: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL');
    const { Engine } = await import('../../engine/engine.js');
    const dir = resolveIndexDir(f.index); // as `openbook index` and `search` resolve it
    // the embedded index only (a store URL has no chunk reader); opened read-only, nothing to close
    const engine = await Engine.open(dir, {});
    const n = engine.reader.stats().numChunks;
    const limit = f.limit === undefined ? n : Math.min(n, intFlag('--limit', f.limit, n, 1));
    const chunks: TrainPassage[] = [];
    for (let i = 0; i < limit; i++) {
      const c = engine.reader.chunk(i);
      chunks.push({ id: c.id, title: c.title ?? '', text: c.text });
    }
    const byId = new Map(chunks.map((c) => [c.id, c]));
    const all: TrainPassage[] = [...chunks];
    for (let i = limit; i < n; i++) {
      const c = engine.reader.chunk(i);
      all.push({ id: c.id, title: c.title ?? '', text: c.text });
      byId.set(c.id, all[all.length - 1]);
    }
    const pool = memoryPool(all, async (query, topK, signal) => {
      const hits = await engine.search(query, { topK, ...(signal ? { signal } : {}) });
      return hits.map((h) => byId.get(h.chunkId)).filter((p): p is TrainPassage => p !== undefined);
    });
    const { records, skipped } = await buildRaftRecordsFromChunks(chunks, pool, {
      llm: models.llm,
      rng: mulberry32(seed),
      numDistractors: intFlag('-k', f.k, 4, 0),
      oracleProbability: floatFlag('--p', f.p, 0.8, 0, 1),
      distractors,
      questionsPerChunk: intFlag('--questions-per-chunk', f.questionsPerChunk, 5, 1),
      onProgress: (done, total) => {
        if (done % 10 === 0 || done === total) process.stderr.write(`\rraft: ${done}/${total} chunks`);
      },
    });
    process.stderr.write('\n');
    const out = path.resolve(f.out);
    await writeFile(out + '.tmp', toJsonl(records));
    await rename(out + '.tmp', out);
    const summary = { kind: 'raft', dataset: `index:${dir}`, chunks: chunks.length, records: records.length, skipped: skipped.length, skippedExamples: skipped.slice(0, 5), seed, distractors, target: `model:${models.llm.id}`, out, seconds: Math.round((performance.now() - started) / 10) / 100 };
    if (f.json) printJson(summary);
    else process.stdout.write(`${colors().green('✓')} ${summary.records} raft records from ${summary.chunks} chunks of ${dir} → ${out} (${summary.seconds} s)\n`);
  } finally {
    await models.close();
  }
}
