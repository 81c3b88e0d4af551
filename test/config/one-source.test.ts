/**
 * Issue 13 item 2, "one source of options": the option table (`config/options.ts`) is the one
 * definition of every retrieval option — name, type, range, default, enumeration — and each
 * face is checked against it here: the config schema, the code's own tables, the HTTP request
 * schemas, the CLI's flag parsing and the Engine API.
 */
import { describe, expect, it } from 'vitest';
import { ALL_OPTIONS, RERANK_OPTIONS, RETRIEVAL_OPTIONS, SEARCH_OPTIONS, type OptionSpec } from '../../src/config/options.js';
import { RerankConfig, RetrievalConfig } from '../../src/config/schema.js';
import { checkSearchOptions, retrieverKinds, type SearchOptions } from '../../src/engine/engine.js';
import { similarityNames } from '../../src/index/index.js';
import { scoreNormalizations } from '../../src/retrieve/fusion.js';
import { fusionMethods } from '../../src/retrieve/hybrid.js';
import { rerankApiNames } from '../../src/retrieve/rerank.js';
import { AskRequest, SearchQuery } from '../../src/server/schemas.js';
import { parseRetrievalFlags, type RetrievalFlags } from '../../src/cli/commands/search.js';
import { rerankOverrides } from '../../src/cli/models.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { tmpdir } from 'node:os';

type AnyZod = { safeParse(v: unknown): { success: boolean; data?: unknown }; unwrap?: () => AnyZod; options?: readonly string[] };

/** The config schema's validator of a spec (`retrieval.k1` → RetrievalConfig.shape.k1). */
function schemaOf(s: OptionSpec): AnyZod {
  const [section, key] = s.path.split('.');
  const shape = (section === 'retrieval' ? RetrievalConfig.shape : RerankConfig.shape) as unknown as Record<string, AnyZod>;
  return shape[key];
}

/** Values just outside a numeric spec's range, and non-finite ones. */
function outside(s: OptionSpec): unknown[] {
  if (s.type === 'enum') return ['nope', '', 1];
  const out: unknown[] = [Infinity, -Infinity, Number.NaN, '1'];
  if (s.min !== undefined) out.push(s.min - (s.type === 'int' ? 1 : 0.001));
  if (s.max !== undefined) out.push(s.max + (s.type === 'int' ? 1 : 0.001));
  if (s.type === 'int') out.push((s.min ?? 0) + 1.5);
  return out;
}
function inside(s: OptionSpec): unknown[] {
  if (s.type === 'enum') return [...s.values!];
  return [s.min, s.max, s.default].filter((v) => v !== undefined);
}

describe('the option table and the code\'s own tables', () => {
  it('each enumeration is the table it names', () => {
    expect(RETRIEVAL_OPTIONS.similarity.values).toEqual(similarityNames);
    expect(RETRIEVAL_OPTIONS.fusion.values).toEqual(fusionMethods);
    expect(RETRIEVAL_OPTIONS.normalization.values).toEqual(scoreNormalizations);
    expect(RETRIEVAL_OPTIONS.retriever.values).toEqual(retrieverKinds);
    expect(RERANK_OPTIONS.api.values).toEqual(rerankApiNames);
  });

  it('the config keys of the retrieval section are the table\'s, apart from the index-time denseMetric', () => {
    expect(Object.keys(RetrievalConfig.shape).filter((k) => k !== 'denseMetric').sort()).toEqual([...Object.keys(RETRIEVAL_OPTIONS), ...Object.keys(SEARCH_OPTIONS)].sort());
  });

  it('the context rule of the table is the one parseContextMode applies', async () => {
    const { parseContextMode } = await import('../../src/retrieve/context.js');
    const { specViolation } = await import('../../src/config/options.js');
    for (const v of ['chunk', 'sentence-window:0', 'sentence-window:20', 'sentence-window:21', 'parent', 'parent:16', 'parent:15', 'parent:4096', 'window:3', 'sentence-window', 'parent:', ' chunk', 'Chunk']) {
      let parses = true;
      try {
        parseContextMode(v);
      } catch {
        parses = false;
      }
      expect(specViolation(SEARCH_OPTIONS.context, v) === undefined, v).toBe(parses && v === v.trim());
    }
  });
});

describe('the config schema is the table', () => {
  for (const s of ALL_OPTIONS) {
    it(`${s.path}: default ${String(s.default)}, ${s.type}${s.values ? ` of ${s.values.join('|')}` : ''} in [${s.min ?? '-∞'}, ${s.max ?? '∞'}]`, () => {
      const v = schemaOf(s);
      expect(v.safeParse(undefined).data).toBe(s.default);
      if (s.values) expect(v.unwrap!().options).toEqual(s.values);
      for (const x of inside(s)) expect(v.safeParse(x).success, `${s.path} = ${String(x)}`).toBe(true);
      for (const x of outside(s)) expect(v.safeParse(x).success, `${s.path} = ${String(x)}`).toBe(false);
    });
  }

  it('a similarity that is not in the table is refused in openbook.config.json terms (it was any string)', () => {
    expect(() => resolveConfig({ cwd: tmpdir(), env: {}, configFile: false, flags: { retrieval: { similarity: 'bm26' as never } } })).toThrow(/retrieval\.similarity/);
  });
});

