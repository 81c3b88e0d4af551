import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapabilityError, InputFormatError, NotFoundError } from '../../src/core/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';
import { KnowledgeGraph, loadKnowledgeGraph, parseKnowledgeGraph, renderPath } from '../../src/methods/kg.js';
import { runMethod } from '../../src/methods/registry.js';
import { parseRelationPaths, rog } from '../../src/methods/rog.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { chatBodies, context, lastUser, MemoryRetriever, model } from './support/memory.js';

// A tiny KG. Lines:         1                 2                     3
const TRIPLES = [
  { head: 'Hamlet', relation: 'written_by', tail: 'William Shakespeare' }, // 1
  { head: 'William Shakespeare', relation: 'born_in', tail: 'Stratford-upon-Avon' }, // 2
  { head: 'William Shakespeare', relation: 'spouse', tail: 'Anne Hathaway' }, // 3
  { head: 'Stratford-upon-Avon', relation: 'located_in', tail: 'England' }, // 4
  { head: 'Hamlet', relation: 'set_in', tail: 'Denmark' }, // 5
  { head: 'Macbeth', relation: 'written_by', tail: 'William Shakespeare' }, // 6
  { head: 'Anne Hathaway', relation: 'born_in', tail: 'Shottery' }, // 7
];

let dir: string;
let server: OpenAIServer | undefined;
let kgPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openbook-rog-'));
  kgPath = join(dir, 'kg.jsonl');
  await writeFile(kgPath, TRIPLES.map((t) => JSON.stringify(t)).join('\n') + '\n');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('knowledge graph files', () => {
  it('reads JSONL and TSV triples with their line numbers, skipping blanks, comments and repeats', async () => {
    const kg = await loadKnowledgeGraph(kgPath);
    expect(kg.source).toBe(kgPath);
    expect(kg.triples).toHaveLength(7);
    expect(kg.triples[3]).toEqual({ head: 'Stratford-upon-Avon', relation: 'located_in', tail: 'England', line: 4 });
    expect(kg.relations).toEqual(['written_by', 'born_in', 'spouse', 'located_in', 'set_in']);
    expect(kg.entities).toHaveLength(8); // Hamlet, William Shakespeare, Stratford-upon-Avon, Anne Hathaway, England, Denmark, Macbeth, Shottery

    const tsv = parseKnowledgeGraph('# comment\nA\tr\tB\n\nB\ts\tC\nA\tr\tB\n', 'g.tsv');
    expect(tsv.triples).toEqual([
      { head: 'A', relation: 'r', tail: 'B', line: 2 },
      { head: 'B', relation: 's', tail: 'C', line: 4 },
    ]);
  });

  it('names file, line and field of a malformed triple; a missing file is NotFoundError', async () => {
    expect(() => parseKnowledgeGraph('A\tr\tB\nA\tr\n', 'g.tsv')).toThrow(/g\.tsv:2: expected 3 tab-separated fields/);
    expect(() => parseKnowledgeGraph('{"head":"A","relation":"r","tail":"B"}\n{"head":"A","relation":"","tail":"B"}', 'g.jsonl')).toThrow(/g\.jsonl:2: field "relation" must be a non-empty string/);
    expect(() => parseKnowledgeGraph('{"head":"A","relation":"r","tail":"B"}\n{oops', 'g.jsonl')).toThrow(InputFormatError);
    await expect(loadKnowledgeGraph(join(dir, 'missing.tsv'))).rejects.toThrow(NotFoundError);
  });

  it('finds topic entities: case-folded, longest first, whole words, Korean particles allowed', () => {
    const kg = new KnowledgeGraph(
      [
        { head: 'William Shakespeare', relation: 'r', tail: 'William', line: 1 },
        { head: 'Ham', relation: 'r', tail: 'Hamlet', line: 2 },
        { head: '파리', relation: '수도', tail: '프랑스', line: 3 },
      ],
      'g',
    );
    // "William" lies inside the longer "william shakespeare" match; "Ham" is inside the word "Hamlet"
    expect(kg.topicEntities('Did william shakespeare write HAMLET?').map((t) => t.entity)).toEqual(['William Shakespeare', 'Hamlet']);
    expect(kg.topicEntities('Did william shakespeare write HAMLET?')[0]).toMatchObject({ start: 4, end: 23 });
    expect(kg.topicEntities('파리는 어느 나라의 수도인가?').map((t) => t.entity)).toEqual(['파리']);
    expect(kg.topicEntities('Who is Hamletta?')).toEqual([]);
  });

  it('BFS follows only the planned relations, hop by hop, and caps the paths', () => {
    const kg = parseKnowledgeGraph(TRIPLES.map((t) => `${t.head}\t${t.relation}\t${t.tail}`).join('\n'), 'kg.tsv');
    const r = kg.followRelationPath('Hamlet', ['written_by', 'born_in'], 10);
    // Hamlet has written_by and set_in edges; only written_by is followed; then Shakespeare's born_in, not spouse
    expect(r.paths.map(renderPath)).toEqual(['Hamlet —written_by→ William Shakespeare —born_in→ Stratford-upon-Avon']);
    expect(r.truncated).toBe(false);
    expect(kg.followRelationPath('Hamlet', ['born_in'], 10).paths).toEqual([]); // no born_in edge out of Hamlet
    // two hops of born_in after spouse: Shakespeare —spouse→ Anne Hathaway —born_in→ Shottery
    expect(kg.followRelationPath('William Shakespeare', ['spouse', 'born_in'], 10).paths.map(renderPath)).toEqual(['William Shakespeare —spouse→ Anne Hathaway —born_in→ Shottery']);
    const wide = new KnowledgeGraph([1, 2, 3].map((i) => ({ head: 'X', relation: 'r', tail: `Y${i}`, line: i })), 'g');
    expect(wide.followRelationPath('X', ['r'], 2)).toMatchObject({ truncated: true, paths: [{ triples: [{ tail: 'Y1' }] }, { triples: [{ tail: 'Y2' }] }] });
    expect(kg.relationsNear(['Hamlet'], 1)).toEqual(['written_by', 'set_in']);
    expect(kg.relationsNear(['Hamlet'], 2)).toEqual(['written_by', 'set_in', 'born_in', 'spouse']);
  });
});

