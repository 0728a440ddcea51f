// Process and thread calls (kernel/exit.c, kernel/sys.c, kernel/fork.c,
// kernel/futex/syscalls.c, arch/x86/kernel/process_64.c arch_prctl,
// kernel/sched/core.c affinity, yield and policies, kernel/sched/membarrier.c).
// Argument conversion only: clone.ts, exit.ts, futex.ts and the scheduler do
// the work.

import { kernelClone, readCloneArgs, CLONE_VFORK, CLONE_VM } from '../clone.js';
import { EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from '../errno.js';
import { exitGroup, exitTask } from '../exit.js';
import {
  FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_REQUEUE, FUTEX_TRYLOCK_PI,
  FUTEX_UNLOCK_PI, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP, FUTEX_BITSET_MATCH_ANY, FUTEX_PRIVATE_FLAG,
} from '../futex.js';
import { TASK_SIZE } from '../layout.js';
import { RLIM_NLIMITS } from '../rlimits.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../clock.js';
import type { Task } from '../task.js';
import { allCpusMask, cpuAllowed } from '../vcpu.js';
import type { SyscallResult } from '../wait.js';
import { RSEQ_EVENT_PREEMPT } from '../rseq.js';
import { PR_RSEQ_SLICE_EXTENSION, sliceExtensionPrctl } from '../rseq-slice.js';
import { SIGSEGV } from '../signals.js';
import { int, length, ptr, readTimespec, uint } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;

/** sizeof(struct robust_list_head). */
const ROBUST_LIST_HEAD_SIZE = 24n;
const SIGCHLD = 17;

function sysExit(call: SyscallCall): number {
  const code = int(call.args[0]) & 0xff;
  if (call.task.isLeader) call.group.leaderExitCode = code;
  exitTask(call.kernel, call.task, code);
  return 0;
}

function sysExitGroup(call: SyscallCall): number {
  exitGroup(call.kernel, call.group, { code: int(call.args[0]) & 0xff });
  return 0;
}

function sysSetTidAddress(call: SyscallCall): number {
  call.task.clearChildTid = call.args[0];
  return call.task.tid;
}

function sysSetRobustList(call: SyscallCall): number {
  if (call.args[1] !== ROBUST_LIST_HEAD_SIZE) return -EINVAL;
  call.task.robustList = { head: call.args[0], length: call.args[1] };
  return 0;
}

/** A thread for calls whose "pid" names a thread (0: the caller). */
function threadArg(call: SyscallCall, pid: number): Task | undefined {
  if (pid === 0) return call.task;
  return call.kernel.tasks.get(pid);
}

function sysGetRobustList(call: SyscallCall): number {
  const t = threadArg(call, int(call.args[0]));
  if (!t) return -ESRCH;
  call.mem.writeU64(ptr(call.args[2]), t.robustList.length);
  call.mem.writeU64(ptr(call.args[1]), t.robustList.head);
  return 0;
}

/** do_arch_prctl_64. */
function sysArchPrctl(call: SyscallCall): number {
  const option = int(call.args[0]);
  const arg = call.args[1];
  const ctx = call.task.ctx;
  switch (option) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (arg >= BigInt(TASK_SIZE)) return -EPERM;
      if (option === ARCH_SET_FS) ctx.fsBase = arg;
      else ctx.gsBase = arg;
      return 0;
    case ARCH_GET_FS:
      call.mem.writeU64(ptr(arg), ctx.fsBase);
      return 0;
    case ARCH_GET_GS:
      call.mem.writeU64(ptr(arg), ctx.gsBase);
      return 0;
    default:
      return -EINVAL;
  }
}

function isSelf(call: SyscallCall, pid: number): boolean {
  return pid === 0 || pid === call.group.tgid;
}

