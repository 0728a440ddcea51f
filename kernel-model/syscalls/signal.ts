// Signal calls (kernel/signal.c): actions, masks, sending, waiting and
// rt_sigreturn. Argument conversion only; signal-delivery.ts does the work.

import { EAGAIN, EINTR, EINVAL, ENOMEM, EPERM, ERESTARTNOHAND, ESRCH } from '../errno.js';
import { hex } from '../layout.js';
import { decodeSigInfo, encodeSigInfo, SIGINFO_SIZE, SI_TKILL } from '../siginfo.js';
import { onSigStack } from '../signal-frame.js';
import { hasDeliverable, sendSignal, sigreturn, userSigInfo } from '../signal-delivery.js';
import { NSIG, SIGKILL, SIGSTOP, UNBLOCKABLE, sigmaskBit, type SigAction } from '../signals.js';
import { SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, type Task } from '../task.js';
import type { ThreadGroup } from '../thread-group.js';
import { block, type SyscallResult } from '../wait.js';
import { int, ptr, readTimespec } from './args.js';
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

/** do_sigaltstack: no change while running on the alternate stack (EPERM). */
function sysSigaltstack(call: SyscallCall): number {
  const [ss, oss] = call.args;
  const task = call.task;
  const old = task.altStack;
  const sp = task.ctx.gpr[4];
  const onStack = onSigStack(sp, old);
  if (ss !== 0n) {
    if (onStack) return -EPERM;
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
    call.mem.writeU32(o + 8, onStack ? SS_ONSTACK : old.size === 0n ? SS_DISABLE : old.flags);
    call.mem.writeU32(o + 12, 0);
    call.mem.writeU64(o + 16, old.size);
  }
  return 0;
}

/** The processes kill(pid) names (kill_something_info): one, a process group, or every other process. */
function killTargets(call: SyscallCall, pid: number): ThreadGroup[] {
  const all = [...call.kernel.processes.values()].filter((p) => p.state === 'alive');
  if (pid > 0) return all.filter((p) => p.tgid === pid);
  if (pid === 0) return all.filter((p) => p.pgid === call.group.pgid);
  if (pid === -1) return all.filter((p) => p !== call.group && p.tgid !== 1);
  return all.filter((p) => p.pgid === -pid);
}

function sysKill(call: SyscallCall): number {
  const pid = int(call.args[0]);
  const sig = int(call.args[1]);
  if (sig < 0 || sig > NSIG) return -EINVAL;
  const targets = killTargets(call, pid);
  if (targets.length === 0) return -ESRCH;
  if (sig === 0) return 0;
  for (const p of targets) sendSignal(call.kernel, p, sig, userSigInfo(sig, call.task), 'process', call.task.tid);
  return 0;
}

/** do_tkill: a signal for one thread (SI_TKILL). */
function tkill(call: SyscallCall, tgid: number, tid: number, sig: number): number {
  if (sig < 0 || sig > NSIG) return -EINVAL;
  const t = call.kernel.tasks.get(tid);
  if (!t || (tgid > 0 && t.group.tgid !== tgid)) return -ESRCH;
  if (sig === 0) return 0;
  sendSignal(call.kernel, t, sig, userSigInfo(sig, call.task, SI_TKILL), 'thread', call.task.tid);
  return 0;
}

function sysTgkill(call: SyscallCall): number {
  const tgid = int(call.args[0]);
  const tid = int(call.args[1]);
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  return tkill(call, tgid, tid, int(call.args[2]));
}

function sysTkill(call: SyscallCall): number {
  const tid = int(call.args[0]);
  if (tid <= 0) return -EINVAL;
  return tkill(call, 0, tid, int(call.args[1]));
}

/** rt_sigqueueinfo / rt_tgsigqueueinfo: the caller's siginfo; only negative codes (other than SI_TKILL) for others. */
function queueInfo(call: SyscallCall, target: Task | ThreadGroup, sig: number, infoAddr: number): number {
  if (sig < 1 || sig > NSIG) return -EINVAL;
  const info = decodeSigInfo(call.mem.read(infoAddr, SIGINFO_SIZE));
  const self = 'tgid' in target ? target === call.group : target.group === call.group;
  if ((info.code >= 0 || info.code === SI_TKILL) && !self) return -EPERM;
  info.signo = sig;
  sendSignal(call.kernel, target, sig, info, 'tgid' in target ? 'process' : 'thread', call.task.tid);
  return 0;
}

