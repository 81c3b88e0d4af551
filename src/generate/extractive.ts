/**
 * The offline answerer: picks the sentences of the retrieved passages that best answer the
 * question and cites each one. No model is involved, so every quote is a verbatim substring
 * of its chunk — checked here in code, not assumed.
 *
 * Sentence score (a sentence-level BM25 against the question, weighted by the passage's
 * retrieval score):
 *
 *   s(q, sent) = Σ_{t ∈ q ∩ sent} idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))
 *              + 0.3 · Σ_{adjacent question words (u, v) in order in sent} (idf(u) + idf(v)) / 2
 *   score      = s(q, sent) · (0.5 + 0.5 · hitScore / maxHitScore)
 *
 * (a pair counts when a term of v follows a term of u within 3 analysed terms, 6 for Korean
 * bigrams: the sequential-dependence idea of Metzler & Croft, SIGIR 2005 — the question was
 * written from a sentence that keeps its phrases together),
 * (a hyphenated English word of the question, "nightly-backup", is one concept: its terms share its idf),
 * plus, for each question term the unit lacks but its context names (its document's title, or a unit
 * before it in its paragraph), CONTEXT_WEIGHT · idf(t) (TITLE_CONTEXT_WEIGHT · idf(t) for the title's terms); a Korean question's head noun weighs
 * HEAD_WEIGHT_KO · idf, and a Korean word's n bigram terms each weigh idf / √n (KOREAN_WORD_SHARE: one long
 * compound is one word), as do the terms of a multi-word English name (NAME_SHARE); English irregular verb forms are folded onto their base on both sides
 * ("wrote", "written" → write: `lemmaAnalyzer`, src/analysis/irregular-verbs.ts); a question term the
 * unit lacks but one of whose derivations it holds (same first VARIANT_PREFIX letters: "edited" /
 * "editor") adds VARIANT_WEIGHT · its weight and counts as matched;
 * k1 = 0.2, b = 0.4 at sentence level (see K1/B); times 1.3 when the unit holds the kind of fact
 * the question asks for (`answerTypeOf`: a number for how many/how much/몇/얼마, a number or date
 * for when/what year/언제, a capitalised name the question lacks, inside a sentence, for who), times 2 when a why/왜 question's unit gives
 * a reason ("because", "때문에"); a why question's unit also adds half the score of the unit before
 * it in its paragraph (the sentence restating the question, then the one giving the reason).
 *
 * Second pass (`answerFitOf`): the FIT_DEPTH best units are re-scored, times 1 + w when a unit holds
 * the answer where the question's form puts it — "What is/was X?": X followed by "is/was a|an|the"
 * or an appositive (the unit defining X); "How many/much X …?": a number right before X
 * ("fourteen vice presidents"); "Where …?": a preposition of place before a name the question lacks.
 *
 * idf(t) comes from the index statistics (`ln(1 + (N − df + 0.5)/(df + 0.5))`, Lucene's BM25
 * idf) when given, else from the candidate sentences themselves. Question words ("what",
 * "how", "어떻게", "무엇" …) are dropped before scoring; they say what kind of answer is wanted,
 * not where it is. A sentence is kept only when it covers at least `minCoverage` of the
 * question's idf mass — counting only question terms some indexed document holds, so words absent
 * from a small index cannot force a refusal — and matches at least two distinct question terms
 * (one for a one-term question, or one carrying more than half the question's idf mass: a rare name,
 * `ONE_TERM_COVERAGE`); a further sentence must also cover at least half as much as the best one and hold a question term by its own words. When none
 * qualifies, the answer says nothing relevant was found. Units come from `segmentText`: headings,
 * code blocks, table rows and fragments of fewer than three analysed terms are never quoted; a
 * heading's terms count for the first unit under it; a sentence ending in ":" is quoted together
 * with the list items that follow it; a sentence that refers back ("It …", "이는 …"; in English also
 * "Eventually, he …", "… of this idea …") is quoted with the sentence before it (`ANAPHOR`,
 * `BACK_REFERENCE`).
 *
 * Short answer (`Citation.answerSpan`, offsets into the quote; `answerTypeOf` decides the kind; an
 * English quote of two sentences is searched in its last sentence first, then whole):
 *  - number/date (how many/much, when, 몇/며칠/얼마/언제, "…의 갯수는?", "…된 해는?"): the number
 *    expression with its unit whose digits the question does not hold ("57 mm", "6자리",
 *    "July 4, 1776", "12월 4일 새벽 2시", "October 1973" when the question names 1973), a number
 *    in words ("three", "nine months" for how long), a weekday or month for when, nearest the
 *    question's terms; with 몇 + counter, a number carrying the counter first, else any new number;
 *  - person (who/누구): a run of capitalised words the question does not hold, else (and in Korean
 *    text) as entity;
 *  - entity (what/which/where/무엇/어떤/어느/어디/무슨, or a Korean question ending in its head noun):
 *    the run of quote words the question does not hold nearest the words it does, preferring the
 *    run standing where the question's wh-word stands (`questionGap`: after the words before it,
 *    before the words after it; an English wh-word followed by an auxiliary has its gap at the end)
 *    (`gapSpan`; a relative clause — "that/which/who …" — ends a run, an indefinite article opening
 *    it stays, and a quote verb of a question verb's class stands for it: "generate" ~ "write",
 *    `VERB_CLASSES`); a title or name in brackets or quotes the question does not hold (《…》, 〈…〉,
 *    「…」, “…”) is one candidate, scored as a run plus TITLE_BONUS (`bracketedSpan`);
 *  - reason (why/왜/이유): the clause after "because"/"due to" or before "때문에" (`reasonSpan`).
 * No span for how/어떻게 questions or when none is found; a span is always inside the quote. The
 * answer text then leads with it: "1998 — The treaty was signed in 1998. [1]".
 */
import type { Analyzer, Token } from '../analysis/analyzer.js';
import { contentQuery, ENGLISH_QUESTION_WORDS, KOREAN_QUESTION_WORDS } from '../analysis/question-words.js';
import { IRREGULAR_VERBS } from '../analysis/irregular-verbs.js';
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
  /**
   * Where the units of each passage (its quotable sentences and their analysed terms) are kept
   * between answers; the answer is the same with or without it. One per index commit and
   * analyzer (the server's `Engine` holds one).
   */
  unitCache?: PassageUnitCache;
  /** Attach each candidate's score components (`ScoredSentence.parts`); the answer is the same either way. */
  explain?: boolean;
}

/**
 * The components of a candidate's score (`explain`): score = (match + pairs + context + variant +
 * neighbour) × prior × type, times (1 + fit) for the `FIT_DEPTH` best. `match`: the BM25-style sum
 * over the question terms the unit holds (sentence k1, b); `pairs`: the in-order word pairs;
 * `context`: question terms its title or earlier units name; `variant`: derivations of question
 * words; `neighbour`: the unit before's own score (why questions); `prior` ∈ [0.5, 1]: the
 * passage's BM25 score against the best one; `type` ≥ 1: the answer type bonus; `fit` ≥ 0: the
 * second pass's answer-form fit (0 when the question has none).
 */
export interface ScoreParts {
  match: number;
  pairs: number;
  context: number;
  variant: number;
  neighbour: number;
  prior: number;
  type: number;
  fit: number;
}

/** A quotable unit of a passage: `[start, end)` in its text, analysed term frequencies, and term count. */
export interface PassageUnit {
  start: number;
  end: number;
  terms: ReadonlyMap<string, number>;
  len: number;
  /** The unit's analysed terms in text order (for the question's word pairs, `PAIR_WINDOW`). */
  seq: readonly string[];
  /** Paragraph number of the unit's last segment in the passage (0-based, `Segment.paragraph`). */
  paragraph: number;
}

/**
 * Passage units by chunk id, least recently used dropped beyond `maxEntries` (default 20,000
 * passages). An entry is used only for the very text it was computed from, so a context-widened
 * passage (same chunk id, other text) is computed afresh. Not shared across analyzers.
 */
export class PassageUnitCache {
  private readonly entries = new Map<string, { text: string; units: PassageUnit[] }>();

  constructor(readonly maxEntries = 20_000) {}

  /** Passages held now. */
  get size(): number {
    return this.entries.size;
  }

  private readonly titles = new Map<string, string[]>();

  /** The analysed terms of a passage's document title (underscores read as spaces), computed with `analyzer` on a miss. */
  titleTermsOf(title: string, analyzer: Analyzer): string[] {
    let t = this.titles.get(title);
    if (t === undefined) {
      t = analyzer.analyze(title.replace(/_/g, ' '));
      if (this.titles.size >= this.maxEntries) this.titles.clear();
      if (this.maxEntries > 0) this.titles.set(title, t);
    }
    return t;
  }

  /** The units of `hit`, computed with `analyzer` on a miss. */
  unitsOf(hit: Hit, analyzer: Analyzer): PassageUnit[] {
    const e = this.entries.get(hit.chunkId);
    if (e !== undefined && e.text === hit.text) {
      this.entries.delete(hit.chunkId);
      this.entries.set(hit.chunkId, e);
      return e.units;
    }
    const units = passageUnits(hit.text, analyzer);
    this.entries.delete(hit.chunkId);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    if (this.maxEntries > 0) this.entries.set(hit.chunkId, { text: hit.text, units });
    return units;
  }
}

