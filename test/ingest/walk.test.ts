import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { formatOf, walkPaths, type WalkEntry, type WalkOptions } from '../../src/ingest/walk.js';

let root: string;

async function put(rel: string, content = 'x'): Promise<void> {
  const abs = path.join(root, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
}

async function walk(paths: string[], opts: WalkOptions = {}): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of walkPaths(paths, { cwd: root, ...opts })) out.push(e);
  return out;
}
const rels = async (paths: string[], opts: WalkOptions = {}) => (await walk(paths, opts)).map((e) => e.relPath);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'openbook-walk-'));
  await put('README.md', '# hi\n');
  await put('notes.txt');
  await put('page.HTM');
  await put('paper.pdf');
  await put('report.docx');
  await put('corpus.jsonl');
  await put('image.png');
  await put('docs/a.markdown');
  await put('docs/b.md');
  await put('docs/sub/c.md');
  await put('docs/sub/skip.log.md');
  await put('docs/sub/keep.log.md');
  await put('docs/drafts/d.md');
  await put('docs/.hidden/h.md');
  await put('docs/.secret.md');
  await put('node_modules/pkg/readme.md');
  await put('dist/out.md');
  await put('.git/x.md');
  await put('.openbook/y.md');
  await put('build/gen.md');
  await put('.gitignore', 'build/\n*.log.md\n');
  // a deeper .gitignore re-includes one file the root one ignores
  await put('docs/sub/.gitignore', '!keep.log.md\n');
  await put('a-b.md');
  await put('a/z.md');
  await utimes(path.join(root, 'notes.txt'), 1_700_000_000, 1_700_000_000);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walkPaths', () => {
  it('walks a folder: supported extensions only, default excludes and .gitignore applied, sorted', async () => {
    expect(await rels(['.'])).toEqual([
      'README.md',
      'a-b.md', // '-' (0x2d) sorts before '/' (0x2f): plain code-unit order of relPath
      'a/z.md',
      'corpus.jsonl',
      'docs/a.markdown',
      'docs/b.md',
      'docs/drafts/d.md',
      'docs/sub/c.md',
      'docs/sub/keep.log.md',
      'notes.txt',
      'page.HTM',
      'paper.pdf',
      'report.docx',
    ]);
  });

  it('fills size, mtime and format', async () => {
    const [notes] = await walk(['notes.txt']);
    expect(notes).toEqual({
      absPath: path.join(root, 'notes.txt'),
      relPath: 'notes.txt',
      sizeBytes: 1,
      mtimeMs: 1_700_000_000_000,
      format: 'txt',
    });
    const formats = Object.fromEntries((await walk(['.'])).map((e) => [e.relPath, e.format]));
    expect(formats['page.HTM']).toBe('html');
    expect(formats['docs/a.markdown']).toBe('md');
    expect(formats['corpus.jsonl']).toBe('jsonl');
    expect(formatOf('x.DOCX')).toBe('docx');
    expect(formatOf('x.png')).toBeUndefined();
  });

  it('applies include and exclude globs (base-name match for slash-less patterns)', async () => {
    expect(await rels(['docs'], { include: ['*.md'], exclude: ['docs/drafts/**'] })).toEqual([
      'docs/b.md',
      'docs/sub/c.md',
      'docs/sub/keep.log.md',
    ]);
    expect(await rels(['.'], { include: ['**/*.{pdf,docx}'] })).toEqual(['paper.pdf', 'report.docx']);
    expect(await rels(['.'], { exclude: ['docs', '*.md'] })).toEqual([
      'corpus.jsonl',
      'notes.txt',
      'page.HTM',
      'paper.pdf',
      'report.docx',
    ]);
  });

  it('expands globs relative to cwd, keeping the walk rules', async () => {
    expect(await rels(['docs/**/*.md'])).toEqual(['docs/b.md', 'docs/drafts/d.md', 'docs/sub/c.md', 'docs/sub/keep.log.md']);
    expect(await rels(['*.{txt,jsonl}'])).toEqual(['corpus.jsonl', 'notes.txt']);
    const warnings: string[] = [];
    expect(await rels(['docs/*.pdf'], { onWarning: (m) => warnings.push(m) })).toEqual([]);
    expect(warnings).toEqual(['docs/*.pdf: no supported files match']);
  });

  it('takes an explicitly named file even if ignored, and yields each file once', async () => {
    expect(await rels(['build/gen.md', 'docs/b.md', 'docs', 'docs/b.md'])).toEqual([
      'build/gen.md',
      'docs/a.markdown',
      'docs/b.md',
      'docs/drafts/d.md',
      'docs/sub/c.md',
      'docs/sub/keep.log.md',
    ]);
  });

  it('applies .gitignore files between cwd and a walked sub-folder', async () => {
    // walking docs/sub alone still honours the root .gitignore's *.log.md and the local negation
    expect(await rels(['docs/sub'])).toEqual(['docs/sub/c.md', 'docs/sub/keep.log.md']);
  });

  it('warns about an explicitly named unsupported file and skips it', async () => {
    const warnings: string[] = [];
    expect(await rels(['image.png'], { onWarning: (m) => warnings.push(m) })).toEqual([]);
    expect(warnings[0]).toMatch(/^image\.png: skipped, unsupported extension \(supported: \.txt \.md/);
  });

  it('throws NotFoundError naming a missing path or glob base', async () => {
    await expect(rels(['nope.md'])).rejects.toThrow(NotFoundError);
    await expect(rels(['nope.md'])).rejects.toThrow('nope.md: no such file or folder');
    await expect(rels(['missing/**/*.md'])).rejects.toThrow("missing/**/*.md: the glob's folder missing does not exist");
  });

  it('follows symlinked files but not symlinked folders (no loops, no duplicates)', async () => {
    await symlink(root, path.join(root, 'docs', 'loop'));
    await symlink(path.join(root, 'notes.txt'), path.join(root, 'docs', 'linked.txt'));
    try {
      expect(await rels(['docs'])).toEqual([
        'docs/a.markdown',
        'docs/b.md',
        'docs/drafts/d.md',
        'docs/linked.txt',
        'docs/sub/c.md',
        'docs/sub/keep.log.md',
      ]);
    } finally {
      await rm(path.join(root, 'docs', 'loop'));
      await rm(path.join(root, 'docs', 'linked.txt'));
    }
  });

  it('gives relPaths relative to cwd with ../ when outside it', async () => {
    expect(await rels([path.join(root, 'notes.txt')], { cwd: path.join(root, 'docs') })).toEqual(['../notes.txt']);
  });
});
