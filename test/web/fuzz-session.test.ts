// Issue #13 item 6, the DOM-free half: a fuzzer's failing schedule opened
// in the stepper (Session.fromSchedule) stops just before its first
// injected event, reaches the failure, and its Run to end is the run the
// fuzzer's Runner (what `rseqlab replay` runs) makes: same ending, same
// trace hash. Replay files and share links open the same runs.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { fuzz, sha256 } from '../../fuzz/campaign.js';
import { judge } from '../../fuzz/judge.js';
import { makeReplay } from '../../fuzz/replay-file.js';
import { Runner } from '../../fuzz/runner.js';
import { decodeSchedule } from '../../fuzz/schedule.js';
import { fuzzTargetOf, ReplayLoadError, scheduledRunFromLink, scheduledRunFromReplay, sharedRunOf } from '../../web/scheduled-run.js';
import { Session } from '../../web/session.js';
import { decodeSharedRun, encodeSharedRun, ShareLinkError } from '../../web/share-link.js';
import { root } from './browser.js';

const bytes = async (name: string) => new Uint8Array(await readFile(join(root, 'build', 'programs', name)));
const programs = async (name: string) => (/^[\w.-]+$/.test(name) ? bytes(name).catch(() => undefined) : undefined);

/** The page's fuzzer target for a program, its first failure (campaign seed 1), and the Runner's run of it. */
async function failureOf(name: string, args: string[]) {
  const target = fuzzTargetOf(name, await bytes(name), { args, cpus: 2, kernel: 'current', debugRseq: false });
  const r = await fuzz({ target, seed: 1, schedules: 200, cpu: await createCpu() });
  expect(r.failure, `${name} fails within 200 schedules`).toBeDefined();
  const schedule = decodeSchedule(r.failure!.schedule);
  const runner = Runner.create(target, await createCpu());
  const outcome = runner.run(schedule);
  return { target, result: r, failure: r.failure!, schedule, outcome };
}

describe('a failing schedule in the stepper (Session.fromSchedule)', () => {
  for (const [name, args] of [['rseq_bug_commit_not_last', []], ['rseq_bug_two_stores', []], ['rseq_bug_bad_signature', []], ['rseq_bug_no_cpu_check', ['4', '500']]] as const) {
    it(`${name}: stops just before the first event fires, and Run to end is the Runner's run`, async () => {
      const { target, failure, schedule, outcome } = await failureOf(name, [...args]);
      expect(judge(outcome)?.summary).toBe(failure.summary);

      const s = Session.fromSchedule(await createCpu(), name, target, schedule);
      expect(s.scheduleOrigin?.beforeInjection).toBe(true);
      expect(s.pendingInjections()).toHaveLength(schedule.events.length);
      expect(s.view().events.filter((e) => e.what === 'inject')).toEqual([]);
      expect(s.view().ended).toBe(false);
      // Past start-up, but not past the event: the Runner's run fires it later.
      expect(s.view().retired).toBeGreaterThan(0);
      expect(s.view().retired).toBeLessThan(outcome.retired);

      // The event fires, then the run ends as the fuzzer's did.
      s.runToInjection();
      const fired = s.view().events.filter((e) => e.what === 'inject');
      expect(fired).toHaveLength(1);
      expect(fired[0].detail).toBe(outcome.fired[0].what);
      s.runToEnd();
      const end = s.view();
      expect(end.traceHash).toBe(outcome.traceHash);
      expect(end.retired).toBe(outcome.retired);
      expect(end.exitCode).toBe(outcome.exitCode);
      expect(end.stderr).toBe(outcome.stderr);

      // Back returns to before the event; run to end from there is the same run again.
      s.back();
      s.back();
      expect(s.pendingInjections()).toHaveLength(schedule.events.length);
      s.runToEnd();
      expect(s.view().traceHash).toBe(outcome.traceHash);
    });
  }

  it('a preemption inside a section: stepping on from the stop shows the abort', async () => {
    const { target, schedule } = await failureOf('rseq_bug_two_stores', []);
    expect(schedule.events[0].action.kind).toBe('preempt');
    const s = Session.fromSchedule(await createCpu(), 'rseq_bug_two_stores', target, schedule);
    for (let i = 0; i < 100_000 && !s.view().events.some((e) => e.what === 'abort'); i++) s.step();
    const log = s.view().events.map((e) => e.what);
    expect(log.indexOf('inject')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('abort')).toBeGreaterThan(log.indexOf('inject'));
  });

  it('a schedule whose event never fires opens at the registration and runs as the Runner does', async () => {
    const name = 'rseq_counter';
    const target = fuzzTargetOf(name, await bytes(name), { args: ['2', '300'], cpus: 2, kernel: 'current', debugRseq: false });
    const schedule = decodeSchedule('s5.p@1');
    const s = Session.fromSchedule(await createCpu(), name, target, schedule);
    expect(s.scheduleOrigin?.beforeInjection).toBe(false);
    expect(s.backSteps).toBe(0);
    s.runToEnd();
    const out = Runner.create(target, await createCpu()).run(schedule);
    expect(s.view().traceHash).toBe(out.traceHash);
    expect(s.view().exitCode).toBe(0);
  });
});

