// The page's run controls from the keyboard: Run that pauses and goes on
// (the page paints in between, the trace stays Node's), Forward after Back,
// a click on the timeline going back to that moment, "run to the end of the
// critical section", and a program of the user's own (file picker or drop).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openedPlayground, pageActions, root } from './browser.js';
import { nodeSession } from './node-session.js';

describe('Run controls, the timeline jump and your own program (the page)', () => {
  const pg = openedPlayground();
  const { text, retiredIs } = pageActions(() => pg.page);
  const exited = () => pg.page.waitForFunction(() => document.getElementById('exit-status')?.textContent !== '—', undefined, { timeout: 120_000 });

  it('r runs, r again pauses part way, r goes on: the end is Node\'s run to end, trace hash included', async () => {
    const args = '2 1000000';
    const node = (await nodeSession({ args })).runToEnd();
    await pg.page.fill('#args', args);
    await retiredIs(0);
    await pg.page.focus('#step');
    await pg.page.keyboard.press('r');
    await pg.page.waitForFunction(() => document.getElementById('run')?.textContent === 'Pause');
    // The page paints between slices of the run: the count moves while it runs.
    await pg.page.waitForFunction(() => Number(document.getElementById('retired')?.textContent) > 0);
    await pg.page.keyboard.press('r');
    await pg.page.waitForFunction(() => document.getElementById('run')?.textContent === 'Run');
    const paused = Number(await text('#retired'));
    expect(paused).toBeGreaterThan(0);
    expect(paused).toBeLessThan(node.retired);
    expect(await text('#status')).toBe('Paused: press Run or r to go on.');
    expect(await text('#exit-status')).toBe('—');
    await pg.page.keyboard.press('r');
    await exited();
    expect(await text('#retired')).toBe(String(node.retired));
    expect(await text('#trace-hash')).toBe(node.traceHash);
    expect(await text('#stdout')).toContain('2 threads x 1000000 increments = 2000000');
    // The pause and the rest are one action for Back.
    expect(await text('#back')).toBe('Back (1)');
  });

  it('a click on vCPU 0\'s lane half way goes back to that moment; f goes forward to the end again', async () => {
    const end = { retired: await text('#retired'), hash: await text('#trace-hash') };
    const lane = pg.page.locator('#timeline g.lane[data-cpu="0"] rect.hit-lane');
    await lane.scrollIntoViewIfNeeded();
    const box = (await lane.boundingBox())!;
    await pg.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await pg.page.waitForFunction((r) => document.getElementById('retired')?.textContent !== r, end.retired);
    const mid = Number(await text('#retired'));
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(Number(end.retired));
    expect(await text('#exit-status')).toBe('—');
    expect(await text('#forward')).toBe('Forward (1)');
    await pg.page.screenshot({ path: join(pg.playground.dir, 'playground-jumped.png'), fullPage: true });
    await pg.page.focus('#step');
    await pg.page.keyboard.press('f');
    await retiredIs(Number(end.retired));
    expect(await text('#trace-hash')).toBe(end.hash);
    expect(await text('#exit-status')).toBe('0');
  });

  it('n then e: the thread runs to the end of its critical section and the page says it committed', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.runToSectionEnd(tid);
    const want = s.view();
    await pg.page.fill('#args', '2 300');
    await retiredIs(0);
    await pg.page.focus('#step');
    expect(await pg.page.isDisabled('#run-to-section-end')).toBe(true);
    await pg.page.keyboard.press('n');
    await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
    await pg.page.keyboard.press('e');
    await retiredIs(want.retired);
    expect(await text('#trace-hash')).toBe(want.traceHash);
    expect(await text('#thread-outcome')).toBe(`Thread ${tid} left its section: it reached post_commit_ip (committed).`);
    expect(await pg.page.isDisabled('#run-to-section-end')).toBe(true);
  });

  it('zooms the timeline around the marks, in on a focused mark, earlier, and back to the whole run', async () => {
    await pg.page.click('#reset');
    await retiredIs(0);
    await pg.page.focus('#step');
    for (const key of ['n', 't', 'p', 'r']) await pg.page.keyboard.press(key);
    await exited();
    const ticks = async () => (await pg.page.locator('#timeline text.tick').allTextContents()).map((t) => Number(t.replace('t=', '')));
    const [from0, end] = await ticks();
    expect(from0).toBe(0);
    expect(await pg.page.locator('#timeline .mark').count()).toBe(2);
    const markT = Number(/at t=(\d+)/.exec((await pg.page.locator('#timeline .mark.abort').getAttribute('aria-label'))!)![1]);

    await pg.page.click('#zoom-marks');
    await pg.page.waitForFunction(() => document.querySelector('#timeline text.tick')?.textContent !== 't=0');
    const [from1, to1] = await ticks();
    expect(from1).toBeGreaterThan(0);
    expect(to1).toBeLessThan(end);
    expect(from1).toBeLessThanOrEqual(markT);
    expect(to1).toBeGreaterThanOrEqual(markT);
    expect(await pg.page.locator('#timeline .mark').count()).toBe(2);

    await pg.page.focus('#timeline .mark.abort');
    expect(await text('#timeline-info')).toContain(`rseq abort at t=${markT}`);
    await pg.page.click('#zoom-in');
    await pg.page.waitForFunction((f) => document.querySelector('#timeline text.tick')?.textContent !== f, `t=${from1}`);
    const [from2, to2] = await ticks();
    expect(to2 - from2).toBeLessThan(to1 - from1);
    expect(from2).toBeLessThanOrEqual(markT);
    expect(to2).toBeGreaterThanOrEqual(markT);
    await pg.page.screenshot({ path: join(pg.playground.dir, 'playground-timeline-zoomed.png'), fullPage: true });

    await pg.page.click('#zoom-earlier');
    await pg.page.waitForFunction((f) => document.querySelector('#timeline text.tick')?.textContent !== f, `t=${from2}`);
    const [from3, to3] = await ticks();
    expect(from3).toBeLessThan(from2);
    expect(to3 - from3).toBe(to2 - from2);

    await pg.page.click('#zoom-whole');
    await pg.page.waitForFunction(() => document.querySelector('#timeline text.tick')?.textContent === 't=0');
    expect(await ticks()).toEqual([0, end]);
  });

  it('m migrates the thread inside its section (abort), b undoes it, g sends SIGUSR1 there (no handler: the process dies, no fixup)', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.stepThread(tid);
    const cpu = s.view().threads.find((t) => t.tid === tid)!.cpu;
    s.injectHere(tid, { kind: 'migrate', cpu: 1 - cpu });
    const migrated = s.view();
    s.back();
    s.injectHere(tid, { kind: 'signal', sig: 10, scope: 'thread' });
    // rseq_counter has no handler: the default action kills the process before it returns to user space, so no abort.
    const signalled = s.view();
    const abortOf = (v: typeof migrated) => v.events.find((e) => e.what === 'abort')!.detail;
    expect(abortOf(migrated)).toMatch(/migrate/);
    expect(signalled).toMatchObject({ kind: 'killed', signal: 'SIGUSR1', ended: true });
    expect(signalled.events.some((e) => e.what === 'abort')).toBe(false);

    await pg.page.click('#reset');
    await retiredIs(0);
    await pg.page.focus('#step');
    await pg.page.keyboard.press('n');
    await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
    await pg.page.keyboard.press('t');
    await pg.page.fill('#migrate-cpu', String(1 - cpu));
    await pg.page.focus('#step');
    await pg.page.keyboard.press('m');
    await retiredIs(migrated.retired);
    expect(await text('#events li.abort')).toBe(`#${migrated.retired} thread ${tid}: abort: ${abortOf(migrated)}`);
    expect(await text('#trace-hash')).toBe(migrated.traceHash);
    expect(await pg.page.inputValue('#thread')).toBe(String(tid));
    expect(await pg.page.locator('#thread option:checked').innerText()).toContain(`on vCPU ${1 - cpu}`);

    await pg.page.keyboard.press('b');
    await pg.page.waitForFunction(() => !document.querySelector('#events li.abort'));
    expect(await pg.page.inputValue('#signal-number')).toBe('10');
    await pg.page.keyboard.press('g');
    await exited();
    expect(await text('#retired')).toBe(String(signalled.retired));
    expect(await text('#status')).toMatch(/^Killed by SIGUSR1 \(exit status 138\)/);
    expect(await text('#trace-hash')).toBe(signalled.traceHash);
    expect(await pg.page.locator('#events li.abort').count()).toBe(0);
    await pg.page.screenshot({ path: join(pg.playground.dir, 'playground-signal.png'), fullPage: true });
  });

  it('g on a program with a SIGUSR1 handler (rseq_signal): the signal inside the section aborts it, then the handler runs', async () => {
    const s = await nodeSession({ name: 'rseq_signal', args: '5' });
    const tid = s.runToSection()!;
    s.stepThread(tid);
    s.injectHere(tid, { kind: 'signal', sig: 10, scope: 'thread' });
    const signalled = s.view();
    const abort = signalled.events.find((e) => e.what === 'abort' && e.tid === tid)!;
    expect(abort.detail).toMatch(/signal/);
    const end = s.runToEnd();
    expect(end.kind).toBe('exited');

    await pg.page.selectOption('#program', 'rseq_signal');
    await pg.page.fill('#args', '5');
    await retiredIs(0);
    await pg.page.focus('#step');
    await pg.page.keyboard.press('n');
    await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');
    expect(await pg.page.inputValue('#thread')).toBe(String(tid));
    await pg.page.keyboard.press('t');
    await pg.page.keyboard.press('g');
    await retiredIs(signalled.retired);
    expect(await text('#events li.abort')).toBe(`#${abort.retired} thread ${tid}: abort: ${abort.detail}`);
    expect(await text('#trace-hash')).toBe(signalled.traceHash);
    await pg.page.keyboard.press('r');
    await exited();
    expect(await text('#exit-status')).toBe('0');
    expect(await text('#trace-hash')).toBe(end.traceHash);
  });

  it('runs a program you pick from disk, and one you drop on the page', async () => {
    const hello = join(root, 'build', 'programs', 'hello');
    await pg.page.setInputFiles('#own-elf', hello);
    await pg.page.waitForFunction(() => (document.getElementById('program') as HTMLSelectElement).value === 'own:hello');
    expect(await pg.page.locator('#program option:checked').innerText()).toMatch(/^hello \(yours, \d+ bytes\)$/);
    await retiredIs(0);
    await pg.page.click('#run');
    await exited();
    expect(await text('#stdout')).toBe('Hello from rseqlab!\n');

    // Dropped: a file that is not an ELF gets the loader's error, and the page goes on.
    await pg.page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([1, 2, 3, 4])], 'notes.txt'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await pg.page.waitForSelector('#error:not([hidden])');
    expect(await text('#error')).toMatch(/ELF/);
    const bytes = [...new Uint8Array(await readFile(hello))];
    await pg.page.evaluate((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'hello2'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await pg.page.waitForFunction(() => (document.getElementById('program') as HTMLSelectElement).value === 'own:hello2');
    await pg.page.waitForSelector('#error', { state: 'hidden' });
    await pg.page.click('#run');
    await exited();
    expect(await text('#stdout')).toBe('Hello from rseqlab!\n');
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
