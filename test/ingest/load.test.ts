import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document as DocxDocument, ExternalHyperlink, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputFormatError } from '../../src/core/errors.js';
import type { Document } from '../../src/core/types.js';
import { chunkDocument } from '../../src/ingest/chunk.js';
import { loadBytes, loadFile } from '../../src/ingest/load.js';
import { walkPaths, type WalkEntry } from '../../src/ingest/walk.js';

let dir: string;
/** The shared SciFact corpus, relative to the repository root (../shared/datasets). */
const SCIFACT_CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'datasets', 'scifact', 'corpus.jsonl');
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function entryFor(name: string): Promise<WalkEntry> {
  for await (const e of walkPaths([name], { cwd: dir })) return e;
  throw new Error(`no entry for ${name}`);
}

async function load(name: string, opts: Parameters<typeof loadFile>[1] = {}): Promise<Document[]> {
  const out: Document[] = [];
  for await (const d of loadFile(await entryFor(name), opts)) out.push(d);
  return out;
}

async function write(name: string, bytes: Uint8Array | string): Promise<Uint8Array> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  await writeFile(path.join(dir, name), buf);
  return buf;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'openbook-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('txt', () => {
  it('loads UTF-8, UTF-8 with BOM, UTF-16 LE and BE with BOM to the same text; hash is of the file bytes', async () => {
    const s = '검색 증강 생성\r\nRAG line two\n';
    const utf16 = Buffer.from(s, 'utf16le');
    const be = Buffer.from(utf16);
    for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1], be[i]];
    const variants: [string, Uint8Array][] = [
      ['plain.txt', Buffer.from(s, 'utf8')],
      ['bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')])],
      ['le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16])],
      ['be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
    ];
    for (const [name, bytes] of variants) {
      await write(name, bytes);
      const [d] = await load(name);
      expect(d.text).toBe('검색 증강 생성\nRAG line two\n');
      expect(d).toMatchObject({ id: name, source: name, title: name, format: 'txt', sizeBytes: bytes.length });
      expect(d.contentHash).toBe(sha(bytes));
    }
  });

  it('rejects a binary file with InputFormatError naming the file and offset', async () => {
    await write('blob.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    await expect(load('blob.txt')).rejects.toThrow(InputFormatError);
    await expect(load('blob.txt')).rejects.toThrow('blob.txt: binary file (NUL byte at offset 8)');
  });

  it('reports an unreadable path as InputFormatError "<path>: <reason>"', async () => {
    const gone = { absPath: path.join(dir, 'gone.txt'), relPath: 'gone.txt', format: 'txt' as const, mtimeMs: 0 };
    const it = loadFile(gone);
    await expect(it.next()).rejects.toThrow(/^gone\.txt: cannot read \(ENOENT/);
  });
});

