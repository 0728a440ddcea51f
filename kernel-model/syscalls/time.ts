// Time calls (kernel/time/posix-timers.c, kernel/time/time.c,
// kernel/time/hrtimer.c nanosleep, kernel/time/itimer.c, kernel/time/alarm)
// on the machine's virtual clocks. A sleep is a Block with a deadline: the
// task leaves its vCPU, others run, and the timer queue wakes it. A signal
// interrupts it: nanosleep reports the time left and restarts through
// restart_syscall when no handler runs.

import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID, NSEC_PER_SEC } from '../clock.js';
import { EAGAIN, EFAULT, EINVAL, ERESTART_RESTARTBLOCK, ERESTARTNOHAND } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { sendSignal } from '../signal-delivery.js';
import { SI_KERNEL, SI_TIMER } from '../siginfo.js';
import { SIGALRM } from '../signals.js';
import type { IntervalTimer, PosixTimer, ThreadGroup } from '../thread-group.js';
import type { UserMemory } from '../user-memory.js';
import { block, type SyscallResult } from '../wait.js';
import { int, ptr, readTimespec, writeTimespec } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const TIMER_ABSTIME = 1;

function sysClockGettime(call: SyscallCall): number {
  const ns = call.kernel.readClock(int(call.args[0]), call.task);
  if (typeof ns === 'number') return ns;
  writeTimespec(call.mem, ptr(call.args[1]), ns);
  return 0;
}

function sysClockGetres(call: SyscallCall): number {
  const ns = call.kernel.readClock(int(call.args[0]), call.task);
  if (typeof ns === 'number') return ns;
  if (call.args[1] !== 0n) writeTimespec(call.mem, ptr(call.args[1]), 1n);
  return 0;
}

function realtimeNs(call: SyscallCall): bigint {
  return call.kernel.readClock(CLOCK_REALTIME, call.task) as bigint;
}

function sysGettimeofday(call: SyscallCall): number {
  const [tv, tz] = call.args;
  const ns = realtimeNs(call);
  if (tv !== 0n) {
    call.mem.writeU64(ptr(tv), ns / NSEC_PER_SEC);
    call.mem.writeU64(ptr(tv) + 8, (ns % NSEC_PER_SEC) / 1000n);
  }
  if (tz !== 0n) {
    call.mem.writeU32(ptr(tz), 0); // tz_minuteswest: UTC
    call.mem.writeU32(ptr(tz) + 4, 0); // tz_dsttime
  }
  return 0;
}

function sysTime(call: SyscallCall): bigint {
  const secs = realtimeNs(call) / NSEC_PER_SEC;
  if (call.args[0] !== 0n) call.mem.writeU64(ptr(call.args[0]), secs);
  return secs;
}

/**
 * A sleep until machine time `until`. Interrupted by a signal it writes the
 * time left to `remaining` (relative sleeps only) and returns
 * -ERESTART_RESTARTBLOCK: EINTR if a handler runs, else restart_syscall
 * sleeps on to the same deadline (hrtimer_nanosleep_restart).
 */
function sleepUntil(kernel: Kernel, call: SyscallCall, until: bigint, remaining: number | undefined, what: string): SyscallResult {
  const task = call.task;
  const mem = call.mem;
  const self = (): SyscallResult => block({
    what: { kind: 'sleep', detail: `${what} until ${until} ns` },
    deadline: until,
    interruptible: true,
    resume: (reason) => {
      if (reason === 'timeout') return 0;
      const left = until - kernel.timeOf(task);
      if (left <= 0n) return 0;
      if (remaining !== undefined) {
        try {
          writeTimespec(mem, remaining, left);
        } catch {
          return -EFAULT;
        }
      }
      task.restartBlock = self;
      return -ERESTART_RESTARTBLOCK;
    },
  });
  if (until <= kernel.timeOf(task)) return 0;
  return self();
}

function sysNanosleep(call: SyscallCall): SyscallResult {
  const ns = readTimespec(call.mem, ptr(call.args[0]));
  if (typeof ns === 'number') return ns;
  const k = call.kernel;
  const rem = call.args[1] === 0n ? undefined : ptr(call.args[1]);
  return sleepUntil(k, call, k.timeOf(call.task) + ns, rem, 'nanosleep');
}

