import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityError, InvalidParameterError, ModelError } from '../../src/core/errors.js';
import { OpenAICompatibleModel, type OpenAICompatibleOptions } from '../../src/models/openai-compatible.js';
import { startOpenAIServer, type OpenAIServer, type OpenAIServerOptions } from '../support/openai-server.js';
import { languageModelContract } from './language-model-contract.js';

/** A model client on a fresh stand-in server; the fixture closes the server. */
async function fixture(serverOptions: OpenAIServerOptions = {}, modelOptions: Partial<OpenAICompatibleOptions> = {}, probe = false) {
  const server = await startOpenAIServer(serverOptions);
  const model = new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model', maxRetries: 0, ...modelOptions });
  if (probe) await model.probeCapabilities();
  return { model, server, close: () => server.close() };
}

describe('OpenAICompatibleModel against a test server standing in for a full-featured model', () => {
  languageModelContract(() => fixture({ chat: () => 'one, two, three. A short fact.' }));
});

describe('OpenAICompatibleModel against a test server standing in for a model without logprobs or echo (probed)', () => {
  languageModelContract(() => fixture({ logprobs: false, echo: false, chat: () => 'one, two, three.' }, {}, true));
});

describe('OpenAICompatibleModel against a test server standing in for a model', () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const make = (o: Partial<OpenAICompatibleOptions> = {}) => new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model', maxRetries: 0, ...o });

  it('returns per-token logprobs with top alternatives worked out by the stand-in model', async () => {
    server.enqueueChat('Paris is big.');
    const r = await make().generate([{ role: 'user', content: 'capital?' }], { logprobs: true, topLogprobs: 2 });
    // tokens "Paris" " is" " big" "." → −0.1 × trimmed length: −0.5, −0.2, −0.3, −0.1; alt1 = chosen − 1
    expect(r.generations[0].logprobs!.map((t) => [t.token, t.logprob])).toEqual([
      ['Paris', -0.5],
      [' is', -0.2],
      [' big', -0.30000000000000004],
      ['.', -0.1],
    ]);
    expect(r.generations[0].logprobs![0].top).toEqual([
      { token: 'Paris', logprob: -0.5, bytes: [80, 97, 114, 105, 115] }, // the UTF-8 bytes of "Paris"
      { token: '<alt1>', logprob: -1.5, bytes: [60, 97, 108, 116, 49, 62] },
    ]);
    expect(r.generations[0].logprobs![1].bytes).toEqual([32, 105, 115]); // ' is'
    expect(server.requests.at(-1)!.body).toMatchObject({ logprobs: true, top_logprobs: 2, temperature: 0 });
  });

  it('sends stop, max_tokens, n and seed, and reports finish reasons', async () => {
    server.enqueueChat('alpha beta gamma delta');
    const r = await make().generate([{ role: 'user', content: 'x' }], { maxTokens: 2, stop: ['###'], seed: 3, n: 1 });
    expect(r.generations[0]).toEqual({ text: 'alpha beta', finishReason: 'length' });
    expect(server.requests.at(-1)!.body).toMatchObject({ max_tokens: 2, stop: ['###'], seed: 3 });
  });

  it('accounts token usage per call and in total', async () => {
    const model = make();
    server.enqueueChat('a b', 'c');
    // prompt "one two three" = 3 toy tokens; replies "a b" = 2 and "c" = 1 completion tokens
    const r1 = await model.generate([{ role: 'user', content: 'one two three' }]);
    const r2 = await model.generate([{ role: 'user', content: 'one two three' }]);
    expect(r1.usage).toEqual({ promptTokens: 3, completionTokens: 2 });
    expect(r2.usage).toEqual({ promptTokens: 3, completionTokens: 1 });
    expect(model.totalUsage()).toEqual({ promptTokens: 6, completionTokens: 3, requests: 2 });
  });

  it('streams token deltas with logprobs and usage from the final chunk', async () => {
    server.enqueueChat('Hello there, friend');
    const it = make().stream([{ role: 'user', content: 'hi you' }], { stop: [','], logprobs: true });
    const deltas: string[] = [];
    let r = await it.next();
    while (!r.done) {
      deltas.push(r.value);
      r = await it.next();
    }
    expect(deltas).toEqual(['Hello', ' there']);
    expect(r.value.generations[0]).toMatchObject({ text: 'Hello there', finishReason: 'stop' });
    expect(r.value.generations[0].logprobs!.map((t) => t.logprob)).toEqual([-0.5, -0.5]);
    expect(r.value.usage).toEqual({ promptTokens: 2, completionTokens: 2 });
    expect(server.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('scores a continuation from echoed prompt logprobs (completions, echo, logprobs 1, max_tokens 1)', async () => {
    const s = await make().scoreContinuation('The capital of France is', ' Paris');
    // echoed tokens: The capital of France is | Paris | (generated " ok" ignored); " Paris" = −0.5
    expect(s.tokens.map((t) => t.token)).toEqual([' Paris']);
    expect(s.logprob).toBeCloseTo(-0.5, 12);
    expect(server.requests.at(-1)).toMatchObject({
      path: '/v1/completions',
      body: { prompt: 'The capital of France is Paris', echo: true, logprobs: 1, max_tokens: 1 },
    });
  });

  it('counts a token straddling the prompt/continuation boundary as continuation', async () => {
    // "The capital is Paris": the token " Paris" starts at 14, inside the prompt "The capital is " (15 chars)
    const s = await make().scoreContinuation('The capital is ', 'Paris');
    expect(s.tokens.map((t) => t.token)).toEqual([' Paris']);
    expect(s.logprob).toBeCloseTo(-0.5, 12);
  });

  it('measures text_offset in code points, so astral characters in the prompt do not shift the boundary', async () => {
    // "😀😀 is x y": prompt is 5 code points (7 UTF-16 units); tokens " x" @5, " y" @7 → −0.1 + −0.1
    const s = await make().scoreContinuation('😀😀 is', ' x y');
    expect(s.tokens.map((t) => t.token)).toEqual([' x', ' y']);
    expect(s.logprob).toBeCloseTo(-0.2, 12);
  });

  it('rejects an empty prompt for scoring and scores an empty continuation as log 1 = 0 without a call', async () => {
    const model = make();
    await expect(model.scoreContinuation('', 'x')).rejects.toBeInstanceOf(InvalidParameterError);
    const before = server.requests.length;
    expect(await model.scoreContinuation('prompt', '')).toEqual({ logprob: 0, tokens: [] });
    expect(server.requests.length).toBe(before);
  });

  it('validates n, temperature and topLogprobs before any request', async () => {
    const before = server.requests.length;
    await expect(make().generate([{ role: 'user', content: 'x' }], { n: 0 })).rejects.toThrow('n must be an integer ≥ 1, got 0');
    await expect(make().generate([{ role: 'user', content: 'x' }], { temperature: -1 })).rejects.toThrow('temperature must be ≥ 0');
    await expect(make().generate([{ role: 'user', content: 'x' }], { logprobs: true, topLogprobs: 21 })).rejects.toThrow('topLogprobs');
    expect(server.requests.length).toBe(before);
  });

  it('lists the models the endpoint serves', async () => {
    expect(await make().listModels()).toEqual(['test-model']);
  });
});

describe('retries, timeouts, cancellation and concurrency against a test server standing in for a model', () => {
  it('retries 429 honouring Retry-After in seconds, then succeeds', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 3, sleep: async (ms) => void waits.push(ms) });
    const waits: number[] = [];
    server.failNext(2, { status: 429, retryAfter: '2' });
    server.enqueueChat('fine');
    const r = await model.generate([{ role: 'user', content: 'x' }]);
    expect(r.generations[0].text).toBe('fine');
    expect(waits).toEqual([2000, 2000]);
    expect(server.requests.map((q) => q.status)).toEqual([429, 429, 200]);
    await close();
  });

  it('backs off exponentially on 500 without Retry-After (500, 1000, 2000 ms)', async () => {
    const waits: number[] = [];
    const { model, server, close } = await fixture({}, { maxRetries: 3, baseDelayMs: 500, sleep: async (ms) => void waits.push(ms) });
    server.failNext(3, { status: 500 });
    await model.generate([{ role: 'user', content: 'x' }]);
    expect(waits).toEqual([500, 1000, 2000]);
    await close();
  });

  it('gives up after maxRetries with a ModelError naming the call, the status and the attempts', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 1, sleep: async () => {} });
    server.failNext(5, { status: 503, message: 'overloaded' });
    const err = await model.generate([{ role: 'user', content: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions \(model test-model\) failed after 2 attempts: HTTP 503: .*overloaded/);
    expect(server.count('/chat/completions')).toBe(2);
    await close();
  });

  it('does not retry a 400', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 3, sleep: async () => {} });
    server.failNext(1, { status: 400, message: 'bad request' });
    await expect(model.generate([{ role: 'user', content: 'x' }])).rejects.toBeInstanceOf(ModelError);
    expect(server.count('/chat/completions')).toBe(1);
    await close();
  });

  it('refuses to wait when Retry-After exceeds maxDelayMs', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 3, maxDelayMs: 1000, sleep: async () => {} });
    server.failNext(1, { status: 429, retryAfter: '120' });
    await expect(model.generate([{ role: 'user', content: 'x' }])).rejects.toThrow('asked to retry after 120.0 s, longer than maxDelayMs 1000 ms');
    await close();
  });

  it('really waits for retry-after-ms before retrying (real clock)', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 1 });
    server.failNext(1, { status: 429, retryAfterMs: '300' });
    const t0 = Date.now();
    await model.generate([{ role: 'user', content: 'x' }]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await close();
  });

  it('retries opening a stream after a 429', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 2, sleep: async () => {} });
    server.failNext(1, { status: 429, retryAfter: '0' });
    server.enqueueChat('streamed ok');
    const it = model.stream([{ role: 'user', content: 'x' }]);
    let r = await it.next();
    while (!r.done) r = await it.next();
    expect(r.value.generations[0].text).toBe('streamed ok');
    expect(server.requests.map((q) => q.status)).toEqual([429, 200]);
    await close();
  });

  it('times out a slow reply per attempt', async () => {
    const { model, server, close } = await fixture({}, { timeoutMs: 150, maxRetries: 0 });
    server.enqueueChat({ content: 'late', delayMs: 2000 });
    const t0 = Date.now();
    await expect(model.generate([{ role: 'user', content: 'x' }])).rejects.toThrow(/timed out/i);
    expect(Date.now() - t0).toBeLessThan(1500);
    await close();
  });

  it('cancels an in-flight request with an AbortSignal and does not retry it', async () => {
    const { model, server, close } = await fixture({}, { maxRetries: 3 });
    server.enqueueChat({ content: 'late', delayMs: 2000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user cancelled')), 50);
    await expect(model.generate([{ role: 'user', content: 'x' }], { signal: ac.signal })).rejects.toThrow('user cancelled');
    expect(server.count('/chat/completions')).toBe(1);
    await close();
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    let active = 0;
    let peak = 0;
    const server = await startOpenAIServer({
      chat: async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 40));
        active--;
        return 'ok';
      },
    });
    const model = new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model', maxConcurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, () => model.generate([{ role: 'user', content: 'x' }])));
    expect(peak).toBe(2);
    expect(model.totalUsage().requests).toBe(6);
    await server.close();
  });
});

