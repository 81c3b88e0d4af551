/**
 * RetRobust's NLI gate as the authors' code computes it (oriyor/ret-robust, nli/src/utils.py and
 * nli/src/scripts/run_nli.py): hypothesis = question (with "?") + " The answer is: " + answer,
 * premise = the top-1 retrieved passage, p_true = softmax over the [contradiction, entailment]
 * logits only (neutral thrown away), keep the retrieval answer iff p_true > threshold (0.5).
 *
 * A tiny hand-built ONNX classifier (test/support/tiny-onnx.ts) stands in for bart-large-mnli,
 * with bart-large-mnli's label order (0 contradiction, 1 neutral, 2 entailment). Its logits are a
 * sum of per-token weights, so every p_true below is worked out by hand:
 *   premise (segment A): each "cat" adds 2 to entailment, each "dog" adds 1.5 to contradiction;
 *   hypothesis (segment B): each "play" adds 1 to contradiction, each unknown word ([UNK]) adds 1
 *   to neutral; every other token weighs 0.
 * The hypothesis "Where sat the cat? The answer is: <answer>" has six [UNK]s (where, the, ?, the,
 * answer, is), so its neutral logit is 6 — larger than entailment in every case: a three-way
 * argmax would always say neutral, and the gate must not care.
 * The loopback OpenAI-compatible server stands in for the LLM.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/core/types.js';
import type { NliModel } from '../../src/methods/method.js';
import { retrobust, retrobustHypothesis } from '../../src/methods/retrobust.js';
import { OnnxNliModel } from '../../src/models/nli.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import type { RunningServer } from '../../src/server/listen.js';
import { AnswerResponse } from '../../src/server/schemas.js';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { tinyWeightRows, writeTinyClassifierFolder, type TinyClassifierWeights } from '../support/tiny-onnx.js';
import { makeFixture, startOn } from '../server/helpers.js';
import { chatBodies, context, FixedRetriever, lastUser, model } from './support/memory.js';

/** The bart-large-mnli-shaped stand-in described in the module comment. */
const TINY_BART_NLI: TinyClassifierWeights = {
  weightsA: tinyWeightRows(3, { cat: [0, 0, 2], dog: [1.5, 0, 0] }),
  weightsB: tinyWeightRows(3, { play: [1, 0, 0], '[UNK]': [0, 1, 0] }),
  labels: ['contradiction', 'neutral', 'entailment'],
};

