import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityError, InvalidParameterError } from '../../src/core/errors.js';
import { buildAtmRecords, fabricationPrompt } from '../../src/train/atm.js';
import type { ChatMessage, GenerateOptions, LanguageModel } from '../../src/models/types.js';
import { answerContinuation } from '../../src/methods/replug.js';
import { memoryPool, shuffleInPlace, toJsonl, type TrainPassage, type TrainQuestion } from '../../src/train/common.js';
import { buildRaftRecords, buildRaftRecordsFromChunks, parseGeneratedQuestions, quotedSpans, quotesVerified, raftCotPrompt, raftQuestionPrompt, templateCotAnswer } from '../../src/train/raft.js';
import { buildRetRobustRecords } from '../../src/train/retrobust.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { model } from '../methods/support/memory.js';

/** A scripted rng standing in for mulberry32: returns the given numbers in order, and fails when asked for more. */
function scripted(values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`rng asked for draw ${i + 1}, script has ${values.length}`);
    return values[i++];
  };
}

const P: TrainPassage[] = [
  { id: 'p1', title: 'Paris', text: 'Paris is the capital of France. It lies on the Seine.' },
  { id: 'p2', title: 'Eiffel Tower', text: 'The tower was completed in 1889. It is in Paris.' },
  { id: 'p3', title: 'Lyon', text: 'Lyon is a city in France.' },
  { id: 'p4', title: 'Rhine', text: 'The Rhine flows through Germany.' },
  { id: 'p5', title: 'Alps', text: 'The Alps are mountains.' },
];
const Q: TrainQuestion[] = [
  { id: 'q1', question: 'What is the capital of France?', answers: ['Paris'], oracleIds: ['p1'] },
  { id: 'q2', question: 'When was the Eiffel Tower completed?', answers: ['1889'], oracleIds: ['p2'] },
];
/** A fixed ranking standing in for BM25: p1, p3, p2, p4, p5 for every query. */
const ranked = memoryPool(P, async (_q, topK) => [P[0], P[2], P[1], P[3], P[4]].slice(0, topK));

