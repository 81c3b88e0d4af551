/**
 * Language-model evaluation: token-level perplexity and bits per byte, per file and overall,
 * with percentile-bootstrap intervals; and the same with a kNN-LM datastore (LM and kNN-LM side
 * by side, plus a λ sweep).
 *
 * Perplexity (sliding window, Hugging Face "Perplexity of fixed-length models" guide): windows
 * of `context` tokens every `stride` tokens; each token is scored once, with ≥ context − stride
 * tokens of history once past the first window (see `slidingWindows`). The text is prefixed by
 * the model's BOS token when it has one, so every text token is predicted; without one the
 * first token is context only, as in the guide.
 *   PPL = exp(−(1/N) Σ_j log p(x_j | x_<j))       (natural log, N scored tokens)
 *   BPB = −Σ_j log₂ p(x_j | x_<j) / bytes          (bytes = UTF-8 bytes of the scored text;
 *                                                   comparable across tokenizers)
 * Intervals: 95 % percentile bootstrap (B = 1000, mulberry32(seed)); per file over its tokens,
 * overall over files when there are ≥ 2 (tokens within a file are not independent), else over
 * tokens.
 *
 * Over an OpenAI-compatible server (no token ids): `apiTokenScores` scores each text through
 * `scoreContinuation` (completions with echo + logprobs) in pieces of whitespace-led words —
 * `stride` words per call after `context − stride` words of history; the first word is context
 * only. Tokens are the server's. With an 'embedder'-key datastore, p_kNN comes from the
 * approximation of `methods/knn-lm-api.ts` (keys = embeddings of the preceding words).
 */
