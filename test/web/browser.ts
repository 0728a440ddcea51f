// The playground in a headless browser, for the page tests: builds web/
// into a temporary folder, serves it with scripts/serve-web.mjs on a free
// port and opens it in Debian's Chromium (playwright-core). Chromium
// missing is a failure, not a skip (.ci/run installs it).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { root, serve } from './serve-page.js';

// In a module without vitest, which bench/ can import (vitest refuses to load outside a test run).
export { root, serve };

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The page, loaded and ready, with the console errors it logs; close() ends the browser and the server. */
export interface Playground {
  page: Page;
  /** The temporary folder (screenshots go here). */
  dir: string;
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function openPlayground(): Promise<Playground> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM to its path`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rseqlab-web-'));
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), '--outdir', join(dir, 'site')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build-web failed: ${built.stdout}${built.stderr}`);
  const { server, url } = await serve(join(dir, 'site'));
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const b = browser;
    return {
      page,
      dir,
      consoleErrors,
      async close() {
        await b.close();
        server.kill();
        rmSync(join(dir, 'site'), { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close();
    server.kill();
    throw e;
  }
}

/** Reading the page and pressing its buttons as a keyboard user does; `page` is read at each call (tests open it in beforeAll). */
export function pageActions(page: () => Page) {
  return {
    text: (selector: string) => page().locator(selector).innerText(),
    /** Waits until the page shows this many instructions retired. */
    retiredIs: (n: number) => page().waitForFunction((want) => document.getElementById('retired')?.textContent === want, String(n)),
    /** Presses a button from the keyboard. */
    async press(id: string): Promise<void> {
      await page().focus(`#${id}`);
      await page().keyboard.press('Enter');
    },
  };
}

/**
 * Opens the playground before the enclosing describe's tests and closes it
 * after them; the page and the playground are read through the result once
 * the tests run.
 */
export function openedPlayground(): { readonly page: Page; readonly playground: Playground } {
  let opened: Playground | undefined;
  beforeAll(async () => {
    opened = await openPlayground();
  });
  afterAll(async () => {
    await opened?.close();
  });
  const get = (): Playground => {
    if (!opened) throw new Error('the playground is not open (use it inside a test)');
    return opened;
  };
  return {
    get page() { return get().page; },
    get playground() { return get(); },
  };
}