/** SYSCALL_DEFINE4(prlimit64): old limit copied out before the new one is set, like do_prlimit. */
function sysPrlimit64(call: SyscallCall): number {
  const [pid, res, newAddr, oldAddr] = call.args;
  if (!isSelf(call, int(pid))) return -ESRCH;
  const resource = uint(res);
  if (resource >= RLIM_NLIMITS) return -EINVAL;
  let next;
  if (newAddr !== 0n) next = { cur: call.mem.readU64(ptr(newAddr)), max: call.mem.readU64(ptr(newAddr) + 8) };
  const old = call.group.rlimits.get(resource);
  if (next) {
    const r = call.group.rlimits.set(resource, next);
    if (r < 0) return r;
  }
  if (oldAddr !== 0n) {
    call.mem.writeU64(ptr(oldAddr), old.cur);
    call.mem.writeU64(ptr(oldAddr) + 8, old.max);
  }
  return 0;
}

function sysGetrlimit(call: SyscallCall): number {
  const resource = uint(call.args[0]);
  if (resource >= RLIM_NLIMITS) return -EINVAL;
  const l = call.group.rlimits.get(resource);
  call.mem.writeU64(ptr(call.args[1]), l.cur);
  call.mem.writeU64(ptr(call.args[1]) + 8, l.max);
  return 0;
}

function sysSetrlimit(call: SyscallCall): number {
  const resource = uint(call.args[0]);
  if (resource >= RLIM_NLIMITS) return -EINVAL;
  const at = ptr(call.args[1]);
  return call.group.rlimits.set(resource, { cur: call.mem.readU64(at), max: call.mem.readU64(at + 8) });
}

/** The cpumask size the kernel copies (BITS_TO_LONGS(nr_cpu_ids) longs: 8 bytes for up to 64 vCPUs). */
const CPUMASK_BYTES = 8;

/** sched_getaffinity: the allowed CPUs that are online; returns the bytes written. */
function sysSchedGetaffinity(call: SyscallCall): number {
  const [pid, len, mask] = call.args;
  const size = length(len);
  const cpus = call.kernel.vcpus.length;
  if (size * 8 < cpus || size % 8 !== 0) return -EINVAL;
  const t = threadArg(call, int(pid));
  if (!t) return -ESRCH;
  call.mem.writeU64(ptr(mask), t.allowed & allCpusMask(cpus));
  return Math.min(size, CPUMASK_BYTES);
}

/** sched_setaffinity: a thread leaves a vCPU its new mask forbids at once. */
function sysSchedSetaffinity(call: SyscallCall): number {
  const [pid, len, mask] = call.args;
  const t = threadArg(call, int(pid));
  if (!t) return -ESRCH;
  const size = Math.min(length(len), CPUMASK_BYTES);
  const bytes = call.mem.read(ptr(mask), size);
  let requested = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) requested = (requested << 8n) | BigInt(bytes[i]);
  const allowed = requested & allCpusMask(call.kernel.vcpus.length);
  if (allowed === 0n) return -EINVAL;
  t.allowed = allowed;
  call.kernel.compactCids(t.group.mm);
  if (!cpuAllowed(allowed, t.cpu)) {
    let target = 0;
    while (!cpuAllowed(allowed, target)) target++;
    call.kernel.scheduler.migrate(t, leastLoadedAllowed(call, allowed) ?? target, call.kernel.timeOf(call.task), 'affinity');
  }
  return 0;
}

function leastLoadedAllowed(call: SyscallCall, allowed: bigint): number | undefined {
  let best: number | undefined;
  for (const v of call.kernel.vcpus) {
    if (!cpuAllowed(allowed, v.id)) continue;
    if (best === undefined || v.load < call.kernel.vcpus[best].load) best = v.id;
  }
  return best;
}

function sysGetcpu(call: SyscallCall): number {
  const [cpu, node] = call.args;
  const t = call.task;
  if (cpu !== 0n) call.mem.writeU32(ptr(cpu), t.cpu);
  if (node !== 0n) call.mem.writeU32(ptr(node), call.kernel.vcpus[t.cpu].node);
  return 0;
}

/** sched_yield: to the tail of the vCPU's queue, if anyone else waits there. */
function sysSchedYield(call: SyscallCall): number {
  const v = call.kernel.vcpus[call.task.cpu];
  if (v.current === call.task && v.queue.length > 0) call.kernel.scheduler.switchOut(call.task, 'yield', v.clock);
  return 0;
}

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;

