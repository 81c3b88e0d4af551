/**
 * Issue #16: a folder of the formats Korean offices keep (HWP, HWPX, XLSX, PPTX, a CP949 CSV),
 * made in the test, indexed and searched by the real `openbook` command; `--json` hits carry
 * the citation address each format has: file lines for CSV, `locator` for the others.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliSync } from '../support/cli.js';
import { encodeCp949, makeHwp, makeHwpx, makePptx, makeXlsx } from '../support/office-files.js';

let dir: string;

const run = (args: string[]) => runCliSync(dir, args);
const top = (q: string) => {
  const r = run(['search', q, '--json', '-k', '1']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).hits[0];
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-formats-'));
  writeFileSync(path.join(dir, 'minutes.hwpx'), makeHwpx([['2024년 정기 회의록', '보안 점검 결과는 양호하다.', '다음 회의는 삼월에 열린다.']], '정기 회의록'));
  writeFileSync(path.join(dir, 'report.hwp'), makeHwp([['사업 개요'], ['연구 인력은 열두 명이다.']]));
  writeFileSync(path.join(dir, 'prices.xlsx'), makeXlsx([{ name: '단가표', rows: [['품목', '단가'], ['의자', 45000], ['책상', 120000]] }]));
  writeFileSync(path.join(dir, 'deck.pptx'), makePptx([{ title: 'Roadmap', body: ['Launch in May'] }, { title: 'Hiring', body: ['Two engineers'], notes: ['Budget approved by finance'] }]));
  writeFileSync(path.join(dir, 'stock.csv'), encodeCp949('품명,수량\n노트북,7\n모니터,12\n'));
  const r = run(['index', '.']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/added 5, updated 0, removed 0, unchanged 0, skipped 0/);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('index and search of office formats', () => {
  it('HWPX and HWP hits cite paragraphs', () => {
    const a = top('보안 점검');
    expect(a.source).toBe('minutes.hwpx');
    expect(a.title).toBe('정기 회의록');
    expect(a.locator).toEqual({ kind: 'paragraph', start: 1, end: 3, label: '¶ 1–3' });
    const b = top('연구 인력');
    expect(b.source).toBe('report.hwp');
    // two sections, one paragraph each: one chunk holding both paragraphs
    expect(b.text).toBe('사업 개요\n\n연구 인력은 열두 명이다.');
    expect(b.locator).toEqual({ kind: 'paragraph', start: 1, end: 2, label: '¶ 1–2' });
  });

  it('an XLSX hit cites sheet!row and keeps the header names', () => {
    const h = top('책상 단가');
    expect(h.source).toBe('prices.xlsx');
    expect(h.text).toBe('단가표\n품목: 의자; 단가: 45000\n품목: 책상; 단가: 120000');
    expect(h.locator).toEqual({ kind: 'row', start: 2, end: 3, sheet: '단가표', label: '단가표!2:3' });
  });

  it('a PPTX hit on speaker notes cites its slide', () => {
    const h = top('finance approved');
    expect(h.source).toBe('deck.pptx');
    expect(h.locator).toEqual({ kind: 'slide', start: 2, end: 2, label: 'slide 2' });
    expect(h.text).toBe('Hiring\nTwo engineers\n\nNotes: Budget approved by finance');
  });

  it('a CP949 CSV decodes and cites its file lines; plain output shows the locator', () => {
    const h = top('모니터');
    expect(h.source).toBe('stock.csv');
    expect(h.text).toBe('품명: 노트북; 수량: 7\n품명: 모니터; 수량: 12');
    expect([h.startLine, h.endLine]).toEqual([2, 3]);
    expect(h.locator).toBeUndefined();
    const plain = run(['search', '의자', '-k', '1']);
    expect(plain.stdout).toContain('prices.xlsx 단가표!2:3');
  });
});