function sysRtSigqueueinfo(call: SyscallCall): number {
  const p = call.kernel.processes.get(int(call.args[0]));
  if (!p || p.state !== 'alive') return -ESRCH;
  return queueInfo(call, p, int(call.args[1]), ptr(call.args[2]));
}

function sysRtTgsigqueueinfo(call: SyscallCall): number {
  const t = call.kernel.tasks.get(int(call.args[1]));
  if (!t || t.group.tgid !== int(call.args[0])) return -ESRCH;
  return queueInfo(call, t, int(call.args[2]), ptr(call.args[3]));
}

function sysRtSigreturn(call: SyscallCall): bigint {
  return sigreturn(call.kernel, call.task);
}

/** rt_sigpending: the thread's and the process's pending signals that are blocked. */
function sysRtSigpending(call: SyscallCall): number {
  if (call.args[1] > SIGSET_SIZE) return -EINVAL;
  const t = call.task;
  const pending = (t.pending.mask | t.group.sharedPending.mask) & t.blocked;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, pending, true);
  call.mem.write(ptr(call.args[0]), bytes.subarray(0, Number(call.args[1])));
  return 0;
}

/** rt_sigsuspend: wait with a temporary mask until a signal is delivered; the old mask returns after the handler. */
function sysRtSigsuspend(call: SyscallCall): SyscallResult {
  if (call.args[1] !== SIGSET_SIZE) return -EINVAL;
  const t = call.task;
  const mask = call.mem.readU64(ptr(call.args[0])) & ~UNBLOCKABLE;
  t.savedMask = t.blocked;
  t.blocked = mask;
  if (hasDeliverable(t)) return -ERESTARTNOHAND;
  return block({ what: { kind: 'sigsuspend', detail: `rt_sigsuspend (mask ${hex(mask)})` }, interruptible: true, resume: () => -ERESTARTNOHAND });
}

/** rt_sigtimedwait: takes a signal of `set` without running its handler; EAGAIN at the timeout, EINTR for another signal. */
function sysRtSigtimedwait(call: SyscallCall): SyscallResult {
  const [setArg, infoArg, timeoutArg, size] = call.args;
  if (size !== SIGSET_SIZE) return -EINVAL;
  const k = call.kernel;
  const t = call.task;
  const set = call.mem.readU64(ptr(setArg)) & ~UNBLOCKABLE;
  let deadline: bigint | undefined;
  if (timeoutArg !== 0n) {
    const ns = readTimespec(call.mem, ptr(timeoutArg));
    if (typeof ns === 'number') return ns;
    deadline = k.timeOf(t) + ns;
  }
  const take = (): number | undefined => {
    for (const pending of [t.pending, t.group.sharedPending]) {
      const ready = pending.mask & set;
      if (ready === 0n) continue;
      let sig = 1;
      while (!(ready & sigmaskBit(sig))) sig++;
      const q = pending.take(sig);
      if (infoArg !== 0n) call.mem.write(ptr(infoArg), encodeSigInfo(q?.info ?? userSigInfo(sig, t)));
      return sig;
    }
    return undefined;
  };
  const got = take();
  if (got !== undefined) return got;
  if (deadline !== undefined && deadline <= k.timeOf(t)) return -EAGAIN;
  // While waiting, the signals of the set are unblocked so that they wake the thread (real_blocked).
  const realBlocked = t.blocked;
  t.realBlocked = realBlocked;
  t.blocked &= ~set;
  const restore = (): void => {
    t.blocked = realBlocked;
    t.realBlocked = 0n;
  };
  return block({
    what: { kind: 'sigtimedwait', detail: `rt_sigtimedwait for ${hex(set)}` },
    deadline,
    interruptible: true,
    cancel: restore,
    resume: (reason) => {
      restore();
      const sig = take();
      if (sig !== undefined) return sig;
      return reason === 'timeout' ? -EAGAIN : -EINTR;
    },
  });
}

export const signalSyscalls: SyscallFamily = {
  rt_sigaction: sysRtSigaction,
  rt_sigprocmask: sysRtSigprocmask,
  rt_sigreturn: sysRtSigreturn,
  rt_sigpending: sysRtSigpending,
  rt_sigsuspend: sysRtSigsuspend,
  rt_sigtimedwait: sysRtSigtimedwait,
  rt_sigqueueinfo: sysRtSigqueueinfo,
  rt_tgsigqueueinfo: sysRtTgsigqueueinfo,
  sigaltstack: sysSigaltstack,
  kill: sysKill,
  tgkill: sysTgkill,
  tkill: sysTkill,
};
