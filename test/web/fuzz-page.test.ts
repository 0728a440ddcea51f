// Issue #13 item 6 on the page, in headless Chromium: fuzz in Web Workers
// (the progress bar advances, Stop stops, the page answers meanwhile; one
// worker and two find Node's failure with Node's coverage; a kernel
// differential shows Node's difference and opens under the failing
// kernel; Stop during the shrink opens a schedule not fully shrunk), a
// failure opens in the stepper before its first injected event and runs
// to the fuzzer's end (the trace hash of the Runner in Node), a replay file
// the CLI wrote opens the same way (chosen from the keyboard), a corrupt
// one is refused and changes nothing, and a copied link opens the same run
// in a fresh page.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { fuzz } from '../../fuzz/campaign.js';
import { judge } from '../../fuzz/judge.js';
import { Runner } from '../../fuzz/runner.js';
import { decodeSchedule } from '../../fuzz/schedule.js';
import { fuzzTargetOf } from '../../web/scheduled-run.js';
import { Session } from '../../web/session.js';
import { openedPlayground, pageActions, root } from './browser.js';

const bytes = async (name: string) => new Uint8Array(await readFile(join(root, 'build', 'programs', name)));

/** What Node says about a schedule of a program: where the page's stepper should stop, and how the run ends. */
async function expectedRun(name: string, args: string[], code: string) {
  const target = fuzzTargetOf(name, await bytes(name), { args, cpus: 2, kernel: 'current', debugRseq: false });
  const schedule = decodeSchedule(code);
  const opened = Session.fromSchedule(await createCpu(), name, target, schedule).view();
  const outcome = Runner.create(target, await createCpu()).run(schedule);
  return { opened, outcome };
}

/** Chooses the program and its arguments in the form. */
async function choose(page: Page, name: string, args: string): Promise<void> {
  await page.selectOption('#program', name);
  await page.fill('#args', args);
}

