// The end of a thread and of a process (kernel/exit.c do_exit, do_group_exit,
// exit_notify, release_task; kernel/fork.c mm_release; kernel/signal.c
// do_signal_stop / SIGCONT). A process whose last thread is gone becomes a
// zombie holding its wait status until its parent collects it; its parent
// gets SIGCHLD. Stop and continue exist as far as shells need them.

import type { FaultReport, Kernel } from './kernel.js';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, type SigInfo } from './siginfo.js';
import { SA_NOCLDSTOP, SA_NOCLDWAIT, SIGCHLD, SIG_IGN, signalName } from './signals.js';
import { sendSignal } from './signal-delivery.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export interface ExitHow {
  /** exit status (low 8 bits used) for a normal exit. */
  code?: number;
  /** The signal that kills the process. */
  signal?: number;
  core?: boolean;
  fault?: FaultReport;
  /** Why, in words (rseq violations, a frame that could not be built). */
  reason?: string;
}

/** The wait status as wait4 reports it (include/uapi/linux/wait.h encodings). */
export function waitStatusOf(how: ExitHow): number {
  if (how.signal !== undefined) return (how.signal & 0x7f) | (how.core ? 0x80 : 0);
  return ((how.code ?? 0) & 0xff) << 8;
}

/** do_exit for one thread: robust futexes, clear_child_tid, off the CPU, out of the tables. */
export function exitTask(kernel: Kernel, task: Task, code: number): void {
  if (!task.alive) return;
  const group = task.group;
  task.exitCode = code;
  // mm_release: futexes owned by the dying thread, then CLONE_CHILD_CLEARTID
  // (only while someone else still uses the memory: mm_users > 1).
  kernel.withAddressSpaceOf(task, () => {
    kernel.futexes.exitRobustList(task, kernel.mem, (a) => kernel.futexKey(task, a, false), task.robustList.head);
    const shared = group.liveTasks().length > 1 || group.mm.users > 1;
    if (task.clearChildTid !== 0n && shared) {
      const addr = Number(task.clearChildTid);
      try {
        kernel.mem.writeU32(addr, 0);
        kernel.futexes.wakeUp(kernel.futexKey(task, addr, false), 1);
      } catch {
        // put_user failure is ignored, as in mm_release.
      }
    }
  });
  if (task.state === 'blocked') {
    task.wait?.cancel?.();
    kernel.timers.cancel(task.waitTimer);
  }
  const now = kernel.timeOf(task);
  if (task.state === 'running' || task.state === 'runnable') kernel.scheduler.switchOut(task, 'exit', now);
  group.mm.releaseCid(task);
  task.state = 'dead';
  task.wait = undefined;
  kernel.tasks.delete(task.tid);
  const i = group.tasks.indexOf(task);
  if (i >= 0) group.tasks.splice(i, 1);
  group.deadThreadsCpuNs += task.cpuNs;
  kernel.emit({ kind: 'task-exit', t: now, tid: task.tid, pid: group.tgid, code });
  kernel.compactCids(group.mm);
  kernel.releaseTask(task);
  if (task.rseq.registration) kernel.rseqAreasVersion++;
  if (group.tasks.length === 0) processExited(kernel, group, group.groupExiting ? undefined : { code: group.leaderExitCode ?? code });
}

/** do_group_exit: every thread of the process dies; the process's status is `how`. */
export function exitGroup(kernel: Kernel, group: ThreadGroup, how: ExitHow): void {
  if (group.groupExiting || group.state !== 'alive') return;
  group.groupExiting = true;
  group.exitHow = how;
  for (const t of [...group.tasks]) exitTask(kernel, t, how.code ?? 0);
  if (group.state === 'alive') processExited(kernel, group, how);
}