import { CapabilityError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';
import type { KnnDatastore } from '../index/dense/datastore.js';
import { knnDistribution, mixLogprob, prefixed, slidingWindows } from '../methods/knn-lm.js';
import { apiKnnProbabilities, apiScoredTokens } from '../methods/knn-lm-api.js';
import type { Embedder, LanguageModel, TokenDistributionModel } from '../models/types.js';
import { percentile, type Interval } from './stats.js';

/** Per scored token: log p_LM (natural log), p_kNN when a datastore was given, and the token's UTF-8 bytes. */
export interface TokenScores {
  lm: Float64Array;
  knn?: Float64Array;
  bytes: number;
}

export interface WindowOptions {
  context: number;
  stride: number;
  signal?: AbortSignal;
}

export interface KnnOptions {
  datastore: KnnDatastore;
  k: number;
  temperature: number;
}

/** Scores every token of `text` with a local model (and p_kNN of each target when `knn` is given). */
export async function localTokenScores(model: TokenDistributionModel, text: string, o: WindowOptions, knn?: KnnOptions): Promise<TokenScores> {
  await model.load();
  const ids = prefixed(model, text);
  const offset = model.bosTokenId !== undefined ? 1 : 0;
  const lm: number[] = [];
  const kn: number[] = [];
  let scoredFrom = -1;
  for (const w of slidingWindows(ids.length, Math.min(o.context, model.contextLength), o.stride)) {
    const out = await model.forward(ids.slice(w.begin, w.end), o.signal);
    if (scoredFrom < 0) scoredFrom = w.first;
    for (let j = w.first; j < w.end; j++) {
      const r = j - 1 - w.begin;
      lm.push(out.logprobs[r * out.vocabSize + ids[j]]);
      if (knn) {
        if (!out.hidden) throw new CapabilityError(`${model.id} does not output hidden states; kNN-LM cannot query its datastore`);
        const d = out.hiddenSize!;
        const pk = knnDistribution(knn.datastore.search(out.hidden.slice(r * d, (r + 1) * d), knn.k), knn.temperature);
        kn.push(pk.get(ids[j]) ?? 0);
      }
    }
  }
  const scoredText = scoredFrom < 0 ? '' : model.decode(ids.slice(Math.max(scoredFrom, offset)));
  return { lm: Float64Array.from(lm), ...(knn ? { knn: Float64Array.from(kn) } : {}), bytes: Buffer.byteLength(scoredText, 'utf8') };
}

/**
 * Scores `text` over an API model (module comment); with `knn` (an 'embedder'-key datastore and
 * the embedder it was built with) also p_kNN of each scored token — the approximation of
 * `methods/knn-lm-api.ts`.
 * @throws CapabilityError when the server cannot echo prompt log-probabilities (e.g. llama.cpp's server)
 */
export async function apiTokenScores(model: LanguageModel, text: string, o: WindowOptions, knn?: KnnOptions & { embedder: Embedder }): Promise<TokenScores> {
  const { tokens, bytes } = await apiScoredTokens(model, text, o);
  const lm = Float64Array.from(tokens, (t) => t.token.logprob);
  return { lm, ...(knn ? { knn: await apiKnnProbabilities(tokens, knn, o.signal) } : {}), bytes };
}

export type { Interval } from './stats.js';

export interface LmFileReport {
  source: string;
  tokens: number;
  bytes: number;
  /** −Σ log p, nats. */
  nll: number;
  perplexity: number;
  bitsPerByte: number;
  perplexityCi: Interval;
  bitsPerByteCi: Interval;
  /** With a datastore: the same under kNN-LM at the given λ. */
  knn?: { perplexity: number; bitsPerByte: number; perplexityCi: Interval };
}

export interface LmReport {
  files: LmFileReport[];
  overall: Omit<LmFileReport, 'source'>;
  /** λ → overall kNN-LM perplexity, when a datastore was given. */
  lambdaSweep?: Array<{ lambda: number; perplexity: number; bitsPerByte: number }>;
  settings: { context: number; stride: number; bootstrap: number; seed: number; k?: number; lambda?: number; temperature?: number };
}

const LN2 = Math.log(2);

function nllOf(s: TokenScores, lambda?: number): Float64Array {
  const out = new Float64Array(s.lm.length);
  for (let i = 0; i < out.length; i++) out[i] = -(lambda === undefined || !s.knn ? s.lm[i] : mixLogprob(s.lm[i], s.knn[i], lambda));
  return out;
}

/** 95 % percentile bootstrap of exp(mean) over units, each unit (Σ nll, count). */
function bootstrapPpl(units: Array<[number, number]>, b: number, rng: () => number): Interval {
  if (units.length === 0) return { low: NaN, high: NaN };
  const stats: number[] = [];
  for (let r = 0; r < b; r++) {
    let nll = 0;
    let n = 0;
    for (let i = 0; i < units.length; i++) {
      const u = units[Math.floor(rng() * units.length)];
      nll += u[0];
      n += u[1];
    }
    stats.push(n === 0 ? NaN : Math.exp(nll / n));
  }
  stats.sort((x, y) => x - y);
  return { low: percentile(stats, 0.025), high: percentile(stats, 0.975) };
}

/** Turns per-file token scores into the report (module comment); `lambda` for the kNN-LM columns, `sweep` for the λ sweep. */
export function lmReport(
  scored: ReadonlyArray<{ source: string; scores: TokenScores }>,
  settings: LmReport['settings'],
  sweep: readonly number[] = [0, 0.1, 0.25, 0.5, 0.75, 0.9],
): LmReport {
  const rng = mulberry32(settings.seed);
  const b = settings.bootstrap;
  const knnOn = settings.lambda !== undefined && scored.some((s) => s.scores.knn);
  const files: LmFileReport[] = scored.map(({ source, scores }) => {
    const nll = nllOf(scores);
    const sum = nll.reduce((a, x) => a + x, 0);
    const n = nll.length;
    const ci = bootstrapPpl([...nll].map((x) => [x, 1]), b, rng);
    const bpbScale = n === 0 || scores.bytes === 0 ? NaN : n / (scores.bytes * LN2);
    const rep: LmFileReport = {
      source,
      tokens: n,
      bytes: scores.bytes,
      nll: sum,
      perplexity: Math.exp(sum / n),
      bitsPerByte: sum / (scores.bytes * LN2),
      perplexityCi: ci,
      bitsPerByteCi: { low: Math.log(ci.low) * bpbScale, high: Math.log(ci.high) * bpbScale },
    };
    if (knnOn) {
      const k = nllOf(scores, settings.lambda);
      const ks = k.reduce((a, x) => a + x, 0);
      rep.knn = { perplexity: Math.exp(ks / n), bitsPerByte: ks / (scores.bytes * LN2), perplexityCi: bootstrapPpl([...k].map((x) => [x, 1]), b, rng) };
    }
    return rep;
  });
  const tokens = files.reduce((a, f) => a + f.tokens, 0);
  const bytes = files.reduce((a, f) => a + f.bytes, 0);
  const nll = files.reduce((a, f) => a + f.nll, 0);
  const units: Array<[number, number]> = files.length >= 2 ? files.map((f) => [f.nll, f.tokens]) : scored.flatMap((s) => [...nllOf(s.scores)].map((x): [number, number] => [x, 1]));
  const ci = bootstrapPpl(units, b, rng);
  const scale = tokens / (bytes * LN2);
  const overall: LmReport['overall'] = {
    tokens,
    bytes,
    nll,
    perplexity: Math.exp(nll / tokens),
    bitsPerByte: nll / (bytes * LN2),
    perplexityCi: ci,
    bitsPerByteCi: { low: Math.log(ci.low) * scale, high: Math.log(ci.high) * scale },
  };
  const report: LmReport = { files, overall, settings };
  if (knnOn) {
    const at = (lambda: number) => scored.reduce((a, s) => a + nllOf(s.scores, lambda).reduce((x, y) => x + y, 0), 0);
    const kn = at(settings.lambda!);
    const kUnits: Array<[number, number]> = files.length >= 2 ? scored.map((s) => [nllOf(s.scores, settings.lambda).reduce((x, y) => x + y, 0), s.scores.lm.length]) : scored.flatMap((s) => [...nllOf(s.scores, settings.lambda)].map((x): [number, number] => [x, 1]));
    overall.knn = { perplexity: Math.exp(kn / tokens), bitsPerByte: kn / (bytes * LN2), perplexityCi: bootstrapPpl(kUnits, b, rng) };
    report.lambdaSweep = sweep.map((lambda) => {
      const s = at(lambda);
      return { lambda, perplexity: Math.exp(s / tokens), bitsPerByte: s / (bytes * LN2) };
    });
  }
  return report;
}