function sysSchedGetscheduler(call: SyscallCall): number {
  const pid = int(call.args[0]);
  if (pid < 0) return -EINVAL;
  return threadArg(call, pid) ? SCHED_OTHER : -ESRCH;
}

function sysSchedSetscheduler(call: SyscallCall): number {
  const pid = int(call.args[0]);
  const policy = int(call.args[1]);
  if (pid < 0 || call.args[2] === 0n) return -EINVAL;
  if (!threadArg(call, pid)) return -ESRCH;
  const prio = call.mem.readU32(ptr(call.args[2])) | 0;
  if (policy === SCHED_FIFO || policy === SCHED_RR) return -EPERM; // real-time policies need privileges (RLIMIT_RTPRIO is 0)
  if (policy !== SCHED_OTHER && policy !== SCHED_BATCH && policy !== SCHED_IDLE) return -EINVAL;
  return prio === 0 ? 0 : -EINVAL;
}

function sysSchedGetparam(call: SyscallCall): number {
  const pid = int(call.args[0]);
  if (pid < 0 || call.args[1] === 0n) return -EINVAL;
  if (!threadArg(call, pid)) return -ESRCH;
  call.mem.writeU32(ptr(call.args[1]), 0);
  return 0;
}

function sysSchedSetparam(call: SyscallCall): number {
  const pid = int(call.args[0]);
  if (pid < 0 || call.args[1] === 0n) return -EINVAL;
  if (!threadArg(call, pid)) return -ESRCH;
  return (call.mem.readU32(ptr(call.args[1])) | 0) === 0 ? 0 : -EINVAL;
}

function sysPriorityMax(call: SyscallCall): number {
  const policy = int(call.args[0]);
  if (policy === SCHED_FIFO || policy === SCHED_RR) return 99;
  return policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE ? 0 : -EINVAL;
}

function sysPriorityMin(call: SyscallCall): number {
  const policy = int(call.args[0]);
  if (policy === SCHED_FIFO || policy === SCHED_RR) return 1;
  return policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE ? 0 : -EINVAL;
}

function sysSchedRrGetInterval(call: SyscallCall): number {
  const pid = int(call.args[0]);
  if (pid < 0) return -EINVAL;
  if (!threadArg(call, pid)) return -ESRCH;
  // SCHED_OTHER tasks report 0 (no fixed slice), as fair_sched_class's get_rr_interval does on an idle queue.
  call.mem.writeU64(ptr(call.args[1]), 0n);
  call.mem.writeU64(ptr(call.args[1]) + 8, 0n);
  return 0;
}

/** getpriority returns 20 - nice (kernel/sys.c); every task runs at nice 0 unless set. */
function sysGetpriority(call: SyscallCall): number {
  const which = int(call.args[0]);
  if (which < 0 || which > 2) return -EINVAL;
  return 20 - call.task.nice;
}

function sysSetpriority(call: SyscallCall): number {
  const which = int(call.args[0]);
  const nice = Math.max(-20, Math.min(19, int(call.args[2])));
  if (which < 0 || which > 2) return -EINVAL;
  if (nice < call.task.nice) return -EPERM; // lowering nice needs CAP_SYS_NICE (RLIMIT_NICE is 0)
  call.task.nice = nice;
  return 0;
}

