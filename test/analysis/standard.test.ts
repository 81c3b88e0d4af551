import { describe, expect, it } from 'vitest';
import { StandardAnalyzer } from '../../src/analysis/standard.js';
import { analyzerContract } from './analyzer-contract.js';

describe('standard', () => {
  analyzerContract(() => new StandardAnalyzer());

  it('lower-cases and NFKC-folds, with no stop words and no stemming', () => {
    expect(new StandardAnalyzer().analyze("ＦＵＬＬ John's Dogs of the ﬁeld")).toEqual(['full', "john's", 'dogs', 'of', 'the', 'field']);
  });
});
