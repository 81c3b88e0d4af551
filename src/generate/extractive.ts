/**
 * The offline answerer: picks the sentences of the retrieved passages that best answer the
 * question and cites each one. No model is involved, so every quote is a verbatim substring
 * of its chunk — checked here in code, not assumed.
 *
 * Sentence score (a sentence-level BM25 against the question, weighted by the passage's
 * retrieval score):
 *
 *   s(q, sent) = Σ_{t ∈ q ∩ sent} idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))   (k1 = 1.2, b = 0.75)
 *   score      = s(q, sent) · (0.5 + 0.5 · hitScore / maxHitScore)
 *
 * idf(t) comes from the index statistics (`ln(1 + (N − df + 0.5)/(df + 0.5))`, Lucene's BM25
 * idf) when given, else from the candidate sentences themselves. Question words ("what",
 * "how", "어떻게", "무엇" …) are dropped before scoring; they say what kind of answer is wanted,
 * not where it is. A sentence is kept only when it covers at least `minCoverage` of the
 * question's idf mass and matches at least two distinct question terms (one for a one-term
 * question); a further sentence must also cover at least half as much as the best one. When none
 * qualifies, the answer says nothing relevant was found. Units come from `segmentText`: headings,
 * code blocks, table rows and fragments of fewer than three analysed terms are never quoted; a
 * heading's terms count for the first unit under it; a sentence ending in ":" is quoted together
 * with the list items that follow it.
 */
import type { Analyzer } from '../analysis/analyzer.js';
import { contentQuery, ENGLISH_QUESTION_WORDS, KOREAN_QUESTION_WORDS } from '../analysis/question-words.js';
import { segmentText } from '../analysis/sentences.js';
import type { Citation, Hit } from '../core/types.js';

/** Index statistics the answerer uses for idf; `docFreq` of an analysed term. */
export interface TermStatistics {
  numDocs: number;
  docFreq(term: string): number;
}

export interface ExtractiveOptions {
  /** Sentences in the answer, ≥ 1. Default 3. */
  maxSentences?: number;
  /** Minimum share of the question's idf mass a sentence must cover, in [0, 1]. Default 0.3. */
  minCoverage?: number;
  /** A further sentence is added only if its score is ≥ this fraction of the best one's. Default 0.4. */
  relativeCutoff?: number;
}

/** One candidate sentence and how it scored (exposed for traces and tests). */
export interface ScoredSentence {
  hitIndex: number;
  start: number;
  end: number;
  text: string;
  score: number;
  coverage: number;
  matched: string[];
}

export interface ExtractiveAnswer {
  /** Sentences each followed by its marker `[n]`, or the "nothing found" message. */
  answer: string;
  citations: Citation[];
  /** False when no sentence was relevant enough. */
  found: boolean;
  /** Every candidate, best first. */
  candidates: ScoredSentence[];
}

/** Words that ask rather than inform (src/analysis/question-words.ts), analysed with the index's analyzer. */
const QUESTION_WORDS = [...ENGLISH_QUESTION_WORDS, ...KOREAN_QUESTION_WORDS].join(' ');

