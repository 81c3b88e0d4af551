/**
 * HitJsonCache (#13 item 5): the server writes a hit's JSON from a per-commit cache of its fixed
 * part; the text must be byte-identical to `JSON.stringify(hitJson(hit))` for every shape of hit
 * (page, locator, per-retriever scores, quotes and non-ASCII in the text), and a hit whose text or
 * lines differ under the same chunk id (a context window) must not reuse the cached part.
 */
import { describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import { HitJsonCache, hitJson } from '../../src/engine/json.js';

const base: Hit = { rank: 1, score: 3.25, docId: 'a.md', chunkId: 'a.md#0', source: 'docs/a.md', title: 'A "quoted" title', text: 'Line one\nBM25 "k1" = 0.9 — 검색 \u2028 tab\t.', startLine: 3, endLine: 4 };
const shapes: Hit[] = [
  base,
  { ...base, rank: 2, score: 0.000012345, page: 7 },
  { ...base, chunkId: 'b.pptx#1', docId: 'b.pptx', locator: { kind: 'slide', start: 2, end: 3, label: 'slides 2–3' } },
  { ...base, chunkId: 'c.md#0', rank: 10, score: -1.5e-7, scores: { bm25: 4.5, dense: 0.81 } },
  { ...base, chunkId: 'd.xlsx#0', locator: { kind: 'row', start: 4, end: 4, sheet: 'Q1 "plan"', label: 'Q1!4' }, page: 1, scores: { rrf: 0.03 } },
];

describe('HitJsonCache', () => {
  it('writes exactly JSON.stringify(hitJson(hit)), cold and warm', () => {
    const cache = new HitJsonCache();
    for (const h of shapes) expect(cache.json(h)).toBe(JSON.stringify(hitJson(h)));
    for (const h of shapes) expect(cache.json({ ...h, rank: h.rank + 1, score: h.score * 2 })).toBe(JSON.stringify(hitJson({ ...h, rank: h.rank + 1, score: h.score * 2 })));
    expect(cache.size).toBe(new Set(shapes.map((h) => h.chunkId)).size); // 4: the first two share a chunk id
  });

  it('a hit with the same chunk id but another text or other lines is written afresh', () => {
    const cache = new HitJsonCache();
    cache.json(base);
    const widened = { ...base, text: 'Before. ' + base.text, startLine: 2 };
    expect(cache.json(widened)).toBe(JSON.stringify(hitJson(widened)));
    expect(cache.json(base)).toBe(JSON.stringify(hitJson(base)));
  });

  it('array(hits) is the JSON of the hit array', () => {
    const cache = new HitJsonCache();
    expect(cache.array(shapes)).toBe(JSON.stringify(shapes.map(hitJson)));
    expect(cache.array([])).toBe('[]');
  });

  it('keeps at most maxEntries hits', () => {
    const cache = new HitJsonCache(2);
    for (const h of shapes) cache.json(h);
    expect(cache.size).toBe(2);
  });

  it('a store engine spanning commits (metaFixed false) writes each hit with the meta of now', () => {
    let meta: Record<string, string> = { author: '홍길동' };
    const cache = new HitJsonCache(undefined, () => meta, false);
    expect(cache.json(base)).toBe(JSON.stringify({ ...hitJson(base), meta: { author: '홍길동' } }));
    meta = { author: 'Kim' }; // a later commit changed the document's properties, not its text
    expect(cache.json(base)).toBe(JSON.stringify({ ...hitJson(base), meta: { author: 'Kim' } }));
    const fixed = new HitJsonCache(undefined, () => meta);
    fixed.json(base);
    meta = { author: 'Lee' };
    expect(fixed.json(base)).toContain('"author":"Kim"'); // one commit per Engine: cached with the rest
  });
});
