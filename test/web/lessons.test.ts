// The lessons (issue #13 item 7) played on a Session in Node: each one's
// prepared actions lead to the outcome its text and captions promise, and
// its comparisons across kernel profiles show the differences they claim.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { runUnderKernels, type KernelRun } from '../../web/compare.js';
import { LESSONS, lastInstructionOf, playAction, type Lesson } from '../../web/lessons.js';
import { Session, sectionRole } from '../../web/session.js';
import { root } from './browser.js';

function lesson(id: string): Lesson {
  const l = LESSONS.find((x) => x.id === id);
  if (!l) throw new Error(`no lesson ${id}`);
  return l;
}

const programOf = async (l: Lesson) => new Uint8Array(await readFile(join(root, 'build', 'programs', l.program)));

async function open(l: Lesson): Promise<Session> {
  return Session.create(await createCpu(), { name: l.program, program: await programOf(l), args: l.args, seed: l.seed, cpus: l.cpus, kernel: l.kernel });
}

/** Plays the lesson, calling after(i, s, tid, runs) after each step (runs: the comparison a compare step made). */
async function play(l: Lesson, after: (i: number, s: Session, tid: number | undefined, runs?: KernelRun[]) => void = () => undefined): Promise<Session> {
  const s = await open(l);
  let tid: number | undefined;
  for (const [i, step] of l.steps.entries()) {
    const action = step.action;
    if (action.kind === 'compare') {
      const runs = await runUnderKernels(() => createCpu(), { name: l.program, program: await programOf(l), args: l.args, seed: l.seed, cpus: l.cpus }, action.kernels);
      after(i, s, tid, runs);
    } else {
      tid = playAction(s, action, tid);
      after(i, s, tid);
    }
  }
  return s;
}

const column = (runs: KernelRun[] | undefined, kernel: string): KernelRun => {
  const r = runs?.find((x) => x.kernel === kernel);
  if (!r) throw new Error(`no run under ${kernel}`);
  return r;
};

const field = (s: Session, tid: number, name: string) => s.view().threads.find((t) => t.tid === tid)?.rseq?.fields.find((f) => f.name === name)?.value;