/** clock_nanosleep: relative or TIMER_ABSTIME, on REALTIME, MONOTONIC or BOOTTIME. */
function sysClockNanosleep(call: SyscallCall): SyscallResult {
  const [clockArg, flagsArg, req, rem] = call.args;
  const clockId = int(clockArg);
  const k = call.kernel;
  const now = k.readClock(clockId, call.task);
  if (typeof now === 'number') return now;
  if (clockId === CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
  if (clockId === CLOCK_PROCESS_CPUTIME_ID) return -EINVAL; // not modelled as a sleep target; glibc never does it
  const ns = readTimespec(call.mem, ptr(req));
  if (typeof ns === 'number') return ns;
  const abs = (int(flagsArg) & TIMER_ABSTIME) !== 0;
  const until = abs ? k.deadlineFrom(clockId === CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, ns) : k.timeOf(call.task) + ns;
  return sleepUntil(k, call, until, abs || rem === 0n ? undefined : ptr(rem), 'clock_nanosleep');
}

/** restart_syscall: continues the call a signal interrupted (current->restart_block). */
function sysRestartSyscall(call: SyscallCall): SyscallResult {
  const restart = call.task.restartBlock;
  call.task.restartBlock = undefined;
  if (!restart) return -EINTR_FALLBACK;
  return restart();
}
const EINTR_FALLBACK = 4;

// --- interval timers and alarm ------------------------------------------------

const ITIMER_REAL = 0;
const ITIMER_VIRTUAL = 1;
const ITIMER_PROF = 2;

/** Arms ITIMER_REAL: SIGALRM to the process at `value` (machine time), then every `interval`. */
function armReal(kernel: Kernel, group: ThreadGroup, it: IntervalTimer): void {
  kernel.timers.cancel(it.timer);
  it.timer = undefined;
  if (it.value === 0n) return;
  it.timer = kernel.timers.add(it.value, `ITIMER_REAL of pid ${group.tgid}`, () => {
    it.timer = undefined;
    if (group.state !== 'alive') return;
    sendSignal(kernel, group, SIGALRM, { kind: 'kill', signo: SIGALRM, errno: 0, code: SI_KERNEL, pid: 0, uid: 0 }, 'process');
    if (it.interval > 0n) {
      it.value += it.interval;
      armReal(kernel, group, it);
    } else {
      it.value = 0n;
    }
  });
}

/** The time left on an itimer, relative to now (REAL: machine time; VIRTUAL/PROF: process CPU time). */
function itimerLeft(kernel: Kernel, call: SyscallCall, which: number): bigint {
  const it = call.group.itimers[which];
  if (it.value === 0n) return 0n;
  const now = which === ITIMER_REAL ? kernel.timeOf(call.task) : call.group.cpuNs();
  const left = it.value - now;
  return left > 0n ? left : 1000n; // an expired timer still pending reports the smallest value (1 us)
}

function readTimeval(mem: UserMemory, addr: number): bigint | number {
  const sec = mem.readI64(addr);
  const usec = mem.readI64(addr + 8);
  if (sec < 0n || usec < 0n || usec >= 1_000_000n) return -EINVAL;
  return sec * NSEC_PER_SEC + usec * 1000n;
}

function writeTimeval(mem: UserMemory, addr: number, ns: bigint): void {
  // Round up to whole microseconds, as ns_to_timeval does for itimers (a pending timer never reads 0).
  const us = (ns + 999n) / 1000n;
  mem.writeU64(addr, us / 1_000_000n);
  mem.writeU64(addr + 8, us % 1_000_000n);
}

function sysGetitimer(call: SyscallCall): number {
  const which = int(call.args[0]);
  if (which < 0 || which > 2) return -EINVAL;
  const it = call.group.itimers[which];
  const at = ptr(call.args[1]);
  writeTimeval(call.mem, at, it.interval);
  writeTimeval(call.mem, at + 16, itimerLeft(call.kernel, call, which));
  return 0;
}

function setItimer(call: SyscallCall, which: number, value: bigint, interval: bigint): { oldValue: bigint; oldInterval: bigint } {
  const k = call.kernel;
  const it = call.group.itimers[which];
  const old = { oldValue: itimerLeft(k, call, which), oldInterval: it.interval };
  it.interval = interval;
  if (value === 0n) it.value = 0n;
  else it.value = (which === ITIMER_REAL ? k.timeOf(call.task) : call.group.cpuNs()) + value;
  if (which === ITIMER_REAL) armReal(k, call.group, it);
  return old;
}

function sysSetitimer(call: SyscallCall): number {
  const which = int(call.args[0]);
  if (which < 0 || which > 2) return -EINVAL;
  let value = 0n;
  let interval = 0n;
  if (call.args[1] !== 0n) {
    const i = readTimeval(call.mem, ptr(call.args[1]));
    const v = readTimeval(call.mem, ptr(call.args[1]) + 16);
    if (typeof i === 'number') return i;
    if (typeof v === 'number') return v;
    interval = i;
    value = v;
  }
  const old = setItimer(call, which, value, interval);
  if (call.args[2] !== 0n) {
    writeTimeval(call.mem, ptr(call.args[2]), old.oldInterval);
    writeTimeval(call.mem, ptr(call.args[2]) + 16, old.oldValue);
  }
  return 0;
}

/** alarm: ITIMER_REAL in whole seconds; returns the seconds left on the previous one (rounded, at least 1). */
function sysAlarm(call: SyscallCall): number {
  const secs = BigInt(call.args[0] & 0xffffffffn);
  const old = setItimer(call, ITIMER_REAL, secs * NSEC_PER_SEC, 0n);
  if (old.oldValue === 0n) return 0;
  const s = Number((old.oldValue + NSEC_PER_SEC / 2n) / NSEC_PER_SEC);
  return s === 0 ? 1 : s;
}

// --- POSIX timers ---------------------------------------------------------------

const SIGEV_SIGNAL = 0;
const SIGEV_NONE = 1;
const SIGEV_THREAD_ID = 4;

function sysTimerCreate(call: SyscallCall): number {
  const [clockArg, sevArg, idArg] = call.args;
  const clockId = int(clockArg);
  if (clockId !== CLOCK_REALTIME && clockId !== CLOCK_MONOTONIC && clockId !== 7 && clockId !== CLOCK_PROCESS_CPUTIME_ID && clockId !== CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
  if (clockId === CLOCK_PROCESS_CPUTIME_ID || clockId === CLOCK_THREAD_CPUTIME_ID) {
    call.kernel.warnOnce('timer-cputime', 'rseqlab: timer_create on a CPU-time clock is not modelled; returned EINVAL');
    return -EINVAL;
  }
  let notify = SIGEV_SIGNAL;
  let signo = SIGALRM;
  let value = 0n;
  let tid = 0;
  const g = call.group;
  const id = g.nextTimerId++;
  if (sevArg !== 0n) {
    const at = ptr(sevArg);
    value = call.mem.readU64(at);
    signo = call.mem.readU32(at + 8) | 0;
    notify = call.mem.readU32(at + 12) | 0;
    tid = call.mem.readU32(at + 16) | 0;
    if (notify !== SIGEV_SIGNAL && notify !== SIGEV_NONE && notify !== SIGEV_THREAD_ID) return -EINVAL;
    if (notify !== SIGEV_NONE && (signo < 1 || signo > 64)) return -EINVAL;
    if (notify === SIGEV_THREAD_ID && !g.task(tid)) return -EINVAL;
  } else {
    value = BigInt(id);
  }
  if (g.posixTimers.size >= 1024) return -EAGAIN;
  call.mem.writeU32(ptr(idArg), id);
  g.posixTimers.set(id, { id, clockId, notify, signo, value, tid, state: { value: 0n, interval: 0n }, overrun: 0, queued: false });
  return 0;
}

function timerFire(kernel: Kernel, group: ThreadGroup, t: PosixTimer): void {
  t.state.timer = undefined;
  if (group.state !== 'alive' || !group.posixTimers.has(t.id)) return;
  if (t.notify !== SIGEV_NONE) {
    if (t.queued) {
      t.overrun++;
    } else {
      t.queued = true;
      const info = { kind: 'timer' as const, signo: t.signo, errno: 0, code: SI_TIMER, tid: t.id, overrun: t.overrun, value: t.value };
      const target = t.notify === SIGEV_THREAD_ID ? group.task(t.tid) : undefined;
      if (target) sendSignal(kernel, target, t.signo, info, 'thread');
      else sendSignal(kernel, group, t.signo, info, 'process');
      // The signal is taken at once in this model's bookkeeping: the next expiry may queue again.
      t.queued = false;
      t.overrun = 0;
    }
  }
  if (t.state.interval > 0n) {
    t.state.value += t.state.interval;
    t.state.timer = kernel.timers.add(t.state.value, `POSIX timer ${t.id} of pid ${group.tgid}`, () => timerFire(kernel, group, t));
  } else {
    t.state.value = 0n;
  }
}

function writeItimerspec(mem: UserMemory, at: number, interval: bigint, value: bigint): void {
  writeTimespec(mem, at, interval);
  writeTimespec(mem, at + 16, value);
}

function timerLeft(kernel: Kernel, call: SyscallCall, t: PosixTimer): bigint {
  if (t.state.value === 0n) return 0n;
  const left = t.state.value - kernel.timeOf(call.task);
  return left > 0n ? left : 0n;
}

function sysTimerSettime(call: SyscallCall): number {
  const [idArg, flagsArg, newArg, oldArg] = call.args;
  const g = call.group;
  const t = g.posixTimers.get(int(idArg));
  if (!t) return -EINVAL;
  const k = call.kernel;
  const interval = readTimespec(call.mem, ptr(newArg));
  const value = readTimespec(call.mem, ptr(newArg) + 16);
  if (typeof interval === 'number') return interval;
  if (typeof value === 'number') return value;
  if (oldArg !== 0n) writeItimerspec(call.mem, ptr(oldArg), t.state.interval, timerLeft(k, call, t));
  k.timers.cancel(t.state.timer);
  t.state.timer = undefined;
  t.state.interval = interval;
  if (value === 0n) {
    t.state.value = 0n;
    return 0;
  }
  const abs = (int(flagsArg) & TIMER_ABSTIME) !== 0;
  t.state.value = abs ? k.deadlineFrom(t.clockId === CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, value) : k.timeOf(call.task) + value;
  t.state.timer = k.timers.add(t.state.value, `POSIX timer ${t.id} of pid ${g.tgid}`, () => timerFire(k, g, t));
  return 0;
}

function sysTimerGettime(call: SyscallCall): number {
  const t = call.group.posixTimers.get(int(call.args[0]));
  if (!t) return -EINVAL;
  writeItimerspec(call.mem, ptr(call.args[1]), t.state.interval, timerLeft(call.kernel, call, t));
  return 0;
}

function sysTimerGetoverrun(call: SyscallCall): number {
  const t = call.group.posixTimers.get(int(call.args[0]));
  return t ? t.overrun : -EINVAL;
}

function sysTimerDelete(call: SyscallCall): number {
  const g = call.group;
  const t = g.posixTimers.get(int(call.args[0]));
  if (!t) return -EINVAL;
  call.kernel.timers.cancel(t.state.timer);
  g.posixTimers.delete(t.id);
  return 0;
}

/** pause: sleeps until a signal is delivered (always -ERESTARTNOHAND, EINTR once a handler ran). */
function sysPause(call: SyscallCall): SyscallResult {
  return block({ what: { kind: 'pause', detail: 'pause()' }, interruptible: true, resume: () => -ERESTARTNOHAND });
}

export const timeSyscalls: SyscallFamily = {
  clock_gettime: sysClockGettime,
  clock_getres: sysClockGetres,
  gettimeofday: sysGettimeofday,
  time: sysTime,
  nanosleep: sysNanosleep,
  clock_nanosleep: sysClockNanosleep,
  restart_syscall: sysRestartSyscall,
  getitimer: sysGetitimer,
  setitimer: sysSetitimer,
  alarm: sysAlarm,
  timer_create: sysTimerCreate,
  timer_settime: sysTimerSettime,
  timer_gettime: sysTimerGettime,
  timer_getoverrun: sysTimerGetoverrun,
  timer_delete: sysTimerDelete,
  pause: sysPause,
};

export { ITIMER_PROF, ITIMER_VIRTUAL };
