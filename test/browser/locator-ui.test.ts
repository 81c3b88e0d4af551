/**
 * Issue #16 item 6 in the web page: a citation of a PPTX (a format without file lines) shows its
 * slide in the viewer's header, and the passage rows carry no line numbers that the file does
 * not have. Real server on 127.0.0.1, real chromium, a PPTX made in the test and uploaded.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfig } from '../../src/config/schema.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { makePptx } from '../support/office-files.js';
import { launch, skipReason } from '../support/browser.js';


describe.skipIf(skipReason !== undefined)('web viewer: locators', () => {
  let dir: string;
  let srv: RunningServer;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-ui-loc-'));
    await writeFile(
      path.join(dir, 'deck.pptx'),
      makePptx([
        { title: 'Roadmap', body: ['Launch in May.'] },
        { title: 'Hiring', body: ['Two engineers join in June.'], notes: ['The finance team approved the hiring budget.'] },
      ]),
    );
    srv = await listen({ indexDir: path.join(dir, 'index'), server: ServerConfig.parse({ port: 0, rateLimitPerMinute: 0 }), cwd: dir, log: () => {} });
    ({ ctx, page } = await launch(dir));
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uploads a PPTX, answers from its speaker notes and shows "slide 2" for the citation', async () => {
    await page.goto(`${srv.url}/`);
    await page.click('button.tab[data-view="docs"]');
    await page.setInputFiles('#files', [path.join(dir, 'deck.pptx')]);
    await page.click('#upload-btn');
    await page.waitForSelector('#jobs .job[data-status="succeeded"]', { timeout: 30_000 });
    await page.click('button.tab[data-view="ask"]');
    await page.fill('#question', 'Who approved the hiring budget?');
    await page.click('#ask-btn');
    await page.waitForSelector('body[data-answered="true"]');
    expect(await page.textContent('#answer')).toContain('The finance team approved the hiring budget. [1]');
    await page.click('#answer a.cite[data-n="1"]');
    await page.waitForSelector('#viewer mark');
    expect(await page.textContent('#viewer-loc')).toBe('uploads/deck.pptx slide 2');
    expect(await page.$$eval('#viewer mark', (ms) => ms.map((m) => m.textContent).join(''))).toBe('Notes: The finance team approved the hiring budget.');
    expect(await page.$eval('#viewer mark', (m) => m.closest('.ln')?.querySelector('.no')?.textContent)).toBe('');
  });
});
