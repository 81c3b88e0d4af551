/**
 * bench/qa-notes (issue #12 item 5): the question set is well formed and every answer is where
 * it says (checked against the real files), and the verdict logic of `npm run eval:notes` gives
 * the verdicts its docstring defines on hand-made citations.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/ingest/load.js';
import { walkPaths } from '../../src/ingest/walk.js';
import { VENDOR_CONTRACT } from '../../bench/qa-notes/make-docx.js';
import { judge, normalizeAnswer, parseQuestions, spansVerbatim, type JudgedCitation, type NotesQuestion } from '../../bench/qa-notes/verdict.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const questionsText = readFileSync(path.join(repo, 'bench/qa-notes/questions.jsonl'), 'utf8');
const seedsPresent = existsSync(path.resolve(repo, '../shared/seeds'));

describe('bench/qa-notes/questions.jsonl', () => {
  const qs = parseQuestions(questionsText);

  it('holds at least 40 questions over seeds, docs and the notes, in Korean and English, in every kind of file', () => {
    expect(qs.length).toBeGreaterThanOrEqual(40);
    const files = new Set(qs.map((q) => q.file));
    expect([...files].some((f) => f.startsWith('../shared/seeds/'))).toBe(true);
    expect([...files].some((f) => f.startsWith('docs/'))).toBe(true);
    for (const ext of ['.txt', '.md', '.html', '.docx']) expect([...files].some((f) => f.startsWith('bench/qa-notes/notes/') && f.endsWith(ext)), ext).toBe(true);
    expect(qs.filter((q) => /[\uac00-\ud7a3]/.test(q.question)).length).toBeGreaterThanOrEqual(15);
    expect(qs.filter((q) => !/[\uac00-\ud7a3]/.test(q.question)).length).toBeGreaterThanOrEqual(15);
  });

  it('every answer starts on its line of its file (for DOCX: in its paragraph, headings counted)', () => {
    for (const q of qs) {
      if (q.file.startsWith('../shared/seeds/') && !seedsPresent) continue;
      if (q.file.endsWith('.docx')) {
        expect(VENDOR_CONTRACT[q.line - 1]?.[1], q.id).toContain(q.answer);
        continue;
      }
      const lines = readFileSync(path.resolve(repo, q.file), 'utf8').split('\n');
      expect(lines[q.line - 1], `${q.id} ${q.file}:${q.line}`).toBeDefined();
      // The answer starts on that line; a hard-wrapped answer may continue on the next one.
      const from = lines.slice(q.line - 1, q.line + 1).join(' ').replace(/\s+/g, ' ');
      const at = from.indexOf(q.answer);
      expect(at, `${q.id}: "${q.answer}" not at ${q.file}:${q.line}`).toBeGreaterThanOrEqual(0);
      expect(at, `${q.id}: starts after line ${q.line}`).toBeLessThan(lines[q.line - 1].replace(/\s+/g, ' ').length);
    }
  });

  it('the committed DOCX reads back as VENDOR_CONTRACT, paragraph by paragraph', async () => {
    const docs = [];
    for await (const e of walkPaths(['bench/qa-notes/notes/vendor-contract.docx'], { cwd: repo })) for await (const d of loadFile(e)) docs.push(d);
    expect(docs).toHaveLength(1);
    expect(docs[0].text.split('\n').filter((l) => l.trim() !== '')).toEqual(VENDOR_CONTRACT.map(([, t]) => t));
  });

  it('a hard-wrapped Korean note and a hard-wrapped English manual are among the files', () => {
    const wrapped = (f: string) => readFileSync(path.join(repo, f), 'utf8').split('\n').some((l, i, all) => l.length > 30 && !/[.:다]$/.test(l) && (all[i + 1] ?? '') !== '');
    expect(wrapped('bench/qa-notes/notes/2026-11-18-검색팀-회의록.txt')).toBe(true);
    expect(wrapped('bench/qa-notes/notes/backup-manual.md')).toBe(true);
  });
});

describe('parseQuestions errors name the line and the field', () => {
  it.each([
    ['{"id":"a","question":"q","answer":"x","file":"f.md","line":1}\nnot json', /^q\.jsonl:2: not JSON/],
    ['{"id":"a","question":"","answer":"x","file":"f.md","line":1}', /^q\.jsonl:1: field "question" must be a non-empty string/],
    ['{"id":"a","question":"q","answer":"x","file":"f.md","line":0}', /^q\.jsonl:1: field "line" must be an integer ≥ 1/],
    ['{"id":"a","question":"q","answer":"x","file":"f.md","line":1}\n\n{"id":"a","question":"q","answer":"x","file":"f.md","line":2}', /^q\.jsonl:3: duplicate id "a"/],
    ['[1]', /^q\.jsonl:1: expected a JSON object/],
  ])('%s', (text, err) => {
    expect(() => parseQuestions(text, 'q.jsonl')).toThrow(err);
  });
});

describe('judge: the verdict of the first citation', () => {
  const q: NotesQuestion = { id: 'x', question: 'How long does a rollback take?', answer: 'about eight minutes', file: 'notes/a.md', line: 4 };
  const quote = 'A rollback takes about eight minutes because only the servers are redeployed.';
  const at = quote.indexOf('about eight minutes');
  const cite = (over: Partial<JudgedCitation> = {}): JudgedCitation => ({ source: 'notes/a.md', startLine: 3, endLine: 5, quote, ...over });

  it('refused without citations', () => expect(judge(q, [])).toBe('refused'));
  it('right span when the marked span is the answer (case, spacing and outer punctuation ignored)', () => {
    expect(judge(q, [cite({ answerSpan: { start: at, end: at + 19 } })])).toBe('right span');
    expect(judge({ ...q, answer: 'About  eight minutes.' }, [cite({ answerSpan: { start: at, end: at + 19 } })])).toBe('right span');
  });
  it('right sentence with no span, or a span that is not the answer', () => {
    expect(judge(q, [cite()])).toBe('right sentence');
    expect(judge(q, [cite({ answerSpan: { start: at, end: at + 5 } })])).toBe('right sentence');
  });
  it('wrong: another file, a range that misses the line, or a quote without the answer', () => {
    expect(judge(q, [cite({ source: 'notes/b.md' })])).toBe('wrong');
    expect(judge(q, [cite({ startLine: 5, endLine: 6 })])).toBe('wrong');
    expect(judge(q, [cite({ quote: 'A rollback takes a while.' })])).toBe('wrong');
  });
  it('only the first citation counts', () => {
    expect(judge(q, [cite({ quote: 'Releases are cut on Wednesdays.' }), cite()])).toBe('wrong');
  });
  it('DOCX: the line is a paragraph, checked against the locator', () => {
    const d = { ...q, file: 'c.docx', line: 7 };
    expect(judge(d, [cite({ source: 'c.docx', startLine: 1, endLine: 1, locator: { kind: 'paragraph', start: 6, end: 9 } })])).toBe('right sentence');
    expect(judge(d, [cite({ source: 'c.docx', startLine: 1, endLine: 1, locator: { kind: 'paragraph', start: 1, end: 3 } })])).toBe('wrong');
    expect(judge(d, [cite({ source: 'c.docx', startLine: 7, endLine: 7 })])).toBe('wrong');
  });
  it('normalizeAnswer and spansVerbatim', () => {
    expect(normalizeAnswer(' “Daniel  Osei.” ')).toBe('daniel osei');
    expect(spansVerbatim([cite({ answerSpan: { start: at, end: at + 19 } })])).toBe(true);
    expect(spansVerbatim([cite({ answerSpan: { start: 70, end: 200 } })])).toBe(false);
    expect(spansVerbatim([cite({ answerSpan: { start: 4, end: 4 } })])).toBe(false);
  });
});
