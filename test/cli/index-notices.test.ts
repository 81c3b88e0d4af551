/**
 * A warning about a file that is still indexed is not a skip. docs/filters.md promises that front
 * matter that is not valid YAML is "one warning line naming the file and line; the file is still
 * indexed" (#16 item 1): the run must not count that file as skipped, nor print "skipped" before
 * it. Likewise the lines saying an older index was migrated (#18 item 3's re-keyed JSONL ids,
 * #16's documents read again for their fields) are notes, not skips.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexPaths } from '../../src/engine/indexer.js';
import { IndexWriter } from '../../src/index/index.js';
import { chunkDocument } from '../../src/ingest/index.js';
import { runCli } from '../support/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-notices-'));
  mkdirSync(path.join(dir, 'docs'));
  writeFileSync(path.join(dir, 'docs', 'good.md'), '---\ntags: [a]\n---\n# Good\n\nThe walrus sleeps.\n');
  // Invalid YAML (an unclosed flow sequence); a small file (parsed inline) and one over 16 KiB (parsed on a worker).
  writeFileSync(path.join(dir, 'docs', 'bad.md'), '---\ntitle: [broken\n---\n# Bad\n\nThe okapi hides.\n');
  writeFileSync(path.join(dir, 'docs', 'big.md'), `---\ntitle: [broken\n---\n# Big\n\n${'The tapir swims in the river. '.repeat(700)}\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCli(dir, args, { OPENBOOK_LLM_BASE_URL: '', OPENBOOK_LLM_MODEL_DIR: '', OPENBOOK_EMBED_BASE_URL: '' });

describe('warnings about files that are still indexed are not skips', () => {
  it('front matter that is not valid YAML: the file is indexed, counted as added, not skipped; the line does not say "skipped"', async () => {
    const r = await run(['index', 'docs', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { added: number; skipped: number; skippedFiles: unknown[]; warnings: string[] };
    expect(out).toMatchObject({ added: 3, skipped: 0, skippedFiles: [] });
    expect(out.warnings.map((w) => w.replace(/ \(.*\)/, ' (…)')).sort()).toEqual([
      'docs/bad.md:2: front matter is not valid YAML (…); indexed without its front-matter fields',
      'docs/big.md:2: front matter is not valid YAML (…); indexed without its front-matter fields',
    ]);
    const again = await run(['index', 'docs', '--rebuild']);
    const lines = again.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(lines.length).toBe(2);
    for (const l of lines) expect(l).toMatch(/^warning: docs\/(bad|big)\.md:2: front matter is not valid YAML .*; indexed without its front-matter fields$/);
    expect(again.stdout).toMatch(/skipped 0;/);
  });

  it('the lines that say an older index was migrated are notes (kind "note"), not skips', async () => {
    const indexDir = path.join(dir, '.openbook');
    writeFileSync(path.join(dir, 'corpus.jsonl'), '{"_id":"1","title":"","text":"first record"}\n');
    // An older openbook's index: a bare JSONL id, and a file stored without its metadata.
    const w = await IndexWriter.open(indexDir, { analyzer: 'auto', chunkSize: 256, chunkOverlap: 32, noChunk: false, luceneNorms: true }, { now: Date.now });
    const doc = { id: '1', source: 'corpus.jsonl', title: '', text: 'first record', format: 'jsonl' as const, contentHash: 'x', sizeBytes: 10, mtimeMs: 0 };
    await w.addDocuments([{ doc, chunks: chunkDocument(doc, { chunkSize: 256, chunkOverlap: 32 }) }]);
    await w.commit();
    await w.close();
    await indexPaths({ indexDir, paths: ['docs/good.md'], cwd: dir, now: Date.now });
    const w2 = await IndexWriter.open(indexDir, { analyzer: 'auto', chunkSize: 256, chunkOverlap: 32, noChunk: false, luceneNorms: true }, { now: Date.now });
    const rec = w2.getDocument('docs/good.md')!;
    const text = '---\ntags: [a]\n---\n# Good\n\nThe walrus sleeps.\n';
    const bare = { ...rec, text } as typeof rec & { text: string; meta?: unknown; metaVersion?: unknown };
    delete bare.meta;
    delete bare.metaVersion;
    await w2.addDocuments([{ doc: bare, chunks: chunkDocument(bare, { chunkSize: 256, chunkOverlap: 32 }) }]);
    await w2.commit();
    await w2.close();

    const seen: Array<[string, string | undefined]> = [];
    const s = await indexPaths({ indexDir, paths: ['corpus.jsonl', 'docs/good.md'], cwd: dir, now: Date.now, onWarning: (m, kind) => seen.push([m, kind]) });
    expect(s).toMatchObject({ skipped: 0 });
    expect(seen).toEqual([
      ['1 document was indexed by an older openbook, before its metadata fields were read; read it again for its fields (once)', 'note'],
      ['corpus.jsonl: 1 document had bare JSONL ids (an older openbook, or --global-ids); they are now corpus.jsonl#<_id> (the _id stays in the field _id)', 'note'],
    ]);
  });
});

describe('index --rebuild with --store', () => {
  it('says how a store is rebuilt with commands that exist, before connecting (exit 2)', async () => {
    // Port 1: nothing listens; the refusal must come before any connection attempt.
    const r = await run(['index', 'docs', '--store', 'postgres://openbook@127.0.0.1:1/openbook', '--rebuild']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rebuild rebuilds an index folder/);
    expect(r.stderr).toMatch(/openbook store init/);
    expect(r.stderr).not.toMatch(/store drop|ECONNREFUSED/);
  });
});
