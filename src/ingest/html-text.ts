/**
 * DOM → plain text with headings and links, shared by the HTML and DOCX loaders.
 *
 * Layout rules: block elements (p, h1–h6, ul, ol, table, blockquote, pre, section, article …)
 * are separated by a blank line; div, li, tr, dt, dd, figcaption and `<br>` by a single newline;
 * table cells by a space. Runs of whitespace inside text collapse to one space, except inside
 * `<pre>`. script, style, noscript, template, svg, iframe, form controls and `<head>` contribute
 * nothing. Each emitted piece is NFC-normalised, so heading offsets point into the final text.
 */

/** The subset of the DOM `Node` interface used here (linkedom and browsers both provide it). */
export interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

export interface ExtractedText {
  text: string;
  headings: { level: number; text: string; start: number }[];
  links: { href: string; text: string }[];
  /** Paragraph-like blocks (p, h1–h6, li; outermost only) with text, in order: offsets in `text`. */
  blocks: { start: number; end: number }[];
}

const BLOCK_UNIT = new Set(['P', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'LI']);

const SKIP = new Set([
  'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'SVG', 'CANVAS', 'IFRAME', 'OBJECT', 'EMBED', 'HEAD',
  'SELECT', 'TEXTAREA', 'INPUT', 'BUTTON', 'OPTION', 'MATH',
]);
const PARAGRAPH = new Set([
  'P', 'UL', 'OL', 'DL', 'TABLE', 'BLOCKQUOTE', 'PRE', 'SECTION', 'ARTICLE', 'HEADER', 'FOOTER',
  'MAIN', 'ASIDE', 'NAV', 'FIGURE', 'ADDRESS', 'DETAILS', 'FIELDSET', 'FORM', 'HR',
  'H1', 'H2', 'H3', 'H4', 'H5', 'H6',
]);
const LINE = new Set(['DIV', 'LI', 'TR', 'DT', 'DD', 'FIGCAPTION', 'SUMMARY', 'CAPTION', 'BR']);
const CELL = new Set(['TD', 'TH']);

/**
 * Told of every text node as it is laid out: `raw` is the node's text (NFC, not collapsed) and
 * `outStart` the offset in the output where `raw`'s first non-whitespace character went; `pre`
 * when whitespace was kept (`<pre>`), else runs of whitespace became one space. html.ts uses it to
 * map output offsets back to lines of the source file.
 */
export type TextObserver = (raw: string, outStart: number, pre: boolean) => void;

/** Collapse whitespace runs to one space and trim. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Extract text, headings (level, text, offset of the heading's first character) and links
 * (`<a href>` except fragment-only and `javascript:` targets; href as written) from `root`.
 */
export function extractText(root: DomNode, onText?: TextObserver): ExtractedText {
  let out = '';
  let pendingBreak = 0; // newlines owed before the next text: 0, 1 or 2
  let pendingSpace = false;
  const headings: ExtractedText['headings'] = [];
  const links: ExtractedText['links'] = [];
  let openHeading: { level: number; text: string; start: number } | null = null;
  const blocks: { start: number; end: number }[] = [];
  let openBlock: { start: number; end: number } | null = null;

  const flush = () => {
    if (out.length > 0) {
      if (pendingBreak > 0) out += pendingBreak === 1 ? '\n' : '\n\n';
      else if (pendingSpace) out += ' ';
    }
    pendingBreak = 0;
    pendingSpace = false;
    if (openHeading && openHeading.start === -1) openHeading.start = out.length;
    if (openBlock && openBlock.start === -1) openBlock.start = out.length;
  };
  const block = (n: number) => {
    if (n > pendingBreak) pendingBreak = n;
  };
  const emit = (raw: string) => {
    const s = raw.normalize('NFC');
    const collapsed = s.replace(/\s+/g, ' ');
    if (collapsed === ' ' || collapsed === '') {
      if (collapsed === ' ') pendingSpace = true;
      return;
    }
    const lead = collapsed.startsWith(' ');
    const trail = collapsed.endsWith(' ');
    if (lead) pendingSpace = true;
    flush();
    onText?.(s, out.length, false);
    out += collapsed.slice(lead ? 1 : 0, trail ? -1 : undefined);
    if (trail) pendingSpace = true;
  };
  const emitPre = (raw: string) => {
    const s = raw.normalize('NFC').replace(/\r\n?/g, '\n').replace(/^\n+|\s+$/g, '');
    if (s.trim() === '') return;
    flush();
    onText?.(s, out.length, true);
    out += s;
  };

  const walk = (node: DomNode, inPre: boolean): void => {
    if (node.nodeType === 3) {
      if (inPre) emitPre(node.textContent ?? '');
      else emit(node.textContent ?? '');
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) return;
    const name = node.nodeName.toUpperCase();
    if (SKIP.has(name)) return;
    if (name === 'BR') {
      block(1);
      return;
    }
    const isPara = PARAGRAPH.has(name);
    const isLine = LINE.has(name);
    if (isPara) block(2);
    else if (isLine) block(1);
    else if (CELL.has(name)) pendingSpace = true;

    const unit = BLOCK_UNIT.has(name) && openBlock === null ? { start: -1, end: -1 } : null;
    if (unit) openBlock = unit;
    let heading: { level: number; text: string; start: number } | null = null;
    if (name.length === 2 && name[0] === 'H' && name[1] >= '1' && name[1] <= '6') {
      const text = collapseWhitespace((node.textContent ?? '').normalize('NFC'));
      if (text !== '') {
        const attr = node.getAttribute?.('data-openbook-level');
        const level = attr ? Number(attr) : Number(name[1]);
        heading = { level, text, start: -1 };
        openHeading = heading;
      }
    }
    if (name === 'A') {
      const href = node.getAttribute?.('href')?.trim();
      if (href && !href.startsWith('#') && !/^javascript:/i.test(href)) {
        links.push({ href, text: collapseWhitespace((node.textContent ?? '').normalize('NFC')) });
      }
    }
    if (name === 'PRE' && !inPre) {
      emitPre(node.textContent ?? '');
    } else {
      const kids = node.childNodes;
      for (let i = 0; i < kids.length; i++) walk(kids[i], inPre);
    }
    if (heading) {
      if (heading.start !== -1) headings.push(heading);
      openHeading = null;
    }
    if (unit) {
      if (unit.start !== -1) blocks.push({ start: unit.start, end: out.length });
      openBlock = null;
    }
    if (isPara) block(2);
    else if (isLine) block(1);
    else if (CELL.has(name)) pendingSpace = true;
  };

  walk(root, false);
  return { text: out, headings, links, blocks };
}
