import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import type { Hit } from '../../src/core/types.js';
import { extractiveAnswer, passageUnits, type TermStatistics } from '../../src/generate/extractive.js';

function hit(rank: number, text: string, score: number): Hit {
  return { rank, score, docId: `d${rank}`, chunkId: `d${rank}#0`, source: `doc${rank}.md`, title: '', text, startLine: 1, endLine: 1 };
}

/** Index statistics of a 1,000-document index where the named terms are rare and every other term common. */
function stats(rare: Record<string, number>): TermStatistics {
  return { numDocs: 1000, docFreq: (t) => rare[t] ?? 200 };
}

const analyzer = getAnalyzer('english');

describe('extractiveAnswer: a sentence referring back past its opening words is quoted with the sentence before it', () => {
  it('a demonstrative in its first words ("… of this idea …")', () => {
    const text =
      'For a long time the Amazon rainforest was thought to have been only sparsely populated. Betty Meggers defended this idea in her book Amazonia: Man and Culture in a Counterfeit Paradise.';
    const a = extractiveAnswer('Which book argued that the Amazon rainforest was sparsely populated?', [hit(1, text, 5)], analyzer, stats({ amazon: 5, rainforest: 5, spars: 5 }));
    expect(a.citations[0].quote).toBe(text);
  });

  it('a pronoun after an opening phrase ("Eventually, he …")', () => {
    const text = 'In 1917 Tesla lost the Wardenclyffe Tower to his creditors. Eventually, he sold the land for $20,000.';
    const a = extractiveAnswer('How much land did Tesla sell with the Wardenclyffe Tower?', [hit(1, text, 5)], analyzer, stats({ tesla: 5, wardenclyff: 2 }));
    expect(a.citations[0].quote).toBe(text);
  });

  it('"… of these …" in its first words', () => {
    const text = 'Five boilerplate CSM launches followed in 1964 and 1965. The last three of these carried Pegasus satellites into orbit.';
    const a = extractiveAnswer('What did the last boilerplate CSM launches carry?', [hit(1, text, 5)], analyzer, stats({ boilerpl: 2, csm: 2 }));
    expect(a.citations[0].quote).toBe(text);
  });

  it('a connective that presupposes the sentence before ("Also …")', () => {
    const text = 'ABC introduced a new imaging campaign in 2007, designed by Troika. Also developed by Troika, the on-air design used icons for each device.';
    const units = passageUnits(text, analyzer);
    expect(units.map((u) => text.slice(u.start, u.end))).toEqual(['ABC introduced a new imaging campaign in 2007, designed by Troika.', text]);
  });

  it('leaves a sentence naming its own subject alone', () => {
    const text = 'The treaty was signed in Lisbon. The kings met again in 1494 to sign a second treaty.';
    expect(passageUnits(text, analyzer).map((u) => text.slice(u.start, u.end))).toEqual(['The treaty was signed in Lisbon.', 'The kings met again in 1494 to sign a second treaty.']);
  });
});

describe('extractiveAnswer: the short answer of a two-sentence unit is sought in its last sentence first', () => {
  const text = 'Telenet was founded by Larry Roberts in Washington in 1973. It used leased lines from the Bell System for its backbone network.';
  it('an entity ("What did … use …?") from the sentence adding the fact, not the one naming the subject', () => {
    const a = extractiveAnswer('What did the Telenet network use for its backbone?', [hit(1, text, 5)], analyzer, stats({ telenet: 2 }));
    const c = a.citations[0];
    expect(c.quote).toBe(text);
    expect(c.quote.slice(c.answerSpan!.start, c.answerSpan!.end)).toBe('leased lines from the Bell System');
  });
  it('a date', () => {
    const t = 'Telenet was founded by Larry Roberts in Washington in 1973. It became a public network in 1975.';
    const c = extractiveAnswer('When did Telenet become a public network?', [hit(1, t, 5)], analyzer, stats({ telenet: 2 })).citations[0];
    expect(c.quote.slice(c.answerSpan!.start, c.answerSpan!.end)).toBe('1975');
  });
});

describe('passageUnits: a sentence opening in lower case continues the one before it', () => {
  it('quotes the rest of a sentence cut at "..." with its beginning', () => {
    const text = 'The ambassador said, "Chinese investment in Kenya ... reached $474 million, the largest source of investment in the country." Trade grew too.';
    const units = passageUnits(text, analyzer).map((u) => text.slice(u.start, u.end));
    expect(units).toContain('The ambassador said, "Chinese investment in Kenya ... reached $474 million, the largest source of investment in the country."');
    expect(units).not.toContain('reached $474 million, the largest source of investment in the country."');
  });
});

describe("extractiveAnswer: a question term the unit lacks but its document's title names counts more than one an earlier sentence names", () => {
  it('quotes the sentence under the title "Telenet" that answers without repeating it', () => {
    const text = 'Telenet has offices in Washington and New York. The company was founded by Larry Roberts in 1973.';
    const h: Hit = { ...hit(1, text, 5), title: 'Telenet' };
    const a = extractiveAnswer('Who founded the Telenet network?', [h], analyzer, { numDocs: 1000, docFreq: (t) => (t === 'telenet' ? 3 : 100) });
    expect(a.citations[0].quote).toBe('The company was founded by Larry Roberts in 1973.');
  });
});

describe('extractiveAnswer: a further quoted sentence holds a question word of its own', () => {
  it('does not add a sentence that matches the question only through its title and the sentences before it', () => {
    const text = '검색 증강 생성(RAG)은 질문과 관련된 문서를 먼저 검색한 뒤 그 문서를 근거로 답을 생성한다.\nHyDE는 질문에 대한 가상의 문서를 먼저 생성하고 그 문서로 검색한다.\n인용은 답의 각 문장이 어느 문서에서 왔는지 보여 준다.';
    const h: Hit = { ...hit(1, text, 5), title: '검색 증강 생성' };
    const a = extractiveAnswer('HyDE는 무엇을 생성하나?', [h], getAnalyzer('auto'), { numDocs: 2, docFreq: () => 1 });
    expect(a.citations.map((c) => c.quote)).not.toContain('인용은 답의 각 문장이 어느 문서에서 왔는지 보여 준다.');
    expect(a.citations[0].quote).toBe('HyDE는 질문에 대한 가상의 문서를 먼저 생성하고 그 문서로 검색한다.');
  });
});
