import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, matchesFilter, parseFilter } from '../../src/core/filter.js';

describe('filter language', () => {
  const doc = { format: 'pdf', mtime: Date.parse('2024-03-01T00:00:00Z'), tags: ['보안', 'hr'], path: 'contracts/2024/a.pdf' };
  it('parses AND/OR/NOT, ranges, IN, CONTAINS, GLOB and evaluates them', () => {
    expect(matchesFilter(parseFilter('format = "pdf" AND mtime >= 2024-01-01 AND tags CONTAINS "보안"'), doc)).toBe(true);
    expect(matchesFilter(parseFilter('format IN ["docx", "md"] OR NOT path GLOB "contracts/**"'), doc)).toBe(false);
    expect(matchesFilter(parseFilter('mtime < 2024-03-01'), doc)).toBe(false);
    expect(matchesFilter(parseFilter('missing = 1'), doc)).toBe(false);
  });
  it('names the column of the mistake', () => {
    expect(() => parseFilter('format = ')).toThrow(FilterSyntaxError);
    expect(() => parseFilter('format = ')).toThrow(/column 10/);
    expect(() => parseFilter('format ~ "x"')).toThrow(/column 8/);
  });
});
