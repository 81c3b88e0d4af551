/**
 * kNN-LM (Khandelwal, Levy, Jurafsky, Zettlemoyer, Lewis, "Generalization through Memorization:
 * Nearest Neighbor Language Models", ICLR 2020, arXiv:1911.00172).
 *
 *   p_kNN(w | x) ∝ Σ_{(k_i, v_i) ∈ N(x), v_i = w} exp(−d(k_i, f(x)) / T)          (eq. 2)
 *   p(w | x)     = λ · p_kNN(w | x) + (1 − λ) · p_LM(w | x)                          (eq. 3)
 *
 * N(x) = the k nearest datastore keys of the context representation f(x) under squared L2;
 * paper settings k = 1024, λ = 0.25, T = 1. f(x) here is the final hidden state the ONNX graph
 * outputs (after the final layer norm in Hugging Face exports; the paper takes the input of the
 * final layer's feed-forward block — a stated deviation).
 *
 * `buildKnnDatastore` fills a `KnnDatastore` from a corpus with the same sliding windows as
 * perplexity; `knnLm` is the `ask --method knn-lm` method: greedy decoding from the mixed
 * distribution, with one trace step per generated token (neighbours, their tokens and
 * distances, p_LM, p_kNN and the mix).
 */
import { createHash } from 'node:crypto';
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import { KnnDatastore, KnnDatastoreWriter, type KnnNeighbor } from '../index/dense/datastore.js';
import { isTokenDistributionModel, type TokenDistributionModel } from '../models/types.js';
import { knnLmOverApi } from './knn-lm-api.js';
import { checkContext, type Method, type MethodResult, Tracer } from './method.js';

/** Paper parameters. */
export const KNN_LM_DEFAULTS = { k: 1024, lambda: 0.25, temperature: 1 } as const;

/**
 * p_kNN as a sparse distribution: token id → probability (eq. 2), weights exp(−d / T)
 * normalised over the neighbours (max-shifted for stability). Empty for no neighbours.
 */
export function knnDistribution(neighbors: ReadonlyArray<Pick<KnnNeighbor, 'distance' | 'value'>>, temperature = 1): Map<number, number> {
  if (!(temperature > 0)) throw new InvalidParameterError(`kNN-LM: temperature must be > 0, got ${temperature}`);
  const out = new Map<number, number>();
  if (neighbors.length === 0) return out;
  const dMin = Math.min(...neighbors.map((n) => n.distance));
  let z = 0;
  for (const n of neighbors) {
    const w = Math.exp(-(n.distance - dMin) / temperature);
    z += w;
    out.set(n.value, (out.get(n.value) ?? 0) + w);
  }
  for (const [k, v] of out) out.set(k, v / z);
  return out;
}

/** log p(w|x) of eq. 3 from log p_LM(w|x) and p_kNN(w|x); λ = 0 returns `lmLogprob` itself. */
export function mixLogprob(lmLogprob: number, pKnn: number, lambda: number): number {
  if (lambda === 0) return lmLogprob;
  return Math.log(lambda * pKnn + (1 - lambda) * Math.exp(lmLogprob));
}

/**
 * Token positions a sliding-window pass scores (the Hugging Face perplexity guide): windows of
 * ≤ `context` tokens starting every `stride` tokens; each position j ≥ 1 is predicted once, in
 * the first window that reaches it, from the logits at j − 1 with up to `context − 1` tokens of
 * history (≥ context − stride once the first window is past).
 * Yields { begin, end, first }: run the model on ids[begin, end), score targets j ∈ [first, end).
 * @throws InvalidParameterError unless 1 ≤ stride ≤ context and context ≥ 2
 */
export function* slidingWindows(n: number, context: number, stride: number): Generator<{ begin: number; end: number; first: number }> {
  if (!Number.isInteger(context) || context < 2) throw new InvalidParameterError(`--context must be an integer ≥ 2, got ${context}`);
  if (!Number.isInteger(stride) || stride < 1 || stride > context) throw new InvalidParameterError(`--stride must be an integer in [1, context = ${context}], got ${stride}`);
  let prevEnd = 0;
  for (let begin = 0; begin < n; begin += stride) {
    const end = Math.min(begin + context, n);
    const first = Math.max(prevEnd, begin + 1);
    if (first < end) yield { begin, end, first };
    prevEnd = end;
    if (end === n) break;
  }
}

