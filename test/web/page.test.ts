// The playground end to end (test/web/browser.ts builds, serves and opens
// it in headless Chromium). What the page shows is
// checked against the same program run here in Node: the same program,
// arguments, seed and vCPUs give the same trace hash in the browser as in
// Node.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disassembleOne } from '../../cli/disassemble.js';
import { createCpu } from '../../emulator/index.js';
import { Machine } from '../../kernel-model/machine.js';
import { openPlayground, root, type Playground } from './browser.js';

const PROGRAM = 'rseq_counter';
const ARGS = ['2', '300'];
const SEED = 1;
const CPUS = 2;

/** The program as the page starts it (web/session.ts: argv[0] is /programs/<name>). */
async function nodeMachine(seed = SEED): Promise<Machine> {
  const path = `/programs/${PROGRAM}`;
  return Machine.create({
    cpu: await createCpu(),
    program: new Uint8Array(await readFile(join(root, 'build', 'programs', PROGRAM))),
    path,
    argv: [path, ...ARGS],
    seed,
    cpus: CPUS,
  });
}

describe('the playground page', () => {
  let playground: Playground | undefined;
  let page: Page;
  let dir: string;
  let consoleErrors: string[];

  beforeAll(async () => {
    playground = await openPlayground();
    ({ page, dir, consoleErrors } = playground);
  });

  afterAll(async () => {
    await playground?.close();
  });

  const text = (selector: string) => page.locator(selector).innerText();
  const vcpuCell = (row: number, col: number) => text(`#vcpu-rows tr:nth-child(${row + 1}) td:nth-child(${col + 1})`);

  it('opens with rseq_counter 2 300, seed 1, 2 vCPUs, at the first instruction', async () => {
    expect(await page.inputValue('#program')).toBe(PROGRAM);
    expect(await page.inputValue('#args')).toBe('2 300');
    expect(await page.inputValue('#seed')).toBe('1');
    expect(await page.inputValue('#cpus')).toBe('2');
    expect(await page.locator('#program option').count()).toBeGreaterThan(10);
    expect(await text('#retired')).toBe('0');
    expect(await page.locator('#vcpu-rows tr').count()).toBe(CPUS);
    const node = await nodeMachine();
    expect(await vcpuCell(0, 2)).toBe('0x' + node.threads()[0].rip.toString(16));
    expect(await vcpuCell(1, 1)).toBe('idle');
  });

  it('steps one instruction at a time from the keyboard: the retired count, rip and instruction follow Node', async () => {
    const node = await nodeMachine();
    const rips: string[] = [];
    await page.focus('#step');
    for (let n = 1; n <= 3; n++) {
      await page.keyboard.press('Enter');
      await page.waitForFunction((want) => document.getElementById('retired')?.textContent === want, String(n));
      node.run({ maxInstructions: 1 });
      const rip = node.threads()[0].rip;
      expect(await vcpuCell(0, 1)).toBe(String(node.threads()[0].tid));
      expect(await vcpuCell(0, 2)).toBe('0x' + rip.toString(16));
      rips.push(await vcpuCell(0, 2));
      // capstone in the page and in Node agree on the instruction at rip.
      const want = await disassembleOne(node.readMemory(Number(rip), 15), Number(rip));
      expect(want).toBeDefined();
      await page.waitForFunction((t) => document.querySelector('#vcpu-rows tr td:nth-child(5)')?.textContent === t, want!.text);
      expect(await vcpuCell(0, 3)).toBe(node.symbols.describe(Number(rip)));
      expect(await text('#trace-hash')).toBe(node.traceHash);
    }
    expect(new Set(rips).size).toBe(3);
    expect(await text('#exit-status')).toBe('—');
    const shot = join(dir, 'playground-stepped.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('runs rseq_counter 2 300 to the end with the trace hash of the same run in Node', async () => {
    const node = await nodeMachine();
    const r = node.run({ maxInstructions: 2e9 });
    expect(r.kind).toBe('exited');
    await page.click('#reset');
    await page.waitForFunction(() => document.getElementById('retired')?.textContent === '0');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('exit-status')?.textContent !== '—', undefined, { timeout: 60_000 });
    expect(await text('#stdout')).toContain('rseq_counter: 2 threads x 300 increments = 600');
    expect(await text('#exit-status')).toBe('0');
    expect(await text('#status')).toBe('Exited with status 0.');
    expect(await text('#retired')).toBe(String(r.retired));
    expect(await text('#trace-hash')).toBe(r.traceHash);
    expect(await page.isDisabled('#step')).toBe(true);
    const shot = join(dir, 'playground-1280x800.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('takes the seed from its field: seed 2 gives the hash Node gives for seed 2', async () => {
    const one = (await nodeMachine()).run({ maxInstructions: 2e9 });
    const two = (await nodeMachine(2)).run({ maxInstructions: 2e9 });
    expect(two.traceHash).not.toBe(one.traceHash);
    await page.fill('#seed', '2');
    await page.waitForFunction(() => document.getElementById('retired')?.textContent === '0');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('exit-status')?.textContent !== '—', undefined, { timeout: 60_000 });
    expect(await text('#exit-status')).toBe('0');
    expect(await text('#trace-hash')).toBe(two.traceHash);
  });

  it('says what is wrong with a field instead of running', async () => {
    await page.fill('#cpus', '0');
    await page.waitForSelector('#error:not([hidden])');
    expect(await text('#error')).toBe("vCPUs must be a whole number from 1 to 64, not '0'");
    await page.click('#step');
    expect(await text('#retired')).toBe('0');
    await page.fill('#cpus', '2');
    await page.waitForSelector('#error', { state: 'hidden' });
    await page.waitForSelector('#vcpu-rows tr:nth-child(2)');
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const shot = join(dir, 'playground-390.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
