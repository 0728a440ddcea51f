// What a failing run did, in a few lines a person reads: the schedule, each
// injected event with the thread and the instruction it hit, what rseq did
// then (an abort from where to where, or why it killed), and what the
// program said before it failed.

import { sectionIndexAt } from '../kernel-model/elf-rseq.js';
import type { Failure } from './judge.js';
import type { Runner, RunOutcome } from './runner.js';
import { encodeSchedule, type Schedule } from './schedule.js';

export function explain(runner: Runner, schedule: Schedule, out: RunOutcome, failure: Failure): string[] {
  const where = (a: number | bigint) => {
    const n = Number(a);
    const sym = runner.machine.symbols.describe(n);
    const cs = sectionIndexAt(runner.sections, n);
    const handler = runner.sections.findIndex((s) => n === s.abort);
    if (handler >= 0) return `0x${n.toString(16)}${sym ? ` <${sym}>` : ''} (the abort handler of critical section ${handler})`;
    const inCs = cs >= 0 ? ` (critical section ${cs}, +${n - runner.sections[cs].start} of [0x${runner.sections[cs].start.toString(16)}, 0x${runner.sections[cs].postCommit.toString(16)}))`
      : runner.sections.some((s) => n === s.postCommit) ? ' (just after a critical section)' : '';
    return `0x${n.toString(16)}${sym ? ` <${sym}>` : ''}${inCs}`;
  };
  const lines = [`schedule ${encodeSchedule(schedule)}: ${schedule.events.length} injected event${schedule.events.length === 1 ? '' : 's'}`];
  for (const f of out.fired) lines.push(`thread ${f.tid} on vCPU ${f.cpu} at ${where(f.rip)}: ${f.what.replace(/ at 0x[0-9a-f]+( \(hit \d+\))?/, '$1')}`);
  for (const e of out.rseq) {
    const abort = /^abort from (0x[0-9a-f]+) to (0x[0-9a-f]+) \((.*?)\)/.exec(e.detail);
    if (abort) lines.push(`rseq: thread ${e.tid} aborted from ${where(parseInt(abort[1], 16))} to ${where(parseInt(abort[2], 16))} (${abort[3]})`);
    else if (e.what === 'violation') lines.push(`rseq: thread ${e.tid} killed with SIGSEGV: ${e.detail}`);
    else if (e.what.startsWith('slice')) lines.push(`rseq: thread ${e.tid} ${e.what}: ${e.detail}`);
  }
  for (const f of out.findings.slice(0, 3)) lines.push(`rseq ABI ${f.rule}: thread ${f.tid} at ${where(f.rip)}: ${f.detail}`);
  const said = out.stderr.trim().split('\n').filter(Boolean).slice(-3);
  for (const s of said) lines.push(`the program said: ${s}`);
  lines.push(`result: ${failure.summary}`);
  return lines;
}
