import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import type { Chunk, Document, Heading, PageSpan } from '../../src/core/types.js';
import { DEFAULT_CHUNKING, chunkDocument, countTokens } from '../../src/ingest/chunk.js';

function doc(text: string, extra: { headings?: Heading[]; pages?: PageSpan[]; id?: string } = {}): Document {
  return {
    id: extra.id ?? 'doc.md',
    source: 'doc.md',
    title: 'doc',
    text,
    format: extra.pages ? 'pdf' : 'md',
    contentHash: '',
    sizeBytes: text.length,
    mtimeMs: 0,
    ...(extra.headings ? { headings: extra.headings } : {}),
    ...(extra.pages ? { pages: extra.pages } : {}),
  };
}

const isWs = (ch: string | undefined) => ch === undefined || /\s/.test(ch);

/** The invariants every chunk of every document must hold. */
function checkInvariants(d: Document, chunks: Chunk[], chunkSize: number): void {
  const lineStarts = [0];
  for (let i = 0; i < d.text.length; i++) if (d.text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (off: number) => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= off) line++;
    return line + 1;
  };
  chunks.forEach((c, i) => {
    expect(c.text).toBe(d.text.slice(c.startChar, c.endChar));
    expect(c.id).toBe(`${d.id}#${i}`);
    expect(c.ordinal).toBe(i);
    expect(c.docId).toBe(d.id);
    expect(c.text.length).toBeGreaterThan(0);
    expect(isWs(c.text[0])).toBe(false);
    expect(isWs(c.text[c.text.length - 1])).toBe(false);
    expect(countTokens(c.text)).toBeLessThanOrEqual(chunkSize);
    expect(c.startLine).toBe(lineOf(c.startChar));
    expect(c.endLine).toBe(lineOf(c.endChar - 1));
    if (i > 0) expect(c.startChar).toBeGreaterThan(chunks[i - 1].startChar);
  });
}

describe('countTokens', () => {
  it('counts whitespace words, Korean eojeol as one, each Han/Kana char as one', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('  \n\t ')).toBe(0);
    // "RAG는" "검색을" "한다." — three eojeol
    expect(countTokens('RAG는 검색을 한다.')).toBe(3);
    // 検 索 拡 張 生 成 — six Han characters, no spaces
    expect(countTokens('検索拡張生成')).toBe(6);
    // ひ ら が な — four Hiragana
    expect(countTokens('ひらがな')).toBe(4);
    // "AI" + 漢 + 字 — a Latin run then two Han chars
    expect(countTokens('AI漢字')).toBe(3);
    // "「你" (opening bracket rides on 你) + "好」。" (closers ride on 好) + "abc"
    expect(countTokens('「你好」。 abc')).toBe(3);
    // 𠀋 is U+2000B (a surrogate pair, Extension B): one token, plus 字
    expect(countTokens('𠀋字')).toBe(2);
    // NBSP and ideographic space separate words
    expect(countTokens('a\u00a0b\u3000c')).toBe(3);
  });
});

describe('chunkDocument: parameters', () => {
  it('exports the documented defaults', () => {
    expect(DEFAULT_CHUNKING.chunkSize).toBe(256);
    expect(DEFAULT_CHUNKING.chunkOverlap).toBe(32);
  });

  it('rejects chunkSize < 1 and overlap outside [0, chunkSize)', () => {
    const d = doc('a b c');
    expect(() => chunkDocument(d, { chunkSize: 0, chunkOverlap: 0 })).toThrow(InvalidParameterError);
    expect(() => chunkDocument(d, { chunkSize: 1.5, chunkOverlap: 0 })).toThrow(/chunkSize must be an integer ≥ 1, got 1.5/);
    expect(() => chunkDocument(d, { chunkSize: 4, chunkOverlap: 4 })).toThrow(/0 ≤ chunkOverlap < chunkSize \(4\), got 4/);
    expect(() => chunkDocument(d, { chunkSize: 4, chunkOverlap: -1 })).toThrow(InvalidParameterError);
  });

  it('returns no chunks for an empty or whitespace-only document', () => {
    expect(chunkDocument(doc(''), DEFAULT_CHUNKING)).toEqual([]);
    expect(chunkDocument(doc(' \n\n '), DEFAULT_CHUNKING)).toEqual([]);
    expect(chunkDocument(doc(' \n\n '), { ...DEFAULT_CHUNKING, noChunk: true })).toEqual([]);
  });
});