/** SHA-256 (hex) of a text. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface BuildKnnDatastoreOptions {
  /** Window length in tokens; default the model's context length. */
  context?: number;
  /** Default context / 2. */
  stride?: number;
  /** Called after each file. */
  onFile?: (source: string, rows: number, skipped: boolean) => void;
  signal?: AbortSignal;
}

/**
 * Builds (or resumes) the datastore in `dir` from `files`: for every scored position j of each
 * file, key = hidden state at j − 1 (the context ids[..j−1]), value = ids[j].
 * @throws CapabilityError when the model's graph outputs no hidden states
 * @throws InvalidParameterError when a file already in the datastore changed
 */
export async function buildKnnDatastore(
  model: TokenDistributionModel,
  files: ReadonlyArray<{ source: string; text: string }>,
  dir: string,
  options: BuildKnnDatastoreOptions = {},
): Promise<{ rows: number; added: number; skipped: number }> {
  await model.load();
  if (!model.hasHiddenStates) {
    throw new CapabilityError(`${model.id} does not output hidden states, which kNN-LM keys on; export the graph with last_hidden_state as an output (docs/models.md)`);
  }
  const context = options.context ?? model.contextLength;
  const stride = options.stride ?? Math.max(1, Math.floor(context / 2));
  let writer: KnnDatastoreWriter | undefined;
  let added = 0;
  let skipped = 0;
  for (const f of files) {
    options.signal?.throwIfAborted();
    const sha256 = textHash(f.text);
    const ids = prefixed(model, f.text);
    const keys: number[] = [];
    const values: number[] = [];
    const positions: number[] = [];
    let dim = 0;
    if (writer?.done(f.source)) {
      if (writer.done(f.source)!.sha256 !== sha256) throw new InvalidParameterError(`${f.source} changed since it went into the datastore in ${dir}; build into a new folder`);
      skipped++;
      options.onFile?.(f.source, 0, true);
      continue;
    }
    for (const w of slidingWindows(ids.length, context, stride)) {
      const out = await model.forward(ids.slice(w.begin, w.end), options.signal);
      dim = out.hiddenSize!;
      for (let j = w.first; j < w.end; j++) {
        const r = j - 1 - w.begin;
        for (let x = 0; x < dim; x++) keys.push(out.hidden![r * dim + x]);
        values.push(ids[j]);
        positions.push(j);
      }
    }
    if (!writer) {
      if (dim === 0) {
        const probe = await model.forward([ids[0] ?? model.eosTokenIds[0] ?? 0]);
        dim = probe.hiddenSize!;
      }
      writer = await KnnDatastoreWriter.open(dir, { model: model.id, dimension: dim, context, stride });
      if (writer.done(f.source)) {
        if (writer.done(f.source)!.sha256 !== sha256) throw new InvalidParameterError(`${f.source} changed since it went into the datastore in ${dir}; build into a new folder`);
        skipped++;
        options.onFile?.(f.source, 0, true);
        continue;
      }
    }
    await writer.addFile({ source: f.source, sha256, tokens: ids.length }, Float32Array.from(keys), Int32Array.from(values), Uint32Array.from(positions));
    added += values.length;
    options.onFile?.(f.source, values.length, false);
  }
  return { rows: writer?.manifest.count ?? 0, added, skipped };
}

/** A text's token ids, after the BOS token when the model has one (so the first token is predicted too). */
export function prefixed(model: TokenDistributionModel, text: string): number[] {
  const ids = model.encode(text);
  return model.bosTokenId !== undefined ? [model.bosTokenId, ...ids] : ids;
}

export interface KnnLmParams {
  /** Datastore folder (built by `openbook knnlm build`). */
  datastore: string;
  k: number;
  lambda: number;
  temperature: number;
  /** Upper bound on generated tokens. */
  maxTokens: number;
  /** Neighbours shown per token in the trace. */
  traceNeighbors: number;
}

const datastores = new Map<string, Promise<KnnDatastore>>();