describe('the HTTP request schemas take every retrieval option under its table name, with the table\'s rule', () => {
  const shapes = { 'GET /v1/search': SearchQuery, 'POST /v1/ask': AskRequest } as const;
  const base = { 'GET /v1/search': { q: 'x' }, 'POST /v1/ask': { question: 'x' } } as const;
  for (const [name, schema] of Object.entries(shapes) as Array<[keyof typeof shapes, typeof SearchQuery | typeof AskRequest]>) {
    for (const s of ALL_OPTIONS.filter((o) => o.http !== undefined)) {
      it(`${name} ${s.http} (${s.path})`, () => {
        expect(Object.keys(schema.shape)).toContain(s.http);
        const req = (v: unknown) => schema.safeParse({ ...base[name], [s.http!]: v });
        for (const x of outside(s).filter((x) => typeof x !== 'string' || s.type === 'enum')) expect(req(x).success, `${s.http} = ${String(x)}`).toBe(false);
        // The HTTP API may narrow a range (k ≤ 1000 bounds a response) but never widen it.
        for (const x of inside(s)) {
          const r = req(x);
          if (!r.success) expect(s.type === 'int' && typeof x === 'number' && x > 1000, `${s.http} = ${String(x)} refused`).toBe(true);
        }
      });
    }
  }
});

describe('the CLI parses each flag by the table\'s rule and says it', () => {
  const cases: Array<[keyof RetrievalFlags, string, RegExp]> = [
    ['topK', '0', /^--top-k must be an integer in \[1, 10000\], got "0"$/],
    ['topK', '2.5', /^--top-k must be an integer in \[1, 10000\]/],
    ['k1', '-1', /^--k1 must be a number ≥ 0, got "-1"$/],
    ['k1', 'Infinity', /^--k1 must be a number ≥ 0/],
    ['b', '1.5', /^--b must be a number in \[0, 1\], got "1.5"$/],
    ['rrfK', '-1', /^--rrf-k must be a number ≥ 0/],
    ['alpha', '2', /^--alpha must be a number in \[0, 1\]/],
    ['similarity', 'bm26', /^--similarity must be one of bm25, bm25-robertson, bm25-atire, bm25l, bm25\+, tfidf, got "bm26"$/],
    ['fusion', 'max', /^--fusion must be one of rrf, linear, got "max"$/],
    ['retriever', 'splade', /^--retriever must be one of bm25, dense, hybrid/],
    ['normalization' as keyof RetrievalFlags, 'minmax', /^--normalization must be one of min-max, z-score, got "minmax"$/],
  ];
  for (const [key, value, message] of cases) {
    it(`${String(key)} ${value}`, () => {
      expect(() => parseRetrievalFlags({ [key]: value } as RetrievalFlags, 10)).toThrow(message);
    });
  }

  it('every table flag is parsed to the config key of the same name', () => {
    const flags = { topK: '3', similarity: 'tfidf', k1: '1.5', b: '0.5', retriever: 'hybrid', fusion: 'linear', rrfK: '10', alpha: '0.25', normalization: 'z-score' };
    expect(parseRetrievalFlags(flags as RetrievalFlags, 10)).toMatchObject({ topK: 3, similarity: 'tfidf', k1: 1.5, b: 0.5, retriever: 'hybrid', fusion: 'linear', rrfK: 10, alpha: 0.25, normalization: 'z-score' });
  });

  it('rerank flags by the table\'s rule', () => {
    expect(() => rerankOverrides({ rerankDepth: '0' })).toThrow(/^--rerank-depth must be an integer in \[1, 10000\], got "0"$/);
    expect(() => rerankOverrides({ rerankWeight: '1.5' })).toThrow(/^--rerank-weight must be a number in \[0, 1\]/);
    expect(() => rerankOverrides({ rerankApi: 'openai' })).toThrow(/^--rerank-api must be one of tei, cohere, jina, vllm, llamacpp/);
  });
});

describe('the Engine API checks by the same rule', () => {
  const bad: Array<[keyof SearchOptions, unknown]> = [
    ['topK', 0],
    ['topK', 10_001],
    ['k1', Infinity],
    ['k1', -1],
    ['b', 1.01],
    ['rrfK', Infinity],
    ['alpha', -0.1],
    ['similarity', 'bm26'],
    ['fusion', 'max'],
    ['normalization', 'minmax'],
  ];
  for (const [key, value] of bad) {
    it(`${key} = ${String(value)} is refused naming ${key}`, () => {
      expect(() => checkSearchOptions({ [key]: value } as SearchOptions)).toThrow(new RegExp(`^${key} must be`));
    });
  }
});