const K1 = 1.2;
const B = 0.75;
/** Markdown ATX headings ("## HyDE") and setext underlines are not answer candidates. */
const HEADING = /^(#{1,6}\s|[=-]{3,}\s*$)/;
/** Fragments shorter than this many analysed terms ("Yes.", "See below.") are not answers either. */
const MIN_SENTENCE_TERMS = 3;

/** The message when nothing relevant was found, in the question's language. */
export function notFoundMessage(question: string): string {
  return /[\uac00-\ud7a3]/.test(question)
    ? '색인된 문서에서 이 질문에 답하는 내용을 찾지 못했습니다.'
    : 'No passage in the index answers this question.';
}

/**
 * Builds a cited extractive answer from ranked hits.
 * @param question the user's question, any language
 * @param hits ranked passages, best first (their `text` is the chunk text)
 * @param analyzer the index's analyzer, so question and sentences are analysed alike
 * @param stats index statistics for idf; optional
 * @throws Error if a produced quote is not a verbatim substring of its chunk (a bug, never expected)
 */
export function extractiveAnswer(
  question: string,
  hits: Hit[],
  analyzer: Analyzer,
  stats?: TermStatistics,
  options: ExtractiveOptions = {},
): ExtractiveAnswer {
  const maxSentences = options.maxSentences ?? 3;
  const minCoverage = options.minCoverage ?? 0.3;
  const relativeCutoff = options.relativeCutoff ?? 0.4;

  const stop = new Set(analyzer.analyze(QUESTION_WORDS));
  let qTerms = [...new Set(analyzer.analyze(contentQuery(question)))].filter((t) => !stop.has(t));
  if (qTerms.length === 0) qTerms = [...new Set(analyzer.analyze(question))];

  // Candidate sentences with their analysed terms.
  interface Cand { hitIndex: number; start: number; end: number; terms: Map<string, number>; len: number }
  const cands: Cand[] = [];
  hits.forEach((hit, hitIndex) => {
    const segs = segmentText(hit.text);
    let headingTerms: string[] = [];
    for (let k = 0; k < segs.length; k++) {
      const seg = segs[k];
      const raw = hit.text.slice(seg.start, seg.end);
      if (seg.kind === 'heading') {
        headingTerms = analyzer.analyze(raw.replace(/^#+\s*/, '')); // a heading introduces the block under it
        continue;
      }
      if (seg.kind === 'code' || seg.kind === 'table') continue; // code and tables are not prose
      if (HEADING.test(raw)) continue;
      // A sentence that introduces a list (ends with ":") is quoted with the list items that follow it.
      let end = seg.end;
      if (seg.kind === 'sentence' && raw.endsWith(':')) {
        let m = k + 1;
        while (m < segs.length && segs[m].kind === 'item' && segs[m].paragraph === seg.paragraph) end = segs[m++].end;
      }
      const terms = new Map<string, number>();
      const analysed = analyzer.analyze(hit.text.slice(seg.start, end));
      for (const t of analysed) terms.set(t, (terms.get(t) ?? 0) + 1);
      // The first unit under a heading also matches the heading's terms.
      for (const t of headingTerms) if (!terms.has(t)) terms.set(t, 1);
      headingTerms = [];
      if (analysed.length >= MIN_SENTENCE_TERMS) cands.push({ hitIndex, start: seg.start, end, terms, len: analysed.length });
    }
  });
  if (cands.length === 0 || qTerms.length === 0) return { answer: notFoundMessage(question), citations: [], found: false, candidates: [] };

  const idf = new Map<string, number>();
  for (const t of qTerms) {
    let n: number;
    let df: number;
    if (stats && stats.numDocs > 0) {
      n = stats.numDocs;
      df = stats.docFreq(t);
    } else {
      n = cands.length;
      df = cands.reduce((acc, c) => acc + (c.terms.has(t) ? 1 : 0), 0);
    }
    idf.set(t, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  const idfMass = qTerms.reduce((acc, t) => acc + idf.get(t)!, 0);
  const avgLen = cands.reduce((acc, c) => acc + c.len, 0) / cands.length;
  const maxHitScore = Math.max(...hits.map((h) => h.score), Number.MIN_VALUE);

  const scored: ScoredSentence[] = cands.map((c) => {
    let s = 0;
    let covered = 0;
    const matched: string[] = [];
    for (const t of qTerms) {
      const tf = c.terms.get(t);
      if (!tf) continue;
      const w = idf.get(t)!;
      s += (w * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * c.len) / avgLen));
      covered += w;
      matched.push(t);
    }
    const hit = hits[c.hitIndex];
    const prior = 0.5 + 0.5 * (hit.score > 0 ? hit.score / maxHitScore : 0);
    return {
      hitIndex: c.hitIndex,
      start: c.start,
      end: c.end,
      text: hit.text.slice(c.start, c.end),
      score: s * prior,
      coverage: idfMass > 0 ? covered / idfMass : 0,
      matched,
    };
  });
  scored.sort((a, b) => b.score - a.score || a.hitIndex - b.hitIndex || a.start - b.start);

  const chosen: ScoredSentence[] = [];
  const seenText = new Set<string>();
  const minMatched = Math.min(2, qTerms.length);
  for (const s of scored) {
    if (chosen.length >= maxSentences) break;
    if (s.coverage < minCoverage || s.score <= 0 || s.matched.length < minMatched) continue;
    if (chosen.length > 0 && s.score < relativeCutoff * chosen[0].score) break;
    if (chosen.length > 0 && s.coverage < 0.5 * chosen[0].coverage) continue;
    const key = s.text.replace(/\s+/g, ' ').toLowerCase();
    if (seenText.has(key)) continue; // the same sentence from an overlapping chunk
    seenText.add(key);
    chosen.push(s);
  }
  if (chosen.length === 0) return { answer: notFoundMessage(question), citations: [], found: false, candidates: scored };

  const citations: Citation[] = [];
  const numberOf = new Map<number, number>();
  const parts: string[] = [];
  for (const s of chosen) {
    const hit = hits[s.hitIndex];
    if (hit.text.slice(s.start, s.end) !== s.text) throw new Error(`extractive quote is not verbatim in chunk ${hit.chunkId}`);
    let n = numberOf.get(s.hitIndex);
    if (n === undefined) {
      n = numberOf.size + 1;
      numberOf.set(s.hitIndex, n);
    }
    citations.push({
      n,
      chunkId: hit.chunkId,
      docId: hit.docId,
      source: hit.source,
      title: hit.title,
      startLine: hit.startLine + countNewlines(hit.text, 0, s.start),
      endLine: hit.startLine + countNewlines(hit.text, 0, s.end),
      ...(hit.page !== undefined ? { page: hit.page } : {}),
      quote: s.text,
      quoteStart: s.start,
    });
    parts.push(`${s.text.replace(/\s*\n\s*/g, ' ')} [${n}]`);
  }
  return { answer: parts.join(' '), citations, found: true, candidates: scored };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