/** One candidate sentence and how it scored (exposed for traces and tests). */
export interface ScoredSentence {
  hitIndex: number;
  start: number;
  end: number;
  text: string;
  score: number;
  coverage: number;
  /** `coverage` counting also the question terms of the unit's context (its document's title, the units before it in its paragraph). */
  contextCoverage: number;
  matched: string[];
  /** Distinct question terms the unit or its context holds. */
  contextMatched: number;
  /** The score's components, with `ExtractiveOptions.explain`. */
  parts?: ScoreParts;
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

/**
 * Sentence-level BM25 parameters, measured on samples of SQuAD (2,000, seed 2) and KorQuAD dev
 * (1,000, seed 2) through `ask`'s path: k1 1.2 / b 0.75 gave answer-bearing@1 0.7010 / 0.7510,
 * k1 0.2 / b 0.4 gives 0.7170 / 0.7800 — in a sentence, matching one more distinct question term
 * matters more than repeating one.
 */
const K1 = 0.2;
const B = 0.4;
/**
 * Weight (times idf) of a question term a unit lacks but its context names — its document's title
 * or a unit before it in its paragraph: the sentence that answers often does not repeat its subject
 * ("Telenet was founded in 1973. It was the first …"; Korean drops it: "…는 1973년 설립되었다.
 * 미국 최초의 …"). Measured through `ask`'s path on samples of 2,000 (seed 5; checked on seed 17):
 * answer-bearing@1 SQuAD 0.7210 → 0.7285 / 0.7330 / 0.7310 / 0.7270 at 0.2 / 0.4 / 0.6 / 0.8,
 * KorQuAD 0.8030 → 0.8155 at 0.4, 0.8030 at 0.8; the title adds +0.0010 / +0.0020.
 */
const CONTEXT_WEIGHT = 0.4;
/**
 * The same weight for a question term of the unit's document title: the title names what every unit
 * of the document is about, an earlier sentence only what the paragraph was about so far. Samples of
 * 2,000, answer-bearing@1 at 0.6 / 0.8 (from 0.4): SQuAD seed 5 0.7735 → 0.7755 / 0.7760, seed 17
 * 0.7735 → 0.7750 / 0.7770; KorQuAD seed 5 0.8425 → 0.8470 / 0.8460, seed 17 0.8410 → 0.8490 / 0.8445;
 * full sets SQuAD 0.7639 → 0.7651 / 0.7662, KorQuAD 0.8467 → 0.8526 / 0.8492 (1.0: SQuAD seed 5 0.7730).
 */
const TITLE_CONTEXT_WEIGHT = 0.6;
/**
 * Factor on the idf of a Korean question's head noun (`whHeadTerms`: "…출시한 기타는?" → 기타, "어느
 * 나라" → 나라), which the answer sentence names beside the answer ("재즈마스터 기타", "애틀랜타 올림픽");
 * KorQuAD samples of 2,000: +0.0030 (seed 5), +0.0030 (seed 17). For English, 0.5 lost 0.0045 and 1.5
 * changed −0.0010 to +0.0015, so English keeps 1.
 */
const HEAD_WEIGHT_KO = 1.5;
/**
 * Exponent of a Korean word's share of its terms' weight (`koreanWordShares`): the analyser splits a
 * Korean word into overlapping bigrams, so a long compound ("성균관대학교": five bigrams) would count
 * five times a short word's idf, and the sentence repeating the question's one long name would
 * outscore the sentence holding its other words. Each of a word's n bigrams weighs idf / n^0.5
 * (in the score only; the coverage rules keep the plain idf). Measured on KorQuAD samples of 2,000,
 * answer-bearing@1: seed 5 0.8210 → 0.8275 / 0.8285 / 0.8315 / 0.8335 / 0.8325 / 0.8275 at 0.25 /
 * 0.4 / 0.5 / 0.6 / 0.75 / 1; seed 17 0.8245 → 0.8320 / 0.8315 at 0.5 / 0.75. With it, HEAD_WEIGHT_KO
 * 1 instead of 1.5 measured 0.8330 / 0.8330 (within three questions; left at 1.5). SQuAD unaffected.
 */
const KOREAN_WORD_SHARE = 0.5;
/**
 * The same for a name of several capitalised words in an English question, not opening it ("the Royal
 * Geographical Society of London", "Super Bowl 50"; "of"/"the" and numbers may join its words,
 * `ENGLISH_NAME`): each of its n terms weighs idf / n^NAME_SHARE. SQuAD samples of 2,000,
 * answer-bearing@1: seed 5 0.7570 → 0.7585 / 0.7600 / 0.7615 / 0.7610 at 0.25 / 0.5 / 0.75 / 1,
 * seed 17 0.7645 → 0.7660 at 0.5 and 1.
 */
const NAME_SHARE = 0.5;
const ENGLISH_NAME = /(?<=\s)[A-Z][\p{L}'’-]*(?:\s+(?:of\s+|the\s+)?[A-Z0-9][\p{L}\d'’-]*)+/gu;
/** Score factor 1 + TYPE_BONUS for a unit holding the kind of fact the question asks (a number for "how many"/몇/얼마, …); measured as above (0.3: +0.0065 / +0.0050). */
const TYPE_BONUS = 0.3;
/**
 * A unit matching a single distinct question term (where the question has two or more) is still
 * an answer when that term carries more than this share of the question's idf mass — it outweighs
 * the rest of the question: a rare name ("What does FOTA stand for?" — "… the Festival of the Arts
 * (FOTA) …"); a common word shared with the question ("before") does not, nor one of two equally
 * rare words. Measured through `ask`'s path on samples of 2,000, SQuAD answer-bearing@1
 * (refusal|gold@1): seed 5 0.7375 (0.0164) → 0.7470 / 0.7460 / 0.7440 / 0.7385 at ≥ 0.3 / 0.4 / 0.5 / 0.7
 * (0.0019 / 0.0025 / 0.0038 / 0.0152); seed 17 0.7490 → 0.7560 / 0.7540 / 0.7530 at ≥ 0.3 / 0.4 / 0.5.
 * KorQuAD unchanged (its bigram terms give two distinct matches).
 */
const ONE_TERM_COVERAGE = 0.5;
/** Units the second pass re-scores (`answerFitOf`); the first pass's top five (the same figures with all units). */
const FIT_DEPTH = 5;
/**
 * Score factors 1 + w of the second pass (`answerFitOf`), measured on the SQuAD samples of 2,000 with
 * ONE_TERM_COVERAGE at 0.4: seed 5 0.7460 → 0.7485 (definition) → 0.7510 (+ how many X, where); seed 17
 * 0.7540 → 0.7565; 0.5 / 0.5 / 0.3 gave 0.7505 on seed 5. Alignment at the wh-word's gap as a unit
 * score (the question's neighbouring words matched around a new word, or the short answer's
 * aligned run) lost: SQuAD +0.0005 to −0.0145, KorQuAD +0.0005 to −0.0055. The Korean naming and
 * meaning forms take FIT_DEFINITION: KorQuAD samples seed 5 0.8405 → 0.8425, seed 17 0.8405 → 0.8410
 * (0.6 the same as 0.3 on seed 5).
 */
const FIT_DEFINITION = 0.3;
const FIT_COUNT = 0.3;
const FIT_PLACE = 0.2;
/**
 * A question term (Latin letters, at least VARIANT_PREFIX long) the unit lacks, while one of the
 * unit's terms begins with the same VARIANT_PREFIX letters, is a variant of it — a derivation the
 * Porter stemmer keeps apart ("edited"/"editor", "Kenya"/"Kenyan", "Mongolia"/"Mongolians"): it adds
 * VARIANT_WEIGHT · its weight and counts as matched for the coverage rules. Measured on the SQuAD
 * samples of 2,000 (with ONE_TERM_COVERAGE and the second pass): seed 5 0.7490 → 0.7570, seed 17
 * 0.7555 → 0.7645 at 0.5 (0.6: 0.7570 / 0.7650, 0.8: 0.7575 / 0.7655; 5 or 6 letters 0.7535 / 0.7505
 * at 0.6; the shorter term a whole prefix of the longer one instead: 0.7550 / 0.7615); KorQuAD
 * (Hangul bigrams untouched) 0.8205 → 0.8210, 0.8240 → 0.8245.
 */
const VARIANT_PREFIX = 4;
const VARIANT_WEIGHT = 0.5;
/** Factor 1 + REASON_BONUS for a unit giving a reason ("because", "때문에") to a why/왜 question. */
const REASON_BONUS = 1.0;
/** Share of the previous unit's (same paragraph) score a unit adds: its neighbourhood; for why/왜 questions REASON_NEIGHBOUR. */
const NEIGHBOUR = 0;
const REASON_NEIGHBOUR = 0.6;
/**
 * A sentence opening with a word that refers back ("It", "This", "They", "그는", "이는", "이러한" …)
 * is quoted together with the sentence before it, which names what it refers to; measured as
 * above: answer-bearing@1 +0.0120 (KorQuAD) / +0.0180 (SQuAD).
 */
const ANAPHOR = /^(It|This|These|They|He|She|His|Her|Its|Their|Such|That|Those|Them)\b|^(이는|이것은|이것이|그는|그녀는|그것은|그것이|이러한|이런|그러한|그런|이들은|그들은|이\s|그\s)/u;
/**
 * An English sentence that refers back past its opening word is quoted with the sentence before it
 * too: a connective presupposing that sentence ("Also developed by Troika, …", "Eventually, …",
 * "Despite this, …"), a pronoun right after an opening phrase ("On the next play, he …"), a
 * demonstrative in its first six words ("Betty Meggers defended this idea …", "Both of these …"),
 * "of/from/among these|those|them" in its first five ("The last three of these carried …"), or a
 * lower-case first letter (the rest of a sentence the splitter cut at "…": "… Kenya ... reached
 * $474 million"; seed 5 0.7715 → 0.7735, seed 17 0.7730 → 0.7735, EM/F1 not lower). The
 * answer to a question written from the two sentences is then in the quote with what it is about.
 * Measured through `ask`'s path, SQuAD answer-bearing@1 (samples of 2,000): seed 5 0.7610 → 0.7715,
 * seed 17 0.7675 → 0.7730; each pattern alone on seed 5: connective 0.7650 (with "However", EM −0.004
 * for no gain: dropped), pronoun 0.7630, demonstrative 0.7660, "of these" 0.7625.
 */
