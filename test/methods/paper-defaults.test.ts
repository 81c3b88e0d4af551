/**
 * Issue 11: method defaults as the papers / reference code set them (the loopback server stands in
 * for an LLM).
 * - HyDE (Gao et al. 2023): the authors' setup samples N = 8 hypothetical documents.
 * - Search-R1 (Jin et al. 2025; PeterGriffinJin/Search-R1:infer.py): top-3 passages per search, and
 *   `_passages2string` numbers them "Doc 1(Title: …)" afresh in every <information> block.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hyde } from '../../src/methods/hyde.js';
import { informationBlock, searchR1 } from '../../src/methods/search-r1.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { chatBodies, context, MemoryRetriever, model, toHit } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';

describe('HyDE defaults', () => {
  it('asks for N = 8 hypothetical documents by default', async () => {
    server = await startOpenAIServer({ chat: () => 'Paris is the capital of France. [1]' });
    const r = await hyde.run(Q, context(model(server), new MemoryRetriever()));
    expect(hyde.defaults.numHypotheses).toBe(8);
    expect(chatBodies(server)[0].n).toBe(8);
    expect(r.trace[0].output).toHaveLength(8);
  });
});

describe('Search-R1 as the reference rolls out', () => {
  it('retrieves the top 3 per search (whatever the context topK) and numbers each <information> block from Doc 1', async () => {
    server = await startOpenAIServer();
    server.enqueueChat('<search> capital of France </search>', '<search> Seine river Paris </search>', '<answer> Paris </answer>');
    const r = await searchR1.run(Q, context(model(server), new MemoryRetriever(), { topK: 2 }));
    const retrieves = r.trace.filter((t) => t.kind === 'retrieve');
    expect(retrieves.map((t) => (t.input as { topK: number }).topK)).toEqual([3, 3]);
    const bodies = chatBodies(server);
    const info2 = (bodies[2].messages as Array<{ content: string }>).at(-1)!.content;
    // second search: Seine (d3) first, numbered Doc 1 again; three passages
    expect(info2).toMatch(/^<information>\nDoc 1\(Title: Seine\) /);
    expect(info2.match(/^Doc \d\(/gm)).toEqual(['Doc 1(', 'Doc 2(', 'Doc 3(']);
    // markers in the answer refer to the block the model read last
    expect(r.answer).toBe('Paris [1]');
    expect(r.citations[0].chunkId).toBe('d3#0');
  });

  it('informationBlock numbers from 1 unless asked to continue a run-wide count', () => {
    expect(informationBlock([toHit(0, 1, 5)])).toBe('<information>\nDoc 1(Title: Paris) Paris is the capital of France. It lies on the Seine.\n</information>');
    expect(informationBlock([toHit(0, 1, 5)], 4)).toMatch(/^<information>\nDoc 4\(Title: Paris\)/);
  });
});
