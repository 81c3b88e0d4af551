/**
 * HTML: the main content as plain text, with headings and links.
 *
 * The page is parsed with linkedom; the main content is picked by Mozilla Readability (the
 * Firefox Reader View algorithm), which drops navigation, banners, footers and other
 * boilerplate. When Readability finds nothing (or `readability: false`), the whole `<body>` is
 * used instead. Text layout follows html-text.ts. Heading levels are those of the source page
 * (Readability renames `<h1>` to `<h2>`; the original level is carried through).
 *
 * Title: `<title>`, else the first `<h1>`, else the file name.
 *
 * Lines: `Document.text` is the extracted text, not the markup, but citations give lines of the
 * .html file. While the page is laid out, each text node is matched to the text run of the source
 * it came from (the source is tokenised once more with htmlparser2, the tokenizer linkedom
 * parses with, so its runs are the DOM's text nodes; Readability keeps text nodes' contents, so
 * its output is matched by content, in document order, through an index of run texts), and
 * `Document.sourceLines` records at which output offsets the file line changes. A text node
 * that matches no run (text Readability rewrote) keeps the line before it.
 */
import { createRequire } from 'node:module';
import { InputFormatError } from '../core/errors.js';
import type { Document, LineAnchor } from '../core/types.js';
import { decodeText } from './encoding.js';
import { encodingMeta } from './properties.js';
import { collapseWhitespace, extractText, type DomNode, type ExtractedText, type TextObserver } from './html-text.js';
import { fileFields, fileName, type LoadOptions, type SourceInfo } from './source.js';

// Parsers load on first use: linkedom and mammoth take ~0.3–0.4 s to import (htmlparser2 ~40 ms), which every
// command would otherwise pay at start-up, even those that never read HTML or DOCX.
const require = createRequire(import.meta.url);
const parseHTML: typeof import('linkedom').parseHTML = (...args) => (require('linkedom') as typeof import('linkedom')).parseHTML(...args);
const htmlparser2 = () => require('htmlparser2') as typeof import('htmlparser2');
const readability = () => (require('@mozilla/readability') as typeof import('@mozilla/readability')).Readability;

/**
 * Source text runs of `html` (text between two tags, entities decoded) with their offsets, and a
 * `TextObserver` that turns the extractor's text nodes into `LineAnchor`s (see the module comment).
 */
export function sourceLineMapper(html: string): { observe: TextObserver; anchors: LineAnchor[]; reset(): void } {
  // The tokenizer reports text between two tags in pieces (an entity is a piece of its own), and
  // linkedom makes a text node of each piece: index every piece, and each whole run of pieces
  // (for DOMs that join them), in source order.
  const groups: { start: number; text: string }[][] = [];
  let open = false;
  const parser = new (htmlparser2().Parser)(
    {
      ontext(data) {
        const piece = { start: parser.startIndex, text: data };
        if (open) groups[groups.length - 1].push(piece);
        else groups.push([piece]);
        open = true;
      },
      onopentag: () => void (open = false),
      onclosetag: () => void (open = false),
      oncomment: () => void (open = false),
      onprocessinginstruction: () => void (open = false),
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  const runs: { start: number; text: string }[] = [];
  for (const g of groups) {
    if (g.length > 1) runs.push({ start: g[0].start, text: g.map((p) => p.text).join('') });
    runs.push(...g);
  }
  const newlines: number[] = [];
  for (let k = html.indexOf('\n'); k !== -1; k = html.indexOf('\n', k + 1)) newlines.push(k);
  const lineOf = (at: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newlines[mid] < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const key = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();
  const byText = new Map<string, number[]>();
  runs.forEach((r, i) => {
    const k = key(r.text);
    if (k === '') return;
    const list = byText.get(k);
    if (list) list.push(i);
    else byText.set(k, [i]);
  });
  const anchors: LineAnchor[] = [];
  let cursor = 0;
  const push = (start: number, line: number) => {
    const last = anchors[anchors.length - 1];
    if (last && last.line === line) return;
    if (last && last.start === start) last.line = line;
    else anchors.push({ start, line });
  };
  const observe: TextObserver = (raw, outStart, pre) => {
    const list = byText.get(key(raw));
    if (!list) return;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid] < cursor) lo = mid + 1;
      else hi = mid;
    }
    const ri = lo < list.length ? list[lo] : list[list.length - 1];
    if (lo < list.length) cursor = ri + 1;
    const run = runs[ri];
    const lead = run.text.length - run.text.trimStart().length;
    let line = lineOf(run.start + lead);
    // Walk the output the way the extractor laid it out: collapsed whitespace is one character.
    const body = pre ? raw : raw.trim();
    let out = outStart;
    let k = 0;
    if (pre) {
      const first = body.search(/\S/);
      for (; k < first; k++) if (body[k] === '\n') line++;
      out += first;
    }
    push(out, line);
    while (k < body.length) {
      const ch = body[k];
      if (/\s/.test(ch)) {
        let nl = 0;
        let j = k;
        while (j < body.length && /\s/.test(body[j])) {
          if (body[j] === '\n') nl++;
          j++;
        }
        if (pre) out += j - k;
        else out += 1;
        k = j;
        if (nl > 0) {
          line += nl;
          push(out, line);
        }
      } else {
        out++;
        k++;
      }
    }
  };
  return { observe, anchors, reset: () => void ((anchors.length = 0), (cursor = 0)) };
}