describe('RAFT records (Zhang et al. 2024), template target', () => {
  it('P split, k distractors from the ranking, seeded shuffle, quoted CoT — exact records', async () => {
    // q1: u = 0.1 < 0.8 → oracle in; distractors = first 2 non-oracle hits without a gold answer: p3 (rank 2),
    //     p4 (rank 4) — p2 (rank 3) says "It is in Paris" and is dropped.
    //     shuffle [p1, p3, p4]: i=2, j=⌊0.9·3⌋=2 (stay); i=1, j=⌊0·2⌋=0 → swap → [p3, p1, p4]
    // q2: u = 0.95 ≥ 0.8 → no oracle; k + 1 = 3 distractors: p1 (1), p3 (2), p4 (4) (p2 is q2's oracle).
    //     shuffle [p1, p3, p4]: i=2, j=⌊0.5·3⌋=1 → [p1, p4, p3]; i=1, j=⌊0.5·2⌋=1 (stay)
    const rng = scripted([0.1, 0.9, 0, 0.95, 0.5, 0.5]);
    const { records, skipped } = await buildRaftRecords(Q, ranked, { numDistractors: 2, rng });
    expect(skipped).toEqual([]);
    expect(records.map((r) => [r.id, r.oracleIncluded, r.context.map((p) => `${p.id}:${p.role}:${p.rank ?? '-'}`)])).toEqual([
      ['q1', true, ['p3:distractor:2', 'p1:oracle:-', 'p4:distractor:4']],
      ['q2', false, ['p1:distractor:1', 'p4:distractor:4', 'p3:distractor:2']],
    ]);
    expect(records[0].cotAnswer).toBe(
      '##Reason: To answer "What is the capital of France?", find the passage that states it. The document "Paris" says ' +
        '##begin_quote##Paris is the capital of France.##end_quote## This sentence gives the answer: Paris. ' +
        'The other documents do not answer the question.\n<ANSWER>: Paris',
    );
    // the target quotes the oracle even when the oracle is left out (RAFT's (1 − P) split)
    expect(quotedSpans(records[1].cotAnswer)).toEqual(['The tower was completed in 1889.']);
    expect(records.every((r) => r.quoteVerified && r.targetSource === 'template' && r.distractorSource === 'bm25')).toBe(true);
    expect(records[0].instruction).toBe(
      '<DOCUMENT>Lyon\nLyon is a city in France.</DOCUMENT>\n<DOCUMENT>Paris\nParis is the capital of France. It lies on the Seine.</DOCUMENT>\n' +
        '<DOCUMENT>Rhine\nThe Rhine flows through Germany.</DOCUMENT>\nWhat is the capital of France?',
    );
    // p2 mentions Paris: a "distractor" that contains the answer is no distractor; the record names it
    expect(records.map((r) => r.droppedDistractors)).toEqual([['p2'], []]);
    expect(records.every((r) => r.context.every((p) => p.role === 'oracle' || !p.containsAnswer))).toBe(true);
    const lines = toJsonl(records).split('\n');
    expect(lines.length).toBe(3);
    expect(JSON.parse(lines[1]).id).toBe('q2');
  });

  it('random distractors by rejection sampling; skips a question without its oracle; refuses bad P', async () => {
    // q1: u = 0.5 → in; draws ⌊0·5⌋ = p1 (oracle, rejected), ⌊0.99·5⌋ = p5; shuffle [p1, p5]: i=1, j=⌊0.7·2⌋=1 (stay)
    const rng = scripted([0.5, 0, 0.99, 0.7, 0.3]);
    const lost: TrainQuestion = { id: 'q9', question: 'x?', answers: ['y'], oracleIds: ['nope'] };
    const { records, skipped } = await buildRaftRecords([Q[0], lost], memoryPool(P), { numDistractors: 1, rng });
    expect(records[0].context.map((p) => `${p.id}:${p.origin}`)).toEqual(['p1:gold', 'p5:random']);
    expect(skipped).toEqual([{ id: 'q9', reason: 'none of its oracle passages (nope) is in the corpus' }]);
    await expect(buildRaftRecords(Q, ranked, { oracleProbability: 1.5, rng })).rejects.toThrow(InvalidParameterError);
    await expect(buildRaftRecords(Q, memoryPool(P), { distractors: 'bm25', rng: () => 0 })).rejects.toThrow(InvalidParameterError);
  });

  it('template and quote checks by hand', () => {
    const oracle = [{ ...P[1], role: 'oracle' as const, origin: 'gold', containsAnswer: true }];
    expect(templateCotAnswer('q', oracle, ['nowhere'])).toBeNull();
    // case-insensitive fallback: "IT IS IN PARIS" is found in the second sentence
    expect(quotedSpans(templateCotAnswer('q', oracle, ['it is in paris'])!)).toEqual(['It is in Paris.']);
    expect(quotesVerified('##begin_quote##completed in 1889##end_quote##', oracle)).toBe(true);
    expect(quotesVerified('##begin_quote##completed in 1890##end_quote##', oracle)).toBe(false);
    expect(quotesVerified('no quote at all', oracle)).toBe(false);
  });
});

describe('RAFT with a model (the loopback server stands in for an LLM)', () => {
  let server: OpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
  });
  it('the target comes from the model and is marked so', async () => {
    server = await startOpenAIServer();
    const { records } = await buildRaftRecords([Q[0]], ranked, { numDistractors: 1, rng: () => 0.5, llm: model(server) });
    expect(records[0].targetSource).toMatch(/^model:/);
    expect(records[0].cotAnswer.length).toBeGreaterThan(0);
    expect(typeof records[0].quoteVerified).toBe('boolean');
  });
});

