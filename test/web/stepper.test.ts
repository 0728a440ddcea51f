// The heart of issue #13: run to a critical section, step into it, preempt
// the thread there and watch the kernel move it to the abort handler. The
// same steps on a Session in Node and on the page in headless Chromium
// (test/web/browser.ts) give the same event, rip and trace hash.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Session, sectionRole } from '../../web/session.js';
import { openedPlayground, pageActions, root } from './browser.js';

const hex = (n: number | bigint) => '0x' + n.toString(16);

async function nodeSession(): Promise<Session> {
  const program = new Uint8Array(await readFile(join(root, 'build', 'programs', 'rseq_counter')));
  return Session.create(await createCpu(), { name: 'rseq_counter', program, args: '2 300', seed: 1, cpus: 2 });
}

/** The field's value in a thread's rseq view. */
function field(s: Session, tid: number, name: string): string | undefined {
  return s.view().threads.find((t) => t.tid === tid)?.rseq?.fields.find((f) => f.name === name)?.value;
}

/** The steps both sides take, in Node: where the thread was and what happened. */
async function preemptInSection() {
  const s = await nodeSession();
  const tid = s.runToSection();
  expect(tid).toBeDefined();
  const section = s.machine.criticalSections[0];
  const atStart = s.view();
  expect(atStart.threads.find((t) => t.tid === tid)!.rip).toBe(BigInt(section.start));
  s.stepThread(tid!);
  const inside = s.view();
  const thread = inside.threads.find((t) => t.tid === tid)!;
  expect(thread.section).toBe(section);
  expect(Number(thread.rip)).toBeGreaterThan(section.start);
  const rseqCs = field(s, tid!, 'rseq_cs');
  expect(rseqCs).toBe(hex(section.descriptorAddress));
  const abortIp = field(s, tid!, 'rseq_cs.abort_ip');
  expect(abortIp).toBe(hex(section.abort));
  s.injectHere(tid!, { kind: 'preempt' });
  const after = s.view();
  const abort = after.events.find((e) => e.what === 'abort' && e.tid === tid);
  expect(abort?.detail).toContain(`abort from ${hex(thread.rip)} to ${abortIp}`);
  expect(hex(after.threads.find((t) => t.tid === tid)!.rip)).toBe(abortIp);
  expect(field(s, tid!, 'rseq_cs')).toBe('0x0');
  return { tid: tid!, atStart, inside, insideRip: thread.rip, rseqCs, abortIp: abortIp!, abort: abort!, after };
}

describe('preempting a thread inside a critical section (Session, in Node)', () => {
  it('moves the thread to the abort handler its descriptor names, and the log says so', async () => {
    const r = await preemptInSection();
    expect(r.abort.detail).toMatch(/\(preempt\)/);
    const inject = r.after.events.find((e) => e.what === 'inject');
    expect(inject?.tid).toBe(r.tid);
  });

  it('a migration at the same instruction aborts too, and the thread lands on the vCPU asked for', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.stepThread(tid);
    const cpu = s.view().threads.find((t) => t.tid === tid)!.cpu === 0 ? 1 : 0;
    s.injectHere(tid, { kind: 'migrate', cpu });
    const v = s.view();
    expect(v.events.find((e) => e.what === 'abort' && e.tid === tid)?.detail).toMatch(/\(.*migrate.*\)/);
    const t = v.threads.find((x) => x.tid === tid)!;
    expect(t.cpu).toBe(cpu);
    expect(t.rip).toBe(BigInt(s.machine.criticalSections[0].abort));
  });

  it('names each instruction of a section by its role: start, inside, commit, abort handler', async () => {
    const s = await nodeSession();
    const cs = s.machine.criticalSections[0];
    expect(sectionRole([cs], cs.start, 2)).toBe('start');
    expect(sectionRole([cs], cs.start + 2, 2)).toBe('inside');
    expect(sectionRole([cs], cs.postCommit - 3, 3)).toBe('commit');
    expect(sectionRole([cs], cs.abort, 4)).toBe('abort');
    expect(sectionRole([cs], cs.postCommit, 4)).toBe('post-commit');
    expect(sectionRole([cs], cs.start - 1, 1)).toBeUndefined();
  });
});

describe('preempting a thread inside a critical section (the page)', () => {
  const pg = openedPlayground();

  const { text, retiredIs, press } = pageActions(() => pg.page);

  it('runs to the section, steps into it, preempts, and shows the abort', async () => {
    const r = await preemptInSection();
    await press('run-to-section');
    await retiredIs(r.atStart.retired);
    expect(await pg.page.inputValue('#thread')).toBe(String(r.tid));
    await pg.page.waitForSelector('#code li[aria-current="true"][data-role="start"]');

    await press('step-thread');
    await retiredIs(r.inside.retired);
    expect(await text('#trace-hash')).toBe(r.inside.traceHash);
    expect(await text('#rseq-fields dd[data-field="rseq_cs"]')).toBe(r.rseqCs);
    expect(await text('#rseq-fields dd[data-field="rseq_cs.abort_ip"]')).toBe(r.abortIp);
    await pg.page.waitForSelector(`#code li[aria-current="true"][data-address="${hex(r.insideRip)}"]`);
    expect(await pg.page.getAttribute('#code li[aria-current="true"]', 'data-role')).toMatch(/^(inside|commit)$/);
    expect(await pg.page.locator('#code li[data-role]').count()).toBeGreaterThan(1);

    await press('preempt');
    await retiredIs(r.after.retired);
    await pg.page.waitForSelector('#events li.abort');
    expect(await text('#events li.abort')).toContain(r.abort.detail);
    expect(await text('#trace-hash')).toBe(r.after.traceHash);
    expect(await text('#rseq-fields dd[data-field="rseq_cs"]')).toBe('0x0');
    expect(await pg.page.getAttribute('#rseq-fields dd[data-field="rseq_cs"]', 'class')).toBe('changed');
    await pg.page.waitForSelector(`#code li[aria-current="true"][data-address="${r.abortIp}"][data-role="abort"]`);
    const shot = join(pg.playground.dir, 'playground-abort.png');
    await pg.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });

  it('logged no console errors', () => {
    expect(pg.playground.consoleErrors).toEqual([]);
  });
});
