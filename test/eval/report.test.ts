import { describe, expect, it } from 'vitest';
import { formatMetric, toCsv, toMarkdown } from '../../src/eval/report.js';

describe('reports', () => {
  it('CSV starts with a UTF-8 BOM, uses CRLF and quotes per RFC 4180', () => {
    const csv = toCsv(['id', 'question', 'F1'], [['q1', '임종석이 "지명수배"된 날은, 언제?', 0.5]]);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toBe('\ufeffid,question,F1\r\nq1,"임종석이 ""지명수배""된 날은, 언제?",0.5\r\n');
    // the BOM survives as the 3 bytes EF BB BF when written as UTF-8
    expect([...Buffer.from(csv, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });
  it('Markdown tables right-align numeric columns and print 4 decimals', () => {
    expect(toMarkdown(['metric', 'value'], [['Recall@1', 0.81234], ['a|b', 1]])).toBe(
      '| metric | value |\n|---|---:|\n| Recall@1 | 0.8123 |\n| a\\|b | 1 |\n',
    );
    expect(formatMetric(0.67886)).toBe('0.6789');
  });
});