describe('RetRobust records (Yoran et al. 2024)', () => {
  const many: TrainPassage[] = Array.from({ length: 22 }, (_, i) => ({ id: `d${String(i + 1).padStart(2, '0')}`, title: '', text: `passage ${i + 1}` }));
  const pool = memoryPool(many, async (_q, topK) => many.slice(0, topK));
  const q: TrainQuestion = { id: 'q', question: 'Which?', answers: ['passage 1'], oracleIds: ['d01'] };

  it('top-1, one of ranks 11–20, one random passage; the gold answer is the target', async () => {
    // low-rank: ⌊0.35·10⌋ = 3 → rank 14 (d14). random: ⌊0·22⌋ = d01 (oracle, rejected), ⌊0.5·22⌋ = 11 → d12
    const { records, skipped } = await buildRetRobustRecords([q], pool, { rng: scripted([0.35, 0, 0.5]) });
    expect(skipped).toEqual([]);
    expect(records.map((r) => [r.setting, r.context.map((p) => `${p.id}:${p.role}:${p.rank ?? '-'}`)])).toEqual([
      ['top-1', ['d01:oracle:1']],
      ['low-rank', ['d14:distractor:14']],
      ['random', ['d12:distractor:-']],
    ]);
    expect(records[0].input).toBe('Context: passage 1\nQuestion: Which?\nAnswer:');
    expect(records.every((r) => r.target === 'passage 1')).toBe(true);
    expect(records[0].context[0].containsAnswer).toBe(true);
  });

  it('needs a ranking for top-1/low-rank; fewer than 11 ranked passages skip low-rank', async () => {
    await expect(buildRetRobustRecords([q], memoryPool(many), { rng: () => 0 })).rejects.toThrow(CapabilityError);
    const short = memoryPool(many, async (_q, topK) => many.slice(0, Math.min(topK, 5)));
    const { records, skipped } = await buildRetRobustRecords([q], short, { rng: scripted([0.5]), settings: ['top-1', 'low-rank', 'random'] });
    expect(records.map((r) => r.setting)).toEqual(['top-1', 'random']);
    expect(skipped).toEqual([{ id: 'q', reason: 'low-rank: fewer than 11 passages ranked' }]);
  });
});

describe('RetRobust "another question\'s top passage" setting (other-top-1)', () => {
  const P3: TrainPassage[] = [
    { id: 'a', title: '', text: 'alpha' },
    { id: 'b', title: '', text: 'beta' },
    { id: 'c', title: '', text: 'gamma' },
  ];
  // a fixed ranking standing in for BM25: q1 → [a, …], q2 → [b, …], q3 → [a, …]
  const tops: Record<string, string[]> = { 'Q one': ['a', 'b', 'c'], 'Q two': ['b', 'c', 'a'], 'Q three': ['a', 'c', 'b'] };
  const pool3 = memoryPool(P3, async (query, topK) => tops[query].slice(0, topK).map((id) => P3.find((p) => p.id === id)!));
  const qs: TrainQuestion[] = [
    { id: 'q1', question: 'Q one', answers: ['alpha'], oracleIds: ['a'] },
    { id: 'q2', question: 'Q two', answers: ['beta'], oracleIds: ['b'] },
    { id: 'q3', question: 'Q three', answers: ['alpha'], oracleIds: ['a'] },
  ];

  it('pairs each question with the top-1 passage of another question (one draw among those whose top-1 is not its oracle)', async () => {
    // q1: others' top-1: q2 → b, q3 → a (q1's oracle, excluded) → candidates [q2]; ⌊0.9·1⌋ = 0 → b
    // q2: candidates [q1 → a, q3 → a]; ⌊0.6·2⌋ = 1 → q3's a
    // q3: q1 → a is q3's oracle → candidates [q2]; ⌊0·1⌋ = 0 → b
    const { records, skipped } = await buildRetRobustRecords(qs, pool3, { rng: scripted([0.9, 0.6, 0]), settings: ['other-top-1'] });
    expect(skipped).toEqual([]);
    expect(records.map((r) => [r.id, r.setting, r.context.map((p) => `${p.id}:${p.role}:${p.origin}:${p.rank}`)])).toEqual([
      ['q1', 'other-top-1', ['b:distractor:top-1 of q2:1']],
      ['q2', 'other-top-1', ['a:distractor:top-1 of q3:1']],
      ['q3', 'other-top-1', ['b:distractor:top-1 of q2:1']],
    ]);
    expect(records[0].input).toBe('Context: beta\nQuestion: Q one\nAnswer:');
    expect(records[0].target).toBe('alpha');
  });

  it('skips a question when no other question has a usable top passage', async () => {
    const { records, skipped } = await buildRetRobustRecords([qs[0], qs[2]], pool3, { rng: scripted([]), settings: ['top-1', 'other-top-1'] });
    expect(records.map((r) => `${r.id}:${r.setting}`)).toEqual(['q1:top-1', 'q3:top-1']);
    expect(skipped).toEqual([
      { id: 'q1', reason: "other-top-1: no other question's top-1 passage is a non-oracle passage" },
      { id: 'q3', reason: "other-top-1: no other question's top-1 passage is a non-oracle passage" },
    ]);
  });
});

