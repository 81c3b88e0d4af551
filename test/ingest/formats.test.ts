/**
 * Issue #16 item 4 (formats) and 6 (locators): CSV/TSV, XLSX, PPTX, HWPX, HWP 5.0 and EPUB
 * files built in the test (test/support/office-files.ts), loaded and chunked; the assertions are
 * the extracted text and the citation addresses (file lines, sheet!row, slide, ¶, chapter).
 */
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, InputFormatError } from '../../src/core/errors.js';
import { locatorOf } from '../../src/core/locator.js';
import type { Document } from '../../src/core/types.js';
import { chunkDocument } from '../../src/ingest/chunk.js';
import { parseCsv, sniffDelimiter } from '../../src/ingest/csv.js';
import { paraText } from '../../src/ingest/hwp.js';
import { loadBytes } from '../../src/ingest/load.js';
import type { LoadOptions, SourceInfo } from '../../src/ingest/source.js';
import { formatOf } from '../../src/ingest/walk.js';
import { encodeCp949, makeEpub, makeHwp, makeHwpx, makePptx, makeXlsx, paraTextPayload } from '../support/office-files.js';
import { deflateZeros, makeZip } from '../support/zip-writer.js';

async function load(relPath: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<Document> {
  const format = formatOf(relPath);
  if (!format) throw new Error(`no format for ${relPath}`);
  const info: SourceInfo = { relPath, format, mtimeMs: 0 };
  const docs: Document[] = [];
  for await (const d of loadBytes(bytes, info, opts)) docs.push(d);
  expect(docs).toHaveLength(1);
  return docs[0];
}

const small = { chunkSize: 8, chunkOverlap: 0 };

describe('CSV and TSV', () => {
  it('names every value by its header and cites the file lines of each record, quoted newlines included', async () => {
    const csv = 'name,price,note\nWidget,1200,"blue, small"\n\nGadget,950,"two\nlines"\nGizmo,70,\n';
    const d = await load('items.csv', Buffer.from(csv));
    expect(d.format).toBe('csv');
    expect(d.text).toBe('name: Widget; price: 1200; note: blue, small\nname: Gadget; price: 950; note: two lines\nname: Gizmo; price: 70');
    // Widget is file line 2; Gadget starts on line 4 and ends on 5 (quoted newline); Gizmo on 6
    const chunks = chunkDocument(d, small);
    expect(chunks.map((c) => [c.text.slice(0, 12), c.startLine, c.endLine])).toEqual([
      ['name: Widget', 2, 2],
      ['name: Gadget', 4, 5],
      ['name: Gizmo;', 6, 6],
    ]);
    expect(chunks[0].locator).toBeUndefined();
  });

  it('sniffs ; and tab delimiters and decodes a CP949 (EUC-KR) Korean export', async () => {
    expect(sniffDelimiter('a;b;c\n1;2,5;3\n')).toBe(';');
    expect(sniffDelimiter('a\tb\n"x,y"\tz\n')).toBe('\t');
    const korean = '품명,단가,비고\n노트북,1200000,"회의실, 3층"\n모니터,350000,\n';
    const bytes = encodeCp949(korean);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow(); // really not UTF-8
    const d = await load('재고.csv', bytes);
    expect(d.text).toBe('품명: 노트북; 단가: 1200000; 비고: 회의실, 3층\n품명: 모니터; 단가: 350000');
    const t = await load('a.tsv', Buffer.from('키\t값\n가\t1,000\n'));
    expect(t.text).toBe('키: 가; 값: 1,000');
  });

  it('parses RFC 4180 quotes ("" is a quote) and names headerless columns by letter', async () => {
    expect(parseCsv('a,"say ""hi""",c\n', ',').map((r) => r.fields)).toEqual([['a', 'say "hi"', 'c']]);
    const d = await load('x.csv', Buffer.from('id\n1,extra\n'));
    expect(d.text).toBe('id: 1; B: extra');
  });

  it('refuses bytes that are neither UTF-8 nor CP949, naming the file', async () => {
    await expect(load('bad.csv', Uint8Array.of(0x61, 0x2c, 0xff, 0xff, 0x0a))).rejects.toThrow(/^bad\.csv: neither UTF-8 nor CP949\/EUC-KR text/);
  });
});

describe('XLSX', () => {
  const book = () =>
    makeXlsx(
      [
        { name: 'Prices', rows: [['Item', 'Price', 'In stock'], ['Widget', 1200, true], ['Gadget', 950, false], [null, null, null], ['노트북', 1200000, true]] },
        { name: '요약', rows: [['합계', 3], ['비고', '분기 보고']], startRow: 3 },
      ],
      'Inventory 2024',
    );

  it('lays out each sheet under its name with header-named values; rows cite sheet!row', async () => {
    const d = await load('book.xlsx', book());
    expect(d.title).toBe('Inventory 2024');
    expect(d.text).toBe(
      'Prices\nItem: Widget; Price: 1200; In stock: TRUE\nItem: Gadget; Price: 950; In stock: FALSE\nItem: 노트북; Price: 1200000; In stock: TRUE\n\n요약\n합계: 비고; 3: 분기 보고',
    );
    expect(d.headings?.map((h) => [h.text, h.level])).toEqual([
      ['Prices', 1],
      ['요약', 1],
    ]);
    // row 4 is empty and skipped: 노트북 is spreadsheet row 5
    expect(d.units?.map((u) => `${u.sheet}!${u.n}`)).toEqual(['Prices!2', 'Prices!3', 'Prices!5', '요약!4']);
    // tokens: "Prices" 1, each Prices row 7 → [heading, row 2, row 3] = 15 ≤ 16, then row 5 alone
    const chunks = chunkDocument(d, { chunkSize: 16, chunkOverlap: 0 });
    expect(chunks.map((c) => [c.headingPath, c.locator?.label])).toEqual([
      [['Prices'], 'Prices!2:3'],
      [['Prices'], 'Prices!5'],
      [['요약'], '요약!4'],
    ]);
    expect(chunks[1].locator).toEqual({ kind: 'row', start: 5, end: 5, sheet: 'Prices', label: 'Prices!5' });
  });

  it('stops a zip bomb in a sheet at the decompression cap', async () => {
    const bomb = await deflateZeros(4 << 20);
    const real = makeXlsx([{ name: 'S', rows: [['a'], ['b']] }]);
    // same workbook, but sheet1.xml replaced by 4 MiB of inflated spaces
    const { openZip } = await import('../../src/ingest/zip.js');
    const zip = openZip(real, { relPath: 'x' });
    const members = zip.entries.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { name: e.name, deflated: bomb } : { name: e.name, data: zip.read(e.name) }));
    await expect(load('bomb.xlsx', makeZip(members), { maxDecompressedBytes: 1 << 20 })).rejects.toThrow(BudgetExceededError);
  });

  it('says what is missing in a zip that is not a workbook', async () => {
    await expect(load('fake.xlsx', makeZip([{ name: 'a.txt', data: 'x' }]))).rejects.toThrow('fake.xlsx: not an XLSX workbook (no xl/workbook.xml)');
  });
});

