// Process and thread calls (kernel/exit.c, kernel/sys.c, kernel/fork.c
// set_tid_address, kernel/futex/syscalls.c, arch/x86/kernel/process_64.c
// arch_prctl, kernel/sched/core.c affinity and yield).


import { EAGAIN, EINVAL, ENOSYS, EPERM, ESRCH, ETIMEDOUT } from '../errno.js';
import { TASK_SIZE, hex } from '../layout.js';
import { RLIM_NLIMITS } from '../rlimits.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, NSEC_PER_SEC } from '../clock.js';
import { int, length, ptr, uint } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;

/** sizeof(struct robust_list_head). */
const ROBUST_LIST_HEAD_SIZE = 24n;

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;

/** The number of vCPUs the process may run on. */
const NR_CPUS = 1;

function sysExit(call: SyscallCall): number {
  // The only thread exiting ends the process with its status.
  call.kernel.exitGroup(int(call.args[0]));
  return 0;
}

function sysExitGroup(call: SyscallCall): number {
  call.kernel.exitGroup(int(call.args[0]));
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

function sysGetRobustList(call: SyscallCall): number {
  const pid = int(call.args[0]);
  if (pid !== 0 && pid !== call.task.tid) return -ESRCH;
  call.mem.writeU64(ptr(call.args[2]), call.task.robustList.length);
  call.mem.writeU64(ptr(call.args[1]), call.task.robustList.head);
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

/** sched_getaffinity: returns the number of bytes written (one unsigned long). */
function sysSchedGetaffinity(call: SyscallCall): number {
  const [pid, len, mask] = call.args;
  const size = length(len);
  if (size * 8 < NR_CPUS || size % 8 !== 0) return -EINVAL;
  if (!isSelf(call, int(pid)) && int(pid) !== call.task.tid) return -ESRCH;
  call.mem.writeU64(ptr(mask), (1n << BigInt(NR_CPUS)) - 1n);
  return 8;
}

function sysSchedSetaffinity(call: SyscallCall): number {
  const [pid, len, mask] = call.args;
  if (!isSelf(call, int(pid)) && int(pid) !== call.task.tid) return -ESRCH;
  const size = Math.min(length(len), 8);
  if (size === 0) return -EINVAL;
  const bytes = call.mem.read(ptr(mask), size);
  // The only CPU is 0: a mask without it leaves no allowed CPU.
  return (bytes[0] & 1) !== 0 ? 0 : -EINVAL;
}

function sysGetcpu(call: SyscallCall): number {
  const [cpu, node] = call.args;
  if (cpu !== 0n) call.mem.writeU32(ptr(cpu), call.task.cpu);
  if (node !== 0n) call.mem.writeU32(ptr(node), 0);
  return 0;
}

/**
 * futex with one thread: a wake finds no waiter (0 woken); a wait whose
 * value matches could only be woken by another thread, so it would hang for
 * ever; with a timeout it times out after the clock moves on.
 */
function sysFutex(call: SyscallCall): number {
  const [uaddr, opArg, val, timeout] = call.args;
  const op = int(opArg);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const addr = ptr(uaddr);
  if (addr % 4 !== 0) return -EINVAL;
  switch (cmd) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      return 0;
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const current = call.mem.readU32(addr);
      if (current !== uint(val)) return -EAGAIN;
      if (timeout !== 0n) {
        const sec = call.mem.readI64(ptr(timeout));
        const nsec = call.mem.readI64(ptr(timeout) + 8);
        if (sec < 0n || nsec < 0n || nsec >= NSEC_PER_SEC) return -EINVAL;
        const ns = sec * NSEC_PER_SEC + nsec;
        if (cmd === FUTEX_WAIT) {
          call.kernel.clock.sleep(ns); // relative timeout
        } else {
          const now = call.kernel.clock.read(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC) as bigint;
          call.kernel.clock.sleep(ns - now); // absolute timeout
        }
        return -ETIMEDOUT;
      }
      call.kernel.deadlock(
        `futex wait on ${hex(addr)} (value ${current}) with no other thread to wake it: the program would hang for ever (rip ${hex(call.task.ctx.rip)})`,
      );
      return 0;
    }
    default:
      call.kernel.warnOnce(`futex:${cmd}`, `rseqlab: futex operation ${cmd} not implemented; returned ENOSYS`);
      return -ENOSYS;
  }
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
  sched_yield: () => 0,
  futex: sysFutex,
};

