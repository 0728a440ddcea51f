// Systematic exploration (fuzz/explore.ts) on the rseq corpus: every
// known-buggy program is found (abort_inside only statically on 7.0, and
// dynamically on 6.3), commit_not_last's failure is one event on the
// instruction after the commit, the shrunk failures replay, and every
// correct program survives with an event landing on every (point, kind)
// pair it reached. Small arguments keep each exploration well under a
// second; the correct programs run more threads than vCPUs where that is
// cheap, so a preempted thread's vCPU really runs the others on its data.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { explore, spreadHits, type ExploreOptions, type ExploreResult } from '../../fuzz/explore.js';
import { judge } from '../../fuzz/judge.js';
import { Runner, type FuzzTarget } from '../../fuzz/runner.js';
import { decodeSchedule } from '../../fuzz/schedule.js';
import { BUGGY_PROGRAMS, fuzzTarget, instructions, sectionIn } from '../programs/rseq-machine.js';

const target = fuzzTarget;

async function run(name: string, args: string[] = [], o: Partial<Omit<ExploreOptions, 'target' | 'cpu'>> & { kernel?: FuzzTarget['kernel'] } = {}): Promise<ExploreResult> {
  const { kernel, ...rest } = o;
  return explore({ target: target(name, args, kernel), cpu: await createCpu(), seed: 1, ...rest });
}

/** The shrunk schedule fails the same way in a fresh runner. */
async function replays(name: string, args: string[], r: ExploreResult): Promise<void> {
  const f = r.failure!;
  const runner = Runner.create({ ...target(name, args, f.replay.kernel), maxInstructions: f.replay.maxInstructions }, await createCpu());
  expect(judge(runner.run(decodeSchedule(f.schedule)))?.class).toBe(f.replay.expect.class);
}

describe('visits to try', () => {
  it('spreads them evenly from the first to the last', () => {
    expect(spreadHits(1000, 3)).toEqual([1, 501, 1000]);
    expect(spreadHits(2, 3)).toEqual([1, 2]);
    expect(spreadHits(7, 1)).toEqual([1]);
    expect(spreadHits(0, 3)).toEqual([]);
    expect(spreadHits(9, 5)).toEqual([1, 3, 5, 7, 9]);
  });
});

describe('exploring the known-buggy programs', () => {
  for (const [name, args] of BUGGY_PROGRAMS) {
    it(`${name}: found; the shrunk schedule replays the same failure`, async () => {
      const r = await run(name, args);
      expect(r.failure, name).toBeDefined();
      expect(r.failure!.explanation.at(-1)).toBe(`result: ${r.failure!.summary}`);
      expect(r.failure!.events).toBeLessThanOrEqual(1);
      await replays(name, args, r);
    });
  }

  it('commit_not_last: one event, on the instruction after the commit, at its first visit', async () => {
    const r = await run('rseq_bug_commit_not_last');
    expect(r.failure?.kind).toBe('exit-status');
    const s = decodeSchedule(r.failure!.schedule);
    expect(s.events).toHaveLength(1);
    const probe = Runner.create(target('rseq_bug_commit_not_last'), await createCpu());
    const cs = sectionIn(probe.machine, 'addv_commit_not_last');
    expect(s.events[0].at).toEqual({ kind: 'address', address: instructions(probe.machine, cs).at(-1), hit: 1 });
    expect(r.staticFindings.some((f) => f.startsWith('commit-not-last: '))).toBe(true);
  });

  it('abort_inside: on 7.0 no run fails but the static check reports it; on 6.3 the first event inside the section is SIGSEGV', async () => {
    const lean = await run('rseq_bug_abort_inside');
    expect(lean.failure?.explanation).toBeUndefined();
    expect(lean.staticFindings.some((f) => f.startsWith('abort-inside-section: '))).toBe(true);
    expect(lean.coverage.sections[0].abortedRuns).toBeGreaterThan(0);
    const old = await run('rseq_bug_abort_inside', [], { kernel: '6.3' });
    expect(old.kernel).toBe('6.3');
    expect(old.failure?.kind).toBe('signal');
    expect(old.failure?.summary).toMatch(/abort_ip 0x[0-9a-f]+ is inside the critical section/);
    await replays('rseq_bug_abort_inside', [], old);
  });

  it('no_cpu_check is found at bound 1 whatever the seed: one event before the section moves the thread, and the section then runs with the other vCPU in between', async () => {
    for (const seed of [2, 3, 4, 7]) {
      const r = await run('rseq_bug_no_cpu_check', ['4', '500'], { seed });
      expect(r.failure?.summary, `seed ${seed}`).toMatch(/increments were lost/);
      const s = decodeSchedule(r.failure!.schedule);
      expect(s.events, `seed ${seed}`).toHaveLength(1);
      // A migration, or a preemption after which the other vCPU pulls the thread.
      expect(['migrate', 'preempt'], `seed ${seed}`).toContain(s.events[0].action.kind);
      expect(r.failure!.explanation.join('\n'), `seed ${seed}`).toMatch(/vCPU/);
      const probe = Runner.create(target('rseq_bug_no_cpu_check', ['4', '500']), await createCpu());
      const cs = sectionIn(probe.machine, 'addv_unchecked');
      const at = s.events[0].at;
      expect(at.kind === 'address' && at.address < cs.start, `seed ${seed}: before the section`).toBe(true);
    }
  });
});