describe('PPTX', () => {
  it('makes each slide a unit in slide-list order, title as heading, notes included, slide numbers left out', async () => {
    // part slide2.xml is listed first: reading order is the slide list, not the part names
    const bytes = makePptx(
      [
        { title: 'Budget', body: ['Total 3.2 billion won', '예산 32억 원'], notes: ['Mention the 2023 cut'] },
        { title: 'Agenda', body: ['Budget', 'Hiring'] },
        { body: ['No title here'] },
      ],
      { order: [2, 1, 3] },
    );
    const d = await load('deck.pptx', bytes);
    expect(d.title).toBe('Agenda');
    expect(d.text).toBe('Agenda\nBudget\nHiring\n\nBudget\nTotal 3.2 billion won\n예산 32억 원\n\nNotes: Mention the 2023 cut\n\nNo title here');
    expect(d.units?.map((u) => [u.kind, u.n, d.text.slice(u.start, u.end).split('\n')[0]])).toEqual([
      ['slide', 1, 'Agenda'],
      ['slide', 2, 'Budget'],
      ['slide', 3, 'No title here'],
    ]);
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 0 });
    // no chunk spans two slides, even with room for the whole deck
    expect(chunks.map((c) => [c.locator?.label, c.headingPath])).toEqual([
      ['slide 1', ['Agenda']],
      ['slide 2', ['Budget']],
      ['slide 3', ['Budget']],
    ]);
    expect(chunks[1].text).toContain('Notes: Mention the 2023 cut');
  });
});