describe('markdown', () => {
  const md = [
    '---', //                             1
    'title: "Notes on RAG"', //           2
    '---', //                             3
    '# RAG 개요', //                      4
    '', //                                5
    'See [BM25](https://en.wikipedia.org/wiki/Okapi_BM25 "wiki") and [DPR][dpr]. ![fig](img.png)', // 6
    '', //                                7
    '## Sparse *retrieval* ##', //        8
    '', //                                9
    '```md', //                           10
    '# not a heading [nor](a-link.md)', // 11
    '```', //                             12
    '', //                                13
    'Dense retrieval', //                 14
    '---------------', //                 15
    '', //                                16
    '### Deeper', //                      17
    'Text with `[code](x)` and <https://arxiv.org/abs/2005.11401>.', // 18
    '', //                                19
    '# Second top', //                    20
    '- list item', //                     21
    '---', //                             22 (thematic break after a list: not a heading)
    '[dpr]: https://arxiv.org/abs/2004.04906', // 23
    '',
  ].join('\n');

  it('keeps the text as written and records headings, links and the front-matter title', async () => {
    const bytes = await write('notes.md', md);
    const [d] = await load('notes.md');
    expect(d.text).toBe(md);
    expect(d.title).toBe('Notes on RAG');
    expect(d.contentHash).toBe(sha(bytes));
    const lineOf = (off: number) => md.slice(0, off).split('\n').length;
    expect(d.headings?.map((h) => [h.level, h.text, lineOf(h.start)])).toEqual([
      [1, 'RAG 개요', 4],
      [2, 'Sparse retrieval', 8],
      [2, 'Dense retrieval', 14],
      [3, 'Deeper', 17],
      [1, 'Second top', 20],
    ]);
    expect(d.links).toEqual([
      { href: 'https://en.wikipedia.org/wiki/Okapi_BM25', text: 'BM25' },
      { href: 'https://arxiv.org/abs/2004.04906', text: 'DPR' },
      { href: 'https://arxiv.org/abs/2005.11401', text: 'https://arxiv.org/abs/2005.11401' },
    ]);
  });

  it('chunks with heading paths and line numbers that match the file', async () => {
    const [d] = await load('notes.md');
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 32 });
    const lines = md.split('\n');
    expect(chunks.map((c) => [c.headingPath, c.startLine, c.endLine])).toEqual([
      [[], 1, 3],
      [['RAG 개요'], 4, 6],
      [['RAG 개요', 'Sparse retrieval'], 8, 12],
      // "Dense retrieval" holds only its (setext) heading, so it joins the deeper "### Deeper" section
      [['RAG 개요', 'Dense retrieval', 'Deeper'], 14, 18],
      [['Second top'], 20, 23],
    ]);
    for (const c of chunks) {
      expect(c.text).toBe(d.text.slice(c.startChar, c.endChar));
      expect(c.text.split('\n')[0]).toBe(lines[c.startLine - 1]);
      expect(c.text.split('\n').at(-1)).toBe(lines[c.endLine - 1]);
    }
  });

  it('falls back to the first heading, then the file name, for the title', async () => {
    await write('h.md', 'intro\n\n## Only Sub\n');
    await write('plain.markdown', 'no headings here\n');
    expect((await load('h.md'))[0].title).toBe('Only Sub');
    expect((await load('plain.markdown'))[0].title).toBe('plain.markdown');
  });
});

describe('html', () => {
  const page = `<!doctype html><html><head><title> RAG   Guide </title><style>body{}</style></head><body>
<nav><a href="/home">Home</a> | <a href="/about">About us</a></nav>
<header><p>Site banner and cookie notice</p></header>
<article>
  <h1>Retrieval-Augmented Generation</h1>
  <p>RAG combines a retriever with a generator. See <a href="bm25.html">BM25
     ranking</a> and <a href="https://arxiv.org/abs/2004.04906">DPR</a>.</p>
  <h2>Sparse retrieval</h2>
  <p>BM25 scores documents by term frequency, inverse document frequency and length normalisation.</p>
  <ul><li>k1 controls saturation</li><li>b controls length normalisation</li></ul>
  <p>검색 증강 생성은 외부 지식을 사용한다. This paragraph is here so the article is the longest block.</p>
</article>
<footer><p>Copyright 2024 Example Org</p><a href="#top">top</a><a href="javascript:void(0)">x</a></footer>
<script>var tracking = 1;</script></body></html>`;

  it('extracts the main content with headings, links and title, dropping boilerplate', async () => {
    await write('guide.html', page);
    const [d] = await load('guide.html');
    expect(d.title).toBe('RAG Guide');
    expect(d.format).toBe('html');
    expect(d.text).toBe(
      [
        'Retrieval-Augmented Generation',
        '',
        'RAG combines a retriever with a generator. See BM25 ranking and DPR.',
        '',
        'Sparse retrieval',
        '',
        'BM25 scores documents by term frequency, inverse document frequency and length normalisation.',
        '',
        'k1 controls saturation',
        'b controls length normalisation',
        '',
        '검색 증강 생성은 외부 지식을 사용한다. This paragraph is here so the article is the longest block.',
      ].join('\n'),
    );
    expect(d.text).not.toContain('Site banner');
    expect(d.text).not.toContain('tracking');
    expect(d.headings).toEqual([
      { level: 1, text: 'Retrieval-Augmented Generation', start: 0 },
      { level: 2, text: 'Sparse retrieval', start: d.text.indexOf('Sparse retrieval') },
    ]);
    expect(d.links).toEqual([
      { href: 'bm25.html', text: 'BM25 ranking' },
      { href: 'https://arxiv.org/abs/2004.04906', text: 'DPR' },
    ]);
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 32 });
    expect(chunks.map((c) => c.headingPath)).toEqual([['Retrieval-Augmented Generation'], ['Retrieval-Augmented Generation', 'Sparse retrieval']]);
  });

  it('keeps the whole body with readability: false, and takes the title from <h1> when <title> is missing', async () => {
    await write('bare.htm', '<html><body><nav><a href="/x">Nav link</a></nav><h1>Only  H1</h1><p>Body text.</p></body></html>');
    const [d] = await load('bare.htm', { readability: false });
    expect(d.title).toBe('Only H1');
    expect(d.text).toBe('Nav link\n\nOnly H1\n\nBody text.');
    expect(d.headings).toEqual([{ level: 1, text: 'Only H1', start: 10 }]);
    expect(d.links).toEqual([{ href: '/x', text: 'Nav link' }]);
  });
});

