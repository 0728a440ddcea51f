// Restartable sequences, all rules in one place (shared/docs/rseq-abi.md).
// Mirrors kernel/rseq.c: sys_rseq (registration and unregistration),
// __rseq_handle_notify_resume (the step every return to user space runs
// after a preemption, migration, signal or registration), rseq_ip_fixup with
// rseq_get_rseq_cs and rseq_need_restart (the abort-IP fixup), and
// rseq_syscall (the CONFIG_DEBUG_RSEQ check of syscalls made inside a
// critical section). A failure that Linux answers with SIGSEGV comes back as
// an RseqViolation saying why, so rseqlab can explain the kill.

import type { CpuContext } from '../emulator/api.js';
import { EBUSY, EFAULT, EINVAL, EPERM } from './errno.js';
import type { KernelProfile } from './kernel-profile.js';
import { TASK_SIZE, hex } from './layout.js';
import { UserFault, type UserMemory } from './user-memory.js';

/** The signature glibc and the selftests use on x86 (the 4 bytes before every abort_ip). */
export const RSEQ_SIG_X86 = 0x53053053;
/** sizeof(struct rseq) in the original ABI, and its alignment. */
export const ORIG_RSEQ_SIZE = 32;
/** offsetof(struct rseq, end): AT_RSEQ_FEATURE_SIZE on 6.3+. */
export const RSEQ_FEATURE_SIZE = 28;
/** __alignof__(struct rseq): AT_RSEQ_ALIGN. */
export const RSEQ_ALIGN = 32;
export const RSEQ_FLAG_UNREGISTER = 1;
export const RSEQ_CPU_ID_UNINITIALIZED = -1;

/** struct rseq field offsets. */
export const RseqField = {
  cpuIdStart: 0,
  cpuId: 4,
  rseqCs: 8,
  flags: 16,
  nodeId: 20,
  mmCid: 24,
} as const;

/** RSEQ_CS_FLAG_NO_RESTART_ON_* bits, which are also the event mask bits (RSEQ_EVENT_*_BIT). */
export const RSEQ_EVENT_PREEMPT = 1;
export const RSEQ_EVENT_SIGNAL = 2;
export const RSEQ_EVENT_MIGRATE = 4;
const PREEMPT_MIGRATE = RSEQ_EVENT_PREEMPT | RSEQ_EVENT_MIGRATE;

export interface RseqRegistration {
  address: number;
  length: number;
  signature: number;
}

/** A task's rseq state (the rseq fields of struct task_struct). */
export class TaskRseq {
  registration?: RseqRegistration;
  /** rseq_event_mask: events since the task last returned to user space. */
  eventMask = 0;
  /** TIF_NOTIFY_RESUME for rseq: the fields must be written before the next return to user space. */
  notifyResume = false;
  /** The IDs last written ("cpu/node/cid"), so the event stream reports changes only. */
  lastIds: string | undefined;

  /** rseq_preempt / rseq_migrate / rseq_signal_deliver: record an event and ask for notify-resume. */
  event(bit: number): void {
    if (!this.registration) return;
    this.eventMask |= bit;
    this.notifyResume = true;
  }

  /** rseq_migrate (__set_task_cpu): the task's CPU changed. */
  migrated(): void {
    this.event(RSEQ_EVENT_MIGRATE);
  }

  /** execve drops the registration; CLONE_VM children start without one. */
  clear(): void {
    this.registration = undefined;
    this.eventMask = 0;
    this.notifyResume = false;
  }

  /** fork without CLONE_VM: the child keeps address, length and signature and gets fresh fields. */
  forkCopy(): TaskRseq {
    const child = new TaskRseq();
    if (this.registration) {
      child.registration = { ...this.registration };
      child.notifyResume = true;
    }
    return child;
  }
}

/** Why Linux would kill the thread with SIGSEGV. */
export interface RseqViolation {
  reason: string;
  /** The guest address involved (rseq area, descriptor or abort_ip - 4). */
  address?: number;
}

/** What the vCPU tells the task on return to user space. */
export interface RseqIds {
  cpu: number;
  node: number;
  mmCid: number;
}