describe('RoG planning output', () => {
  const kg = new KnowledgeGraph(TRIPLES.map((t, i) => ({ ...t, line: i + 1 })), 'kg');
  it("parses RoG's <PATH> … <SEP> … </PATH> form and looser lists, matching names to the graph's relations", () => {
    const text = [
      'Here are the paths:',
      '1. <PATH> written_by <SEP> born_in </PATH>',
      '2. <PATH>Written By<SEP>spouse</PATH>',
      '<PATH> written_by <SEP> born_in </PATH>', // repeat, kept once
      '<PATH> directed_by </PATH>',
    ].join('\n');
    const r = parseRelationPaths(text, kg, 3, 3);
    expect(r.paths).toEqual([
      ['written_by', 'born_in'],
      ['written_by', 'spouse'],
    ]);
    expect(r.rejected).toEqual([{ text: 'directed_by', reason: 'not a relation of the graph: directed_by' }]);

    const loose = parseRelationPaths('- `written_by` -> `born_in` -> located_in\n- set_in\nPath 3: written_by → spouse → born_in → located_in', kg, 3, 3);
    expect(loose.paths).toEqual([['written_by', 'born_in', 'located_in'], ['set_in']]);
    expect(loose.rejected).toEqual([{ text: 'Path 3: written_by → spouse → born_in → located_in', reason: '4 relations > maxHops 3' }]);
    expect(parseRelationPaths('written_by, born_in\nset_in\nspouse', kg, 2, 3).paths).toEqual([['written_by', 'born_in'], ['set_in']]);
  });
});