describe('ATM attacker-side records (Zhu et al. 2024), no model', () => {
  it('clean vs attacked: entity swap, duplicates, shuffle — exact lists', async () => {
    // questions [q1, q9]; q9's oracle is missing, so it is skipped without draws.
    // q1: random distractor ⌊0.5·5⌋ = p3; clean shuffle [p1, p3]: i=1, j=⌊0.9·2⌋=1 (stay)
    // entity-swap: other answers = [q9's "Lyon"] → ⌊0.2·1⌋ = 0 → "Paris" → "Lyon" in a copy of p1
    // duplicate: ⌊0·1⌋ = p3, twice → [p1, p3, p1#swap, p3#dup-1, p3#dup-2]
    // shuffle: i=4, j=⌊0·5⌋=0 → swap p1 and p3#dup-2; i=3,2,1 with 0.99 → j=i (stay)
    const q9: TrainQuestion = { id: 'q9', question: 'Other?', answers: ['Lyon'], oracleIds: ['missing'] };
    const rng = scripted([0.5, 0.9, 0.2, 0, 0, 0.99, 0.99, 0.99]);
    const { records, skipped } = await buildAtmRecords([Q[0], q9], memoryPool(P), { numDistractors: 1, rng, distractors: 'random' });
    expect(skipped).toEqual([{ id: 'q9', reason: 'none of its oracle passages (missing) is in the corpus' }]);
    const r = records[0];
    expect(r.clean.map((p) => p.id)).toEqual(['p1', 'p3']);
    expect(r.attacked.map((p) => `${p.id}:${p.role}:${p.origin}`)).toEqual([
      'p3#dup-2:fabricated:duplicate',
      'p3:distractor:random',
      'p1#swap:fabricated:entity-swap',
      'p3#dup-1:fabricated:duplicate',
      'p1:oracle:gold',
    ]);
    expect(r.attacked[2].text).toBe('Lyon is the capital of France. It lies on the Seine.');
    expect(r.attacked[2].containsAnswer).toBe(false);
    expect(r.attacks.map((a) => a.kind)).toEqual(['entity-swap', 'duplicate', 'shuffle']);
    expect(r.attacks[0].detail).toBe('p1: "Paris" → "Lyon"');
    expect(r.target).toBe('Paris');
    expect(r.attackSource).toBe('template');
  });

  it('refuses an unknown attack', async () => {
    await expect(buildAtmRecords(Q, memoryPool(P), { rng: () => 0, attacks: ['nope' as never] })).rejects.toThrow(InvalidParameterError);
  });
});

describe('seeded helpers', () => {
  it('Fisher–Yates by hand', () => {
    // [a, b, c]: i=2, j=⌊0.1·3⌋=0 → [c, b, a]; i=1, j=⌊0.6·2⌋=1 → stay
    expect(shuffleInPlace(['a', 'b', 'c'], scripted([0.1, 0.6]))).toEqual(['c', 'b', 'a']);
  });
});

/**
 * A scripted stand-in for an attacker/generator model: `generate` returns the fabrications in
 * order; `scoreContinuation` gives log p = −0.2 − 1.0·#"Lyon" − 0.7·#"Marseille" of the prompt, so
 * each fabrication's log p(gold | attacked context) is hand-computable.
 */
function standInModel(fabrications: string[], echoScoring = true) {
  const scored: Array<{ prompt: string; continuation: string }> = [];
  const asked: Array<{ messages: ChatMessage[]; options?: GenerateOptions }> = [];
  let i = 0;
  const count = (s: string, w: string) => s.split(w).length - 1;
  const llm: LanguageModel = {
    id: 'stand-in',
    capabilities: { chat: true, streaming: false, logprobs: false, echoScoring, prefill: false },
    async generate(messages, options) {
      asked.push({ messages, ...(options ? { options } : {}) });
      return { generations: [{ text: fabrications[i++] ?? '', finishReason: 'stop' }], usage: { promptTokens: 0, completionTokens: 0 }, model: 'stand-in', latencyMs: 0 } as never;
    },
    // eslint-disable-next-line require-yield
    async *stream() {
      throw new Error('not used');
    },
    async scoreContinuation(prompt, continuation) {
      scored.push({ prompt, continuation });
      return { logprob: -0.2 - 1.0 * count(prompt, 'Lyon') - 0.7 * count(prompt, 'Marseille'), tokens: [] };
    },
  };
  return { llm, scored, asked };
}

