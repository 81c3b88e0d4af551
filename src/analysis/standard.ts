/**
 * `standard`: the UAX #29 tokenizer (`./tokenizer.ts`) + NFKC + lower case. No stop words, no
 * stemming — Lucene's `StandardAnalyzer` with an empty stop set (its default since Lucene 7),
 * plus NFKC per token.
 */
import { foldSpan } from './normalize.js';
import { SinkAnalyzer, TermSink } from './sink.js';
import { TokenCursor } from './tokenizer.js';

export class StandardAnalyzer extends SinkAnalyzer {
  readonly name = 'standard';


  protected run(text: string, sink: TermSink): void {
    const cur = new TokenCursor(text);
    while (cur.next()) sink.push(foldSpan(text, cur.start, cur.end, cur.flags, true), cur.start, cur.end);
  }
}
