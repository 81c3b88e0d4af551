/**
 * `openbook eval qa --methods …` and `openbook eval retrieval --retriever dense|hybrid` end to
 * end: each command is a child process on data files the test writes; a real HTTP server on
 * 127.0.0.1 (test/support/openai-server.ts) stands in for the language model and the embedding
 * endpoint, and a tiny ONNX folder (test/support/tiny-onnx.ts) stands in for a local embedding model.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from '../support/openai-server.js';
import { writeTinyModelFolder } from '../support/tiny-onnx.js';

const SECRET = 'sk-test-secret-0123456789abcdef';

let dir: string;
let server: OpenAIServer;

/** Runs the CLI asynchronously (the server lives in this process, so spawnSync would block it). */
/** No model from the test's own environment: each test names the one it scripts. */
const NO_MODEL_ENV = { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_LLM_MODEL: '', OPENBOOK_EMBED_BASE_URL: '', OPENBOOK_EMBED_MODEL: '', OPENBOOK_EMBED_MODEL_DIR: '', OPENAI_API_KEY: '' };
const run = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, { ...NO_MODEL_ENV, ...env });

/**
 * The scripted model. Naive RAG's prompt holds "Passages:", closed-book's does not.
 *   naive:       q1 "because they are happy [1]", q2 "Dogs [1]", q3 "The morning."
 *   closed-book: q1 "purring",                    q2 "dogs",     q3 "at night"
 */
function scriptedReply(req: ChatRequest): string {
  const prompt = req.messages.at(-1)!.content;
  const open = prompt.includes('Passages:');
  if (prompt.includes('Why do cats purr?')) return open ? 'because they are happy [1]' : 'purring';
  if (prompt.includes('Who barks at strangers?')) return open ? 'Dogs [1]' : 'dogs';
  if (prompt.includes('When do birds sing?')) return open ? 'The morning.' : 'at night';
  return 'unscripted';
}

