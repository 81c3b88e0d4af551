/**
 * One launcher for the browser tests: Debian's chromium (found or installed by
 * `test/browser/chromium.ts`) driven by playwright-core, a persistent profile in a test folder,
 * headless, offline flags. `found` says whether to skip; `launch` opens a context and its page.
 */
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { browserSkipReason, CHROMIUM_ARGS, ensureChromium } from '../browser/chromium.js';

/** Chromium's path, or why the browser tests skip (printed once per file that asks; a failure under OPENBOOK_BROWSER_REQUIRED=1). */
export const found = ensureChromium();
export const skipReason: string | undefined = browserSkipReason(process.env, found);
if (skipReason) console.warn(`browser tests skipped: ${skipReason}`);

export interface LaunchOptions {
  /** Default 1280 × 860. */
  viewport?: { width: number; height: number };
  /** Browser locale (`Accept-Language`, `navigator.language`), e.g. `ko-KR`. */
  locale?: string;
  /** Extra chromium flags (e.g. `--host-resolver-rules=…`). */
  args?: string[];
}

/** Launches chromium with a profile under `dir/profile`; close the context when done. */
export async function launch(dir: string, opts: LaunchOptions = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  if (skipReason || !('path' in found)) throw new Error(`no chromium: ${skipReason}`);
  const ctx = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: found.path,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    viewport: opts.viewport ?? { width: 1280, height: 860 },
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  return { ctx, page };
}