describe('pdf', () => {
  it('reads a 2-page PDF made with pdf-lib: page spans, metadata title, and chunk pages', async () => {
    const pdf = await PDFDocument.create();
    pdf.setTitle('Two Page Report');
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const pagesText = [['First page line one.', 'First page line two.'], ['Second page text.']];
    for (const lines of pagesText) {
      const page = pdf.addPage([300, 300]);
      lines.forEach((l, i) => page.drawText(l, { x: 20, y: 250 - i * 20, size: 12, font }));
    }
    const bytes = await write('report.pdf', await pdf.save());
    const [d] = await load('report.pdf');
    expect(d.title).toBe('Two Page Report');
    expect(d.contentHash).toBe(sha(bytes));
    // page 1 = 20 + 1 + 20 = 41 chars; "\n\n" separator; page 2 starts at 43, 17 chars
    expect(d.text).toBe('First page line one.\nFirst page line two.\n\nSecond page text.');
    expect(d.pages).toEqual([
      { page: 1, start: 0, end: 41 },
      { page: 2, start: 43, end: 60 },
    ]);
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 32 });
    expect(chunks.map((c) => [c.text, c.page, c.startLine, c.endLine])).toEqual([
      ['First page line one.\nFirst page line two.', 1, 1, 2],
      ['Second page text.', 2, 4, 4],
    ]);
  });

  it('titles an untitled PDF by file name and rejects a corrupt one', async () => {
    const pdf = await PDFDocument.create();
    pdf.addPage([100, 100]);
    await write('blank.pdf', await pdf.save());
    const [d] = await load('blank.pdf');
    expect(d.title).toBe('blank.pdf');
    expect(d.text).toBe('');
    expect(d.pages).toEqual([{ page: 1, start: 0, end: 0 }]);
    expect(chunkDocument(d, { chunkSize: 10, chunkOverlap: 0 })).toEqual([]);
    await write('broken.pdf', '%PDF-1.7\nthis is not really a pdf');
    await expect(load('broken.pdf')).rejects.toThrow(/^broken\.pdf: not a readable PDF \(/);
  });
});

