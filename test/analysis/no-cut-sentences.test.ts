/**
 * No quoted unit ends inside a sentence (issue #12): over every .md/.txt file of docs/,
 * bench/qa-notes/notes and ../shared/seeds, each unit the extractive answerer may quote (its candidates) must end where a
 * reader sees a sentence end — sentence-final punctuation (. ? ! 。 … with closing quotes), a
 * colon introducing what follows, a Korean terminal ending (…다, …요, …까), the end of its
 * paragraph (a blank line or the end of the file), or a line that starts a new block (heading,
 * list item, table row, fence, quote). A unit ending elsewhere at a line break is cut when that
 * line is hard-wrapped — it fills its paragraph (display width, Hangul counted 2 columns, at least
 * 80% of the paragraph's widest line, which is at least 60 columns wide) — or ends with a word
 * that cannot end a sentence (a comma, a hyphen, an open bracket, "the", "of", "and" …).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/registry.js';
import { extractiveAnswer } from '../../src/generate/extractive.js';
import type { Hit } from '../../src/core/types.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const seeds = path.resolve(repo, '..', 'shared', 'seeds');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(md|txt)$/.test(name)) out.push(p);
  }
  return out.sort();
}

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
const width = (s: string) => [...s].reduce((a, c) => a + (WIDE.test(c) ? 2 : 1), 0);
const SENTENCE_END = /([.?!。？！…:]|[다요까죠])["'”’)\]」』》»）*]*$/u;
const BLOCK_START = /^\s*(#{1,6}\s|[-*+•·]\s|\d{1,3}[.)]\s|\||```|~~~|>|[=-]{2,}\s*$)/;
const CANNOT_END = /([,\-–(]|\b(the|of|and|or|to|a|an|in|for|with|by|from|that|is|are)|및|또는|그리고)$/iu;

/** The cut units of one text: `{ line, unit }` for each quoted unit that ends inside a sentence. */
function cutUnits(text: string): Array<{ line: number; unit: string }> {
  const hit: Hit = { rank: 1, score: 1, docId: 'd', chunkId: 'd#0', source: 'd', title: 'd', text, startLine: 1, endLine: text.split('\n').length };
  const units = extractiveAnswer('zzzqqq', [hit], getAnalyzer('auto')).candidates;
  const lines = text.split('\n');
  const out: Array<{ line: number; unit: string }> = [];
  for (const u of units) {
    const unit = text.slice(u.start, u.end).replace(/\s+$/, '');
    if (SENTENCE_END.test(unit)) continue;
    const lineNo = text.slice(0, u.start + unit.length).split('\n').length; // 1-based line where the unit ends
    const rest = text.slice(u.start + unit.length);
    if (!/^[ \t]*\n/.test(rest)) continue; // ends mid-line (not at a break): not this test's concern
    const next = lines[lineNo] ?? '';
    if (next.trim() === '' || BLOCK_START.test(next)) continue;
    // The paragraph around the line: the run of non-blank lines.
    let a = lineNo - 1;
    while (a > 0 && lines[a - 1].trim() !== '') a--;
    let b = lineNo - 1;
    while (b + 1 < lines.length && lines[b + 1].trim() !== '') b++;
    const max = Math.max(...lines.slice(a, b + 1).map((l) => width(l.trim())));
    const last = lines[lineNo - 1].trim();
    if ((max >= 60 && width(last) >= 0.8 * max) || CANNOT_END.test(last)) out.push({ line: lineNo, unit });
  }
  return out;
}

describe('no quoted unit ends inside a sentence', () => {
  it('the known hard-wrap case: docs/guide/methods.ko.md, REPLUG LSR (line 71) is quoted whole', () => {
    const cut = cutUnits(readFileSync(path.join(repo, 'docs/guide/methods.ko.md'), 'utf8'));
    expect(cut.filter((c) => c.line === 71)).toEqual([]);
  });

  it('a hard-wrapped Korean paragraph and an English one ending a line with "the" are whole', () => {
    const ko = '검색기는 문서 모음에서 질문과 관련된 구절을 찾아 순위를 매기고 상위 다섯 개를 생성기에게 넘겨 답을\n쓰게 합니다. 생성기는 그 구절만 읽습니다.\n';
    expect(cutUnits(ko)).toEqual([]);
    const en = 'The retriever ranks the passages and hands the\ntop five to the reader.\n';
    expect(cutUnits(en)).toEqual([]);
  });

  it('every .md/.txt of docs/', () => {
    const bad = files(path.join(repo, 'docs')).flatMap((f) => cutUnits(readFileSync(f, 'utf8')).map((c) => `${path.relative(repo, f)}:${c.line}: ${c.unit.slice(-60)}`));
    expect(bad).toEqual([]);
  });

  it('every .md/.txt of bench/qa-notes/notes', () => {
    const bad = files(path.join(repo, 'bench/qa-notes/notes')).flatMap((f) => cutUnits(readFileSync(f, 'utf8')).map((c) => `${path.relative(repo, f)}:${c.line}: ${c.unit.slice(-60)}`));
    expect(bad).toEqual([]);
  });

  it.skipIf(!existsSync(seeds))('every .md/.txt of ../shared/seeds (skipped: ../shared/seeds not found)', () => {
    const bad = files(seeds).flatMap((f) => cutUnits(readFileSync(f, 'utf8')).map((c) => `${path.basename(f)}:${c.line}: ${c.unit.slice(-60)}`));
    expect(bad).toEqual([]);
  });
});
