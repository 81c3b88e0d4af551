/**
 * `ask` reorders BM25's candidates by the question's word pairs (src/retrieve/phrase-rerank.ts):
 * a page that keeps "average household size" together outranks one that only repeats the words.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { PHRASE_POOL } from '../../src/retrieve/phrase-rerank.js';

describe('ask: the phrase rerank of BM25 candidates', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'openbook-phrase-'));
    writeFileSync(
      path.join(dir, 'housing.md'),
      '# Housing survey\n\nIn Fresno the survey counted each household, its size and the rent it paid on average; the size of a Fresno household varied by district.\n',
    );
    writeFileSync(path.join(dir, 'census.md'), '# Census of 2010\n\nThe average household size was 3.07 and the average family size was 3.62 in Fresno.\n');
    for (let i = 0; i < 4; i++) writeFileSync(path.join(dir, `other${i}.md`), `# Note ${i}\n\nThe library opens at nine and closes at six on weekdays.\n`);
    const indexDir = path.join(dir, '.openbook');
    await indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now });
    engine = await Engine.open(indexDir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('BM25 alone ranks the page that repeats the words first; ask cites the page with the phrase', async () => {
    const plain = await engine.search('average household size Fresno', { topK: 2 });
    expect(plain[0].source).toBe('housing.md');
    const a = await engine.ask('What was the average household size in Fresno?', { topK: 2, extractive: true });
    expect(a.hits?.map((h) => h.source)).toEqual(['census.md', 'housing.md']);
    expect(a.citations[0].source).toBe('census.md');
    expect(a.citations[0].quote).toBe('The average household size was 3.07 and the average family size was 3.62 in Fresno.');
    // The trace: BM25's pool of max(topK, PHRASE_POOL), then the rerank with each hit's two scores.
    expect(a.trace?.[0]).toMatchObject({ kind: 'retrieve', input: { query: 'the average household size in Fresno?', topK: PHRASE_POOL } });
    expect(a.trace?.[1]).toMatchObject({ kind: 'score', name: 'phrase rerank top-2' });
    const top = (a.trace?.[1].output as Array<{ chunkId: string; bm25: number; phrase: number; score: number }>)[0];
    expect(top.score).toBeCloseTo(top.bm25 + 0.3 * top.phrase, 12);
    expect(top.phrase).toBeGreaterThan(0);
  });
});