/** `ask --method knn-lm`: greedy decoding from eq. 3 over a local model's distribution. */
export const knnLm: Method<KnnLmParams> = {
  name: 'knn-lm',
  paper: 'Khandelwal et al., Generalization through Memorization: Nearest Neighbor Language Models, ICLR 2020 (arXiv:1911.00172)',
  defaults: { datastore: '', ...KNN_LM_DEFAULTS, maxTokens: 64, traceNeighbors: 5 },
  cost: 'one forward pass and one k-NN search per generated token (local model); over an API model, the approximation of knn-lm-api.ts: one chat call (top-20) and one embedding per token',
  async run(question, ctx, params = {}): Promise<MethodResult> {
    checkContext(ctx, 'knn-lm');
    const p = { ...knnLm.defaults, ...params };
    const model = ctx.llm as unknown;
    if (!p.datastore) throw new InvalidParameterError('knn-lm: set --param datastore=DIR (built with `openbook knnlm build --corpus …`)');
    let open = datastores.get(p.datastore);
    if (!open) {
      open = KnnDatastore.open(p.datastore);
      datastores.set(p.datastore, open);
      open.catch(() => datastores.delete(p.datastore));
    }
    const store = await open;
    const tracer = new Tracer(ctx);
    // An API model shows neither hidden states nor the full distribution: the labelled approximation.
    if (!isTokenDistributionModel(model)) return knnLmOverApi(question, ctx, tracer, store, p);
    await model.load();
    if (!model.hasHiddenStates) throw new CapabilityError(`${model.id} does not output hidden states; kNN-LM cannot query its datastore`);
    if (store.embedderKeys) throw new InvalidParameterError(`${p.datastore} has embedder keys (built over an API model); a local model queries with its hidden states: build a datastore with --model DIR`);
    const lm = ctx.llm as unknown as { chatPrompt?: (m: Array<{ role: 'user'; content: string }>) => string };
    const promptText = lm.chatPrompt ? lm.chatPrompt([{ role: 'user', content: question }]) : `User: ${question}\nAssistant:`;
    const ids = model.encode(promptText);
    const generated: number[] = [];
    for (let step = 0; step < p.maxTokens; step++) {
      ctx.signal?.throwIfAborted();
      const t0 = ctx.now();
      const window = ids.length > model.contextLength ? ids.slice(ids.length - model.contextLength) : ids;
      const out = await model.forward(window, ctx.signal);
      tracer.calls += 1;
      const last = out.length - 1;
      const row = out.logprobs.subarray(last * out.vocabSize, (last + 1) * out.vocabSize);
      const query = out.hidden!.subarray(last * out.hiddenSize!, (last + 1) * out.hiddenSize!);
      const neighbors = store.search(Float32Array.from(query), p.k);
      const pk = knnDistribution(neighbors, p.temperature);
      let best = 0;
      let bestLp = -Infinity;
      for (let v = 0; v < out.vocabSize; v++) {
        const lp = mixLogprob(row[v], pk.get(v) ?? 0, p.lambda);
        if (lp > bestLp) [best, bestLp] = [v, lp];
      }
      tracer.steps.push({
        kind: 'decide',
        name: `token ${step + 1}`,
        input: {
          neighbors: neighbors.slice(0, p.traceNeighbors).map((n) => ({ token: model.decode([n.value]), distance: round(n.distance), source: `${n.source}@${n.position}` })),
        },
        output: { token: model.decode([best]), pLM: round(Math.exp(row[best])), pKNN: round(pk.get(best) ?? 0), p: round(Math.exp(bestLp)), lambda: p.lambda },
        durationMs: ctx.now() - t0,
      });
      if (model.eosTokenIds.includes(best)) break;
      generated.push(best);
      ids.push(best);
    }
    tracer.usage = { promptTokens: tracer.usage.promptTokens + model.encode(promptText).length, completionTokens: tracer.usage.completionTokens + generated.length };
    return { answer: model.decode(generated).trim(), citations: [], hits: [], trace: tracer.steps, usage: tracer.usage, calls: tracer.calls };
  },
};

const round = (x: number) => Math.round(x * 1e6) / 1e6;
