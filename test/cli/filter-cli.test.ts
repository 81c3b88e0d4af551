/**
 * Metadata end to end as a user meets it: `index --meta`, Markdown front matter, sidecar files
 * and JSONL fields become filterable fields; `search`, `ask` and `status` honour and show them;
 * a changed sidecar re-indexes an unchanged file; a bad filter is one line naming the column.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLang, flattenMeta, mergeMeta, metaDateKeys, parseMetaPairs } from '../../src/ingest/metadata.js';
import { runCli } from '../support/cli.js';

let dir: string;

const run = (args: string[]) => runCli(dir, args, { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_LLM_MODEL_DIR: '', OPENBOOK_EMBED_BASE_URL: '' });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-filter-cli-'));
  mkdirSync(path.join(dir, 'notes/2024'), { recursive: true });
  mkdirSync(path.join(dir, 'notes/2023'), { recursive: true });
  writeFileSync(
    path.join(dir, 'notes/2024/minutes.md'),
    '---\ntitle: 2024 보안 회의록\ntags: [보안, 회의]\ndate: 2024-03-05\nauthor:\n  name: 김민수\n---\n# 회의록\n\n접근 권한 검토는 분기마다 한다. 비밀번호 정책은 12자 이상이다.\n',
  );
  writeFileSync(path.join(dir, 'notes/2023/minutes.md'), '# 2023 회의록\n\n접근 권한 검토는 반기마다 한다. 비밀번호 정책은 8자 이상이었다.\n');
  writeFileSync(path.join(dir, 'notes/2023/minutes.md.meta.json'), JSON.stringify({ tags: ['회의'], owner: 'hr' }));
  writeFileSync(
    path.join(dir, 'corpus.jsonl'),
    [
      { _id: 'p1', title: 'Password policy', text: 'The password policy requires twelve characters.', metadata: { url: 'https://example.org/p1', year: 2024, published: '2024-05-01' } },
      { _id: 'p2', title: 'Old password policy', text: 'The old password policy required eight characters.', metadata: { url: 'https://example.org/p2', year: 2021 } },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n') + '\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('metadata and filters from the CLI', () => {
  it('front matter, sidecars, JSONL fields and --meta tags are fields; search and ask filter exactly; status lists the fields', async () => {
    const ix = await run(['index', 'notes', 'corpus.jsonl', '--meta', 'project=alpha', '--meta', 'tags=imported', '--json']);
    expect(ix.code).toBe(0);
    const status = JSON.parse((await run(['status', '--json'])).stdout);
    const field = (f: string) => status.metadataFields.find((x: { field: string }) => x.field === f);
    expect(field('tags')).toMatchObject({ types: ['string[]'], documents: 4 });
    // ISO-date strings (front matter, JSONL) are stored as ms and listed as dates; a plain number stays a number.
    expect(field('date')).toMatchObject({ types: ['date'], documents: 1 });
    expect(field('metadata.published')).toMatchObject({ types: ['date'], documents: 1 });
    expect(field('author.name')).toMatchObject({ documents: 1 });
    expect(field('metadata.year')).toMatchObject({ types: ['number'], documents: 2 });
    expect(field('lang')).toMatchObject({ documents: 4 });
    expect(field('project')).toMatchObject({ documents: 4 });

    // Tags from front matter, --meta and the sidecar are united; a later scalar wins.
    const all = JSON.parse((await run(['search', '비밀번호 정책', '--json'])).stdout).hits;
    expect(all.map((h: { docId: string }) => h.docId).sort()).toEqual(['notes/2023/minutes.md', 'notes/2024/minutes.md']);
    const byTag = JSON.parse((await run(['search', '비밀번호 정책', '--filter', 'tags CONTAINS "회의" AND owner = "hr"', '--json'])).stdout).hits;
    expect(byTag.map((h: { docId: string }) => h.docId)).toEqual(['notes/2023/minutes.md']);
    const byDate = JSON.parse((await run(['search', '비밀번호', '--filter', 'date >= 2024-01-01 AND lang = "ko"', '--json'])).stdout).hits;
    expect(byDate.map((h: { docId: string }) => h.docId)).toEqual(['notes/2024/minutes.md']);
    const byPath = JSON.parse((await run(['search', 'password policy', '--filter', '{"field":"metadata.year","op":">=","value":2024}', '--json'])).stdout).hits;
    expect(byPath.map((h: { docId: string }) => h.docId)).toEqual(['corpus.jsonl#p1']); // JSONL ids are scoped to their file (#18)
    const glob = JSON.parse((await run(['search', '회의록', '--filter', 'path GLOB "notes/2023/*"', '--json'])).stdout).hits;
    expect(glob.every((h: { source: string }) => h.source.startsWith('notes/2023/'))).toBe(true);
    const none = JSON.parse((await run(['search', 'password', '--filter', 'format = "pdf"', '--json'])).stdout).hits;
    expect(none).toEqual([]);

    const ask = JSON.parse((await run(['ask', '비밀번호 정책은 몇 자 이상인가?', '--filter', 'folder = "notes/2024"', '--json'])).stdout);
    expect(ask.citations.every((c: { source: string }) => c.source === 'notes/2024/minutes.md')).toBe(true);
    expect(ask.answer).toContain('12자');

    const table = (await run(['status'])).stdout;
    expect(table).toContain('metadata fields (--filter)');
    expect(table).toMatch(/tags\s+string\[\]\s+4/);
  }, 120_000);

  it('a bad filter is one line naming the column, exit 2; a changed sidecar re-indexes an unchanged file', async () => {
    const bad = await run(['search', 'x', '--filter', 'format = "pdf" AND']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^error: filter: column 19: /);
    writeFileSync(path.join(dir, 'notes/2023/minutes.md.meta.json'), JSON.stringify({ tags: ['회의', '보안'], owner: 'hr' }));
    const re = JSON.parse((await run(['index', 'notes', 'corpus.jsonl', '--meta', 'project=alpha', '--meta', 'tags=imported', '--json'])).stdout);
    expect(re).toMatchObject({ updated: 1, unchanged: 3 });
    const hits = JSON.parse((await run(['search', '비밀번호', '--filter', 'tags CONTAINS "보안"', '--json'])).stdout).hits;
    expect(hits.map((h: { docId: string }) => h.docId).sort()).toEqual(['notes/2023/minutes.md', 'notes/2024/minutes.md']);
  }, 120_000);

  it('the metadata helpers: language detection, flattening, --meta pairs', () => {
    expect(detectLang('접근 권한 검토는 분기마다 한다. 비밀번호 정책은 12자 이상이다. BM25 score')).toBe('ko');
    expect(detectLang('The password policy requires twelve characters in every account.')).toBe('en');
    expect(detectLang('短い')).toBe('und');
    expect(detectLang('これは日本語の文章です。ひらがなとカタカナを含みます。')).toBe('ja');
    expect(flattenMeta({ a: { b: 1, c: ['x', 2] }, d: '2024-03-05', e: null })).toEqual({ 'a.b': 1, 'a.c': ['x', '2'], d: Date.UTC(2024, 2, 5) });
    expect(parseMetaPairs(['tags=보안', 'tags=계약', 'n=3', 'ok=true', 'k=a', 'k=b'])).toEqual({ tags: ['보안', '계약'], n: 3, ok: true, k: ['a', 'b'] });
    expect(parseMetaPairs(['tags=one'])).toEqual({ tags: ['one'] });
    // Which fields hold dates: those that were ISO-date strings, whichever layer's value wins.
    const fm = flattenMeta({ d: '2024-03-05', n: 2024, s: 'x', when: { at: '2024-03-05T09:30:00Z' } });
    expect(metaDateKeys(fm)).toEqual(['d', 'when.at']);
    expect(metaDateKeys(parseMetaPairs(['due=2025-01-31', 'n=7']))).toEqual(['due']);
    expect(metaDateKeys(mergeMeta(fm, parseMetaPairs(['d=later', 'due=2025-01-31'])))).toEqual(['due', 'when.at']);
    expect(metaDateKeys(mergeMeta({ lang: 'ko' }, undefined))).toEqual([]);
    expect(() => parseMetaPairs(['=x'])).toThrow(/key=value/);
  });
});
