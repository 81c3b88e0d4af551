/**
 * `openbook train-data raft --from-index`: RAFT's point is an unlabelled domain corpus, so the
 * questions come from the model over the user's own indexed chunks. A child process; the
 * loopback server stands in for the model (scripted replies, in order).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

let dir: string;
let server: OpenAIServer;
const env = () => ({ OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL_DIR: '' });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-raft-chunks-'));
  mkdirSync(path.join(dir, 'notes'));
  writeFileSync(path.join(dir, 'notes', 'a.txt'), 'The reactor cools with heavy water.\n');
  writeFileSync(path.join(dir, 'notes', 'b.txt'), 'The turbine hall is east of the reactor.\n');
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('train-data raft --from-index (the loopback server stands in for the model)', () => {
  it('writes one record per generated question, the chunk as oracle, the model\'s answer as target', async () => {
    expect((await runCli(dir, ['index', 'notes'], env())).code).toBe(0);
    // chunks in index order: notes/a.txt, notes/b.txt; one question each, then its answer
    server.enqueueChat(
      '1. What does the reactor cool with?',
      '##Reason: ##begin_quote##The reactor cools with heavy water.##end_quote##\n<ANSWER>: heavy water',
      '1. Where is the turbine hall?',
      '##Reason: ##begin_quote##The turbine hall is east of the reactor.##end_quote##\n<ANSWER>: east of the reactor',
    );
    const r = await runCli(dir, ['train-data', 'raft', '--from-index', '--questions-per-chunk', '1', '-k', '1', '--out', 'raft.jsonl', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; questions: number; dataset: string };
    expect(summary.records).toBe(2);
    const recs = readFileSync(path.join(dir, 'raft.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { question: string; answers: string[]; context: Array<{ role: string; text: string }>; questionSource: string });
    expect(recs.map((x) => [x.question, x.answers[0]])).toEqual([
      ['What does the reactor cool with?', 'heavy water'],
      ['Where is the turbine hall?', 'east of the reactor'],
    ]);
    // the oracle of the first is a.txt's chunk; b.txt never holds "heavy water", so it can be its distractor
    const withOracle = recs[0].context.find((p) => p.role === 'oracle');
    if (withOracle) expect(withOracle.text).toContain('heavy water');
    expect(recs.every((x) => x.questionSource === 'model:openai-compatible:test-model')).toBe(true);
  });

  it('needs a model, and --dataset or --from-index', async () => {
    const none = await runCli(dir, ['train-data', 'raft', '--out', 'x.jsonl'], env());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--dataset <path> or --from-index/);
    const noModel = await runCli(dir, ['train-data', 'raft', '--from-index', '--out', 'x.jsonl'], { OPENBOOK_LLM_BASE_URL: '' });
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/--from-index needs a language model/);
  });
});