describe('lessons', () => {
  it('are well formed: text with the rseq field names, steps with labels and captions', () => {
    expect(LESSONS.map((l) => l.id)).toEqual(['critical-section', 'abort', 'commit-last', 'signature', 'extensible-abi', 'cpu-id-start', 'slice-extension']);
    for (const l of LESSONS) {
      expect(l.text.length).toBeGreaterThan(1);
      expect(l.text.join(' ')).toMatch(/rseq_cs|abort_ip|cpu_id|slice_ctrl/);
      for (const s of l.steps) expect(s.label && s.caption).toBeTruthy();
    }
  });

  it('(a) stops at start_ip with rseq_cs set and cpu_id the thread\'s vCPU, then commits once', async () => {
    const l = lesson('critical-section');
    const s = await play(l, (i, s, tid) => {
      const t = s.view().threads.find((x) => x.tid === tid)!;
      const sections = s.sectionsOf(tid!);
      if (i === 0) {
        expect(sectionRole(sections, Number(t.rip), 1)).toBe('start');
        expect(field(s, tid!, 'cpu_id')).toBe(String(t.cpu));
        expect(field(s, tid!, 'rseq_cs.start_ip')).toBe('0x' + t.section!.start.toString(16));
        expect(field(s, tid!, 'signature before abort_ip')).toBe('0x53053053');
        expect(field(s, tid!, 'signature (registered)')).toBe('0x53053053');
      }
      if (i === 2) expect(sectionRole(sections, Number(t.rip), s.machine.cpu.decode(Number(t.rip)).length)).toBe('commit');
      if (i === 3) expect(t.section).toBeUndefined();
    });
    const v = s.view();
    expect(v.kind).toBe('exited');
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain(l.outcome);
    expect(v.events.filter((e) => e.what === 'abort')).toEqual([]);
  });

  it('(b) preempting inside the section logs an abort to its abort_ip, and the total is still right', async () => {
    const l = lesson('abort');
    let abortIp = '';
    const s = await play(l, (i, s, tid) => {
      if (i === 1) abortIp = field(s, tid!, 'rseq_cs.abort_ip')!;
      if (i === 2) {
        const t = s.view().threads.find((x) => x.tid === tid)!;
        expect('0x' + t.rip.toString(16)).toBe(abortIp);
        expect(sectionRole(s.sectionsOf(tid!), Number(t.rip), 1)).toBe('abort');
        expect(field(s, tid!, 'rseq_cs')).toBe('0x0');
        const aborts = s.view().events.filter((e) => e.what === 'abort');
        expect(aborts).toHaveLength(1);
        expect(aborts[0].tid).toBe(tid);
        expect(aborts[0].detail).toContain(abortIp);
      }
    });
    const v = s.view();
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain(l.outcome);
  });

  it('(c) a preemption on the instruction after the commit double-counts: "counted 1001 for 1000 increments"', async () => {
    const l = lesson('commit-last');
    const s = await play(l, (i, s, tid) => {
      if (i === 1) {
        const t = s.view().threads.find((x) => x.tid === tid)!;
        const rip = Number(t.rip);
        expect(rip).toBe(lastInstructionOf(s, tid!));
        expect(rip + s.machine.cpu.decode(rip).length).toBe(t.section!.postCommit);
      }
      if (i === 2) expect(s.view().events.filter((e) => e.what === 'abort')).toHaveLength(1);
    });
    const v = s.view();
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toBe('rseq_bug_commit_not_last: counted 1001 for 1000 increments: a section aborted after its commit and ran again\n');
    expect(v.stderr).toContain(l.outcome);
  });

  it('(d) a preemption inside the section with a wrong signature before abort_ip: the violation, SIGSEGV', async () => {
    const l = lesson('signature');
    let abortIp = 0;
    const s = await play(l, (i, s, tid) => {
      const v = s.view();
      if (i === 0) {
        expect(v.events.find((e) => e.what === 'register')?.detail).toContain('signature 0x53053053');
        abortIp = Number(field(s, tid!, 'rseq_cs.abort_ip'));
        const before = s.machine.readMemory(abortIp - 4, 4, s.machine.process.tgid);
        expect(new DataView(before.buffer, before.byteOffset).getUint32(0, true)).toBe(0x53053054);
        expect(field(s, tid!, 'signature (registered)')).toBe('0x53053053');
        expect(field(s, tid!, 'signature before abort_ip')).toBe('0x53053054');
      }
      if (i === 1) expect(v.threads.find((t) => t.tid === tid)?.section).toBeDefined();
      if (i === 2) {
        const violations = v.events.filter((e) => e.what === 'violation');
        expect(violations).toHaveLength(1);
        expect(violations[0].detail).toContain('found 0x53053054, expected 0x53053053');
        expect(v.events.filter((e) => e.what === 'abort')).toEqual([]);
        expect(s.timeline().marks.map((m) => m.what)).toEqual(['inject', 'violation']);
      }
    });
    const v = s.view();
    expect(v.kind).toBe('killed');
    expect(v.signal).toBe('SIGSEGV');
    expect(v.exitCode).toBe(139);
    expect(`Killed by ${v.signal}`).toContain(l.outcome);
  });

  it('(e) the probe differs between 4.18 and 7.0 as the caption says; glibc registers 32 bytes, cpu_id is written on the way back', async () => {
    const l = lesson('extensible-abi');
    let runs: KernelRun[] | undefined;
    const s = await play(l, (i, s, tid, r) => {
      if (i === 0) runs = r;
      if (i === 1) {
        const reg = s.view().events.filter((e) => e.what === 'register');
        expect(reg).toHaveLength(1);
        expect(reg[0].detail).toMatch(/length 32, signature 0x53053053$/);
        expect(field(s, tid!, 'cpu_id')).toBe('-1');
      }
      if (i === 2) {
        const t = s.view().threads.find((x) => x.tid === tid)!;
        expect(field(s, tid!, 'cpu_id')).toBe(String(t.cpu));
        expect(field(s, tid!, 'cpu_id_start')).toBe(String(t.cpu));
      }
      if (i === 3) expect(s.view().events.at(-1)?.detail).toMatch(/^registration-refused: .*refused with EBUSY/);
    });
    const old = column(runs, '4.18');
    const now = column(runs, '7.0');
    expect(old.differing).toEqual(['AT_RSEQ_FEATURE_SIZE: absent', 'AT_RSEQ_ALIGN: absent', 'node_id, mm_cid: not in the feature size', 'own area, extended length 64: EINVAL']);
    expect(now.differing).toEqual(['AT_RSEQ_FEATURE_SIZE: 33', 'AT_RSEQ_ALIGN: 64', 'node_id, mm_cid: written', 'own area, extended length 64: ok, cpu_id valid']);
    for (const r of [old, now]) {
      expect(r.kind).toBe('exited');
      expect(r.stdout).toContain('__rseq_size: 20\n');
    }
    // The last step's output is the comparison's right-hand column.
    const v = s.view();
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toBe(now.stdout);
    expect(v.stdout).toContain(l.outcome);
  });

  it('(f) cpu_id_start: rewritten under 6.3 and 7.0, the sentinel survives 6.19; the checker finds the write under each', async () => {
    const l = lesson('cpu-id-start');
    let runs: KernelRun[] | undefined;
    const s = await play(l, (i, s, tid, r) => {
      if (i === 0) runs = r;
      if (i === 1) {
        expect(s.view().events.at(-1)?.detail).toMatch(/^read-only-field-written: user write to cpu_id_start/);
        expect(field(s, tid!, 'cpu_id_start')).toBe('-2147483648');
        expect(field(s, tid!, 'cpu_id')).toBe(String(s.view().threads.find((t) => t.tid === tid)!.cpu));
      }
    });
    for (const k of ['6.3', '7.0']) {
      expect(column(runs, k).exitCode).toBe(0);
      expect(column(runs, k).stdout).toBe('cpu_id_start: rewritten\n');
      expect(column(runs, k).differing).toEqual(['cpu_id_start: rewritten']);
    }
    const broken = column(runs, '6.19');
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toContain(l.outcome);
    for (const r of runs!) {
      expect(r.findings.length).toBeGreaterThan(0);
      expect(r.findings.every((f) => f.detail.startsWith('read-only-field-written: user write to cpu_id_start'))).toBe(true);
    }
    const v = s.view();
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toContain(l.outcome);
  });

  it('(g) a grant instead of the preemption, its end by rseq_slice_yield, a revocation by getppid, all on the timeline', async () => {
    const l = lesson('slice-extension');
    /** The thread granted by the last preemption: its extension is the one that ends next. */
    let granted: number | undefined;
    const s = await play(l, (i, s, tid) => {
      const ctrl = () => [field(s, tid!, 'slice_ctrl.request'), field(s, tid!, 'slice_ctrl.granted')];
      const last = s.view().events.at(-1)!;
      if (i === 0 || i === 3) expect(ctrl()).toEqual(['1', '0']);
      if (i === 1 || i === 4) {
        granted = tid;
        expect(last).toMatchObject({ what: 'slice-grant', tid });
        expect(ctrl()).toEqual(['0', '1']);
        expect(s.view().events.filter((e) => e.what === 'abort')).toEqual([]);
      }
      if (i === 2) {
        expect(last).toMatchObject({ what: 'slice-yield', tid: granted, detail: 'time slice extension ended by rseq_slice_yield' });
        expect(ctrl()[1]).toBe('0');
      }
      if (i === 5) {
        expect(last).toMatchObject({ what: 'slice-revoke', tid: granted, detail: 'time slice extension ended by system call 110' });
        expect(ctrl()[1]).toBe('0');
      }
    });
    const v = s.view();
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain(l.outcome);
    const marks = s.timeline().marks;
    expect(marks.map((m) => m.what)).toEqual(['inject', 'slice-grant', 'slice-yield', 'inject', 'slice-grant', 'slice-revoke']);
    // The grant and its end are on the thread's vCPU, in time order.
    const [, grant, yielded] = marks;
    expect(yielded.cpu).toBe(grant.cpu);
    expect(yielded.t).toBeGreaterThan(grant.t);
  });
});