/**
 * What the notify-resume step did, for the machine's event stream:
 * 'abort' (the thread moves from the section to its abort handler),
 * 'lazy-clear' (rseq_cs named a section the thread is no longer in),
 * 'ids' (cpu_id / node_id / mm_cid written with new values).
 */
export type RseqObserver = (what: 'abort' | 'lazy-clear' | 'ids', detail: string) => void;

/** The event-mask bits in words. */
function eventNames(mask: number): string {
  const names = [];
  if (mask & RSEQ_EVENT_PREEMPT) names.push('preempt');
  if (mask & RSEQ_EVENT_SIGNAL) names.push('signal');
  if (mask & RSEQ_EVENT_MIGRATE) names.push('migrate');
  return names.length > 0 ? names.join('+') : 'no event';
}

/** The rseq system call (kernel/rseq.c SYSCALL_DEFINE4(rseq, ...)): 0 or a negative errno. */
export function sysRseq(
  state: TaskRseq,
  mem: UserMemory,
  profile: KernelProfile,
  address: number,
  length: number,
  flags: number,
  signature: number,
): number {
  const reg = state.registration;
  if (flags & RSEQ_FLAG_UNREGISTER) {
    if (flags & ~RSEQ_FLAG_UNREGISTER) return -EINVAL;
    if (!reg || reg.address !== address) return -EINVAL;
    if (length !== reg.length) return -EINVAL;
    if (signature !== reg.signature) return -EPERM;
    try {
      resetArea(mem, profile, address);
    } catch (e) {
      if (e instanceof UserFault) return -EFAULT;
      throw e;
    }
    state.clear();
    return 0;
  }
  if (flags !== 0) return -EINVAL;
  if (reg) {
    if (reg.address !== address || reg.length !== length) return -EINVAL;
    if (reg.signature !== signature) return -EPERM;
    return -EBUSY;
  }
  if (!lengthAndAlignmentOk(profile, address, length)) return -EINVAL;
  if (address >= TASK_SIZE || length > TASK_SIZE - address) return -EFAULT;
  try {
    // Old libcs may reuse an area that still names a descriptor: clear it.
    const cs = mem.readU64(address + RseqField.rseqCs);
    if (cs !== 0n) mem.writeU64(address + RseqField.rseqCs, 0n);
  } catch (e) {
    if (e instanceof UserFault) return -EFAULT;
    throw e;
  }
  state.registration = { address, length, signature };
  state.notifyResume = true;
  return 0;
}

function lengthAndAlignmentOk(profile: KernelProfile, address: number, length: number): boolean {
  if (!profile.rseqExtended) return length === ORIG_RSEQ_SIZE && address % ORIG_RSEQ_SIZE === 0;
  if (length < ORIG_RSEQ_SIZE) return false;
  if (length === ORIG_RSEQ_SIZE) return address % ORIG_RSEQ_SIZE === 0;
  return address % RSEQ_ALIGN === 0 && length >= RSEQ_FEATURE_SIZE;
}

/** rseq_reset_rseq_cpu_node_id (rseq_reset_rseq_cpu_id before 6.3). */
function resetArea(mem: UserMemory, profile: KernelProfile, address: number): void {
  mem.writeU32(address + RseqField.cpuIdStart, 0);
  mem.writeU32(address + RseqField.cpuId, RSEQ_CPU_ID_UNINITIALIZED);
  if (profile.rseqExtended) {
    mem.writeU32(address + RseqField.nodeId, 0);
    mem.writeU32(address + RseqField.mmCid, 0);
  }
}

/**
 * __rseq_handle_notify_resume: on the way back to user space, run the
 * abort-IP fixup (not after a system call) and write cpu_id_start, cpu_id
 * (and node_id, mm_cid on 6.3+). Returns a violation when Linux would
 * force SIGSEGV.
 */
