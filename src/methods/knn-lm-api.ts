/**
 * kNN-LM over an API model — an APPROXIMATION of Khandelwal et al. (ICLR 2020), for
 * OpenAI-compatible servers, which expose neither hidden states nor the full next-token
 * distribution. What differs from the paper (and from `knn-lm.ts`, which follows it):
 *
 *   key f(x)  — the paper: the LM's own final-layer representation of the context. Here: the
 *               configured embedder's vector of the last `keyWords` words before the token
 *               (`contextKeyText`). The retrieval space is the embedder's, not the LM's.
 *   p_LM(w|x) — the paper: the full softmax over the vocabulary. Here: only the server's top
 *               alternatives (≤ 20) are visible; they are renormalised to sum to 1 and the
 *               remainder mass 1 − Σ_top p is reported in every trace step. A neighbour token
 *               outside the top list gets p_LM = 0 (a lower bound). Under perplexity the scored
 *               token's own log-probability comes from echo, so p_LM there is exact.
 *   values    — the server's tokens by identity (`tokenKey`: their bytes when the server reports
 *               them), numbered in the datastore's vocabulary; the paper uses the LM's token ids.
 *   p_kNN and the mix are eq. 2 and eq. 3 unchanged (softmax of −squared L2, λ interpolation).
 *
 * Cost: building embeds one context per corpus token (one embedder call per 64 tokens) after
 * scoring the corpus through `/v1/completions` echo; decoding makes one chat call (prefill, one
 * token, top-20) and one embedding per generated token.
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import { KnnDatastoreWriter, type KnnDatastore } from '../index/dense/datastore.js';
import { tokensText, type Embedder, type LanguageModel, type TokenLogprob } from '../models/types.js';
import { knnDistribution, textHash } from './knn-lm.js';
import { nextTokenAlternatives, requireLogprobs } from './mixture.js';
import type { MethodContext, MethodResult, Tracer } from './method.js';
import { tokenKey } from './prob.js';

/** Words of preceding context each key embeds. */
export const KNN_LM_API_KEY_WORDS = 32;

/** Embedding batch size for keys. */
const EMBED_BATCH = 64;

/** Whitespace-led pieces: "a b  c" → ["a", " b", "  c"]. */
export function words(text: string): string[] {
  return text.match(/\s*\S+|\s+$/gu) ?? [];
}

/** The text a key embeds: the last `keyWords` words of `before` (trimmed). */
export function contextKeyText(before: string, keyWords = KNN_LM_API_KEY_WORDS): string {
  const w = words(before);
  return w.slice(Math.max(0, w.length - keyWords)).join('').trim();
}

/** One scored server token: the token (with its log-probability) and the text before it in the window. */
export interface ApiScoredToken {
  token: TokenLogprob;
  before: string;
}

/**
 * Scores `text` through `scoreContinuation` (completions with echo + logprobs) in pieces of
 * whitespace-led words: `stride` words per call after `context − stride` words of history; the
 * first word is context only. Returns every scored token with the text before it.
 * @throws CapabilityError when the server cannot echo prompt log-probabilities
 */
export async function apiScoredTokens(model: LanguageModel, text: string, o: { context: number; stride: number; signal?: AbortSignal }): Promise<{ tokens: ApiScoredToken[]; bytes: number }> {
  if (!model.capabilities.echoScoring) {
    throw new CapabilityError(`${model.id} cannot score text: this needs /v1/completions with echo + logprobs, which this server does not offer (run \`openbook doctor\`; use a local model folder with --model DIR instead)`);
  }
  const w = words(text);
  const out: ApiScoredToken[] = [];
  let bytes = 0;
  const history = Math.max(1, o.context - o.stride);
  for (let start = 1; start < w.length; start += o.stride) {
    const prompt = w.slice(Math.max(0, start - history), start).join('');
    const cont = w.slice(start, start + o.stride).join('');
    const s = await model.scoreContinuation(prompt, cont, { signal: o.signal });
    s.tokens.forEach((t, i) => out.push({ token: t, before: prompt + tokensText(s.tokens.slice(0, i)) }));
    bytes += Buffer.byteLength(cont, 'utf8');
  }
  return { tokens: out, bytes };
}

async function embedBatched(embedder: Embedder, texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH) {
    signal?.throwIfAborted();
    out.push(...(await embedder.embed(texts.slice(i, i + EMBED_BATCH), { kind: 'query', signal })));
  }
  return out;
}

