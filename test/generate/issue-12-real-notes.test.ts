/**
 * Issue #12, the answers a person asks for in real documents, through `ask`'s path
 * (`Engine.ask(q, { extractive: true, topK: 5 })`) over an index of the repository's own files:
 *  - the README's English showcase, over docs/guide/methods.en.md: "What does HyDE generate before
 *    it retrieves?" leads with "a hypothetical document" — the question says "generate", the
 *    sentence says "write";
 *  - bench/qa-notes en-man-6, over bench/qa-notes/notes/backup-manual.md: "Who wrote
 *    nightly-backup?" quotes "nightly-backup was written by Ines Carvalho …" — "wrote" and
 *    "written" are one verb, and the other sentence ("… and it writes one line …") names no person;
 *  - bench/qa-notes en-man-3: "How many dumps of each database does nightly-backup keep by default?"
 *    quotes the `--keep N` item — "nightly-backup" is one word of the question, whose two terms
 *    must not outweigh "keep" and "default" (the Description sentence names it twice).
 */
import { mkdtemp, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { indexPaths } from '../../src/engine/indexer.js';

const repo = path.resolve(__dirname, '..', '..');
let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'openbook-issue12-notes-'));
  const docs = path.join(dir, 'docs');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(docs);
  await copyFile(path.join(repo, 'docs/guide/methods.en.md'), path.join(docs, 'methods.en.md'));
  await copyFile(path.join(repo, 'bench/qa-notes/notes/backup-manual.md'), path.join(docs, 'backup-manual.md'));
  // Other English pages, for document frequencies like a real folder's ("default", "keep" are common words).
  for (const f of ['regressions.md', 'models.md', 'formats.md', 'filters.md']) await copyFile(path.join(repo, 'docs', f), path.join(docs, f));
  await indexPaths({ indexDir: path.join(dir, 'index'), paths: ['docs'], cwd: dir, now: Date.now });
  engine = await Engine.open(path.join(dir, 'index'));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ask(question: string) {
  const a = await engine.ask(question, { extractive: true, topK: 5 });
  const c = a.citations[0];
  return {
    answer: a.answer,
    source: c?.source,
    quote: c?.quote.replace(/\s+/g, ' '),
    // The span is verbatim in the quote, so it keeps the file's hard line break ("a\nhypothetical").
    span: c?.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end).replace(/\s+/g, ' ') : undefined,
  };
}

describe('answers over real documents (issue #12)', () => {
  it('README showcase: HyDE "generate" → the sentence that says "write", short answer "a hypothetical document"', async () => {
    const a = await ask('What does HyDE generate before it retrieves?');
    expect(a.source).toBe('docs/methods.en.md');
    expect(a.quote).toBe('Before it retrieves, HyDE asks an instruction-following language model to write a hypothetical document that answers the question.');
    expect(a.span).toBe('a hypothetical document');
    expect(a.answer.startsWith('a hypothetical document — Before it retrieves, HyDE asks')).toBe(true);
  });

  it('qa-notes en-man-6: "Who wrote nightly-backup?" → "… was written by Ines Carvalho …", short answer the name', async () => {
    const a = await ask('Who wrote nightly-backup?');
    expect(a.source).toBe('docs/backup-manual.md');
    expect(a.quote).toBe('nightly-backup was written by Ines Carvalho in 2019 to replace a shell script that silently skipped databases whose names contained a hyphen.');
    expect(a.span).toBe('Ines Carvalho');
  });

  it('qa-notes en-man-3: a hyphenated word of the question counts once — the --keep item, short answer 14', async () => {
    const a = await ask('How many dumps of each database does nightly-backup keep by default?');
    expect(a.source).toBe('docs/backup-manual.md');
    expect(a.quote).toBe('- `--keep N`: keep the last N dumps of each database (default 14).');
    expect(a.span).toBe('14');
  });
});