/** Deepest element nesting for which Readability picks the main content (deeper: the whole body). */
export const MAX_READABILITY_DEPTH = 200;

interface DepthNode {
  firstElementChild: DepthNode | null;
  nextElementSibling: DepthNode | null;
  parentElement: DepthNode | null;
}

/** Element nesting depth below `root` (iterative, no recursion), counting stops past `limit`. */
function domDepth(root: DepthNode | null, limit: number): number {
  if (!root) return 0;
  let max = 0;
  let depth = 0;
  let node: DepthNode | null = root;
  while (node) {
    if (depth > max) max = depth;
    if (max > limit) return max;
    if (node.firstElementChild) {
      node = node.firstElementChild;
      depth++;
      continue;
    }
    while (node && node !== root && !node.nextElementSibling) {
      node = node.parentElement;
      depth--;
    }
    if (!node || node === root) break;
    node = node.nextElementSibling;
  }
  return max;
}

/** Extract title, text, headings and links from an HTML string (see the module comment). */
export function htmlToDocumentParts(
  html: string,
  opts: { readability?: boolean; sourceLines?: boolean } = {},
): ExtractedText & { title: string | undefined; sourceLines?: LineAnchor[] } {
  const mapper = opts.sourceLines ? sourceLineMapper(html) : undefined;
  const { document } = parseHTML(html);
  const titleEl = document.querySelector('head > title') ?? document.querySelector('title');
  const h1 = document.querySelector('h1');
  const title =
    collapseWhitespace((titleEl?.textContent ?? '').normalize('NFC')) ||
    collapseWhitespace((h1?.textContent ?? '').normalize('NFC')) ||
    undefined;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    h.setAttribute('data-openbook-level', h.tagName.slice(1));
  }
  // Readability's scoring walks ancestors and re-scans subtrees: its cost grows roughly with the
  // cube of the nesting depth (1,000 levels: ~18 s). Real pages nest a few dozen levels; past
  // MAX_READABILITY_DEPTH the whole body is used instead.
  if (opts.readability !== false && domDepth(document.documentElement as unknown as DepthNode, MAX_READABILITY_DEPTH) <= MAX_READABILITY_DEPTH) {
    // Readability mutates the document it is given: hand it a copy.
    const { document: copy } = parseHTML(document.toString());
    const article = new (readability())(copy as never).parse();
    if (article?.content) {
      const { document: main } = parseHTML(`<!doctype html><html><body>${article.content}</body></html>`);
      const parts = extractText(main.body as unknown as DomNode, mapper?.observe);
      if (parts.text.trim() !== '') return { ...parts, title, ...(mapper ? { sourceLines: mapper.anchors } : {}) };
      mapper?.reset();
    }
  }
  const body = (document.body ?? document.documentElement) as unknown as DomNode | null;
  const parts = body ? extractText(body, mapper?.observe) : { text: '', headings: [], links: [], blocks: [] };
  return { ...parts, title, ...(mapper ? { sourceLines: mapper.anchors } : {}) };
}

/**
 * Load an .html/.htm file (UTF-8 or UTF-16; other charsets are rejected by decodeText).
 * @throws InputFormatError for undecodable bytes ("<relPath>: …") and for a page nested too deep
 *   for the parser's stack ("<relPath>: too deeply nested to read …")
 */
export function loadHtml(bytes: Uint8Array, info: SourceInfo, opts: LoadOptions = {}): Document {
  const { text: html, encoding } = decodeText(bytes, info.relPath, { ...(opts.encoding ? { encoding: opts.encoding } : {}) });
  let parts: ReturnType<typeof htmlToDocumentParts>;
  try {
    parts = htmlToDocumentParts(html, { readability: opts.readability, sourceLines: true });
  } catch (err) {
    // The DOM library and the layout recurse per level: a page nested thousands deep exhausts the stack.
    if (err instanceof RangeError && /call stack/i.test(err.message)) throw new InputFormatError(`${info.relPath}: too deeply nested to read (the parser ran out of stack)`, { cause: err });
    throw err;
  }
  return {
    ...fileFields(bytes, info),
    title: parts.title ?? fileName(info.relPath),
    text: parts.text,
    headings: parts.headings,
    links: parts.links,
    ...(parts.sourceLines && parts.sourceLines.length > 0 ? { sourceLines: parts.sourceLines } : {}),
    meta: encodingMeta(encoding),
  };
}