export interface BuildApiKnnDatastoreOptions {
  /** Window in words (default 256) and stride (default context / 2), as in API perplexity. */
  context?: number;
  stride?: number;
  keyWords?: number;
  onFile?: (source: string, rows: number, skipped: boolean) => void;
  signal?: AbortSignal;
}

/**
 * Builds (or resumes) an 'embedder'-key datastore in `dir` (module comment): for every token
 * the server scores, key = embedding of the `keyWords` words before it, value = the token's
 * vocabulary id. One committed segment per file, as `buildKnnDatastore`.
 * @throws CapabilityError when the server has no echo scoring
 * @throws InvalidParameterError when a file already in the datastore changed
 */
export async function buildApiKnnDatastore(
  model: LanguageModel,
  embedder: Embedder,
  files: ReadonlyArray<{ source: string; text: string }>,
  dir: string,
  options: BuildApiKnnDatastoreOptions = {},
): Promise<{ rows: number; added: number; skipped: number }> {
  const context = options.context ?? 256;
  const stride = options.stride ?? Math.max(1, Math.floor(context / 2));
  const keyWords = options.keyWords ?? KNN_LM_API_KEY_WORDS;
  if (!Number.isInteger(keyWords) || keyWords < 1) throw new InvalidParameterError(`--key-words must be an integer ≥ 1, got ${keyWords}`);
  const dimension = await embedder.dimension();
  const writer = await KnnDatastoreWriter.open(dir, { model: model.id, dimension, context, stride, keys: 'embedder', embedder: embedder.id, keyWords });
  let added = 0;
  let skipped = 0;
  for (const f of files) {
    options.signal?.throwIfAborted();
    const sha256 = textHash(f.text);
    const done = writer.done(f.source);
    if (done) {
      if (done.sha256 !== sha256) throw new InvalidParameterError(`${f.source} changed since it went into the datastore in ${dir}; build into a new folder`);
      skipped++;
      options.onFile?.(f.source, 0, true);
      continue;
    }
    const { tokens } = await apiScoredTokens(model, f.text, { context, stride, signal: options.signal });
    const vectors = await embedBatched(embedder, tokens.map((t) => contextKeyText(t.before, keyWords)), options.signal);
    const keys = new Float32Array(tokens.length * dimension);
    vectors.forEach((v, i) => keys.set(v, i * dimension));
    const values = Int32Array.from(tokens, (t) => writer.tokenId(tokenKey(t.token)));
    const positions = Uint32Array.from(tokens, (_, i) => i);
    await writer.addFile({ source: f.source, sha256, tokens: tokens.length }, keys, values, positions);
    added += tokens.length;
    options.onFile?.(f.source, tokens.length, false);
  }
  return { rows: writer.manifest.count, added, skipped };
}

/** The text of a token identity (`tokenKey`): its bytes decoded as UTF-8, or its string. */
export function tokenKeyText(key: string): string {
  if (key.startsWith('b:')) return Buffer.from(key.length > 2 ? key.slice(2).split(',').map(Number) : []).toString('utf8');
  return key.slice(2);
}

/** p_kNN of each scored token (eq. 2 over the embedder-key neighbours of its context). */
export async function apiKnnProbabilities(
  tokens: readonly ApiScoredToken[],
  knn: { datastore: KnnDatastore; embedder: Embedder; k: number; temperature: number },
  signal?: AbortSignal,
): Promise<Float64Array> {
  const ds = knn.datastore;
  if (!ds.embedderKeys) throw new InvalidParameterError(`the datastore's keys are a local model's hidden states (${ds.manifest.model}); an API model needs one built with embedder keys (\`openbook knnlm build\` with a server and an embedder configured)`);
  if (ds.manifest.embedder !== knn.embedder.id) throw new InvalidParameterError(`the datastore's keys come from ${ds.manifest.embedder}, the configured embedder is ${knn.embedder.id}`);
  const keyWords = ds.manifest.keyWords ?? KNN_LM_API_KEY_WORDS;
  const queries = await embedBatched(knn.embedder, tokens.map((t) => contextKeyText(t.before, keyWords)), signal);
  return Float64Array.from(tokens, (t, i) => {
    const pk = knnDistribution(ds.search(queries[i], knn.k), knn.temperature);
    const key = tokenKey(t.token);
    let p = 0;
    for (const [v, pv] of pk) if (ds.valueKey(v) === key) p += pv;
    return p;
  });
}

