/**
 * Issue #12: `eval qa` measures what `openbook index` ships — the paragraph's article title as an
 * indexed field of its chunk (`--fields text+title`, the index setting `titleTerms`), not a quotable
 * title line (`--fields flat`, BEIR parity) nor no title at all (`--fields text`). SQuAD/KorQuAD
 * titles are Wikipedia page names ("Super_Bowl_50"): the loader reads their underscores as spaces.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateQa } from '../../src/eval/qa.js';
import { loadSquad } from '../../src/eval/loaders/squad.js';
import { openEvalIndex, type FieldsMode } from '../../src/eval/runner.js';
import { parseRegression } from '../../src/eval/regress.js';

const dir = mkdtempSync(join(tmpdir(), 'openbook-eval-title-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Three articles. The question names the article ("aurora borealis") beside words that two
// paragraphs share ("charged particles make … glow"): body only, the neon paragraph — shorter on
// those words — ranks first; with the title indexed, the aurora paragraph does.
const file = join(dir, 'dev-title.json');
const para = (title: string, context: string, qas: unknown[] = []) => ({ title, paragraphs: [{ context, qas }] });
writeFileSync(
  file,
  JSON.stringify({
    version: '1.1',
    data: [
      para('Neon_lamp', 'Charged particles make the gas in the tube glow orange.'),
      para('Aurora_Borealis', 'Charged particles make the sky over the pole glow green.', [{ id: 'q1', question: 'What colour do charged particles make the aurora borealis glow?', answers: [{ text: 'green' }] }]),
      para('Sodium_lamp', 'Hot sodium vapour makes a street light glow yellow.'),
    ],
  }),
);
const deps = { cacheDir: join(dir, 'cache'), now: () => performance.now(), wallClock: () => 0 };
const search = { similarity: 'bm25' as const, k1: 0.9, b: 0.4, topK: 20 };
const run = (fields: FieldsMode) => evaluateQa({ dataset: file, index: { analyzer: 'english', fields, luceneNorms: true }, search, k: 2 }, deps);

describe('eval qa with the title as an indexed field (fields text+title)', () => {
  it('the SQuAD loader reads a page name\'s underscores as spaces', async () => {
    const ds = await loadSquad(file);
    expect(ds.corpus.map((d) => d.title)).toEqual(['Neon lamp', 'Aurora Borealis', 'Sodium lamp']);
  });

  it('retrieves by the title, quotes the paragraph body only', async () => {
    const titled = await run('text+title');
    const q1 = titled.perQuestion.find((q) => q.id === 'q1')!;
    expect(q1.askGoldRank).toBe(1);
    expect(q1.quote).toBe('Charged particles make the sky over the pole glow green.');
    expect(titled.metrics['answer-bearing@1']).toBe(1);
    const text = await run('text');
    expect(text.perQuestion[0].askGoldRank).toBe(2);
    // The index holds a flat index's terms: the same statistics, other stored text.
    const flat = await run('flat');
    expect(titled.index).toEqual(flat.index);
    expect(titled.index.totalTerms).toBeGreaterThan(text.index.totalTerms);
  });

  it('the eval index records the setting like a product index', async () => {
    const ds = await loadSquad(file);
    const idx = await openEvalIndex(ds.name, ds.corpus, ds.files, { analyzer: 'english', fields: 'text+title', luceneNorms: true }, deps);
    expect(idx.reader.config.titleTerms).toBe(true);
    expect(idx.reader.chunk(0).text).toBe('Charged particles make the gas in the tube glow orange.');
    const flat = await openEvalIndex(ds.name, ds.corpus, ds.files, { analyzer: 'english', fields: 'flat', luceneNorms: true }, deps);
    expect(flat.reader.config.titleTerms).toBe(false);
    expect(flat.reader.chunk(0).text).toBe('Neon lamp\nCharged particles make the gas in the tube glow orange.');
  });

  it('regression files accept fields: text+title', () => {
    const spec = parseRegression('x.yaml', 'name: x\nkind: extractive\ndataset: d\nindex: { analyzer: auto, fields: text+title }\nmetrics: { answer-bearing@1: 0.5 }\n');
    expect(spec.index.fields).toBe('text+title');
  });
});
