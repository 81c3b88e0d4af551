import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { slotsOf } from '../../src/generate/prompts.js';
import type { Hit } from '../../src/core/types.js';
import { formatPassages } from '../../src/methods/cite.js';
import { methodPrompts, renderPrompt, type MethodPromptName } from '../../src/methods/prompts.js';
import { docMessages, docRawPrompt } from '../../src/methods/replug.js';

describe('method prompts rendered by the generate template mechanism', () => {
  it('fills {{slot}}s literally', () => {
    expect(renderPrompt('answer.user', { passages: '[1] (Title: P) Paris.', question: 'Capital of {{country}}?' })).toBe(
      'Passages:\n[1] (Title: P) Paris.\n\nQuestion: Capital of {{country}}?\nAnswer:',
    );
    expect(renderPrompt('sure.candidates', { k: 2, numCandidates: 2, passages: 'P', question: 'Q' })).toMatch(/^Below are 2 passages .* Give 2 short candidate answers/);
  });

  it('names the template and the slot when a value is missing', () => {
    expect(() => renderPrompt('sure.rank', { question: 'q', summary1: 's' })).toThrow(InvalidParameterError);
    expect(() => renderPrompt('sure.rank', { question: 'q', summary1: 's' })).toThrow('prompt template sure.rank: no value for slot {{summary2}}');
  });

  it('every template has only {{slot}} placeholders, and renders to text with none left', () => {
    for (const name of Object.keys(methodPrompts) as MethodPromptName[]) {
      const text = methodPrompts[name];
      expect(text, name).not.toMatch(/(^|[^{])\{\w+\}(?!\})/); // no single-brace slot of the old syntax
      const values = Object.fromEntries(slotsOf(text).map((s) => [s, `<${s}>`]));
      const out = renderPrompt(name, values);
      expect(out, name).not.toMatch(/\{\{|\}\}/);
      for (const s of slotsOf(text)) expect(out, name).toContain(`<${s}>`);
    }
    expect(slotsOf(methodPrompts['duet.referee'])).toEqual(['question', 'passages', 'closed', 'open']);
  });
});

describe('one passage format for numbered lists and single-document prompts', () => {
  const hit = (title: string, text: string): Hit => ({ rank: 1, score: 1, docId: 'd', chunkId: 'd#0', source: 'd.txt', title, text, startLine: 1, endLine: 1 });
  const paris = hit('Paris', '  Paris is the capital of France.\n');
  const untitled = hit('', 'No title here.');

  it('numbers passages as [n] (Title: t) text, without the title part when there is none', () => {
    expect(formatPassages([paris, untitled])).toBe('[1] (Title: Paris) Paris is the capital of France.\n\n[2] No title here.');
  });

  it('REPLUG puts the same passage text in its chat and raw prompts', () => {
    expect(docRawPrompt(paris, 'Capital?')).toBe('Document: (Title: Paris) Paris is the capital of France.\n\nQuestion: Capital?\nAnswer:');
    expect(docMessages(untitled, 'Q?')).toEqual([{ role: 'user', content: 'Document: No title here.\n\nQuestion: Q?\nAnswer with a few words only.' }]);
  });
});
