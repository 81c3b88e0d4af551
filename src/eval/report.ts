/**
 * Report formats shared by the eval commands: Markdown tables and CSV. CSV is UTF-8 with a
 * byte-order mark and CRLF line ends, so Excel opens Korean text correctly; fields holding a
 * comma, quote or line break are quoted (RFC 4180).
 */

export type Cell = string | number;

/** Numbers in reports: 4 decimals for fractions, as pinned in regressions. */
export function formatMetric(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

const cellText = (c: Cell) => (typeof c === 'number' ? formatMetric(c) : c);

/** A GitHub-flavoured Markdown table; `|` in cells is escaped. */
export function toMarkdown(headers: string[], rows: Cell[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const lines = [
    `| ${headers.map(esc).join(' | ')} |`,
    `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => esc(cellText(c))).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}

/** CSV text with a leading BOM (U+FEFF) and CRLF line ends. Numbers are written in full precision. */
export function toCsv(headers: string[], rows: Cell[][]): string {
  const field = (c: Cell) => {
    const s = typeof c === 'number' ? String(c) : c;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return '\ufeff' + [headers, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
