// openbook web page: ask with a streamed answer, search with highlighted passages, citations that open the source passage,
// the method's trace, uploads with progress, and the documents list. No framework, no build.
// Everything the server sends is put into the page as text nodes, never as HTML.

const $ = (id) => document.getElementById(id);
const settings = {
  get k() { return Number($('set-k').value) || 5; },
  get retriever() { return $('set-retriever').value || 'bm25'; },
  get method() { return $('set-method').value || undefined; },
  get key() { return sessionStorage.getItem('openbook.apiKey') || ''; },
};

/** Calls the API; throws an Error carrying the server's {error: {code, message}}. */
async function api(path, init = {}) {
  const headers = new Headers(init.headers || {});
  // Tells the server this request comes from its own page: other pages cannot add it without a CORS preflight.
  headers.set('X-Openbook-Request', '1');
  if (settings.key) headers.set('Authorization', `Bearer ${settings.key}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let message = res.statusText;
    try {
      const body = await res.json();
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch { /* not JSON */ }
    const err = new Error(message);
    err.code = code;
    err.status = res.status;
    throw err;
  }
  return res;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function showError(id, err) {
  const p = $(id);
  if (!err) { p.hidden = true; return; }
  p.textContent = err.code === 'UNAUTHORIZED' ? `${err.message} — enter the API key in Settings.` : err.message;
  p.hidden = false;
}

/** "path:12-14, p. 3"; for sources without file lines the locator: "deck.pptx slide 2", "book.xlsx Prices!4:6". */
function location(c) {
  if (c.locator) return `${c.source} ${c.locator.label}`;
  const lines = c.startLine === c.endLine ? `${c.startLine}` : `${c.startLine}-${c.endLine}`;
  return `${c.source}:${lines}${c.page !== undefined ? `, p. ${c.page}` : ''}`;
}

/**
 * The language of a piece of content, for its `lang` attribute: Korean when it holds Hangul,
 * Japanese for kana, Chinese for other Han text, else English (the UI's language). Korean text
 * gets `word-break: keep-all` from the stylesheet through `:lang(ko)`.
 */
function langOf(text) {
  if (/[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]/.test(text)) return 'ko';
  if (/[\u3040-\u30ff]/.test(text)) return 'ja';
  if (/[\u4e00-\u9fff]/.test(text)) return 'zh';
  return 'en';
}

/** A path as text with a line-break opportunity after each "/", so a long path wraps between its folders, never inside a name. */
function pathNodes(p) {
  const out = [];
  for (const part of p.split(/(?<=\/)/)) {
    if (out.length) out.push(el('wbr'));
    out.push(document.createTextNode(part));
  }
  return out;
}

// ---- views, settings drawer ---------------------------------------------------------------
function showView(name) {
  for (const tab of document.querySelectorAll('.tab')) {
    if (tab.dataset.view === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  $('view-ask').hidden = name !== 'ask';
  $('view-search').hidden = name !== 'search';
  $('view-docs').hidden = name !== 'docs';
  $('viewer').hidden = true;
  if (name === 'docs') loadDocuments();
  if (name === 'search') $('search-q').focus();
}

function toggleSettings(open) {
  $('settings').hidden = !open;
  $('settings-open').setAttribute('aria-expanded', String(open));
  if (open) $('set-k').focus();
  else $('settings-open').focus();
}

async function loadStatus() {
  try {
    const s = await (await api('/v1/status')).json();
    const methodSel = $('set-method');
    methodSel.replaceChildren(...s.methods.map((m) => el('option', { value: m.name, text: m.name })));
    const describe = () => { $('method-desc').textContent = s.methods.find((m) => m.name === methodSel.value)?.description ?? ''; };
    methodSel.onchange = describe;
    describe();
    $('set-retriever').replaceChildren(...['bm25', 'dense', 'hybrid'].map((r) => {
      const o = el('option', { value: r, text: s.retrievers.includes(r) ? r : `${r} (needs an embedding model)` });
      if (!s.retrievers.includes(r)) o.disabled = true;
      return o;
    }));
    $('index-line').textContent = s.index
      ? `${s.index.numDocuments.toLocaleString()} documents, ${s.index.numChunks.toLocaleString()} passages · analyzer ${s.index.analyzer} · commit ${s.index.generation}`
      : 'The index is empty: add documents on the Documents tab.';
    renderExamples(s.examples ?? []);
    showError('ask-error', null);
  } catch (err) {
    showError('ask-error', err);
  }
}

/** Example questions from the index on the empty ask page; one click asks it. */
function renderExamples(examples) {
  const box = $('examples');
  const label = box.firstElementChild;
  box.replaceChildren(label, ...examples.map((q) => el('button', { type: 'button', lang: langOf(q), text: q, onclick: () => { $('question').value = q; ask(q); } })));
  box.hidden = examples.length === 0 || document.body.dataset.asked === 'true';
}

// ---- asking ---------------------------------------------------------------------------------
let current = { citations: [], docs: new Map() };

/** Reads an SSE response: calls onEvent(name, data) per event. */
async function readSse(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let event = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(event, JSON.parse(data.join('\n')));
    }
  }
}

/**
 * Renders answer text with each [n] as a link that opens citation n; a leading short answer
 * (the first citation's answerSpan, "<span> — …") is wrapped in <mark class="answer-span">.
 */
function renderAnswer(text, citations = current.citations) {
  const box = $('answer');
  box.lang = langOf(text);
  const c = citations?.[0];
  const span = c?.answerSpan ? c.quote.slice(c.answerSpan.start, c.answerSpan.end).replace(/\s*\n\s*/g, ' ') : '';
  const lead = span && text.startsWith(`${span} — `) ? span : '';
  const parts = text.slice(lead.length).split(/(\[\d+\])/);
  box.replaceChildren(...(lead ? [el('mark', { class: 'answer-span', text: lead })] : []), ...parts.map((part) => {
    const m = /^\[(\d+)\]$/.exec(part);
    if (!m) return document.createTextNode(part);
    const n = Number(m[1]);
    return el('a', { class: 'cite', href: `#cite-${n}`, 'data-n': String(n), 'aria-label': `source ${n}`, text: part, onclick: (e) => { e.preventDefault(); openCitation(n); } });
  }));
}

