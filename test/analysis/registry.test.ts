import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { analyzerNames, getAnalyzer } from '../../src/analysis/registry.js';

describe('analyzer registry', () => {
  it('has the required names', () => {
    for (const n of ['english', 'cjk', 'korean', 'standard', 'auto']) expect(analyzerNames).toContain(n);
  });

  it('builds each analyzer under its own name', () => {
    for (const n of analyzerNames) expect(getAnalyzer(n).name).toBe(n);
  });

  it('rejects an unknown name with InvalidParameterError listing every valid name', () => {
    expect(() => getAnalyzer('klingon')).toThrow(InvalidParameterError);
    try {
      getAnalyzer('klingon');
    } catch (e) {
      expect((e as InvalidParameterError).code).toBe('INVALID_PARAMETER');
      expect((e as Error).message).toContain('"klingon"');
      for (const n of analyzerNames) expect((e as Error).message).toContain(n);
    }
    expect(() => getAnalyzer('toString')).toThrow(InvalidParameterError);
  });
});
