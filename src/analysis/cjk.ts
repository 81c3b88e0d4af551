/**
 * `cjk`: Lucene's `CJKAnalyzer` chain — StandardTokenizer → CJKWidthFilter → LowerCaseFilter →
 * CJKBigramFilter → StopFilter(CJK stop set) — with two documented differences:
 *
 * 1. Width folding is NFKC per token, a superset of CJKWidthFilter (full-width ASCII → ASCII,
 *    half-width katakana → full-width, with the voiced marks composed).
 * 2. A token that glues Hangul to Latin letters or digits (`BM25는`, one ALPHANUM token in Lucene)
 *    is split at the script change, so its Hangul part is bigrammed like any other Hangul.
 *
 * Bigrams (CJKBigramFilter, outputUnigrams = false): runs of adjacent Han, Hiragana, Katakana and
 * Hangul characters — adjacent meaning the next token starts where the previous one ended — give
 * overlapping character bigrams (`東京都` → `東京`, `京都`); a run of one character gives that
 * character. The other tokens are folded and filtered by Lucene's CJK stop set (the 33 English
 * stop words plus `s`, `t`, `www`). No stemming.
 */
import { foldSpan, lowerCase } from './normalize.js';
import { SinkAnalyzer, TermSink } from './sink.js';
import { CJK_STOP_WORDS } from './stopwords.js';
import { TokenCursor, TokenType } from './tokenizer.js';

/** Whether `cp` is a Hangul syllable or jamo (the Hangul script's letters). */
export function isHangul(cp: number): boolean {
  return (
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0x3131 && cp <= 0x318e) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xd7b0 && cp <= 0xd7ff) ||
    (cp >= 0xffa0 && cp <= 0xffdc)
  );
}

/** Combining marks, variation selectors and ZWJ/ZWNJ stay with the character before them. */
function isAttached(c: number): boolean {
  return (
    (c >= 0x0300 && c <= 0x036f) ||
    (c >= 0x3099 && c <= 0x309a) ||
    c === 0xff9e ||
    c === 0xff9f ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0xdc00 && c <= 0xdfff) // low surrogate of the pair started before
  );
}

/**
 * Collects adjacent CJK characters and emits their overlapping bigrams (CJKBigramFilter).
 * One instance per `run`; holds the characters of the current run only.
 */
export class CjkBigrammer {
  private chars: string[] = [];
  private starts: number[] = [];
  private ends: number[] = [];

  constructor(private readonly sink: TermSink) {}

  /** Adds the characters of `text[start, end)`; a gap since the last added character flushes first. */
  add(text: string, start: number, end: number): void {
    if (this.chars.length > 0 && this.ends[this.ends.length - 1] !== start) this.flush();
    let p = start;
    while (p < end) {
      let q = p + 1;
      while (q < end && isAttached(text.charCodeAt(q))) q++;
      const raw = text.slice(p, q);
      const ascii = raw.charCodeAt(0) < 0x80 && raw.length === 1;
      this.chars.push(ascii ? raw.toLowerCase() : lowerCase(raw.normalize('NFKC')));
      this.starts.push(p);
      this.ends.push(q);
      p = q;
    }
  }

  /** Emits the pending run: bigrams, or the single character of a one-character run. */
  flush(): void {
    const n = this.chars.length;
    if (n === 1) this.sink.push(this.chars[0], this.starts[0], this.ends[0]);
    for (let i = 0; i + 1 < n; i++) this.sink.push(this.chars[i] + this.chars[i + 1], this.starts[i], this.ends[i + 1]);
    this.chars.length = 0;
    this.starts.length = 0;
    this.ends.length = 0;
  }
}

/**
 * Calls `fn(start, end, hangul)` for the maximal runs of Hangul and of non-Hangul characters
 * in `text[start, end)` (combining characters stay with the run before them).
 */
export function splitHangulRuns(
  text: string,
  start: number,
  end: number,
  fn: (s: number, e: number, hangul: boolean) => void,
): void {
  let runStart = start;
  let runHangul = isHangul(text.charCodeAt(start));
  for (let p = start + 1; p < end; p++) {
    const c = text.charCodeAt(p);
    if (isAttached(c)) continue;
    const h = isHangul(c);
    if (h !== runHangul) {
      fn(runStart, p, runHangul);
      runStart = p;
      runHangul = h;
    }
  }
  fn(runStart, end, runHangul);
}

export class CjkAnalyzer extends SinkAnalyzer {
  readonly name = 'cjk';


  protected run(text: string, sink: TermSink): void {
    const cur = new TokenCursor(text);
    const bigrams = new CjkBigrammer(sink);
    const other = (s: number, e: number, flags: number): void => {
      bigrams.flush();
      const t = foldSpan(text, s, e, flags, true);
      if (!CJK_STOP_WORDS.has(t)) sink.push(t, s, e);
    };
    while (cur.next()) {
      const type = cur.type;
      if (type === TokenType.IDEOGRAPHIC || type === TokenType.HIRAGANA || type === TokenType.KATAKANA || type === TokenType.HANGUL) {
        bigrams.add(text, cur.start, cur.end);
      } else if (type === TokenType.ALPHANUM && (cur.flags & 1) !== 0) {
        splitHangulRuns(text, cur.start, cur.end, (s, e, hangul) => {
          if (hangul) bigrams.add(text, s, e);
          else other(s, e, 3);
        });
      } else {
        other(cur.start, cur.end, cur.flags);
      }
    }
    bigrams.flush();
  }
}
