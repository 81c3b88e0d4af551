/**
 * Issue 13 item 2: every command's `--help` has an example, prints defaults one way
 * (`(default: X)`), and the retrieval flags of search, ask and eval are the option table's
 * (`config/options.ts`): one name per concept (`-k, --top-k` everywhere), the table's default and
 * config key in the help line. Real processes, as a user runs them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RERANK_OPTIONS, RETRIEVAL_OPTIONS, type OptionSpec } from '../../src/config/options.js';
import { runCli } from '../support/cli.js';

const COMMANDS = [
  'index', 'search', 'ask', 'status', 'config', 'doctor',
  'eval', 'eval retrieval', 'eval qa', 'eval context', 'eval lm',
  'regress', 'serve', 'graph', 'train-data', 'knnlm', 'knnlm build',
  'store', 'store init', 'store status', 'store migrate',
];

let dir: string;
const help = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'openbook-help-'));
  // Two at a time: the machine has two cores.
  for (let i = 0; i < COMMANDS.length; i += 2) {
    const batch = COMMANDS.slice(i, i + 2);
    const results = await Promise.all(batch.map((c) => runCli(dir, [...c.split(' '), '--help'])));
    batch.forEach((c, j) => {
      expect(results[j].code, `${c} --help: ${results[j].stderr}`).toBe(0);
      help.set(c, results[j].stdout);
    });
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The help line of a flag (its description may wrap onto following indented lines). */
function optionLine(text: string, flag: string): string | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^\\s+(-\\w, )?${flag.replace(/[+]/g, '\\+')}\\b`).test(l));
  if (i < 0) return undefined;
  let out = lines[i];
  for (let j = i + 1; j < lines.length && /^\s{10,}\S/.test(lines[j]) && !/^\s+-/.test(lines[j]); j++) out += ' ' + lines[j].trim();
  return out.replace(/\s+/g, ' ');
}

describe('every command\'s --help', () => {
  for (const c of COMMANDS) {
    it(`${c}: an example, and every default printed as "(default: X)"`, () => {
      const text = help.get(c)!;
      expect(text).toMatch(new RegExp(`\\nExamples?:\\n  \\$ openbook ${c.replace(/[-]/g, '\\-')}\\b`));
      const flat = text.replace(/\s+/g, ' ');
      // one form: "(default: X…)"; no "(default)" after a choice, no "default 0.9", no JSON-quoted default
      expect(flat).not.toMatch(/\bdefault\b(?!: )/i);
      expect(flat).not.toMatch(/default: "/);
      expect(flat).not.toMatch(/[^(]default: /);
    });
  }
});

describe('the retrieval flags are the option table\'s', () => {
  const commands: Record<string, { topK: number }> = { search: { topK: 10 }, ask: { topK: 5 }, 'eval retrieval': { topK: 1000 }, 'eval qa': { topK: 5 } };
  for (const [c, o] of Object.entries(commands)) {
    it(`${c}: -k, --top-k and each table flag with its default and config key`, () => {
      const text = help.get(c)!;
      expect(optionLine(text, '--top-k')).toMatch(new RegExp(`^\\s*-k, --top-k <n> .*\\(default: ${o.topK}\\b`));
      for (const s of Object.values(RETRIEVAL_OPTIONS) as OptionSpec[]) {
        if (s.path === 'retrieval.topK') continue;
        const line = optionLine(text, s.flag);
        expect(line, `${c} ${s.flag}`).toBeDefined();
        expect(line).toContain(`(default: ${String(s.default)}; config ${s.path})`);
        if (s.values) expect(line).toContain(s.values.join(', '));
      }
      for (const s of Object.values(RERANK_OPTIONS)) expect(optionLine(text, s.flag), `${c} ${s.flag}`).toContain(`(default: ${String(s.default)}; config ${s.path})`);
    });
  }

  it('graph counts with -k, --top-k too', () => {
    expect(optionLine(help.get('graph')!, '--top-k')).toMatch(/^\s*-k, --top-k <n> .*\(default: 20\)/);
  });

  for (const c of ['eval retrieval', 'eval qa', 'eval context', 'index']) {
    it(`${c}: --analyzer defaults to auto`, () => {
      expect(optionLine(help.get(c)!, '--analyzer')).toMatch(/\(default: auto\b/);
    });
  }
});
