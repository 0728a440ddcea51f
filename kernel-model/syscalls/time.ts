// Time calls (kernel/time/posix-timers.c, kernel/time/time.c,
// kernel/time/hrtimer.c nanosleep) on the machine's virtual clock. Sleeping
// moves the clock forward; nothing else can run meanwhile.

import { NSEC_PER_SEC } from '../clock.js';
import { EINVAL } from '../errno.js';
import type { UserMemory } from '../user-memory.js';
import { int, ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const TIMER_ABSTIME = 1;

function writeTimespec(mem: UserMemory, addr: number, ns: bigint): void {
  mem.writeU64(addr, ns / NSEC_PER_SEC);
  mem.writeU64(addr + 8, ns % NSEC_PER_SEC);
}

/** A struct timespec from user memory, or -EINVAL when not normalised (timespec64_valid). */
function readTimespec(mem: UserMemory, addr: number): bigint | number {
  const sec = mem.readI64(addr);
  const nsec = mem.readI64(addr + 8);
  if (sec < 0n || nsec < 0n || nsec >= NSEC_PER_SEC) return -EINVAL;
  return sec * NSEC_PER_SEC + nsec;
}

function sysClockGettime(call: SyscallCall): number {
  const ns = call.kernel.clock.read(int(call.args[0]));
  if (typeof ns === 'number') return ns;
  writeTimespec(call.mem, ptr(call.args[1]), ns);
  return 0;
}

function sysClockGetres(call: SyscallCall): number {
  const ns = call.kernel.clock.read(int(call.args[0]));
  if (typeof ns === 'number') return ns;
  if (call.args[1] !== 0n) writeTimespec(call.mem, ptr(call.args[1]), 1n);
  return 0;
}

function sysGettimeofday(call: SyscallCall): number {
  const [tv, tz] = call.args;
  const ns = call.kernel.clock.realtimeNs();
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
  const secs = call.kernel.clock.realtimeNs() / NSEC_PER_SEC;
  if (call.args[0] !== 0n) call.mem.writeU64(ptr(call.args[0]), secs);
  return secs;
}

function sysNanosleep(call: SyscallCall): number {
  const ns = readTimespec(call.mem, ptr(call.args[0]));
  if (typeof ns === 'number') return ns;
  call.kernel.clock.sleep(ns);
  return 0;
}

/** clock_nanosleep: relative or TIMER_ABSTIME; never interrupted (no signals arrive while sleeping). */
function sysClockNanosleep(call: SyscallCall): number {
  const [clockArg, flagsArg, req] = call.args;
  const clockId = int(clockArg);
  const now = call.kernel.clock.read(clockId);
  if (typeof now === 'number') return now;
  if (clockId === 2 || clockId === 3) return -EINVAL; // CPU-time clocks of the caller
  const ns = readTimespec(call.mem, ptr(req));
  if (typeof ns === 'number') return ns;
  call.kernel.clock.sleep(int(flagsArg) & TIMER_ABSTIME ? ns - now : ns);
  return 0;
}

export const timeSyscalls: SyscallFamily = {
  clock_gettime: sysClockGettime,
  clock_getres: sysClockGetres,
  gettimeofday: sysGettimeofday,
  time: sysTime,
  nanosleep: sysNanosleep,
  clock_nanosleep: sysClockNanosleep,
};