const BACK_REFERENCE: readonly RegExp[] = [
  /^(Also|Similarly|Likewise|In contrast|Instead|Despite (?:this|that|these)|Besides|Moreover|Furthermore|In addition|Eventually|Later|Afterwards|Thereafter|Thus|Therefore|Hence|Consequently|As a result)\b/,
  /^[^,.;:]{1,40},\s+(he|she|it|they|this|these|those|his|her|its|their)\b/,
  /^(?:\S+\s+){0,5}?(this|these|those)\s+[a-z]/i,
  /^(?:\S+\s+){0,4}?(?:of|from|among|for) (?:these|those|them)\b/i,
  /^[a-z]/,
];
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
  analyzer = lemmaAnalyzer(analyzer);
  const maxSentences = options.maxSentences ?? 3;
  const minCoverage = options.minCoverage ?? 0.3;
  const relativeCutoff = options.relativeCutoff ?? 0.4;

  const stop = questionWordTerms(analyzer);
  let qTerms = [...new Set(analyzer.analyze(contentQuery(question)))].filter((t) => !stop.has(t));
  if (qTerms.length === 0) qTerms = [...new Set(analyzer.analyze(question))];

  // Candidate sentences with their analysed terms.
  interface Cand extends PassageUnit { hitIndex: number }
  const cands: Cand[] = [];
  hits.forEach((hit, hitIndex) => {
    const units = options.unitCache ? options.unitCache.unitsOf(hit, analyzer) : passageUnits(hit.text, analyzer);
    for (const u of units) cands.push({ hitIndex, start: u.start, end: u.end, terms: u.terms, len: u.len, seq: u.seq, paragraph: u.paragraph });
  });
  if (cands.length === 0 || qTerms.length === 0) return { answer: notFoundMessage(question), citations: [], found: false, candidates: [] };

  const idf = new Map<string, number>();
  // Question terms no indexed document holds cannot be matched by any passage; they are left out
  // of the idf mass the coverage rule divides by (in a small index they would carry most of it).
  const present = new Set<string>();
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
    if (df > 0 || !stats) present.add(t);
  }
  const idfMass = [...present].reduce((acc, t) => acc + idf.get(t)!, 0);
  const avgLen = cands.reduce((acc, c) => acc + c.len, 0) / cands.length;
  const maxHitScore = Math.max(...hits.map((h) => h.score), Number.MIN_VALUE);

  const want = answerTypeOf(question);
  // "몇 층", "몇 년", "몇 번째": the counter word the answer's number carries.
  const unit = counterOf(question);
  const qDigits = new Set(question.match(/\d+/g) ?? []);
  const match = (c: Cand): number => {
    let s = 0;
    for (const t of qTerms) {
      const tf = c.terms.get(t);
      if (tf) s += (sw.get(t)! * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * c.len) / avgLen));
    }
    return s;
  };
  // Two question words next to each other in the question, near each other and in order in the unit:
  // the sentence the question was written from (sequential dependence, Metzler & Croft, SIGIR 2005).
  // The question as analysed tokens (with offsets), once: its word pairs here, its wh-word's gap in the short answer.
  const qTokens = analyzer.tokens(question);
  // Score weight of each question term: its idf, times HEAD_WEIGHT_KO for the head noun of a Korean
  // question ("…출시한 기타는?" → 기타), which the answer sentence names beside the answer.
  const sw = new Map(idf);
  const korean = HANGUL.test(question);
  // The n terms of one concept (each span `re` matches) each weigh idf / n^exponent.
  const share = (re: RegExp, exponent: number): void => {
    for (const m of question.matchAll(re)) {
      const parts = [...new Set(analyzer.analyze(m[0]))].filter((t) => sw.has(t));
      if (parts.length > 1) for (const t of parts) sw.set(t, sw.get(t)! / Math.pow(parts.length, exponent));
    }
  };
  // A hyphenated or dotted English word ("nightly-backup") is one concept: its terms share its weight.
  share(/[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z][A-Za-z0-9]*)+/g, 1);
  if (korean) {
    // A Korean word's n bigram terms ("대한민국역사박물관" → 대한, 한민, … 물관) each weigh idf / n^KOREAN_WORD_SHARE.
    koreanWordShares(question, qTokens, sw);
    for (const t of whHeadTerms(question, qTokens, new Set(qTerms))) sw.set(t, sw.get(t)! * HEAD_WEIGHT_KO);
  } else {
    // A name of several capitalised words ("the Royal Geographical Society of London") is one concept too.
    share(ENGLISH_NAME, NAME_SHARE);
  }
  const pairs = questionPairs(question, qTokens, new Set(qTerms));
  const pairWindow = korean ? PAIR_WINDOW_KO : PAIR_WINDOW;
  const pairScore = (c: Cand): number => {
    let s = 0;
    for (const [a, b] of pairs) if (inOrderWithin(c.seq, a, b, pairWindow)) s += (PAIR_WEIGHT * (maxIdf(a, idf) + maxIdf(b, idf))) / 2;
    return s;
  };
  // Each unit's context: the question terms of its document's title and of the units before it in
  // its paragraph (what a sentence that does not repeat its subject is about).
  const titleOf = new Map<number, Set<string>>();
  const titleTerms = (h: number): Set<string> => {
    let t = titleOf.get(h);
    if (!t) {
      const title = hits[h].title;
      const terms = title ? (options.unitCache ? options.unitCache.titleTermsOf(title, analyzer) : analyzer.analyze(title.replace(/_/g, ' '))) : [];
      t = new Set(terms.filter((x) => qTerms.includes(x)));
      titleOf.set(h, t);
    }
    return t;
  };
  const context: Array<ReadonlySet<string>> = [];
  let acc = new Set<string>();
  cands.forEach((c, ci) => {
    const prev = cands[ci - 1];
    if (!prev || prev.hitIndex !== c.hitIndex || prev.paragraph !== c.paragraph) acc = new Set(titleTerms(c.hitIndex));
    context.push(acc);
    if (qTerms.some((t) => c.terms.has(t) && !acc.has(t))) acc = new Set([...acc, ...qTerms.filter((t) => c.terms.has(t))]);
  });
  const pairOf = cands.map(pairScore);
  const own = cands.map((c, ci) => match(c) + pairOf[ci]);
  const neighbour = want === 'reason' ? REASON_NEIGHBOUR : NEIGHBOUR;
  const scored: ScoredSentence[] = cands.map((c, ci) => {
    let s = 0;
    let covered = 0;
    const matched: string[] = [];
    for (const t of qTerms) {
      const tf = c.terms.get(t);
      if (!tf) continue;
      const w = idf.get(t)!;
      s += (sw.get(t)! * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * c.len) / avgLen));
      covered += w;
      matched.push(t);
    }
    const matchPart = s;
    s += pairOf[ci];
    // The context: question terms the unit lacks but its paragraph named before it, or its document's title.
    let contextCovered = 0;
    for (const t of context[ci]) {
      if (c.terms.has(t)) continue;
      s += (titleTerms(c.hitIndex).has(t) ? TITLE_CONTEXT_WEIGHT : CONTEXT_WEIGHT) * idf.get(t)!;
      if (present.has(t)) contextCovered += idf.get(t)!;
    }
    const contextPart = s - matchPart - pairOf[ci];
    // A derivation of a question word ("editor" for "edited": Porter keeps them apart) counts as a variant match.
    let prefixes: Set<string> | undefined;
    for (const t of qTerms) {
      if (c.terms.has(t) || context[ci].has(t) || t.length < VARIANT_PREFIX || !/^[a-z]/.test(t)) continue;
      prefixes ??= variantPrefixes(c.terms);
      if (!prefixes.has(t.slice(0, VARIANT_PREFIX))) continue;
      s += VARIANT_WEIGHT * sw.get(t)!;
      covered += idf.get(t)!;
      matched.push(t);
    }
    const variantPart = s - matchPart - pairOf[ci] - contextPart;
    const hit = hits[c.hitIndex];
    const prior = 0.5 + 0.5 * (hit.score > 0 ? hit.score / maxHitScore : 0);
    const text = hit.text.slice(c.start, c.end);
    const typeOk = want !== 'none' && hasAnswerType(text, want, qDigits, unit, question.toLowerCase()) ? 1 + (want === 'reason' ? REASON_BONUS : TYPE_BONUS) : 1;
    // The neighbourhood: the unit before it in the same paragraph (what "This …" or "because …" continues).
    const before = cands[ci - 1];
    if (neighbour > 0 && before && before.hitIndex === c.hitIndex && before.paragraph === c.paragraph) {
      s += neighbour * own[ci - 1];
      // Why: a reason sentence right after one restating the question answers it, though it repeats
      // none of its words ("The page is slow for users in Singapore. Priya traced it to the font files.").
      if (want === 'reason' && typeOk > 1) {
        for (const t of qTerms) {
          if (!matched.includes(t) && before.terms.has(t)) {
            matched.push(t);
            covered += idf.get(t)!;
          }
        }
      }
    }
    const parts: ScoreParts | undefined = options.explain
      ? { match: matchPart, pairs: pairOf[ci], context: contextPart, variant: variantPart, neighbour: s - matchPart - pairOf[ci] - contextPart - variantPart, prior, type: typeOk, fit: 0 }
      : undefined;
    return {
      ...(parts ? { parts } : {}),
      hitIndex: c.hitIndex,
      start: c.start,
      end: c.end,
      text,
      score: s * prior * typeOk,
      coverage: idfMass > 0 ? covered / idfMass : 0,
      contextCoverage: idfMass > 0 ? (covered + contextCovered) / idfMass : 0,
      matched,
      contextMatched: matched.length + [...context[ci]].filter((t) => !c.terms.has(t) && !matched.includes(t)).length,
    };
  });
  scored.sort((a, b) => b.score - a.score || a.hitIndex - b.hitIndex || a.start - b.start);
  // Second pass: the best units re-scored by whether they hold the answer the question's form asks for.
  const fit = answerFitOf(question, analyzer, qDigits);
  if (fit) {
    for (const s of scored.slice(0, FIT_DEPTH)) {
      const f = fit(s.text);
      s.score *= 1 + f;
      if (s.parts) s.parts.fit = f;
    }
    scored.sort((a, b) => b.score - a.score || a.hitIndex - b.hitIndex || a.start - b.start);
  }
  const chosen: ScoredSentence[] = [];
  const seenText = new Set<string>();
  const minMatched = Math.max(1, Math.min(2, present.size));
  // Whether to answer: some unit covers the question by its own words (refusal). Which unit: its
  // context's question terms count too — the sentence after the one naming the subject, or under
  // the title, answers without repeating it ("데이미언 셔젤이 감독과 각본을 맡았다." under 라라랜드).
  const covers = (s: ScoredSentence, coverage: number, matched: number): boolean => s.score > 0 && coverage >= minCoverage && (matched >= minMatched || coverage > ONE_TERM_COVERAGE);
  const answers = scored.some((s) => covers(s, s.coverage, s.matched.length));
  for (const s of scored) {
    if (chosen.length >= maxSentences || !answers) break;
    if (!covers(s, s.contextCoverage, s.contextMatched)) continue;
    if (chosen.length > 0 && s.score < relativeCutoff * chosen[0].score) break;
    if (chosen.length > 0 && s.contextCoverage < 0.5 * chosen[0].contextCoverage) continue;
    // A further sentence holds a question word of its own: its title and the sentences before it alone do not make it relevant.
    if (chosen.length > 0 && s.matched.length === 0) continue;
    const key = s.text.replace(/\s+/g, ' ').toLowerCase();
    if (seenText.has(key)) continue; // the same sentence from an overlapping chunk
    // A unit overlapping one already quoted from this passage is not quoted again; but a quoted
    // sentence ending in ":" gives way to the unit holding it with what it introduces.
    const overlapping = chosen.findIndex((c) => c.hitIndex === s.hitIndex && c.start < s.end && s.start < c.end);
    if (overlapping >= 0) {
      const c = chosen[overlapping];
      if (/[:：]\s*$/.test(c.text) && s.start <= c.start && s.end > c.end) chosen[overlapping] = s;
      continue;
    }
    seenText.add(key);
    chosen.push(s);
  }
  if (chosen.length === 0) return { answer: notFoundMessage(question), citations: [], found: false, candidates: scored };

  // The short answer. An English unit of two sentences (the second referring back to the first) is
  // searched in its last sentence first: the first says what it is about, the second adds the fact.
  const shortAnswerOf = (quote: string): { answerSpan?: { start: number; end: number } } => {
    const whole = () => answerSpanOf(quote, want, qDigits, analyzer, new Set(qTerms), qTokens, unit, question);
    const sentences = korean ? [] : segmentText(quote).filter((g) => g.kind === 'sentence');
    if (sentences.length < 2) return whole();
    const from = sentences[sentences.length - 1].start;
    const last = answerSpanOf(quote.slice(from), want, qDigits, analyzer, new Set(qTerms), qTokens, unit, question);
    return last.answerSpan ? { answerSpan: { start: last.answerSpan.start + from, end: last.answerSpan.end + from } } : whole();
  };
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
      // Lines of the quote inside the chunk; clamped to the chunk's lines, which for HTML and CSV
      // are file lines that need not advance with the text's newlines.
      startLine: Math.min(hit.endLine, hit.startLine + countNewlines(hit.text, 0, s.start)),
      endLine: Math.min(hit.endLine, hit.startLine + countNewlines(hit.text, 0, s.end)),
      ...(hit.page !== undefined ? { page: hit.page } : {}),
      ...(hit.locator !== undefined ? { locator: hit.locator } : {}),
      quote: s.text,
      quoteStart: s.start,
      ...shortAnswerOf(s.text),
    });
    parts.push(`${s.text.replace(/\s*\n\s*/g, ' ')} [${n}]`);
  }
  // A marked short answer leads: "1998 — The treaty was signed in 1998. [1]".
  const first = citations[0];
  const lead = first.answerSpan ? `${first.quote.slice(first.answerSpan.start, first.answerSpan.end).replace(/\s*\n\s*/g, ' ')} — ` : '';
  return { answer: lead + parts.join(' '), citations, found: true, candidates: scored };
}