describe('chunkDocument: hand-checked cases', () => {
  it('keeps a short document whole, trimmed, with 1-based lines', () => {
    const d = doc('\n\n  Hello world.\nSecond line.  \n\n');
    const [c, ...rest] = chunkDocument(d, DEFAULT_CHUNKING);
    expect(rest).toEqual([]);
    // "\n\n  " is 4 chars, so the text starts at 4 on line 3; it ends after "line." on line 4
    expect(c).toEqual({
      id: 'doc.md#0',
      docId: 'doc.md',
      ordinal: 0,
      text: 'Hello world.\nSecond line.',
      headingPath: [],
      startChar: 4,
      endChar: 29,
      startLine: 3,
      endLine: 4,
    });
  });

  it('splits at headings, then paragraphs, then sentences, with overlap', () => {
    const text = '# Title\n\n## Intro\n\nOne two three. Four five six.\n\nSeven eight nine ten.\n\n## Next\n\nEleven twelve.';
    const headings = [
      { level: 1, text: 'Title', start: 0 },
      { level: 2, text: 'Intro', start: 9 },
      { level: 2, text: 'Next', start: text.indexOf('## Next') },
    ];
    const chunks = chunkDocument(doc(text, { headings }), { chunkSize: 5, chunkOverlap: 2 });
    // "# Title" holds only its heading and "## Intro" is deeper, so they form one section of 14 tokens:
    // pieces [# Title](2) [## Intro](2) [One two three.](3) [Four five six.](3) [Seven eight nine ten.](4).
    // Chunk 0: 2+2 = 4, +3 = 7 > 5 → stop. Chunk 1: overlap min(2, 5−3) = 2 → "## Intro" + 3.
    // Chunk 2: overlap min(2, 5−3) = 2 → "two three." + 3. Chunk 3: overlap min(2, 5−4) = 1 → "six." + 4.
    // "## Next" starts a new section: no overlap carried across it.
    expect(chunks.map((c) => c.text)).toEqual([
      '# Title\n\n## Intro',
      '## Intro\n\nOne two three.',
      'two three. Four five six.',
      'six.\n\nSeven eight nine ten.',
      '## Next\n\nEleven twelve.',
    ]);
    expect(chunks.map((c) => c.headingPath)).toEqual([
      ['Title', 'Intro'],
      ['Title', 'Intro'],
      ['Title', 'Intro'],
      ['Title', 'Intro'],
      ['Title', 'Next'],
    ]);
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([[1, 3], [3, 5], [5, 5], [5, 7], [9, 11]]);
    checkInvariants(doc(text, { headings }), chunks, 5);
  });

  it('prefers a sentence end over a word gap, and skips abbreviations and lowercase continuations', () => {
    // 3 + 3 + 3 tokens; chunkSize 6 packs the first two sentences, "e.g." and "3.5 ms. then" are not ends
    const text = 'See e.g. this. Then 3.5 ms. then. Last one here.';
    const chunks = chunkDocument(doc(text), { chunkSize: 6, chunkOverlap: 0 });
    // sentences: "See e.g. this."(3) "Then 3.5 ms. then."(4) "Last one here."(3)
    // chunk 0: 3, +4 = 7 > 6 → "See e.g. this."; chunk 1: 4 + 3 = 7 > 6 → "Then 3.5 ms. then."
    expect(chunks.map((c) => c.text)).toEqual(['See e.g. this.', 'Then 3.5 ms. then.', 'Last one here.']);
  });

  it('splits Korean at sentence endings 다. 요. and never inside an eojeol', () => {
    const text = '검색 증강 생성은 외부 지식을 사용한다. 모델을 다시 학습할 필요가 없어요. 그래서 최신 정보를 반영합니다.';
    // sentences: 6 + 5 + 4 eojeol = 15 tokens; chunkSize 11 packs 6 + 5, then 4 remain
    expect(countTokens(text)).toBe(15);
    const chunks = chunkDocument(doc(text), { chunkSize: 11, chunkOverlap: 0 });
    expect(chunks.map((c) => c.text)).toEqual([
      '검색 증강 생성은 외부 지식을 사용한다. 모델을 다시 학습할 필요가 없어요.',
      '그래서 최신 정보를 반영합니다.',
    ]);
  });

  it('carries exactly chunkOverlap tokens at a word boundary when pieces are single words', () => {
    // 12 words, no sentence or line breaks: every piece is one word.
    const words = 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12';
    const chunks = chunkDocument(doc(words), { chunkSize: 5, chunkOverlap: 2 });
    // [w1..w5] then start 2 back: [w4..w8], [w7..w11], [w10..w12]
    expect(chunks.map((c) => c.text)).toEqual(['w1 w2 w3 w4 w5', 'w4 w5 w6 w7 w8', 'w7 w8 w9 w10 w11', 'w10 w11 w12']);
  });

  it('splits unspaced Japanese between characters, never between a character and its punctuation', () => {
    const text = '検索拡張生成は、外部知識を使う。';
    // 検 索 拡 張 生 成 | は、 外 部 知 識 を | 使 う。 = 6 + 6 + 2 = 14 tokens ("、" rides on は, "。" on う)
    expect(countTokens(text)).toBe(14);
    const chunks = chunkDocument(doc(text), { chunkSize: 6, chunkOverlap: 0 });
    expect(chunks.map((c) => c.text)).toEqual(['検索拡張生成', 'は、外部知識を', '使う。']);
    checkInvariants(doc(text), chunks, 6);
  });

  it('noChunk keeps the whole (trimmed) document as one chunk however long', () => {
    const text = `  ${'word '.repeat(1000)}\n`;
    const chunks = chunkDocument(doc(text, { id: '4983' }), { chunkSize: 8, chunkOverlap: 2, noChunk: true });
    expect(chunks).toHaveLength(1);
    expect(chunks[0].id).toBe('4983#0');
    expect(chunks[0].startChar).toBe(2);
    expect(chunks[0].endChar).toBe(2 + 5 * 1000 - 1);
  });

  it('records the page of each chunk and never lets a chunk cross a page start', () => {
    const p1 = 'Page one text here.';
    const p2 = 'Page two text.';
    const text = `${p1}\n\n${p2}`;
    const pages = [
      { page: 1, start: 0, end: p1.length },
      { page: 2, start: p1.length + 2, end: text.length },
    ];
    const chunks = chunkDocument(doc(text, { pages }), { chunkSize: 100, chunkOverlap: 10 });
    expect(chunks.map((c) => [c.text, c.page, c.startLine])).toEqual([
      [p1, 1, 1],
      [p2, 2, 3],
    ]);
  });
});