describe('HWPX', () => {
  it('reads OWPML paragraphs of every section in spine order, table cells and tabs included; cites ¶ n', async () => {
    const bytes = makeHwpx(
      [
        ['2024년 정기 회의록', '보안 점검\t결과 양호', ['항목', '예산 1,200만 원']],
        ['', '다음 회의는 3월 5일이다.'],
      ],
      '정기 회의록',
    );
    const d = await load('minutes.hwpx', bytes);
    expect(d.format).toBe('hwpx');
    expect(d.title).toBe('정기 회의록');
    expect(d.text).toBe('2024년 정기 회의록\n\n보안 점검\t결과 양호\n\n항목\n\n예산 1,200만 원\n\n다음 회의는 3월 5일이다.');
    expect(d.units?.map((u) => [u.n, d.text.slice(u.start, u.end)])).toEqual([
      [1, '2024년 정기 회의록'],
      [2, '보안 점검\t결과 양호'],
      [3, '항목'],
      [4, '예산 1,200만 원'],
      [5, '다음 회의는 3월 5일이다.'],
    ]);
    // tokens per paragraph 3, 4, 1, 3, 4; packed greedily into chunks of ≤ 6: [1] [2 3] [4] [5]
    const chunks = chunkDocument(d, { chunkSize: 6, chunkOverlap: 0 });
    expect(chunks.map((c) => c.locator?.label)).toEqual(['¶ 1', '¶ 2–3', '¶ 4', '¶ 5']);
  });

  it('names what is missing in a zip without sections', async () => {
    await expect(load('empty.hwpx', makeZip([{ name: 'mimetype', data: 'application/hwp+zip', store: true }]))).rejects.toThrow(
      'empty.hwpx: not an HWPX document (no Contents/section*.xml)',
    );
  });
});

describe('HWP 5.0', () => {
  it('reads PARA_TEXT records of every BodyText section (raw deflate), skipping 8-unit controls; cites ¶ n', async () => {
    const bytes = makeHwp([['한글 문서 첫 문단', '표\t옆 칸'], ['둘째 구역의 문단입니다.']], { extendedControlInFirst: true });
    expect([...bytes.subarray(0, 8)]).toEqual([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]); // a real OLE compound file
    const d = await load('report.hwp', bytes);
    expect(d.format).toBe('hwp');
    expect(d.text).toBe('한글 문서 첫 문단\n\n표\t옆 칸\n\n둘째 구역의 문단입니다.');
    expect(d.units?.map((u) => u.n)).toEqual([1, 2, 3]);
    expect(chunkDocument(d, { chunkSize: 4, chunkOverlap: 0 }).map((c) => c.locator?.label)).toEqual(['¶ 1', '¶ 2', '¶ 3']);
    // uncompressed streams read the same
    expect((await load('plain.hwp', makeHwp([['평문']], { compressed: false }))).text).toBe('평문');
  });

  it('decodes control characters by their widths (tab = 8 units, line break = 1)', () => {
    const payload = paraTextPayload('a\tb');
    expect(paraText(payload)).toBe('a\tb');
    const lb = Buffer.from([0x61, 0, 10, 0, 0x62, 0, 13, 0]);
    expect(paraText(lb)).toBe('a\nb');
  });

  it('refuses encrypted and distribution documents and non-HWP compound files, saying why', async () => {
    await expect(load('locked.hwp', makeHwp([['x']], { flags: 0b10 }))).rejects.toThrow('locked.hwp: the HWP document is password-protected; save an unprotected copy');
    await expect(load('dist.hwp', makeHwp([['x']], { flags: 0b100 }))).rejects.toThrow(/^dist\.hwp: a distribution \(배포용\) HWP document/);
    await expect(load('text.hwp', Buffer.from('not ole at all, just text'))).rejects.toThrow(InputFormatError);
  });

  it('stops a deflate bomb in a section at the cap', async () => {
    const big = makeHwp([['a'.repeat(1 << 20)]]); // 2 MiB of UTF-16 text, deflates to a few KB
    await expect(load('bomb.hwp', big, { maxDecompressedBytes: 1 << 20 })).rejects.toThrow(BudgetExceededError);
  });
});

describe('EPUB', () => {
  it('reads chapters in spine order, each a unit with its headings; cites chapter n', async () => {
    const bytes = makeEpub(
      [
        { file: 'ch1.xhtml', body: '<h1>First</h1><p>Alpha text.</p>' },
        { file: 'ch2.xhtml', body: '<h1>둘째 장</h1><p>베타 본문.</p>' },
        { file: 'empty.xhtml', body: '' },
      ],
      { title: 'A Book', order: ['ch2.xhtml', 'empty.xhtml', 'ch1.xhtml'] },
    );
    const d = await load('book.epub', bytes);
    expect(d.title).toBe('A Book');
    expect(d.text).toBe('둘째 장\n\n베타 본문.\n\nFirst\n\nAlpha text.');
    expect(d.headings?.map((h) => [h.text, d.text.slice(h.start, h.start + h.text.length)])).toEqual([
      ['둘째 장', '둘째 장'],
      ['First', 'First'],
    ]);
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 0 });
    expect(chunks.map((c) => [c.locator?.label, c.headingPath])).toEqual([
      ['chapter 1', ['둘째 장']],
      ['chapter 2', ['First']],
    ]);
  });
});

