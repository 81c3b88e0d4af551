/**
 * The web page in a real browser (playwright-core driving Debian's chromium) against a real
 * server on 127.0.0.1: upload documents, ask in Korean and in English, open a citation and check
 * the highlighted passage, follow the trace, delete a document, and fit a phone screen.
 *
 * Set OPENBOOK_UPDATE_SCREENSHOT=1 to also write docs/img/web-ui.png.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfig } from '../../src/config/schema.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { EN_DOC, KO_DOC } from '../server/helpers.js';
import { launch, skipReason } from '../support/browser.js';

/**
 * The few browser globals the page callbacks use. This file compiles without the DOM library (the
 * project is Node-only), and the page's CSP forbids evaluating strings, so callbacks reach the
 * globals through `(globalThis as unknown as Dom)`, written inline: callbacks are serialised and
 * run in the page, where nothing of this file exists.
 */
interface Dom {
  document: {
    querySelectorAll(selector: string): { length: number };
    querySelector(selector: string): { textContent: string | null; dispatchEvent(event: unknown): boolean } | null;
    body: { dataset: Record<string, string | undefined> };
    documentElement: { scrollWidth: number };
  };
  KeyboardEvent: new (type: string, init: Record<string, unknown>) => unknown;
}


describe.skipIf(skipReason !== undefined)('web page in chromium', () => {
  let dir: string;
  let srv: RunningServer;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-ui-'));
    await mkdir(path.join(dir, 'files'));
    await writeFile(path.join(dir, 'files', 'bm25.md'), EN_DOC);
    await writeFile(path.join(dir, 'files', 'rag-ko.md'), KO_DOC);
    // An empty index folder: everything the page shows comes from the upload below.
    srv = await listen({ indexDir: path.join(dir, 'index'), server: ServerConfig.parse({ port: 0, rateLimitPerMinute: 0 }), cwd: dir, log: () => {} });
    ({ ctx, page } = await launch(dir, { locale: 'ko-KR' }));
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts empty and uploads two documents with progress to completion', async () => {
    await page.goto(`${srv.url}/`);
    await expect.poll(() => page.textContent('#index-line')).toContain('The index is empty');
    await page.click('button.tab[data-view="docs"]');
    await page.setInputFiles('#files', [path.join(dir, 'files', 'bm25.md'), path.join(dir, 'files', 'rag-ko.md')]);
    await page.click('#upload-btn');
    await page.waitForSelector('#jobs .job[data-status="succeeded"]', { timeout: 30_000 });
    expect(await page.textContent('#jobs .job')).toContain('done: 2 added');
    await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelectorAll('#docs-table tbody tr').length === 2);
    const sources = await page.$$eval('#docs-table tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    expect(sources.sort()).toEqual(['uploads/bm25.md', 'uploads/rag-ko.md']);
  });

  it('does not ask on Enter while a Korean IME is composing, and asks on a plain Enter', async () => {
    await page.click('button.tab[data-view="ask"]');
    await page.fill('#question', 'HyDE는 무엇을 생성하나?');
    // What the browser sends when Enter commits a Hangul syllable: keydown with isComposing.
    await page.evaluate(() => {
      const g = globalThis as unknown as Dom;
      g.document.querySelector('#question')!.dispatchEvent(new g.KeyboardEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true, cancelable: true }));
    });
    await page.waitForTimeout(300);
    expect(await page.isHidden('#answer-box')).toBe(true);
    await page.focus('#question');
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-answered="true"]');
    expect(await page.textContent('#answer')).toBe('가상의 문서 — HyDE는 질문에 대한 가상의 문서를 먼저 생성하고 그 문서로 검색한다. [1]');
    // The short answer (citations[0].answerSpan) is marked where the answer leads with it.
    expect(await page.$$eval('#answer mark.answer-span', (ms) => ms.map((m) => m.textContent))).toEqual(['가상의 문서']);
    expect(await page.textContent('#answer-method')).toBe('extractive');
  });

  it('opens a Korean citation with the quoted span highlighted and its place (path, line)', async () => {
    await page.click('#answer a.cite[data-n="1"]');
    await page.waitForSelector('#viewer mark');
    expect(await page.textContent('#viewer-loc')).toBe('uploads/rag-ko.md:4');
    expect(await page.textContent('#viewer-title')).toBe('검색 증강 생성');
    expect(await page.$$eval('#viewer mark', (ms) => ms.map((m) => m.textContent).join(''))).toBe('HyDE는 질문에 대한 가상의 문서를 먼저 생성하고 그 문서로 검색한다.');
    // Inside the quote, the short answer has a mark of its own.
    expect(await page.$$eval('#viewer mark.answer-span', (ms) => ms.map((m) => m.textContent))).toEqual(['가상의 문서']);
    // The marked line is line 4 of the document.
    expect(await page.$eval('#viewer mark', (m) => m.closest('.ln')?.querySelector('.no')?.textContent)).toBe('4');
    // The trace panel lists the method's steps.
    const kinds = await page.$$eval('#trace > li .kind', (ks) => ks.map((k) => k.textContent));
    expect(kinds).toEqual(['retrieve', 'score', 'score']);
    await page.setViewportSize({ width: 1280, height: 860 });
    const shot = path.join(dir, 'web-ui.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.OPENBOOK_UPDATE_SCREENSHOT === '1') {
      await mkdir('docs/img', { recursive: true });
      await copyFile(shot, 'docs/img/web-ui.png');
    }
  });

  it('answers an English question and opens its citation with the keyboard', async () => {
    await page.fill('#question', 'What are k1 and b in BM25?');
    await page.evaluate(() => void delete (globalThis as unknown as Dom).document.body.dataset.answered);
    await page.click('#ask-btn');
    await page.waitForSelector('body[data-answered="true"]');
    expect(await page.textContent('#answer')).toContain('The parameter k1 controls term-frequency saturation, and b controls length normalisation. [1]');
    await page.focus('#answer a.cite[data-n="1"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as Dom).document;
      return Boolean(d.querySelector('#viewer-loc')?.textContent?.startsWith('uploads/bm25.md:')) && d.querySelector('#viewer mark') !== null;
    });
    // Both answer sentences cite [1] (the same chunk), so both quotes are marked, one per line.
    // (The first quote's short answer is a mark of its own inside its line: marks are joined per line.)
    const marked = await page.$$eval('#viewer .ln', (ls) => ls.map((l) => [...l.querySelectorAll('mark')].map((m) => m.textContent).join('')).filter((t) => t !== ''));
    expect(marked.sort()).toEqual([
      'Lucene uses k1 = 1.2 and b = 0.75 by default.',
      'The parameter k1 controls term-frequency saturation, and b controls length normalisation.',
    ]);
    await page.keyboard.press('Escape');
    expect(await page.isHidden('#viewer')).toBe(true);
  });

  it('settings drawer lists the server methods and opens/closes from the keyboard', async () => {
    await page.click('#settings-open');
    expect(await page.isVisible('#settings')).toBe(true);
    expect(await page.$$eval('#set-method option', (os) => os.map((o) => o.value))).toEqual(['extractive']);
    expect(await page.$eval('#set-retriever option[value="dense"]', (o) => (o as unknown as { disabled: boolean }).disabled)).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.isHidden('#settings')).toBe(true);
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => (globalThis as unknown as Dom).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('deletes a document from the list', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.click('button.tab[data-view="docs"]');
    await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelectorAll('#docs-table tbody tr').length === 2);
    await page.click('#docs-table tbody tr:has-text("uploads/bm25.md") button');
    await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelectorAll('#docs-table tbody tr').length === 1, undefined, { timeout: 30_000 });
    expect(await page.textContent('#docs-table tbody')).toContain('uploads/rag-ko.md');
  });
});
