/**
 * The output buffer the analyzers write into: `analyze()` collects only terms, `tokens()` also
 * offsets, through the same code path, so `tokens(t).map(x => x.term)` equals `analyze(t)` by
 * construction.
 */
import type { Analyzer, Token } from './analyzer.js';

export class TermSink {
  readonly terms: string[] = [];
  readonly starts: number[] | null;
  readonly ends: number[] | null;

  constructor(withOffsets: boolean) {
    this.starts = withOffsets ? [] : null;
    this.ends = withOffsets ? [] : null;
  }

  push(term: string, start: number, end: number): void {
    this.terms.push(term);
    if (this.starts !== null) {
      this.starts.push(start);
      this.ends!.push(end);
    }
  }

  toTokens(): Token[] {
    const out: Token[] = new Array(this.terms.length);
    for (let i = 0; i < out.length; i++) out[i] = { term: this.terms[i], start: this.starts![i], end: this.ends![i] };
    return out;
  }
}

/**
 * Base of the analyzers that write into a `TermSink`: `analyze` and `tokens` run the same
 * `run(text, sink)`, with and without offsets, so the two can never disagree.
 */
export abstract class SinkAnalyzer implements Analyzer {
  abstract readonly name: string;

  analyze(text: string): string[] {
    const sink = new TermSink(false);
    this.run(text, sink);
    return sink.terms;
  }

  tokens(text: string): Token[] {
    const sink = new TermSink(true);
    this.run(text, sink);
    return sink.toTokens();
  }

  /** Pushes the terms of `text` into `sink`, in order. */
  protected abstract run(text: string, sink: TermSink): void;
}
