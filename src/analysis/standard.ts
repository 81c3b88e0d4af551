/**
 * `standard`: the UAX #29 tokenizer (`./tokenizer.ts`) + NFKC + lower case. No stop words, no
 * stemming — Lucene's `StandardAnalyzer` with an empty stop set (its default since Lucene 7),
 * plus NFKC per token.
 */
import type { Analyzer, Token } from './analyzer.js';
import { foldSpan } from './normalize.js';
import { TermSink } from './sink.js';
import { TokenCursor } from './tokenizer.js';

export class StandardAnalyzer implements Analyzer {
  readonly name = 'standard';

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

  private run(text: string, sink: TermSink): void {
    const cur = new TokenCursor(text);
    while (cur.next()) sink.push(foldSpan(text, cur.start, cur.end, cur.flags, true), cur.start, cur.end);
  }
}