// A SQuAD v1.1 file: three one-sentence paragraphs, one question each.
const squad = {
  version: '1.1',
  data: [
    {
      title: 'Pets',
      paragraphs: [
        { context: 'Cats purr when they are happy.', qas: [{ id: 'q1', question: 'Why do cats purr?', answers: [{ text: 'they are happy', answer_start: 16 }] }] },
        { context: 'Dogs bark at strangers.', qas: [{ id: 'q2', question: 'Who barks at strangers?', answers: [{ text: 'dogs', answer_start: 0 }] }] },
      ],
    },
    {
      title: 'Birds',
      paragraphs: [{ context: 'Birds sing in the morning.', qas: [{ id: 'q3', question: 'When do birds sing?', answers: [{ text: 'in the morning', answer_start: 11 }, { text: 'morning', answer_start: 18 }] }] }],
    },
  ],
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-eval-methods-'));
  writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(squad));
  // A BEIR folder: empty titles, so the embedded text is the document text itself.
  // q1 "alpha beta" → d1 "alpha beta"; q2 "to be or not to be" → d2, all English stop words.
  const beir = path.join(dir, 'beir');
  mkdirSync(path.join(beir, 'qrels'), { recursive: true });
  const docs = [
    ['d1', 'alpha beta'],
    ['d2', 'to be or not to be'],
    ['d3', 'gamma delta'],
    ['d4', 'alpha gamma'],
  ];
  writeFileSync(path.join(beir, 'corpus.jsonl'), docs.map(([id, text]) => JSON.stringify({ _id: id, title: '', text })).join('\n') + '\n');
  writeFileSync(path.join(beir, 'queries.jsonl'), [JSON.stringify({ _id: 'q1', text: 'alpha beta' }), JSON.stringify({ _id: 'q2', text: 'to be or not to be' })].join('\n') + '\n');
  writeFileSync(path.join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n');
  // The tiny ONNX model knows cat, dog, sat (everything else is [UNK]).
  const tiny = path.join(dir, 'beir-tiny');
  mkdirSync(path.join(tiny, 'qrels'), { recursive: true });
  writeFileSync(path.join(tiny, 'corpus.jsonl'), [['d1', 'cat cat'], ['d2', 'dog'], ['d3', 'sat']].map(([id, text]) => JSON.stringify({ _id: id, title: '', text })).join('\n') + '\n');
  writeFileSync(path.join(tiny, 'queries.jsonl'), [JSON.stringify({ _id: 'q1', text: 'cat' }), JSON.stringify({ _id: 'q2', text: 'dog' })].join('\n') + '\n');
  writeFileSync(path.join(tiny, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n');
  writeTinyModelFolder(path.join(dir, 'tiny-model'), { pooling: 'mean', normalizeModule: true });
  server = await startOpenAIServer({ chat: (req) => scriptedReply(req) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const llmEnv = () => ({ OPENBOOK_LLM_BASE_URL: server.url, OPENBOOK_LLM_MODEL: 'test-model', OPENAI_API_KEY: SECRET });
const embedEnv = (model = 'test-embed') => ({ OPENBOOK_EMBED_BASE_URL: server.url, OPENBOOK_EMBED_MODEL: model });

describe('openbook eval qa --methods (loopback server stands in for the model)', () => {
  it('prints one row per method and saves config, traces and report; EM/F1 match the scripted answers', async () => {
    const out = path.join(dir, 'run-a');
    const r = await run(['eval', 'qa', '--dataset', 'dev.json', '--analyzer', 'standard', '--methods', 'extractive,naive,closed-book', '-k', '2', '--seed', '3', '--out', out], llmEnv());
    expect(r.code, r.stderr).toBe(0);

    // The table: header names every column, one row per method in the order given.
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('method'))!;
    expect(header.split(/\s{2,}/)).toEqual(['method', 'n', 'EM', 'F1', 'Recall@2', 'calls', 'tokens', 'seconds', 'errors']);
    const row = (m: string) => lines.find((l) => l.startsWith(m + ' '))!.split(/\s{2,}/);

    // naive (SQuAD normalisation, markers removed):
    //   q1 "because they are happy" vs "they are happy": EM 0; 3 shared of 4 → P 3/4, R 1 → F1 6/7
    //   q2 "Dogs" vs "dogs": EM 1, F1 1;  q3 "The morning." → "morning" = gold "morning": EM 1, F1 1
    //   EM 2/3 = 0.6667; F1 (6/7 + 2)/3 = 0.952381
    expect(row('naive').slice(0, 6)).toEqual(['naive', '3', '0.6667', '0.9524', '1.0000', '3']);
    // closed-book: q1 "purring" 0/0, q2 "dogs" 1/1, q3 "at night" 0/0 → EM = F1 = 1/3; no passages → Recall "–"
    expect(row('closed-book').slice(0, 6)).toEqual(['closed-book', '3', '0.3333', '0.3333', '–', '3']);
    // extractive answers with the short answer where it finds one, else the top passage's sentence, no model calls:
    //   q1 "Cats purr when they are happy." vs "they are happy": 3 of 6 → P 1/2, R 1 → 2/3
    //   q2 the short answer "Dogs bark" (a who question's entity run) vs "dogs": P 1/2, R 1 → 2/3
    //   q3 "Birds sing in the morning." → "birds sing in morning" vs "in morning": P 1/2, R 1 → 2/3 (vs "morning": 2/5)
    //   F1 (2/3 + 2/3 + 2/3)/3 = 0.666667
    expect(row('extractive').slice(0, 7)).toEqual(['extractive', '3', '0.0000', '0.6667', '1.0000', '0', '0']);

    // traces.jsonl: one line per item × method, each with its trace.
    const records = readFileSync(path.join(out, 'traces.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(9);
    expect(records.map((x) => `${x.method}:${x.id}`)).toEqual(['extractive', 'naive', 'closed-book'].flatMap((m) => ['q1', 'q2', 'q3'].map((q) => `${m}:${q}`)));
    for (const x of records) {
      expect(x.trace.length, `${x.method} ${x.id}`).toBeGreaterThan(0);
      expect(x.error).toBeUndefined();
    }
    const naive = records.filter((x) => x.method === 'naive');
    expect(naive.map((x) => x.prediction)).toEqual(['because they are happy', 'Dogs', 'The morning.']);
    expect(naive.map((x) => x.f1)).toEqual([6 / 7, 1, 1]);
    expect(naive[0].trace.map((s: { kind: string }) => s.kind)).toEqual(['retrieve', 'generate']);
    // Tokens in the table are the sums of the traced usage.
    const tokens = naive.reduce((s, x) => s + x.usage.promptTokens + x.usage.completionTokens, 0);
    expect(tokens).toBeGreaterThan(0);
    expect(row('naive')[6]).toBe(tokens.toLocaleString('en-US'));

    // config.json: what was run, reproducibly, with the API key masked.
    const configText = readFileSync(path.join(out, 'config.json'), 'utf8');
    expect(configText).not.toContain(SECRET);
    const config = JSON.parse(configText);
    expect(config.methods).toEqual([
      { name: 'extractive', params: {} },
      { name: 'naive', params: {} },
      { name: 'closed-book', params: {} },
    ]);
    expect(config).toMatchObject({ k: 2, seed: 3, retrieval: 'top', retriever: 'bm25', answerMetric: 'squad', questions: 3, models: { llm: expect.stringContaining('test-model'), embedder: null } });
    expect(config.command).toEqual(['openbook', 'eval', 'qa', '--dataset', 'dev.json', '--analyzer', 'standard', '--methods', 'extractive,naive,closed-book', '-k', '2', '--seed', '3', '--out', out]);
    expect(config.openbookConfig.llm.baseUrl).toBe(server.url);
    expect(config.openbookConfig.llm.apiKey).not.toBe(SECRET);

    // report.md: the same table in Markdown.
    const report = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('| method | n | EM | F1 | Recall@2 | calls | tokens | seconds | errors |');
    expect(report).toMatch(/\| naive \| 3 \| 0\.6667 \| 0\.9524 \| 1\.0000 \| 3 \|/);
    expect(report).toMatch(/\| closed-book \| 3 \| 0\.3333 \| 0\.3333 \| – \| 3 \|/);
  });

  it('a method that needs a model, with none configured, fails before any work (exit 2)', async () => {
    const work = mkdtempSync(path.join(dir, 'nomodel-'));
    const r = await run(['eval', 'qa', '--dataset', path.join(dir, 'dev.json'), '--methods', 'extractive,hyde', '--out', path.join(work, 'run'), '--cache', path.join(work, 'cache')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: hyde needs a language model: set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL/);
    expect(existsSync(path.join(work, 'cache'))).toBe(false);
    expect(existsSync(path.join(work, 'run'))).toBe(false);
  });

  it('an unknown method is refused with the valid names listed', async () => {
    const r = await run(['eval', 'qa', '--dataset', 'dev.json', '--methods', 'extractive,bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown method "bogus"; valid: extractive, closed-book, naive/);
  });
});

describe('openbook eval retrieval --retriever dense|hybrid', () => {
  const cacheDir = () => path.join(dir, 'retrieval-cache');
  const evalJson = async (args: string[], env: Record<string, string>) => {
    const r = await run(['eval', 'retrieval', '--dataset', 'beir', '--cache', cacheDir(), '--metrics', 'nDCG@10,Recall@1', '--json', ...args], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('bm25, dense and hybrid on a BEIR folder (loopback server stands in for the embedding model)', async () => {
    // BM25 (english analyzer): q1 finds d1 first; q2 is all stop words → no hits → 0. nDCG@10 = (1 + 0)/2.
    const bm25 = await evalJson([], {});
    expect(bm25.config.retriever).toBe('bm25');
    expect(bm25.metrics['nDCG@10']).toBe(0.5);
    // Dense: the query's feature-hashed vector equals its document's (same words) → cosine 1, rank 1 for both.
    const dense = await evalJson(['--retriever', 'dense'], embedEnv());
    expect(dense.config).toMatchObject({ retriever: 'dense', embedder: expect.stringContaining('test-embed') });
    expect(dense.metrics).toEqual({ 'nDCG@10': 1, 'Recall@1': 1 });
    expect(dense.timings.embedded).toBe(4);
    // Hybrid RRF: q1 d1 is rank 1 in both lists; q2 only the dense list has d2, at rank 1 → both rank 1.
    const hybrid = await evalJson(['--retriever', 'hybrid'], embedEnv());
    expect(hybrid.config).toMatchObject({ retriever: 'hybrid', fusion: 'rrf', rrfK: 60 });
    expect(hybrid.metrics).toEqual({ 'nDCG@10': 1, 'Recall@1': 1 });
    // Same embedder → the cached vectors are reused; nothing is embedded again.
    expect(hybrid.timings.embedded).toBe(0);
    // Another embedding model gets its own cached index: bm25 + test-embed + other-embed = 3 folders.
    const other = await evalJson(['--retriever', 'dense'], embedEnv('other-embed'));
    expect(other.timings.embedded).toBe(4);
    expect(readdirSync(cacheDir()).filter((n) => !n.includes('.building-'))).toHaveLength(3);
  });

  it('hybrid with OPENBOOK_EMBED_MODEL_DIR pointing at a tiny ONNX folder (stands in for a local model)', async () => {
    // Mean pooling over [CLS] q [SEP] (rows of TINY_EMBEDDINGS): "cat" → (1,1,1)+(3,0,0) → ∝ (4,1,1);
    // d1 "cat cat" ∝ (7,1,1), d2 "dog" ∝ (1,4,1), d3 "sat" ∝ (2,1,2). cos(q1,d1) = 30/(√18·√51) = 0.990 is the largest;
    // q2 "dog" equals d2 (cos 1). So dense Recall@1 = 1; BM25 also ranks each gold first, so RRF does too.
    const r = await run(['eval', 'retrieval', '--dataset', 'beir-tiny', '--cache', cacheDir(), '--retriever', 'hybrid', '--fusion', 'rrf', '--metrics', 'nDCG@10,Recall@1', '--json'], {
      OPENBOOK_EMBED_MODEL_DIR: path.join(dir, 'tiny-model'),
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.config).toMatchObject({ retriever: 'hybrid', fusion: 'rrf', embedder: 'local:tiny-model' });
    expect(out.metrics).toEqual({ 'nDCG@10': 1, 'Recall@1': 1 });
    expect(out.timings.embedded).toBe(3);
  });

  it('dense without an embedder is refused with exit 2', async () => {
    const r = await run(['eval', 'retrieval', '--dataset', 'beir', '--cache', cacheDir(), '--retriever', 'dense']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--retriever dense needs an embedding model/);
  });
});
