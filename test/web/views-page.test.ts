// The code view, the registers and the per-CPU data on the page (headless
// Chromium, test/web/browser.ts), checked against the same steps on a
// Session in Node: rseq_counter 2 300, seed 1, 2 vCPUs, as the page opens.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Session } from '../../web/session.js';
import { openedPlayground, pageActions, root } from './browser.js';

async function nodeSession(): Promise<Session> {
  const program = new Uint8Array(await readFile(join(root, 'build', 'programs', 'rseq_counter')));
  return Session.create(await createCpu(), { name: 'rseq_counter', program, args: '2 300', seed: 1, cpus: 2 });
}

describe('the machine and code views (the page)', () => {
  const pg = openedPlayground();
  const { text, retiredIs, press } = pageActions(() => pg.page);
  const registerCell = (tid: number, name: string) => pg.page.locator(`#registers tr[data-register="${name}"] td[data-tid="${tid}"]`);

  it('after run-to-section: the band, the signature as data, labels and every thread marked', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    const cs = s.machine.criticalSections[0];
    await press('run-to-section');
    await retiredIs(s.machine.retired);
    const page = pg.page;
    await page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
    expect(await text('#code li.section')).toBe(`critical section #0 · abort 0x${cs.abort.toString(16)} · rseq_cs 0x${cs.descriptorAddress.toString(16)}`);
    expect(await pg.page.getAttribute('#code li.section + li', 'data-address')).toBe(`0x${cs.start.toString(16)}`);
    expect(await page.locator('#code li[data-role="commit"]').count()).toBe(1);
    expect(await page.locator(`#code li[data-role="post-commit"][data-address="0x${cs.postCommit.toString(16)}"]`).count()).toBe(1);
    expect(await text('#code li[data-role="signature"]')).toContain('.long 0x53053053');
    expect(await page.getAttribute('#code li[data-role="signature"]', 'data-kind')).toBe('data');
    expect(await page.locator('#code li[data-role="abort"]').count()).toBe(1);
    const fn = s.machine.symbols.symbolize(cs.start)!.symbol.name;
    expect(await page.locator('#code li.label').allInnerTexts()).toContain(`${fn}:`);
    const cpu = s.machine.kernel.tasks.get(tid)!.cpu;
    expect(await text(`#code li[aria-current="true"] .thread[data-tid="${tid}"]`)).toContain(`← t${tid} (vCPU ${cpu})`);
    // Every other live thread is on its line or listed as elsewhere.
    for (const t of s.machine.kernel.tasks.values()) {
      if (t.tid === tid || t.state === 'dead') continue;
      const marked = await page.locator(`#code .thread[data-tid="${t.tid}"]`).count();
      if (marked === 0) expect(await text('#code-elsewhere')).toContain(`t${t.tid} (vCPU ${t.cpu}`);
      else expect(await page.getAttribute(`#code li:has(.thread[data-tid="${t.tid}"])`, 'data-address')).toBe('0x' + t.ctx.rip.toString(16));
    }
    // The registers of every thread are the machine's.
    const regs = s.view().threads.find((t) => t.tid === tid)!.registers;
    for (const r of regs) expect(await registerCell(tid, r.name).innerText()).toBe(r.value);
  });

  it('a step highlights exactly the registers it changed; the commit changes counts[cpu]', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.stepThread(tid);
    await press('step-thread');
    await retiredIs(s.machine.retired);
    const regs = s.view().threads.find((t) => t.tid === tid)!.registers;
    const changed = regs.filter((r) => r.changed).map((r) => r.name);
    expect(changed).toContain('rip');
    for (const r of regs) {
      await pg.page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent === want, [`#registers tr[data-register="${r.name}"] td[data-tid="${tid}"]`, r.value] as const);
      expect(await registerCell(tid, r.name).getAttribute('class'), r.name).toBe(r.changed ? 'changed' : null);
    }

    // On to the commit, then over it: the thread's CPU's counter goes up by one, highlighted.
    const cs = s.machine.criticalSections[0];
    const rip = () => Number(s.machine.kernel.tasks.get(tid)!.ctx.rip);
    let steps = 0;
    while (rip() !== cs.postCommit) {
      s.stepThread(tid);
      steps++;
      expect(steps).toBeLessThan(10);
    }
    const cpu = s.machine.kernel.tasks.get(tid)!.cpu;
    const counter = `#percpu td[data-cell="counts[${cpu}].v"]`;
    const before = await text(counter);
    for (let i = 0; i < steps; i++) await press('step-thread');
    await retiredIs(s.machine.retired);
    const want = s.view().perCpu;
    expect(want.described).toBe(true);
    const value = want.described ? want.arrays[0].rows[cpu].values[0].value : '';
    expect(Number(value)).toBe(Number(before) + 1);
    await pg.page.waitForFunction(([sel, v]) => document.querySelector(sel)?.textContent === v, [counter, value] as const);
    expect(await pg.page.getAttribute(counter, 'class')).toBe('changed');
    expect(await pg.page.getAttribute(`#percpu td[data-cell="counts[${1 - cpu}].v"]`, 'class')).toBeNull();
    await pg.page.waitForSelector(`#code li[aria-current="true"][data-role="post-commit"]`);
    const shot = join(pg.playground.dir, 'playground-views-1280.png');
    await pg.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('fits a 390 px screen with the views filled: no sideways page scroll', async () => {
    await pg.page.setViewportSize({ width: 390, height: 800 });
    expect(await pg.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const shot = join(pg.playground.dir, 'playground-views-390.png');
    await pg.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('after the end: the counters add up to what the program prints, and no registers are left to show', async () => {
    await pg.page.setViewportSize({ width: 1280, height: 800 });
    await press('run');
    await pg.page.waitForFunction(() => document.getElementById('exit-status')?.textContent !== '—', undefined, { timeout: 60_000 });
    expect(await text('#stdout')).toContain('= 600');
    const values = await pg.page.locator('#percpu td[data-cell^="counts["]').allInnerTexts();
    expect(values.length).toBe(2);
    expect(values.reduce((sum, v) => sum + Number(v), 0)).toBe(600);
    expect(await pg.page.isHidden('#registers')).toBe(true);
    expect(await pg.page.isVisible('#registers-none')).toBe(true);
  });

  it('says plainly when a program has no per-CPU data described', async () => {
    await pg.page.selectOption('#program', 'hello');
    await pg.page.waitForFunction(() => document.getElementById('percpu')?.textContent?.includes('No per-CPU data is described for hello'));
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
