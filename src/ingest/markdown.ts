/**
 * Markdown: the text is kept exactly as written (after decoding), so chunk line numbers are
 * the file's own line numbers. What the loader adds is structure:
 *  - headings: ATX (`## Title`, up to three spaces of indent, optional closing `#`s) and setext
 *    (a text line underlined with `===` for level 1 or `---` for level 2), ignoring fenced code
 *    blocks (``` and ~~~, CommonMark §4.5), indented code and a leading YAML front-matter block;
 *    heading text loses inline markup (`**`, `_`, backticks, `[text](url)` → text);
 *  - links: inline `[text](href)`, reference `[text][ref]` / `[ref][]` / `[ref]` with their
 *    `[ref]: href` definitions, and autolinks `<https://…>`; images (`![alt](src)`) and anything
 *    inside code are not links;
 *  - title: front matter `title:`, else the first heading, else the file name.
 * Setext headings take the single line above the underline (CommonMark would take the whole
 * paragraph); a `---` under a list item, quote or blank line is a thematic break, not a heading.
 */
import { InputFormatError } from '../core/errors.js';
import type { Document, Heading, Link } from '../core/types.js';
import { frontMatterMeta, mergeMeta } from './metadata.js';
import { decodeText } from './encoding.js';
import { encodingMeta } from './properties.js';
import { collapseWhitespace } from './html-text.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';

