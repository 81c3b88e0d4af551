/**
 * Issue #12: `ask` retrieves with the question's content words only. "What does
 * asn1_parser2tree do?" must not be drawn to pages full of "what", "does", "do".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentQuery, isQuestionWord } from '../../src/analysis/question-words.js';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { PHRASE_POOL } from '../../src/retrieve/phrase-rerank.js';

describe('contentQuery: the question words of the documented lists are dropped', () => {
  it('drops English interrogatives and auxiliaries, keeps content', () => {
    expect(contentQuery('What does asn1_parser2tree do?')).toBe('asn1_parser2tree');
    expect(contentQuery('How does reciprocal rank fusion combine rankings?')).toBe('reciprocal rank fusion combine rankings?');
  });
  it('drops Korean interrogatives with particles and content-free closing predicates', () => {
    expect(contentQuery('BM25에서 문서 길이는 어떻게 보정하나요?')).toBe('BM25에서 문서 길이는 보정하나요?');
    expect(contentQuery('RAG는 무엇인가요?')).toBe('RAG는');
    expect(contentQuery('임종석이 몇 년에 체포되었나?')).toBe('임종석이 년에 체포되었나?');
    expect(isQuestionWord('누구인가요?')).toBe(true);
    expect(isQuestionWord('어디에서')).toBe(true);
    expect(isQuestionWord('무엇보다')).toBe(false);
  });
  it('keeps the question when every word is a question word', () => {
    expect(contentQuery('What is what?')).toBe('What is what?');
    expect(contentQuery('Who?')).toBe('Who?');
  });
});

describe('ask: retrieval drops question words (issue #12)', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'openbook-qw-'));
    // Six FAQ pages that repeat "what", "does", "do"; the one page that answers never says them.
    for (let i = 0; i < 6; i++) {
      writeFileSync(path.join(dir, `faq${i}.md`), `# FAQ ${i}\n\nWhat do they do? What does it do? What do we do when it does not work?\n`);
    }
    writeFileSync(
      path.join(dir, 'asn1.md'),
      '# ASN.1 notes\n\nThe library has many helpers for certificates, keys and signatures, with long explanations of each of them and of their options.\n\n' +
        'asn1_parser2tree parses DER bytes into a tree of ASN.1 nodes that later calls walk.\n',
    );
    const indexDir = path.join(dir, '.openbook');
    await indexPaths({ indexDir, paths: ['.'], cwd: dir, now: Date.now });
    engine = await Engine.open(indexDir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers "What does asn1_parser2tree do?" from the page that defines it', async () => {
    const a = await engine.ask('What does asn1_parser2tree do?', { topK: 3 });
    expect(a.trace?.[0].input).toEqual({ query: 'asn1_parser2tree', topK: PHRASE_POOL }); // BM25's pool for the phrase rerank
    expect(a.hits?.some((h) => h.source.startsWith('faq'))).toBe(false);
    expect(a.citations[0].source).toBe('asn1.md');
    expect(a.citations[0].quote).toBe('asn1_parser2tree parses DER bytes into a tree of ASN.1 nodes that later calls walk.');
  });
});