describe('RoG (the loopback server stands in for an LLM)', () => {
  it('plans, follows only the planned relations from the topic entity, and the answer cites the paths', async () => {
    server = await startOpenAIServer();
    server.enqueueChat('<PATH> written_by <SEP> born_in </PATH>\n<PATH> set_in </PATH>\n<PATH> written_by <SEP> spouse </PATH>', 'Stratford-upon-Avon [1]');
    const kg = await loadKnowledgeGraph(kgPath);
    const retriever = new MemoryRetriever();
    const r = await rog.run('Where was the author of Hamlet born?', context(model(server), retriever, { kg }));
    expect(r.answer).toBe('Stratford-upon-Avon [1]');
    expect(r.hits.map((h) => h.text)).toEqual([
      'Hamlet —written_by→ William Shakespeare —born_in→ Stratford-upon-Avon',
      'Hamlet —set_in→ Denmark',
      'Hamlet —written_by→ William Shakespeare —spouse→ Anne Hathaway',
    ]);
    // each path is a passage of the KG file, lines = the span of its triples (lines 1 and 2)
    expect(r.hits[0]).toMatchObject({ rank: 1, source: kgPath, docId: kgPath, startLine: 1, endLine: 2, title: 'reasoning path written_by → born_in' });
    expect(r.citations).toHaveLength(1);
    expect(r.citations[0]).toMatchObject({ n: 1, source: kgPath, startLine: 1, endLine: 2, quote: r.hits[0].text }); // the quote is the cited path itself
    expect(r.calls).toBe(2);
    expect(retriever.queries).toEqual([]); // no text retrieval

    const [plan, reason] = chatBodies(server).map(lastUser);
    expect(plan).toContain('Topic entities: Hamlet');
    expect(plan).toContain('Relations:\nwritten_by\nset_in\nborn_in\nspouse\nlocated_in'); // within 3 hops of Hamlet, breadth first
    expect(reason).toContain('[1] Hamlet —written_by→ William Shakespeare —born_in→ Stratford-upon-Avon\n[2] Hamlet —set_in→ Denmark');
    expect(r.trace.filter((s) => s.kind === 'retrieve').map((s) => s.name)).toEqual([
      'BFS along written_by → born_in from Hamlet',
      'BFS along set_in from Hamlet',
      'BFS along written_by → spouse from Hamlet',
    ]);
  });

  it('runs by name with kg as a declared parameter; caps reasoning paths; rejects unknown relations', async () => {
    server = await startOpenAIServer();
    server.enqueueChat('<PATH> written_by </PATH>\n<PATH> wrote </PATH>', 'Hamlet and Macbeth');
    const kg = await loadKnowledgeGraph(kgPath);
    // "William Shakespeare" is the topic entity; written_by goes out of Hamlet and Macbeth, not out of Shakespeare → no path from him
    // so plan 1 yields nothing and "wrote" is rejected: the model answers closed-book
    const a = await runMethod('rog', 'What did William Shakespeare write?', context(model(server), new MemoryRetriever(), { kg }), { kg: kgPath, maxReasoningPaths: 1 });
    expect(a.hits).toEqual([]);
    expect(a.answer).toBe('Hamlet and Macbeth');
    const parsed = a.trace!.find((s) => s.name === 'parse relation paths')!;
    expect(parsed.output).toEqual({ paths: ['written_by'], rejected: ['wrote (not a relation of the graph: wrote)'] });
    expect(a.trace!.some((s) => s.kind === 'decide' && s.name.startsWith('no reasoning path'))).toBe(true);

    server.enqueueChat('<PATH> spouse <SEP> born_in </PATH>\n<PATH> born_in </PATH>', 'Shottery [1]');
    const b = await runMethod('rog', 'Where was the wife of William Shakespeare born?', context(model(server), new MemoryRetriever(), { kg }), { maxReasoningPaths: 1 });
    expect(b.hits.map((h) => h.text)).toEqual(['William Shakespeare —spouse→ Anne Hathaway —born_in→ Shottery']); // the cap of 1 drops the born_in path
    expect(b.citations[0]).toMatchObject({ startLine: 3, endLine: 7 });
  });

  it('without a KG: CapabilityError naming the parameter; no topic entity: says so without a model call', async () => {
    server = await startOpenAIServer();
    await expect(rog.run('Who wrote Hamlet?', context(model(server), new MemoryRetriever()))).rejects.toThrow(CapabilityError);
    await expect(rog.run('Who wrote Hamlet?', context(model(server), new MemoryRetriever()))).rejects.toThrow(/--param kg=/);
    const kg = await loadKnowledgeGraph(kgPath);
    const r = await rog.run('What is the capital of France?', context(model(server), new MemoryRetriever(), { kg }));
    expect(r.answer).toBe(`No entity of the knowledge graph ${kgPath} was found in the question.`);
    expect(r.calls).toBe(0);
    expect(server.count('/chat/completions')).toBe(0);
  });
});

describe('RoG through the engine (the loopback server stands in for an LLM)', () => {
  it('ask --method rog --param kg=<file>: the engine loads the triples file into ctx.kg', async () => {
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'a.md'), '# Hamlet\n\nHamlet is a tragedy.\n');
    const indexDir = join(dir, '.openbook');
    await indexPaths({ indexDir, paths: ['docs'], cwd: dir, now: Date.now });
    server = await startOpenAIServer();
    server.enqueueChat('<PATH> set_in </PATH>', 'Denmark [1]');
    const engine = await Engine.open(indexDir, { llm: model(server) });
    const a = await engine.ask('Where is Hamlet set?', { method: 'rog', params: { kg: kgPath } });
    expect(a.answer).toBe('Denmark [1]');
    expect(a.citations[0]).toMatchObject({ source: kgPath, startLine: 5, endLine: 5, quote: 'Hamlet —set_in→ Denmark' });
    await expect(engine.ask('Where is Hamlet set?', { method: 'rog', params: { kg: join(dir, 'none.tsv') } })).rejects.toThrow(/knowledge graph .*none\.tsv: cannot read/);
    await expect(engine.ask('Where is Hamlet set?', { method: 'rog' })).rejects.toThrow(CapabilityError);
  });
});
