// The assembly sandbox on the page, keyboard first, in headless Chromium:
// keystone is fetched only when the panel opens; the default section
// assembles and runs to "ok"; a typo is refused with its line; a section
// whose commit is not last, preempted just after the commit with the
// page's own controls, ends "counted twice".

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SECTION } from '../../web/sandbox.js';
import { openedPlayground, pageActions } from './browser.js';

const COMMIT_NOT_LAST = DEFAULT_SECTION.replace('post_commit:\n\txor eax, eax\t\t\t# 0: committed\n', '\txor eax, eax\t\t\t# BUG: inside the range\npost_commit:\n');

describe('the assembly sandbox (the page)', () => {
  const pg = openedPlayground();
  const { text, press } = pageActions(() => pg.page);

  const keystoneFetched = () => pg.page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('keystone')));
  const message = () => text('#sandbox-message');
  /** Presses Assemble and run and waits for its message to change from before. */
  async function assembleAndRun(): Promise<string> {
    await pg.page.evaluate(() => { document.getElementById('sandbox-message')!.textContent = ''; });
    await press('sandbox-run');
    await pg.page.waitForFunction(() => document.getElementById('sandbox-message')?.textContent !== '');
    return message();
  }
  async function screenshot(name: string): Promise<void> {
    const shot = join(pg.playground.dir, `sandbox-${name}.png`);
    await pg.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  }

  it('opens from the keyboard and only then loads keystone; the text starts as the default section', async () => {
    expect(await keystoneFetched()).toBe(false);
    await pg.page.focus('#sandbox summary');
    await pg.page.keyboard.press('Enter');
    await pg.page.waitForFunction(() => !(document.getElementById('sandbox-run') as HTMLButtonElement).disabled, undefined, { timeout: 30_000 });
    expect(await keystoneFetched()).toBe(true);
    expect(await message()).toMatch(/^Ready/);
    expect(await pg.page.inputValue('#sandbox-text')).toBe(DEFAULT_SECTION);
  });

  it('assembles the default section into rseq_sandbox, which runs to "ok"', async () => {
    expect(await assembleAndRun()).toMatch(/^Assembled 38 of 512 bytes at 0x[0-9a-f]+: start_ip 0x[0-9a-f]+, post_commit_ip 0x[0-9a-f]+ \(post_commit_offset 9\), abort_ip/);
    expect(await pg.page.inputValue('#program')).toBe('rseq_sandbox');
    expect(await pg.page.inputValue('#args')).toBe('2 200');
    await pg.page.waitForFunction(() => document.getElementById('retired')?.textContent === '0');
    await press('run');
    await pg.page.waitForFunction(() => document.getElementById('exit-status')?.textContent !== '—', undefined, { timeout: 60_000 });
    expect(await text('#stdout')).toBe('rseq_sandbox: ok: 2 threads x 200 increments = 400\n');
    expect(await text('#exit-status')).toBe('0');
    await screenshot('ok');
  });

  it('refuses a typo with keystone\'s error and its line, and selects that line', async () => {
    const lines = DEFAULT_SECTION.split('\n');
    const at = lines.findIndex((l) => l.startsWith('\tinc qword'));
    await pg.page.fill('#sandbox-text', DEFAULT_SECTION.replace('\tinc qword', '\tincc qword'));
    expect(await assembleAndRun()).toBe(`Not assembled: line ${at + 1}: Invalid mnemonic (KS_ERR_ASM_MNEMONICFAIL) in "incc qword ptr [rdi + rcx]"`);
    expect(await pg.page.getAttribute('#sandbox-message', 'role')).toBe('alert');
    const selected = await pg.page.evaluate(() => {
      const t = document.getElementById('sandbox-text') as HTMLTextAreaElement;
      return t.value.slice(t.selectionStart, t.selectionEnd);
    });
    expect(selected).toBe('\tincc qword ptr [rdi + rcx]\t# commit: the one store, and the last instruction');
    await screenshot('typo');
    await press('sandbox-default');
    expect(await pg.page.inputValue('#sandbox-text')).toBe(DEFAULT_SECTION);
  });

  it('a commit that is not last: preempted on the instruction after it, the run ends "counted twice"', async () => {
    await pg.page.fill('#sandbox-text', COMMIT_NOT_LAST);
    expect(await assembleAndRun()).toMatch(/^Assembled 38 of 512 bytes/);
    await pg.page.waitForFunction(() => document.getElementById('retired')?.textContent === '0');
    await press('run-to-section');
    await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
    // cmp, jne, inc (the commit), then the xor still inside the range.
    for (const next of ['jne', 'inc', 'xor']) {
      await press('step-thread');
      await pg.page.waitForFunction((m) => document.querySelector('#code li[aria-current="true"]')?.textContent?.includes(m), next);
    }
    expect(await pg.page.getAttribute('#code li[aria-current="true"]', 'data-role')).toBe('commit');
    await press('preempt');
    await pg.page.waitForSelector('#events li.abort');
    await press('run');
    await pg.page.waitForFunction(() => document.getElementById('exit-status')?.textContent !== '—', undefined, { timeout: 60_000 });
    expect(await text('#stderr')).toBe('rseq_sandbox: not ok: the per-CPU counters add up to 401, expected 400: 1 increments were counted twice\n');
    expect(await text('#exit-status')).toBe('1');
    await screenshot('counted-twice');
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
