// Creating threads and processes (kernel/fork.c copy_process, with the
// flag checks in its order): a thread shares everything with its creator;
// a fork child gets a copy-on-write copy of the address space, a copy of the
// descriptor table and of the signal actions; vfork's parent sleeps until
// the child exits or execs. The child's registers are the parent's with
// rax = 0, a new stack and TLS if asked.

import { Reg } from '../emulator/api.js';
import { EAGAIN, EINVAL, EPERM } from './errno.js';
import type { Kernel } from './kernel.js';
import { TaskRseq } from './rseq.js';
import { SS_DISABLE, Task } from './task.js';
import { ResourceLimits, ThreadGroup } from './thread-group.js';
import { block, type SyscallResult } from './wait.js';

export const CSIGNAL = 0x000000ff;
export const CLONE_VM = 0x00000100;
export const CLONE_FS = 0x00000200;
export const CLONE_FILES = 0x00000400;
export const CLONE_SIGHAND = 0x00000800;
export const CLONE_PIDFD = 0x00001000;
export const CLONE_PTRACE = 0x00002000;
export const CLONE_VFORK = 0x00004000;
export const CLONE_PARENT = 0x00008000;
export const CLONE_THREAD = 0x00010000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_SYSVSEM = 0x00040000;
export const CLONE_SETTLS = 0x00080000;
export const CLONE_PARENT_SETTID = 0x00100000;
export const CLONE_CHILD_CLEARTID = 0x00200000;
export const CLONE_DETACHED = 0x00400000;
export const CLONE_UNTRACED = 0x00800000;
export const CLONE_CHILD_SETTID = 0x01000000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_IO = 0x80000000;
const CLONE_NEWTIME = 0x00000080; // clone3 only
const NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

export interface CloneArgs {
  flags: number;
  /** The child's stack pointer (0: the parent's). */
  stack: bigint;
  parentTid: bigint;
  childTid: bigint;
  tls: bigint;
  /** The signal the parent gets when a fork child exits (the low byte of clone's flags; clone3's exit_signal). */
  exitSignal: number;
}