export function rseqNotifyResume(
  state: TaskRseq,
  mem: UserMemory,
  profile: KernelProfile,
  ctx: CpuContext,
  ids: RseqIds,
  fromSyscall: boolean,
  observe?: RseqObserver,
): RseqViolation | undefined {
  if (!state.notifyResume) return undefined;
  state.notifyResume = false;
  const reg = state.registration;
  if (!reg) return undefined;
  // A return from a system call does not restart a sequence; the event
  // mask stays for the next fixup.
  if (!fromSyscall) {
    const v = rseqIpFixup(state, mem, profile, ctx, observe);
    if (v) return v;
  }
  try {
    mem.writeU32(reg.address + RseqField.cpuIdStart, ids.cpu);
    mem.writeU32(reg.address + RseqField.cpuId, ids.cpu);
    if (profile.rseqExtended) {
      mem.writeU32(reg.address + RseqField.nodeId, ids.node);
      mem.writeU32(reg.address + RseqField.mmCid, ids.mmCid);
    }
    const key = `${ids.cpu}/${ids.node}/${ids.mmCid}`;
    if (observe && state.lastIds !== key) observe('ids', `cpu_id ${ids.cpu}${profile.rseqExtended ? `, node_id ${ids.node}, mm_cid ${ids.mmCid}` : ''}`);
    state.lastIds = key;
  } catch (e) {
    if (e instanceof UserFault) {
      return { reason: `cannot write the rseq area at ${hex(reg.address)} (not writable user memory)`, address: e.address };
    }
    throw e;
  }
  return undefined;
}

interface RseqCsDescriptor {
  start: bigint;
  postCommit: bigint;
  abort: bigint;
  flags: number;
}

/**
 * rseq_get_rseq_cs: read and validate the active descriptor. Returns
 * undefined when rseq_cs is 0, the descriptor, or a violation.
 */
function readActiveDescriptor(reg: RseqRegistration, mem: UserMemory): RseqCsDescriptor | undefined | RseqViolation {
  let ptr: bigint;
  try {
    ptr = mem.readU64(reg.address + RseqField.rseqCs);
  } catch (e) {
    if (e instanceof UserFault) return { reason: `cannot read rseq_cs from the rseq area at ${hex(reg.address)}`, address: reg.address };
    throw e;
  }
  if (ptr === 0n) return undefined;
  if (ptr >= BigInt(TASK_SIZE)) return { reason: `rseq_cs ${hex(ptr)} is not a user address` };
  const at = Number(ptr);
  let version: number, flags: number, start: bigint, offset: bigint, abort: bigint;
  try {
    version = mem.readU32(at);
    flags = mem.readU32(at + 4);
    start = mem.readU64(at + 8);
    offset = mem.readU64(at + 16);
    abort = mem.readU64(at + 24);
  } catch (e) {
    if (e instanceof UserFault) return { reason: `cannot read the struct rseq_cs at ${hex(at)}`, address: at };
    throw e;
  }
  const where = `struct rseq_cs at ${hex(at)}`;
  if (version > 0) return { reason: `${where}: version is ${version}, must be 0`, address: at };
  const postCommit = start + offset;
  const user = BigInt(TASK_SIZE);
  // Ensure that abort_ip is not in the critical section (unsigned arithmetic, as the kernel does).
  if (BigInt.asUintN(64, abort - start) < offset) {
    return { reason: `${where}: abort_ip ${hex(abort)} is inside the critical section [${hex(start)}, ${hex(postCommit)})`, address: at };
  }
  if (start >= user || postCommit >= user || postCommit < start || abort >= user) {
    return { reason: `${where}: start_ip ${hex(start)}, post-commit ${hex(postCommit)} or abort_ip ${hex(abort)} is not a user address`, address: at };
  }
  let sig: number;
  try {
    sig = mem.readU32(Number(abort) - 4);
  } catch (e) {
    if (e instanceof UserFault) return { reason: `${where}: cannot read the signature before abort_ip ${hex(abort)}`, address: Number(abort) - 4 };
    throw e;
  }
  if (sig !== reg.signature) {
    return {
      reason: `${where}: unexpected rseq signature ${hex(sig)} before abort_ip ${hex(abort)}, expecting ${hex(reg.signature)} (the kernel logs "Possible attack attempt")`,
      address: Number(abort) - 4,
    };
  }
  return { start, postCommit, abort, flags };
}

