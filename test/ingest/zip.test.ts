import { crc32 } from 'node:zlib';
import { deflateSync } from 'node:zlib';
import { Document as DocxDocument, Packer, Paragraph } from 'docx';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, InputFormatError } from '../../src/core/errors.js';
import { loadBytes } from '../../src/ingest/load.js';
import { DecompressionBudget, formatBytes, inflateCapped, openZip } from '../../src/ingest/zip.js';
import { deflateZeros, makeZip } from '../support/zip-writer.js';

describe('openZip', () => {
  it('reads stored and deflated members by name, with UTF-8 names, from the central directory', () => {
    const bytes = makeZip([
      { name: 'mimetype', data: 'application/hwp+zip', store: true },
      { name: 'Contents/section0.xml', data: '<p>한글 문서</p>' },
    ]);
    const zip = openZip(bytes, { relPath: 'a.hwpx' });
    expect(zip.entries.map((e) => [e.name, e.method])).toEqual([
      ['mimetype', 0],
      ['Contents/section0.xml', 8],
    ]);
    expect(zip.readText('mimetype')).toBe('application/hwp+zip');
    expect(zip.readText('Contents/section0.xml')).toBe('<p>한글 문서</p>');
    // 19 + 21 bytes (UTF-8) charged to the budget
    expect(zip.budget.remaining).toBe(zip.budget.maxBytes - 19 - Buffer.byteLength('<p>한글 문서</p>'));
  });

  it('refuses a bomb after at most the cap, even when the recorded size lies', async () => {
    const bomb = await deflateZeros(8 << 20); // 8 MiB of spaces → ~8 KB deflated
    const bytes = makeZip([{ name: 'word/document.xml', deflated: bomb, lieSize: 100 }]);
    expect(bytes.length).toBeLessThan(64 * 1024);
    const zip = openZip(bytes, { relPath: 'bomb.docx', maxBytes: 1 << 20 });
    expect(() => zip.read('word/document.xml')).toThrow(BudgetExceededError);
    expect(() => openZip(bytes, { relPath: 'bomb.docx', maxBytes: 1 << 20 }).read('word/document.xml')).toThrow(
      'bomb.docx: skipped: decompresses to more than 1 MiB (limit maxDecompressedBytes)',
    );
    // under a cap above its size it reads in full
    expect(openZip(bytes, { relPath: 'x', maxBytes: 9 << 20 }).read('word/document.xml').length).toBe(8 << 20);
  });

  it('charges the budget across members: two 600 KiB members pass 1 MiB together', () => {
    const part = 'x'.repeat(600 * 1024);
    const zip = openZip(makeZip([{ name: 'a.xml', data: part }, { name: 'b.xml', data: part }]), { relPath: 'two.xlsx', maxBytes: 1 << 20 });
    expect(zip.read('a.xml').length).toBe(600 * 1024);
    expect(() => zip.read('b.xml')).toThrow(BudgetExceededError);
  });

  it('names the file for a non-zip, a truncated archive and a missing member', () => {
    expect(() => openZip(Buffer.from('plain text'), { relPath: 'fake.xlsx' })).toThrow(/^fake\.xlsx: not a zip archive \(no end-of-central-directory record\)$/);
    const good = makeZip([{ name: 'a.xml', data: 'a'.repeat(1000) }]);
    expect(() => openZip(good.subarray(0, good.length - 30), { relPath: 't.docx' })).toThrow(InputFormatError);
    expect(() => openZip(good, { relPath: 'm.docx' }).read('b.xml')).toThrow('m.docx: the archive has no b.xml');
    // damaged deflate data: CRC fine, bytes flipped
    const damaged = Buffer.from(good);
    damaged[40] ^= 0xff;
    damaged[41] ^= 0xff;
    expect(() => openZip(damaged, { relPath: 'd.docx' }).read('a.xml')).toThrow(/^d\.docx: a\.xml is damaged \(/);
  });
});

describe('inflateCapped', () => {
  it('inflates a zlib stream within the budget and refuses one past it', () => {
    const data = deflateSync(Buffer.alloc(5000, 1));
    const b = new DecompressionBudget(6000, 's.pdf');
    expect(inflateCapped(data, b).length).toBe(5000);
    expect(b.remaining).toBe(1000);
    expect(() => inflateCapped(data, b)).toThrow('s.pdf: skipped: decompresses to more than 5.9 KiB (limit maxDecompressedBytes)');
  });
  it('formats byte counts', () => {
    expect([formatBytes(12), formatBytes(900 * 1024), formatBytes(256 << 20), formatBytes(1.5 * 2 ** 30)]).toEqual(['12 bytes', '900 KiB', '256 MiB', '1.5 GiB']);
    expect(crc32('a')).toBe(0xe8b7be43); // the writer's CRC is zlib's
  });
});

describe('DOCX under the decompression cap', () => {
  it('a real DOCX loads; a DOCX whose document.xml inflates past the cap is refused naming the file and limit', async () => {
    const real = await Packer.toBuffer(new DocxDocument({ sections: [{ children: [new Paragraph('Budgeted text')] }] }));
    const docs = [];
    for await (const d of loadBytes(real, { relPath: 'ok.docx', format: 'docx', mtimeMs: 0 }, { maxDecompressedBytes: 1 << 20 })) docs.push(d);
    expect(docs[0].text).toContain('Budgeted text');
    const bomb = makeZip([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', deflated: await deflateZeros(4 << 20, '<w:document><w:body><w:p><w:r><w:t>', '</w:t></w:r></w:p></w:body></w:document>') },
    ]);
    const run = async () => {
      for await (const d of loadBytes(bomb, { relPath: 'bomb.docx', format: 'docx', mtimeMs: 0 }, { maxDecompressedBytes: 1 << 20 })) void d;
    };
    await expect(run()).rejects.toThrow('bomb.docx: skipped: decompresses to more than 1 MiB (limit maxDecompressedBytes)');
  });
});