/** futex(2): the operations glibc uses, with Linux's argument rules. */
function sysFutex(call: SyscallCall): SyscallResult {
  const [uaddr, opArg, valArg, timeoutArg, uaddr2Arg, val3Arg] = call.args;
  const op = int(opArg);
  const cmd = op & FUTEX_CMD_MASK;
  const k = call.kernel;
  const addr = ptr(uaddr);
  if (addr % 4 !== 0) return -EINVAL;
  const isPrivate = (op & FUTEX_PRIVATE_FLAG) !== 0;
  const key = k.futexKey(call.task, addr, isPrivate);
  const key2 = (a: number) => k.futexKey(call.task, a, isPrivate);
  const val = uint(valArg);
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  if (realtime && cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_LOCK_PI2 && cmd !== 11) return -ENOSYS;
  /** The timeout as an absolute machine time: relative for FUTEX_WAIT, absolute otherwise. */
  const deadline = (relative: boolean, clock: number): bigint | number | undefined => {
    if (timeoutArg === 0n) return undefined;
    const ns = readTimespec(call.mem, ptr(timeoutArg));
    if (typeof ns === 'number') return ns;
    return relative ? k.timeOf(call.task) + ns : k.deadlineFrom(clock, ns);
  };
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const d = deadline(cmd === FUTEX_WAIT, realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
      if (typeof d === 'number') return d;
      const bitset = cmd === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : uint(val3Arg);
      return k.futexes.wait(call.task, call.mem, key, addr, val, bitset, d);
    }
    case FUTEX_WAKE:
      return k.futexes.wakeUp(key, int(valArg) < 0 ? 0x7fffffff : val);
    case FUTEX_WAKE_BITSET:
      return k.futexes.wakeUp(key, int(valArg) < 0 ? 0x7fffffff : val, uint(val3Arg));
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      const addr2 = ptr(uaddr2Arg);
      if (addr2 % 4 !== 0) return -EINVAL;
      const nRequeue = int(timeoutArg);
      return k.futexes.requeue(call.mem, key, addr, key2(addr2), int(valArg), nRequeue, cmd === FUTEX_CMP_REQUEUE ? uint(val3Arg) : undefined);
    }
    case FUTEX_WAKE_OP: {
      const addr2 = ptr(uaddr2Arg);
      if (addr2 % 4 !== 0) return -EINVAL;
      return k.futexes.wakeOp(call.mem, key, key2(addr2), addr2, int(valArg), int(timeoutArg), uint(val3Arg));
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      // LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME.
      const d = cmd === FUTEX_TRYLOCK_PI ? undefined : deadline(false, cmd === FUTEX_LOCK_PI || realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
      if (typeof d === 'number') return d;
      return k.futexes.lockPi(call.task, call.mem, key, addr, d, cmd === FUTEX_TRYLOCK_PI);
    }
    case FUTEX_UNLOCK_PI:
      return k.futexes.unlockPi(call.task, call.mem, key, addr);
    default:
      k.warnOnce(`futex:${cmd}`, `rseqlab: futex operation ${cmd} is not implemented; returned ENOSYS`);
      return -ENOSYS;
  }
}

function sysClone(call: SyscallCall): SyscallResult {
  const [flags, stack, parentTid, childTid, tls] = call.args;
  const f = Number(flags & 0xffffffffn);
  return kernelClone(call.kernel, call.task, { flags: f & ~0xff, stack, parentTid, childTid, tls, exitSignal: f & 0xff });
}

function sysClone3(call: SyscallCall): SyscallResult {
  const args = readCloneArgs(call.kernel, ptr(call.args[0]), length(call.args[1]));
  if (typeof args === 'number') return args;
  return kernelClone(call.kernel, call.task, args);
}

const PR_SET_PDEATHSIG = 1;
const PR_GET_PDEATHSIG = 2;
const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;
const PR_SET_NAME = 15;
const PR_GET_NAME = 16;
const PR_GET_TIMERSLACK = 30;
const PR_SET_TIMERSLACK = 29;
const PR_SET_VMA = 0x53564d41;

