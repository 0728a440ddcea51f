// Forward after Back, a run that pauses and goes on, a jump to a point of
// the timeline, and "run to the end of the critical section": the Session
// keeps each action as data and plays it again on the deterministic
// machine, so each of these lands exactly where the straight run does.

import { describe, expect, it } from 'vitest';
import { nodeSession, shown } from './node-session.js';

describe('Session.forward', () => {
  it('plays undone actions again to exactly the same state, injection and abort included', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.stepThread(tid);
    s.injectHere(tid, { kind: 'preempt' });
    s.step();
    const end = shown(s);
    expect(end.events.some((e) => e.what === 'abort')).toBe(true);
    for (let i = 0; i < 4; i++) expect(s.back()).toBe(true);
    expect(s.forwardSteps).toBe(4);
    for (let i = 0; i < 4; i++) expect(s.forward()).toBe(true);
    expect(s.forward()).toBe(false);
    expect(shown(s)).toEqual(end);
  });

  it('a new action drops what Forward could play', async () => {
    const s = await nodeSession();
    s.step();
    s.back();
    expect(s.forwardSteps).toBe(1);
    s.step();
    expect(s.forwardSteps).toBe(0);
  });
});

describe('Session.run with a pause', () => {
  it('paused every few scheduling points and run on, ends with the uninterrupted run\'s trace hash', async () => {
    const whole = (await nodeSession()).runToEnd();
    const s = await nodeSession();
    let asks = 0;
    let pauses = 0;
    while (s.run(() => ++asks % 5 === 0).kind === 'paused') pauses++;
    expect(pauses).toBeGreaterThan(5);
    expect(s.view()).toMatchObject({ kind: 'exited', exitCode: 0, retired: whole.retired, traceHash: whole.traceHash });
    expect(s.view().stdout).toBe(new TextDecoder().decode(whole.stdout));
    // The pauses are one action: Back returns to the start.
    expect(s.backSteps).toBe(1);
    s.back();
    expect(s.view().retired).toBe(0);
  });
});

describe('Session.jumpTo', () => {
  it('goes to the first scheduling point at a time of the timeline, and Forward returns to the end', async () => {
    const s = await nodeSession();
    s.runToEnd();
    const end = shown(s);
    const t = Math.floor(end.timeline.end / 2);
    expect(s.jumpTo(0, t)).toBe(true);
    const mid = shown(s);
    expect(mid.retired).toBeGreaterThan(0);
    expect(mid.retired).toBeLessThan(end.retired);
    // vCPU 0's lane now ends at t or just after it (a quantum is never cut).
    const lane0 = Math.max(...mid.timeline.segments.filter((g) => g.cpu === 0).map((g) => g.to));
    expect(lane0).toBeGreaterThanOrEqual(t);
    expect(lane0 - t).toBeLessThan(20_000);
    expect(s.forward()).toBe(true);
    expect(shown(s)).toEqual(end);
  });

  it('into an earlier action, undoes the later ones and keeps them for Forward', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    const atSection = shown(s);
    s.injectHere(tid, { kind: 'preempt' });
    s.runToEnd();
    const end = shown(s);
    const cpu = atSection.threads.find((x) => x.tid === tid)!.cpu;
    const t = Math.floor(Math.max(...atSection.timeline.segments.filter((g) => g.cpu === cpu).map((g) => g.to)) / 2);
    expect(s.jumpTo(cpu, t)).toBe(true);
    expect(shown(s).retired).toBeLessThan(atSection.retired);
    expect(s.forwardSteps).toBe(3);
    while (s.forward());
    expect(shown(s)).toEqual(end);
  });
});

describe('Session.runToSectionEnd', () => {
  it('runs a thread out of its section: to post_commit_ip, or to abort_ip when the kernel aborts it', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    const section = s.sectionAt(tid)!;
    expect(s.runToSectionEnd(tid)).toBe('committed');
    expect(s.view().threads.find((t) => t.tid === tid)!.rip).toBe(BigInt(section.postCommit));
    expect(() => s.runToSectionEnd(tid)).toThrow(/not in a critical section/);

    const again = s.runToSection(tid)!;
    s.stepThread(again);
    // A preemption one instruction later, before the commit: the kernel moves it to abort_ip.
    const count = s.view().threads.find((t) => t.tid === again)!.instructions;
    s.machine.inject({ action: { kind: 'preempt' }, at: { kind: 'instructions', tid: again, count: count + 1 } });
    expect(s.runToSectionEnd(again)).toBe('aborted');
    expect(s.view().threads.find((t) => t.tid === again)!.rip).toBe(BigInt(section.abort));
  });
});
