import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFormatError, NotFoundError } from '../../src/core/errors.js';
import { loadBeir, loadHotpotQa, loadSquad, readQrels, readRun, writeRun } from '../../src/eval/loaders/index.js';

const dir = mkdtempSync(join(tmpdir(), 'openbook-eval-loaders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function beirFixture(name: string, corpusLines: string[]): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'qrels'), { recursive: true });
  writeFileSync(join(root, 'corpus.jsonl'), corpusLines.join('\n') + '\n');
  writeFileSync(
    join(root, 'queries.jsonl'),
    ['{"_id": "1", "text": "cats", "metadata": {}}', '{"_id": "2", "text": "dogs", "metadata": {}}', '{"_id": "9", "text": "unjudged"}'].join('\n'),
  );
  // BEIR qrels: header row and CRLF line endings, as Python's csv.writer writes them
  writeFileSync(join(root, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\r\n1\tA\t1\r\n2\tB\t2\r\n');
  return root;
}

describe('BEIR loader', () => {
  it('reads corpus, judged queries and CRLF qrels with a header', async () => {
    const root = beirFixture('ok', ['{"_id": "A", "title": "Cats", "text": "cats purr"}', '{"_id": "B", "title": "Dogs", "text": "dogs bark", "metadata": {}}', '{"_id": 7, "text": "no title, numeric id"}']);
    const ds = await loadBeir(root, 'test');
    expect(ds.name).toBe('ok');
    expect(ds.corpus).toEqual([
      { id: 'A', title: 'Cats', text: 'cats purr' },
      { id: 'B', title: 'Dogs', text: 'dogs bark' },
      { id: '7', title: '', text: 'no title, numeric id' },
    ]);
    expect([...ds.queries]).toEqual([['1', 'cats'], ['2', 'dogs']]); // query 9 has no judgments
    expect([...ds.qrels.get('2')!]).toEqual([['B', 2]]);
    expect(ds.files).toHaveLength(3);
  });

  it('skips a malformed line with file:line, or fails with --strict', async () => {
    const root = beirFixture('bad', ['{"_id": "A", "title": "", "text": "x"}', '{"_id": "B", "title": "", ', '{"title": "no id", "text": "y"}']);
    const warnings: string[] = [];
    const ds = await loadBeir(root, 'test', { onWarning: (m) => warnings.push(m) });
    expect(ds.corpus.map((d) => d.id)).toEqual(['A']);
    expect(warnings[0]).toMatch(/corpus\.jsonl:2: invalid JSON/);
    expect(warnings[1]).toMatch(/corpus\.jsonl:3: missing "_id"/);
    await expect(loadBeir(root, 'test', { strict: true })).rejects.toThrow(InputFormatError);
    await expect(loadBeir(root, 'test', { strict: true })).rejects.toThrow(/corpus\.jsonl:2:/);
  });

  it('names the missing split', async () => {
    await expect(loadBeir(beirFixture('nosplit', ['{"_id": "A", "text": "x"}']), 'dev')).rejects.toThrow(NotFoundError);
    await expect(loadBeir(join(dir, 'nosplit'), 'dev')).rejects.toThrow(/split "dev"/);
  });
});

describe('TREC files', () => {
  it('run round trip: 6-decimal scores, ranks 1..n', async () => {
    const file = join(dir, 'run.trec');
    await writeRun(file, new Map([['q1', [{ docId: 'd2', score: 12.3456789 }, { docId: 'd1', score: 1 }]]]), 'openbook');
    expect(readFileSync(file, 'utf8')).toBe('q1 Q0 d2 1 12.345679 openbook\nq1 Q0 d1 2 1.000000 openbook\n');
    const run = await readRun(file);
    expect(run.get('q1')).toEqual([{ docId: 'd2', score: 12.345679 }, { docId: 'd1', score: 1 }]);
  });
  it('qrels in TREC 4-column form; bad grade reported with file:line', async () => {
    const file = join(dir, 'qrels.txt');
    writeFileSync(file, '1 0 A 1\n1 0 B x\n2 0 C 0\n');
    const warnings: string[] = [];
    const q = await readQrels(file, { onWarning: (m) => warnings.push(m) });
    expect([...q.get('1')!]).toEqual([['A', 1]]);
    expect([...q.get('2')!]).toEqual([['C', 0]]);
    expect(warnings).toEqual([`${file}:2: relevance "x" is not an integer`]);
  });
});

describe('SQuAD / KorQuAD loader', () => {
  it('one document per paragraph; the question relevant to its own paragraph', async () => {
    const file = join(dir, 'KorQuAD_mini.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 'KorQuAD_v1.0_dev',
        data: [
          { title: '임종석', paragraphs: [{ context: '1989년 2월 15일 …', qas: [{ id: 'q1', question: '언제?', answers: [{ text: '1989년 2월 15일', answer_start: 0 }] }] }] },
          { title: 'B', paragraphs: [{ context: 'x', qas: [] }, { context: 'y', qas: [{ id: 'q2', question: 'y?', answers: [{ text: 'y' }] }, { id: 'q3', answers: [] }] }] },
        ],
      }),
    );
    const warnings: string[] = [];
    const ds = await loadSquad(file, { onWarning: (m) => warnings.push(m) });
    expect(ds.answerMetric).toBe('korquad');
    expect(ds.corpus.map((d) => d.id)).toEqual(['0.0', '1.0', '1.1']);
    expect(ds.corpus[0].title).toBe('임종석');
    expect(ds.questions).toEqual([
      { id: 'q1', question: '언제?', answers: ['1989년 2월 15일'], relevant: ['0.0'] },
      { id: 'q2', question: 'y?', answers: ['y'], relevant: ['1.1'] },
    ]);
    expect(warnings).toEqual([`${file}:data[1].paragraphs[1].qas[1]: expected "id", "question" (strings) and "answers" (array)`]);
  });
});

describe('HotpotQA (IRCoT jsonl) loader', () => {
  it('pools distinct paragraphs; supporting paragraphs are relevant', async () => {
    const file = join(dir, 'hotpot.jsonl');
    const ctx = (title: string, text: string, sup: boolean) => ({ id: '0', title, paragraph_text: text, is_supporting: sup });
    writeFileSync(
      file,
      [
        { question_id: 'a', question_text: 'Q a?', answers_objects: [{ spans: ['X'] }], contexts: [ctx('T1', 'p1', true), ctx('T2', 'p2', false), ctx('T3', 'p3', true)] },
        { question_id: 'b', question_text: 'Q b?', answers_objects: [{ spans: ['Y', 'Z'] }], contexts: [ctx('T2', 'p2', true), ctx('T4', 'p4', true)] },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const ds = await loadHotpotQa(file);
    expect(ds.corpus.map((d) => `${d.id}:${d.title}`)).toEqual(['p0:T1', 'p1:T2', 'p2:T3', 'p3:T4']);
    expect(ds.questions[0]).toEqual({ id: 'a', question: 'Q a?', answers: ['X'], relevant: ['p0', 'p2'] });
    expect(ds.questions[1].relevant).toEqual(['p1', 'p3']);
    expect(ds.questions[1].answers).toEqual(['Y', 'Z']);
  });
});
