/**
 * `openbook eval qa --methods extractive,naive --judge nli --nli-model <tiny>` end to end: a child
 * process on a SQuAD file the test writes, the loopback server (test/support/openai-server.ts)
 * standing in for the answering model, and the tiny NLI graph (test/support/tiny-onnx.ts) as the
 * judge. The texts use the tiny vocabulary (cat, dog, sat, play; anything else is [UNK]).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from '../support/openai-server.js';
import { TINY_CROSS_ENCODER, TINY_NLI, writeTinyClassifierFolder } from '../support/tiny-onnx.js';

let dir: string;
let server: OpenAIServer;

/** No model from the test's own environment: each test names the one it scripts. */
const NO_MODEL_ENV = { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_LLM_MODEL: '', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL: '', OPENBOOK_EMBED_MODEL_DIR: '', OPENAI_API_KEY: '' };
const run = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, { ...NO_MODEL_ENV, ...env });

/** naive's scripted answers: q1 uncited, q2 cites a passage that does not support it, q3 empty. */
function reply(req: ChatRequest): string {
  const prompt = req.messages.at(-1)!.content;
  if (prompt.includes('cat dog?')) return 'cat dog.';
  if (prompt.includes('sat play?')) return 'zebra [1].';
  return '';
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-grounded-cli-'));
  const squad = {
    version: '1.1',
    data: [
      {
        title: 'T',
        paragraphs: [
          { context: 'cat dog dog.', qas: [{ id: 'q1', question: 'cat dog?', answers: [{ text: 'dog dog', answer_start: 4 }] }] },
          { context: 'sat play.', qas: [{ id: 'q2', question: 'sat play?', answers: [{ text: 'play', answer_start: 4 }] }] },
          { context: 'sat sat.', qas: [{ id: 'q3', question: 'zebra?', answers: [{ text: 'sat', answer_start: 0 }] }] },
        ],
      },
    ],
  };
  writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(squad));
  writeTinyClassifierFolder(path.join(dir, 'tiny-nli'), TINY_NLI);
  writeTinyClassifierFolder(path.join(dir, 'tiny-ce'), TINY_CROSS_ENCODER);
  server = await startOpenAIServer({ chat: (req) => reply(req) });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const llmEnv = () => ({ OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENAI_API_KEY: 'sk-test' });

