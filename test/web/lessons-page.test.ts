// The lessons on the page, keyboard only: pick each lesson with the arrow
// keys, press Next through its steps, and see what its captions promise:
// the event log, the rseq area, the timeline's marks, the comparison's
// columns, the outcome; a screenshot of each in the playground's folder.

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

  it('(d) shows the signature violation in the event log and on the timeline, and the kill by SIGSEGV', async () => {
    await walk(3, async (i) => {
      if (i === 0) {
        expect(await text('#events')).toContain('signature 0x53053053');
        expect(await text('#rseq-fields dd[data-field="signature (registered)"]')).toBe('0x53053053');
        expect(await text('#rseq-fields dd[data-field="signature before abort_ip"]')).toBe('0x53053054');
      }
      if (i === 2) {
        await pg.page.waitForSelector('#events li.violation');
        expect(await text('#events li.violation')).toContain('found 0x53053054, expected 0x53053053');
        expect(await pg.page.locator('#timeline .mark.violation').count()).toBe(1);
        // The mark is at the lane's end (the program's last instant), still inside the drawing.
        const mark = (await pg.page.locator('#timeline .mark.violation').boundingBox())!;
        const svg = (await pg.page.locator('#timeline svg').boundingBox())!;
        expect(mark.x + mark.width).toBeLessThanOrEqual(svg.x + svg.width);
      }
    });
    expect(await text('#status')).toContain(LESSONS[3].outcome);
    expect(await text('#status')).toContain('Killed by SIGSEGV (exit status 139)');
    expect(await text('#exit-status')).toBe('139');
  });

  it('(e) shows the probe under 4.18 and 7.0 in two columns, the differing lines marked; Back keeps the comparison', async () => {
    const column = (kernel: string) => `#compare-columns .run[data-kernel="${kernel}"]`;
    await walk(4, async (i) => {
      if (i === 0) {
        expect(await pg.page.locator('#compare').isVisible()).toBe(true);
        expect(await pg.page.locator('#compare-columns .run').count()).toBe(2);
        expect(await pg.page.locator(`${column('4.18')} mark`).allInnerTexts()).toEqual(['AT_RSEQ_FEATURE_SIZE: absent', 'AT_RSEQ_ALIGN: absent', 'node_id, mm_cid: not in the feature size', 'own area, extended length 64: EINVAL']);
        expect(await text(`${column('7.0')} mark >> nth=0`)).toBe('AT_RSEQ_FEATURE_SIZE: 33');
        expect(await text(`${column('7.0')} .ending`)).toBe('exited with status 0');
        expect(await text(`${column('7.0')} pre`)).toContain('__rseq_size: 20');
      }
      if (i === 1) {
        expect(await text('#events')).toContain('length 32, signature 0x53053053');
        expect(await text('#rseq-fields dd[data-field="cpu_id"]')).toBe('-1');
        // Back (key b) undoes the run to the registration, not the comparison before it.
        await pg.page.keyboard.press('b');
        await pg.page.waitForFunction(() => document.getElementById('lesson-caption')?.textContent?.startsWith('Step 1 of 5:'));
        expect(await pg.page.locator('#compare').isVisible()).toBe(true);
        await press('lesson-next');
        await pg.page.waitForFunction(() => document.getElementById('lesson-caption')?.textContent?.startsWith('Step 2 of 5:'));
        expect(await text('#rseq-fields dd[data-field="cpu_id"]')).toBe('-1');
      }
      if (i === 2) expect(await text('#rseq-fields dd[data-field="cpu_id"]')).toMatch(/^[01]$/);
      if (i === 3) expect(await text('#events li.finding')).toContain('refused with EBUSY');
    });
    expect(await pg.page.inputValue('#kernel')).toBe('7.0');
    expect(await text('#stdout')).toContain(LESSONS[4].outcome);
  });

  it('(f) shows 6.3, 6.19 and 7.0 side by side: only 6.19 fails, each with the checker\'s finding', async () => {
    await walk(5, async (i) => {
      if (i === 0) {
        expect(await pg.page.locator('#compare-columns .run').evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.kernel))).toEqual(['6.3', '6.19', '7.0']);
        expect(await text('#compare-columns .run[data-kernel="6.19"] .ending')).toBe('exited with status 1');
        expect(await text('#compare-columns .run[data-kernel="6.19"] pre')).toContain('survived a context switch');
        for (const k of ['6.3', '7.0']) expect(await text(`#compare-columns .run[data-kernel="${k}"] mark`)).toBe('cpu_id_start: rewritten');
        for (const k of ['6.3', '6.19', '7.0']) expect(await text(`#compare-columns .run[data-kernel="${k}"] li.finding >> nth=0`)).toContain('user write to cpu_id_start');
      }
      if (i === 1) {
        expect(await text('#events li.finding')).toContain('read-only-field-written');
        expect(await text('#rseq-fields dd[data-field="cpu_id_start"]')).toBe('-2147483648');
      }
    });
    expect(await pg.page.inputValue('#kernel')).toBe('6.19');
    expect(await pg.page.innerText('#stderr')).toContain(LESSONS[5].outcome);
    expect(await text('#exit-status')).toBe('1');
  });

  it('(g) draws the grant, the yield and the revocation on the timeline, readable on focus', async () => {
    const granted = () => text('#rseq-fields dd[data-field="slice_ctrl.granted"]');
    await walk(6, async (i) => {
      if (i === 0) expect(await text('#rseq-fields dd[data-field="slice_ctrl.request"]')).toBe('1');
      if (i === 1) {
        expect(await granted()).toBe('1');
        expect(await pg.page.locator('#timeline .mark.slice-grant').count()).toBe(1);
        expect(await pg.page.locator('#compare').isHidden()).toBe(true);
      }
      if (i === 2) {
        expect(await granted()).toBe('0');
        expect(await pg.page.locator('#timeline .mark.slice-yield').count()).toBe(1);
        expect(await text('#events li.slice-yield')).toContain('ended by rseq_slice_yield');
      }
      if (i === 5) {
        expect(await pg.page.locator('#timeline .mark.slice-revoke').count()).toBe(1);
        expect(await text('#events li.slice-revoke')).toContain('ended by system call 110');
      }
    });
    expect(await text('#stdout')).toContain(LESSONS[6].outcome);
    expect(await pg.page.locator('#timeline .mark.slice-grant').count()).toBe(2);
    expect(await pg.page.locator('#timeline rect.extension').count()).toBe(2);
    // Keyboard: Tab from the last grant mark reaches the marks after it; focus shows the text.
    await pg.page.focus('#timeline .mark.slice-revoke');
    expect(await text('#timeline-info')).toMatch(/^extension revoked at t=\d+ on vCPU \d, thread \d+: time slice extension ended by system call 110$/);
    await pg.page.focus('#timeline .mark.slice-yield');
    expect(await text('#timeline-info')).toContain('extension ended by rseq_slice_yield');
    expect(await pg.page.locator('#timeline-legend li').allInnerTexts()).toEqual(['injected event', 'rseq abort', 'rseq violation (SIGSEGV)', 'time slice extension granted', 'extension ended by rseq_slice_yield', 'extension revoked', 'a thread running on a granted extension']);
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