/** exit_notify: the process is a zombie; its parent hears of it; orphans lose their parent. */
function processExited(kernel: Kernel, group: ThreadGroup, how: ExitHow | undefined): void {
  if (group.state !== 'alive') return;
  const final = group.exitHow ?? how ?? { code: 0 };
  group.exitHow = final;
  group.waitStatus = waitStatusOf(final);
  group.state = 'zombie';
  group.fds.closeAll();
  kernel.dropAddressSpace(group.mm);
  for (const c of group.children) c.parent = undefined;
  group.children.length = 0;
  kernel.emit({ kind: 'process-exit', t: kernel.globalTime(), pid: group.tgid, status: group.waitStatus, description: describeStatus(kernel, final) });
  // A vfork parent waits for its child to exit or exec.
  if (group.vforkParent) {
    const parent = group.vforkParent;
    group.vforkParent = undefined;
    kernel.wake(parent, 'woken');
  }
  const parent = group.parent;
  if (!parent || parent.state !== 'alive') {
    reap(kernel, group);
  } else {
    const action = parent.actions.get(SIGCHLD);
    const info: SigInfo = {
      kind: 'chld', signo: SIGCHLD, errno: 0,
      code: final.signal === undefined ? CLD_EXITED : final.core ? CLD_DUMPED : CLD_KILLED,
      pid: group.tgid, uid: group.creds.uid, status: final.signal ?? (final.code ?? 0) & 0xff,
      utime: group.cpuNs() / 10_000_000n, stime: 0n,
    };
    // SIGCHLD ignored or SA_NOCLDWAIT: the child is reaped at once (do_notify_parent's autoreap).
    const autoreap = action.handler === SIG_IGN || (action.flags & SA_NOCLDWAIT) !== 0n;
    sendSignal(kernel, parent, SIGCHLD, info, 'process', group.tgid);
    if (autoreap) reap(kernel, group);
    parent.childWait.wakeAll((t) => kernel.wake(t, 'woken'));
  }
  kernel.processGone(group);
}

/** release_task: the zombie is collected; its pid is free. */
export function reap(kernel: Kernel, group: ThreadGroup): void {
  if (group.state === 'reaped') return;
  group.state = 'reaped';
  if (group.parent) {
    const i = group.parent.children.indexOf(group);
    if (i >= 0) group.parent.children.splice(i, 1);
    group.parent.childrenCpuNs += group.cpuNs() + group.childrenCpuNs;
  }
  kernel.processes.delete(group.tgid);
  group.vfs.releaseFs(group.tgid);
  kernel.processReaped(group);
}

/** do_signal_stop: every thread stops; the parent hears CLD_STOPPED (unless SA_NOCLDSTOP). */
export function stopProcess(kernel: Kernel, group: ThreadGroup, sig: number): void {
  if (group.state !== 'alive' || group.stopSignal !== 0) return;
  group.stopSignal = sig;
  const now = kernel.globalTime();
  for (const t of group.liveTasks()) {
    if (t.state === 'running' || t.state === 'runnable') {
      kernel.scheduler.switchOut(t, 'stop', now);
      t.state = 'stopped';
    }
  }
  group.pendingStopReport = 'stopped';
  notifyParentOfStop(kernel, group, CLD_STOPPED, sig);
}

/** SIGCONT: stopped threads run again; the parent hears CLD_CONTINUED. */
export function continueProcess(kernel: Kernel, group: ThreadGroup): void {
  if (group.stopSignal === 0) return;
  group.stopSignal = 0;
  for (const t of group.liveTasks()) {
    if (t.state === 'stopped') kernel.scheduler.wake(t, kernel.globalTime());
  }
  group.pendingStopReport = 'continued';
  notifyParentOfStop(kernel, group, CLD_CONTINUED, 18);
}

function notifyParentOfStop(kernel: Kernel, group: ThreadGroup, code: number, sig: number): void {
  const parent = group.parent;
  if (!parent || parent.state !== 'alive') return;
  const action = parent.actions.get(SIGCHLD);
  if ((action.flags & SA_NOCLDSTOP) === 0n) {
    sendSignal(kernel, parent, SIGCHLD, { kind: 'chld', signo: SIGCHLD, errno: 0, code, pid: group.tgid, uid: group.creds.uid, status: sig, utime: 0n, stime: 0n }, 'process', group.tgid);
  }
  parent.childWait.wakeAll((t) => kernel.wake(t, 'woken'));
}

function describeStatus(kernel: Kernel, how: ExitHow): string {
  if (how.signal !== undefined) return `killed by ${signalName(how.signal)}${how.core ? ' (core dumped)' : ''}${how.reason ? `: ${how.reason}` : ''}`;
  return `exited with status ${(how.code ?? 0) & 0xff}`;
}