/** onnxruntime-node is an optional peer (a dev dependency here); without it the ONNX tests cannot run. */
const hasOrt = (() => {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();
if (!hasOrt) console.warn('retrobust-nli: ONNX tests skipped: onnxruntime-node is not installed (an optional peer; see README, "local model stack")');

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
const root = mkdtempSync(path.join(tmpdir(), 'openbook-retrobust-nli-'));
const nliDir = writeTinyClassifierFolder(path.join(root, 'nli-bart'), TINY_BART_NLI);
const nli = new OnnxNliModel({ modelDir: nliDir, threads: 1 });
afterAll(async () => {
  await nli.close();
  rmSync(root, { recursive: true, force: true });
});

let server: OpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(async () => {
  await server.close();
});

const Q = 'Where sat the cat?';
function hit(i: number, text: string): Hit {
  return { rank: i + 1, score: 1 / (i + 1), docId: `p${i}`, chunkId: `p${i}#0`, source: `p${i}.txt`, title: '', text, startLine: 1, endLine: 1 };
}
const gateStep = (r: { trace: Array<{ kind: string; name: string; scores?: Record<string, number> }> }) => r.trace.filter((s) => s.kind === 'score');

describe('the official hypothesis', () => {
  it('is question + "? The answer is: " + answer, adding the question mark only when missing, markers stripped', () => {
    expect(retrobustHypothesis('Where sat the cat?', 'dog [1]')).toBe('Where sat the cat? The answer is: dog');
    expect(retrobustHypothesis('  Where sat the cat  ', 'dog')).toBe('Where sat the cat? The answer is: dog');
    expect(retrobustHypothesis('고양이는 어디 앉았나?', '매트 [2][3]')).toBe('고양이는 어디 앉았나? The answer is: 매트');
  });
});

describe.skipIf(!hasOrt)('OnnxNliModel (the tiny ONNX classifier stands in for bart-large-mnli)', () => {
  it('maps the logits to probabilities by the labels of config.json id2label', async () => {
    // premise "cat", hypothesis "cat play": logits (c, n, e) = (1, 0, 2); softmax over all three
    const p = await nli.classify('cat', 'cat play');
    const z = Math.exp(1) + Math.exp(0) + Math.exp(2);
    expect(p.contradiction).toBeCloseTo(Math.exp(1) / z, 6);
    expect(p.neutral).toBeCloseTo(1 / z, 6);
    expect(p.entailment).toBeCloseTo(Math.exp(2) / z, 6);
    expect(nli.id).toBe('local:nli-bart');
  });

  it('truncates the premise only, as the authors\' code does (truncation_strategy="only_first")', async () => {
    // maxLength 7 leaves 4 tokens after [CLS] [SEP] [SEP]: hypothesis "play play play" (3) stays whole,
    // the premise "cat cat cat cat cat cat" keeps 1 cat → (c, n, e) = (3, 0, 2), p_true = σ(2 − 3).
    // longest_first would keep 2 cats and 2 plays: (2, 0, 4), p_true = σ(2).
    const short = new OnnxNliModel({ modelDir: nliDir, threads: 1, maxLength: 7 });
    try {
      const p = await short.classify('cat cat cat cat cat cat', 'play play play');
      expect(p.entailment / (p.entailment + p.contradiction)).toBeCloseTo(sigma(-1), 6);
    } finally {
      await short.close();
    }
  });

  it('refuses a folder whose labels have no contradiction or no entailment, naming config.json', async () => {
    const dir = writeTinyClassifierFolder(path.join(root, 'two-labels'), { weightsA: tinyWeightRows(2), weightsB: tinyWeightRows(2), labels: ['positive', 'negative'] });
    const bad = new OnnxNliModel({ modelDir: dir, threads: 1 });
    await expect(bad.load()).rejects.toThrow(/config\.json.*id2label.*entailment/);
    await bad.close();
  });
});

describe.skipIf(!hasOrt)('RetRobust gate with the tiny ONNX NLI model (stands in for bart-large-mnli)', () => {
  it('keeps the retrieval answer when p_true = softmax([c, e])[e] > 0.5, though neutral is the largest logit', async () => {
    // premise "cat" (top-1), hypothesis "… The answer is: dog": (c, n, e) = (0, 6, 2) → p_true = σ(2) = 0.8808
    server.enqueueChat('dog [1]');
    const r = await retrobust.run(Q, context(model(server), new FixedRetriever([hit(0, 'cat'), hit(1, 'dog')]), { nli }));
    expect(r.answer).toBe('dog [1]');
    expect(r.citations[0].chunkId).toBe('p0#0');
    const [step] = gateStep(r);
    expect(step.name).toContain('local:nli-bart');
    expect(step.scores!.p_true).toBeCloseTo(sigma(2), 6);
    expect(step.scores!.neutral).toBeGreaterThan(step.scores!.entailment);
    expect(r.calls).toBe(2); // answer + 1 NLI check of the top-1 passage
  });

  it('falls back to the closed-book answer when p_true ≤ 0.5 (strict: exactly 0.5 does not keep)', async () => {
    // "play play play": (c, n, e) = (3, 6, 2) → p_true = σ(−1) = 0.2689
    server.enqueueChat('play play play [1]', 'dog');
    const low = await retrobust.run(Q, context(model(server), new FixedRetriever([hit(0, 'cat')]), { nli }));
    expect(low.answer).toBe('dog');
    expect(low.citations).toEqual([]);
    expect(gateStep(low)[0].scores!.p_true).toBeCloseTo(sigma(-1), 6);
    // "play play": (2, 6, 2) → p_true = 0.5 exactly: not > 0.5
    server.enqueueChat('play play [1]', 'dog');
    const tie = await retrobust.run(Q, context(model(server), new FixedRetriever([hit(0, 'cat')]), { nli }));
    expect(gateStep(tie)[0].scores!.p_true).toBeCloseTo(0.5, 9);
    expect(tie.answer).toBe('dog');
    // the threshold is settable: 0.4 keeps the tie, 0.9 drops σ(2) = 0.8808
    server.enqueueChat('play play [1]');
    expect((await retrobust.run(Q, context(model(server), new FixedRetriever([hit(0, 'cat')]), { nli }), { threshold: 0.4 })).answer).toBe('play play [1]');
    server.enqueueChat('dog [1]', 'mat');
    expect((await retrobust.run(Q, context(model(server), new FixedRetriever([hit(0, 'cat')]), { nli }), { threshold: 0.9 })).answer).toBe('mat');
  });

  it('reads only the top-1 passage by default; premise=each keeps the answer when any passage passes', async () => {
    // top-1 "dog": (c, n, e) = (1.5, 6, 0) → σ(−1.5) = 0.1824, dropped; passage 2 "cat" would pass (σ(2))
    const hits = [hit(0, 'dog'), hit(1, 'cat')];
    server.enqueueChat('dog [2]', 'mat');
    const top = await retrobust.run(Q, context(model(server), new FixedRetriever(hits), { nli }));
    expect(top.answer).toBe('mat');
    expect(gateStep(top).map((s) => s.scores!.p_true)).toEqual([expect.closeTo(sigma(-1.5), 6)]);
    server.enqueueChat('dog [2]');
    const each = await retrobust.run(Q, context(model(server), new FixedRetriever(hits), { nli }), { premise: 'each' });
    expect(each.answer).toBe('dog [2]');
    expect(gateStep(each).map((s) => s.scores!.p_true)).toEqual([expect.closeTo(sigma(-1.5), 6), expect.closeTo(sigma(2), 6)]);
    await expect(retrobust.run(Q, context(model(server), new FixedRetriever(hits), { nli }), { premise: 'all' as never })).rejects.toThrow(/premise must be one of top-1, each/);
  });

  it('a fixed-probability NLI stands in for a model: p_true = e / (e + c), neutral ignored', async () => {
    const fixed: NliModel = { id: 'fixed-nli', classify: async () => ({ entailment: 0.3, neutral: 0.6, contradiction: 0.1 }) };
    server.enqueueChat('Paris [1]');
    const kept = await retrobust.run(Q, context(model(server), new FixedRetriever([hit(0, 'cat')]), { nli: fixed }));
    expect(kept.answer).toBe('Paris [1]'); // 0.3 / 0.4 = 0.75 > 0.5
    expect(gateStep(kept)[0].scores!.p_true).toBeCloseTo(0.75, 12);
  });
});

describe('RetRobust gate through the LLM (no NLI model configured; labelled as an approximation)', () => {
  it('asks the LLM once, about the top-1 passage and the official hypothesis; its label counts one-hot', async () => {
    server.enqueueChat('Berlin [2]', 'contradiction', 'Paris');
    const r = await retrobust.run('What is the capital of France?', context(model(server), new FixedRetriever([hit(0, 'Paris is the capital of France.'), hit(1, 'Berlin is in Germany.')])));
    expect(r.answer).toBe('Paris');
    expect(r.calls).toBe(3); // answer + 1 NLI question + closed-book
    expect(lastUser(chatBodies(server)[1])).toContain('Premise: Paris is the capital of France.');
    expect(lastUser(chatBodies(server)[1])).toContain('Hypothesis: What is the capital of France? The answer is: Berlin');
    const step = r.trace.find((s) => s.name.includes('LLM as NLI'))!;
    expect(step.name).toMatch(/approximation/);
    expect(step.scores!.p_true).toBe(0);
  });
});

describe.skipIf(!hasOrt)('--nli-model through the CLI, eval qa and the server (tiny ONNX NLI stands in for bart-large-mnli)', () => {
  it('openbook ask --method retrobust --nli-model DIR, and nli.modelDir from OPENBOOK_NLI_MODEL_DIR', async () => {
    const work = path.join(root, 'cli');
    mkdirSync(path.join(work, 'docs'), { recursive: true });
    writeFileSync(path.join(work, 'docs', 'a.txt'), 'cat\n');
    writeFileSync(path.join(work, 'docs', 'b.txt'), 'dog\n');
    const env = { OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL_DIR: '', OPENBOOK_NLI_MODEL_DIR: '' };
    expect((await runCli(work, ['index', 'docs'], env)).code).toBe(0);
    // BM25 ranks a.txt ("cat") first for the question: premise "cat", answer "dog" → p_true = σ(2)
    server.enqueueChat('dog [1]');
    const r = await runCli(work, ['ask', Q, '--method', 'retrobust', '--nli-model', nliDir, '-k', '1', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { answer: string; trace: Array<{ name: string; scores?: Record<string, number> }> };
    expect(a.answer).toBe('dog [1]');
    const step = a.trace.find((s) => s.name.includes('local:nli-bart'))!;
    expect(step.scores!.p_true).toBeCloseTo(sigma(2), 6);
    // the same folder from the environment (config key nli.modelDir): "play play play" → σ(−1), closed-book
    // (the question without its "?" gets one in the hypothesis; a new question also misses the response cache)
    server.enqueueChat('play play play [1]', 'mat');
    const e = await runCli(work, ['ask', 'Where sat the cat', '--method', 'retrobust', '-k', '1', '--json'], { ...env, OPENBOOK_NLI_MODEL_DIR: nliDir });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).answer).toBe('mat');
  });

  it('openbook eval qa --methods retrobust --nli-model DIR gates with the model', async () => {
    const work = path.join(root, 'eval');
    mkdirSync(work, { recursive: true });
    const squad = { version: '1.1', data: [{ title: 'Pets', paragraphs: [{ context: 'cat', qas: [{ id: 'q1', question: Q, answers: [{ text: 'dog', answer_start: 0 }] }] }] }] };
    writeFileSync(path.join(work, 'dev.json'), JSON.stringify(squad));
    server.enqueueChat('dog [1]');
    const out = path.join(work, 'run');
    const r = await runCli(work, ['eval', 'qa', '--dataset', 'dev.json', '--analyzer', 'standard', '--methods', 'retrobust', '--nli-model', nliDir, '-k', '1', '--out', out], {
      OPENBOOK_LLM_BASE_URL: server.url,
      OPENBOOK_LLM_MODEL: 'test-model',
      OPENBOOK_EMBED_BASE_URL: '',
      OPENBOOK_EMBED_MODEL_DIR: '',
    });
    expect(r.code, r.stderr).toBe(0);
    const [rec] = readFileSync(path.join(out, 'traces.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prediction: string; trace: Array<{ name: string; scores?: Record<string, number> }> });
    expect(rec.trace.find((s) => s.name.includes('local:nli-bart'))!.scores!.p_true).toBeCloseTo(sigma(2), 6);
  });

  it('the server runs retrobust with the configured NLI model (models.nli)', async () => {
    const fx = await makeFixture();
    const llm = new OpenAICompatibleModel({ baseUrl: server.url, model: 'stand-in', maxRetries: 0 });
    let srv: RunningServer | undefined;
    try {
      srv = await startOn(fx, {}, { models: { llm, nli } });
      // every premise and hypothesis word of the fixture is [UNK] in the tiny vocabulary: (c, e) = (0, 0) → p_true 0.5 → closed-book
      server.enqueueChat('saturation [1]', 'closed-book guess');
      const res = await fetch(`${srv.url}/v1/ask`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ question: 'What does k1 control?', method: 'retrobust', k: 1 }) });
      expect(res.status).toBe(200);
      const a = AnswerResponse.parse(await res.json());
      expect(a.answer).toBe('closed-book guess');
      const step = a.trace!.find((s) => s.name.includes('local:nli-bart'))!;
      expect(step.scores!.p_true).toBeCloseTo(0.5, 9);
    } finally {
      await srv?.close();
      rmSync(fx.dir, { recursive: true, force: true });
    }
  });
});