function renderSources(citations) {
  const seen = new Map();
  for (const c of citations) if (!seen.has(c.n)) seen.set(c.n, c);
  $('sources-h').hidden = seen.size === 0;
  $('sources').replaceChildren(...[...seen.values()].sort((a, b) => a.n - b.n).map((c) =>
    el('li', { value: String(c.n) },
      el('a', { href: `#cite-${c.n}`, onclick: (e) => { e.preventDefault(); openCitation(c.n); }, text: location(c) }),
      c.title ? el('span', { class: 'muted', lang: langOf(c.title), text: ` — ${c.title}` }) : null)));
}

function renderTrace(steps, meta) {
  $('trace-panel').hidden = false;
  $('trace-meta').textContent = meta;
  $('trace').replaceChildren(...steps.map((s) => {
    const scores = s.scores ? Object.entries(s.scores).map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(4) : v}`).join(' · ') : '';
    // Small inputs/outputs start open so the steps read at a glance; big ones stay folded.
    const io = (label, v) => {
      if (v === undefined) return null;
      const text = JSON.stringify(v, null, 2);
      const d = el('details', {}, el('summary', { text: label }), el('pre', { lang: langOf(text), text: clip(text) }));
      d.open = text.length <= 700;
      return d;
    };
    return el('li', {},
      el('span', { class: `kind ${s.kind}`, text: s.kind }),
      el('strong', { text: s.name }),
      el('span', { class: 'muted', text: ` ${s.durationMs} ms` }),
      scores ? el('div', { class: 'scores', text: scores }) : null,
      io('input', s.input), io('output', s.output));
  }));
}

const clip = (s) => (s.length > 4000 ? `${s.slice(0, 4000)}\n…` : s);

async function ask(question) {
  const btn = $('ask-btn');
  btn.disabled = true;
  showError('ask-error', null);
  $('viewer').hidden = true;
  document.body.dataset.asked = 'true';
  $('examples').hidden = true;
  $('answer-box').hidden = false;
  $('answer').textContent = '';
  $('sources').replaceChildren();
  $('sources-h').hidden = true;
  $('answer-method').textContent = '';
  current = { citations: [], docs: new Map() };
  let text = '';
  try {
    const body = { question, topK: settings.k, retriever: settings.retriever };
    if (settings.method) body.method = settings.method;
    const res = await api('/v1/ask', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' }, body: JSON.stringify(body) });
    await readSse(res, (event, data) => {
      if (event === 'token') { text += data.delta; renderAnswer(text); }
      else if (event === 'citations') { current.citations = data; renderSources(data); }
      else if (event === 'trace') renderTrace(data, '');
      else if (event === 'done') {
        renderAnswer(data.answer);
        $('answer-method').textContent = data.method;
        renderTrace(data.trace ?? [], `${data.method} · ${Math.round(data.tookMs)} ms`);
        document.body.dataset.answered = 'true';
      } else if (event === 'error') {
        const err = new Error(data.error.message);
        err.code = data.error.code;
        throw err;
      }
    });
  } catch (err) {
    showError('ask-error', err);
  } finally {
    btn.disabled = false;
  }
}

/** Opens citation n of the current answer in the viewer, its quotes marked. */
function openCitation(n) {
  const cites = current.citations.filter((c) => c.n === n);
  if (cites.length === 0) return;
  // The first quote's short answer (answerSpan) is a span of its own, marked class "answer-span".
  const spans = cites.flatMap((c) => {
    const q = { chunkId: c.chunkId, start: c.quoteStart, end: c.quoteStart + c.quote.length };
    if (!c.answerSpan || c !== current.citations[0]) return [q]; // the span the answer leads with
    const a = c.quoteStart + c.answerSpan.start;
    const b = c.quoteStart + c.answerSpan.end;
    return [{ ...q, end: a }, { chunkId: c.chunkId, start: a, end: b, cls: 'answer-span' }, { ...q, start: b }].filter((x) => x.end > x.start);
  });
  openPassage({ label: `[${n}]`, first: cites[0], host: $('view-ask').querySelector('.col-main'), spans });
}

/**
 * The passage viewer, shared by answers and search results: fetches the document of `first`
 * (a citation or a hit: docId, source, title, lines, locator), shows the lines around `spans`
 * (offsets inside chunk `chunkId`) with the chunks tinted and the spans marked, inside `host`.
 */
async function openPassage({ label, first, spans, host }) {
  const viewer = $('viewer');
  if (viewer.parentElement !== host) host.append(viewer);
  viewer.hidden = false;
  $('viewer-n').textContent = label;
  $('viewer-title').textContent = first.title;
  $('viewer-title').lang = langOf(first.title);
  $('viewer-loc').textContent = location(first);
  $('viewer-text').textContent = 'loading…';
  try {
    let doc = current.docs.get(first.docId);
    if (!doc) {
      doc = await (await api(`/v1/documents/${encodeURIComponent(first.docId)}`)).json();
      current.docs.set(first.docId, doc);
    }
    const marks = [];
    const chunkRanges = [];
    for (const sp of spans) {
      const chunk = doc.chunks.find((ch) => ch.id === sp.chunkId);
      if (!chunk) continue;
      chunkRanges.push([chunk.startChar, chunk.endChar]);
      marks.push([chunk.startChar + sp.start, chunk.startChar + sp.end, sp.cls]);
    }
    if (marks.length === 0) {
      const chunk = doc.chunks.find((ch) => ch.id === first.chunkId);
      if (chunk) chunkRanges.push([chunk.startChar, chunk.endChar]);
    }
    // The window is found by offsets in the document's text. Its rows are numbered with text
    // lines only where those are the file's lines; HTML and CSV cite file lines the text does not
    // have, and DOCX/HWP/HWPX/PPTX/XLSX/EPUB cite the locator shown in the header instead.
    const textLineOf = (at) => { let n = 1; for (let i = doc.text.indexOf('\n'); i !== -1 && i < at; i = doc.text.indexOf('\n', i + 1)) n++; return n; };
    const around = marks.length > 0 ? marks : chunkRanges;
    const fromLine = around.length > 0 ? Math.min(...around.map(([a]) => textLineOf(a))) : first.startLine;
    const toLine = around.length > 0 ? Math.max(...around.map(([, b]) => textLineOf(Math.max(0, b - 1)))) : first.endLine;
    const numbered = !first.locator && !['html', 'csv', 'tsv'].includes(doc.format);
    $('viewer-text').lang = langOf(doc.text.slice(0, 2000));
    $('viewer-text').replaceChildren(...renderPassage(doc.text, marks, chunkRanges, fromLine, toLine, numbered));
    viewer.focus();
    viewer.querySelector('mark')?.scrollIntoView({ block: 'center' });
  } catch (err) {
    $('viewer-text').textContent = err.message;
  }
}

// ---- search -----------------------------------------------------------------------------------
/** Characters of a hit shown around its first highlight. */
const SNIPPET_CHARS = 320;

/** The snippet of a hit: a window of its text around the first highlight, highlights marked. */
function snippetNodes(text, highlights) {
  let from = 0;
  let to = text.length;
  if (text.length > SNIPPET_CHARS) {
    const first = highlights[0]?.start ?? 0;
    from = Math.max(0, first - Math.floor(SNIPPET_CHARS / 3));
    to = Math.min(text.length, from + SNIPPET_CHARS);
    // Cut at white space so no word is shown in part.
    const sp = text.lastIndexOf(' ', from);
    if (from > 0 && sp > from - 40) from = sp + 1;
    const ep = text.indexOf(' ', to);
    if (to < text.length && ep !== -1 && ep < to + 40) to = ep;
  }
  const out = [];
  if (from > 0) out.push(document.createTextNode('… '));
  let at = from;
  for (const h of highlights) {
    if (h.end <= from || h.start >= to) continue;
    const a = Math.max(from, h.start);
    const b = Math.min(to, h.end);
    if (a > at) out.push(document.createTextNode(text.slice(at, a)));
    out.push(el('mark', { text: text.slice(a, b) }));
    at = b;
  }
  if (at < to) out.push(document.createTextNode(text.slice(at, to)));
  if (to < text.length) out.push(document.createTextNode(' …'));
  return out;
}

async function search(q) {
  showError('search-error', null);
  $('viewer').hidden = true;
  $('search-btn').disabled = true;
  try {
    const res = await (await api(`/v1/search?q=${encodeURIComponent(q)}&topK=${Math.max(10, settings.k)}&highlight=true`)).json();
    $('search-line').textContent = res.hits.length === 0 ? 'No passage matches.' : `${res.hits.length} passages · ${Math.round(res.tookMs)} ms`;
    const host = $('view-search').querySelector('.col-side');
    $('search-results').replaceChildren(...res.hits.map((h) => el('li', { class: 'hit', 'data-rank': String(h.rank) },
      el('div', { class: 'hit-head' },
        el('span', { class: 'hit-rank', text: `${h.rank}.` }),
        el('span', { class: 'hit-title', lang: langOf(h.title), text: h.title }),
        el('span', { class: 'hit-loc muted mono', text: location(h) }),
        el('span', { class: 'hit-score muted', text: `score ${h.score.toFixed(3)}` })),
      el('p', { class: 'hit-snippet', lang: langOf(h.text) }, ...snippetNodes(h.text, h.highlights ?? [])),
      el('button', { type: 'button', class: 'hit-open', 'aria-label': `Open passage ${h.rank}`, text: 'Open', onclick: () => openPassage({ label: `#${h.rank}`, first: h, host, spans: (h.highlights ?? []).map((s) => ({ chunkId: h.chunkId, start: s.start, end: s.end })) }) }))));
    document.body.dataset.searched = 'true';
  } catch (err) {
    showError('search-error', err);
  } finally {
    $('search-btn').disabled = false;
  }
}

/** Lines fromLine-2 .. toLine+2 of text, numbered; chars inside chunkRanges tinted, inside marks wrapped in <mark>. */
function renderPassage(text, marks, chunkRanges, fromLine, toLine, numbered = true) {
  const lines = text.split('\n');
  const first = Math.max(1, fromLine - 2);
  const last = Math.min(lines.length, toLine + 2);
  let offset = 0;
  for (let i = 1; i < first; i++) offset += lines[i - 1].length + 1;
  const inside = (ranges, p) => ranges.some(([a, b]) => p >= a && p < b);
  const rows = [];
  if (first > 1) rows.push(el('div', { class: 'gap', text: '⋯' }));
  for (let ln = first; ln <= last; ln++) {
    const line = lines[ln - 1];
    const tx = el('span', { class: 'tx' });
    // Split the line at mark boundaries.
    const cuts = new Set([0, line.length]);
    for (const [a, b] of marks) { if (a > offset && a < offset + line.length) cuts.add(a - offset); if (b > offset && b < offset + line.length) cuts.add(b - offset); }
    const sorted = [...cuts].sort((a, b) => a - b);
    for (let j = 0; j + 1 < sorted.length; j++) {
      const piece = line.slice(sorted[j], sorted[j + 1]);
      const m = marks.find(([a, b]) => offset + sorted[j] >= a && offset + sorted[j] < b);
      tx.append(m ? el('mark', m[2] ? { class: m[2], text: piece } : { text: piece }) : document.createTextNode(piece));
    }
    if (line.length === 0) tx.append(document.createTextNode('\u200b'));
    const row = el('div', { class: `ln${inside(chunkRanges, offset) || inside(chunkRanges, offset + Math.max(0, line.length - 1)) ? ' in-chunk' : ''}` },
      el('span', { class: 'no', text: numbered ? String(ln) : '' }), tx);
    rows.push(row);
    offset += line.length + 1;
  }
  if (last < lines.length) rows.push(el('div', { class: 'gap', text: '⋯' }));
  return rows;
}

// ---- documents and uploads --------------------------------------------------------------------
async function loadDocuments() {
  try {
    const list = await (await api('/v1/documents?limit=500')).json();
    $('docs-caption').textContent = `${list.total.toLocaleString()} documents${list.total > list.documents.length ? ` (first ${list.documents.length} shown)` : ''}`;
    $('docs-table').tBodies[0].replaceChildren(...list.documents.map((d) => el('tr', {},
      el('td', { class: 'title', lang: langOf(d.title), text: d.title }),
      el('td', { class: 'src mono' }, ...pathNodes(d.source)),
      el('td', { class: 'fmt', text: d.format }),
      el('td', { class: 'num' }, String(d.numChunks), el('span', { class: 'unit', text: d.numChunks === 1 ? ' passage' : ' passages' })),
      el('td', { class: 'act' }, el('button', { type: 'button', 'aria-label': `Delete ${d.title}`, text: 'Delete', onclick: () => removeDocument(d) })))));
    showError('docs-error', null);
  } catch (err) {
    showError('docs-error', err);
  }
}

async function removeDocument(d) {
  if (!confirm(`Remove “${d.title}” from the index${d.uploaded ? ' and delete the uploaded file' : ''}?`)) return;
  try {
    const job = await (await api(`/v1/documents/${encodeURIComponent(d.id)}`, { method: 'DELETE' })).json();
    await followJob(job, `delete ${d.title}`);
  } catch (err) {
    showError('docs-error', err);
  }
}

/** Polls a job until it ends, showing its progress; refreshes the list and status after. */
async function followJob(job, label) {
  const bar = el('progress', { max: '1', value: '0' });
  const info = el('span', { text: 'queued' });
  const row = el('div', { class: 'job', 'data-job': job.id }, el('span', { text: label }), bar, info);
  $('jobs').prepend(row);
  for (;;) {
    const j = await (await api(`/v1/jobs/${job.id}`)).json();
    if (j.progress) {
      bar.max = Math.max(1, j.progress.filesTotal);
      bar.value = j.progress.filesDone;
      info.textContent = `${j.progress.phase} ${j.progress.filesDone}/${j.progress.filesTotal} files, ${j.progress.chunks} passages`;
    }
    if (j.status === 'succeeded') {
      bar.value = bar.max;
      const r = j.result || {};
      info.textContent = j.kind === 'delete' ? 'removed' : `done: ${r.added ?? 0} added, ${r.updated ?? 0} updated, ${r.unchanged ?? 0} unchanged, ${r.skipped ?? 0} skipped`;
      // Each skipped file with the reason, as the indexer reported it.
      const skipped = r.skippedFiles ?? [];
      if (skipped.length > 0) {
        row.append(el('ul', { class: 'skipped', 'aria-label': 'Skipped files' }, ...skipped.map((f) => el('li', { text: `${f.source} — ${f.reason.startsWith(`${f.source}: `) ? f.reason.slice(f.source.length + 2) : f.reason}` }))));
        if (r.skipped > skipped.length) row.lastChild.append(el('li', { text: `… and ${r.skipped - skipped.length} more (see the server log)` }));
      }
      row.dataset.status = 'succeeded';
      break;
    }
    if (j.status === 'failed') {
      info.textContent = `failed: ${j.error?.message ?? 'unknown error'}`;
      info.className = 'error';
      row.dataset.status = 'failed';
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await Promise.all([loadDocuments(), loadStatus()]);
}

async function upload(files) {
  const send = (query) => {
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    return api(`/v1/documents${query}`, { method: 'POST', body: form });
  };
  try {
    let res;
    try {
      res = await send('');
    } catch (err) {
      // A name taken by an earlier upload is never replaced silently: ask first.
      if (err.code !== 'DOCUMENT_EXISTS' || !window.confirm(`${err.message}\n\nReplace it?`)) throw err;
      res = await send('?replace=true');
    }
    const job = await res.json();
    await followJob(job, files.length === 1 ? files[0].name : `${files.length} files`);
  } catch (err) {
    showError('docs-error', err);
  }
}

// ---- wiring -----------------------------------------------------------------------------------
document.addEventListener('DOMContentLoaded', () => {
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => showView(tab.dataset.view));
  $('settings-open').addEventListener('click', () => toggleSettings($('settings').hidden));
  $('settings-close').addEventListener('click', () => toggleSettings(false));
  $('set-key').value = settings.key;
  $('set-key').addEventListener('change', (e) => { sessionStorage.setItem('openbook.apiKey', e.target.value.trim()); loadStatus(); });
  $('viewer-close').addEventListener('click', () => { $('viewer').hidden = true; $('answer').querySelector('a.cite')?.focus(); });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    if (!$('settings').hidden) toggleSettings(false);
    else if (!$('viewer').hidden) $('viewer').hidden = true;
  });

  const q = $('question');
  // Enter asks; Shift+Enter is a new line. While an IME is composing (Korean, Japanese …)
  // Enter commits the syllable instead: isComposing, or keyCode 229 on browsers that fire
  // the keydown after compositionend.
  q.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    $('ask-form').requestSubmit();
  });
  $('ask-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const question = q.value.trim();
    if (question) ask(question);
  });
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('search-q').value.trim();
    if (q) search(q);
  });
  $('upload-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const files = [...$('files').files];
    if (files.length) upload(files).then(() => { $('files').value = ''; });
  });
  loadStatus();
});
