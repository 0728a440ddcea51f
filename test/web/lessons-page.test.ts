// The lessons on the page, keyboard only: pick each lesson with the arrow
// keys, press Next through its steps, and see the outcome its text promises.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LESSONS } from '../../web/lessons.js';
import { openedPlayground, pageActions } from './browser.js';

describe('lessons (the page)', () => {
  const pg = openedPlayground();

  const { text, press } = pageActions(() => pg.page);

  /** Picks the next lesson in the picker with the keyboard, and walks it with Next; checkAfter(i) runs after step i. */
  async function walk(index: number, checkAfter: (i: number) => Promise<void> = async () => undefined): Promise<void> {
    const l = LESSONS[index];
    await pg.page.focus('#lesson');
    await pg.page.keyboard.press('ArrowDown');
    await pg.page.waitForFunction((id) => (document.getElementById('lesson') as HTMLSelectElement).value === id, l.id);
    expect(await text('#lesson-text')).toContain(l.text[0].slice(0, 40));
    expect(await pg.page.inputValue('#program')).toBe(l.program);
    for (let i = 0; i < l.steps.length; i++) {
      expect(await text('#lesson-next')).toBe(`Next: ${l.steps[i].label}`);
      await press('lesson-next');
      await pg.page.waitForFunction((want) => document.getElementById('lesson-caption')?.textContent?.startsWith(want), `Step ${i + 1} of ${l.steps.length}:`);
      await checkAfter(i);
    }
    expect(await text('#lesson-next')).toBe('Done');
    expect(await pg.page.locator('#lesson-next').isDisabled()).toBe(true);
    expect(await pg.page.locator('#error').isHidden()).toBe(true);
    const shot = join(pg.playground.dir, `lesson-${l.id}.png`);
    await pg.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  }

  it('(a) shows the section start, rseq_cs set and cpu_id, then the right total', async () => {
    await walk(0, async (i) => {
      if (i === 0) {
        await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
        expect(await text('#code li[aria-current="true"]')).toMatch(/cmp/);
        expect(await pg.page.locator('#rseq-fields dd[data-field="cpu_id"]').count()).toBe(1);
        expect(await text('#rseq-fields dd[data-field="rseq_cs"]')).not.toBe('0x0');
      }
    });
    expect(await text('#stdout')).toContain(LESSONS[0].outcome);
    expect(await text('#exit-status')).toBe('0');
  });

  it('(b) shows the abort in the event log and the thread at the abort handler', async () => {
    await walk(1, async (i) => {
      if (i === 2) {
        await pg.page.waitForSelector('#events li.abort');
        await pg.page.waitForSelector('#code li[aria-current="true"][data-role="abort"]');
        expect(await text('#rseq-fields dd[data-field="rseq_cs"]')).toBe('0x0');
        // Back (key b) undoes the preemption and the lesson's step with it; Next plays it again.
        await pg.page.keyboard.press('b');
        await pg.page.waitForFunction(() => document.getElementById('lesson-caption')?.textContent?.startsWith('Step 2 of 4:'));
        expect(await text('#lesson-next')).toBe('Next: Preempt here');
        expect(await pg.page.locator('#events li.abort').count()).toBe(0);
        await press('lesson-next');
        await pg.page.waitForFunction(() => document.getElementById('lesson-caption')?.textContent?.startsWith('Step 3 of 4:'));
        await pg.page.waitForSelector('#events li.abort');
      }
    });
    expect(await pg.page.locator('#events li.abort').count()).toBe(1);
    expect(await text('#exit-status')).toBe('0');
  });

  it('(c) ends with "counted 1001 for 1000 increments" after the preemption past the commit', async () => {
    await walk(2, async (i) => {
      if (i === 1) await pg.page.waitForSelector('#code li[aria-current="true"][data-role="commit"]');
      if (i === 2) await pg.page.waitForSelector('#events li.abort');
    });
    expect(await pg.page.innerText('#stderr')).toContain('rseq_bug_commit_not_last: counted 1001 for 1000 increments');
    expect(await text('#exit-status')).toBe('1');
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
