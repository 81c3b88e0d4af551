import { describe, expect, it } from 'vitest';
import { InputFormatError } from '../../src/core/errors.js';
import { decodeText, firstInvalidUtf8, normalizeText } from '../../src/ingest/encoding.js';

const utf16le = (s: string, bom: boolean) => Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string, bom: boolean) => {
  const le = Buffer.from(s, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) [be[i], be[i + 1]] = [le[i + 1], le[i]];
  return Buffer.concat([Buffer.from(bom ? [0xfe, 0xff] : []), be]);
};

describe('decodeText', () => {
  const sample = 'RAG는 검색 증강 생성이다.\r\nLine two\rLine three';
  const expected = 'RAG는 검색 증강 생성이다.\nLine two\nLine three';

  it('decodes UTF-8 without BOM and turns CRLF / CR into LF', () => {
    expect(decodeText(Buffer.from(sample, 'utf8'), 'a.txt')).toEqual({ text: expected, encoding: 'utf-8' });
  });

  it('decodes UTF-8 with BOM and drops the BOM', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample, 'utf8')]);
    expect(decodeText(bytes, 'a.txt')).toEqual({ text: expected, encoding: 'utf-8-bom' });
  });

  it('decodes UTF-16 LE and BE with BOM', () => {
    expect(decodeText(utf16le(sample, true), 'a.txt')).toEqual({ text: expected, encoding: 'utf-16le' });
    expect(decodeText(utf16be(sample, true), 'a.txt')).toEqual({ text: expected, encoding: 'utf-16be' });
  });

  it('detects BOM-less UTF-16 of mostly ASCII text by its NUL pattern', () => {
    const s = 'BM25 ranks documents; 점수는 높을수록 좋다.';
    expect(decodeText(utf16le(s, false), 'a.txt')).toEqual({ text: s, encoding: 'utf-16le' });
    expect(decodeText(utf16be(s, false), 'a.txt')).toEqual({ text: s, encoding: 'utf-16be' });
  });

  it('keeps supplementary characters (surrogate pairs) through UTF-16', () => {
    const s = 'emoji 😀 and 𠀋';
    expect(decodeText(utf16be(s, true), 'a.txt').text).toBe(s);
  });

  it('NFC-normalises: conjoining jamo 한 (U+1112 U+1161 U+11AB) become the syllable U+D55C', () => {
    const decomposed = '\u1112\u1161\u11ab글';
    const { text } = decodeText(Buffer.from(decomposed, 'utf8'), 'a.txt');
    expect(text).toBe('한글');
    expect(text.length).toBe(2);
    expect(normalizeText('e\u0301\r\n')).toBe('é\n');
  });

  it('rejects a binary file naming the file and the NUL byte offset', () => {
    // "PK\x03\x04" then NUL at offset 4 (a zip header); high bytes too irregular to look like UTF-16
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x14, 0x00, 0x06, 0x00, 0x08, 0xe3, 0x9a]);
    expect(() => decodeText(bytes, 'docs/blob.txt')).toThrow(InputFormatError);
    expect(() => decodeText(bytes, 'docs/blob.txt')).toThrow('docs/blob.txt: binary file (NUL byte at offset 4)');
  });

  it('rejects invalid UTF-8 with the byte offset of the first bad byte', () => {
    // "abc" + "가" (EA B0 80) + a lone continuation byte 0x80 at offset 6
    const bytes = Buffer.concat([Buffer.from('abc가', 'utf8'), Buffer.from([0x80]), Buffer.from('z')]);
    // Not UTF-8 and too short for the detector to be sure: the error says both, and --encoding.
    expect(() => decodeText(bytes, 'x.md')).toThrow(/^x\.md: not UTF-8 \(invalid UTF-8 at byte offset 6\) and its encoding could not be detected .*--encoding/);
    // Latin-1 "café": é is 0xE9 at offset 3, followed by nothing → truncated sequence at 3
    expect(() => decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'l1.txt')).toThrow(/invalid UTF-8 at byte offset 3/);
  });

  it('rejects odd-length UTF-16 and unpaired surrogates', () => {
    expect(() => decodeText(Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x42]), 'o.txt')).toThrow(
      'o.txt: truncated UTF-16 (odd byte count 3 after the BOM)',
    );
    // BOM, "A", lone high surrogate D800 at byte offset 4, "B"
    expect(() => decodeText(Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8, 0x42, 0x00]), 's.txt')).toThrow(
      's.txt: invalid UTF-16LE (unpaired surrogate) at byte offset 4',
    );
  });

  it('decodes an empty file to empty text', () => {
    expect(decodeText(new Uint8Array(0), 'e.txt')).toEqual({ text: '', encoding: 'utf-8' });
  });
});

describe('firstInvalidUtf8', () => {
  it('agrees with the WHATWG fatal decoder on well-formed and ill-formed input', () => {
    const cases: [number[], number][] = [
      [[0x41, 0xc3, 0xa9], -1], // "Aé"
      [[0xc0, 0x80], 0], // overlong NUL
      [[0xe0, 0x80, 0x80], 0], // overlong 3-byte
      [[0xed, 0xa0, 0x80], 0], // encoded surrogate D800
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x41, 0xf0, 0x9f, 0x98, 0x80], -1], // "A😀"
      [[0x41, 0xf0, 0x9f, 0x98], 1], // truncated 4-byte sequence
    ];
    for (const [bytes, at] of cases) {
      expect(firstInvalidUtf8(new Uint8Array(bytes))).toBe(at);
      let ok = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
      } catch {
        ok = false;
      }
      expect(ok).toBe(at === -1);
    }
  });
});