describe('chunkDocument: invariants on a real Markdown file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openbook-chunk-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds exact slices, line numbers matching the file, heading paths and overlap', async () => {
    const parts: string[] = ['# RAG 노트', ''];
    const headings: Heading[] = [];
    const sentences = [
      'RAG는 검색된 문서를 프롬프트에 붙여 답을 생성한다.',
      'BM25 scores a document by term frequency and inverse document frequency.',
      '모델을 다시 학습하지 않아도 지식을 갱신할 수 있어요.',
      'Dense retrieval embeds queries and passages in one vector space!',
      '検索拡張生成は外部知識を使う。',
    ];
    for (let s = 1; s <= 4; s++) {
      parts.push(`## 섹션 ${s}`, '');
      for (let sub = 1; sub <= 2; sub++) {
        parts.push(`### Sub ${s}.${sub}`, '');
        for (let p = 0; p < 3; p++) {
          const para: string[] = [];
          for (let k = 0; k < 7; k++) para.push(sentences[(s * 7 + sub * 3 + p + k) % sentences.length]);
          parts.push(para.slice(0, 4).join(' '), para.slice(4).join(' '), '');
        }
      }
    }
    const fileText = parts.join('\n');
    const file = path.join(dir, 'notes.md');
    await writeFile(file, fileText, 'utf8');
    const text = await readFile(file, 'utf8');
    const fileLines = text.split('\n');
    for (let i = 0, off = 0; i < fileLines.length; off += fileLines[i].length + 1, i++) {
      const m = /^(#{1,6}) (.*)$/.exec(fileLines[i]);
      if (m) headings.push({ level: m[1].length, text: m[2], start: off });
    }
    const d = doc(text, { headings });
    for (const [chunkSize, chunkOverlap] of [[256, 32], [40, 8], [12, 3], [3, 1], [1, 0]]) {
      const chunks = chunkDocument(d, { chunkSize, chunkOverlap });
      checkInvariants(d, chunks, chunkSize);
      for (const c of chunks) {
        // The chunk's first and last lines, read from the file by line number, contain its edges.
        expect(fileLines[c.startLine - 1]).toContain(c.text.split('\n')[0]);
        expect(fileLines[c.endLine - 1]).toContain(c.text.split('\n').at(-1));
        // Never inside a word/eojeol: outside neighbours are whitespace, or the edge is a Han/Kana char.
        const before = text[c.startChar - 1];
        const after = text[c.endChar];
        const cjk = /[\u3040-\u30ff\u4e00-\u9fff]/;
        expect(isWs(before) || cjk.test(c.text[0])).toBe(true);
        expect(isWs(after) || cjk.test(after) || after === '。').toBe(true);
        // heading path: the innermost heading before the chunk's first non-heading line (a chunk may
        // open with heading-only lines, e.g. "## 섹션 1" directly followed by "### Sub 1.1")
        let content = text.lastIndexOf('\n', c.startChar - 1) + 1; // start of the chunk's first line
        while (content < c.endChar && (text[content] === '#' || text[content] === '\n')) {
          const nl = text.indexOf('\n', content);
          content = nl === -1 ? text.length : nl + 1;
        }
        if (content < c.endChar) {
          const inner = headings.filter((h) => h.start < content).at(-1);
          expect(c.headingPath.at(-1)).toBe(inner?.text);
        } else {
          // a tiny chunk made only of heading lines: its own heading is on the path
          const own = headings.filter((h) => h.start <= c.startChar).at(-1);
          expect(c.headingPath).toContain(own?.text);
        }
        if (c.headingPath.length === 3) expect(c.headingPath[0]).toBe('RAG 노트');
      }
      // Overlap: within a section, consecutive chunks share a word-aligned span of ≤ chunkOverlap tokens.
      let overlapped = 0;
      for (let i = 1; i < chunks.length; i++) {
        const [a, b] = [chunks[i - 1], chunks[i]];
        if (b.startChar < a.endChar) {
          overlapped++;
          expect(b.headingPath).toEqual(a.headingPath);
          expect(countTokens(text.slice(b.startChar, a.endChar))).toBeLessThanOrEqual(chunkOverlap);
        }
      }
      if (chunkOverlap > 0 && chunkSize < 100) expect(overlapped).toBeGreaterThan(0);
      // Coverage: every non-whitespace char lies in some chunk.
      const covered = new Uint8Array(text.length);
      for (const c of chunks) covered.fill(1, c.startChar, c.endChar);
      for (let i = 0; i < text.length; i++) if (!covered[i]) expect(isWs(text[i])).toBe(true);
    }
  });
});

