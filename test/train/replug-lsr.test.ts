import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { klDivergence } from '../../src/methods/prob.js';
import { buildLsrRecord } from '../../src/train/replug-lsr.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { MemoryRetriever, model } from '../methods/support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe('REPLUG-LSR records (the loopback server stands in for an LLM)', () => {
  it('KL(P ‖ Q) by hand', () => {
    // 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75) = 0.5(0.693147) + 0.5(−0.405465) = 0.143841
    expect(klDivergence([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.143841, 6);
    expect(klDivergence([0, 1], [0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
    expect(klDivergence([0.5, 0.5], [1, 0])).toBe(Infinity);
  });

  it('P_R = softmax(s/γ), Q = softmax(log P_LM/β), and their KL', async () => {
    server = await startOpenAIServer();
    const r = await buildLsrRecord(model(server), new MemoryRetriever(), 'What is the capital of France?', 'Paris', { topK: 2, gamma: 1, beta: 1 });
    // scores 5, 4 → P_R = [0.731059, 0.268941]; the toy scorer gives " Paris\n" −0.5 − 0.1 (end included) under both prompts → Q = [0.5, 0.5]
    // KL = 0.731059 ln(1.462117) + 0.268941 ln(0.537883) = 0.731059(0.379885) + 0.268941(−0.620115) = 0.277718 − 0.166774 = 0.110944
    expect(r.lmLogprob).toEqual([expect.closeTo(-0.6, 12), expect.closeTo(-0.6, 12)]);
    expect(r.retrieverProbs[0]).toBeCloseTo(0.731059, 6);
    expect(r.lmProbs).toEqual([0.5, 0.5]);
    expect(r.kl).toBeCloseTo(0.110944, 5);
    expect(r.passages.map((p) => p.chunkId)).toEqual(['d0#0', 'd1#0']);
    await expect(buildLsrRecord(model(server, { echoScoring: false }), new MemoryRetriever(), 'q', 'a', { topK: 2 })).rejects.toThrow(CapabilityError);
  });
});