/** Weight of a question word pair found in order (times the pair's mean idf); window in analysed terms (Korean: bigrams). */
const PAIR_WEIGHT = 0.3;
const PAIR_WINDOW = 3;
const PAIR_WINDOW_KO = 6;

/** The terms of consecutive content words of the question, as pairs ([terms of word i], [terms of word i + 1]). */
function questionPairs(question: string, tokens: readonly Token[], qTerms: ReadonlySet<string>): Array<[string[], string[]]> {
  // Each whitespace-separated word gets the question terms of the tokens starting in it.
  const words: string[][] = [];
  let ti = 0;
  for (const m of question.matchAll(/\S+/g)) {
    const terms: string[] = [];
    while (ti < tokens.length && tokens[ti].start < m.index + m[0].length) {
      if (qTerms.has(tokens[ti].term) && !terms.includes(tokens[ti].term)) terms.push(tokens[ti].term);
      ti++;
    }
    if (terms.length > 0) words.push(terms);
  }
  const out: Array<[string[], string[]]> = [];
  for (let i = 0; i + 1 < words.length; i++) out.push([words[i], words[i + 1]]);
  return out;
}

/**
 * The question terms of a Korean question's head noun: the noun after 어느/어떤/무슨, or the final
 * noun of a question ending in it with a topic or subject particle ("…출시한 기타는?" → 기타), when
 * the question has no 무엇/누구/어디/언제.
 */
function whHeadTerms(question: string, qTokens: readonly Token[], qTerms: ReadonlySet<string>): Set<string> {
  const words = [...question.matchAll(/[^\s?!.,]+/g)];
  let from = -1;
  let to = -1;
  const wi = words.findIndex((w) => /^(어느|어떤|무슨)$/.test(w[0]));
  if (wi >= 0 && wi + 1 < words.length) [from, to] = [words[wi + 1].index, words[wi + 1].index + words[wi + 1][0].length];
  else if (/[\uac00-\ud7a3](은|는|이|가)\s*\?*\s*$/.test(question.trim()) && words.length > 1 && !/(무엇|누구|어디|언제)/.test(question)) {
    const last = words[words.length - 1];
    [from, to] = [last.index, last.index + last[0].length];
  }
  const out = new Set<string>();
  if (from < 0) return out;
  for (const t of qTokens) if (t.start >= from && t.start < to && qTerms.has(t.term)) out.add(t.term);
  return out;
}

/**
 * Divides the weight (`sw`) of each Korean word's question terms by n^KOREAN_WORD_SHARE, n the number of
 * its distinct Hangul terms not already counted for an earlier word of the question.
 */
function koreanWordShares(question: string, qTokens: readonly Token[], sw: Map<string, number>): void {
  const seen = new Set<string>();
  for (const m of question.matchAll(/\S+/g)) {
    const end = m.index + m[0].length;
    const terms = new Set<string>();
    for (const t of qTokens) if (t.start >= m.index && t.start < end && sw.has(t.term) && HANGUL.test(t.term) && !seen.has(t.term)) terms.add(t.term);
    for (const t of terms) seen.add(t);
    if (terms.size > 1) for (const t of terms) sw.set(t, sw.get(t)! / Math.pow(terms.size, KOREAN_WORD_SHARE));
  }
}
const HANGUL = /[\uac00-\ud7a3]/;

/** The first VARIANT_PREFIX letters of a unit's terms that are at least that long. */
function variantPrefixes(terms: ReadonlyMap<string, number>): Set<string> {
  const out = new Set<string>();
  for (const u of terms.keys()) if (u.length >= VARIANT_PREFIX) out.add(u.slice(0, VARIANT_PREFIX));
  return out;
}

/** Whether some term of `a` is followed by some term of `b` within `window` positions of `seq`. */
function inOrderWithin(seq: readonly string[], a: readonly string[], b: readonly string[], window: number): boolean {
  for (let i = 0; i < seq.length; i++) {
    if (!a.includes(seq[i])) continue;
    for (let j = i + 1; j <= i + window && j < seq.length; j++) if (b.includes(seq[j])) return true;
  }
  return false;
}

function maxIdf(terms: readonly string[], idf: ReadonlyMap<string, number>): number {
  return Math.max(0, ...terms.map((t) => idf.get(t) ?? 0));
}

/** `analyzer` with the forms of English irregular verbs folded onto their base (src/analysis/irregular-verbs.ts), one wrapper per analyzer. */
const lemmaCache = new WeakMap<Analyzer, Analyzer>();
export function lemmaAnalyzer(analyzer: Analyzer): Analyzer {
  let a = lemmaCache.get(analyzer);
  if (!a) {
    const fold = new Map<string, string>();
    for (const [base, ...forms] of IRREGULAR_VERBS) {
      const b = analyzer.analyze(base)[0];
      if (b === undefined) continue;
      for (const f of forms) {
        const t = analyzer.analyze(f)[0];
        if (t !== undefined && t !== b) fold.set(t, b);
      }
    }
    const term = (t: string) => fold.get(t) ?? t;
    a = {
      name: `${analyzer.name}+lemma`,
      analyze: (text) => analyzer.analyze(text).map(term),
      tokens: (text) => analyzer.tokens(text).map((t) => (fold.has(t.term) ? { ...t, term: term(t.term) } : t)),
    };
    lemmaCache.set(analyzer, a);
  }
  return a;
}

/** The question words analysed by `analyzer`, computed once per analyzer object. */
const questionWordCache = new WeakMap<Analyzer, ReadonlySet<string>>();
function questionWordTerms(analyzer: Analyzer): ReadonlySet<string> {
  let set = questionWordCache.get(analyzer);
  if (!set) {
    set = new Set(analyzer.analyze(QUESTION_WORDS));
    questionWordCache.set(analyzer, set);
  }
  return set;
}

/**
 * The quotable units of a passage text, in order (see the module comment): headings, code and
 * table rows are not units but a heading's terms count for the first unit under it; a sentence
 * ending in ":" takes the list items after it; an anaphoric sentence takes the sentence before
 * it; units of fewer than `MIN_SENTENCE_TERMS` analysed terms are dropped.
 */
