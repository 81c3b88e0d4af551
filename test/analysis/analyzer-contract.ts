/**
 * The shared contract every `Analyzer` runs (see src/analysis/analyzer.ts):
 * `tokens(t).map(x => x.term)` equals `analyze(t)`, offsets point at a non-empty span of the
 * source, tokens come in source order, and no input throws.
 */
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../src/analysis/analyzer.js';

/** Mixed-script sample texts every analyzer must handle. */
export const CONTRACT_SAMPLES: readonly string[] = [
  'The quick brown fox jumps over the lazy dog.',
  "John's e-mail is user@example.com; see https://example.com/a_b?x=1,000 (U.S.A., 3.14%).",
  'BM25는 검색기의 기본이다. 검색기가 문서를 찾는다.',
  '東京都に住んでいます。カタカナとひらがな、漢字。',
  'ＦＵＬＬ width ｶﾀｶﾅ ｆｉｌｅ ﬁle café naïve Ωmega ΣΊΣΥΦΟΣ',
  'emoji 😀 👍🏽 👨‍👩‍👧 🇰🇷 1️⃣ and ไทยภาษา text',
  'tabs\tand\nnew\r\nlines\u00a0nbsp\u200bzwsp',
];

export function analyzerContract(make: () => Analyzer): void {
  describe('Analyzer contract', () => {
    it('tokens().map(term) equals analyze() on every sample', () => {
      const a = make();
      for (const text of CONTRACT_SAMPLES) {
        expect(a.tokens(text).map((t) => t.term)).toEqual(a.analyze(text));
      }
    });

    const probe = make();
    const keyed = probe.forEachKey !== undefined && probe.termOfKey !== undefined;
    it.skipIf(!keyed)(`forEachKey + termOfKey give analyze()${keyed ? '' : ' (skipped: this analyzer has no forEachKey/termOfKey)'}`, () => {
      const a = make();
      for (const text of CONTRACT_SAMPLES) {
        const viaKeys: string[] = [];
        a.forEachKey!(
          text,
          (key) => {
            const t = a.termOfKey!(key);
            if (t !== null) viaKeys.push(t);
          },
          (term) => viaKeys.push(term),
        );
        expect(viaKeys).toEqual(a.analyze(text));
      }
    });

    it('offsets are in order, inside the text, non-empty, and the span shares a character with the term', () => {
      const a = make();
      for (const text of CONTRACT_SAMPLES) {
        let lastStart = 0;
        for (const t of a.tokens(text)) {
          expect(t.start).toBeGreaterThanOrEqual(lastStart);
          expect(t.end).toBeGreaterThan(t.start);
          expect(t.end).toBeLessThanOrEqual(text.length);
          lastStart = t.start;
          // Terms are folded/stemmed, so compare loosely: the span's NFKC lower-case form
          // and the term start with the same character (stemming only cuts suffixes).
          const span = text.slice(t.start, t.end).normalize('NFKC').toLowerCase();
          expect(span[0]).toBe(t.term.normalize('NFKC')[0]);
        }
      }
    });

    it('empty and whitespace-only input give no terms', () => {
      const a = make();
      expect(a.analyze('')).toEqual([]);
      expect(a.tokens('')).toEqual([]);
      expect(a.analyze(' \t\n\r\u00a0\u3000 ')).toEqual([]);
    });

    it('the registry name is a non-empty string', () => {
      expect(make().name).toMatch(/^[a-z][a-z0-9-]*$/);
    });

    it('never throws on lone surrogates, control characters and stray marks', () => {
      const a = make();
      const nasty = ['\ud800', '\udc00x', 'a\ud83dz', '\u0000\u0001\u007f\u0085', '\u0301\u0301a', 'x\ufe0f\u200d', '\ud83d\ude00\ud83d'];
      for (const text of nasty) {
        expect(() => a.analyze(text)).not.toThrow();
        expect(a.tokens(text).map((t) => t.term)).toEqual(a.analyze(text));
      }
      expect(a.analyze('a\ud800b').length).toBeGreaterThan(0);
    });

    it('handles very long input (1 MB) and a 10,000-letter word without blowing up', () => {
      const a = make();
      const long = 'retrieval augmented generation 검색기 東京 '.repeat(25_000);
      const terms = a.analyze(long);
      expect(terms.length).toBeGreaterThan(100_000);
      const word = 'x'.repeat(10_000);
      const pieces = a.tokens(word);
      // Lucene cuts tokens at 255 UTF-16 units: ceil(10000 / 255) = 40 pieces.
      expect(pieces.length).toBe(40);
      expect(pieces[0]).toMatchObject({ start: 0, end: 255 });
      expect(pieces[39]).toMatchObject({ start: 39 * 255, end: 10_000 });
    });

    it('is deterministic and keeps no state between calls', () => {
      const a = make();
      const first = CONTRACT_SAMPLES.map((t) => a.analyze(t));
      const b = make();
      expect(CONTRACT_SAMPLES.map((t) => b.analyze(t))).toEqual(first);
      expect(CONTRACT_SAMPLES.map((t) => a.analyze(t))).toEqual(first);
    });
  });
}