/** prctl as glibc and test programs use it. */
function sysPrctl(call: SyscallCall): number {
  const [optArg, a2] = call.args;
  const option = int(optArg);
  const t = call.task;
  switch (option) {
    case PR_SET_PDEATHSIG: {
      const sig = Number(a2);
      if (sig < 0 || sig > 64) return -EINVAL;
      t.pdeathSignal = sig;
      return 0;
    }
    case PR_GET_PDEATHSIG:
      call.mem.writeU32(ptr(a2), t.pdeathSignal);
      return 0;
    case PR_GET_DUMPABLE:
      return call.group.dumpable ? 1 : 0;
    case PR_SET_DUMPABLE:
      if (a2 !== 0n && a2 !== 1n) return -EINVAL;
      call.group.dumpable = a2 === 1n;
      return 0;
    case PR_SET_NAME: {
      const bytes = call.mem.read(ptr(a2), 16);
      const nul = bytes.indexOf(0);
      t.name = new TextDecoder().decode(bytes.subarray(0, nul < 0 ? 15 : Math.min(nul, 15)));
      return 0;
    }
    case PR_GET_NAME: {
      const out = new Uint8Array(16);
      out.set(new TextEncoder().encode(t.name).subarray(0, 15));
      call.mem.write(ptr(a2), out);
      return 0;
    }
    case PR_GET_TIMERSLACK:
      return 50_000;
    case PR_SET_TIMERSLACK:
      return 0;
    case PR_SET_VMA:
      return -EINVAL; // CONFIG_ANON_VMA_NAME off: glibc ignores the failure
    case PR_RSEQ_SLICE_EXTENSION: {
      const r = sliceExtensionPrctl(t.rseq, call.mem, call.kernel.profile, call.args);
      if (r !== 'segv') return r;
      // force_sig(SIGSEGV): user space changed the flags the kernel wrote.
      exitGroup(call.kernel, call.group, { signal: SIGSEGV, core: false, reason: 'rseq: prctl(PR_RSEQ_SLICE_EXTENSION): the rseq area\'s slice extension flags are not what the kernel wrote' });
      return -EFAULT;
    }
    default:
      call.kernel.warnOnce(`prctl:${option}`, `rseqlab: prctl option ${option} is not modelled; returned EINVAL`);
      return -EINVAL;
  }
}

const MEMBARRIER_CMD_QUERY = 0;
const MEMBARRIER_CMD_GLOBAL = 1;
const MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 128;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256;
const MEMBARRIER_CMD_GET_REGISTRATIONS = 512;
const MEMBARRIER_CMD_FLAG_CPU = 1;
/** The commands this model answers (MEMBARRIER_CMD_QUERY's answer). */
const MEMBARRIER_SUPPORTED = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ |
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_GET_REGISTRATIONS;

/**
 * membarrier (kernel/sched/membarrier.c). Every vCPU executes one
 * instruction at a time against one memory, so the barriers themselves have
 * nothing to order; what remains are the registration rules and errnos, and
 * for PRIVATE_EXPEDITED_RSEQ the IPI: every other thread of the process
 * running on the targeted vCPUs (all, or the one MEMBARRIER_CMD_FLAG_CPU
 * names) takes the rseq preempt event, so one inside a critical section
 * aborts before it runs on (ipi_rseq -> rseq_preempt).
 */
function sysMembarrier(call: SyscallCall): number {
  const cmd = int(call.args[0]);
  const flags = uint(call.args[1]);
  const cpuId = int(call.args[2]);
  const g = call.group;
  if (cmd === MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) {
    if (flags !== 0 && flags !== MEMBARRIER_CMD_FLAG_CPU) return -EINVAL;
  } else if (cmd !== MEMBARRIER_CMD_QUERY && flags !== 0) {
    return -EINVAL;
  }
  switch (cmd) {
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ:
      g.membarrierRegistrations |= cmd;
      return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ: {
      if (!(g.membarrierRegistrations & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)) return -EPERM;
      const vcpus = call.kernel.vcpus;
      // A CPU that does not exist (or is offline) makes the call a no-op that succeeds.
      if (flags & MEMBARRIER_CMD_FLAG_CPU && (cpuId < 0 || cpuId >= vcpus.length)) return 0;
      for (const v of vcpus) {
        if (flags & MEMBARRIER_CMD_FLAG_CPU && v.id !== cpuId) continue;
        const t = v.current;
        if (!t || t === call.task || t.group.mm !== g.mm) continue;
        t.rseq.event(RSEQ_EVENT_PREEMPT);
        t.returnWork = true;
      }
      return 0;
    }
    case MEMBARRIER_CMD_QUERY:
      return flags === 0 ? MEMBARRIER_SUPPORTED : -EINVAL;
    case MEMBARRIER_CMD_GLOBAL:
      return 0;
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
      return 0;
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      g.membarrierRegistrations |= cmd;
      return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
      return g.membarrierRegistrations & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED ? 0 : -EPERM;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
      return g.membarrierRegistrations & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE ? 0 : -EPERM;
    case MEMBARRIER_CMD_GET_REGISTRATIONS:
      return g.membarrierRegistrations;
    default:
      return -EINVAL;
  }
}

