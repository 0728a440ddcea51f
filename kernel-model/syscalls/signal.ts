// Signal calls (kernel/signal.c): actions and masks are recorded exactly,
// signals sent to the process itself become pending and are acted on at the
// next return to user space (kernel.ts). Running handlers comes later.

import { EINVAL, ENOMEM, ESRCH } from '../errno.js';
import { NSIG, SIGKILL, SIGSTOP, UNBLOCKABLE, type SigAction } from '../signals.js';
import { SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from '../task.js';
import { int, ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

/** sizeof(sigset_t) for rt_sigaction / rt_sigprocmask. */
const SIGSET_SIZE = 8n;
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;
/** MINSIGSTKSZ (arch/x86/include/uapi/asm/signal.h). */
const MINSIGSTKSZ = 2048n;

function validSignal(sig: number): boolean {
  return sig >= 1 && sig <= NSIG;
}

/** SYSCALL_DEFINE4(rt_sigaction) and do_sigaction. */
function sysRtSigaction(call: SyscallCall): number {
  const [sigArg, act, oact, size] = call.args;
  if (size !== SIGSET_SIZE) return -EINVAL;
  const sig = int(sigArg);
  let next: SigAction | undefined;
  if (act !== 0n) {
    const a = ptr(act);
    next = { handler: call.mem.readU64(a), flags: call.mem.readU64(a + 8), restorer: call.mem.readU64(a + 16), mask: call.mem.readU64(a + 24) };
  }
  if (!validSignal(sig) || (next && (sig === SIGKILL || sig === SIGSTOP))) return -EINVAL;
  const old = call.group.actions.get(sig);
  if (next) call.group.actions.set(sig, next);
  if (oact !== 0n) {
    const o = ptr(oact);
    call.mem.writeU64(o, old.handler);
    call.mem.writeU64(o + 8, old.flags);
    call.mem.writeU64(o + 16, old.restorer);
    call.mem.writeU64(o + 24, old.mask);
  }
  return 0;
}

function sysRtSigprocmask(call: SyscallCall): number {
  const [howArg, set, oset, size] = call.args;
  if (size !== SIGSET_SIZE) return -EINVAL;
  const task = call.task;
  const old = task.blocked;
  if (set !== 0n) {
    const mask = call.mem.readU64(ptr(set)) & ~UNBLOCKABLE;
    switch (int(howArg)) {
      case SIG_BLOCK:
        task.blocked |= mask;
        break;
      case SIG_UNBLOCK:
        task.blocked &= ~mask;
        break;
      case SIG_SETMASK:
        task.blocked = mask;
        break;
      default:
        return -EINVAL;
    }
  }
  if (oset !== 0n) call.mem.writeU64(ptr(oset), old);
  return 0;
}

/** do_sigaltstack; a task never runs on its alternate stack yet, so EPERM cannot happen. */
function sysSigaltstack(call: SyscallCall): number {
  const [ss, oss] = call.args;
  const task = call.task;
  const old = task.altStack;
  if (ss !== 0n) {
    const a = ptr(ss);
    const sp = call.mem.readU64(a);
    const flags = call.mem.readU32(a + 8) | 0;
    const size = call.mem.readU64(a + 16);
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -EINVAL;
    if (mode === SS_DISABLE) {
      task.altStack = { sp: 0n, size: 0n, flags: SS_DISABLE };
    } else {
      if (size < MINSIGSTKSZ) return -ENOMEM;
      task.altStack = { sp, size, flags: flags & SS_AUTODISARM };
    }
  }
  if (oss !== 0n) {
    const o = ptr(oss);
    call.mem.writeU64(o, old.sp);
    call.mem.writeU32(o + 8, old.size === 0n ? SS_DISABLE : old.flags);
    call.mem.writeU32(o + 12, 0);
    call.mem.writeU64(o + 16, old.size);
  }
  return 0;
}

function signalSelf(call: SyscallCall, sig: number): number {
  if (sig < 0 || sig > NSIG) return -EINVAL;
  if (sig === 0) return 0; // existence and permission check only
  call.kernel.sendSignal(call.task, sig);
  return 0;
}

/** kill(pid, sig): this model has one process, which leads its own process group. */
function sysKill(call: SyscallCall): number {
  const pid = int(call.args[0]);
  const sig = int(call.args[1]);
  const tgid = call.group.tgid;
  const self = pid === tgid || pid === 0 || pid === -1 || pid === -tgid;
  if (sig < 0 || sig > NSIG) return -EINVAL;
  if (!self) return -ESRCH;
  return signalSelf(call, sig);
}

function sysTgkill(call: SyscallCall): number {
  const tgid = int(call.args[0]);
  const tid = int(call.args[1]);
  const sig = int(call.args[2]);
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  if (tgid !== call.group.tgid || !call.group.task(tid)) return -ESRCH;
  return signalSelf(call, sig);
}

function sysTkill(call: SyscallCall): number {
  const tid = int(call.args[0]);
  if (tid <= 0) return -EINVAL;
  if (!call.group.task(tid)) return -ESRCH;
  return signalSelf(call, int(call.args[1]));
}

export const signalSyscalls: SyscallFamily = {
  rt_sigaction: sysRtSigaction,
  rt_sigprocmask: sysRtSigprocmask,
  sigaltstack: sysSigaltstack,
  kill: sysKill,
  tgkill: sysTgkill,
  tkill: sysTkill,
};

