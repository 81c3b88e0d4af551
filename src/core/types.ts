/**
 * The shared data types of openbook. Every stage (ingest → analysis → index → retrieve →
 * generate → methods → eval) speaks in these shapes; nothing here imports any other stage.
 *
 * Conventions: character offsets are UTF-16 code-unit offsets into the text they refer to
 * (JavaScript string indices), end-exclusive; line numbers are 1-based and inclusive;
 * ranks are 1-based; PDF page numbers are 1-based.
 */

/** Source formats openbook can read. */
export type DocFormat = 'txt' | 'md' | 'html' | 'pdf' | 'docx' | 'jsonl';

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
  /** For Markdown/HTML: headings with their character offsets, used by the structure-aware chunker. */
  headings?: Heading[];
  /**
   * User and format metadata beyond the fixed fields: Markdown front matter, JSONL fields other
   * than id/title/text, `index --meta key=value` tags. Filterable by name (see `core/filter.ts`).
   */
  meta?: Record<string, string | number | boolean | string[]>;
  /**
   * SHA-256 (hex) of the user metadata the document was loaded with (`index --meta` tags and its
   * sidecar file), absent when there was none; a change re-indexes an otherwise unchanged file.
   */
  userMetaHash?: string;
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
  /** 1-based first line of the chunk within the source document text. */
  startLine: number;
  /** 1-based last line (inclusive). */
  endLine: number;
  /** 1-based PDF page of the chunk's first character, when the source is a PDF. */
  page?: number;
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
