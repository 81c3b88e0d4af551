/**
 * Finds Debian's chromium for the browser tests, installing it with apt (plus fonts-noto-cjk for
 * Korean) when it is missing and we are root. Returns the executable path, or a reason to skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep chromium quiet and offline in a container (see shared/DEPENDENCIES.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The reason the browser tests skip, from `ensureChromium`'s answer, or undefined when they run.
 * `.ci/run` exports OPENBOOK_BROWSER_REQUIRED=1 once chromium is installed: then a skip is a failure.
 * @throws Error naming the reason when `env.OPENBOOK_BROWSER_REQUIRED` is "1"
 */
export function browserSkipReason(env: NodeJS.ProcessEnv, found: { path: string } | { skip: string }): string | undefined {
  if (!('skip' in found)) return undefined;
  if (env.OPENBOOK_BROWSER_REQUIRED === '1') throw new Error(`OPENBOOK_BROWSER_REQUIRED=1 but ${found.skip}`);
  return found.skip;
}

export function ensureChromium(): { path: string } | { skip: string } {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  if (process.getuid?.() !== 0) return { skip: `${CHROMIUM} is missing and we are not root to apt-get install chromium fonts-noto-cjk` };
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
    const r = spawnSync('apt-get', ['install', '-y', 'chromium', 'fonts-noto-cjk'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) return { skip: `apt-get install chromium fonts-noto-cjk failed (exit ${r.status})` };
  } catch (err) {
    return { skip: `apt-get could not run: ${(err as Error).message}` };
  }
  return existsSync(CHROMIUM) ? { path: CHROMIUM } : { skip: `apt-get finished but ${CHROMIUM} is still missing` };
}