/**
 * `ask --method knn-lm` over an API model (module comment): greedy decoding, each step mixing
 * the renormalised top alternatives with p_kNN by eq. 3; one trace step per token with the
 * neighbours, p_LM (renormalised and raw), the unseen remainder mass, p_kNN and the mix.
 * Decoding ends at the end of the answer or at a newline once the answer has begun.
 */
export async function knnLmOverApi(
  question: string,
  ctx: MethodContext,
  tracer: Tracer,
  store: KnnDatastore,
  p: { k: number; lambda: number; temperature: number; maxTokens: number; traceNeighbors: number },
): Promise<MethodResult> {
  requireLogprobs(ctx, 'knn-lm');
  if (!ctx.embedder) throw new CapabilityError('knn-lm over an API model keys the datastore with the configured embedder (OPENBOOK_EMBED_BASE_URL or embed.modelDir); none is configured');
  if (!store.embedderKeys) throw new InvalidParameterError(`the datastore's keys are a local model's hidden states (${store.manifest.model}); over an API model build one with embedder keys`);
  if (store.manifest.embedder !== ctx.embedder.id) throw new InvalidParameterError(`the datastore's keys come from ${store.manifest.embedder}, the configured embedder is ${ctx.embedder.id}`);
  const keyWords = store.manifest.keyWords ?? KNN_LM_API_KEY_WORDS;
  const messages = [{ role: 'user' as const, content: question }];
  let prefix = '';
  for (let step = 0; step < p.maxTokens; step++) {
    ctx.signal?.throwIfAborted();
    const t0 = ctx.now();
    const alts = await nextTokenAlternatives(tracer, messages, prefix);
    const [query] = await ctx.embedder.embed([contextKeyText(`${question}\n${prefix}`, keyWords)], { kind: 'query', signal: ctx.signal });
    const neighbors = store.search(query, p.k);
    const pk = knnDistribution(neighbors, p.temperature);
    const shown = alts.reduce((a, t) => a + Math.exp(t.logprob), 0);
    const remainder = Math.max(0, 1 - shown);
    const table = new Map<string, { text: string; pLmRaw: number; pKnn: number }>();
    for (const a of alts) {
      const key = tokenKey(a);
      if (!table.has(key)) table.set(key, { text: a.token, pLmRaw: Math.exp(a.logprob), pKnn: 0 });
    }
    for (const [v, pv] of pk) {
      const key = store.valueKey(v)!;
      const row = table.get(key) ?? { text: tokenKeyText(key), pLmRaw: 0, pKnn: 0 };
      row.pKnn += pv;
      table.set(key, row);
    }
    let best: { key: string; text: string; pLm: number; pLmRaw: number; pKnn: number; p: number } | undefined;
    for (const [key, r] of table) {
      const pLm = shown > 0 ? r.pLmRaw / shown : 0;
      const mix = p.lambda * r.pKnn + (1 - p.lambda) * pLm;
      if (!best || mix > best.p) best = { key, text: r.text, pLm, pLmRaw: r.pLmRaw, pKnn: r.pKnn, p: mix };
    }
    tracer.steps.push({
      kind: 'decide',
      name: `token ${step + 1}`,
      input: {
        approximation: 'API model: embedder keys over the preceding words, p_LM from the renormalised top alternatives (docs/methods.md, kNN-LM over an API model)',
        neighbors: neighbors.slice(0, p.traceNeighbors).map((n) => ({ token: tokenKeyText(store.valueKey(n.value) ?? ''), distance: round(n.distance), source: `${n.source}@${n.position}` })),
        remainderMass: round(remainder),
      },
      output: best ? { token: best.text, pLM: round(best.pLm), pLMRaw: round(best.pLmRaw), pKNN: round(best.pKnn), p: round(best.p), lambda: p.lambda } : { token: '' },
      durationMs: ctx.now() - t0,
    });
    if (!best || best.text === '' || (prefix.trim() !== '' && best.text.includes('\n'))) break;
    prefix += best.text;
  }
  return { answer: prefix.trim(), citations: [], hits: [], trace: tracer.steps, usage: tracer.usage, calls: tracer.calls };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