export interface MarkdownStructure {
  headings: Heading[];
  links: Link[];
  /** `title:` from YAML front matter, if any. */
  frontMatterTitle?: string;
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const NOT_PARAGRAPH = /^ {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|#{1,6}(?:[ \t]|$)|```|~~~)|^(?: {4}|\t)/;
const REF_DEF = /^ {0,3}\[([^\]]+)\]:[ \t]*<?([^\s>]+)>?/;

/** Remove inline markup from a heading or link text. */
export function stripInlineMarkdown(s: string): string {
  return collapseWhitespace(
    s
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/!?\[([^\]]*)\]\[[^\]]*\]/g, '$1')
      .replace(/`+([^`]*)`+/g, '$1')
      .replace(/(\*\*|\*|~~)(?=\S)([^]*?\S)\1/g, '$2')
      // underscores emphasise only at word edges: snake_case_name stays as written (CommonMark §6.2)
      .replace(/(?<![\p{L}\p{N}])(__|_)(?=\S)([^]*?\S)\1(?![\p{L}\p{N}])/gu, '$2')
      .replace(/<[^>]+>/g, ''),
  );
}

const normRef = (s: string) => collapseWhitespace(s).toLowerCase();

/** Headings, links and front-matter title of Markdown `text` (offsets into `text`). */
export function parseMarkdownStructure(text: string): MarkdownStructure {
  const headings: Heading[] = [];
  const lines: { start: number; text: string; code: boolean }[] = [];
  let frontMatterTitle: string | undefined;

  // Split into lines with offsets.
  for (let start = 0; start <= text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    lines.push({ start, text: text.slice(start, end), code: false });
    if (nl === -1) break;
    start = nl + 1;
  }

  let i = 0;
  // YAML front matter: "---" on line 1, closed by "---" or "...".
  if (lines.length > 1 && /^---[ \t]*$/.test(lines[0].text)) {
    for (let k = 1; k < lines.length; k++) {
      if (/^(---|\.\.\.)[ \t]*$/.test(lines[k].text)) {
        for (let m = 0; m <= k; m++) lines[m].code = true;
        for (let m = 1; m < k; m++) {
          const t = /^title:[ \t]*(.*?)[ \t]*$/.exec(lines[m].text);
          if (t && t[1] !== '') frontMatterTitle = t[1].replace(/^(["'])(.*)\1$/, '$2');
        }
        i = k + 1;
        break;
      }
    }
  }

  let fence: { char: string; len: number } | null = null;
  let prevParagraph = false; // is the previous line a paragraph line (a setext candidate)?
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (fence) {
      line.code = true;
      const f = FENCE.exec(line.text);
      if (f && f[1][0] === fence.char && f[1].length >= fence.len && f[2].trim() === '') fence = null;
      prevParagraph = false;
      continue;
    }
    const f = FENCE.exec(line.text);
    if (f && !(f[1][0] === '`' && f[2].includes('`'))) {
      fence = { char: f[1][0], len: f[1].length };
      line.code = true;
      prevParagraph = false;
      continue;
    }
    const atx = ATX.exec(line.text);
    if (atx) {
      const textOf = stripInlineMarkdown(atx[2] ?? '');
      if (textOf !== '') headings.push({ level: atx[1].length, text: textOf, start: line.start });
      prevParagraph = false;
      continue;
    }
    const setext = SETEXT.exec(line.text);
    if (setext && prevParagraph) {
      const above = lines[i - 1];
      const textOf = stripInlineMarkdown(above.text);
      if (textOf !== '') {
        headings.push({ level: setext[1][0] === '=' ? 1 : 2, text: textOf, start: above.start + leadingSpaces(above.text) });
      }
      prevParagraph = false;
      continue;
    }
    if (/^(?: {4}|\t)/.test(line.text) && !prevParagraph) {
      line.code = true; // indented code block
      continue;
    }
    prevParagraph = line.text.trim() !== '' && !NOT_PARAGRAPH.test(line.text) && !REF_DEF.test(line.text);
  }

  return { headings, links: findLinks(lines), frontMatterTitle };
}

function leadingSpaces(s: string): number {
  let k = 0;
  while (s[k] === ' ') k++;
  return k;
}

function findLinks(lines: { text: string; code: boolean }[]): Link[] {
  const defs = new Map<string, string>();
  const prose: string[] = [];
  for (const line of lines) {
    if (line.code) continue;
    const d = REF_DEF.exec(line.text);
    if (d) {
      const key = normRef(d[1]);
      if (!defs.has(key)) defs.set(key, d[2]);
      continue;
    }
    // Inline code spans are not prose.
    prose.push(line.text.replace(/(`+)[^`]*?\1/g, ' '));
  }
  const links: Link[] = [];
  // Paragraph text joined so a link may wrap across a line break.
  const body = prose.join('\n');
  const pattern =
    /(!?)\[((?:[^[\]]|\[[^\]]*\])*)\](?:\(\s*<?([^()\s>]*(?:\([^()\s]*\)[^()\s>]*)*)>?(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)|\[([^\]]*)\])?|<((?:https?|ftp|mailto):[^\s<>]+)>/g;
  for (let m = pattern.exec(body); m !== null; m = pattern.exec(body)) {
    if (m[5] !== undefined) {
      links.push({ href: m[5], text: m[5] });
      continue;
    }
    if (m[1] === '!') continue; // an image
    const label = m[2];
    let href: string | undefined;
    if (m[3] !== undefined) href = m[3];
    else if (m[4] !== undefined) href = defs.get(normRef(m[4] === '' ? label : m[4]));
    else href = defs.get(normRef(label));
    if (href === undefined || href === '') continue;
    links.push({ href, text: stripInlineMarkdown(label) });
  }
  return links;
}

/**
 * Load a Markdown file: text as written (decoded, NFC, LF), headings, links, title, the field
 * `encoding` (properties.ts) and the YAML front matter as metadata (`frontMatterMeta`; front matter that is not valid YAML is a note
 * through `opts.onNote`, else `opts.onWarning`, and the file is indexed without those fields).
 * @throws InputFormatError for binary or undecodable bytes ("<relPath>: …")
 */
export function loadMarkdown(bytes: Uint8Array, info: SourceInfo, opts: Pick<LoadOptions, 'onWarning' | 'onNote' | 'encoding'> = {}): Document {
  const { text, encoding } = decodeText(bytes, info.relPath, { ...(opts.encoding ? { encoding: opts.encoding } : {}) });
  const { headings, links, frontMatterTitle } = parseMarkdownStructure(text);
  let meta: Record<string, string | number | boolean | string[]> = encodingMeta(encoding);
  try {
    meta = mergeMeta(meta, frontMatterMeta(text, info.relPath)) ?? {};
  } catch (err) {
    // The text is still indexed; only its front-matter fields are lost, and the user is told where.
    if (!(err instanceof InputFormatError)) throw err;
    (opts.onNote ?? opts.onWarning)?.(`${err.message}; indexed without its front-matter fields`);
  }
  const doc: Document = {
    ...fileFields(bytes, info),
    title: frontMatterTitle ?? headings[0]?.text ?? fileName(info.relPath),
    text,
    headings,
    links,
  };
  if (Object.keys(meta).length > 0) doc.meta = meta;
  return doc;
}