export function passageUnits(text: string, analyzer: Analyzer): PassageUnit[] {
  const out: PassageUnit[] = [];
  const segs = segmentText(text);
  let headingTerms: string[] = [];
  let headingItems = false;
  let titleTerms: string[] = [];
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k];
    const raw = text.slice(seg.start, seg.end);
    if (seg.kind === 'heading') {
      // A heading introduces the block under it; a plain title line opening the passage (a note's
      // "Platform standup, 2 October 2026") is what the whole passage is about: every unit takes its terms.
      const title = seg.start === 0 && !raw.startsWith('#') && /^[^\n]*\n[ \t]*\n/.test(text.slice(seg.start));
      if (title) titleTerms = analyzer.analyze(raw);
      headingTerms = title ? [] : analyzer.analyze(raw.replace(/^#+\s*/, ''));
      headingItems = true;
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
    // A sentence that refers back ("It …", "This …", "그는 …", "이는 …"; "Eventually, he …", "… of this idea …") is quoted with the sentence before it.
    let start = seg.start;
    const prev = segs[k - 1];
    if (seg.kind === 'sentence' && prev && prev.kind === 'sentence' && prev.paragraph === seg.paragraph && (ANAPHOR.test(raw) || BACK_REFERENCE.some((re) => re.test(raw)))) start = prev.start;
    const terms = new Map<string, number>();
    const analysed = analyzer.analyze(text.slice(start, end));
    for (const t of analysed) terms.set(t, (terms.get(t) ?? 0) + 1);
    // The first unit under a heading also matches the heading's terms.
    for (const t of headingTerms) if (!terms.has(t)) terms.set(t, 1);
    for (const t of titleTerms) if (!terms.has(t)) terms.set(t, 1);
    // Under a heading, a list's items all take its terms ("## 첫 주 일정" over "- 수요일: …"); a sentence ends that.
    if (!(seg.kind === 'item' && headingItems)) headingTerms = [];
    if (seg.kind !== 'item') headingItems = false;
    if (analysed.length >= MIN_SENTENCE_TERMS) out.push({ start, end, terms, len: analysed.length, seq: analysed, paragraph: seg.paragraph });
  }
  return out;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * The kind of fact a question asks for, from its question words; see the module comment.
 * `entity`: a what/which/where/무엇/어떤/어느/어디/무슨 question, or a Korean question ending in a
 * noun with a topic particle ("…나온 대학교는?"); `reason`: why/왜/이유/원인.
 */
export type AnswerType = 'number' | 'date' | 'person' | 'reason' | 'entity' | 'none';

/** The kind of fact `question` asks for ('none' when its question words name none, e.g. how/어떻게). */
export function answerTypeOf(question: string): AnswerType {
  const q = question.toLowerCase();
  if (/\bhow (many|much|long|far|old|large|big|tall|high)\b|몇|며칠|얼마/.test(q)) return 'number';
  if (/\bwhen\b|\bwhat (year|date|day|month|century|decade)\b|\bwhich (year|date|day|month|century)\b|언제|몇\s*년|연도|날짜/.test(q)) return 'date';
  if (/\bwho\b|\bwhom\b|\bwhose\b|누구|누가/.test(q)) return 'person';
  // A Korean question ending in its head noun names the kind: "…통과된 해는?" a date, "…정사각형의 갯수는?" a number.
  if (/(해|연도|년도|날짜|시기|연월일)(은|는|이|가)\s*\?*\s*$/.test(q)) return 'date';
  if (/(수|갯수|개수|높이|길이|넓이|면적|무게|인구|나이|금액|가격|비용|거리|횟수|속도|온도)(은|는|이|가)\s*\?*\s*$/.test(q)) return 'number';
  if (/\bwhy\b|왜|이유|원인|까닭/.test(q)) return 'reason';
  if (/\bhow\b|어떻게/.test(q)) return 'none';
  if (/\b(what|which|where)\b|무엇|뭐|어떤|어느|어디|무슨/.test(q)) return 'entity';
  if (/[\uac00-\ud7a3](은|는|이|가)\s*\?*\s*$/.test(q)) return 'entity';
  return 'none';
}

/** Whether a unit holds a fact of the wanted kind (numbers the question already holds do not count). */
function hasAnswerType(text: string, want: AnswerType, qDigits: Set<string>, unit?: string, lowerQuestion = ''): boolean {
  if (want === 'number' || want === 'date') {
    if (unit) return new RegExp(`(\\d|[일이삼사오육칠팔구십백천만억첫두세네])\\s*${unit}`).test(text);
    const nums = text.match(/\d+/g) ?? [];
    if (nums.some((n) => !qDigits.has(n))) return true;
    if (want === 'number' && /\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen)\b|[일이삼사오육칠팔구십백천만억]\s*(개|명|층|번|위|회|년|월|일|세|살|배|권|척|대|종)|첫|두\s|세\s|네\s/i.test(text)) return true;
    if (want === 'date' && /\b(January|February|March|April|May|June|July|August|September|October|November|December|century)\b/.test(text)) return true;
    return false;
  }
  if (want === 'person') {
    if (/[\uac00-\ud7a3]/.test(text)) return true;
    // A capitalised word that does not open a sentence ("It …", "The …") and that the question does not hold.
    for (const m of text.matchAll(/(?<=\s|\()[A-Z][\p{L}'’-]+/gu)) {
      if (/[.!?:]$/.test(text.slice(0, m.index).trimEnd())) continue;
      if (!lowerQuestion.includes(m[0].toLowerCase())) return true;
    }
    return false;
  }
  if (want === 'reason') return REASON.test(text);
  return true;
}

/** Words that give a reason: "because", "due to", "since", "때문", "므로", "덕분" … */
const REASON = /\b(because|due to|owing to|since|as a result|so that|in order to|caused by|traced (it|this|that|them) to)\b|때문|므로|덕분|탓에|탓으로|이유는|원인은|위해서|위하여|여서|해서|못해\s|않아서|없어서/i;

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';
/** A number with its unit: "1998", "$2.5 million", "57 mm", "4층", "250만 평방", "11위", "July 4, 1776". */
const KOREAN_TIME = '(?:(?:오전|오후|새벽|저녁|밤|낮)\\s*)?\\d{1,2}시(?:\\s*\\d{1,2}분)?';
const NUMBER_EXPR = new RegExp(
  `(?:\\d{1,4}년\\s*\\d{1,2}월(?:\\s*\\d{1,2}일)?|\\d{1,2}월\\s*\\d{1,2}일(?:\\s*${KOREAN_TIME})?|${KOREAN_TIME}(?:부터\\s*${KOREAN_TIME})?|` +
    `\\d{1,2}\\s+(?:${MONTHS})(?:\\s+\\d{3,4})?\\s+at\\s+\\d{1,2}:\\d{2}|(?:${MONTHS})\\s+\\d{1,2},\\s+\\d{3,4}|(?:${MONTHS})\\s+\\d{3,4}|\\d{1,2}\\s+(?:${MONTHS})\\s+\\d{3,4}|` +
    `[$£€]?\\d(?:\\d|[,.](?=\\d))*(?:\\s*(?:%|percent|million|billion|thousand|trillion|hundred)(?![a-z]))?` +
    `(?:\\s*(?:[만억천]\\s*)?(?:[\\uac00-\\ud7a3]{1,3}(?=[\\s,.)]|$)|[a-zA-Z]{1,3}(?![a-zA-Z])))?)`,
  'g',
);

const NUMBER_WORD = 'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen';
/** A number in words ("seven", "twenty-two", "three hundred"), for number questions. */
const WORD_NUMBER = new RegExp(`\\b(?:${NUMBER_WORD})(?:[\\s-]+(?:${NUMBER_WORD}))*\\b`, 'gi');
/** A day or month named without digits ("on Tuesday", "every June"), for date questions. */
const DATE_WORD = new RegExp(`\\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|${MONTHS})\\b`, 'g');
/** Units of measure a how long/far/old/much answer keeps after its number ("nine months", "16 years", "300 miles"). */
const MEASURE_UNIT = /^\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century|miles?|kilomet(?:er|re)s?|met(?:er|re)s?|feet|foot|inches?|pounds?|tons?|tonnes?|acres?|square\s+(?:miles|kilomet(?:er|re)s)|degrees?)\b/i;

/**
 * The short answer inside a quote for a question asking a number or a date: the number
 * expression (with its unit) whose digits the question does not already hold, nearest to the
 * question's terms in the quote. No span for other questions, or when the quote holds none.
 */
function answerSpanOf(quote: string, want: AnswerType, qDigits: Set<string>, analyzer: Analyzer, qTerms: Set<string>, qTokens: readonly Token[], unit?: string, question = ''): { answerSpan?: { start: number; end: number } } {
  if (want === 'none') return {};
  if (want === 'reason') return reasonSpan(quote);
  if (want === 'entity') return gapSpan(quote, analyzer, qTerms, question, qTokens);
  if (want === 'person' && /[\uac00-\ud7a3]/.test(quote) && !/[A-Z]/.test(quote.slice(1))) return gapSpan(quote, analyzer, qTerms, question, qTokens);
  const tokens = analyzer.tokens(quote);
  const anchors = tokens.filter((t) => qTerms.has(t.term)).map((t) => t.start);
  let best: { start: number; end: number; d: number } | undefined;
  if (want === 'person') {
    // English names: a run of capitalised words none of which the question holds, not opening the quote.
    for (const m of quote.matchAll(/[A-Z][\p{L}'’.-]*(?:\s+(?:(?:of|de|van|von|da|la|du)\s+)?[A-Z][\p{L}'’.-]*)*/gu)) {
      if (m.index === 0 && !/\s/.test(m[0])) continue;
      const terms = analyzer.analyze(m[0]);
      if (terms.length === 0 || terms.some((t) => qTerms.has(t))) continue;
      const text = m[0].replace(/[.’']+$/, '');
      const d = anchors.length === 0 ? 0 : Math.min(...anchors.map((a) => Math.abs(a - m.index)));
      if (!best || d < best.d) best = { start: m.index, end: m.index + text.length, d };
    }
    // No name the question lacks ("Who can enforce EU law?" → "the courts of member states"): the entity run.
    return best ? { answerSpan: { start: best.start, end: best.end } } : gapSpan(quote, analyzer, qTerms, question, qTokens);
  }
  const lowerQ = question.toLowerCase();
  const digitMatches = [...quote.matchAll(NUMBER_EXPR)];
  // Words are candidates of their own only outside a digit expression ("million" of "1.7 million" is not one).
  const outside = (m: RegExpMatchArray) => !digitMatches.some((d) => m.index! < d.index! + d[0].length && d.index! < m.index! + m[0].length);
  const matches = [...digitMatches, ...[...(want === 'number' ? quote.matchAll(WORD_NUMBER) : []), ...(want === 'date' ? quote.matchAll(DATE_WORD) : [])].filter(outside)];
  const measured = want === 'number' && /\bhow (long|far|old|much|large|big|tall|high)\b/.test(lowerQ);
  // The counter word first ("몇 층" → a number with 층); a quote without one still gives its nearest new number.
  for (const withUnit of unit ? [true, false] : [false]) {
  for (const m of matches) {
    const digits = m[0].match(/\d+/g) ?? [];
    // New information: a number the question does not hold, or a word-number, day or month it does not name.
    const words = m[0].match(/[A-Za-z]+/g) ?? [];
    const novel = digits.some((d) => !qDigits.has(d)) || (/^[A-Za-z]/.test(m[0]) || (digits.length > 0 && want === 'date')) && words.some((w) => /^[A-Z]|^(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen)/i.test(w) && !new RegExp(`\\b${w}\\b`, 'i').test(lowerQ));
    if (!novel) continue;
    if (withUnit && !new RegExp(`\\d\\s*${unit}`).test(m[0])) continue;
    let text = m[0].replace(/[\s,.]+$/, '');
    if (measured) {
      const mu = MEASURE_UNIT.exec(quote.slice(m.index + text.length));
      if (mu && (/^[A-Za-z]/.test(text) || /\d$/.test(text))) text += mu[0];
    }
    // A Korean particle after the unit is not part of the answer ("4층에" → "4층"; "1998년에는" → "1998년").
    const u = unit && withUnit ? new RegExp(`\\d\\s*${unit}`).exec(text) : null;
    if (u) text = text.slice(0, u.index + u[0].length); // "6층까지" → "6층"
    else text = text.replace(/(까지|부터|에서|에는|으로|이다|에|의|을|를|은|는|이|가|로|와|과|도|만)$/, '');
    const start = m.index;
    const d = anchors.length === 0 ? 0 : Math.min(...anchors.map((a) => Math.abs(a - start)));
    if (!best || d < best.d) best = { start, end: start + text.length, d };
  }
  if (best) break;
  }
  return best ? { answerSpan: { start: best.start, end: best.end } } : {};
}

/**
 * The second pass's answer-type fit (see the module comment): for a question of one of these
 * forms, a function giving the score share w a unit gains when it holds the answer where that form
 * puts it, else undefined.
 *  - "What/Who is|was|are|were X?" (X of at most four words): the unit names X followed by
 *    is/was/are/were a|an|the|one, or by a comma and one of those (an appositive), a bracket between
 *    allowed — the unit that defines X ("Telenet was the first …"), not one that only mentions it;
 *  - "How many/much X …?": a number (digits the question lacks, or a number word) right before a
 *    term of X, one word between allowed ("fourteen vice presidents", "30% less steam");
 *  - "Where …?" (English): a preposition of place before a capitalised word the question does not
 *    hold ("… from the United States to Belgrade").
 *  - Korean "…을 무엇이라고 하는가?" / "뭐라고 불렀는가?": a unit naming something ("…라고 한다",
 *    "…로 불린다"); "…은 무엇을 뜻하나?" / "무슨 의미인가?": a unit giving a meaning ("…을 뜻한다",
 *    "…의 약자"). Other Korean questions have none: their number and date questions are typed in the
 *    first pass (`hasAnswerType`).
 */
function answerFitOf(question: string, analyzer: Analyzer, qDigits: ReadonlySet<string>): ((text: string) => number) | undefined {
  if (HANGUL.test(question)) {
    if (KOREAN_NAMING_QUESTION.test(question)) return (text) => (KOREAN_NAMING.test(text) ? FIT_DEFINITION : 0);
    if (KOREAN_MEANING_QUESTION.test(question)) return (text) => (KOREAN_MEANING.test(text) ? FIT_DEFINITION : 0);
    return undefined;
  }
  const q = question.trim();
  const lowerQ = q.toLowerCase();
  const def = /^(?:what|who)\s+(?:is|was|are|were)\s+(?:an?\s+|the\s+)?(.+?)\s*\??$/i.exec(q);
  if (def && def[1].split(/\s+/).length <= 4) {
    const x = def[1].toLowerCase();
    return (text) => {
      const lt = text.toLowerCase();
      for (let i = lt.indexOf(x); i >= 0; i = lt.indexOf(x, i + 1)) {
        if (DEFINING.test(lt.slice(i + x.length))) return FIT_DEFINITION;
      }
      return 0;
    };
  }
  const count = HOW_MANY_AUX.exec(q) ?? HOW_MANY.exec(q);
  if (count) {
    const head = new Set(analyzer.analyze(count[1]));
    if (head.size === 0) return undefined;
    const qWordNumbers = new Set(lowerQ.match(WORD_NUMBER) ?? []);
    return (text) => {
      for (const t of analyzer.tokens(text)) {
        if (!head.has(t.term)) continue;
        const before = COUNT_BEFORE.exec(text.slice(Math.max(0, t.start - 40), t.start));
        const digits = before?.[0].match(/\d+/g) ?? [];
        // A count the question itself gives ("… described as 'eight counties', how many counties …?") is not its answer.
        const words = before?.[0].toLowerCase().match(WORD_NUMBER) ?? [];
        if (before && (digits.length > 0 ? digits.some((d) => !qDigits.has(d)) : words.some((w) => !qWordNumbers.has(w)))) return FIT_COUNT;
      }
      return 0;
    };
  }
  if (/\bwhere\b/.test(lowerQ)) {
    return (text) => {
      for (const m of text.matchAll(PLACE)) if (!lowerQ.includes(m[1].toLowerCase())) return FIT_PLACE;
      return 0;
    };
  }
  return undefined;
}

/** After X: "is/was/are/were a|an|the|one", or ", a|an|the|one", a bracket between allowed. */
/** "…을 무엇이라고 하는가?", "…뭐라고 불렀는가?": the unit that names it ("…을 블루 노트라고 한다", "…로 불린다"). */
const KOREAN_NAMING_QUESTION = /(?:무엇|뭐|뭘|어떻게)\s*(?:이)?라(?:고)?\s*(?:하|부르|불렀|불리|불린|칭|일컫|명명)|(?:무엇|뭐)(?:이)?라(?:고)?\s*(?:한|부른)/;
const KOREAN_NAMING = /(?:이)?라(?:고)?\s*(?:한다|하며|하고|하는|했다|하였|부른다|부르며|부르고|부르는|불렀|불린|불리|불려|칭한|칭하|일컫|일컬|명명)|(?:으)?로\s*(?:불린|불렸|불리|불려|부른|부르|칭)/;
/** "X는 무엇을 뜻하나?", "…가 뜻하는 것은?", "무슨 의미인가?": the unit that gives the meaning ("X란 …을 뜻한다", "…의 약자"). */
const KOREAN_MEANING_QUESTION = /(?:무슨|어떤|무엇을|뭘)\s*(?:의미|뜻)|(?:의미|뜻)(?:하는\s*(?:것|바)|하나|하는가|할까|는|은)/;
const KOREAN_MEANING = /(?:뜻|의미)(?:한다|하며|하고|하는|하지|이다|로|으로|를|을)|약자|약어|줄임말/;
const DEFINING = /^\s*(?:\([^)]*\)\s*)?(?:,\s*|\s+(?:is|was|are|were)\s+)(?:an?|the|one)\b/;
/** "How many X did …": X is the words before the auxiliary (at most three); else the word after "how many/much". */
const HOW_MANY_AUX = /\bhow (?:many|much)\s+((?:[a-z]+\s+){0,2}?[a-z]+)\s+(?:did|does|do|is|was|were|are|has|have|had|can|could|will|would|should|may|might|must)\b/i;
const HOW_MANY = /\bhow (?:many|much)\s+([a-z]+)/i;
/** A number, in digits or words, ending right before a term (one word between allowed). */
const COUNT_BEFORE = new RegExp(`(?:\\d[\\d,.]*%?|\\b(?:${NUMBER_WORD})(?:[\\s-]+(?:${NUMBER_WORD}))*)\\s+(?:[A-Za-z-]+\\s+)?$`, 'i');
/** A preposition of place before a capitalised word (the word is group 1). */
const PLACE = /\b(?:in|at|on|near|from|to|into|across|outside|inside|within|throughout|between)\s+(?:the\s+)?([A-Z][\p{L}'’-]+)/gu;

/** The clause a reason marker introduces ("because X", "due to X") or closes ("X 때문에"), inside the quote. */
function reasonSpan(quote: string): { answerSpan?: { start: number; end: number } } {
  const en = /\b(because of|because|due to|owing to|caused by|since|so that|in order to)\s+/i.exec(quote);
  if (en) {
    const start = en.index + en[0].length;
    let end = quote.length;
    const stop = /[,;:.!?](\s|$)/g;
    stop.lastIndex = start;
    const m = stop.exec(quote);
    if (m) end = m.index;
    return end > start ? { answerSpan: { start, end } } : {};
  }
  const ko = /(\S+)\s*(때문에|때문이다|때문이|덕분에|탓에)/.exec(quote) ?? /(\S+?)(므로|기에)\s/.exec(quote);
  if (ko) {
    const end = ko.index + ko[1].length;
    // The clause starts after the last clause break before it (a comma, a terminal, or the quote's start).
    let start = 0;
    const before = quote.slice(0, ko.index);
    const br = Math.max(before.lastIndexOf(', '), before.lastIndexOf('. '), before.lastIndexOf('고 '), before.lastIndexOf('며 '));
    if (br >= 0) start = br + 2;
    while (start < end && /\s/.test(quote[start])) start++;
    return end > start ? { answerSpan: { start, end } } : {};
  }
  return {};
}

/** Korean particles and endings dropped from the last eojeol of a span ("대학교를" → "대학교"), longest first. */
const KOREAN_PARTICLES = [
  '이라고', '에서는', '으로는', '에게서', '이라는', '으로서', '으로써', '이었다', '이었던', '에서', '에게', '으로', '까지', '부터', '처럼', '보다', '이다', '였다', '이며', '이고', '라는', '라고', '로서', '로써', '에는', '와', '과', '을', '를', '은', '는', '이', '가', '의', '에', '로', '도', '만',
];
const ENGLISH_FUNCTION = new Set('the a an of in on at to by for with and or from as is was were are be been being that which who whom whose this these those it its their his her has have had also into than then there such not no but can could may might must shall should will would do does did'.split(' '));
/** Korean adverbs, conjunctions, determiners and bound nouns that are never a short answer on their own. */
const KOREAN_FUNCTION = new Set(
  ('또한 그리고 하지만 그러나 따라서 그래서 그러므로 먼저 나중에 곧 후 후에 이후 이후에 이전 전 전에 당시 당시에 때 때에 이때 이 그 저 이는 그는 이러한 그러한 이런 그런 ' +
    '및 등 등의 등을 등이 또는 혹은 가장 매우 더 다시 모두 각각 함께 직접 특히 주로 이미 아직 바로 약 총 현재 처음 결국 그나마 한편 즉 오히려 역시 ' +
    '따라 따르면 위해 위한 대한 대해 통해 의해 의한 관한 같은 같이 있는 없는 하는 되는 된 한 할 될 수 것 것은 것을 것이 중 중에 가운데 동안 사이 이상 이하').split(' '),
);
/** A Korean predicate or modifier eojeol ("참전하였으며", "임명되었다", "이루어진"): verb and adjective endings, not an answer. */
const KOREAN_PREDICATE = /(었|았|였|했|됐|겠)(다|고|으며|며|지만|는데|던|을|음|기)?$|(하|되|이|있|없|보|주|지|오|가)(다|고|며|여|면|는|던|지|도록|게|자|니|서)$|(하여|되어|해서|하며|하고|으며|하였으며|으로써|된|하는|되는|이루어진|있던|없던|려는|려고)$|(는다|[한간본준된온진란운친는]다|이다)$/;
/** Longest short answer, in words (English) or eojeols (Korean). */
const SPAN_MAX_WORDS = 6;
const SPAN_MAX_EOJEOLS = 3;

/**
 * The short answer of an entity question: the run of quote words the question does not hold
 * that sits nearest the words it does hold (runs end at commas, semicolons, colons and brackets;
 * function words are trimmed from both ends; a run longer than SPAN_MAX_* keeps the words next to
 * the question's words). Korean: eojeols, preferring the run just before a matched eojeol (the
 * object or subject before its predicate), extended by the question's head noun when it follows
 * ("노터데임 대학교를" for "…나온 대학교는?"), the last eojeol's particle dropped. A word matches when
 * at least half of its analysed terms are question terms. No span when no word of the quote
 * matches or none is left over.
 */
function gapSpan(quote: string, analyzer: Analyzer, qTerms: ReadonlySet<string>, question: string, qTokens: readonly Token[]): { answerSpan?: { start: number; end: number } } {
  interface W { start: number; end: number; core: string; terms: string[]; matched: boolean; fn: boolean; breakAfter: boolean; breakBefore: boolean }
  const words: W[] = [];
  // One analysis of the quote; each word gets the terms of the tokens that start inside it.
  const tokens = analyzer.tokens(quote);
  // Verbs the question names by another word of the same class ("generate" for "write").
  const equivalents = !/[\uac00-\ud7a3]/.test(question) ? verbEquivalents(analyzer, qTerms) : new Map<string, string>();
  let ti = 0;
  for (const m of quote.matchAll(/\S+/g)) {
    const raw = m[0];
    const lead = /^["'“‘([«「『《〈]+/.exec(raw)?.[0].length ?? 0;
    const trail = /["'”’)\]»」』》〉.,;:!?]+$/.exec(raw.slice(lead))?.[0].length ?? 0;
    const start = m.index + lead;
    const end = m.index + raw.length - trail;
    if (end <= start) continue;
    const core = quote.slice(start, end);
    while (ti < tokens.length && tokens[ti].start < m.index) ti++;
    const terms: string[] = [];
    while (ti < tokens.length && tokens[ti].start < m.index + raw.length) terms.push(tokens[ti++].term);
    // A path, address or identifier ("/srv/backups", "vpn.example.co.kr") matches only when the question holds it whole.
    const codeLike = /\w[/_.@]\w|^\//.test(core);
    const hits = codeLike && !question.toLowerCase().includes(core.toLowerCase()) ? 0 : terms.filter((t) => qTerms.has(t) || equivalents.has(t)).length;
    words.push({
      start,
      end,
      core,
      terms,
      matched: terms.length > 0 && hits * 2 >= terms.length,
      fn: terms.length === 0 || ENGLISH_FUNCTION.has(core.toLowerCase()) || KOREAN_FUNCTION.has(core) || KOREAN_PREDICATE.test(core),
      breakAfter: /[,;:)\]」』》]/.test(raw.slice(raw.length - trail)) || /[.!?]$/.test(raw),
      breakBefore: (lead > 0 && /[([]/.test(raw.slice(0, lead))) || RELATIVE.test(core),
    });
  }
  const matchedAt = words.flatMap((w, i) => (w.matched ? [i] : []));
  if (matchedAt.length === 0) return {};
  const korean = /[\uac00-\ud7a3]/.test(question);
  const maxWords = korean ? SPAN_MAX_EOJEOLS : SPAN_MAX_WORDS;
  // The case the question's wh-word is in ("무엇을" → object), which the answer's eojeol carries too.
  const wh = korean ? /(?:무엇|누구|어디|어느\s*\S+?|어떤\s*\S+?|무슨\s*\S+?)(을|를|이|가|에서|에게|에|으로|로)(?=\s|$|\?)/.exec(question) : null;
  const whParticle = wh ? particleClass(wh[0]) : undefined;
  // The question's head noun: "…나온 대학교는?" → "대학교".
  // The question's head noun: "…나온 대학교는?" → "대학교"; "…받는 교육은 무엇인가?" → "교육"; "…연구소의 이름은?" → "연구소".
  const head = korean
    ? (/(\S+?)(?:은|는|이|가)\s+(?:무엇|누구|어디)\S*\s*\?*\s*$/.exec(question.trim()) ?? /(\S+?)의\s+(?:이름|명칭)(?:은|는|이|가)\s*\?*\s*$/.exec(question.trim()) ?? /(\S+?)(?:은|는|이|가)\s*\?*\s*$/.exec(question.trim()))?.[1]
    : undefined;
  const gap = questionGap(question, qTokens, qTerms);
  // Runs of unmatched words, broken at punctuation.
  const runs: Array<[number, number]> = [];
  let i = 0;
  while (i < words.length) {
    if (words[i].matched) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < words.length && !words[j + 1].matched && !words[j].breakAfter && !words[j + 1].breakBefore) j++;
    runs.push([i, j]);
    i = j + 1;
  }
  let best: { a: number; b: number; score: number } | undefined;
  for (const [a0, b0] of runs) {
    let a = a0;
    let b = b0;
    while (a <= b && words[a].fn) a++;
    while (b >= a && words[b].fn) b--;
    if (a > b) continue;
    // Distance in content words: function words between do not separate ("set in Denmark" is adjacent).
    const distTo = (k: number) =>
      Math.min(
        ...matchedAt.map((m) => {
          let d = 1;
          for (let x = Math.min(m, k) + 1; x < Math.max(m, k); x++) if (!words[x].fn) d++;
          return d;
        }),
      );
    // Too long: keep the end facing the nearest matched word (Korean: the end before a predicate on ties).
    if (b - a + 1 > maxWords) {
      if (korean ? distTo(a) < distTo(b) : distTo(a) <= distTo(b)) b = a + maxWords - 1;
      else a = b - maxWords + 1;
      while (b >= a && words[b].fn) b--;
      while (a <= b && words[a].fn) a++;
      if (a > b) continue;
    }
    // Korean: a run holding an eojeol in the wh-word's case ends there ("가상의 문서를 먼저" → "가상의 문서를").
    if (whParticle) {
      for (let k = b; k > a; k--) {
        if (particleClass(words[k].core) === whParticle) {
          b = k;
          break;
        }
      }
    }
    const d = Math.min(distTo(a), distTo(b));
    let score = 1 / d;
    const text = quote.slice(words[a].start, words[b].end);
    if (/^[\d\s.,~년월일시분초]+$/.test(text)) score -= 0.5; // a bare date or number does not name an entity
    if (whParticle && particleClass(words[b].core) === whParticle) score += 0.4; // the case of the wh-word: 무엇을 … / …을
    const next = words[b + 1];
    if (korean && next?.matched) score += 0.5; // an argument just before its (matched) predicate
    if (!korean && words.slice(a, b + 1).some((w, k) => /^[A-Z0-9$£€]/.test(w.core) && (a + k > 0))) score += 0.3; // a name or a number
    // The answer stands where the question's wh-word stands: after the words the question puts
    // before it, before the words it puts after it ("… beach by what village?" → "… beach by the village of Warszowa").
    let aligned = 0;
    if (gap) {
      let l = a - 1;
      while (l >= 0 && !words[l].matched) l--;
      let r = b + 1;
      while (r < words.length && !words[r].matched) r++;
      const qt = (t: string) => equivalents.get(t) ?? t;
      if (l >= 0 && words[l].terms.some((t) => gap.before.has(qt(t)) || gap.head.has(qt(t)))) aligned++;
      if (r < words.length && words[r].terms.some((t) => gap.after.has(qt(t)) || gap.head.has(qt(t)))) aligned++;
      score += ALIGN_BONUS * aligned;
    }
    score -= 0.02 * (b - a);
    if (!best || score > best.score) best = { a, b, score };
  }
  // A title or name in brackets or quotes the question does not hold ("《화신 - 마음을 지배하는 자》으로",
  // "〈추억 속의 그대〉") is one answer however many words it has, and a likelier one than a plain run.
  const span = bracketedSpan(quote, words, question, best?.score ?? -Infinity, gap, korean);
  if (span) return { answerSpan: span };
  if (!best) return {};
  let a = best.a;
  let b = best.b;
  // English: the article opening the noun phrase stays with it ("a hypothetical document").
  if (!korean && a > 0 && /^(a|an)$/i.test(words[a - 1].core) && !words[a - 1].matched && !words[a - 2]?.breakAfter && !words[a - 1].breakAfter) a--;
  if (head && words[b + 1]?.core.startsWith(head) && b + 1 - a < maxWords + 1) b++;
  const start = words[a].start;
  let end = words[b].end;
  if (korean) {
    const last = quote.slice(words[b].start, end);
    for (const p of KOREAN_PARTICLES) {
      if (last.endsWith(p) && [...last].length > [...p].length + 1) {
        end -= p.length;
        break;
      }
    }
  }
  return end > start ? { answerSpan: { start, end } } : {};
}

/** English relative pronouns: a relative clause ("… document that answers the question") is not part of the noun phrase before it. */
const RELATIVE = /^(that|which|who|whom|whose)$/;
/**
 * Classes of English verbs that name one action in technical prose; a short answer treats a quote
 * word of a question verb's class as that verb ("What does HyDE generate?" — "… to write a
 * hypothetical document"). Used for the short answer only, not for choosing the sentence.
 */
const VERB_CLASSES = [
  ['generate', 'produce', 'create', 'write', 'make', 'compose', 'output', 'emit'],
  ['use', 'employ', 'utilize', 'apply'],
  ['show', 'display', 'print'],
  ['start', 'begin', 'launch'],
  ['stop', 'end', 'finish', 'terminate', 'halt'],
  ['remove', 'delete', 'erase'],
  ['need', 'require'],
  ['store', 'save', 'keep'],
];
const verbClassCache = new WeakMap<Analyzer, string[][]>();
/** The analysed terms of the verbs sharing a class with some question term, the question's own terms left out. */
function verbEquivalents(analyzer: Analyzer, qTerms: ReadonlySet<string>): Map<string, string> {
  let classes = verbClassCache.get(analyzer);
  if (!classes) {
    classes = VERB_CLASSES.map((c) => c.flatMap((v) => analyzer.analyze(v)));
    verbClassCache.set(analyzer, classes);
  }
  const out = new Map<string, string>();
  for (const c of classes) {
    const q = c.find((t) => qTerms.has(t));
    if (q !== undefined) for (const t of c) if (!qTerms.has(t)) out.set(t, q);
  }
  return out;
}

/** Bracketed or quoted text: Korean title brackets, Japanese corner brackets, curly and straight double quotes. */
const BRACKETED = /[《〈「『“"]([^《〈「『“”"》〉」』\n]{1,60})[》〉」』”"]/g;
/**
 * Score a bracketed title or name gains over a plain run of words (`gapSpan`); measured on samples
 * of 2,000, KorQuAD char-F1: seed 11 0.4009 without bracketed spans, 0.4095 / 0.4235 / 0.4216 at
 * 0.3 / 0.6 / 1.0; seed 23 0.4058, then 0.4155 / 0.4245 / 0.4230.
 */
const TITLE_BONUS = 0.6;

/**
 * The best bracketed span of the quote when it scores above `runScore` (the best plain run's), as
 * character offsets of the text inside the brackets: scored as a run (1 / distance in content
 * words to the nearest matched word, the wh-word alignment, Korean: before a matched word) plus
 * TITLE_BONUS. Text the question holds, or whose words mostly match the question, is not a candidate.
 */
function bracketedSpan(
  quote: string,
  words: ReadonlyArray<{ start: number; end: number; terms: string[]; matched: boolean; fn: boolean }>,
  question: string,
  runScore: number,
  gap: { before: Set<string>; after: Set<string>; head: Set<string> } | undefined,
  korean: boolean,
): { start: number; end: number } | undefined {
  const matchedAt = words.flatMap((w, i) => (w.matched ? [i] : []));
  if (matchedAt.length === 0) return undefined;
  const lowerQ = question.toLowerCase();
  let best: { start: number; end: number; score: number } | undefined;
  for (const m of quote.matchAll(BRACKETED)) {
    const start = m.index + 1;
    const end = m.index + m[0].length - 1;
    const inner = quote.slice(start, end).trim();
    if (inner === '' || lowerQ.includes(inner.toLowerCase())) continue;
    const a = words.findIndex((w) => w.end > start);
    let b = a;
    while (b + 1 < words.length && words[b + 1].start < end) b++;
    if (a < 0) continue;
    const inside = words.slice(a, b + 1);
    if (inside.filter((w) => w.matched).length * 2 > inside.length) continue;
    const distTo = (k: number) =>
      Math.min(
        ...matchedAt.map((mi) => {
          if (mi >= a && mi <= b) return 1;
          let d = 1;
          for (let x = Math.min(mi, k) + 1; x < Math.max(mi, k); x++) if (!words[x].fn) d++;
          return d;
        }),
      );
    let score = 1 / Math.min(distTo(a), distTo(b)) + TITLE_BONUS;
    let l = a - 1;
    while (l >= 0 && !words[l].matched) l--;
    let r = b + 1;
    while (r < words.length && !words[r].matched) r++;
    if (gap) {
      if (l >= 0 && words[l].terms.some((t) => gap.before.has(t) || gap.head.has(t))) score += ALIGN_BONUS;
      if (r < words.length && words[r].terms.some((t) => gap.after.has(t) || gap.head.has(t))) score += ALIGN_BONUS;
    }
    if (korean && words[b + 1]?.matched) score += 0.5;
    if (score > runScore && (!best || score > best.score)) best = { start: start + (quote.slice(start, end).length - quote.slice(start, end).trimStart().length), end: start + quote.slice(start, end).trimEnd().length, score };
  }
  return best ? { start: best.start, end: best.end } : undefined;
}

/** Score a short-answer run gains for each side on which its nearest matched word stands on the same side of the question's wh-word. */
const ALIGN_BONUS = 0.5;
const ENGLISH_AUX = /^(did|does|do|is|was|were|are|has|have|had|can|could|will|would|should|may|might|must)$/i;

/**
 * Where the answer sits in the question: the question terms before its gap, after it, and those
 * of the wh-phrase's head noun ("by what village" → village). English undoes wh-movement: a
 * wh-phrase followed by an auxiliary ("What did the nobles form …?", "What is the Rhine called …?")
 * leaves its gap at the end; otherwise ("… by what village?", "What attracts tourists?") the gap is
 * where the wh-word is. Korean keeps the sentence's order: the gap is the wh-word (무엇/누구/어디 …),
 * or the end of a question ending in its head noun ("…만난 대통령의 이름은?"). Undefined when the
 * question has no wh-word and is not such a Korean question.
 */
function questionGap(question: string, qTokens: readonly Token[], qTerms: ReadonlySet<string>): { before: Set<string>; after: Set<string>; head: Set<string> } | undefined {
  const words = [...question.matchAll(/[^\s?!.,]+/g)];
  const korean = /[\uac00-\ud7a3]/.test(question);
  let gapAt = -1; // offset in the question: terms starting before it are "before"
  let headFrom = -1;
  let headTo = -1;
  if (korean) {
    const wi = words.findIndex((w) => /^(무엇|누구|누가|어디|어느|어떤|무슨|언제|몇|얼마|뭐)/.test(w[0]));
    if (wi >= 0) {
      gapAt = words[wi].index;
      if (/^(어느|어떤|무슨)$/.test(words[wi][0]) && wi + 1 < words.length) [headFrom, headTo] = [words[wi + 1].index, words[wi + 1].index + words[wi + 1][0].length];
    } else if (/[\uac00-\ud7a3](은|는|이|가)\s*\?*\s*$/.test(question.trim()) && words.length > 0) {
      const last = words[words.length - 1];
      gapAt = question.length;
      [headFrom, headTo] = [last.index, last.index + last[0].length];
    }
  } else {
    const wi = words.findIndex((w) => /^(what|which|where|who|whom|whose)$/i.test(w[0]));
    if (wi < 0) return undefined;
    gapAt = words[wi].index;
    const aux = words.findIndex((w, k) => k > wi && k <= wi + 4 && ENGLISH_AUX.test(w[0]));
    if (aux > wi) {
      if (aux > wi + 1) [headFrom, headTo] = [words[wi + 1].index, words[aux - 1].index + words[aux - 1][0].length];
      gapAt = question.length;
    } else if (words.length - wi <= 3 && wi + 1 < words.length) {
      [headFrom, headTo] = [words[wi + 1].index, question.length];
    }
  }
  if (gapAt < 0) return undefined;
  const before = new Set<string>();
  const after = new Set<string>();
  const head = new Set<string>();
  for (const t of qTokens) {
    if (!qTerms.has(t.term)) continue;
    if (t.start >= headFrom && t.start < headTo) head.add(t.term);
    else if (t.start < gapAt) before.add(t.term);
    else after.add(t.term);
  }
  return { before, after, head };
}

/** The case a Korean eojeol's final particle marks: object (을/를), subject (이/가), place (에/에서), means (로/으로), or undefined. */
function particleClass(eojeol: string): string | undefined {
  if (/(을|를)$/.test(eojeol)) return 'obj';
  if (/(에서|에게|에)$/.test(eojeol)) return 'loc';
  if (/(으로|로)$/.test(eojeol)) return 'means';
  if (/[이가]$/.test(eojeol) && [...eojeol].length > 2) return 'subj';
  return undefined;
}

/**
 * The counter word of a Korean number question, which the answer's number carries: "몇 층으로" → "층",
 * "몇 자리를" → "자리", "몇 명의" → "명"; "며칠" → "일". Undefined without one.
 */
export function counterOf(question: string): string | undefined {
  if (/며칠/.test(question)) return '일';
  const w = /몇\s*([\uac00-\ud7a3]+)/.exec(question)?.[1];
  if (!w) return undefined;
  for (const p of KOREAN_PARTICLES) if (w.endsWith(p) && [...w].length > [...p].length) return w.slice(0, w.length - p.length);
  return w;
}
