import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import type { Hit } from '../../src/core/types.js';
import { answerWithLlm, buildAnswerPrompt } from '../../src/generate/llm-answer.js';
import { answerLanguage, loadTemplates, renderTemplate, slotsOf, TEMPLATE_NAMES } from '../../src/generate/prompts.js';
import { CachedLanguageModel, MemoryCache } from '../../src/models/cache.js';
import { OpenAICompatibleModel } from '../../src/models/openai-compatible.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

function hit(n: number, title: string, text: string): Hit {
  return { rank: n, score: 10 - n, docId: `d${n}`, chunkId: `d${n}#0`, source: `docs/d${n}.md`, title, text, startLine: 1, endLine: 2 };
}
const HITS = [hit(1, 'France', 'Lyon is in France. Paris is the capital of France.'), hit(2, 'Louvre', 'The Louvre is a museum in Paris. It opened in 1793.')];

describe('prompt templates', () => {
  it('lists every built-in template and its slots', () => {
    expect(TEMPLATE_NAMES).toEqual(['answer-with-citations.system', 'answer-with-citations.user', 'passage']);
    expect(slotsOf('[{{n}}] {{ title }} {{n}}')).toEqual(['n', 'title']);
  });

  it('renders slots literally and names a missing slot', () => {
    expect(renderTemplate('t', '{{a}}-{{b}}', { a: '{{b}}', b: 2 })).toBe('{{b}}-2');
    expect(() => renderTemplate('t', '{{a}} {{c}}', { a: 1 })).toThrow('prompt template t: no value for slot {{c}}');
  });

  it('applies overrides and rejects unknown names and slots with the known ones listed', () => {
    const t = loadTemplates({ passage: '#{{n}} {{text}}' });
    expect(t.passage).toBe('#{{n}} {{text}}');
    expect(() => loadTemplates({ 'answer-with-citation.user': 'x' })).toThrow(InvalidParameterError);
    expect(() => loadTemplates({ 'answer-with-citation.user': 'x' })).toThrow('known templates: answer-with-citations.system, answer-with-citations.user, passage');
    expect(() => loadTemplates({ passage: '{{body}}' })).toThrow('prompts.passage: unknown slot {{body}}; this template offers {{n}}, {{title}}, {{source}}, {{text}}');
  });

  it('picks the answer language from the question script', () => {
    expect(answerLanguage('검색 증강 생성이란 무엇인가요?')).toBe('Korean');
    expect(answerLanguage('RAG란 무엇인가?')).toBe('Korean'); // 3 Latin + 5 Hangul letters → 5/8 ≥ 0.3
    expect(answerLanguage('検索拡張生成とは何ですか')).toBe('Japanese');
    expect(answerLanguage('什么是检索增强生成')).toBe('Chinese');
    expect(answerLanguage('What is retrieval-augmented generation?')).toBe('the language of the question');
  });

  it('numbers passages with title and source, and puts the question last', () => {
    const [system, user] = buildAnswerPrompt('수도는 어디인가요?', HITS);
    expect(system.content).toContain('Write the answer in Korean.');
    expect(user.content).toBe(
      'Passages:\n\n[1] France (docs/d1.md)\nLyon is in France. Paris is the capital of France.\n\n' +
        '[2] Louvre (docs/d2.md)\nThe Louvre is a museum in Paris. It opened in 1793.\n\n' +
        'Question: 수도는 어디인가요?\n\nAnswer in Korean, citing passages as [n]:',
    );
  });
});

describe('answerWithLlm against a test server standing in for a model', () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({ chat: () => 'Paris is the capital of France [1]. The Louvre opened in 1793 [2][5].' });
  });
  afterAll(() => server.close());
  const llm = () => new OpenAICompatibleModel({ baseUrl: server.url, model: 'test-model' });

  it('streams the answer, then removes and reports markers that point at no passage', async () => {
    const tokens: string[] = [];
    const r = await answerWithLlm({ llm: llm(), question: 'What is the capital of France?', hits: HITS, onToken: (t) => tokens.push(t) });
    // the stream never shows the invalid [5]: what streamed is the cleaned answer
    expect(tokens.join('')).toBe(r.answer);
    expect(r.rawAnswer).toBe('Paris is the capital of France [1]. The Louvre opened in 1793 [2][5].');
    expect(tokens.length).toBeGreaterThan(5);
    expect(server.requests.at(-1)!.body).toMatchObject({ stream: true, temperature: 0, max_tokens: 512 });
    expect(r.answer).toBe('Paris is the capital of France [1]. The Louvre opened in 1793 [2].');
    expect(r.invalidCitations).toEqual([5]);
    expect(r.citations.map((c) => [c.n, c.chunkId, c.quote])).toEqual([
      [1, 'd1#0', 'Paris is the capital of France.'],
      [2, 'd2#0', 'It opened in 1793.'],
    ]);
    expect(r.method).toBe('llm');
    expect(r.model).toBe('test-model');
    // toy tokens: Paris is the capital of France " [" 1 ] . The Louvre opened in 1793 " [" 2 ] [ 5 ] . = 22
    expect(r.usage.completionTokens).toBe(22);
    expect(r.usage.promptTokens).toBeGreaterThan(20);
    expect(r.prompt).toHaveLength(2);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('uses overridden templates from config', async () => {
    const templates = loadTemplates({ 'answer-with-citations.user': 'Q: {{question}}\n{{passages}}', passage: '<{{n}}> {{text}}' });
    await answerWithLlm({ llm: llm(), question: 'capital?', hits: HITS.slice(0, 1), templates });
    const messages = server.requests.at(-1)!.body!.messages as Array<{ content: string }>;
    expect(messages[1].content).toBe('Q: capital?\n<1> Lyon is in France. Paris is the capital of France.');
  });

  it('answers without a model call when there are no passages', async () => {
    const before = server.requests.length;
    const r = await answerWithLlm({ llm: llm(), question: '수도는?', hits: [] });
    expect(r.answer).toBe('색인된 문서에서 이 질문에 답하는 내용을 찾지 못했습니다.');
    expect(server.requests.length).toBe(before);
  });

  it('makes no model call for a second identical question through the cache', async () => {
    const cached = new CachedLanguageModel(llm(), new MemoryCache());
    const before = server.count('/chat/completions');
    const a = await answerWithLlm({ llm: cached, question: 'What opened in 1793?', hits: HITS, onToken: () => {} });
    const streamed: string[] = [];
    const b = await answerWithLlm({ llm: cached, question: 'What opened in 1793?', hits: HITS, onToken: (t) => streamed.push(t) });
    expect(server.count('/chat/completions') - before).toBe(1);
    expect(b.answer).toBe(a.answer);
    expect(b.cached).toBe(true);
    expect(streamed.join('')).toBe(a.answer);
    expect(cached.stats).toEqual({ hits: 1, misses: 1 });
  });

  it('falls back to one onToken call when the endpoint cannot stream', async () => {
    const noStream = await startOpenAIServer({ streaming: false, chat: () => 'It opened in 1793 [2].' });
    const model = new OpenAICompatibleModel({ baseUrl: noStream.url, model: 'test-model' });
    await model.probeCapabilities();
    const tokens: string[] = [];
    const r = await answerWithLlm({ llm: model, question: 'When?', hits: HITS, onToken: (t) => tokens.push(t) });
    expect(tokens).toEqual(['It opened in 1793 [2].']);
    expect(r.citations.map((c) => c.n)).toEqual([2]);
    await noStream.close();
  });
});
