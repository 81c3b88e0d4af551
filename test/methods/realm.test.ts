import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/core/errors.js';
import { isSpanOf, realm, realmMarginal } from '../../src/methods/realm.js';
import { runMethod } from '../../src/methods/registry.js';
import type { ChatRequest } from '../support/openai-server.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { byDocument, chatBodies, context, FixedRetriever, MemoryRetriever, model, toHit } from './support/memory.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const Q = 'What is the capital of France?';

/** Reader stand-in: the Berlin passage answers "Berlin", any other passage "Paris". */
function berlinOrParis(req: ChatRequest): string {
  return req.messages.find((m) => m.role === 'user')!.content.includes('Title: Berlin') ? 'Berlin' : 'Paris';
}

describe('REALM marginal arithmetic', () => {
  it('log p(y | x) = log Σ_z p(z | x) p(y | z, x), with −∞ cells contributing 0', () => {
    // p(z|x) = [.5, .3, .2]; p(y|z,x) = [.2, .5, 0] → .5·.2 + .3·.5 + 0 = .1 + .15 = .25
    const [m] = realmMarginal([0.5, 0.3, 0.2], [[Math.log(0.2), Math.log(0.5), -Infinity]]);
    expect(m).toBeCloseTo(Math.log(0.25), 12);
    expect(realmMarginal([1], [[-Infinity]])).toEqual([-Infinity]);
    expect(() => realmMarginal([0.5, 0.5], [[0]])).toThrow(/1 log-probabilities but 2 weights/);
    expect(isSpanOf('paris', toHit(0, 1, 1))).toBe(true);
    expect(isSpanOf('Berlin', toHit(0, 1, 1))).toBe(false);
  });
});

describe('REALM (the loopback server stands in for an LLM)', () => {
  it('continuation scoring, spans only: a candidate counts only under the documents that contain it', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await realm.run(Q, context(model(server), new MemoryRetriever()));
    // p(z|x) = softmax([5, 4]) = [.731059, .268941]; Paris is a span of doc 1 only, Berlin of doc 2 only.
    // toy scorer, the answer's end "\n" (−0.1) included: " Paris\n" −0.6, " Berlin\n" −0.7 →
    // log p(Paris|x) = log .731059 − .6 = −.313262 − .6 = −.913262; log p(Berlin|x) = log .268941 − .7 = −1.313262 − .7 = −2.013262
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.name).toBe('argmax_y Σ_z p(z | x) p(y | z, x) (continuation scoring, spans only)');
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-0.913262, 5);
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-2.013262, 5);
    expect(r.answer).toBe('Paris [1]');
    expect(r.calls).toBe(4); // 2 reader calls + 2 scorings (the two cells where the candidate is a span)
    expect(server.count('/completions') - server.count('/chat/completions')).toBe(2);
  });

  it('spanOnly false scores every candidate under every document', async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await runMethod('realm', Q, context(model(server), new MemoryRetriever()), { spanOnly: false });
    // the toy scorer ignores the document: log p(y|x) = log Σ_z p(z|x) e^{lp} = lp → −0.6 and −0.7 (end "\n" −0.1 included)
    const d = r.trace!.find((s) => s.kind === 'decide')!;
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-0.6, 9);
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-0.7, 9);
    expect(r.calls).toBe(6); // 2 reader calls + 2 × 2 scorings
  });

  it('the marginal lets two supporting documents outvote the top one when p(z | x) is flatter', async () => {
    const hits = [toHit(1, 1, 5), toHit(0, 2, 4), toHit(3, 3, 4)]; // Berlin, Paris, Seine ("… flows through Paris …")
    server = await startOpenAIServer({ chat: berlinOrParis });
    const sharp = await realm.run(Q, context(model(server), new FixedRetriever(hits), { topK: 3 }));
    // T = 1: p(z|x) = softmax([5, 4, 4]) = e/(e + 2), 1/(e + 2), 1/(e + 2) = [.576117, .211942, .211942]
    // (cells: " Berlin\n" −.7, " Paris\n" −.6, the end "\n" −.1 included)
    // Berlin = log .576117 − .7 = −.551445 − .7 = −1.251445; Paris = log(2 × .211942) − .6 = −.858298 − .6 = −1.458298
    let d = sharp.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-1.251445, 5);
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-1.458298, 5);
    expect(sharp.answer).toBe('Berlin [1]');

    const flat = await realm.run(Q, context(model(server), new FixedRetriever(hits), { topK: 3 }), { temperature: 10 });
    // T = 10: softmax([.5, .4, .4]) = [.355913, .322043, .322043]
    // Berlin = log .355913 − .7 = −1.033069 − .7 = −1.733069; Paris = log .644087 − .6 = −.439922 − .6 = −1.039922
    d = flat.trace.find((s) => s.kind === 'decide')!;
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-1.733069, 5);
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-1.039922, 5);
    // posterior p(z | x, Paris) ∝ [0, .322043 e^−.6, .322043 e^−.6] = [0, .5, .5] → cite the first of the tie, [2]
    expect(flat.answer).toBe('Paris [2]');
    expect(flat.citations[0]).toMatchObject({ n: 2, docId: 'd0' });
  });

  it("without continuation scoring: the reader's own log-probabilities (p = 0 for documents that did not produce y)", async () => {
    server = await startOpenAIServer({ chat: byDocument });
    const r = await realm.run(Q, context(model(server, { echoScoring: false }), new MemoryRetriever()), { spanOnly: false });
    // Paris from doc 1 (−0.5), Berlin from doc 2 (−0.6): the same numbers as the spans-only test, with no scoring calls
    const d = r.trace.find((s) => s.kind === 'decide')!;
    expect(d.name).toBe('argmax_y Σ_z p(z | x) p(y | z, x) (generation scoring)');
    expect(d.scores!['log p(Paris | x)']).toBeCloseTo(-0.813262, 5);
    expect(d.scores!['log p(Berlin | x)']).toBeCloseTo(-1.913262, 5);
    expect(r.calls).toBe(2);
    expect(chatBodies(server).every((b) => b.logprobs === true)).toBe(true);
    expect(server.count('/v1/completions')).toBe(0);
  });

  it('fails clearly with neither capability, or when continuation scoring is asked for and missing', async () => {
    server = await startOpenAIServer({ chat: byDocument, logprobs: false });
    await expect(realm.run(Q, context(model(server, { echoScoring: false, logprobs: false }), new MemoryRetriever()))).rejects.toThrow(CapabilityError);
    await expect(realm.run(Q, context(model(server, { echoScoring: false }), new MemoryRetriever()), { scoring: 'continuation' })).rejects.toThrow(/cannot score continuations/);
    await expect(realm.run(Q, context(model(server), new MemoryRetriever()), { temperature: 0 })).rejects.toThrow(/temperature must be a finite number > 0, got 0/);
    expect(server.count('/chat/completions')).toBe(0);
  });
});