describe('ATM attacker DPO pairs (Zhu, Yan, Shi, Yin, Sha 2024; a scripted stand-in model)', () => {
  it('ranks the fabrications by the generator\'s log p(gold | attacked context): chosen = lowest, rejected = highest', async () => {
    const fabs = ['Lyon is the capital of France.', 'Marseille, not Lyon, is the capital of France.', 'Paris is the capital of France.'];
    const m = standInModel(fabs);
    // no distractors and no list attacks: no rng draws
    const { records } = await buildAtmRecords([Q[0]], memoryPool(P), { numDistractors: 0, distractors: 'random', attacks: [], numFabricated: 3, llm: m.llm, rng: scripted([]) });
    const r = records[0];
    // one attacker prompt for all samples (the DPO prompt), distinct seeds
    const prompt = fabricationPrompt(Q[0].question, 'Paris');
    expect(m.asked.map((a) => a.messages.at(-1)!.content)).toEqual([prompt, prompt, prompt]);
    expect(new Set(m.asked.map((a) => a.options?.seed)).size).toBe(3);
    // the generator reads each fabricated passage as its context and scores " Paris" + end
    expect(m.scored.map((x) => x.continuation)).toEqual([answerContinuation('Paris'), answerContinuation('Paris'), answerContinuation('Paris')]);
    expect(m.scored[1].prompt).toContain('Marseille, not Lyon, is the capital of France.');
    expect(m.scored[1].prompt).not.toContain('Paris is the capital of France. It lies on the Seine.');
    // log p: f1 −0.2 − 1 = −1.2; f2 −0.2 − 1 − 0.7 = −1.9; f3 −0.2
    expect(r.fabrications!.map((f) => f.logpGold)).toEqual([expect.closeTo(-1.2, 12), expect.closeTo(-1.9, 12), expect.closeTo(-0.2, 12)]);
    expect(r.dpo).toEqual({ prompt, chosen: fabs[1], rejected: fabs[2], chosenLogpGold: expect.closeTo(-1.9, 12), rejectedLogpGold: expect.closeTo(-0.2, 12) });
    // the attacked context still carries every fabrication
    expect(r.attacked.filter((p) => p.role === 'fabricated').map((p) => p.text)).toEqual(fabs);
  });

  it('no pair when the scores tie or the model cannot score continuations (said in the record)', async () => {
    const tie = standInModel(['Rome is nice.', 'Berlin is big.']);
    const { records } = await buildAtmRecords([Q[0]], memoryPool(P), { numDistractors: 0, distractors: 'random', attacks: [], numFabricated: 2, llm: tie.llm, rng: scripted([]) });
    expect(records[0].dpo).toBeUndefined();
    expect(records[0].dpoSkipped).toBe('every fabrication gives the gold answer the same log-probability (−0.2)');
    const blind = standInModel(['Lyon is the capital.', 'Marseille is.'], false);
    const b = await buildAtmRecords([Q[0]], memoryPool(P), { numDistractors: 0, distractors: 'random', attacks: [], numFabricated: 2, llm: blind.llm, rng: scripted([]) });
    expect(b.records[0].dpo).toBeUndefined();
    expect(b.records[0].dpoSkipped).toMatch(/stand-in cannot score continuations/);
    expect(blind.scored).toEqual([]);
  });
});

describe('RAFT drops answer-bearing random distractors too', () => {
  it('rejection sampling skips a passage holding the gold answer', async () => {
    // q1: u = 0.5 → in; ⌊0.2·5⌋ = p2 ("It is in Paris": dropped), ⌊0.4·5⌋ = p3; shuffle [p1, p3]: j = ⌊0.7·2⌋ = 1 (stay)
    const { records } = await buildRaftRecords([Q[0]], memoryPool(P), { numDistractors: 1, rng: scripted([0.5, 0.2, 0.4, 0.7]) });
    expect(records[0].context.map((p) => `${p.id}:${p.origin}`)).toEqual(['p1:gold', 'p3:random']);
    expect(records[0].droppedDistractors).toEqual(['p2']);
  });
});