/** kernel_clone: returns the child's tid to the parent (or a Block for vfork), or a negative errno. */
export function kernelClone(kernel: Kernel, parent: Task, args: CloneArgs): SyscallResult {
  const f = args.flags >>> 0;
  // copy_process's checks, in its order.
  if ((f & (CLONE_NEWNS | CLONE_FS)) === (CLONE_NEWNS | CLONE_FS)) return -EINVAL;
  if ((f & (CLONE_NEWUSER | CLONE_FS)) === (CLONE_NEWUSER | CLONE_FS)) return -EINVAL;
  if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) return -EINVAL;
  if ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) return -EINVAL;
  if ((f & CLONE_PARENT) && parent.group === kernel.init) return -EINVAL;
  if ((f & CLONE_THREAD) && (f & (CLONE_NEWUSER | CLONE_NEWPID))) return -EINVAL;
  if (f & (NAMESPACES | CLONE_NEWTIME)) return -EPERM; // namespaces need privileges this model does not grant
  if (f & CLONE_PIDFD) return -EINVAL; // pidfds are not modelled; glibc falls back without them
  if (kernel.tasks.size >= kernel.maxTasks) {
    kernel.warnOnce('task-limit', `rseqlab: the machine's task limit (${kernel.maxTasks} threads and processes) is reached: clone/fork return EAGAIN`);
    return -EAGAIN;
  }
  const tid = kernel.allocatePid();
  const ctx = kernel.cpu.createContext();
  kernel.cpu.copyContext(parent.ctx, ctx);
  ctx.gpr[Reg.RAX] = 0n;
  if (args.stack !== 0n) ctx.gpr[Reg.RSP] = args.stack;
  if (f & CLONE_SETTLS) ctx.fsBase = args.tls;

  let group: ThreadGroup;
  if (f & CLONE_THREAD) {
    group = parent.group;
  } else {
    const p = parent.group;
    const rlimits = new ResourceLimits();
    for (let r = 0; r < 16; r++) rlimits.set(r, p.rlimits.get(r));
    let mm = p.mm;
    if (f & CLONE_VM) {
      mm.users++;
    } else {
      mm = p.mm.fork();
    }
    const actions = f & CLONE_SIGHAND ? p.actions : p.actions.copy();
    const fds = f & CLONE_FILES ? p.fds : p.fds.clone(() => rlimits.fileLimit());
    group = new ThreadGroup(tid, f & CLONE_PARENT ? p.parent : p, { ...p.creds }, mm, fds, actions, rlimits, p.vfs, p.exePath, [...p.argv], [...p.envp]);
    group.pgid = p.pgid;
    group.sid = p.sid;
    group.umask = p.umask;
    group.image = p.image; // the same program in a copy of the memory (its rseq tables still apply)
    group.exitSignal = args.exitSignal;
    (group.parent ?? p).children.push(group);
    kernel.processes.set(tid, group);
    p.vfs.forkFs(p.tgid, tid, (f & CLONE_FS) !== 0);
  }
  const child = new Task(tid, ctx, group, parent.allowed, parent.name);
  child.startNs = kernel.timeOf(parent);
  child.blocked = parent.blocked;
  child.cpu = parent.cpu;
  // rseq_fork: a CLONE_VM child starts unregistered (libc registers again); a fork child keeps the registration.
  child.rseq = f & CLONE_VM ? new TaskRseq() : parent.rseq.forkCopy();
  kernel.rseqAreasVersion++;
  // copy_process: a CLONE_VM child (not vfork) does not inherit the alternate signal stack.
  child.altStack = (f & (CLONE_VM | CLONE_VFORK)) === CLONE_VM ? { sp: 0n, size: 0n, flags: SS_DISABLE } : { ...parent.altStack };
  if (f & CLONE_CHILD_CLEARTID) child.clearChildTid = args.childTid;
  group.tasks.push(child);
  kernel.tasks.set(tid, child);

  // CLONE_PARENT_SETTID writes in the parent's memory, CLONE_CHILD_SETTID in the child's (schedule_tail).
  if (f & CLONE_PARENT_SETTID) kernel.mem.writeU32(Number(args.parentTid), tid);
  if (f & CLONE_CHILD_SETTID) kernel.withAddressSpace(group.mm.id, () => kernel.mem.writeU32(Number(args.childTid), tid));

  const now = kernel.timeOf(parent);
  kernel.emit({ kind: 'task-new', t: now, tid, pid: group.tgid, parent: parent.tid, cpu: parent.cpu, thread: (f & CLONE_THREAD) !== 0 });
  kernel.scheduler.enqueueNew(child, now);

  if (f & CLONE_VFORK) {
    group.vforkParent = parent;
    return block({
      what: { kind: 'vfork', detail: `vfork: waiting for child ${tid} to exit or exec` },
      interruptible: false,
      resume: () => tid,
    });
  }
  return tid;
}

/** clone3's struct clone_args (include/uapi/linux/sched.h), version 0 (64 bytes) and later. */
export function readCloneArgs(kernel: Kernel, addr: number, size: number): CloneArgs | number {
  const CLONE_ARGS_SIZE_VER0 = 64;
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) return -EINVAL;
  const m = kernel.mem;
  const flags = m.readU64(addr);
  // pidfd (addr + 8) matters only with CLONE_PIDFD, which this model refuses.
  const childTid = m.readU64(addr + 16);
  const parentTid = m.readU64(addr + 24);
  const exitSignal = m.readU64(addr + 32);
  const stack = m.readU64(addr + 40);
  const stackSize = m.readU64(addr + 48);
  const tls = m.readU64(addr + 56);
  // Bytes past what this kernel knows must be zero (copy_struct_from_user: E2BIG).
  if (size > 88) {
    const extra = m.read(addr + 88, size - 88);
    if (extra.some((b) => b !== 0)) return -7; // E2BIG
  }
  if (size >= 80) {
    const setTid = m.readU64(addr + 64);
    if (setTid !== 0n) return -EPERM; // set_tid needs CAP_SYS_ADMIN in the pid namespace
  }
  if (flags >> 32n !== 0n || exitSignal > 64n) return -EINVAL;
  if ((stack === 0n) !== (stackSize === 0n)) return -EINVAL;
  if (Number(flags) & CSIGNAL) return -EINVAL;
  return { flags: Number(flags), stack: stack === 0n ? 0n : stack + stackSize, parentTid, childTid, tls, exitSignal: Number(exitSignal) };
}