describe('probeCapabilities against test servers standing in for models', () => {
  it('reports everything for a full-featured endpoint', async () => {
    const { model, close } = await fixture();
    const report = await model.probeCapabilities();
    expect(report.capabilities).toEqual({ chat: true, streaming: true, logprobs: true, echoScoring: true, prefill: true });
    expect(report.models).toEqual(['test-model']);
    expect(report.probes.chat.latencyMs).toBeGreaterThanOrEqual(0);
    await close();
  });

  it('reports missing logprobs, streaming and echo scoring, and then raises CapabilityError for them', async () => {
    const { model, close } = await fixture({ logprobs: false, echo: false, streaming: false });
    const report = await model.probeCapabilities();
    expect(report.capabilities).toEqual({ chat: true, streaming: false, logprobs: false, echoScoring: false, prefill: true });
    expect(report.probes.echoScoring.error).toContain('Only no echo is supported');
    expect(report.probes.logprobs.error).toContain('returned no logprobs');
    expect(model.capabilities.logprobs).toBe(false);
    await expect(model.generate([{ role: 'user', content: 'x' }], { logprobs: true })).rejects.toBeInstanceOf(CapabilityError);
    await expect(model.scoreContinuation('a', ' b')).rejects.toThrow(/does not offer continuation scoring/);
    await close();
  });

  it('reports an address where nothing listens as having no capability, after one retry at most', async () => {
    const { server, close } = await fixture();
    const url = server.url;
    await close(); // the port is now closed
    const waits: number[] = [];
    const model = new OpenAICompatibleModel({ baseUrl: url, model: 'test-model', maxRetries: 5, sleep: async (ms) => void waits.push(ms) });
    const report = await model.probeCapabilities();
    expect(report.capabilities).toEqual({ chat: false, streaming: false, logprobs: false, echoScoring: false, prefill: false });
    expect(report.modelsError).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/models failed after 2 attempts: Connection error/);
    expect(waits).toEqual([500]);
    expect(report.probes.chat.error).toBe(report.modelsError);
  });

  it('raises CapabilityError (not a silent empty result) when an unprobed endpoint omits logprobs', async () => {
    const { model, close } = await fixture({ logprobs: false });
    await expect(model.generate([{ role: 'user', content: 'x' }], { logprobs: true })).rejects.toBeInstanceOf(CapabilityError);
    await close();
  });
});