describe('openbook eval qa --judge nli', () => {
  it('prints EM, F1, citation recall/precision and faithfulness, each with its interval, and names the unscored items', async () => {
    const out = path.join(dir, 'run');
    const args = ['eval', 'qa', '--dataset', 'dev.json', '--analyzer', 'standard', '--methods', 'extractive,naive', '-k', '2', '--judge', 'nli', '--nli-model', 'tiny-nli', '--out', out];
    const r = await run([...args, '--json'], llmEnv());
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    // BM25 (k 2): q1 → "cat dog dog."; q2 → "sat play.", "sat sat."; q3 (zebra) → nothing.
    // Tiny NLI (e, n, c): premise +2 e per cat/dog (A of them); hypothesis −1 e per cat/dog, +0.5 n per [UNK] ("zebra", "."), +1 c per "sat".
    // extractive: q1 quotes "cat dog dog. [1]": (2·3 − 3, 0.5, 0) → supported, precise, faithful. It refuses q2 and q3 → unscored.
    //   citation recall = precision = faithfulness = 1 over 1 item
    // naive: q1 "cat dog." (naive cites its one passage: "cat dog. [1]"): (2·3 − 2, 0.5, 0) → supported, precise, faithful.
    //   q2 "zebra [1]." cites "sat play." (A 0): (0, 1, 0) → unsupported; context A 0 → unfaithful. q3 "" → unscored.
    //   recall = precision = faithfulness = (1 + 0)/2 = 0.5
    const [ex, naive] = res.comparison;
    expect([ex.name, naive.name]).toEqual(['extractive', 'naive']);
    expect(ex.metrics).toMatchObject({ 'citation recall': 1, 'citation precision': 1, faithfulness: 1 });
    expect(naive.metrics).toMatchObject({ 'citation recall': 0.5, 'citation precision': 0.5, faithfulness: 0.5 });
    expect([ex.n['citation recall'], naive.n['citation recall'], naive.n.EM]).toEqual([1, 2, 3]);
    // naive EM/F1: q1 "cat dog" vs "dog dog": one shared token → P 1/2, R 1/2, F1 0.5; q2, q3 0 → F1 mean 1/6
    expect(naive.metrics.EM).toBe(0);
    expect(naive.metrics.F1).toBeCloseTo(1 / 6, 10);
    // intervals: naive (1, 0) → resample means 0, 0.5, 1 with p 1/4, 1/2, 1/4 → [0, 1]; extractive's one 1 → [1, 1]
    expect(naive.ci.faithfulness).toEqual({ low: 0, high: 1 });
    expect(ex.ci['citation recall']).toEqual({ low: 1, high: 1 });
    // paired test over the items both scored (q1): d = 1 − 1 = 0 → every assignment ties → p = 1
    expect(naive.pValue['citation recall']).toBe(1);
    expect(res.unscored.extractive['citation recall']).toEqual({ count: 2, reason: 'the answer has no statement to judge (empty or refused)' });
    expect(res.unscored.naive['citation recall']).toEqual({ count: 1, reason: 'the answer has no statement to judge (empty or refused)' });
    expect(res.judge).toBe('nli:local:tiny-nli');
    // the table and the saved report
    const t = await run(args.map((a) => (a === out ? `${out}-2` : a)), llmEnv());
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/metric +extractive \[95% CI\] +naive \[95% CI\] +p/);
    expect(t.stdout).toMatch(/citation recall +1\.0000 \[1\.0000, 1\.0000\] +0\.5000 \[0\.0000, 1\.0000\] +1\.0000/);
    expect(t.stdout).toMatch(/faithfulness +1\.0000 \[1\.0000, 1\.0000\] +0\.5000 \[0\.0000, 1\.0000\]/);
    expect(t.stdout).toMatch(/naive: citation recall unscored for 1 of 3 \(the answer has no statement to judge/);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/\| citation precision \| 1\.0000 \[1\.0000, 1\.0000\] \| 0\.5000 \[0\.0000, 1\.0000\] \|/);
  });

  it('eval qa --methods --rerank cross-encoder answers from the reranked passages', async () => {
    const out = path.join(dir, 'run-rerank');
    const r = await run(['eval', 'qa', '--dataset', 'dev.json', '--analyzer', 'standard', '--methods', 'extractive', '-k', '2', '--rerank', 'cross-encoder', '--rerank-model', 'tiny-ce', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).config.rerank).toEqual({ reranker: 'cross-encoder:local:tiny-ce', depth: 50, firstStageWeight: 0 });
    // q2 "sat play?": candidates "sat play." and "sat sat."; tiny cross-encoder logits (passage words: sat −1, play 0.5, "." [UNK] 0)
    // "sat play." = −0.5, "sat sat." = −2 → the retrieve step's scores are the rerank scores, in that order
    const q2 = readFileSync(path.join(out, 'traces.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.id === 'q2');
    expect(q2.trace[0].output.map((h: { score: number }) => h.score)).toEqual([-0.5, -2]);
    expect(q2.passages.map((p: { text: string }) => p.text)).toEqual(['sat play.', 'sat sat.']);
  });

  it('refuses --judge nli without a model folder, and --judge without --methods', async () => {
    const a = await run(['eval', 'qa', '--dataset', 'dev.json', '--methods', 'extractive', '--judge', 'nli']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--judge nli needs --nli-model DIR/);
    const b = await run(['eval', 'qa', '--dataset', 'dev.json', '--judge', 'nli']);
    expect(b.stderr).toMatch(/--judge scores the answers of --methods/);
  });
});
