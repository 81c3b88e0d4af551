/**
 * `openbook train-data search-r1`: Search-R1 rollouts over a QA dataset's BM25 index, exported as
 * trajectories for an RL trainer — the prompt, the response as segments with their loss mask (1 =
 * model text, 0 = retrieved <information> text, masked out of the loss as the reference's `info_mask`
 * does) and the exact-match reward. A child process per run; the loopback server stands in for a
 * Search-R1 checkpoint on /v1/completions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrompt } from '../../src/methods/prompts.js';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

let dir: string;
let server: OpenAIServer;

/** Searches once with the question's country, then answers Paris (right for France, wrong for Germany). */
function checkpoint(prompt: string): string {
  const country = /capital of (\w+)\?/.exec(prompt)![1];
  if (!prompt.includes('\n\n<information>')) return `<think>Look it up.</think>\n<search> capital of ${country} </search>`;
  return '<answer> Paris </answer>';
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-sr1-cli-'));
  const squad = {
    version: 'test',
    data: [
      {
        title: 'Capitals',
        paragraphs: [
          { context: 'Paris is the capital of France.', qas: [{ id: 'q1', question: 'What is the capital of France?', answers: [{ text: 'Paris', answer_start: 0 }] }] },
          { context: 'Berlin is the capital of Germany.', qas: [{ id: 'q2', question: 'What is the capital of Germany?', answers: [{ text: 'Berlin', answer_start: 0 }] }] },
        ],
      },
    ],
  };
  writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify(squad));
  server = await startOpenAIServer({ complete: checkpoint });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('train-data search-r1 (the loopback server stands in for a Search-R1 checkpoint)', () => {
  it('writes one trajectory per question: prompt, masked segments, answer and exact-match reward', async () => {
    const r = await runCli(dir, ['train-data', 'search-r1', '--dataset', 'tiny.json', '--out', 'sr1.jsonl', '--cache', 'cache', '--json'], {
      OPENBOOK_LLM_BASE_URL: server.url,
      OPENBOOK_LLM_MODEL: 'test-model',
      OPENBOOK_EMBED_BASE_URL: '',
      OPENBOOK_EMBED_MODEL_DIR: '',
    });
    expect(r.code, r.stderr).toBe(0);
    const recs = readFileSync(path.join(dir, 'sr1.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; prompt: string; response: string; segments: Array<{ text: string; loss: number }>; answer: string; reward: number; golds: string[]; searches: number });
    const byId = Object.fromEntries(recs.map((x) => [x.id, x]));
    expect(Object.keys(byId).sort()).toEqual(['q1', 'q2']);
    const q1 = byId.q1;
    expect(q1.prompt).toBe(renderPrompt('searchr1.user', { question: 'What is the capital of France?' }));
    expect(q1.segments.map((s) => s.loss)).toEqual([1, 0, 1]);
    expect(q1.segments[0].text).toBe('<think>Look it up.</think>\n<search> capital of France </search>');
    // BM25 over the two paragraphs: the France paragraph first; the block is numbered from Doc 1
    expect(q1.segments[1].text).toMatch(/^\n\n<information>Doc 1\(Title: [^)]*\) Paris is the capital of France\.\nDoc 2\(Title: [^)]*\) Berlin is the capital of Germany\.<\/information>\n\n$/);
    expect(q1.segments[2].text).toBe('<answer> Paris </answer>');
    expect(q1.response).toBe(q1.segments.map((s) => s.text).join(''));
    expect(q1.answer).toBe('Paris');
    expect(q1.reward).toBe(1);
    expect(q1.searches).toBe(1);
    expect(byId.q2.answer).toBe('Paris');
    expect(byId.q2.golds).toEqual(['Berlin']);
    expect(byId.q2.reward).toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; meanReward: number };
    expect(summary.records).toBe(2);
    expect(summary.meanReward).toBe(0.5);
  });
});
