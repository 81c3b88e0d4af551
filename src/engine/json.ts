/**
 * The JSON shapes of hits and answers, shared by `openbook search/ask --json` and the HTTP
 * API (`GET /v1/search`, `POST /v1/ask`): one definition, so the two faces cannot drift.
 * The server's zod schemas (`server/schemas.ts`) describe these shapes for OpenAPI.
 */
import type { Hit } from '../core/types.js';
import type { EngineAnswer } from './engine.js';

/** The JSON shape of a hit in `search --json`, `ask --json` and the HTTP API (`hitsJson` adds `meta`). */
export function hitJson(h: Hit) {
  return { rank: h.rank, score: h.score, ...hitFixedJson(h), ...(h.scores ? { scores: h.scores } : {}) };
}

/** The part of {@link hitJson} fixed per chunk (all but rank, score and scores), in its key order. */
function hitFixedJson(h: Hit) {
  return {
    docId: h.docId,
    chunkId: h.chunkId,
    source: h.source,
    title: h.title,
    text: h.text,
    startLine: h.startLine,
    endLine: h.endLine,
    ...(h.page !== undefined ? { page: h.page } : {}),
    ...(h.locator !== undefined ? { locator: h.locator } : {}),
  };
}

/**
 * `hitJson` of each hit plus, last, `meta`: its document's metadata fields as `engine` knows them
 * (`Engine.documentMeta`: lang, encoding, document properties, front matter, tags; dates as ms
 * since the epoch, as filters compare them). An engine without `documentMeta` adds none.
 */
export function hitsJson(hits: Hit[], engine: object) {
  const lookup = (engine as { documentMeta?: (docId: string) => Record<string, string | number | boolean | string[]> | undefined }).documentMeta;
  return hits.map((h) => {
    const meta = lookup?.call(engine, h.docId);
    return meta !== undefined ? { ...hitJson(h), meta } : hitJson(h);
  });
}

/** The JSON shape of `ask --json` and `POST /v1/ask`; `engine`, when given, adds each hit's document `meta` (`hitsJson`). */
export function answerJson(a: EngineAnswer, engine?: object) {
  return {
    question: a.question,
    answer: a.answer,
    method: a.method,
    citations: a.citations.map((c) => ({
      n: c.n,
      chunkId: c.chunkId,
      docId: c.docId,
      source: c.source,
      title: c.title,
      startLine: c.startLine,
      endLine: c.endLine,
      ...(c.page !== undefined ? { page: c.page } : {}),
      ...(c.locator !== undefined ? { locator: c.locator } : {}),
      quote: c.quote,
      ...(c.answerSpan !== undefined ? { answerSpan: c.answerSpan } : {}),
    })),
    hits: engine ? hitsJson(a.hits, engine) : a.hits.map(hitJson),
    ...(a.model ? { model: a.model } : {}),
    ...(a.prompt ? { prompt: a.prompt } : {}),
    ...(a.usage ? { usage: a.usage } : {}),
    ...(a.latencyMs !== undefined ? { latencyMs: a.latencyMs } : {}),
    ...(a.calls !== undefined ? { modelCalls: a.calls } : {}),
    ...(a.invalidCitations && a.invalidCitations.length > 0 ? { invalidCitations: a.invalidCitations } : {}),
    ...(a.trace ? { trace: a.trace } : {}),
  };
}


/**
 * The JSON text of hits, `JSON.stringify(hitJson(hit))` byte for byte, with the part of each
 * hit that a commit fixes (ids, source, title, text, lines, page, locator) serialised once and
 * kept by chunk id; only rank, score and per-retriever scores are written per response. A
 * server answering from one commit sends the same passages again and again, and escaping their
 * texts was the largest single cost of `GET /v1/search` after search itself. An entry is used
 * only for a hit with the same fixed part (a context window widens a chunk under its id).
 * At most `maxEntries` hits (default 20,000) are kept, least recently used dropped first.
 */
export class HitJsonCache {
  private readonly entries = new Map<string, { hit: Hit; tail: string; meta: string }>();

  /**
   * @param metaOf the document metadata a hit carries as `meta` (`Engine.documentMeta`); none when omitted
   * @param metaFixed whether `metaOf` is fixed for the cache's life (one commit, an `Engine`) and
   *   may be cached with the rest; false for a store whose one engine spans commits (`PgEngine`),
   *   where a document's metadata can change while its chunk text does not, so it is written per hit
   */
  constructor(
    readonly maxEntries = 20_000,
    private readonly metaOf?: (docId: string) => Record<string, string | number | boolean | string[]> | undefined,
    private readonly metaFixed = true,
  ) {}

  private metaJson(docId: string): string {
    const meta = this.metaOf?.(docId);
    return meta !== undefined ? `,"meta":${JSON.stringify(meta)}` : '';
  }

  /** Hits held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The JSON text of one hit. */
  json(h: Hit): string {
    let e = this.entries.get(h.chunkId);
    if (e === undefined || !sameFixedPart(e.hit, h)) {
      const fixed = JSON.stringify(hitFixedJson(h));
      e = { hit: h, tail: fixed.slice(1, -1), meta: this.metaFixed ? this.metaJson(h.docId) : '' };
      this.entries.delete(h.chunkId);
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      if (this.maxEntries > 0) this.entries.set(h.chunkId, e);
    }
    const scores = h.scores ? `,"scores":${JSON.stringify(h.scores)}` : '';
    const meta = this.metaFixed ? e.meta : this.metaJson(h.docId);
    return `{"rank":${JSON.stringify(h.rank)},"score":${JSON.stringify(h.score)},${e.tail}${scores}${meta}}`;
  }

  /** The JSON text of a hit array. */
  array(hits: readonly Hit[]): string {
    let out = '[';
    for (let i = 0; i < hits.length; i++) out += (i > 0 ? ',' : '') + this.json(hits[i]);
    return out + ']';
  }
}

/** Whether two hits agree in everything `HitJsonCache` caches. */
function sameFixedPart(a: Hit, b: Hit): boolean {
  if (a.text !== b.text || a.startLine !== b.startLine || a.endLine !== b.endLine || a.page !== b.page) return false;
  if (a.docId !== b.docId || a.source !== b.source || a.title !== b.title) return false;
  const x = a.locator;
  const y = b.locator;
  if (x === y) return true;
  if (x === undefined || y === undefined) return false;
  return x.kind === y.kind && x.start === y.start && x.end === y.end && x.sheet === y.sheet && x.label === y.label;
}