describe('fuzzing, replay files and links (the page)', () => {
  const pg = openedPlayground();
  const { text, press, retiredIs } = pageActions(() => pg.page);

  it('fuzzes a correct program in a worker: the progress bar advances, the page answers, Stop stops', async () => {
    const page = pg.page;
    await choose(page, 'rseq_counter', '2 300');
    await page.fill('#fuzz-schedules', '100000');
    await press('fuzz-start');
    await page.waitForFunction(() => (document.getElementById('fuzz-progress') as HTMLProgressElement).value >= 4, undefined, { timeout: 60_000 });
    const first = await page.$eval('#fuzz-progress', (p) => (p as HTMLProgressElement).value);
    // The page answers while the worker runs: a round trip takes far less than a block of schedules.
    const t0 = Date.now();
    await page.evaluate(() => document.title);
    expect(Date.now() - t0).toBeLessThan(500);
    await page.waitForFunction((was) => (document.getElementById('fuzz-progress') as HTMLProgressElement).value > was, first, { timeout: 60_000 });
    expect(await text('#fuzz-status')).toMatch(/^\d+ of 100000 schedules, 0 failures, [\d.]+ schedules\/s/);
    const shot = join(pg.playground.dir, 'playground-fuzz-progress.png');
    await page.locator('#fuzz').screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
    await press('fuzz-stop');
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.startsWith('Stopped'), undefined, { timeout: 30_000 });
    const status = await text('#fuzz-status');
    const ran = Number(/no failure in (\d+) schedules/.exec(status)![1]);
    expect(ran).toBeGreaterThan(first);
    expect(await page.$eval('#fuzz-progress', (p) => (p as HTMLProgressElement).value)).toBe(ran);
    console.log(`page fuzz rate (rseq_counter 2 300): ${status}`);
    expect(await page.locator('#failure').isHidden()).toBe(true);
    expect(await page.isEnabled('#fuzz-start')).toBe(true);
  });

  it('fuzzes a buggy program: the failure opens in the stepper before its event, and runs to the Runner\'s end', async () => {
    const page = pg.page;
    const name = 'rseq_bug_two_stores';
    const node = await fuzz({ target: fuzzTargetOf(name, await bytes(name), { args: [], cpus: 2, kernel: 'current', debugRseq: false }), seed: 1, schedules: 200, cpu: await createCpu() });
    const f = node.failure!;
    expect(f).toBeDefined();
    const { opened, outcome } = await expectedRun(name, [], f.schedule);

    await choose(page, name, '');
    await page.fill('#fuzz-seed', '1');
    await page.fill('#fuzz-schedules', '200');
    await press('fuzz-start');
    await page.waitForSelector('#failure:not([hidden])', { timeout: 60_000 });
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.includes('Opened in the stepper'), undefined, { timeout: 60_000 });
    expect(await text('#fuzz-status')).toContain(`Failure at schedule ${f.k} of seed 1 after ${node.schedules} schedules`);
    expect(await page.$eval('#fuzz-progress', (p) => (p as HTMLProgressElement).value)).toBe(node.schedules);
    expect(await text('#failure-schedule')).toBe(f.schedule);
    expect(await text('#failure-summary')).toBe(f.summary);
    expect(await text('#failure-explanation')).toContain(f.explanation[1]);

    // The stepper: stopped where Node's Session stops, the event still to come.
    await retiredIs(opened.retired);
    expect(await text('#trace-hash')).toBe(opened.traceHash);
    expect(await text('#failure-pending')).toContain('preempt at 0x');
    expect(await page.locator('#events li.inject').count()).toBe(0);

    await press('run-to-injection');
    await page.waitForSelector('#events li.inject');
    expect(await text('#events li.inject')).toContain(outcome.fired[0].what);
    expect(await page.isDisabled('#run-to-injection')).toBe(true);
    const shot = join(pg.playground.dir, 'playground-fuzz-failure.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);

    await press('run');
    await retiredIs(outcome.retired);
    expect(await text('#trace-hash')).toBe(outcome.traceHash);
    expect(await text('#exit-status')).toBe(String(outcome.exitCode));
  });

  it('one worker and two find the same failure with the same coverage, and Node\'s', async () => {
    const page = pg.page;
    const name = 'rseq_bug_no_cpu_check';
    const node = await fuzz({ target: fuzzTargetOf(name, await bytes(name), { args: ['4', '500'], cpus: 2, kernel: 'current', debugRseq: false }), seed: 3, schedules: 300, cpu: await createCpu() });
    expect(node.failure).toBeDefined();
    // Headless Chromium here has 2 cores: the form's default is min(cores, 4).
    expect(await page.inputValue('#fuzz-workers')).toBe(String(Math.min(await page.evaluate(() => navigator.hardwareConcurrency), 4)));
    await choose(page, name, '4 500');
    await page.fill('#fuzz-seed', '3');
    await page.fill('#fuzz-schedules', '300');
    const seen: Record<string, string>[] = [];
    for (const workers of ['1', '2']) {
      await page.fill('#fuzz-workers', workers);
      await page.evaluate(() => { delete document.getElementById('fuzz-status')!.dataset.ms; });
      await press('fuzz-start');
      await page.waitForFunction(() => document.getElementById('fuzz-status')!.dataset.ms !== undefined, undefined, { timeout: 120_000 });
      const d = await page.$eval('#fuzz-status', (e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);
      expect(d.workers).toBe(workers);
      expect(await text('#fuzz-status')).toContain(`Failure at schedule ${node.failure!.k} of seed 3 after ${node.schedules} schedules in`);
      expect(await text('#fuzz-status')).toContain(`on ${workers} worker`);
      expect(await text('#failure-schedule')).toBe(node.failure!.schedule);
      seen.push({ failure: d.failure, schedules: d.schedules, covered: d.covered });
    }
    const want = { failure: String(node.failure!.k), schedules: String(node.schedules), covered: String(node.coverage.covered) };
    expect(seen).toEqual([want, want]);
  });

  it('opens a replay file the CLI wrote, chosen from the keyboard', async () => {
    const page = pg.page;
    const out = mkdtempSync(join(pg.playground.dir, 'replay-'));
    const cli = spawnSync(process.execPath, [join(root, 'bin', 'rseqlab.mjs'), 'fuzz', '--seed', '1', '--schedules', '200', '--jobs', '1', '--out', out, join(root, 'build', 'programs', 'rseq_bug_no_cpu_check'), '4', '500'], { encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(1);
    const file = join(out, readdirSync(out).find((f) => f.endsWith('.replay.json'))!);
    const replay = JSON.parse(await readFile(file, 'utf8')) as { schedule: string; expect: { summary: string } };
    const { opened, outcome } = await expectedRun('rseq_bug_no_cpu_check', ['4', '500'], replay.schedule);

    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), press('replay-file')]);
    await chooser.setFiles(file);
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.startsWith('Opened rseq_bug_no_cpu_check'), undefined, { timeout: 30_000 });
    await retiredIs(opened.retired);
    expect(await page.inputValue('#program')).toBe('rseq_bug_no_cpu_check');
    expect(await page.inputValue('#args')).toBe('4 500');
    expect(await text('#failure-schedule')).toBe(replay.schedule);
    // The explanation comes from the worker's run of the schedule (what `rseqlab replay` prints).
    await page.waitForFunction(() => (document.getElementById('failure-explanation')?.children.length ?? 0) > 0, undefined, { timeout: 30_000 });
    expect(await text('#failure-summary')).toBe(replay.expect.summary);
    expect(await text('#failure-explanation')).toContain('preempt after');

    await press('run');
    await retiredIs(outcome.retired);
    expect(await text('#trace-hash')).toBe(outcome.traceHash);
  });

  it('refuses a corrupt replay file with a clear error and keeps the run in the stepper', async () => {
    const page = pg.page;
    const before = { retired: await text('#retired'), hash: await text('#trace-hash'), program: await page.inputValue('#program') };
    await page.setInputFiles('#replay-file', { name: 'broken.replay.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "rseqlab-replay", "version": 1, "program": ') });
    await page.waitForSelector('#fuzz-error:not([hidden])');
    expect(await text('#fuzz-error')).toMatch(/^This is not a replay file rseqlab can open: not JSON .*Nothing was changed\.$/);
    expect(await text('#retired')).toBe(before.retired);
    expect(await text('#trace-hash')).toBe(before.hash);
    expect(await page.inputValue('#program')).toBe(before.program);
    const shot = join(pg.playground.dir, 'playground-replay-error.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('copies a link that opens the same run in a fresh page', async () => {
    const page = pg.page;
    // The run in the stepper is the CLI's replay of rseq_bug_no_cpu_check (from the test before last).
    const schedule = await text('#failure-schedule');
    const { outcome } = await expectedRun('rseq_bug_no_cpu_check', ['4', '500'], schedule);
    await press('copy-link');
    await page.waitForSelector('#share-url:not([hidden])');
    const link = await page.inputValue('#share-url');
    expect(link).toContain('#program=rseq_bug_no_cpu_check&arg=4&arg=500&');
    expect(decodeURIComponent(link)).toContain(`schedule=${schedule}`);

    const fresh = await page.context().browser()!.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    fresh.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    fresh.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    try {
      await fresh.goto(link);
      await fresh.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      const other = pageActions(() => fresh);
      expect(await fresh.inputValue('#program')).toBe('rseq_bug_no_cpu_check');
      expect(await other.text('#failure-schedule')).toBe(schedule);
      // The worker's run of the linked schedule (its explanation) ends with Node's trace hash, and so does the stepper's.
      await fresh.waitForFunction(() => document.getElementById('failure-explanation')?.textContent?.includes('trace hash of the whole run'), undefined, { timeout: 30_000 });
      expect(await other.text('#failure-explanation')).toContain(`trace hash of the whole run: ${outcome.traceHash}`);
      await other.press('run');
      await other.retiredIs(outcome.retired);
      expect(await other.text('#trace-hash')).toBe(outcome.traceHash);
      const shot = join(pg.playground.dir, 'playground-link.png');
      await fresh.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);

      // A link without a schedule is the form's choices; a new hash in the same page opens it too.
      const plain = Session.create(await createCpu(), { name: 'rseq_counter', program: await bytes('rseq_counter'), args: '2 300', seed: 3, cpus: 3, kernel: '6.19' });
      plain.runToEnd();
      await fresh.goto(new URL('#program=rseq_counter&arg=2&arg=300&seed=3&cpus=3&kernel=6.19', link).href);
      await fresh.waitForFunction(() => (document.getElementById('cpus') as HTMLInputElement).value === '3' && document.getElementById('retired')?.textContent === '0');
      expect(await fresh.inputValue('#program')).toBe('rseq_counter');
      expect(await fresh.inputValue('#kernel')).toBe('6.19');
      expect(await fresh.inputValue('#seed')).toBe('3');
      await other.press('run');
      await other.retiredIs(plain.view().retired);
      expect(await other.text('#trace-hash')).toBe(plain.view().traceHash);

      // A link to a program the page does not have says so and changes nothing.
      await fresh.goto(new URL('#program=no_such_program&seed=3', link).href);
      await fresh.waitForSelector('#fuzz-error:not([hidden])');
      expect(await other.text('#fuzz-error')).toContain('the page has no program of that name');
      expect(await fresh.inputValue('#program')).toBe('rseq_counter');
      expect(await other.text('#trace-hash')).toBe(plain.view().traceHash);
      expect(errors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('a kernel differential (4.18 in the form, 7.0 ticked): the finding as the CLI shows it, opened under the kernel where it fails', async () => {
    const page = pg.page;
    const name = 'rseq_bug_two_stores';
    const target = fuzzTargetOf(name, await bytes(name), { args: [], cpus: 2, kernel: '4.18', debugRseq: false });
    const node = await fuzz({ target, kernels: ['4.18', '7.0'], seed: 1, schedules: 100, cpu: await createCpu(), newCpu: () => createCpu() });
    const f = node.failure!;
    // 4.18 passes the schedule, 7.0 fails it: the failure is 7.0's, and the stepper opens under 7.0.
    expect(f.difference).toMatch(/^4\.18: passes: exited with status 0; 7\.0: fails: exited with status 1/);
    expect(f.kernel).toBe('7.0');
    expect(f.k).toBeGreaterThanOrEqual(0);
    const under = { ...target, kernel: '7.0' as const };
    const schedule = decodeSchedule(f.schedule);
    const opened = Session.fromSchedule(await createCpu(), name, under, schedule).view();
    const outcome = Runner.create(under, await createCpu()).run(schedule);

    await choose(page, name, '');
    await page.selectOption('#kernel', '4.18');
    await page.fill('#fuzz-seed', '1');
    await page.fill('#fuzz-schedules', '100');
    // Ticked from the keyboard.
    await page.focus('#fuzz-kernels input[value="7.0"]');
    await page.keyboard.press('Space');
    expect(await page.isChecked('#fuzz-kernels input[value="7.0"]')).toBe(true);
    await press('fuzz-start');
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.includes('Opened in the stepper'), undefined, { timeout: 120_000 });
    const status = await text('#fuzz-status');
    expect(status).toContain(`Failure at schedule ${f.k} of seed 1 after ${node.schedules} schedules in`);
    expect(status).toContain('under each of kernels 4.18, 7.0');
    expect(status).toContain(`covered ${node.coverage.covered} of ${node.coverage.coverable} points. Opened in the stepper under kernel 7.0.`);
    expect(await text('#failure-difference')).toBe(`Kernels differ: ${f.difference}`);
    expect(await text('#failure-summary')).toBe(f.summary);
    expect(await text('#failure-schedule')).toBe(f.schedule);
    expect(await text('#failure-explanation')).toContain('the kernel profiles disagree on this schedule');
    expect(await page.getAttribute('#failure-download', 'download')).toBe(`${name}.seed1.k${f.k}.kernel7.0.replay.json`);
    // The stepper: under 7.0, stopped where Node's Session stops, and Run ends as 7.0's Runner does.
    expect(await page.inputValue('#kernel')).toBe('7.0');
    await retiredIs(opened.retired);
    await press('run');
    await retiredIs(outcome.retired);
    expect(await text('#trace-hash')).toBe(outcome.traceHash);
    expect(await text('#exit-status')).toBe('1');

    // Untick it: the next campaign is under the form's kernel alone, and the difference line goes.
    await page.focus('#fuzz-kernels input[value="7.0"]');
    await page.keyboard.press('Space');
    await page.fill('#fuzz-schedules', '8');
    await press('fuzz-start');
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.startsWith('Done'), undefined, { timeout: 60_000 });
    expect(await text('#fuzz-status')).not.toContain('under each of kernels');
    expect(await page.locator('#failure-difference').isHidden()).toBe(true);
    await page.selectOption('#kernel', 'current');
  });

  it('Stop while a failure is being shrunk: the smallest failing schedule found so far opens, marked not fully shrunk', async () => {
    const page = pg.page;
    const name = 'rseq_bug_no_cpu_check';
    // Long runs (100000 increments per thread), so the shrink takes seconds: time to press Stop during it.
    const args = ['4', '100000'];
    const target = fuzzTargetOf(name, await bytes(name), { args, cpus: 2, kernel: 'current', debugRseq: false });
    const node = await fuzz({ target, seed: 1, schedules: 100, cpu: await createCpu() });
    const full = node.failure!;
    expect(full.shrinkRuns).toBeGreaterThan(5);

    await choose(page, name, args.join(' '));
    await page.fill('#fuzz-seed', '1');
    await page.fill('#fuzz-schedules', '100');
    await press('fuzz-start');
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.includes('shrinking it'), undefined, { timeout: 120_000 });
    expect(await text('#fuzz-status')).toContain(`Schedule ${full.k} failed: shrinking it`);
    expect(await page.isEnabled('#fuzz-stop')).toBe(true);
    await press('fuzz-stop');
    expect(await text('#fuzz-status')).toContain('Stopping the shrink');
    await page.waitForFunction(() => document.getElementById('fuzz-status')?.textContent?.includes('Opened in the stepper'), undefined, { timeout: 120_000 });
    const status = await text('#fuzz-status');
    expect(status).toContain(`Failure at schedule ${full.k} of seed 1 after ${node.schedules} schedules in`);
    console.log(`page status after Stop during the shrink: ${status}`);
    const runs = Number(/Stop ended its shrink after (\d+) runs?/.exec(status)?.[1]);
    expect(runs).toBeLessThan(full.shrinkRuns);
    expect(status).toContain(`not fully shrunk (first: ${full.original})`);
    const shown = await text('#failure-schedule');
    expect(await text('#failure-summary')).toMatch(/ \(not fully shrunk\)$/);
    // What is shown still fails as the campaign's failure does, and the stepper runs it to the Runner's end.
    const outcome = Runner.create(target, await createCpu()).run(decodeSchedule(shown));
    expect(judge(outcome)?.class).toBe(judge(Runner.create(target, await createCpu()).run(decodeSchedule(full.original)))?.class);
    await press('run');
    await retiredIs(outcome.retired);
    expect(await text('#trace-hash')).toBe(outcome.traceHash);
    expect(await page.isEnabled('#fuzz-start')).toBe(true);
    expect(await page.isDisabled('#fuzz-stop')).toBe(true);
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
