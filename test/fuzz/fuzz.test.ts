// The fuzzer (fuzz/) on the rseq corpus: every known-buggy program is
// found with the default budget and its shrunk failure replays exactly;
// (the correct programs' campaigns are in fuzz-correct.test.ts); the commit-not-last bug
// shrinks to one event on the instruction after the commit; schedule k
// depends only on (seed, k).
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { fuzz, type FuzzOptions } from '../../fuzz/campaign.js';
import { judge } from '../../fuzz/judge.js';
import { parseReplay, ReplayFormatError } from '../../fuzz/replay-file.js';
import { Runner } from '../../fuzz/runner.js';
import { decodeSchedule, encodeSchedule, ScheduleFormatError } from '../../fuzz/schedule.js';
import { BUGGY_PROGRAMS, fuzzTarget, instructions, sectionIn } from '../programs/rseq-machine.js';

async function campaign(name: string, args: string[], o: Partial<FuzzOptions> = {}) {
  return fuzz({ target: fuzzTarget(name, args), cpu: await createCpu(), seed: 1, ...o });
}

describe('schedules as text', () => {
  it('round-trips every event form', () => {
    const s = { seed: 0x2093bf7e, events: [
      { action: { kind: 'preempt' as const }, at: { kind: 'address' as const, address: 0x401985, hit: 743 } },
      { action: { kind: 'migrate' as const, cpu: 3 }, at: { kind: 'instructions' as const, tid: 1001, count: 8000 } },
      { action: { kind: 'signal' as const, sig: 10, scope: 'process' as const, ifHandled: true }, at: { kind: 'address' as const, address: 0x401000, hit: 1, tid: 1002 } },
    ] };
    const text = encodeSchedule(s);
    expect(text).toBe('s2093bf7e.p@401985#743.m3@i1001+1f40.S10Ph@401000t1002');
    expect(decodeSchedule(text)).toEqual(s);
  });

  it('says what is wrong with a bad one', () => {
    expect(() => decodeSchedule('x1')).toThrow(ScheduleFormatError);
    expect(() => decodeSchedule('s1.q@10')).toThrow(/event 1 "q@10": expected ACTION@POINT/);
    expect(() => decodeSchedule('s1.S99@10')).toThrow(/no signal 99/);
    expect(() => decodeSchedule('s1.p@10#0')).toThrow(/hit counts start at 1/);
  });

  it('a corrupt replay file is refused with the reason', () => {
    expect(() => parseReplay('{')).toThrow(ReplayFormatError);
    expect(() => parseReplay('{"format":"other"}')).toThrow(/"format" is "other"/);
    const good = { format: 'rseqlab-replay', version: 1, program: { path: 'p', sha256: 'a'.repeat(64) }, argv0: 'p', args: [], cpus: 2, kernel: '7.0', debugRseq: false, maxInstructions: 1000, env: [], schedule: 's1', expect: { kind: 'exit-status', class: 'exit:1', summary: 'x' } };
    expect(parseReplay(JSON.stringify(good)).schedule).toEqual({ seed: 1, events: [] });
    expect(() => parseReplay(JSON.stringify({ ...good, cpus: 0 }))).toThrow(/"cpus" must be 1..64/);
    expect(() => parseReplay(JSON.stringify({ ...good, schedule: 's1.zz' }))).toThrow(ScheduleFormatError);
  });
});

describe('fuzzing the known-buggy programs', () => {
  for (const [name, args] of BUGGY_PROGRAMS) {
    it(`${name}: found with the default budget; the shrunk schedule replays the same failure`, async () => {
      const r = await campaign(name, args);
      expect(r.failure, name).toBeDefined();
      const f = r.failure!;
      expect(f.explanation.at(-1)).toBe(`result: ${f.summary}`);
      // Replay in a fresh runner: the same failure, bit for bit.
      const runner = Runner.create({ ...fuzzTarget(name, args), maxInstructions: f.replay.maxInstructions }, await createCpu());
      runner.budget = Math.min(runner.budget, 200_000_000);
      const again = runner.run(decodeSchedule(f.schedule));
      expect(judge(again)?.class).toBe(f.replay.expect.class);
      expect(runner.run(decodeSchedule(f.schedule)).traceHash).toBe(again.traceHash);
    });
  }

  it('rseq_bug_abort_inside: on 7.0 no run fails, but the static check reports the abort handler inside its section', async () => {
    const r = await campaign('rseq_bug_abort_inside', [], { schedules: 200 });
    expect(r.failure).toBeUndefined();
    expect(r.staticFindings.some((s) => s.startsWith('abort-inside-section: '))).toBe(true);
    // On 6.3 a preemption inside the section is SIGSEGV, which the fuzzer finds.
    const old = await fuzz({ target: { ...(await targetOf('rseq_bug_abort_inside')), kernel: '6.3' }, cpu: await createCpu(), seed: 1 });
    expect(old.failure?.kind).toBe('signal');
  });

  it('commit_not_last shrinks to exactly one injected event, on the instruction after the commit', async () => {
    const r = await campaign('rseq_bug_commit_not_last', []);
    const s = decodeSchedule(r.failure!.schedule);
    expect(s.events).toHaveLength(1);
    // Where the event lands: the range's last instruction, the one after the commit (the bug).
    // (The event may be an address or an instruction count of the thread, depending on which
    // schedule failed first; both name that one instruction.)
    const probe = Runner.create(await targetOf('rseq_bug_commit_not_last'), await createCpu());
    const after = instructions(probe.machine, sectionIn(probe.machine, 'addv_commit_not_last')).at(-1);
    const out = probe.run(s);
    expect(out.fired.map((f) => Number(f.rip))).toEqual([after]);
    expect(judge(out)?.summary).toBe(r.failure!.summary);
  });
});

async function targetOf(name: string, args: string[] = []) {
  return fuzzTarget(name, args);
}

describe('campaigns are reproducible', () => {
  it('schedule k depends only on (seed, k): shards find the same failure at the same k, the same seed gives the same result', async () => {
    const whole = await campaign('rseq_bug_two_stores', []);
    const k = whole.failure!.k;
    const shard = await campaign('rseq_bug_two_stores', [], { shard: { index: k % 3, count: 3 } });
    expect(shard.failure?.k).toBe(k);
    expect(shard.failure?.original).toBe(whole.failure!.original);
    expect(shard.failure?.schedule).toBe(whole.failure!.schedule);
    const again = await campaign('rseq_bug_two_stores', []);
    expect(again.failure).toEqual(whole.failure);
  });
});
