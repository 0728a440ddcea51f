// Signals from generation to delivery (kernel/signal.c, arch/x86/kernel/
// signal.c): who gets a signal (send_signal / complete_signal), which one is
// taken next (dequeue_signal: synchronous faults first, then the lowest
// number), what its disposition does (get_signal), how an interrupted
// system call ends (EINTR or restart, arch_do_signal_or_restart) and the
// handler's frame (signal-frame.ts). The rseq fixup runs before the frame is
// built (rseq_signal_deliver), so a handler that interrupts a critical
// section returns to its abort handler.

import { Reg } from '../emulator/api.js';
import { EINTR, ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS } from './errno.js';
import type { FaultReport, Kernel } from './kernel.js';
import { exitGroup, stopProcess, continueProcess } from './exit.js';
import { blockedForHandler, restoreRtFrame, setupRtFrame, type TrapInfo } from './signal-frame.js';
import { SI_KERNEL, SI_USER, type SigInfo } from './siginfo.js';
import {
  SA_ONSTACK, SA_RESETHAND, SA_RESTART, SIGCONT, SIGKILL, SIGSEGV, SIGSTOP, SIG_DFL, SIG_IGN,
  STOP_SIGNALS, SYNCHRONOUS_MASK, UNBLOCKABLE, defaultAction, sigmaskBit, signalName,
} from './signals.js';
import { RLIMIT_CORE } from './rlimits.js';
import { SS_DISABLE, type Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/** EFLAGS.RF (resume flag), bit 16. */
const X86_EFLAGS_RF = 1n << 16n;
/** __NR_restart_syscall on x86-64. */
const NR_RESTART_SYSCALL = 219;
const SIGRTMIN = 32;

/** The signal the kernel would deliver to this task now, if any, is pending and unblocked. */
export function hasDeliverable(task: Task): boolean {
  const open = ~(task.blocked & ~UNBLOCKABLE);
  return ((task.pending.mask | task.group.sharedPending.mask) & open) !== 0n;
}

/** sig_ignored: a signal nobody will act on is dropped at generation (unless blocked: it may be unblocked after a handler change). */
function ignoredAtGeneration(task: Task, sig: number): boolean {
  if ((task.blocked | task.realBlocked) & sigmaskBit(sig)) return false;
  const a = task.group.actions.get(sig);
  if (a.handler === SIG_IGN) return sig !== SIGKILL && sig !== SIGSTOP;
  return a.handler === SIG_DFL && defaultAction(sig) === 'ignore';
}

/**
 * wants_signal: a thread that could take the signal now (alive, not
 * blocking it). Linux also skips threads already told of a pending signal;
 * in this model such a thread has been woken already, so waking it again is
 * harmless and the choice stays the same.
 */
function wantsSignal(task: Task, sig: number): boolean {
  if (!task.alive) return false;
  if (task.blocked & sigmaskBit(sig) & ~UNBLOCKABLE) return false;
  return true;
}

/**
 * send_signal: queues sig for one thread (thread-directed) or for the
 * process (shared pending), then wakes a thread that can take it.
 */
export function sendSignal(kernel: Kernel, target: Task | ThreadGroup, sig: number, info: SigInfo, scope: 'thread' | 'process', from = 0): void {
  const group = 'tgid' in target ? target : target.group;
  const anyTask = 'tgid' in target ? target.leader : target;
  if (!anyTask || group.state !== 'alive') return;
  kernel.emit({ kind: 'signal-generate', t: kernel.globalTime(), sig, target: 'tgid' in target ? target.tgid : target.tid, scope, code: info.code, from });
  // prepare_signal: stop and continue signals cancel each other.
  if (STOP_SIGNALS & sigmaskBit(sig)) {
    group.sharedPending.flush(sigmaskBit(SIGCONT));
    for (const t of group.tasks) t.pending.flush(sigmaskBit(SIGCONT));
  } else if (sig === SIGCONT) {
    group.sharedPending.flush(STOP_SIGNALS);
    for (const t of group.tasks) t.pending.flush(STOP_SIGNALS);
    continueProcess(kernel, group);
  }
  if (ignoredAtGeneration(anyTask, sig) && !(sig === SIGKILL)) return;
  const pending = scope === 'thread' ? (target as Task).pending : group.sharedPending;
  // Standard signals do not queue: one instance pending at a time. Real-time ones queue.
  if (sig < SIGRTMIN && pending.has(sig)) return;
  pending.queue.push({ sig, info });
  pending.mask |= sigmaskBit(sig);
  completeSignal(kernel, group, scope === 'thread' ? (target as Task) : undefined, sig);
}

/** complete_signal: pick the thread that takes it; a fatal signal takes the whole process down at once. */
function completeSignal(kernel: Kernel, group: ThreadGroup, thread: Task | undefined, sig: number): void {
  let chosen: Task | undefined;
  if (thread) {
    if (wantsSignal(thread, sig)) chosen = thread;
  } else {
    const live = group.liveTasks();
    chosen = live.find((t) => t.isLeader && wantsSignal(t, sig)) ?? live.find((t) => wantsSignal(t, sig));
  }
  if (!chosen) return;
  const action = group.actions.get(sig);
  const fatal = sig === SIGKILL || (action.handler === SIG_DFL && isKilling(sig) && !((chosen.blocked | chosen.realBlocked) & sigmaskBit(sig)));
  if (fatal && !group.groupExiting) {
    // The whole group dies (SIGNAL_GROUP_EXIT): no thread returns to user space.
    exitGroup(kernel, group, { signal: sig, core: dumpsCore(group, sig) });
    return;
  }
  // signal_wake_up: the thread looks at its signals before it next runs user code.
  chosen.returnWork = true;
  kernel.interrupt(chosen);
}

/**
 * do_coredump writes a core (and the wait status says so, WCOREDUMP) only
 * for a dumpable process whose RLIMIT_CORE allows one; the modelled default
 * limit is 0, as on the distributions whose shells set `ulimit -c 0`.
 */
export function dumpsCore(group: ThreadGroup, sig: number): boolean {
  return defaultAction(sig) === 'core' && group.dumpable && group.rlimits.get(RLIMIT_CORE).cur > 0n;
}

function isKilling(sig: number): boolean {
  const d = defaultAction(sig);
  return d === 'terminate' || d === 'core';
}

/**
 * force_sig_fault: a fault the CPU raised. A blocked or ignored fault signal
 * is unblocked and reset to the default action first, so it kills.
 */
export function forceFault(kernel: Kernel, task: Task, info: SigInfo, fault: FaultReport): void {
  const sig = info.signo;
  const action = task.group.actions.get(sig);
  const blocked = (task.blocked & sigmaskBit(sig)) !== 0n;
  if (blocked || action.handler === SIG_IGN) {
    task.group.actions.set(sig, { ...action, handler: SIG_DFL });
    task.blocked &= ~sigmaskBit(sig);
  }
  task.lastFault = fault;
  task.pending.queue.push({ sig, info });
  task.pending.mask |= sigmaskBit(sig);
  task.returnWork = true;
}

/** dequeue_signal: the thread's own signals first, then the process's; synchronous faults before others, lowest number first. */
function dequeue(task: Task): { sig: number; info: SigInfo } | undefined {
  const open = ~(task.blocked & ~UNBLOCKABLE);
  for (const pending of [task.pending, task.group.sharedPending]) {
    const ready = pending.mask & open;
    if (ready === 0n) continue;
    const sync = ready & SYNCHRONOUS_MASK;
    const pick = sync !== 0n ? sync : ready;
    let sig = 1;
    while (!(pick & sigmaskBit(sig))) sig++;
    const q = pending.take(sig);
    return { sig, info: q?.info ?? { kind: 'kill', signo: sig, errno: 0, code: SI_KERNEL, pid: 0, uid: 0 } };
  }
  return undefined;
}

/** What the return-to-user path needs from the machine for one delivery. */
export interface DeliveryHooks {
  /**
   * rseq_signal_deliver: record the signal event and run notify-resume (the
   * fixup) before the frame is built; false if rseq killed the task.
   * `fromSyscall`: the signal arrives on the return from a system call, not
   * by interrupting user code (optimized rseq then leaves rseq_cs alone).
   */
  rseqBeforeFrame(task: Task, fromSyscall: boolean): boolean;
}

/**
 * arch_do_signal_or_restart for one return to user space: delivers at most
 * one signal to a handler (further ones are delivered on later returns, as
 * each handler's frame is built), acting on ignored and default ones on
 * the way. Returns true when the task may go on to user space.
 */
export function doSignal(kernel: Kernel, task: Task, hooks: DeliveryHooks): void {
  const ctx = task.ctx;
  const inSyscall = task.fromSyscall && task.syscallNr >= 0;
  let stopped = false;
  while (!stopped) {
    if (!task.alive || task.group.groupExiting) return;
    const next = dequeue(task);
    if (!next) break;
    const { sig, info } = next;
    const action = task.group.actions.get(sig);
    const disposition = sig === SIGKILL || sig === SIGSTOP ? defaultAction(sig) : task.group.actions.disposition(sig);
    kernel.emit({ kind: 'signal-deliver', t: kernel.timeOf(task), tid: task.tid, sig, action: disposition, handler: disposition === 'handler' ? action.handler : undefined, rip: ctx.rip });
    switch (disposition) {
      case 'ignore':
      case 'continue':
        continue;
      case 'stop':
        // do_signal_stop: the thread stops here; an interrupted system call restarts when it continues.
        stopProcess(kernel, task.group, sig);
        stopped = true;
        break;
      case 'terminate':
      case 'core':
        exitGroup(kernel, task.group, { signal: sig, core: dumpsCore(task.group, sig), fault: task.lastFault });
        return;
      case 'handler': {
        if (inSyscall) restartOrInterrupt(task, (action.flags & SA_RESTART) !== 0n);
        task.fromSyscall = false;
        if (!hooks.rseqBeforeFrame(task, inSyscall)) return;
        const saved = task.savedMask ?? task.blocked;
        task.savedMask = undefined;
        const trap = frameFault(task, sig);
        if (trap) {
          task.trap = trap;
          // A fault pushes EFLAGS with RF set (SDM Vol. 3A 6.12.1: every fault but the instruction
          // breakpoint), and that image is what the frame saves; int3 is a trap and leaves it clear.
          if (trap.trapno !== 3) ctx.rflags |= X86_EFLAGS_RF;
        }
        const r = setupRtFrame(kernel.mem, ctx, { sig, info, action, blocked: saved, altStack: task.altStack, fault: task.trap });
        task.lastFault = undefined;
        if (!r.ok) {
          // force_sigsegv: the frame could not be written; SIGSEGV with its handler reset kills.
          kernel.warnOnce(`frame:${task.tid}:${sig}`, `rseqlab: tid ${task.tid}: cannot build the signal frame for ${signalName(sig)}: ${r.reason}`);
          const seg = task.group.actions.get(SIGSEGV);
          if (sig === SIGSEGV) task.group.actions.set(SIGSEGV, { ...seg, handler: SIG_DFL });
          exitGroup(kernel, task.group, { signal: SIGSEGV, core: dumpsCore(task.group, SIGSEGV), reason: `cannot deliver ${signalName(sig)}: ${r.reason}` });
          return;
        }
        // signal_delivered: block the handler's mask (and the signal itself unless SA_NODEFER).
        task.blocked = blockedForHandler(saved, sig, action);
        if ((action.flags & SA_RESETHAND) !== 0n) task.group.actions.set(sig, { ...action, handler: SIG_DFL, flags: action.flags & ~SA_ONSTACK });
        if (r.disarmAltStack) task.altStack = { sp: 0n, size: 0n, flags: SS_DISABLE };
        return;
      }
    }
  }
  // No handler ran: an interrupted system call restarts (restart_syscall for a restart block).
  if (inSyscall) {
    const rax = Number(BigInt.asIntN(64, ctx.gpr[Reg.RAX]));
    if (rax === -ERESTARTNOHAND || rax === -ERESTARTSYS || rax === -ERESTARTNOINTR) {
      ctx.gpr[Reg.RAX] = BigInt(task.syscallNr);
      ctx.rip -= 2n;
    } else if (rax === -ERESTART_RESTARTBLOCK) {
      ctx.gpr[Reg.RAX] = BigInt(NR_RESTART_SYSCALL);
      ctx.rip -= 2n;
    }
  }
  task.fromSyscall = false;
  // restore_saved_sigmask: sigsuspend's temporary mask ends with the call.
  if (task.savedMask !== undefined) {
    task.blocked = task.savedMask;
    task.savedMask = undefined;
  }
}

/** The interrupted system call's result when a handler runs (handle_signal). */
function restartOrInterrupt(task: Task, saRestart: boolean): void {
  const ctx = task.ctx;
  const rax = Number(BigInt.asIntN(64, ctx.gpr[Reg.RAX]));
  switch (rax) {
    case -ERESTART_RESTARTBLOCK:
    case -ERESTARTNOHAND:
      ctx.gpr[Reg.RAX] = BigInt.asUintN(64, BigInt(-EINTR));
      break;
    case -ERESTARTSYS:
      if (!saRestart) {
        ctx.gpr[Reg.RAX] = BigInt.asUintN(64, BigInt(-EINTR));
        break;
      }
    // fallthrough
    case -ERESTARTNOINTR:
      ctx.gpr[Reg.RAX] = BigInt(task.syscallNr);
      ctx.rip -= 2n;
      break;
  }
}

/** trapno / err / cr2 for the sigcontext of a fault signal (current->thread.trap_nr, error_code, cr2). */
function frameFault(task: Task, sig: number): TrapInfo | undefined {
  const f = task.lastFault;
  if (!f || f.signal !== sig) return undefined;
  switch (f.cause) {
    case 'unmapped':
    case 'protection': {
      // X86_PF_USER (4) | X86_PF_WRITE (2) | X86_PF_PROT (1) | X86_PF_INSTR (16).
      const err = 4 | (f.access === 'write' ? 2 : 0) | (f.cause === 'protection' ? 1 : 0) | (f.access === 'exec' ? 16 : 0);
      return { trapno: 14, err, cr2: BigInt(f.address) };
    }
    case 'divide-error':
      return { trapno: 0, err: 0, cr2: 0n };
    case 'simd-exception':
      return { trapno: 19, err: 0, cr2: 0n };
    case 'x87-exception':
      return { trapno: 16, err: 0, cr2: 0n };
    case 'invalid-opcode':
    case 'ud':
      return { trapno: 6, err: 0, cr2: 0n };
    case 'general-protection':
    case 'hlt':
      return { trapno: 13, err: 0, cr2: 0n };
    case 'stack-segment':
      return { trapno: 12, err: 0, cr2: 0n };
    case 'breakpoint':
      return { trapno: 3, err: 0, cr2: 0n };
    default:
      return undefined;
  }
}

/** rt_sigreturn: restores the interrupted context; a bad frame is SIGSEGV. */
export function sigreturn(kernel: Kernel, task: Task): bigint {
  const r = restoreRtFrame(kernel.mem, task.ctx, task.altStack);
  // restore_sigcontext sets orig_ax = -1: the restored rax is never taken for a restartable result.
  task.syscallNr = -1;
  if (!r.ok) {
    if (r.blocked !== undefined) task.blocked = r.blocked;
    // signal_fault + force_sig(SIGSEGV): a bad frame kills unless a SIGSEGV handler can run on a good stack.
    forceFault(kernel, task, { kind: 'fault', signo: SIGSEGV, errno: 0, code: SI_KERNEL, addr: 0n }, {
      signal: SIGSEGV, address: 0, rip: Number(task.ctx.rip), bytes: new Uint8Array(0), cause: 'general-protection',
    });
    task.lastFault = undefined;
    kernel.warnOnce(`sigreturn:${task.tid}`, `rseqlab: tid ${task.tid}: ${r.reason}: SIGSEGV`);
    return 0n;
  }
  task.blocked = r.blocked;
  task.altStack = r.altStack;
  kernel.emit({ kind: 'sigreturn', t: kernel.timeOf(task), tid: task.tid, rip: task.ctx.rip });
  return task.ctx.gpr[Reg.RAX];
}

/** kill(2) / tgkill(2) / tkill(2) siginfo: the sender's pid and uid. */
export function userSigInfo(sig: number, sender: Task, code = SI_USER): SigInfo {
  return { kind: 'kill', signo: sig, errno: 0, code, pid: sender.group.tgid, uid: sender.group.creds.uid };
}

