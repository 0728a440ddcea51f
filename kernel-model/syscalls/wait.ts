// Waiting for children (kernel/exit.c do_wait: wait4, waitid). A child
// that has exited is a zombie holding its status until collected here; a
// stopped or continued one is reported once with WUNTRACED / WCONTINUED.
// Without WNOHANG the caller sleeps on its process's child-wait queue, which
// every child's exit, stop and continue wakes.

import { ECHILD, EINVAL, ERESTARTSYS } from '../errno.js';
import { reap } from '../exit.js';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, encodeSigInfo } from '../siginfo.js';
import { SIGCHLD } from '../signals.js';
import type { ThreadGroup } from '../thread-group.js';
import { block, type SyscallResult } from '../wait.js';
import { int, ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const WNOHANG = 0x1;
const WUNTRACED = 0x2; // WSTOPPED for waitid
const WEXITED = 0x4;
const WCONTINUED = 0x8;
const WNOWAIT = 0x01000000;
const WNOTHREAD = 0x20000000;
const WALL = 0x40000000;
const WCLONE = 0x80000000;

const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;

/** Which children a wait is about. */
type Selector = (child: ThreadGroup) => boolean;

/** What a wait found: the child and how to report it. */
interface Found {
  child: ThreadGroup;
  what: 'exited' | 'stopped' | 'continued';
}

/** Children of the caller's process matching the selector, in creation order. */
function candidates(group: ThreadGroup, select: Selector): ThreadGroup[] {
  return group.children.filter(select);
}

function findReportable(group: ThreadGroup, select: Selector, options: number): Found | undefined {
  for (const child of candidates(group, select)) {
    if (child.state === 'zombie' && options & WEXITED) return { child, what: 'exited' };
    if (child.pendingStopReport === 'stopped' && options & WUNTRACED) return { child, what: 'stopped' };
    if (child.pendingStopReport === 'continued' && options & WCONTINUED) return { child, what: 'continued' };
  }
  return undefined;
}

/** do_wait's loop: report now, or ECHILD, or 0 for WNOHANG, or sleep until a child changes state. */
function doWait(call: SyscallCall, select: Selector, options: number, report: (f: Found | undefined) => number): SyscallResult {
  const group = call.group;
  const attempt = (): SyscallResult => {
    if (candidates(group, select).length === 0) return -ECHILD;
    const found = findReportable(group, select, options);
    if (found) return report(found);
    if (options & WNOHANG) return report(undefined);
    group.childWait.add(call.task);
    return block({
      what: { kind: 'wait4', detail: 'wait for a child' },
      interruptible: true,
      cancel: () => group.childWait.remove(call.task),
      resume: (reason) => (reason === 'signal' ? -ERESTARTSYS : attempt()),
    });
  };
  return attempt();
}

/** The wait status word (include/uapi/linux/wait.h). */
function statusWord(f: Found): number {
  if (f.what === 'stopped') return ((f.child.stopSignal & 0xff) << 8) | 0x7f;
  if (f.what === 'continued') return 0xffff;
  return f.child.waitStatus;
}

function consume(call: SyscallCall, f: Found, nowait: boolean): void {
  if (nowait) return;
  if (f.what === 'exited') reap(call.kernel, f.child);
  else f.child.pendingStopReport = undefined;
}

function selectorFor(call: SyscallCall, pid: number): Selector {
  if (pid > 0) return (c) => c.tgid === pid;
  if (pid === 0) {
    const pgid = call.group.pgid;
    return (c) => c.pgid === pgid;
  }
  if (pid === -1) return () => true;
  return (c) => c.pgid === -pid;
}

/** struct rusage: user time from the child's CPU time; the rest zero. */
function writeRusage(call: SyscallCall, at: bigint, child: ThreadGroup | undefined): void {
  if (at === 0n) return;
  const buf = new Uint8Array(144);
  if (child) {
    const us = (child.cpuNs() + child.childrenCpuNs) / 1000n;
    const v = new DataView(buf.buffer);
    v.setBigUint64(0, us / 1_000_000n, true);
    v.setBigUint64(8, us % 1_000_000n, true);
  }
  call.mem.write(ptr(at), buf);
}

function sysWait4(call: SyscallCall): SyscallResult {
  const [pidArg, statusArg, optionsArg, rusageArg] = call.args;
  const options = int(optionsArg);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) return -EINVAL;
  const pid = int(pidArg);
  return doWait(call, selectorFor(call, pid), options | WEXITED, (f) => {
    if (!f) return 0;
    if (statusArg !== 0n) call.mem.writeU32(ptr(statusArg), statusWord(f));
    writeRusage(call, rusageArg, f.child);
    consume(call, f, false);
    return f.child.tgid;
  });
}

function sysWaitid(call: SyscallCall): SyscallResult {
  const [idtypeArg, idArg, infoArg, optionsArg, rusageArg] = call.args;
  const options = int(optionsArg);
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) return -EINVAL;
  if (!(options & (WEXITED | WUNTRACED | WCONTINUED))) return -EINVAL;
  const idtype = int(idtypeArg);
  const id = int(idArg);
  let select: Selector;
  switch (idtype) {
    case P_ALL:
      select = () => true;
      break;
    case P_PID:
      if (id <= 0) return -EINVAL;
      select = (c) => c.tgid === id;
      break;
    case P_PGID: {
      if (id < 0) return -EINVAL;
      const pgid = id === 0 ? call.group.pgid : id;
      select = (c) => c.pgid === pgid;
      break;
    }
    default:
      return -EINVAL;
  }
  return doWait(call, select, options, (f) => {
    if (infoArg !== 0n) {
      if (!f) {
        call.mem.write(ptr(infoArg), new Uint8Array(128)); // WNOHANG and nothing to report: si_pid 0
      } else {
        const how = f.child.exitHow;
        const code = f.what === 'stopped' ? CLD_STOPPED : f.what === 'continued' ? CLD_CONTINUED
          : how?.signal === undefined ? CLD_EXITED : how.core ? CLD_DUMPED : CLD_KILLED;
        const status = f.what === 'stopped' ? f.child.stopSignal : f.what === 'continued' ? 18 : how?.signal ?? (how?.code ?? 0) & 0xff;
        call.mem.write(ptr(infoArg), encodeSigInfo({
          kind: 'chld', signo: SIGCHLD, errno: 0, code, pid: f.child.tgid, uid: f.child.creds.uid, status,
          utime: f.child.cpuNs() / 10_000_000n, stime: 0n,
        }));
      }
    }
    writeRusage(call, rusageArg, f?.child);
    if (f) consume(call, f, (options & WNOWAIT) !== 0);
    return 0;
  });
}

export const waitSyscalls: SyscallFamily = {
  wait4: sysWait4,
  waitid: sysWaitid,
};
