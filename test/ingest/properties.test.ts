/**
 * Document properties as metadata (#16 item 1): what a PDF, DOCX, PPTX, XLSX, HWPX, HWP and EPUB
 * file says about itself — author, created/modified dates, last editor, page and slide counts,
 * declared language — becomes the same named fields for every format, dates as ms since the
 * epoch; a text file records the encoding it was read in. Every sample file is made here with
 * its properties (test/support/office-files.ts) and every expected value is the one written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocFormat, Document } from '../../src/core/types.js';
import { loadBytes } from '../../src/ingest/load.js';
import { isoDateMs, pdfDateMs } from '../../src/ingest/properties.js';
import { runCli } from '../support/cli.js';
import { encodeCp949, makeDocx, makeEpub, makeHwp, makeHwpx, makePdf, makePptx, makeXlsx } from '../support/office-files.js';

async function load(bytes: Uint8Array, relPath: string, format: DocFormat): Promise<Document> {
  const docs: Document[] = [];
  for await (const d of loadBytes(bytes, { relPath, format, mtimeMs: 0 })) docs.push(d);
  expect(docs).toHaveLength(1);
  return docs[0];
}

const XMP =
  '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">' +
  '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">XMP 제목</rdf:li></rdf:Alt></dc:title><dc:creator><rdf:Seq><rdf:li>김철수</rdf:li></rdf:Seq></dc:creator>' +
  '<xmp:CreateDate>2023-05-01T10:00:00+09:00</xmp:CreateDate><pdf:Producer>XMP Producer 1.0</pdf:Producer></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';

describe('document properties become metadata fields', () => {
  it('date parsing: PDF date strings and ISO 8601, zones applied, no zone = UTC', () => {
    expect(pdfDateMs("D:20240115093000+09'00'")).toBe(Date.UTC(2024, 0, 15, 0, 30, 0));
    expect(pdfDateMs('D:20240115093000Z')).toBe(Date.UTC(2024, 0, 15, 9, 30, 0));
    expect(pdfDateMs("D:20231231220000-05'30'")).toBe(Date.UTC(2024, 0, 1, 3, 30, 0));
    expect(pdfDateMs('D:2024')).toBe(Date.UTC(2024, 0, 1));
    expect(pdfDateMs('D:20240301')).toBe(Date.UTC(2024, 2, 1));
    expect(pdfDateMs('yesterday')).toBeUndefined();
    expect(isoDateMs('2024-01-15T09:30:00Z')).toBe(Date.UTC(2024, 0, 15, 9, 30));
    expect(isoDateMs('2024-01-15T09:30:00+09:00')).toBe(Date.UTC(2024, 0, 15, 0, 30));
    expect(isoDateMs('2024-01-15T09:30:00')).toBe(Date.UTC(2024, 0, 15, 9, 30));
    expect(isoDateMs('2024-02-01')).toBe(Date.UTC(2024, 1, 1));
    expect(isoDateMs('2024년 1월 15일')).toBeUndefined();
  });

  it('PDF: the Info dictionary (Title, Author, CreationDate, ModDate, Subject, Keywords, Producer, Creator) and the page count', async () => {
    const bytes = await makePdf(['Security audit, page one.', 'Page two of the audit.'], {
      title: '2024 보안 점검 보고서',
      author: '홍길동',
      subject: 'audit',
      keywords: ['보안', 'audit'],
      producer: 'openbook test producer',
      creator: 'Hangul Word Processor',
      created: new Date(Date.UTC(2024, 0, 15, 0, 30, 0)),
      modified: new Date(Date.UTC(2024, 1, 2, 8, 0, 0)),
    });
    const doc = await load(bytes, 'reports/audit.pdf', 'pdf');
    expect(doc.title).toBe('2024 보안 점검 보고서');
    expect(doc.meta).toMatchObject({
      author: '홍길동',
      createdAt: Date.UTC(2024, 0, 15, 0, 30, 0),
      modifiedAt: Date.UTC(2024, 1, 2, 8, 0, 0),
      subject: 'audit',
      keywords: '보안 audit',
      producer: 'openbook test producer',
      application: 'Hangul Word Processor',
      pages: 2,
    });
  });

  it('PDF: XMP metadata fills what the Info dictionary lacks', async () => {
    const doc = await load(await makePdf(['An XMP-only document.'], { xmp: XMP }), 'x.pdf', 'pdf');
    expect(doc.title).toBe('XMP 제목');
    expect(doc.meta).toMatchObject({ author: '김철수', createdAt: Date.UTC(2023, 4, 1, 1, 0, 0), producer: 'XMP Producer 1.0', pages: 1 });
    expect(doc.meta?.modifiedAt).toBeUndefined();
  });

  it('DOCX, PPTX, XLSX: docProps/core.xml (title, creator, lastModifiedBy, created, modified) and app.xml (Application, Pages, Slides)', async () => {
    const docx = await load(
      makeDocx(['계약의 첫 문단입니다. 갑과 을은 다음과 같이 합의한다.', '둘째 문단입니다.'], { title: '계약서 초안', author: '홍길동', lastModifiedBy: '김영희', created: '2024-03-05T09:00:00Z', modified: '2024-03-06T18:30:00Z', application: 'Microsoft Office Word', pages: 3, language: 'ko-KR' }),
      'contracts/draft.docx',
      'docx',
    );
    expect(docx.title).toBe('계약서 초안');
    expect(docx.text).toContain('둘째 문단입니다.');
    expect(docx.meta).toMatchObject({
      author: '홍길동',
      lastModifiedBy: '김영희',
      createdAt: Date.UTC(2024, 2, 5, 9),
      modifiedAt: Date.UTC(2024, 2, 6, 18, 30),
      application: 'Microsoft Office Word',
      pages: 3,
      language: 'ko-KR',
      lang: 'ko',
    });
    const pptx = await load(
      makePptx([{ title: 'Roadmap', body: ['Q1 launch'] }, { title: 'Risks', body: ['Budget'] }], { props: { author: 'Jane Doe', created: '2023-11-20T10:00:00Z', slides: 2, application: 'Microsoft Office PowerPoint' } }),
      'deck.pptx',
      'pptx',
    );
    expect(pptx.title).toBe('Roadmap');
    expect(pptx.meta).toMatchObject({ author: 'Jane Doe', createdAt: Date.UTC(2023, 10, 20, 10), slides: 2, application: 'Microsoft Office PowerPoint' });
    const xlsx = await load(makeXlsx([{ name: 'Prices', rows: [['Item', 'Price'], ['Widget', 1200]] }], { title: '단가표', author: '홍길동', created: '2024-06-01T00:00:00Z', lastModifiedBy: '박철수' }), 'prices.xlsx', 'xlsx');
    expect(xlsx.title).toBe('단가표');
    expect(xlsx.meta).toMatchObject({ author: '홍길동', createdAt: Date.UTC(2024, 5, 1), lastModifiedBy: '박철수' });
  });

  it('HWPX: content.hpf metadata (opf:title, opf:language, creator, lastsaveby, CreatedDate, ModifiedDate, subject, keyword)', async () => {
    const doc = await load(
      makeHwpx([['회의 안건은 예산이다.']], { title: '주간 회의록', language: 'ko', creator: '홍길동', lastsaveby: '이순신', CreatedDate: '2024-04-01T01:02:03Z', ModifiedDate: '2024-04-02T00:00:00Z', subject: '회의', keyword: '예산, 회의' }),
      'minutes.hwpx',
      'hwpx',
    );
    expect(doc.title).toBe('주간 회의록');
    expect(doc.meta).toMatchObject({ author: '홍길동', lastModifiedBy: '이순신', createdAt: Date.UTC(2024, 3, 1, 1, 2, 3), modifiedAt: Date.UTC(2024, 3, 2), language: 'ko', subject: '회의', keywords: '예산, 회의' });
  });

  it('HWP 5.0: the HwpSummaryInformation property set (title, author, last author, created, last saved, page count)', async () => {
    const doc = await load(
      makeHwp([['공문 본문입니다.']], { summary: { title: '협조 공문', author: '홍길동', lastAuthor: '김민수', created: new Date(Date.UTC(2024, 0, 9, 3, 0, 0)), lastSaved: new Date(Date.UTC(2024, 0, 10, 4, 5, 6)), pageCount: 4, keywords: '공문' } }),
      'letter.hwp',
      'hwp',
    );
    expect(doc.title).toBe('협조 공문');
    expect(doc.meta).toMatchObject({ author: '홍길동', lastModifiedBy: '김민수', createdAt: Date.UTC(2024, 0, 9, 3), modifiedAt: Date.UTC(2024, 0, 10, 4, 5, 6), pages: 4, keywords: '공문' });
    // without the stream: the file name, no properties
    const bare = await load(makeHwp([['본문']]), 'bare.hwp', 'hwp');
    expect(bare.title).toBe('bare.hwp');
    expect(bare.meta?.author).toBeUndefined();
  });

  it('EPUB: OPF dc:title, dc:creator, dc:date, dc:language, dc:publisher and dcterms:modified', async () => {
    const doc = await load(
      makeEpub([{ file: 'c1.xhtml', body: '<h1>1장</h1><p>첫 장의 내용.</p>' }], { title: '소설집', creator: '홍길동', date: '2024-02-01', language: 'ko', publisher: '열린책', modified: '2024-02-03T12:00:00Z' }),
      'book.epub',
      'epub',
    );
    expect(doc.title).toBe('소설집');
    expect(doc.meta).toMatchObject({ author: '홍길동', createdAt: Date.UTC(2024, 1, 1), language: 'ko', publisher: '열린책', modifiedAt: Date.UTC(2024, 1, 3, 12) });
  });

  it('text files record the encoding they were read in (utf-8 with or without BOM, utf-16le, cp949 for CSV)', async () => {
    expect((await load(Buffer.from('plain text file\n'), 'a.txt', 'txt')).meta).toMatchObject({ encoding: 'utf-8' });
    expect((await load(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# 제목\n\n본문\n')]), 'b.md', 'md')).meta).toMatchObject({ encoding: 'utf-8' });
    expect((await load(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('utf-16 text\n', 'utf16le')]), 'c.txt', 'txt')).meta).toMatchObject({ encoding: 'utf-16le' });
    const csv = await load(encodeCp949('품목,단가\n나사,120\n'), 'd.csv', 'csv');
    expect(csv.meta).toMatchObject({ encoding: 'cp949' });
    expect(csv.text).toBe('품목: 나사; 단가: 120');
    expect((await load(Buffer.from('<html><body><p>hello</p></body></html>'), 'e.html', 'html')).meta).toMatchObject({ encoding: 'utf-8' });
  });
});

describe('document properties from the CLI: status lists them typed, --json hits carry them, filters use them', () => {
  let dir: string;
  const run = (args: string[]) => runCli(dir, args, { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_LLM_MODEL_DIR: '', OPENBOOK_EMBED_BASE_URL: '' });
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'openbook-props-'));
    mkdirSync(path.join(dir, 'docs'));
    const w = (f: string, b: Uint8Array | string) => writeFileSync(path.join(dir, 'docs', f), b);
    w('audit.pdf', await makePdf(['Audit report on access control and budget.'], { title: 'Audit 2024', author: '홍길동', created: new Date(Date.UTC(2024, 0, 15)) }));
    w('old.pdf', await makePdf(['Old report on access control and budget.'], { title: 'Audit 2022', author: 'Jane Doe', created: new Date(Date.UTC(2022, 5, 1)) }));
    w('contract.docx', makeDocx(['Contract on access control and budget.'], { title: 'Contract', author: '홍길동', created: '2023-12-31T23:59:59Z', pages: 7 }));
    w('minutes.hwpx', makeHwpx([['access control and budget 회의']], { title: 'Minutes', creator: '홍길동', CreatedDate: '2024-05-05T00:00:00Z' }));
    w('letter.hwp', makeHwp([['access control and budget letter']], { summary: { title: 'Letter', author: '김민수', created: new Date(Date.UTC(2024, 8, 9)) } }));
    w('prices.csv', encodeCp949('항목,설명\n예산,access control and budget\n'));
    w('notes.txt', 'access control and budget notes\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('indexes them, lists createdAt as a date and author as a string, and filters by them exactly', async () => {
    expect((await run(['index', 'docs'])).code).toBe(0);
    const status = JSON.parse((await run(['status', '--json'])).stdout);
    const field = (f: string) => status.metadataFields.find((x: { field: string }) => x.field === f);
    expect(field('createdAt')).toEqual({ field: 'createdAt', types: ['date'], documents: 5 });
    expect(field('author')).toEqual({ field: 'author', types: ['string'], documents: 5 });
    expect(field('encoding')).toEqual({ field: 'encoding', types: ['string'], documents: 2 });
    expect(field('pages')).toMatchObject({ types: ['number'], documents: 3 }); // 2 PDFs + the DOCX's app.xml
    const table = (await run(['status'])).stdout;
    expect(table).toMatch(/createdAt\s+date\s+5/);

    const search = async (filter?: string) => {
      const r = await run(['search', 'access control budget', '-k', '20', '--json', ...(filter ? ['--filter', filter] : [])]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).hits as Array<{ docId: string; meta?: Record<string, unknown> }>;
    };
    const all = await search();
    expect(all.map((h) => h.docId).sort()).toEqual(['docs/audit.pdf', 'docs/contract.docx', 'docs/letter.hwp', 'docs/minutes.hwpx', 'docs/notes.txt', 'docs/old.pdf', 'docs/prices.csv']);
    const audit = all.find((h) => h.docId === 'docs/audit.pdf')!;
    expect(audit.meta).toMatchObject({ author: '홍길동', createdAt: Date.UTC(2024, 0, 15), pages: 1, lang: 'en' });
    expect(all.find((h) => h.docId === 'docs/prices.csv')!.meta).toMatchObject({ encoding: 'cp949' });

    const ids = (hits: Array<{ docId: string }>) => hits.map((h) => h.docId).sort();
    expect(ids(await search('createdAt >= 2024-01-01'))).toEqual(['docs/audit.pdf', 'docs/letter.hwp', 'docs/minutes.hwpx']);
    expect(ids(await search('author = "홍길동"'))).toEqual(['docs/audit.pdf', 'docs/contract.docx', 'docs/minutes.hwpx']);
    expect(ids(await search('author = "홍길동" AND createdAt >= 2024-01-01'))).toEqual(['docs/audit.pdf', 'docs/minutes.hwpx']);
    expect(ids(await search('createdAt < 2024-01-01'))).toEqual(['docs/contract.docx', 'docs/old.pdf']);
    expect(ids(await search('encoding = "cp949"'))).toEqual(['docs/prices.csv']);
    expect(ids(await search('pages >= 2'))).toEqual(['docs/contract.docx']);
    expect(ids(await search('NOT author = "홍길동"'))).toEqual(['docs/letter.hwp', 'docs/notes.txt', 'docs/old.pdf', 'docs/prices.csv']);
  }, 120_000);
});