describe('locatorOf', () => {
  const units = [
    { kind: 'paragraph' as const, n: 1, start: 0, end: 5 },
    { kind: 'paragraph' as const, n: 2, start: 7, end: 12 },
    { kind: 'paragraph' as const, n: 3, start: 14, end: 20 },
  ];
  it('spans the first to the last unit overlapped; a gap takes the next unit', () => {
    expect(locatorOf(units, 0, 12)?.label).toBe('¶ 1–2');
    expect(locatorOf(units, 8, 9)?.label).toBe('¶ 2');
    expect(locatorOf(units, 5, 6)?.label).toBe('¶ 2');
    expect(locatorOf(units, 13, 20)).toEqual({ kind: 'paragraph', start: 3, end: 3, label: '¶ 3' });
    expect(locatorOf(undefined, 0, 1)).toBeUndefined();
  });
});

describe('HTML citations give lines of the .html file (item 6)', () => {
  const html = [
    '<!doctype html>', //                                   1
    '<html><head><title>Guide</title>', //                   2
    '<style>p { color: red }</style></head>', //             3
    '<body>', //                                             4
    '<h1>Install</h1>', //                                   5
    '<p>Run the installer', //                               6
    '   and wait &amp; see.</p>', //                         7
    '<!-- a comment -->', //                                 8
    '<h2>Configure</h2>', //                                 9
    '<p>Edit <b>openbook.json</b>', //                      10
    'then restart.</p>', //                                 11
    '<pre>line one', //                                     12
    'line two</pre>', //                                    13
    '</body></html>', //                                    14
  ].join('\n');

  it('maps every chunk to the file lines its text came from (whole body)', async () => {
    const d = await load('guide.html', Buffer.from(html), { readability: false });
    expect(d.text).toBe('Install\n\nRun the installer and wait & see.\n\nConfigure\n\nEdit openbook.json then restart.\n\nline one\nline two');
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 0 });
    // sections: "Install" (h1 line 5 … p ending line 7), "Configure" (line 9 … pre ending line 13)
    expect(chunks.map((c) => [c.headingPath.at(-1), c.startLine, c.endLine])).toEqual([
      ['Install', 5, 7],
      ['Configure', 9, 13],
    ]);
    // small chunks: each piece cites its own lines
    const small = chunkDocument(d, { chunkSize: 3, chunkOverlap: 0 });
    expect(small.map((c) => [c.text, c.startLine, c.endLine])).toEqual([
      ['Install\n\nRun the', 5, 6],
      ['installer and wait', 6, 7], // "installer" ends line 6, "and wait" is on line 7
      ['& see.', 7, 7],
      ['Configure\n\nEdit openbook.json', 9, 10],
      ['then restart.', 11, 11],
      ['line one', 12, 12],
      ['line two', 13, 13],
    ]);
  });

  it('keeps file lines through Readability', async () => {
    const page = [
      '<html><head><title>News</title></head><body>', //                  1
      '<nav><a href="/">Home</a> <a href="/a">About</a></nav>', //        2
      '<article>', //                                                    3
      '<h1>Budget passes</h1>', //                                       4
      `<p>${'The council approved the budget after a long debate about schools and roads. '.repeat(4)}</p>`, // 5
      '', //                                                             6
      `<p>${'Spending on libraries rises by ten percent next year, the report says. '.repeat(4)}</p>`, // 7
      '</article>', //                                                   8
      '<footer>Copyright</footer></body></html>', //                      9
    ].join('\n');
    const d = await load('news.html', Buffer.from(page));
    expect(d.text).not.toContain('About');
    const chunks = chunkDocument(d, { chunkSize: 60, chunkOverlap: 0 });
    const lib = chunks.find((c) => c.text.startsWith('Spending'));
    expect(lib && [lib.startLine, lib.endLine]).toEqual([7, 7]);
    expect(chunks[0].startLine).toBe(4);
  });
});
