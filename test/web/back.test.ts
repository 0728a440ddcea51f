// Stepping back (issue #13, third slice): the Session snapshots the machine
// before each action, and back() restores exactly the earlier state, so a
// user can rewind and try another choice. Also the timeline it draws from.

import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT } from '../../web/session.js';
import { nodeSession, shown } from './node-session.js';

describe('Session.back', () => {
  it('after N steps and N backs, shows exactly what it showed before each step', async () => {
    const s = await nodeSession();
    s.runToSection();
    const seen = [shown(s)];
    for (let i = 0; i < 5; i++) {
      s.step();
      seen.push(shown(s));
    }
    expect(seen[5].retired).toBe(seen[0].retired + 5);
    for (let i = 4; i >= 0; i--) {
      expect(s.back()).toBe(true);
      expect(shown(s)).toEqual(seen[i]);
    }
  });

  it('undoes an injection: the abort leaves the log and the timeline', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.stepThread(tid);
    const before = shown(s);
    s.injectHere(tid, { kind: 'preempt' });
    expect(s.view().events.some((e) => e.what === 'abort')).toBe(true);
    expect(s.timeline().marks.map((m) => m.what)).toEqual(['inject', 'abort']);
    s.back();
    expect(shown(s)).toEqual(before);
    expect(s.timeline().marks).toEqual([]);
  });

  it('the same choice after Back gives the same trace hash; another choice another outcome', async () => {
    const s = await nodeSession();
    const tid = s.runToSection()!;
    s.stepThread(tid);
    s.injectHere(tid, { kind: 'preempt' });
    s.runToEnd();
    const first = shown(s);
    s.back();
    s.back();
    s.injectHere(tid, { kind: 'preempt' });
    s.runToEnd();
    expect(shown(s).traceHash).toBe(first.traceHash);
    expect(shown(s).events).toEqual(first.events);
    // Back to before the preemption, one more instruction, then preempt: another abort point.
    s.back();
    s.back();
    s.stepThread(tid);
    s.injectHere(tid, { kind: 'preempt' });
    const abort = s.view().events.find((e) => e.what === 'abort');
    expect(abort).toBeDefined();
    expect(abort!.detail).not.toBe(first.events.find((e) => e.what === 'abort')!.detail);
    s.runToEnd();
    expect(s.view().traceHash).not.toBe(first.traceHash);
  });

  it('back() with nothing to undo returns false; the history keeps at most HISTORY_LIMIT snapshots', async () => {
    const s = await nodeSession();
    expect(s.back()).toBe(false);
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) s.step();
    expect(s.backSteps).toBe(HISTORY_LIMIT);
    const retired = s.view().retired;
    while (s.back());
    expect(s.view().retired).toBe(retired - HISTORY_LIMIT);
    s.dispose();
  });
});

describe('Session.timeline', () => {
  it('has run segments on every vCPU that ran, merged, inside the vCPU clocks', async () => {
    const s = await nodeSession();
    s.runToEnd();
    const tl = s.timeline();
    expect(tl.cpus).toBe(2);
    expect(new Set(tl.segments.map((x) => x.cpu)).size).toBe(2);
    const total = tl.segments.reduce((n, x) => n + x.to - x.from, 0);
    expect(total).toBe(s.view().retired);
    for (const x of tl.segments) expect(x.to).toBeLessThanOrEqual(tl.end);
  });
});
