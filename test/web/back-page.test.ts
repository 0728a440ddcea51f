// The third slice on the page, keyboard only: run to the section, step into
// it, preempt (an abort), Back (key b), one more instruction, preempt again
// (an abort from a later instruction). Each state matches a Session doing
// the same in Node; the timeline has a lane per vCPU, run bars, abort marks.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Session } from '../../web/session.js';
import { openedPlayground, pageActions, root } from './browser.js';

/** The same choices in Node: each state the page should show. */
async function expected() {
  const program = new Uint8Array(await readFile(join(root, 'build', 'programs', 'rseq_counter')));
  const s = Session.create(await createCpu(), { name: 'rseq_counter', program, args: '2 300', seed: 1, cpus: 2 });
  const tid = s.runToSection()!;
  const atStart = s.view();
  s.stepThread(tid);
  const inside = s.view();
  s.injectHere(tid, { kind: 'preempt' });
  const first = s.view();
  s.back();
  s.stepThread(tid);
  const later = s.view();
  s.injectHere(tid, { kind: 'preempt' });
  const second = s.view();
  const abortOf = (v: typeof first) => v.events.find((e) => e.what === 'abort')!.detail;
  return { atStart, inside, later, first, second, firstAbort: abortOf(first), secondAbort: abortOf(second) };
}

describe('Back and the timeline (the page)', () => {
  const pg = openedPlayground();

  const { text, retiredIs, press } = pageActions(() => pg.page);

  it('preempts, goes back, preempts one instruction later, and shows both outcomes', async () => {
    const r = await expected();
    expect(r.secondAbort).not.toBe(r.firstAbort);

    await press('run-to-section');
    await retiredIs(r.atStart.retired);
    await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
    await press('step-thread');
    await retiredIs(r.inside.retired);
    await press('preempt');
    await retiredIs(r.first.retired);
    await pg.page.waitForSelector('#events li.abort');
    expect(await text('#events li.abort')).toContain(r.firstAbort);
    expect(await text('#trace-hash')).toBe(r.first.traceHash);
    expect(await pg.page.locator('#timeline .mark.abort').count()).toBe(1);

    // Back with the key b (focus is on the Preempt button, not a text field).
    await pg.page.keyboard.press('b');
    await retiredIs(r.inside.retired);
    expect(await text('#trace-hash')).toBe(r.inside.traceHash);
    expect(await pg.page.locator('#events li.abort').count()).toBe(0);
    expect(await pg.page.locator('#timeline .mark').count()).toBe(0);

    await press('step-thread');
    await retiredIs(r.later.retired);
    await press('preempt');
    await retiredIs(r.second.retired);
    await pg.page.waitForSelector('#events li.abort');
    expect(await text('#events li.abort')).toContain(r.secondAbort);
    expect(await text('#trace-hash')).toBe(r.second.traceHash);

    // The timeline: one lane per vCPU, run bars, the abort mark says what it is when focused.
    expect(await pg.page.locator('#timeline g.lane').count()).toBe(2);
    expect(await pg.page.locator('#timeline rect.run').count()).toBeGreaterThan(0);
    await pg.page.focus('#timeline .mark.abort');
    expect(await text('#timeline-info')).toContain(r.secondAbort);
    const shot = join(pg.playground.dir, 'playground-back.png');
    await pg.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
