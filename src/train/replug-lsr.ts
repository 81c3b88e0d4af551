/**
 * REPLUG-LSR training data: Shi et al., "REPLUG: Retrieval-Augmented Black-Box Language
 * Models", NAACL 2024 (arXiv 2301.12652), §4 (LM-Supervised Retrieval).
 *
 * For a question x with gold answer y and its top-k passages D':
 *
 *   P_R(d | x)    = exp(s(d, x)/γ) / Σ_{d' ∈ D'} exp(s(d', x)/γ)          (retrieval likelihood)
 *   Q(d | x, y)   = exp(log P_LM(y | d, x)/β) / Σ_{d'} exp(log P_LM(y | d', x)/β)   (LM likelihood)
 *   loss          = KL(P_R ‖ Q), averaged over a batch
 *
 * log P_LM(y | d, x) is the sequence log-likelihood of " y" and the newline that ends it after the
 * passage-and-question prompt (`scoreContinuation` of `answerContinuation(y)`: the end of the answer
 * is part of y, so a prefix of the gold answer does not score higher), with the LM frozen. This module builds one record per question — the
 * passages, P_R, Q and the KL — for a retriever trainer outside TypeScript; it trains nothing.
 *
 * s(d, x) is the retriever's score of each hit. The paper's retriever is dense (Contriever, s = the
 * inner product of the query and passage embeddings), so `openbook train-data replug-lsr` passes the
 * dense retriever when an embedder is configured (cosine, `--retriever` to override) and records
 * which retriever scored the passages.
 *
 * FlashRAG's data script departs from this: it scores the mean per-token probability and
 * softmaxes that with no temperatures; we keep the paper's sequence log-likelihood and both γ, β.
 *
 * Cost per question: 1 retrieval + k continuation scorings.
 */
import { CapabilityError, InvalidParameterError } from '../core/errors.js';
import type { LanguageModel } from '../models/types.js';
import type { Retriever } from '../methods/method.js';
import { klDivergence, softmax } from '../methods/prob.js';
import { answerContinuation, docRawPrompt } from '../methods/replug.js';

export interface LsrOptions {
  /** Passages per question, ≥ 1 (the paper retrieves 20). */
  topK: number;
  /** γ > 0, temperature of the retrieval likelihood. Default 0.1. */
  gamma?: number;
  /** β > 0, temperature of the LM likelihood. Default 0.1. */
  beta?: number;
  signal?: AbortSignal;
}

export interface LsrRecord {
  query: string;
  answer: string;
  /** γ of P_R and β of Q, as used. */
  gamma: number;
  beta: number;
  /** Passages as retrieved, best first. */
  passages: Array<{ chunkId: string; docId: string; title: string; text: string; score: number }>;
  /** log P_LM(y | d, x) per passage. */
  lmLogprob: number[];
  /** P_R(d | x). */
  retrieverProbs: number[];
  /** Q(d | x, y): the target distribution for the retriever. */
  lmProbs: number[];
  /** KL(P_R ‖ Q). */
  kl: number;
}

/**
 * One training record for (question, answer).
 * @throws InvalidParameterError on bad temperatures or topK; CapabilityError when the model cannot score continuations
 */
export async function buildLsrRecord(llm: LanguageModel, retriever: Retriever, question: string, answer: string, o: LsrOptions): Promise<LsrRecord> {
  const gamma = o.gamma ?? 0.1;
  const beta = o.beta ?? 0.1;
  if (!Number.isInteger(o.topK) || o.topK < 1) throw new InvalidParameterError(`replug-lsr: topK must be an integer ≥ 1, got ${o.topK}`);
  if (!(gamma > 0) || !(beta > 0)) throw new InvalidParameterError(`replug-lsr: gamma and beta must be > 0, got ${gamma} and ${beta}`);
  if (!llm.capabilities.echoScoring) throw new CapabilityError(`replug-lsr: scoring the gold answer needs continuation scoring, which ${llm.id} does not offer`);
  const hits = await retriever.retrieve(question, o.topK, o.signal);
  const lmLogprob: number[] = [];
  for (const h of hits) lmLogprob.push((await llm.scoreContinuation(docRawPrompt(h, question), answerContinuation(answer), { signal: o.signal })).logprob);
  const retrieverProbs = hits.length > 0 ? softmax(hits.map((h) => h.score), gamma) : [];
  const lmProbs = hits.length > 0 ? softmax(lmLogprob, beta) : [];
  return {
    query: question,
    answer,
    gamma,
    beta,
    passages: hits.map((h) => ({ chunkId: h.chunkId, docId: h.docId, title: h.title, text: h.text, score: h.score })),
    lmLogprob,
    retrieverProbs,
    lmProbs,
    kl: hits.length > 0 ? klDivergence(retrieverProbs, lmProbs) : 0,
  };
}
