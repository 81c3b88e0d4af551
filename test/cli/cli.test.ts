/**
 * The `openbook` command end to end, as a user runs it: real files in a temporary folder,
 * a real child process per command, exit codes and output checked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN as MAIN, REPO_ROOT as ROOT, runCliSync } from '../support/cli.js';


let dir: string;

const run = (args: string[], opts: { cwd?: string } = {}) => runCliSync(opts.cwd ?? dir, args);

const json = (args: string[]) => {
  const r = run([...args, '--json']);
  expect(r.stderr.includes('error:'), r.stderr).toBe(false);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-cli-'));
  writeFileSync(
    path.join(dir, 'bm25.md'),
    [
      '# Sparse retrieval',
      '',
      '## BM25',
      '',
      'BM25 scores documents by term frequency and inverse document frequency.',
      'Length normalisation divides by k1 times (1 - b + b * |D| / avgdl), so long documents do not win merely by being long.',
      '',
      '## PageRank',
      '',
      'PageRank scores pages by the links that point at them.',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'hyde.txt'), 'HyDE asks a language model to write a hypothetical document before it retrieves.\nThen it embeds that document.\n');
  writeFileSync(path.join(dir, 'korean.md'), '# 검색기\n\n검색기는 질문과 관련된 문서를 찾습니다.\n\nBM25는 문서 길이를 avgdl로 보정합니다.\n');
  writeFileSync(path.join(dir, 'broken.txt'), Buffer.from([0x48, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x01, 0x02]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openbook CLI', () => {
  it('indexes a folder, skipping an unreadable file with one warning line', () => {
    const r = run(['index', '.']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/added 3, updated 0, removed 0, unchanged 0, skipped 1/);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('broken.txt');
  });

  it('a second run with no change does no work and says so', () => {
    const r = run(['index', '.']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no changes: 3 documents up to date/);
  });

  it('search --json returns ranked hits with the documented fields', () => {
    const out = json(['search', 'length normalisation avgdl', '-k', '3']);
    expect(out.query).toBe('length normalisation avgdl');
    expect(out.hits.length).toBeGreaterThan(0);
    const h = out.hits[0];
    expect(Object.keys(h)).toEqual(expect.arrayContaining(['rank', 'score', 'docId', 'chunkId', 'source', 'title', 'text', 'startLine', 'endLine']));
    expect(h.rank).toBe(1);
    expect(h.source).toBe('bm25.md');
    // The BM25 section spans lines 3-6 of bm25.md.
    expect(h.startLine).toBeLessThanOrEqual(6);
    expect(h.endLine).toBeGreaterThanOrEqual(6);
  });

  it('ask --json cites verbatim quotes with their lines, in English and Korean', () => {
    const en = json(['ask', 'What does HyDE write before it retrieves?']);
    expect(en.citations[0].source).toBe('hyde.txt');
    expect(en.citations[0].startLine).toBe(1);
    const ko = json(['ask', 'BM25는 문서 길이를 어떻게 보정하나요?']);
    expect(ko.citations.length).toBeGreaterThan(0);
    for (const a of [en, ko]) {
      for (const c of a.citations) {
        const hit = a.hits.find((h: { chunkId: string }) => h.chunkId === c.chunkId);
        expect(hit.text).toContain(c.quote);
        const file = readFileSync(path.join(dir, c.source), 'utf8').split('\n');
        expect(file.slice(c.startLine - 1, c.endLine).join('\n')).toContain(c.quote.split('\n')[0]);
      }
    }
  });

  it('ask prints the answer then numbered sources as path:lines', () => {
    const r = run(['ask', 'What does HyDE write before it retrieves?']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hypothetical document.*\[1\]/);
    expect(r.stdout).toMatch(/Sources\n\s+\[1\] hyde\.txt:1/);
  });

  it('updates changed files and removes deleted ones', () => {
    writeFileSync(path.join(dir, 'hyde.txt'), 'HyDE averages the embeddings of several hypothetical documents with the query embedding.\n');
    unlinkSync(path.join(dir, 'korean.md'));
    const r = run(['index', '.']);
    expect(r.stdout).toMatch(/added 0, updated 1, removed 1, unchanged 1/);
    const s = json(['status']);
    expect(s.numDocuments).toBe(2);
    const out = json(['search', '검색기']);
    expect(out.hits).toEqual([]);
  });

  it('bad input exits 2 with a one-line error and no stack trace', () => {
    const missing = run(['index', 'no-such-folder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: .*no-such-folder/m);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const flag = run(['search', 'x', '--no-such-flag']);
    expect(flag.code).toBe(2);
    const noIndex = run(['status', '--index', 'nowhere']);
    expect(noIndex.code).toBe(2);
    expect(noIndex.stderr).toMatch(/no index at/);
    const badK = run(['search', 'x', '-k', '0']);
    expect(badK.code).toBe(2);
  });

  it('a corrupt or newer-format index is refused with exit 2', () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'openbook-corrupt-'));
    try {
      writeFileSync(path.join(copy, 'manifest.json'), '{"formatVersion": 999}');
      const r = run(['status', '--index', copy]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: /m);
      writeFileSync(path.join(copy, 'manifest.json'), 'not json');
      expect(run(['search', 'x', '--index', copy]).code).toBe(2);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('kill -9 in the middle of indexing leaves the previous commit readable', async () => {
    const before = json(['status']);
    // A corpus big enough that indexing takes a few seconds.
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) lines.push(JSON.stringify({ _id: `d${i}`, title: `doc ${i}`, text: `synthetic passage ${i} about retrieval number ${i % 97} and ranking ${i % 13}` }));
    writeFileSync(path.join(dir, 'big.jsonl'), lines.join('\n') + '\n');
    // node itself runs the CLI (tsx as a loader), so SIGKILL reaches the writer: killing the tsx
    // launcher would leave its node child indexing, holding the lock.
    const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, MAIN, 'index', 'big.jsonl'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', OPENBOOK_INDEX: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(), 4000);
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/index: /.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
    }
    expect(child.signalCode, stderr).toBe('SIGKILL');
    const after = json(['status']);
    expect(after.generation).toBe(before.generation);
    expect(after.numDocuments).toBe(before.numDocuments);
    expect(json(['search', 'PageRank links']).hits[0].source).toBe('bm25.md');
    // The lock left by the killed writer is stale and is taken over by the next writer.
    const again = run(['index', 'big.jsonl']);
    expect(again.code).toBe(0);
    expect(json(['status']).numDocuments).toBe(before.numDocuments + 40_000);
  }, 120_000);
});
