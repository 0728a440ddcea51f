// Takes the README's picture of the playground (docs/playground.png): lesson
// (b) walked to its preemption, at 1280 px wide, in Debian's Chromium
// (CHROMIUM overrides the path). Needs `npm run build:web` first. Run with
// `npm run screenshot:web`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(fileURLToPath(new URL('..', import.meta.url)));
const out = join(root, 'docs', 'playground.png');
const server = spawn(process.execPath, [join(root, 'scripts', 'serve-web.mjs')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let text = '';
  server.stdout.on('data', (b) => {
    text += b;
    const port = /http:\/\/localhost:(\d+)\//.exec(text)?.[1];
    if (port) resolve(`http://127.0.0.1:${port}/`);
  });
  server.on('exit', (code) => reject(new Error(`serve-web exited (${code})`)));
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#lesson', 'abort');
  await page.waitForFunction(() => document.getElementById('retired')?.textContent === '0');
  // Run to the section, step into it, preempt.
  for (let i = 0; i < 3; i++) {
    const before = await page.locator('#lesson-caption').innerText();
    await page.click('#lesson-next');
    await page.waitForFunction((b) => document.getElementById('lesson-caption')?.textContent !== b, before);
  }
  await page.waitForSelector('#events li.abort');
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.kill();
}