describe('docx', () => {
  it('reads a DOCX made with the docx package: headings with levels, paragraphs, links', async () => {
    const doc = new DocxDocument({
      sections: [
        {
          children: [
            new Paragraph({ text: 'Quarterly Report', heading: HeadingLevel.HEADING_1 }),
            new Paragraph({
              children: [
                new TextRun('Retrieval quality improved. '),
                new ExternalHyperlink({ link: 'https://example.org/results', children: [new TextRun('Full results')] }),
              ],
            }),
            new Paragraph({ text: 'Methods', heading: HeadingLevel.HEADING_2 }),
            new Paragraph('We used BM25 with k1 = 0.9 and b = 0.4.'),
            new Paragraph('한국어 문단도 있다.'),
          ],
        },
      ],
    });
    const bytes = await write('report.docx', await Packer.toBuffer(doc));
    const [d] = await load('report.docx');
    expect(d.format).toBe('docx');
    expect(d.title).toBe('Quarterly Report');
    expect(d.contentHash).toBe(sha(bytes));
    expect(d.text).toBe(
      'Quarterly Report\n\nRetrieval quality improved. Full results\n\nMethods\n\nWe used BM25 with k1 = 0.9 and b = 0.4.\n\n한국어 문단도 있다.',
    );
    expect(d.headings).toEqual([
      { level: 1, text: 'Quarterly Report', start: 0 },
      { level: 2, text: 'Methods', start: 60 }, // "Quarterly Report" 16 + 2 + "Retrieval … Full results" 40 + 2
    ]);
    expect(d.links).toEqual([{ href: 'https://example.org/results', text: 'Full results' }]);
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 32 });
    expect(chunks.map((c) => [c.headingPath, c.startLine])).toEqual([
      [['Quarterly Report'], 1],
      [['Quarterly Report', 'Methods'], 5],
    ]);
    // DOCX has no file lines: its five paragraphs are numbered (headings count), ¶ 1–2 | ¶ 3–5
    expect(chunks.map((c) => c.locator?.label)).toEqual(['¶ 1–2', '¶ 3–5']);
  });

  it('rejects a file that is not a DOCX zip', async () => {
    await write('fake.docx', 'plain text pretending');
    await expect(load('fake.docx')).rejects.toThrow(/^fake\.docx: not a readable DOCX file \(/);
  });
});

