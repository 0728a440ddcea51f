// --strace and --trace: the machine's event stream as a person reads it
// (one strace-like line per system call, with the thread id) and as a tool
// reads it (JSON lines).

import { openSync, writeSync, closeSync } from 'node:fs';
import { eventToJson, type MachineEvent } from '../kernel-model/events.js';
import { errnoName } from '../kernel-model/errno.js';

/** An argument as strace shows an unknown one: small numbers in decimal, the rest (pointers) in hex. */
function formatArg(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  if (s >= -4096n && s < 65536n) return s.toString();
  return `0x${v.toString(16)}`;
}

function formatResult(r: bigint | 'blocked'): string {
  if (r === 'blocked') return '? <blocked>';
  const s = BigInt.asIntN(64, r);
  if (s < 0n && s >= -4095n) {
    const e = Number(-s);
    return `-1 ${errnoName(e)} (errno ${e})`;
  }
  return s >= 0n && s < 65536n ? s.toString() : `0x${r.toString(16)}`;
}

/** One line for a system call event, or undefined for other events. */
export function straceLine(e: MachineEvent): string | undefined {
  if (e.kind === 'syscall') {
    const shown = e.args.slice(0, SHOWN_ARGS[e.name] ?? 6).map(formatArg).join(', ');
    return `[tid ${e.tid} cpu ${e.cpu}] ${e.name}(${shown}) = ${formatResult(e.result)}`;
  }
  if (e.kind === 'syscall-resume') return `[tid ${e.tid} cpu ${e.cpu}] <... ${e.name} resumed (${e.reason})> = ${formatResult(e.result)}`;
  if (e.kind === 'signal-deliver') return `[tid ${e.tid}] --- signal ${e.sig} delivered (${e.action}) at rip 0x${e.rip.toString(16)} ---`;
  if (e.kind === 'process-exit') return `[pid ${e.pid}] +++ ${e.description} +++`;
  if (e.kind === 'inject') return `[tid ${e.tid} cpu ${e.cpu}] *** injected: ${e.what} (rip 0x${e.rip.toString(16)}) ***`;
  // rseq registrations, aborts, slice extension grants and the checker's findings (ID updates and lazy clears are in --trace).
  if (e.kind === 'rseq' && e.what !== 'ids' && e.what !== 'lazy-clear') return `[tid ${e.tid}] *** rseq ${e.what}: ${e.detail} ***`;
  if (e.kind === 'finding') return `[tid ${e.tid}] *** rseq ABI ${e.rule}${e.fatal ? ' (fatal)' : ''}: ${e.detail} ***`;
  return undefined;
}

/** How many arguments strace prints for the common calls (the rest of the registers are noise). */
const SHOWN_ARGS: Record<string, number> = {
  exit: 1, exit_group: 1, close: 1, brk: 1, getpid: 0, gettid: 0, getppid: 0, getuid: 0, geteuid: 0, getgid: 0, getegid: 0,
  sched_yield: 0, set_tid_address: 1, set_robust_list: 2, read: 3, write: 3, openat: 4, mmap: 6, munmap: 2, mprotect: 3,
  rt_sigprocmask: 4, rt_sigaction: 4, rt_sigreturn: 0, futex: 6, clone3: 2, clone: 5, madvise: 3, rseq: 4, tgkill: 3,
  kill: 2, nanosleep: 2, clock_nanosleep: 4, wait4: 4, pipe2: 2, dup2: 2, dup3: 3, getcpu: 3, sched_getaffinity: 3,
  sched_setaffinity: 3, arch_prctl: 2, prlimit64: 4, getrandom: 3, newfstatat: 4, ioctl: 3, readlink: 3, execve: 3,
};

/** Writes JSON lines to a host file; call close() at the end. */
export class TraceFile {
  private readonly fd: number;
  private buffer: string[] = [];

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(e: MachineEvent): void {
    this.buffer.push(eventToJson(e));
    if (this.buffer.length >= 4096) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join('\n') + '\n');
    this.buffer = [];
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
