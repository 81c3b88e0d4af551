/**
 * The shared data types of openbook. Every stage (ingest → analysis → index → retrieve →
 * generate → methods → eval) speaks in these shapes; nothing here imports any other stage.
 *
 * Conventions: character offsets are UTF-16 code-unit offsets into the text they refer to
 * (JavaScript string indices), end-exclusive; line numbers are 1-based and inclusive;
 * ranks are 1-based; PDF page numbers are 1-based.
 */

/** Source formats openbook can read. */
export type DocFormat = 'txt' | 'md' | 'html' | 'pdf' | 'docx' | 'jsonl' | 'csv' | 'tsv' | 'xlsx' | 'pptx' | 'hwpx' | 'hwp' | 'epub';

/** A hyperlink found in a document (HTML `<a href>`, Markdown `[x](y)`), kept for the link graph. */
export interface Link {
  /** The link target as written (absolute URL or relative path). */
  href: string;
  /** The anchor text, whitespace-collapsed. */
  text: string;
}

/** Where one PDF page's text sits inside `Document.text`. */
export interface PageSpan {
  /** 1-based page number. */
  page: number;
  /** Offset of the page's first character in `Document.text`. */
  start: number;
  /** End-exclusive offset. */
  end: number;
}

/**
 * A numbered unit of a format that has no lines of its own (or whose lines are not the useful
 * address): a DOCX/HWP/HWPX paragraph, a PPTX slide, an XLSX row, an EPUB chapter. Where it sits
 * inside `Document.text`; chunks and hits derive their `Locator` from these spans.
 */
export interface UnitSpan {
  kind: 'paragraph' | 'slide' | 'row' | 'chapter';
  /** 1-based number: paragraph and slide and chapter ordinals, the spreadsheet row number. */
  n: number;
  /** XLSX: the sheet's name. */
  sheet?: string;
  /** Offset of the unit's first character in `Document.text`. */
  start: number;
  /** End-exclusive offset. */
  end: number;
}

/**
 * Which source line a stretch of `Document.text` comes from, when the text is not the file
 * (HTML, CSV): from offset `start` on, text is on file line `line` (1-based), until the next anchor.
 */
export interface LineAnchor {
  start: number;
  line: number;
}

/**
 * Where a chunk, hit or citation sits in a source without useful lines: `kind` and the 1-based
 * first and last unit numbers (inclusive), the sheet for XLSX rows, and a printable `label`
 * ("¶ 3–5", "slide 2", "Prices!4:6", "chapter 3").
 */
export interface Locator {
  kind: UnitSpan['kind'];
  start: number;
  end: number;
  sheet?: string;
  label: string;
}

/**
 * One logical document as read from a file (a whole `.md` file, a PDF, or one line of a
 * BEIR `.jsonl` corpus).
 */
export interface Document {
  /** Stable id: the BEIR `_id`/`id` for JSONL lines, else the source path relative to the indexing root. */
  id: string;
  /** Path of the file it came from, as given to the indexer (relative to cwd when possible). */
  source: string;
  /** Title: JSONL `title`, HTML `<title>`/first `<h1>`, Markdown first heading, PDF metadata, else the file name. */
  title: string;
  /** Plain text, NFC-normalised, `\n` line endings. Offsets in chunks and page spans point into this. */
  text: string;
  format: DocFormat;
  /** SHA-256 of the source bytes (hex); for JSONL lines, of the line's bytes. */
  contentHash: string;
  /** Size of the source in bytes. */
  sizeBytes: number;
  /** Modification time of the source file, ms since the epoch. */
  mtimeMs: number;
  /** For PDFs: where each page's text is in `text`. */
  pages?: PageSpan[];
  /** For HTML and Markdown: outgoing links, for the link graph. */
  links?: Link[];
  /** DOCX/HWP/HWPX paragraphs, PPTX slides, XLSX rows, EPUB chapters (see `UnitSpan`). */
  units?: UnitSpan[];
  /** HTML, CSV/TSV: text offset → file line, so chunk lines are file lines (see `LineAnchor`). */
  sourceLines?: LineAnchor[];
  /** For Markdown/HTML: headings with their character offsets, used by the structure-aware chunker. */
  headings?: Heading[];
  /**
   * User and format metadata beyond the fixed fields: Markdown front matter, JSONL fields other
   * than id/title/text, `index --meta key=value` tags. Filterable by name (see `core/filter.ts`).
   */
  meta?: Record<string, string | number | boolean | string[]>;
  /**
   * The keys of `meta` whose number is a date (ms since the epoch, from an ISO-date string or a
   * YAML date), sorted; absent when none is. `status` lists these fields as type `date`.
   */
  metaDates?: string[];
  /**
   * SHA-256 (hex) of the user metadata the document was loaded with (`index --meta` tags and its
   * sidecar file), absent when there was none; a change re-indexes an otherwise unchanged file.
   */
  userMetaHash?: string;
  /**
   * `META_VERSION` (ingest/metadata.ts) of the loaders that read it; absent in documents stored
   * by an openbook from before metadata, which the next run reads again.
   */
  metaVersion?: number;
}

