/**
 * Language-model commands:
 *   `openbook eval lm --dataset PATH [--model DIR] [--context N --stride N] [--knn DATASTORE]`
 *     perplexity and bits per byte per file and overall, with bootstrap intervals; with
 *     `--knn`, kNN-LM side by side and a λ sweep. The model is `--model DIR` (a local causal-LM
 *     folder), else the configured `llm.modelDir`, else the configured OpenAI-compatible server
 *     (through /v1/completions echo + logprobs).
 *   `openbook knnlm build --corpus PATH [--model DIR] [--out DIR]` the kNN-LM datastore
 *     (resumable: re-running continues after the last committed file). With only a server
 *     configured, the API approximation (methods/knn-lm-api.ts): keys from the embedder.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidParameterError } from '../../core/errors.js';
import { loadLmTexts } from '../../eval/lm-dataset.js';
import type { LmReport, TokenScores } from '../../eval/perplexity.js';
import { KNN_LM_DEFAULTS } from '../../methods/knn-lm.js';
import type { LanguageModel } from '../../models/types.js';
import { action, floatFlag, intFlag, printJson, renderTable, resolveIndexDir } from '../shared.js';
import { loadCliModels } from '../models.js';
import { loadCliConfig } from './config.js';

interface LmFlags {
  dataset: string;
  model?: string;
  context?: string;
  stride?: string;
  knn?: string;
  knnIndex?: string;
  k?: string;
  lambda?: string;
  temperature?: string;
  bootstrap?: string;
  seed?: string;
  json?: boolean;
  config?: string;
  index?: string;
}

async function localModel(dir: string) {
  const { LocalCausalLM } = await import('../../models/local-lm.js');
  const lm = new LocalCausalLM({ modelDir: dir });
  await lm.load();
  return lm;
}

async function openDatastore(f: { knn?: string; knnIndex?: string }) {
  if (f.knnIndex !== 'exact' && f.knnIndex !== 'hnsw') throw new InvalidParameterError(`--knn-index must be exact or hnsw, got ${f.knnIndex}`);
  const { KnnDatastore } = await import('../../index/dense/datastore.js');
  return KnnDatastore.open(path.resolve(f.knn!), f.knnIndex);
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '–');
const ci = (c: { low: number; high: number }) => `[${f4(c.low)}, ${f4(c.high)}]`;

export function renderLmReport(r: LmReport, model: string): string {
  const knn = r.overall.knn !== undefined;
  const headers = ['file', 'tokens', 'bytes', 'perplexity', '95% CI', 'bits/byte', ...(knn ? ['kNN-LM ppl', 'kNN-LM bits/byte'] : [])];
  const row = (name: string, x: LmReport['overall']) => [name, x.tokens, x.bytes, f4(x.perplexity), ci(x.perplexityCi), f4(x.bitsPerByte), ...(knn ? [f4(x.knn!.perplexity), f4(x.knn!.bitsPerByte)] : [])];
  const s = r.settings;
  let out = `${model}: context ${s.context}, stride ${s.stride} tokens; bootstrap B = ${s.bootstrap}, seed ${s.seed}${knn ? `; kNN-LM k = ${s.k}, λ = ${s.lambda}, T = ${s.temperature}` : ''}\n`;
  out += renderTable(headers, [...r.files.map((f) => row(f.source, f)), row('overall', r.overall)]) + '\n';
  if (r.lambdaSweep) out += '\nλ sweep (overall)\n' + renderTable(['λ', 'perplexity', 'bits/byte'], r.lambdaSweep.map((x) => [x.lambda, f4(x.perplexity), f4(x.bitsPerByte)])) + '\n';
  return out;
}

export function registerEvalLm(evalCmd: Command): void {
  evalCmd
    .command('lm')
    .description('perplexity and bits per byte of a language model on texts (sliding window), optionally with a kNN-LM datastore')
    .addHelpText('after', '\nExamples:\n  $ openbook eval lm --dataset notes/ --model models/tiny-lm\n  $ openbook eval lm --dataset notes/ --model models/tiny-lm --knn .openbook/knnlm --lambda 0.25')
    .requiredOption('--dataset <path>', '.txt/.md files, a folder of them, or JSONL of texts')
    .option('--model <dir>', 'local causal-LM folder (default: llm.modelDir, else the configured OpenAI-compatible server)')
    .option('--context <n>', 'window length in tokens (default: the model\'s context length, at most 1024; API: words)')
    .option('--stride <n>', 'tokens between window starts, ≤ context (default: context / 2)')
    .option('--knn <dir>', 'kNN-LM datastore (openbook knnlm build): report LM and kNN-LM side by side with a λ sweep (over an API model: the embedder-key approximation)')
    .option('--knn-index <kind>', 'exact or hnsw search over the datastore', 'exact')
    .option('--k <n>', `neighbours (default: ${KNN_LM_DEFAULTS.k})`)
    .option('--lambda <x>', `interpolation weight of p_kNN in [0, 1] (default: ${KNN_LM_DEFAULTS.lambda})`)
    .option('--temperature <x>', `softmax temperature over −distance (default: ${KNN_LM_DEFAULTS.temperature})`)
    .option('--bootstrap <n>', 'bootstrap resamples for the intervals', '1000')
    .option('--seed <n>', 'bootstrap seed', '7')
    .option('--index <dir>', 'index folder (for the configuration)')
    .option('--config <file>', 'configuration file (default: openbook.config.json found upward)')
    .option('--json', 'print JSON')
    .action(
      action(async (f: LmFlags) => {
        const { config } = await loadCliConfig(f);
        const texts = loadLmTexts(f.dataset);
        const { apiTokenScores, lmReport, localTokenScores } = await import('../../eval/perplexity.js');
        const dir = f.model ? path.resolve(f.model) : config.llm.baseUrl ? undefined : config.llm.modelDir;
        const seed = intFlag('--seed', f.seed, 7, 0);
        const bootstrap = intFlag('--bootstrap', f.bootstrap, 1000, 1, 1_000_000);
        const scored: Array<{ source: string; scores: TokenScores }> = [];
        let modelId: string;
        let context: number;
        let stride: number;
        const knnParams = {
          k: intFlag('--k', f.k, KNN_LM_DEFAULTS.k, 1),
          lambda: floatFlag('--lambda', f.lambda, KNN_LM_DEFAULTS.lambda, 0, 1),
          temperature: floatFlag('--temperature', f.temperature, KNN_LM_DEFAULTS.temperature, Number.MIN_VALUE),
        };
        if (dir) {
          const lm = await localModel(dir);
          modelId = lm.id;
          context = intFlag('--context', f.context, Math.min(lm.contextLength, 1024), 2, lm.contextLength);
          stride = intFlag('--stride', f.stride, Math.max(1, Math.floor(context / 2)), 1, context);
          let knn;
          if (f.knn) {
            const datastore = await openDatastore(f);
            if (datastore.embedderKeys) throw new InvalidParameterError(`${f.knn} has embedder keys (built over an API model); a local model queries with its hidden states: build one with knnlm build --model DIR`);
            if (datastore.manifest.model !== lm.id) process.stderr.write(`warning: the datastore was built with ${datastore.manifest.model}, the model is ${lm.id}\n`);
            knn = { datastore, k: knnParams.k, temperature: knnParams.temperature };
          }
          for (const t of texts) scored.push({ source: t.source, scores: await localTokenScores(lm, t.text, { context, stride }, knn) });
          await lm.close();
        } else {
          if (!config.llm.baseUrl) throw new InvalidParameterError('no language model: pass --model DIR (a local causal-LM folder) or set OPENBOOK_LLM_MODEL_DIR, or OPENBOOK_LLM_BASE_URL for a server with /v1/completions echo + logprobs');
          const { openAIModelFromConfig } = await import('../../models/index.js');
          const api: LanguageModel = openAIModelFromConfig(config)!;
          modelId = api.id;
          context = intFlag('--context', f.context, 256, 2);
          stride = intFlag('--stride', f.stride, Math.max(1, Math.floor(context / 2)), 1, context);
          let knn;
          let models;
          if (f.knn) {
            // No hidden states over an API: the embedder-key approximation (methods/knn-lm-api.ts).
            models = await loadCliModels(f, { llm: false });
            if (!models.embedder) throw new InvalidParameterError('--knn over an API model keys the datastore with the configured embedder (OPENBOOK_EMBED_BASE_URL or embed.modelDir), and none is configured; or pass --model DIR for the paper\'s hidden-state keys');
            const datastore = await openDatastore(f);
            process.stderr.write('note: kNN-LM over an API model is an approximation of the paper (embedder keys, top-k p_LM); see docs/methods.md\n');
            knn = { datastore, embedder: models.embedder, k: knnParams.k, temperature: knnParams.temperature };
          }
          try {
            for (const t of texts) scored.push({ source: t.source, scores: await apiTokenScores(api, t.text, { context, stride }, knn) });
          } finally {
            await models?.close();
          }
        }
        const report = lmReport(scored, { context, stride, bootstrap, seed, ...(f.knn ? knnParams : {}) });
        if (f.json) printJson({ model: modelId, ...report });
        else process.stdout.write(renderLmReport(report, modelId));
      }),
    );
}

export function register(program: Command): void {
  const knnlm = program.command('knnlm').description('kNN-LM datastores (Khandelwal et al., ICLR 2020)').addHelpText('after', '\nExamples:\n  $ openbook knnlm build --corpus notes/ --model models/tiny-lm');
  knnlm
    .command('build')
    .description('build (or resume) a datastore: key = the local model\'s final hidden state before each token, value = the token')
    .addHelpText('after', '\nExamples:\n  $ openbook knnlm build --corpus notes/ --model models/tiny-lm')
    .requiredOption('--corpus <path>', '.txt/.md files, a folder of them, or JSONL of texts')
    .option('--model <dir>', 'local causal-LM folder whose graph outputs hidden states (default: llm.modelDir; with only a server configured, the API approximation with embedder keys)')
    .option('--out <dir>', 'datastore folder (default: <index>/knnlm)')
    .option('--context <n>', 'window length in tokens (default: the model\'s context length, at most 1024)')
    .option('--stride <n>', 'tokens between window starts (default: context / 2)')
    .option('--key-words <n>', 'API approximation: words of preceding context each key embeds', '32')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--config <file>', 'configuration file')
    .option('--json', 'print JSON')
    .action(
      action(async (f: { corpus: string; model?: string; out?: string; context?: string; stride?: string; keyWords?: string; index?: string; config?: string; json?: boolean }) => {
        const { config } = await loadCliConfig(f);
        const dir = f.model ? path.resolve(f.model) : config.llm.baseUrl ? undefined : config.llm.modelDir;
        const texts = loadLmTexts(f.corpus);
        const out = f.out ? path.resolve(f.out) : path.join(resolveIndexDir(f.index), 'knnlm');
        const onFile = (source: string, rows: number, skipped: boolean) => {
          if (!f.json) process.stderr.write(`${skipped ? 'already in the datastore' : `${rows} keys`}: ${source}\n`);
        };
        if (!dir) {
          if (!config.llm.baseUrl) throw new InvalidParameterError('knnlm build needs a model: --model DIR or OPENBOOK_LLM_MODEL_DIR (a local folder, the paper\'s hidden-state keys), or OPENBOOK_LLM_BASE_URL with an embedder (the API approximation)');
          const models = await loadCliModels(f, { llm: false });
          try {
            if (!models.embedder) throw new InvalidParameterError('knnlm build over an API model keys the datastore with the configured embedder (OPENBOOK_EMBED_BASE_URL or embed.modelDir), and none is configured');
            const { openAIModelFromConfig } = await import('../../models/index.js');
            const api: LanguageModel = openAIModelFromConfig(config)!;
            const context = intFlag('--context', f.context, 256, 2);
            const stride = intFlag('--stride', f.stride, Math.max(1, Math.floor(context / 2)), 1, context);
            const keyWords = intFlag('--key-words', f.keyWords, 32, 1);
            if (!f.json) process.stderr.write('note: over an API model the keys are embeddings of the preceding words, an approximation of the paper (docs/methods.md)\n');
            const { buildApiKnnDatastore } = await import('../../methods/knn-lm-api.js');
            const r = await buildApiKnnDatastore(api, models.embedder, texts, out, { context, stride, keyWords, onFile });
            if (f.json) printJson({ datastore: out, model: api.id, keys: 'embedder', embedder: models.embedder.id, ...r });
            else process.stdout.write(`datastore ${out}: ${r.rows} keys (${r.added} added, ${r.skipped} files already in), model ${api.id}, keys from ${models.embedder.id} (approximation)\n`);
          } finally {
            await models.close();
          }
          return;
        }
        const lm = await localModel(dir);
        const context = intFlag('--context', f.context, Math.min(lm.contextLength, 1024), 2, lm.contextLength);
        const stride = intFlag('--stride', f.stride, Math.max(1, Math.floor(context / 2)), 1, context);
        const { buildKnnDatastore } = await import('../../methods/knn-lm.js');
        const r = await buildKnnDatastore(lm, texts, out, { context, stride, onFile });
        await lm.close();
        if (f.json) printJson({ datastore: out, model: lm.id, ...r });
        else process.stdout.write(`datastore ${out}: ${r.rows} keys (${r.added} added, ${r.skipped} files already in), model ${lm.id}\n`);
      }),
    );
}