const CORRECT: [string, string[], number][] = [
  // name, arguments, event kinds usable (signals only where the program handles one)
  ['rseq_counter', ['3', '50'], 2],
  ['rseq_list', ['2', '10', '2'], 2],
  ['rseq_ring', ['2', '20'], 2],
  ['rseq_spinlock', ['3', '100'], 2],
  ['rseq_mmcid_pool', ['2', '50'], 2],
  ['rseq_signal', ['5'], 3],
  ['rseq_membarrier', ['2'], 2],
];

describe('exploring the correct programs', () => {
  for (const [name, args, kinds] of CORRECT) {
    it(`${name}: no failure; an event of every kind landed on every point reached`, async () => {
      const r = await run(name, args);
      expect(r.failure?.explanation).toBeUndefined();
      expect(r.events).toHaveLength(kinds);
      expect(r.coverage.sections.length).toBeGreaterThan(0);
      for (const s of r.coverage.sections) {
        expect(s.reached, s.symbol).toBe(s.points + s.before);
        for (const k of r.events) expect(s.kinds[k], `${s.symbol} ${k}`).toEqual({ tried: s.reached, fired: s.reached });
        expect(s.abortedRuns, s.symbol).toBeGreaterThan(0);
      }
      expect(r.coverage.fired).toBe(r.coverage.tried);
      // Each (point, kind) at its first, middle and last visit, each run once (no migration needed a second try).
      expect(r.runs).toBe(r.planned);
      expect(r.runs).toBeGreaterThan(2 * r.coverage.tried);
    });
  }

  it('the result is plain JSON, deterministic from the seed, and progress is reported', async () => {
    const seen: number[] = [];
    let t = 0;
    const r = await run('rseq_counter', ['2', '20'], { bound: 2, combinations: 40, now: () => (t += 50), onProgress: (p) => seen.push(p.runs) });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.levels.map((l) => [l.events, l.planned, l.sampled])).toEqual([[1, r.levels[0].planned, false], [2, 40, true]]);
    expect(r.runs).toBeGreaterThanOrEqual(r.planned);
    expect(seen.at(-1)).toBe(r.runs);
    const again = await run('rseq_counter', ['2', '20'], { bound: 2, combinations: 40 });
    expect(again.coverage).toEqual(r.coverage);
    expect(again.runs).toBe(r.runs);
  });
});