/**
 * rseq_ip_fixup: if the task was interrupted inside the active critical
 * section and an event calls for it, clear rseq_cs and move rip to
 * abort_ip; outside the section, lazily clear rseq_cs.
 */
export function rseqIpFixup(state: TaskRseq, mem: UserMemory, profile: KernelProfile, ctx: CpuContext, observe?: RseqObserver): RseqViolation | undefined {
  const reg = state.registration;
  if (!reg) return undefined;
  const cs = readActiveDescriptor(reg, mem);
  if (cs && 'reason' in cs) return cs;
  const ip = ctx.rip;
  const inside = cs !== undefined && ip >= cs.start && ip < cs.postCommit;
  if (!inside) {
    if (cs && observe) observe('lazy-clear', `rseq_cs cleared: ip ${hex(ip)} is outside [${hex(cs.start)}, ${hex(cs.postCommit)})`);
    return clearRseqCs(reg, mem);
  }
  const events = state.eventMask;
  const restart = needRestart(state, reg, mem, profile, cs.flags);
  if (typeof restart !== 'boolean') return restart;
  if (!restart) return undefined;
  const v = clearRseqCs(reg, mem);
  if (v) return v;
  ctx.rip = cs.abort;
  observe?.('abort', `abort from ${hex(ip)} to ${hex(cs.abort)} (${eventNames(events)})`);
  return undefined;
}

/** rseq_need_restart: consume the event mask, honouring (or, on current kernels, rejecting) NO_RESTART flags. */
function needRestart(state: TaskRseq, reg: RseqRegistration, mem: UserMemory, profile: KernelProfile, csFlags: number): boolean | RseqViolation {
  let areaFlags: number;
  try {
    areaFlags = mem.readU32(reg.address + RseqField.flags);
  } catch (e) {
    if (e instanceof UserFault) return { reason: `cannot read flags from the rseq area at ${hex(reg.address)}`, address: reg.address };
    throw e;
  }
  const flags = (areaFlags | csFlags) >>> 0;
  if (profile.name === 'current') {
    if (flags !== 0) {
      return { reason: `rseq flags ${hex(flags)} (area ${hex(areaFlags)}, descriptor ${hex(csFlags)}) are set; the NO_RESTART flags are deprecated and rejected` };
    }
  } else if ((flags & RSEQ_EVENT_SIGNAL) && (flags & PREEMPT_MIGRATE) !== PREEMPT_MIGRATE) {
    return { reason: `rseq flags ${hex(flags)}: NO_RESTART_ON_SIGNAL requires NO_RESTART_ON_PREEMPT and NO_RESTART_ON_MIGRATE` };
  }
  const events = state.eventMask;
  state.eventMask = 0;
  return (events & ~flags) !== 0;
}

function clearRseqCs(reg: RseqRegistration, mem: UserMemory): RseqViolation | undefined {
  try {
    mem.writeU64(reg.address + RseqField.rseqCs, 0n);
    return undefined;
  } catch (e) {
    if (e instanceof UserFault) return { reason: `cannot clear rseq_cs in the rseq area at ${hex(reg.address)}`, address: reg.address };
    throw e;
  }
}

/**
 * rseq_syscall (CONFIG_DEBUG_RSEQ): a system call issued from inside the
 * active critical section is an ABI violation.
 */
export function rseqSyscallCheck(state: TaskRseq, mem: UserMemory, syscallIp: bigint): RseqViolation | undefined {
  const reg = state.registration;
  if (!reg) return undefined;
  const cs = readActiveDescriptor(reg, mem);
  if (cs === undefined) return undefined;
  if ('reason' in cs) return cs;
  if (syscallIp >= cs.start && syscallIp < cs.postCommit) {
    return { reason: `system call at ${hex(syscallIp)} inside the rseq critical section [${hex(cs.start)}, ${hex(cs.postCommit)})`, address: Number(syscallIp) };
  }
  return undefined;
}
