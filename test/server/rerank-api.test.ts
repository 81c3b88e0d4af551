/**
 * The rerank stage through the HTTP API: a real server on 127.0.0.1 whose configuration has a
 * reranker reranks /v1/search and /v1/ask by default; `rerank=false` turns it off per request.
 * The reranker is a scripted one (2 for a passage mentioning HyDE, else 1), so the reordering is
 * visible without a model.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reranker } from '../../src/retrieve/rerank.js';
import type { RunningServer } from '../../src/server/listen.js';
import { SearchResponse } from '../../src/server/schemas.js';
import { makeFixture, startOn, type Fixture } from './helpers.js';

let fx: Fixture;
let server: RunningServer;
const seen: number[] = [];
const scripted: Reranker = {
  id: 'scripted',
  score: async (_q, passages) => {
    seen.push(passages.length);
    return passages.map((p) => (p.includes('HyDE') ? 2 : 1));
  },
};

beforeAll(async () => {
  fx = await makeFixture();
  server = await startOn(fx, {}, { models: { reranker: scripted, rerankDefaults: { depth: 50 } } });
});
afterAll(async () => {
  await server.close();
  await rm(fx.dir, { recursive: true, force: true });
});

const search = async (qs: string) => SearchResponse.parse(await (await fetch(`${server.url}/v1/search?${qs}`)).json());

describe('rerank over HTTP', () => {
  it('GET /v1/search reranks by default when a reranker is configured, and not with rerank=false', async () => {
    // BM25 for "BM25 HyDE": the English page (BM25 three times) above the Korean one (HyDE once).
    const off = await search('q=BM25%20HyDE&rerank=false');
    expect(off.hits.map((h) => h.source)).toEqual(['docs/bm25.md', 'docs/rag-ko.md']);
    // reranked: the Korean page mentions HyDE → 2, the English one → 1
    const on = await search('q=BM25%20HyDE');
    expect(on.hits.map((h) => [h.source, h.score, h.scores?.firstStageRank])).toEqual([
      ['docs/rag-ko.md', 2, 2],
      ['docs/bm25.md', 1, 1],
    ]);
    await search('q=BM25%20HyDE&rerankDepth=1&topK=1');
    expect(seen.at(-1)).toBe(1);
  });

  it('POST /v1/ask carries the rerank step in its trace', async () => {
    const res = await fetch(`${server.url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'BM25 HyDE', topK: 2 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { hits: Array<{ source: string }>; trace: Array<{ name: string; output: Array<{ rerankScore: number }> }> };
    expect(body.hits.map((h) => h.source)).toEqual(['docs/rag-ko.md', 'docs/bm25.md']);
    expect(body.trace.find((s) => s.name.startsWith('rerank'))!.output.map((e) => e.rerankScore)).toEqual([2, 1]);
  });
});
