// System call dispatch (arch/x86/entry/common.c do_syscall_64): the number
// in rax, arguments in rdi, rsi, rdx, r10, r8, r9, the result in rax. The
// syscall instruction itself put the return address in rcx and rflags in
// r11 (the CPU does that, as the hardware does); the kernel leaves them.
// Unknown numbers return -ENOSYS and are reported once by name.

import { MemoryError, OutOfMemoryError, Reg } from '../../emulator/api.js';
import { exitGroup } from '../exit.js';
import { SIGKILL } from '../signals.js';
import { isBlock, type SyscallResult } from '../wait.js';
import { EFAULT, ENOMEM, ENOSYS } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { syscallName, syscallNumber } from '../syscall-names.js';
import type { Task } from '../task.js';
import { NameTooLong, UserFault } from '../user-memory.js';
import { oomKillReason } from '../out-of-memory.js';
import { fsSyscalls } from './fs.js';
import { miscSyscalls } from './misc.js';
import { mmSyscalls } from './mm.js';
import { processSyscalls } from './process.js';
import { blockingIo, pipeSyscalls } from './pipe.js';
import { waitSyscalls } from './wait.js';
import { execSyscalls } from './exec.js';
import { credsSyscalls } from './creds.js';
import { rseqSyscalls } from './rseq.js';
import { signalSyscalls } from './signal.js';
import { timeSyscalls } from './time.js';
import type { SyscallHandler } from './types.js';

export interface SyscallEntry {
  name: string;
  handler: SyscallHandler;
}

const FAMILIES = [fsSyscalls, mmSyscalls, processSyscalls, waitSyscalls, pipeSyscalls, execSyscalls, credsSyscalls, timeSyscalls, signalSyscalls, rseqSyscalls, miscSyscalls];

/** Calls whose -EAGAIN on a blocking pipe means: sleep and try again (pipe.ts). */
const BLOCKING_IO: Record<string, 'read' | 'write'> = { read: 'read', readv: 'read', write: 'write', writev: 'write' };

/** Number -> handler for every implemented call. */
export function buildSyscallTable(): ReadonlyMap<number, SyscallEntry> {
  const table = new Map<number, SyscallEntry>();
  for (const family of FAMILIES) {
    for (const [name, handler] of Object.entries(family)) {
      const nr = syscallNumber(name);
      if (nr === undefined) throw new Error(`internal: no x86-64 syscall named '${name}'`);
      table.set(nr, { name, handler: BLOCKING_IO[name] ? blockingIo(handler, BLOCKING_IO[name]) : handler });
    }
  }
  return table;
}

/** Names of the implemented system calls, sorted. */
export function implementedSyscalls(): string[] {
  return FAMILIES.flatMap((f) => Object.keys(f)).sort();
}

/**
 * A handler's result, with user-memory faults turned into -EFAULT as the
 * kernel's uaccess does; memory running out during the call OOM-kills the
 * caller's process.
 */
function guarded(kernel: Kernel, task: Task, f: () => SyscallResult): SyscallResult {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserFault) return -EFAULT;
    if (e instanceof NameTooLong) return -e.errno;
    if (e instanceof MemoryError && (e as MemoryError & { outOfMemory?: boolean }).outOfMemory) {
      const exhausted = e instanceof OutOfMemoryError ? e.exhausted : 'frame-limit';
      const reason = oomKillReason({ pid: task.group.tgid, exhausted, inUseBytes: kernel.cpu.framesInUse() * 4096 });
      kernel.warn(`rseqlab: ${reason}`);
      exitGroup(kernel, task.group, { signal: SIGKILL, reason });
      return -ENOMEM;
    }
    throw e;
  }
}

export function dispatchSyscall(kernel: Kernel, task: Task, table: ReadonlyMap<number, SyscallEntry>): void {
  const ctx = task.ctx;
  // The syscall instruction itself left rcx = rip and r11 = rflags (the CPU does that).
  const g = ctx.gpr;
  const nr = Number(BigInt.asIntN(32, g[Reg.RAX]));
  const entry = table.get(nr);
  task.syscallNr = nr;
  let result: SyscallResult;
  const args = [g[Reg.RDI], g[Reg.RSI], g[Reg.RDX], g[Reg.R10], g[Reg.R8], g[Reg.R9]];
  if (!entry) {
    kernel.reportNotImplemented(nr, syscallName(nr));
    result = -ENOSYS;
  } else {
    result = guarded(kernel, task, () => entry.handler({ nr, args, kernel, task, group: task.group, mem: kernel.mem }));
  }
  hashSyscall(kernel, nr, result);
  if (kernel.wants('syscall')) {
    kernel.notify({ kind: 'syscall', t: kernel.peekTimeOf(task), cpu: task.cpu, tid: task.tid, nr, name: entry?.name ?? syscallName(nr) ?? `#${nr}`, args, result: isBlock(result) ? 'blocked' : BigInt(result) });
  }
  finish(kernel, task, result);
}

/** A sleeping task runs again: its system call computes its result (or sleeps once more). */
export function completeSyscall(kernel: Kernel, task: Task): void {
  const wait = task.wait!;
  const reason = task.wakeReason ?? 'woken';
  task.wait = undefined;
  task.wakeReason = undefined;
  const result = guarded(kernel, task, () => wait.resume(reason));
  hashSyscall(kernel, task.syscallNr, result);
  if (kernel.wants('syscall-resume')) {
    const name = syscallName(task.syscallNr) ?? `#${task.syscallNr}`;
    kernel.notify({ kind: 'syscall-resume', t: kernel.peekTimeOf(task), cpu: task.cpu, tid: task.tid, nr: task.syscallNr, name, reason, result: isBlock(result) ? 'blocked' : BigInt(result) });
  }
  finish(kernel, task, result);
}

/** A system call's number and result into the trace hash, traced or not (Kernel.notify). */
function hashSyscall(kernel: Kernel, nr: number, result: SyscallResult): void {
  kernel.traceHash.word(nr);
  if (isBlock(result)) kernel.traceHash.word(0xffffffff);
  else if (typeof result === 'bigint') kernel.traceHash.big(result);
  else kernel.traceHash.num(result);
}

function finish(kernel: Kernel, task: Task, result: SyscallResult): void {
  if (!task.alive) return;
  if (isBlock(result)) {
    if (task.state === 'running') kernel.sleep(task, result);
    return;
  }
  // Read ctx.gpr again: the handler may have grown wasm memory, which detaches old views.
  task.ctx.gpr[Reg.RAX] = BigInt.asUintN(64, BigInt(result));
  task.fromSyscall = true;
  task.returnWork = true;
}
