// The lessons (issue #13 item 7, first three) played on a Session in Node:
// each one's prepared actions lead to the outcome its text promises.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { LESSONS, lastInstructionOf, playAction, type Lesson } from '../../web/lessons.js';
import { Session, sectionRole } from '../../web/session.js';
import { root } from './browser.js';

function lesson(id: string): Lesson {
  const l = LESSONS.find((x) => x.id === id);
  if (!l) throw new Error(`no lesson ${id}`);
  return l;
}

async function open(l: Lesson): Promise<Session> {
  const program = new Uint8Array(await readFile(join(root, 'build', 'programs', l.program)));
  return Session.create(await createCpu(), { name: l.program, program, args: l.args, seed: l.seed, cpus: l.cpus });
}

/** Plays the lesson, calling after(i, tid) after each step. */
async function play(l: Lesson, after: (i: number, s: Session, tid: number | undefined) => void = () => undefined): Promise<Session> {
  const s = await open(l);
  let tid: number | undefined;
  l.steps.forEach((step, i) => {
    tid = playAction(s, step.action, tid);
    after(i, s, tid);
  });
  return s;
}

const field = (s: Session, tid: number, name: string) => s.view().threads.find((t) => t.tid === tid)?.rseq?.fields.find((f) => f.name === name)?.value;

describe('lessons', () => {
  it('are well formed: text with the rseq field names, steps with labels and captions', () => {
    expect(LESSONS.map((l) => l.id)).toEqual(['critical-section', 'abort', 'commit-last']);
    for (const l of LESSONS) {
      expect(l.text.length).toBeGreaterThan(1);
      expect(l.text.join(' ')).toMatch(/rseq_cs|abort_ip|cpu_id/);
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
});