describe('replay files and share links', () => {
  it('a replay file as the CLI writes it opens the run it names (absolute host path, argv[0] /NAME)', async () => {
    const { target, failure, schedule, outcome } = await failureOf('rseq_bug_two_stores', []);
    const sha = await sha256(target.program);
    const file = { ...failure.replay, program: { ...failure.replay.program, path: join(root, 'build', 'programs', 'rseq_bug_two_stores') } };
    expect(file.program.sha256).toBe(sha);
    const run = await scheduledRunFromReplay(JSON.stringify(file, null, 2), programs);
    expect(run.name).toBe('rseq_bug_two_stores');
    expect(run.target.path).toBe('/rseq_bug_two_stores');
    expect(run.schedule).toEqual(schedule);
    expect(run.expect?.summary).toBe(failure.summary);
    const s = Session.fromSchedule(await createCpu(), run.name, run.target, run.schedule);
    s.runToEnd();
    expect(s.view().traceHash).toBe(outcome.traceHash);
  });

  it('a corrupt, foreign or mismatched replay file is refused with a reason', async () => {
    const target = fuzzTargetOf('rseq_bug_two_stores', await bytes('rseq_bug_two_stores'), { args: [], cpus: 2, kernel: 'current', debugRseq: false });
    const good = makeReplay(target, await sha256(target.program), 's1.p@401000', { kind: 'exit-status', class: 'exit:1', summary: 'x' });
    const refuse = (text: string) => scheduledRunFromReplay(text, programs);
    await expect(refuse('{"format": "rseqlab-replay", ')).rejects.toThrow(/not a replay file rseqlab can open: not JSON/);
    await expect(refuse('\x7fELF\x02\x01')).rejects.toThrow(ReplayLoadError);
    await expect(refuse(JSON.stringify({ ...good, version: 9 }))).rejects.toThrow(/"version" 9/);
    await expect(refuse(JSON.stringify({ ...good, schedule: 'x1' }))).rejects.toThrow(/expected it to start with s/);
    await expect(refuse(JSON.stringify({ ...good, program: { ...good.program, path: '/nope' } }))).rejects.toThrow(/no program called "nope"/);
    await expect(refuse(JSON.stringify({ ...good, program: { ...good.program, sha256: '0'.repeat(64) } }))).rejects.toThrow(/another build/);
    await expect(refuse(JSON.stringify(good))).resolves.toMatchObject({ name: 'rseq_bug_two_stores' });
  });

  it('a share link holds the run and gives it back', async () => {
    const { target, failure, schedule, outcome } = await failureOf('rseq_bug_no_cpu_check', ['4', '500']);
    const link = encodeSharedRun(sharedRunOf({ name: 'rseq_bug_no_cpu_check', target }, failure.schedule, 7));
    expect(link).toMatch(/^#program=rseq_bug_no_cpu_check&arg=4&arg=500&seed=7&cpus=2&kernel=current&schedule=/);
    // rseqlab fuzz's argv[0] and budget are left out.
    expect(link).not.toMatch(/argv0|max=/);
    const shared = decodeSharedRun(link)!;
    expect(shared.schedule).toBe(failure.schedule);
    const run = await scheduledRunFromLink({ ...shared, schedule: shared.schedule! }, programs);
    expect(run.target).toEqual(target);
    expect(run.schedule).toEqual(schedule);
    const s = Session.fromSchedule(await createCpu(), run.name, run.target, run.schedule);
    s.runToEnd();
    expect(s.view().traceHash).toBe(outcome.traceHash);
  });

  it('share links: plain runs, arguments with spaces, other budgets, and bad links', () => {
    const plain = { program: 'rseq_counter', args: ['2', 'a b'], seed: 9, cpus: 3, kernel: '6.19' as const, debugRseq: true };
    expect(decodeSharedRun(encodeSharedRun(plain))).toEqual(plain);
    const odd = { ...plain, schedule: 's1', argv0: '/x/y', maxInstructions: 5, env: ['A=1'] };
    expect(decodeSharedRun(encodeSharedRun(odd))).toEqual(odd);
    expect(decodeSharedRun('')).toBeUndefined();
    expect(decodeSharedRun('#lesson=x')).toBeUndefined();
    expect(() => decodeSharedRun('#program=../etc')).toThrow(ShareLinkError);
    expect(() => decodeSharedRun('#program=a&cpus=0')).toThrow(/cpus must be a whole number from 1 to 64/);
    expect(() => decodeSharedRun('#program=a&kernel=5.0')).toThrow(/kernel "5.0"/);
    expect(() => decodeSharedRun('#program=a&schedule=zz')).toThrow(/schedule "zz"/);
  });
});