describe('chunkDocument: long inputs', () => {
  it('packs a 100,000-word run-on paragraph into 447 chunks (linear, no deep recursion)', () => {
    const words = Array.from({ length: 100_000 }, (_, i) => `w${i}`);
    const d = doc(words.join(' '));
    const chunks = chunkDocument(d, { chunkSize: 256, chunkOverlap: 32 });
    // no sentence or line breaks: every piece is one word. First chunk 256 words, each later one
    // adds 256 − 32 = 224 new words: 1 + ceil((100000 − 256) / 224) = 1 + ceil(445.29) = 447
    expect(chunks).toHaveLength(447);
    expect(chunks[1].text.startsWith('w224 ')).toBe(true); // 256 − 32 = 224
    expect(chunks.at(-1)!.text.endsWith('w99999')).toBe(true);
    for (const c of chunks) expect(countTokens(c.text)).toBeLessThanOrEqual(256);
  });

  it('splits 50,000 unspaced Han characters between characters', () => {
    const text = '検索拡張生成'.repeat(50_000 / 6 + 1).slice(0, 50_000);
    const chunks = chunkDocument(doc(text), { chunkSize: 100, chunkOverlap: 0 });
    expect(chunks).toHaveLength(500); // 50,000 / 100
    expect(chunks.every((c) => c.text.length === 100)).toBe(true);
  });
});