describe('jsonl (BEIR corpus)', () => {
  const lines = [
    '{"_id": "4983", "title": "Microstructural development", "text": "Alterations of the architecture.", "metadata": {}}',
    '{"id": 17, "contents": "Pyserini-style line with a numeric id."}',
    '',
    '{"_id": "bad json", "text": ',
    '{"_id": "x1", "title": "no text"}',
    '{"_id": true, "text": "boolean id"}',
    '{"_id": "4983", "text": "duplicate"}',
    '["not", "an", "object"]',
    '{"_id": "last", "text": "CRLF line and no final newline"}',
  ];
  const body = lines.slice(0, -1).join('\n') + '\n' + lines.at(-1)!.replace(/$/, '') ;

  it('yields one Document per valid line with per-line hashes, and warns file:line for each bad one', async () => {
    await write('corpus.jsonl', body.replace('\n{"_id": "last"', '\r\n{"_id": "last"'));
    const warnings: string[] = [];
    const docs = await load('corpus.jsonl', { onWarning: (m) => warnings.push(m) });
    expect(docs.map((d) => [d.id, d.title, d.text])).toEqual([
      // Ids are scoped to their file (#18); the line's own id stays in the field _id.
      ['corpus.jsonl#4983', 'Microstructural development', 'Alterations of the architecture.'],
      ['corpus.jsonl#17', '', 'Pyserini-style line with a numeric id.'],
      ['corpus.jsonl#last', '', 'CRLF line and no final newline'],
    ]);
    expect(docs.map((d) => d.meta?._id)).toEqual(['4983', '17', 'last']);
    expect(docs[0]).toMatchObject({ source: 'corpus.jsonl', format: 'jsonl', sizeBytes: Buffer.byteLength(lines[0]) });
    expect(docs[0].contentHash).toBe(sha(lines[0]));
    expect(docs[2].contentHash).toBe(sha(lines[8])); // the CR is not part of the line
    expect(warnings).toHaveLength(5);
    expect(warnings[0]).toMatch(/^corpus\.jsonl:4: not valid JSON \(/);
    expect(warnings.slice(1)).toEqual([
      'corpus.jsonl:5: missing "text" (or "contents") for id x1',
      'corpus.jsonl:6: "_id" must be a non-empty string or a number, got true',
      'corpus.jsonl:7: duplicate id "4983" (first on line 1); line skipped',
      'corpus.jsonl:8: expected a JSON object, got an array',
    ]);
  });

  it('throws InputFormatError at the first bad line with strict: true', async () => {
    await expect(load('corpus.jsonl', { strict: true })).rejects.toThrow(InputFormatError);
    await expect(load('corpus.jsonl', { strict: true })).rejects.toThrow(/^corpus\.jsonl:4: not valid JSON/);
  });

  it('splits lines correctly when the bytes arrive in pieces, and can prepend the title', async () => {
    const text = '{"_id":"a","title":"T","text":"가나다"}\n{"_id":"b","text":"라마"}\n';
    const bytes = Buffer.from(text, 'utf8');
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3); // splits inside UTF-8 sequences
    }
    const { loadJsonl } = await import('../../src/ingest/jsonl.js');
    const docs: Document[] = [];
    for await (const d of loadJsonl(pieces(), { relPath: 'c.jsonl', format: 'jsonl', mtimeMs: 5 }, { prependTitle: true })) docs.push(d);
    expect(docs.map((d) => [d.id, d.text, d.headings, d.mtimeMs])).toEqual([
      ['c.jsonl#a', 'T\n\n가나다', [{ level: 1, text: 'T', start: 0 }], 5],
      ['c.jsonl#b', '라마', undefined, 5],
    ]);
    const global: Document[] = [];
    for await (const d of loadJsonl(Buffer.from(text, 'utf8'), { relPath: 'c.jsonl', format: 'jsonl', mtimeMs: 5 }, { idScope: 'global' })) global.push(d);
    expect(global.map((d) => [d.id, d.meta?._id])).toEqual([['a', 'a'], ['b', 'b']]);
  });

  it.skipIf(!existsSync(SCIFACT_CORPUS))(`reads the real SciFact corpus: 5,183 documents (per its PROVENANCE.md)${existsSync(SCIFACT_CORPUS) ? '' : ` (skipped: ${SCIFACT_CORPUS} not found)`}`, async () => {
    const corpus = SCIFACT_CORPUS;
    let n = 0;
    const warnings: string[] = [];
    for await (const d of loadFile({ absPath: corpus, relPath: 'scifact/corpus.jsonl', format: 'jsonl', mtimeMs: 0 }, { onWarning: (m) => warnings.push(m) })) {
      if (n === 0) expect([d.id, d.meta?._id]).toEqual(['scifact/corpus.jsonl#4983', '4983']);
      n++;
    }
    expect(warnings).toEqual([]);
    expect(n).toBe(5183);
  });
});

describe('loadBytes', () => {
  it('loads in-memory bytes with the same rules as files', async () => {
    const docs: Document[] = [];
    for await (const d of loadBytes(Buffer.from('# Up\n\ntext'), { relPath: 'up/load.md', format: 'md', mtimeMs: 1 })) docs.push(d);
    expect(docs.map((d) => [d.id, d.title, d.headings])).toEqual([['up/load.md', 'Up', [{ level: 1, text: 'Up', start: 0 }]]]);
  });
});

describe('markdown heading text', () => {
  it('strips emphasis, code and links but keeps intraword underscores', async () => {
    const { stripInlineMarkdown } = await import('../../src/ingest/markdown.js');
    expect(stripInlineMarkdown('The **BM25** _scoring_ of `snake_case_name` and [DPR](x.md)')).toBe(
      'The BM25 scoring of snake_case_name and DPR',
    );
    expect(stripInlineMarkdown('my_function_name')).toBe('my_function_name');
  });
});

describe('unreadable JSONL', () => {
  it('reports a missing JSONL file as InputFormatError "<path>: cannot read (ENOENT …)"', async () => {
    const gone = { absPath: path.join(dir, 'gone.jsonl'), relPath: 'gone.jsonl', format: 'jsonl' as const, mtimeMs: 0 };
    await expect(loadFile(gone).next()).rejects.toThrow(/^gone\.jsonl: cannot read \(ENOENT: no such file/);
  });
});