/** A scripted stand-in for a question-writing / answering model: `generate` returns the replies in order and records the prompts. */
function scriptedModel(replies: string[]) {
  const prompts: string[] = [];
  let i = 0;
  const llm: LanguageModel = {
    id: 'stand-in',
    capabilities: { chat: true, streaming: false, logprobs: false, echoScoring: false, prefill: false },
    async generate(messages) {
      prompts.push(messages.at(-1)!.content);
      return { generations: [{ text: replies[i++] ?? '', finishReason: 'stop' }], usage: { promptTokens: 0, completionTokens: 0 }, model: 'stand-in', latencyMs: 0 } as never;
    },
    // eslint-disable-next-line require-yield
    async *stream() {
      throw new Error('not used');
    },
    async scoreContinuation() {
      throw new Error('not used');
    },
  };
  return { llm, prompts };
}

describe('RAFT from the user\'s own chunks (an unlabelled domain corpus; a scripted stand-in model)', () => {
  const C: TrainPassage[] = [
    { id: 'c1', title: '', text: 'Seoul is the capital of Korea.' },
    { id: 'c2', title: '', text: 'Busan is a port city. Seoul is far away.' },
    { id: 'c3', title: '', text: 'Kimchi is a side dish.' },
  ];

  it('the model writes questions per chunk and answers each from it; the chunk is the oracle; answer-bearing distractors dropped', async () => {
    const cot1 = '##Reason: ##begin_quote##Seoul is the capital of Korea.##end_quote## So it is Seoul.\n<ANSWER>: Seoul';
    const cot2 = '##Reason: ##begin_quote##Seoul is the capital of Korea.##end_quote##\n<ANSWER>: Korea';
    const m = scriptedModel(['1. What is the capital of Korea?\n2) Which country has Seoul as its capital?\n', cot1, cot2]);
    // c1#q1: u = 0.1 → in; random ⌊0.5·3⌋ = c2 (holds "Seoul": dropped), ⌊0.9·3⌋ = c3; shuffle [c1, c3]: j = ⌊0·2⌋ = 0 → [c3, c1]
    // c1#q2: u = 0.9 → out; k + 1 = 2 distractors: ⌊0·3⌋ = c1 (the oracle), ⌊0.4·3⌋ = c2, ⌊0.7·3⌋ = c3; shuffle [c2, c3]: j = ⌊0.6·2⌋ = 1 (stay)
    const rng = scripted([0.1, 0.5, 0.9, 0, 0.9, 0, 0.4, 0.7, 0.6]);
    const { records, skipped } = await buildRaftRecordsFromChunks([C[0]], memoryPool(C), { llm: m.llm, questionsPerChunk: 2, numDistractors: 1, rng });
    expect(skipped).toEqual([]);
    expect(m.prompts[0]).toBe(raftQuestionPrompt(C[0], 2));
    expect(m.prompts[0]).toContain('Seoul is the capital of Korea.');
    expect(m.prompts[1]).toBe(raftCotPrompt('What is the capital of Korea?', [{ ...C[0], role: 'oracle', origin: 'gold', containsAnswer: true }]));
    expect(records.map((r) => [r.id, r.question, r.answers, r.oracleIncluded, r.context.map((p) => `${p.id}:${p.role}`), r.droppedDistractors])).toEqual([
      ['c1#q1', 'What is the capital of Korea?', ['Seoul'], true, ['c3:distractor', 'c1:oracle'], ['c2']],
      ['c1#q2', 'Which country has Seoul as its capital?', ['Korea'], false, ['c2:distractor', 'c3:distractor'], []],
    ]);
    expect(records[0].cotAnswer).toBe(cot1);
    expect(records.every((r) => r.quoteVerified && r.questionSource === 'model:stand-in' && r.targetSource === 'model:stand-in')).toBe(true);
  });

  it('parses numbered question lists; skips an answer without <ANSWER>: and a chunk with no question, with reasons', async () => {
    expect(parseGeneratedQuestions('1. A?\n\n- B?\n3) C\n', 2)).toEqual(['A?', 'B?']);
    expect(parseGeneratedQuestions('Questions:\n1. Q one?', 5)).toEqual(['Q one?']);
    const m = scriptedModel(['1. What is kimchi?', 'It is food.', '']);
    const { records, skipped } = await buildRaftRecordsFromChunks([C[2], C[1]], memoryPool(C), { llm: m.llm, questionsPerChunk: 1, numDistractors: 1, rng: scripted([]) });
    expect(records).toEqual([]);
    expect(skipped).toEqual([
      { id: 'c3#q1', reason: 'the model\'s answer has no "<ANSWER>:" line' },
      { id: 'c2', reason: 'the model wrote no question for this chunk' },
    ]);
  });
});