function sysSetpgid(call: SyscallCall): number {
  const pid = int(call.args[0]) || call.group.tgid;
  const pgid = int(call.args[1]) || pid;
  if (pgid < 0) return -EINVAL;
  const p = call.kernel.processes.get(pid);
  if (!p || (p !== call.group && p.parent !== call.group)) return -ESRCH;
  if (p.sid !== call.group.sid) return -EPERM;
  if (p.tgid === p.sid) return -EPERM; // a session leader cannot change its group
  if (pgid !== pid && ![...call.kernel.processes.values()].some((q) => q.pgid === pgid && q.sid === call.group.sid)) return -EPERM;
  p.pgid = pgid;
  return 0;
}

function sysGetpgid(call: SyscallCall): number {
  const pid = int(call.args[0]);
  const p = pid === 0 ? call.group : call.kernel.processes.get(pid);
  return p ? p.pgid : -ESRCH;
}

function sysGetsid(call: SyscallCall): number {
  const pid = int(call.args[0]);
  const p = pid === 0 ? call.group : call.kernel.processes.get(pid);
  return p ? p.sid : -ESRCH;
}

function sysSetsid(call: SyscallCall): number {
  const g = call.group;
  if ([...call.kernel.processes.values()].some((q) => q.pgid === g.tgid)) return -EPERM;
  g.sid = g.tgid;
  g.pgid = g.tgid;
  return g.sid;
}

export const processSyscalls: SyscallFamily = {
  exit: sysExit,
  exit_group: sysExitGroup,
  getpid: (c) => c.group.tgid,
  gettid: (c) => c.task.tid,
  getppid: (c) => c.group.ppid,
  getuid: (c) => c.group.creds.uid,
  geteuid: (c) => c.group.creds.euid,
  getgid: (c) => c.group.creds.gid,
  getegid: (c) => c.group.creds.egid,
  getpgrp: (c) => c.group.pgid,
  getpgid: sysGetpgid,
  setpgid: sysSetpgid,
  getsid: sysGetsid,
  setsid: sysSetsid,
  set_tid_address: sysSetTidAddress,
  set_robust_list: sysSetRobustList,
  get_robust_list: sysGetRobustList,
  arch_prctl: sysArchPrctl,
  prlimit64: sysPrlimit64,
  getrlimit: sysGetrlimit,
  setrlimit: sysSetrlimit,
  sched_getaffinity: sysSchedGetaffinity,
  sched_setaffinity: sysSchedSetaffinity,
  getcpu: sysGetcpu,
  sched_yield: sysSchedYield,
  sched_getscheduler: sysSchedGetscheduler,
  sched_setscheduler: sysSchedSetscheduler,
  sched_getparam: sysSchedGetparam,
  sched_setparam: sysSchedSetparam,
  sched_get_priority_max: sysPriorityMax,
  sched_get_priority_min: sysPriorityMin,
  sched_rr_get_interval: sysSchedRrGetInterval,
  getpriority: sysGetpriority,
  setpriority: sysSetpriority,
  futex: sysFutex,
  clone: sysClone,
  clone3: sysClone3,
  fork: (c) => kernelClone(c.kernel, c.task, { flags: 0, stack: 0n, parentTid: 0n, childTid: 0n, tls: 0n, exitSignal: SIGCHLD }),
  vfork: (c) => kernelClone(c.kernel, c.task, { flags: CLONE_VM | CLONE_VFORK, stack: 0n, parentTid: 0n, childTid: 0n, tls: 0n, exitSignal: SIGCHLD }),
  prctl: sysPrctl,
  membarrier: sysMembarrier,
};

