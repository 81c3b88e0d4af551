/**
 * Unix manners (#13 item 4): every failure a user can cause ends in one line naming the file or
 * flag, exit 2; warnings name their file; legacy encodings are detected. Each case drives the
 * real CLI (test/support/cli.ts runCli) on real files in a temporary folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let dir: string;

/** Encodes `text` in a legacy double-byte encoding by inverting Node's own decoder for it (a round trip, no table copied). */
function encodeLegacy(text: string, encoding: 'euc-kr' | 'shift_jis'): Buffer {
  const dec = new TextDecoder(encoding, { fatal: true });
  const map = new Map<string, number[]>();
  for (let a = 0x81; a <= 0xfe; a++) {
    for (let b = 0x40; b <= 0xfe; b++) {
      try {
        const s = dec.decode(new Uint8Array([a, b]));
        if ([...s].length === 1 && !map.has(s)) map.set(s, [a, b]);
      } catch {
        // not a valid pair
      }
    }
  }
  return Buffer.from(
    [...text].flatMap((ch) => {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) return [cp];
      const bytes = map.get(ch);
      if (!bytes) throw new Error(`${ch} has no ${encoding} code`);
      return bytes;
    }),
  );
}

/** stderr lines that start with `error:`. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error:'));
const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning:'));
const KOREAN = '비밀번호 정책: 모든 계정의 비밀번호는 열두 자 이상이어야 하며 분기마다 바꿉니다.\n접근 권한은 팀장이 승인합니다.\n';
const JAPANESE = 'パスワードは十二文字以上にしてください。アクセス権限はチームリーダーが承認します。\n';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-manners-'));
  writeFileSync(path.join(dir, 'a.txt'), 'hello world\nsecond line about passwords\n');
  writeFileSync(path.join(dir, 'b.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(path.join(dir, 'c.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one line, exit 2, naming the file or flag', () => {
  it('invalid chunking options fail before any file is read, naming both flags', async () => {
    const r = await runCli(dir, ['index', 'a.txt', '--index', 'chunk-idx', '--chunk-size', '10', '--chunk-overlap', '20']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --chunk-overlap \(20\) must be less than --chunk-size \(10\)/m);
    expect(warningLines(r.stderr)).toEqual([]);
    expect(existsSync(path.join(dir, 'chunk-idx'))).toBe(false);
  });

  it('train-data --out into a missing folder names the folder', async () => {
    const r = await runCli(dir, ['train-data', 'raft', '--dataset', 'nowhere.json', '--out', 'no-such-dir/x.jsonl']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: --out .*no-such-dir.*: no such folder/)]);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });

  it('serve --index /dev/null says the index is not a folder', async () => {
    const r = await runCli(dir, ['serve', '--index', '/dev/null', '--port', '0']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: --index \/dev\/null: not a folder/)]);
    expect(r.stderr).not.toMatch(/ENOTDIR/);
  });

  it('doctor with an unreachable endpoint ends in one error line naming it, exit 2', async () => {
    const r = await runCli(dir, ['doctor'], { OPENBOOK_LLM_BASE_URL: 'http://127.0.0.1:9/v1', OPENBOOK_LLM_MODEL: 'm' });
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: .*http:\/\/127\.0\.0\.1:9\/v1.*(unreachable|could not be reached)/)]);
    // The table keeps its rows; the repeated per-probe connection errors are said once.
    expect(r.stdout.match(/Connection error/g)?.length ?? 0).toBeLessThanOrEqual(1);
  }, 60_000);

  it('a 20 MB config file is refused in one line naming it and its size', async () => {
    const file = path.join(dir, 'huge.config.json');
    writeFileSync(file, JSON.stringify({ retrieval: { topK: 3 }, pad: 'x'.repeat(20_000_000) }));
    const r = await runCli(dir, ['search', 'x', '--config', file]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: .*huge\.config\.json: .*19\.1 MiB.*at most 1 MiB/)]);
  });
});

describe('named unsupported files', () => {
  it('an explicitly named unsupported file is a warning naming it; the others are indexed', async () => {
    const r = await runCli(dir, ['index', 'b.png', 'a.txt', '--index', 'mixed-idx']);
    expect(r.code).toBe(0);
    expect(warningLines(r.stderr)).toEqual([expect.stringMatching(/^warning: b\.png: skipped, unsupported extension/)]);
    expect(r.stdout).toMatch(/indexed 1 file into/);
  });

  it('nothing indexable at all: a warning per file, then one error line, exit 2', async () => {
    const r = await runCli(dir, ['index', 'b.png', 'c.gz', '--index', 'none-idx']);
    expect(r.code).toBe(2);
    expect(warningLines(r.stderr).map((l) => l.split(':')[1].trim())).toEqual(['b.png', 'c.gz']);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: nothing to index: 2 files skipped/)]);
  });
});

describe('index --rebuild', () => {
  it('rebuilds a corrupt index from the given paths after saying what it will do', async () => {
    const idx = path.join(dir, 'corrupt-idx');
    expect((await runCli(dir, ['index', 'a.txt', '--index', idx])).code).toBe(0);
    writeFileSync(path.join(idx, 'manifest.json'), 'not json');
    const refused = await runCli(dir, ['index', 'a.txt', '--index', idx]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--rebuild/);
    const r = await runCli(dir, ['index', 'a.txt', '--index', idx, '--rebuild']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^rebuilding .*corrupt-idx from a\.txt: .*not valid JSON.*; the old folder is kept as .*corrupt-idx\.broken-/m);
    const s = await runCli(dir, ['search', 'passwords', '--index', idx, '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).hits.map((h: { docId: string }) => h.docId)).toEqual(['a.txt']);
  });
});

describe('legacy encodings', () => {
  it('EUC-KR and Shift_JIS text files are detected, indexed and searchable; the encoding is recorded', async () => {
    writeFileSync(path.join(dir, 'euckr.txt'), encodeLegacy(KOREAN, 'euc-kr'));
    writeFileSync(path.join(dir, 'sjis.txt'), encodeLegacy(JAPANESE, 'shift_jis'));
    const r = await runCli(dir, ['index', 'euckr.txt', 'sjis.txt', '--index', 'enc-idx']);
    expect(r.code, r.stderr).toBe(0);
    expect(warningLines(r.stderr)).toEqual([]);
    expect(r.stdout).toMatch(/indexed 2 files/);
    const ko = JSON.parse((await runCli(dir, ['search', '비밀번호', '--index', 'enc-idx', '--json'])).stdout);
    expect(ko.hits[0].docId).toBe('euckr.txt');
    expect(ko.hits[0].text).toContain('열두 자 이상');
    expect(ko.hits[0].meta.encoding).toBe('cp949'); // the WHATWG euc-kr decoder is code page 949
    const ja = JSON.parse((await runCli(dir, ['search', 'パスワード', '--index', 'enc-idx', '--json'])).stdout);
    expect(ja.hits[0].docId).toBe('sjis.txt');
    expect(ja.hits[0].meta.encoding).toBe('shift_jis');
  });

  it('--encoding forces one; an undetectable file is a warning naming it and --encoding', async () => {
    // Latin-1 French is too short and too ambiguous for detection to be trusted.
    writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from('café crème\n', 'latin1'));
    const r = await runCli(dir, ['index', 'latin1.txt', 'a.txt', '--index', 'latin-idx']);
    expect(r.code, r.stderr).toBe(0);
    expect(warningLines(r.stderr)).toEqual([expect.stringMatching(/^warning: (skipped )?latin1\.txt: not UTF-8.*--encoding/)]);
    const forced = await runCli(dir, ['index', 'latin1.txt', '--index', 'latin-forced', '--encoding', 'latin1']);
    expect(forced.code, forced.stderr).toBe(0);
    const hit = JSON.parse((await runCli(dir, ['search', 'crème', '--index', 'latin-forced', '--json'])).stdout).hits[0];
    expect(hit.text).toBe('café crème');
    const bad = await runCli(dir, ['index', 'a.txt', '--index', 'latin-bad', '--encoding', 'no-such-charset']);
    expect(bad.code).toBe(2);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/^error: --encoding: unknown encoding "no-such-charset"/)]);
  });
});

describe('plurals', () => {
  it('says "1 file" and "1 document"', async () => {
    const first = await runCli(dir, ['index', 'a.txt', '--index', 'plural-idx']);
    expect(first.stdout).toMatch(/✓ indexed 1 file into/);
    const again = await runCli(dir, ['index', 'a.txt', '--index', 'plural-idx']);
    expect(again.stdout).toMatch(/no changes: 1 document up to date/);
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toContain('hello');
  });
});
