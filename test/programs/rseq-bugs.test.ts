// The known-buggy rseq programs (programs/rseq_bug_*.c): rseqlab finds
// their critical sections like any other program's, a native run passes
// or fails only with the program's own message, and the exact event that
// exposes each bug makes it fail the way it should: the program's
// invariant message and exit 1, or SIGSEGV with the reason the kernel
// model gives. The two bugs that need two CPUs racing on one slot
// (no_cpu_check, mmcid_unchecked) are shown with migrations on several
// seeds, next to the same program with the fix.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Injection } from '../../kernel-model/injection.js';
import type { Machine } from '../../kernel-model/machine.js';
import { rseqlab } from '../cli/rseqlab.js';
import { programPath, repoRoot, runNative } from './native.js';
import { type GuestRun, instructions, lastInstruction, runGuest, sectionIn } from './rseq-machine.js';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-programs.mjs'], { cwd: repoRoot, stdio: 'pipe' });
});

const SIGSEGV = 11;

/** The buggy programs, the function holding each one's section, and what a failing run says. */
const BUGS = [
  { name: 'rseq_bug_commit_not_last', fn: 'addv_commit_not_last', fails: /^rseq_bug_commit_not_last: counted \d+ for \d+ increments/ },
  { name: 'rseq_bug_two_stores', fn: 'add_pair', fails: /^rseq_bug_two_stores: CPU \d+'s pair is out of step/ },
  { name: 'rseq_bug_bad_signature', fn: 'addv_bad_signature', fails: undefined },
  { name: 'rseq_bug_abort_inside', fn: 'addv_abort_inside', fails: undefined },
  { name: 'rseq_bug_syscall_in_cs', fn: 'addv_logged', fails: /^rseq_bug_syscall_in_cs: the log holds \d+ bytes for \d+ additions/ },
  { name: 'rseq_bug_no_cpu_check', fn: 'addv_unchecked', fails: /^rseq_bug_no_cpu_check: the per-CPU counters add up to \d+, expected \d+: increments were lost/ },
  { name: 'rseq_bug_mmcid_unchecked', fn: 'slot_add_cpu_checked', fails: /^rseq_bug_mmcid_unchecked: the per-mm_cid slots add up to \d+, expected \d+: two threads used one slot at once/ },
] as const;

function preemptAt(address: (m: Machine) => number, hit: number, tid = 1000): (m: Machine) => Injection[] {
  return (m) => [{ action: { kind: 'preempt' }, at: { kind: 'address', address: address(m), hit, tid } }];
}

function rules(g: GuestRun): string[] {
  return [...new Set(g.r.findings.map((f) => f.rule))].sort();
}

function killedBySegv(g: GuestRun, reason: RegExp): void {
  expect(g.r.kind, g.err).toBe('killed');
  expect(g.r.signal?.number).toBe(SIGSEGV);
  expect(g.r.message).toMatch(reason);
}

describe('known-buggy rseq programs', () => {
  it('rseqlab finds each one\'s critical section in the usual tables', async () => {
    for (const b of BUGS) {
      const { m } = await runGuest(b.name, ['1'], { cpus: 1 });
      const cs = sectionIn(m, b.fn);
      expect(cs.abortSignature, b.name).toBe(b.name === 'rseq_bug_bad_signature' ? 0x53053054 : 0x53053053);
      expect(cs.problems.length > 0, b.name).toBe(b.name === 'rseq_bug_abort_inside');
      expect(instructions(m, cs).length, b.name).toBeGreaterThan(1);
    }
  });

  it('natively each passes or fails only its own way', () => {
    for (const b of BUGS) {
      const r = runNative(b.name, []);
      const out = r.stdout.toString();
      const err = r.stderr.toString();
      if (r.exitCode === 0) expect(out, b.name).toMatch(/\((this time|fixed)\)\n$/);
      else if (r.signal) expect(r.signal, `${b.name}: ${err}`).toBe('SIGSEGV');
      else expect(err, b.name).toMatch(b.fails ?? /^$/);
    }
  });

  it('commit_not_last: a preemption on the instruction after the commit (still in the range) re-runs a committed addition; one on the commit itself is harmless', async () => {
    const extra = await runGuest('rseq_bug_commit_not_last', [], { cpus: 2, inject: preemptAt((m) => lastInstruction(m, sectionIn(m, 'addv_commit_not_last')), 500) });
    expect(extra.r.exitCode).toBe(1);
    expect(extra.err).toBe('rseq_bug_commit_not_last: counted 1001 for 1000 increments: a section aborted after its commit and ran again\n');
    expect(rules(extra)).toEqual(['commit-not-last']);
    const onCommit = await runGuest('rseq_bug_commit_not_last', [], { cpus: 2, inject: preemptAt((m) => instructions(m, sectionIn(m, 'addv_commit_not_last')).at(-2)!, 500) });
    expect(onCommit.r.exitCode, onCommit.err).toBe(0);
    expect(onCommit.out).toBe('rseq_bug_commit_not_last: 1000 increments counted once (this time)\n');
  });

  it('commit_not_last from the command line: rseqlab run --inject preempt@csJ+OFF#N names the point by section and offset', async () => {
    const { m } = await runGuest('rseq_bug_commit_not_last', ['1'], { cpus: 1 });
    const cs = sectionIn(m, 'addv_commit_not_last');
    const j = m.criticalSections.indexOf(cs);
    const off = lastInstruction(m, cs) - cs.start;
    const r = rseqlab('run', '--cpus', '2', '--inject', `preempt@cs${j}+0x${off.toString(16)}#500`, programPath('rseq_bug_commit_not_last'));
    expect(r.status).toBe(1);
    expect(r.lines).toContain('rseq_bug_commit_not_last: counted 1001 for 1000 increments: a section aborted after its commit and ran again');
  });

  it('two_stores: a preemption or a migration between the two stores leaves the pair out of step', async () => {
    const commit = (m: Machine) => lastInstruction(m, sectionIn(m, 'add_pair'));
    const preempted = await runGuest('rseq_bug_two_stores', [], { cpus: 2, inject: preemptAt(commit, 500) });
    expect(preempted.r.exitCode).toBe(1);
    expect(preempted.err).toBe('rseq_bug_two_stores: CPU 0\'s pair is out of step: a = 1001, b = 1000 (an abort between the two stores)\n');
    const migrated = await runGuest('rseq_bug_two_stores', [], { cpus: 2, inject: (m) => [{ action: { kind: 'migrate', cpu: 1 }, at: { kind: 'address', address: commit(m), hit: 500 } }] });
    expect(migrated.r.exitCode).toBe(1);
    expect(migrated.err).toBe('rseq_bug_two_stores: CPU 0\'s pair is out of step: a = 500, b = 499 (an abort between the two stores)\n');
  });

  it('bad_signature: a preemption inside the section is SIGSEGV on every profile; after it, only up to 6.18 (a stale descriptor is still validated)', async () => {
    const start = (m: Machine) => sectionIn(m, 'addv_bad_signature').start;
    const post = (m: Machine) => sectionIn(m, 'addv_bad_signature').postCommit;
    for (const kernel of ['4.18', '6.3', '6.19', '7.0'] as const) {
      killedBySegv(await runGuest('rseq_bug_bad_signature', [], { kernel, cpus: 2, inject: preemptAt(start, 10) }), /signature/);
    }
    killedBySegv(await runGuest('rseq_bug_bad_signature', [], { kernel: '6.3', cpus: 2, inject: preemptAt(post, 10) }), /signature/);
    const lean = await runGuest('rseq_bug_bad_signature', [], { kernel: '7.0', cpus: 2, inject: preemptAt(post, 10) });
    expect(lean.r.exitCode, lean.err).toBe(0);
    // Without any interruption while armed it runs to the end.
    const plain = await runGuest('rseq_bug_bad_signature', [], { cpus: 2 });
    expect(plain.out).toBe('rseq_bug_bad_signature: 1000 increments, never interrupted inside (this time)\n');
  });

  it('abort_inside: SIGSEGV at a preemption in or after the section on 6.3; 7.0 only checks the signature (a debug kernel all fields); the loader and the checker flag it on every profile', async () => {
    const start = (m: Machine) => sectionIn(m, 'addv_abort_inside').start;
    const post = (m: Machine) => sectionIn(m, 'addv_abort_inside').postCommit;
    killedBySegv(await runGuest('rseq_bug_abort_inside', [], { kernel: '6.3', cpus: 2, inject: preemptAt(start, 10) }), /abort_ip 0x[0-9a-f]+ is inside the critical section/);
    killedBySegv(await runGuest('rseq_bug_abort_inside', [], { kernel: '6.3', cpus: 2, inject: preemptAt(post, 10) }), /inside the critical section/);
    const lean = await runGuest('rseq_bug_abort_inside', [], { kernel: '7.0', cpus: 2, inject: preemptAt(start, 10) });
    expect(lean.r.exitCode, lean.err).toBe(0);
    expect(lean.out).toBe('rseq_bug_abort_inside: 1000 increments, never interrupted while armed (this time)\n');
    expect(rules(lean)).toEqual(['abort-inside-section']);
    expect(sectionIn(lean.m, 'addv_abort_inside').problems).toEqual([expect.stringMatching(/abort_ip .* is inside the critical section/)]);
    killedBySegv(await runGuest('rseq_bug_abort_inside', [], { kernel: '7.0', debugRseq: true, cpus: 2, inject: preemptAt(start, 10) }), /inside/);
  });

  it('syscall_in_cs: a preemption after the write and before the commit writes the log byte twice; the checker reports the call, a debug kernel kills', async () => {
    const afterSyscall = (m: Machine) => {
      const cs = sectionIn(m, 'addv_logged');
      const at = instructions(m, cs);
      const i = at.findIndex((a) => m.cpu.decode(a).length === 2 && m.readMemory(a, 2).every((b, k) => b === [0x0f, 0x05][k]));
      expect(i, 'a syscall instruction inside the section').toBeGreaterThanOrEqual(0);
      return at[i + 1];
    };
    const g = await runGuest('rseq_bug_syscall_in_cs', [], { cpus: 2, inject: preemptAt(afterSyscall, 50) });
    expect(g.r.exitCode).toBe(1);
    expect(g.err).toBe('rseq_bug_syscall_in_cs: the log holds 201 bytes for 200 additions: a section aborted after its system call and ran it again\n');
    expect(rules(g)).toEqual(['syscall-in-critical-section']);
    const plain = await runGuest('rseq_bug_syscall_in_cs', [], { cpus: 2 });
    expect(plain.r.exitCode).toBe(0);
    expect(rules(plain)).toEqual(['syscall-in-critical-section']);
    killedBySegv(await runGuest('rseq_bug_syscall_in_cs', [], { cpus: 2, debugRseq: true }), /syscall-in-critical-section/);
  });

  // The next two need a thread on the wrong slot while another runs on it:
  // a race between two vCPUs, so which seed shows it depends on the
  // interleaving. Each seed is deterministic; at least two of three fail,
  // and the fixed variant passes on all of them.
  it('no_cpu_check: with random migrations, a thread migrated between reading its CPU and its section loses increments on its old CPU\'s counter; with the cpu_id check it cannot', async () => {
    let failed = 0;
    for (const seed of [1, 2, 3]) {
      const chaos = { perThousand: 5, events: ['migrate' as const] };
      const buggy = await runGuest('rseq_bug_no_cpu_check', ['4', '500'], { cpus: 2, seed, chaos });
      if (buggy.r.exitCode !== 0) {
        expect(buggy.err).toMatch(BUGS[5].fails);
        failed++;
      }
      const fixed = await runGuest('rseq_bug_no_cpu_check', ['4', '500', 'fixed'], { cpus: 2, seed, chaos });
      expect(fixed.r.exitCode, `seed ${seed}: ${fixed.err}`).toBe(0);
      expect(fixed.out).toBe('rseq_bug_no_cpu_check: 4 threads x 500 increments = 2000 (fixed)\n');
    }
    expect(failed).toBeGreaterThanOrEqual(2);
  });

  it('mmcid_unchecked: once threads move between vCPUs, a cached mm_cid names another running thread\'s slot; reading and comparing mm_cid each time is exact', async () => {
    // Every worker is moved to vCPU 0 after 3000 of its instructions and to vCPU 1 after 6000.
    const moves = () => [1001, 1002, 1003, 1004].flatMap((tid): Injection[] => [
      { action: { kind: 'migrate', cpu: 0 }, at: { kind: 'instructions', tid, count: 3000 } },
      { action: { kind: 'migrate', cpu: 1 }, at: { kind: 'instructions', tid, count: 6000 } },
    ]);
    let failed = 0;
    for (const seed of [1, 2, 3]) {
      const buggy = await runGuest('rseq_bug_mmcid_unchecked', ['4', '500'], { cpus: 2, seed, inject: moves });
      if (buggy.r.exitCode !== 0) {
        expect(buggy.err).toMatch(BUGS[6].fails);
        failed++;
      }
      const fixed = await runGuest('rseq_bug_mmcid_unchecked', ['4', '500', 'fixed'], { cpus: 2, seed, inject: moves });
      expect(fixed.r.exitCode, `seed ${seed}: ${fixed.err}`).toBe(0);
      expect(fixed.out).toBe('rseq_bug_mmcid_unchecked: 4 threads x 500 increments = 2000 (fixed)\n');
    }
    expect(failed).toBeGreaterThanOrEqual(2);
  });
});