/** A heading inside `Document.text`. */
export interface Heading {
  /** 1..6 as in HTML/Markdown. */
  level: number;
  text: string;
  /** Offset of the heading line's first character in `Document.text`. */
  start: number;
}

/** A retrievable unit: a contiguous span of one document. */
export interface Chunk {
  /** `${docId}#${ordinal}`. */
  id: string;
  docId: string;
  /** 0-based position of this chunk within its document. */
  ordinal: number;
  /** The chunk's text: exactly `document.text.slice(startChar, endChar)`. */
  text: string;
  /** Headings enclosing the chunk, outermost first (empty when none). */
  headingPath: string[];
  /** Offset of the first character in `Document.text`. */
  startChar: number;
  /** End-exclusive offset in `Document.text`. */
  endChar: number;
  /**
   * 1-based first line of the chunk: a line of the source file for txt, Markdown, PDF text, and
   * (through `Document.sourceLines`) HTML and CSV/TSV; a line of the extracted text otherwise,
   * where `locator` gives the paragraph, slide, row or chapter.
   */
  startLine: number;
  /** 1-based last line (inclusive). */
  endLine: number;
  /** 1-based PDF page of the chunk's first character, when the source is a PDF. */
  page?: number;
  /** Paragraph/slide/row/chapter span, when the source has units (`Document.units`). */
  locator?: Locator;
}

/** One ranked search result. */
export interface Hit {
  /** 1-based rank in the result list. */
  rank: number;
  /** The retriever's score (BM25, cosine, fused …); larger is better. */
  score: number;
  docId: string;
  chunkId: string;
  source: string;
  title: string;
  text: string;
  startLine: number;
  endLine: number;
  page?: number;
  /** Paragraph/slide/sheet-row/chapter, for sources without useful lines (see `Locator`). */
  locator?: Locator;
  /** Per-retriever scores when fused (e.g. `{ bm25: 12.1, dense: 0.83, rrf: 0.032 }`). */
  scores?: Record<string, number>;
}

/** A numbered citation attached to an answer. */
export interface Citation {
  /** The marker number as printed in the answer (`[n]`), 1-based. */
  n: number;
  chunkId: string;
  docId: string;
  source: string;
  title: string;
  startLine: number;
  endLine: number;
  page?: number;
  locator?: Locator;
  /** A verbatim substring of the cited chunk's text. */
  quote: string;
  /** Offset of `quote` inside the chunk's text. */
  quoteStart: number;
  /**
   * The short answer marked inside the quote (extractive answers): `quote.slice(start, end)`,
   * character offsets into `quote`. Absent when no span answers the question's kind of fact.
   */
  answerSpan?: { start: number; end: number };
}

/** Token usage of model calls, summed. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * One step of a method's trace: what went in, what came out, and why.
 * `kind` is the control-flow family: retrieve, generate, score, decide, transform.
 */
export interface TraceStep {
  kind: 'retrieve' | 'generate' | 'score' | 'decide' | 'transform';
  /** Short human name, e.g. "hypothetical document 2" or "NLI gate". */
  name: string;
  input?: unknown;
  output?: unknown;
  /** Named numbers this step computed (weights, probabilities, scores). */
  scores?: Record<string, number>;
  usage?: TokenUsage;
  /** Wall-clock duration in milliseconds. */
  durationMs: number;
}

/** What `ask` returns. */
export interface Answer {
  question: string;
  answer: string;
  citations: Citation[];
  hits: Hit[];
  /** Which answerer/method produced it: "extractive", "llm", "hyde", … */
  method: string;
  trace?: TraceStep[];
  usage?: TokenUsage;
}
