/**
 * The answer prompts, as named templates in one table. Users override any of them by name in
 * the config's `prompts` section (`{"prompts": {"answer-with-citations.system": "…"}}`).
 *
 * Syntax: `{{slot}}` is replaced by the slot's value; `{{{{` is not special. A slot with no
 * value is an error naming the template and the slot (never a silent empty string), and an
 * override may only use the slots its template documents, so a typo fails at load time.
 */
import { InvalidParameterError } from '../core/errors.js';

export interface TemplateSpec {
  /** What the template is for. */
  description: string;
  /** Slots it may use. */
  slots: readonly string[];
  text: string;
}

/** The built-in templates, by name. */
export const DEFAULT_TEMPLATES = {
  'answer-with-citations.system': {
    description: 'System message of an LLM answer grounded in numbered passages.',
    slots: ['language'],
    text:
      'You answer questions using only the numbered passages you are given. ' +
      'Cite the passage that supports each statement with its number in square brackets, like [1] or [2][3], right after the statement. ' +
      'Cite only passage numbers that appear in the list. ' +
      'If the passages do not contain the answer, say that they do not, and cite nothing. ' +
      'Write the answer in {{language}}. Be concise: one short paragraph.',
  },
  'answer-with-citations.user': {
    description: 'User message: the numbered passages, then the question.',
    slots: ['passages', 'question', 'language'],
    text: 'Passages:\n\n{{passages}}\n\nQuestion: {{question}}\n\nAnswer in {{language}}, citing passages as [n]:',
  },
  passage: {
    description: 'One numbered passage inside {{passages}}.',
    slots: ['n', 'title', 'source', 'text'],
    text: '[{{n}}] {{title}} ({{source}})\n{{text}}',
  },
} as const satisfies Record<string, TemplateSpec>;

export type TemplateName = keyof typeof DEFAULT_TEMPLATES;

/** Names of all built-in templates (derived from the table, for error messages and docs). */
export const TEMPLATE_NAMES = Object.keys(DEFAULT_TEMPLATES) as TemplateName[];

/** The templates in effect: built-ins with overrides applied and checked. */
export type TemplateSet = Record<TemplateName, string>;

/**
 * Applies config overrides to the built-in templates.
 * @param overrides template name → text (the config's `prompts` section)
 * @throws InvalidParameterError for an unknown template name or a slot the template does not offer
 */
export function loadTemplates(overrides: Record<string, string> = {}): TemplateSet {
  const out = Object.fromEntries(TEMPLATE_NAMES.map((n) => [n, DEFAULT_TEMPLATES[n].text])) as TemplateSet;
  for (const [name, text] of Object.entries(overrides)) {
    if (!(name in DEFAULT_TEMPLATES)) {
      throw new InvalidParameterError(`prompts.${name}: no such template; known templates: ${TEMPLATE_NAMES.join(', ')}`);
    }
    const spec = DEFAULT_TEMPLATES[name as TemplateName];
    for (const slot of slotsOf(text)) {
      if (!(spec.slots as readonly string[]).includes(slot)) {
        throw new InvalidParameterError(`prompts.${name}: unknown slot {{${slot}}}; this template offers ${spec.slots.map((s) => `{{${s}}}`).join(', ')}`);
      }
    }
    out[name as TemplateName] = text;
  }
  return out;
}

/** The `{{slot}}` names used in a template, in order, without repeats. */
export function slotsOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{\s*([A-Za-z][\w-]*)\s*\}\}/g)].map((m) => m[1]))];
}

/**
 * Fills `{{slot}}`s. Values are inserted literally (a value containing `{{x}}` is not expanded).
 * @throws InvalidParameterError naming the template and slot when a used slot has no value
 */
export function renderTemplate(name: string, text: string, values: Record<string, string | number>): string {
  return text.replace(/\{\{\s*([A-Za-z][\w-]*)\s*\}\}/g, (_m, slot: string) => {
    const v = values[slot];
    if (v === undefined) throw new InvalidParameterError(`prompt template ${name}: no value for slot {{${slot}}}`);
    return String(v);
  });
}

/**
 * The language to ask the model to answer in, from the question's script: Hangul → "Korean",
 * kana → "Japanese", Han without kana → "Chinese", otherwise "the language of the question"
 * (the model is left to match Latin-script languages itself). Counts letters only.
 */
export function answerLanguage(question: string): string {
  let hangul = 0;
  let kana = 0;
  let han = 0;
  let letters = 0;
  for (const ch of question) {
    if (!/\p{L}/u.test(ch)) continue;
    letters++;
    if (/\p{Script=Hangul}/u.test(ch)) hangul++;
    else if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) kana++;
    else if (/\p{Script=Han}/u.test(ch)) han++;
  }
  if (letters === 0) return 'the language of the question';
  if (hangul / letters >= 0.3) return 'Korean';
  if (kana > 0 && (kana + han) / letters >= 0.3) return 'Japanese';
  if (han / letters >= 0.3) return 'Chinese';
  return 'the language of the question';
}
