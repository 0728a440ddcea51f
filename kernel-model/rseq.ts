// Restartable sequences, all rules in one place (shared/docs/rseq-abi.md).
// Mirrors kernel/rseq.c: sys_rseq (registration and unregistration), the
// notify-resume step every return to user space runs after a preemption,
// migration, signal or registration (__rseq_handle_notify_resume up to 6.18,
// rseq_exit_user_update / rseq_slowpath_update_usr from 6.19), the abort-IP
// fixup (rseq_ip_fixup with rseq_get_rseq_cs up to 6.18, rseq_update_user_cs
// and its debug variant from 6.19); rseq_syscall (the CONFIG_DEBUG_RSEQ
// check of system calls made inside a critical section) is the checker's
// (rseq-checker.ts), on activeSection here. A failure that
// Linux answers with SIGSEGV comes back as an RseqViolation saying why, so
// rseqlab can explain the kill. The kernel-version differences come from
// the profile (kernel-profile.ts); the time slice extension is in
// rseq-slice.ts.

import type { CpuContext } from '../emulator/api.js';
import { EBUSY, EFAULT, EINVAL, EPERM } from './errno.js';
import { rseqModeFor, type KernelProfile, type RseqMode } from './kernel-profile.js';
import { TASK_SIZE, hex } from './layout.js';
import { UserFault, type UserMemory } from './user-memory.js';

/** The signature glibc and the selftests use on x86 (the 4 bytes before every abort_ip). */
export const RSEQ_SIG_X86 = 0x53053053;
/** sizeof(struct rseq) in the original ABI, and its alignment. */
export const ORIG_RSEQ_SIZE = 32;
export const RSEQ_FLAG_UNREGISTER = 1;
/** Registration flag (7.0): turn the time slice extension on at once. */
export const RSEQ_FLAG_SLICE_EXT_DEFAULT_ON = 2;
/** struct rseq flags bits the kernel writes (7.0, V2 registrations): read-only information. */
export const RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE = 1 << 4;
export const RSEQ_CS_FLAG_SLICE_EXT_ENABLED = 1 << 5;
export const RSEQ_CPU_ID_UNINITIALIZED = -1;

/** struct rseq field offsets. */
export const RseqField = {
  cpuIdStart: 0,
  cpuId: 4,
  rseqCs: 8,
  flags: 16,
  nodeId: 20,
  mmCid: 24,
  /** 7.0, V2 registrations: u8 request, u8 granted, u16 reserved. */
  sliceCtrl: 28,
} as const;

/** struct rseq_cs (section 4): the field offsets of a critical section's descriptor, and its size. */
export const RseqCsField = {
  version: 0,
  flags: 4,
  startIp: 8,
  postCommitOffset: 16,
  abortIp: 24,
} as const;
export const RSEQ_CS_SIZE = 32;

/** The byte ranges of struct rseq user space must not write (section 9: "read-only fields"). */
export const RSEQ_READ_ONLY_RANGES: readonly { offset: number; length: number; field: string }[] = [
  { offset: RseqField.cpuIdStart, length: 4, field: 'cpu_id_start' },
  { offset: RseqField.cpuId, length: 4, field: 'cpu_id' },
  { offset: RseqField.nodeId, length: 4, field: 'node_id' },
  { offset: RseqField.mmCid, length: 4, field: 'mm_cid' },
];

/** RSEQ_CS_FLAG_NO_RESTART_ON_* bits, which are also the event mask bits (RSEQ_EVENT_*_BIT). */
export const RSEQ_EVENT_PREEMPT = 1;
export const RSEQ_EVENT_SIGNAL = 2;
export const RSEQ_EVENT_MIGRATE = 4;
const NO_RESTART_FLAGS = RSEQ_EVENT_PREEMPT | RSEQ_EVENT_SIGNAL | RSEQ_EVENT_MIGRATE;
const PREEMPT_MIGRATE = RSEQ_EVENT_PREEMPT | RSEQ_EVENT_MIGRATE;

export interface RseqRegistration {
  address: number;
  length: number;
  signature: number;
  /** Section 9: legacy or optimized updates, fixed at registration. */
  mode: RseqMode;
  /** RSEQ ABI V2 (7.0, longer than 32 bytes): read-only fields enforced, time slice extension. */
  v2: boolean;
}

/** The IDs a vCPU gives a task on return to user space. */
export interface RseqIds {
  cpu: number;
  node: number;
  mmCid: number;
}

/** The time slice extension state of a task (struct rseq_slice; rules in rseq-slice.ts). */
export class RseqSlice {
  /** PR_RSEQ_SLICE_EXTENSION_SET / RSEQ_FLAG_SLICE_EXT_DEFAULT_ON. */
  enabled = false;
  /** An extension was granted and not yet ended. */
  granted = false;
  /** Machine time the grant ends (the hrtimer). */
  expires = 0n;
  /** rseq_slice_yield's answer: the grant ended by that call. */
  yielded = false;
}

/** A task's rseq state (the rseq fields of struct task_struct). */
export class TaskRseq {
  registration?: RseqRegistration;
  /** rseq_event_mask: events since the task last returned to user space. */
  eventMask = 0;
  /** TIF_NOTIFY_RESUME for rseq: the notify-resume step must run before the next return to user space. */
  notifyResume = false;
  /** The IDs last written to the area (t->rseq.ids); undefined until the first write on kernels before 6.19. */
  ids: RseqIds | undefined;
  /** rseq_force_update: write the IDs on the next return whatever the mode. */
  forceIds = false;
  slice = new RseqSlice();

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

  /** fork without CLONE_VM: the child keeps address, length, signature and mode, and gets fresh fields. */
  forkCopy(): TaskRseq {
    const child = new TaskRseq();
    if (this.registration) {
      child.registration = { ...this.registration };
      child.ids = this.ids && { ...this.ids };
      child.forceIds = true;
      child.notifyResume = true;
      child.slice.enabled = this.slice.enabled;
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

/**
 * The ABI checker's rules (one finding names one): a system call inside a
 * critical section, a user write to a read-only field, deprecated
 * NO_RESTART flags, a descriptor or its code unmapped or rewritten while
 * rseq_cs names it, a commit that is not the last instruction or an abort
 * handler inside the section (static), a registration refused because the
 * thread already has one, inconsistent time slice extension state.
 */
export type RseqRule =
  | 'syscall-in-critical-section'
  | 'read-only-field-written'
  | 'no-restart-flags'
  | 'descriptor-unmapped'
  | 'descriptor-rewritten'
  | 'commit-not-last'
  | 'abort-inside-section'
  | 'registration-refused'
  | 'slice-state-inconsistent';

/**
 * What the notify-resume step did, for the machine's event stream:
 * 'abort' (the thread moves from the section to its abort handler),
 * 'lazy-clear' (rseq_cs named a section the thread is no longer in),
 * 'ids' (cpu_id / node_id / mm_cid written with new values),
 * 'slice-revoke' (a granted time slice extension ended by a reschedule).
 */
export type RseqObserver = (what: 'abort' | 'lazy-clear' | 'ids' | 'slice-revoke', detail: string) => void;

/** Everything the return-to-user steps need besides the task's rseq state. */
export interface RseqExit {
  mem: UserMemory;
  profile: KernelProfile;
  ctx: CpuContext;
  /** The IDs of the vCPU the task returns on. */
  ids: RseqIds;
  /** The return is from a system call (no fixup: section 3). */
  fromSyscall: boolean;
  /** CONFIG_DEBUG_RSEQ: the debug checks of the kernel's fixup and the read-only fields. */
  debug: boolean;
  observe?: RseqObserver;
  /** The ABI checker: a finding that is not (by itself) fatal. */
  finding?: (rule: RseqRule, detail: string, address: number) => void;
}

/** The event-mask bits in words. */
function eventNames(mask: number): string {
  const names = [];
  if (mask & RSEQ_EVENT_PREEMPT) names.push('preempt');
  if (mask & RSEQ_EVENT_SIGNAL) names.push('signal');
  if (mask & RSEQ_EVENT_MIGRATE) names.push('migrate');
  return names.length > 0 ? names.join('+') : 'no event';
}

/** Runs a user-memory access; a fault becomes `onFault`'s value. */
export function guarded<T>(access: () => T, onFault: (e: UserFault) => T): T {
  try {
    return access();
  } catch (e) {
    if (e instanceof UserFault) return onFault(e);
    throw e;
  }
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
    const r = guarded(() => (resetArea(mem, profile, address), 0), () => -EFAULT);
    if (r !== 0) return r;
    state.registration = undefined;
    state.eventMask = 0;
    state.notifyResume = false;
    state.ids = undefined;
    state.slice = new RseqSlice();
    return 0;
  }
  // RSEQ_FLAGS_SUPPORTED: only 7.0 knows a registration flag.
  const supported = profile.sliceExtension ? RSEQ_FLAG_SLICE_EXT_DEFAULT_ON : 0;
  if (flags & ~supported) return -EINVAL;
  if (reg) {
    // rseq_reregister.
    if (reg.address !== address || reg.length !== length) return -EINVAL;
    if (reg.signature !== signature) return -EPERM;
    return -EBUSY;
  }
  if (!lengthAndAlignmentOk(profile, address, length)) return -EINVAL;
  if (address >= TASK_SIZE || length > TASK_SIZE - address) return -EFAULT;
  const mode = rseqModeFor(profile, length);
  const v2 = mode === 'optimized' && profile.sliceExtension;
  if (profile.rseqRework) {
    // 6.19: the area is initialised at once; the IDs the kernel caches match what it wrote.
    const rseqfl = v2 ? RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | (flags & RSEQ_FLAG_SLICE_EXT_DEFAULT_ON ? RSEQ_CS_FLAG_SLICE_EXT_ENABLED : 0) : 0;
    const r = guarded(() => {
      mem.writeU64(address + RseqField.rseqCs, 0n);
      mem.writeU32(address + RseqField.flags, rseqfl);
      mem.writeU32(address + RseqField.cpuIdStart, RSEQ_CPU_ID_UNINITIALIZED);
      mem.writeU32(address + RseqField.cpuId, RSEQ_CPU_ID_UNINITIALIZED);
      mem.writeU32(address + RseqField.nodeId, 0);
      mem.writeU32(address + RseqField.mmCid, 0);
      if (v2) mem.writeU32(address + RseqField.sliceCtrl, 0);
      return 0;
    }, () => -EFAULT);
    if (r !== 0) return r;
    state.ids = { cpu: RSEQ_CPU_ID_UNINITIALIZED, node: 0, mmCid: 0 };
    state.slice = new RseqSlice();
    state.slice.enabled = (rseqfl & RSEQ_CS_FLAG_SLICE_EXT_ENABLED) !== 0;
  } else {
    // Old libcs may reuse an area that still names a descriptor: clear it.
    const r = guarded(() => {
      if (mem.readU64(address + RseqField.rseqCs) !== 0n) mem.writeU64(address + RseqField.rseqCs, 0n);
      return 0;
    }, () => -EFAULT);
    if (r !== 0) return r;
    state.ids = undefined;
  }
  state.registration = { address, length, signature, mode, v2 };
  state.forceIds = true;
  state.notifyResume = true;
  return 0;
}

function lengthAndAlignmentOk(profile: KernelProfile, address: number, length: number): boolean {
  if (!profile.rseqExtended) return length === ORIG_RSEQ_SIZE && address % ORIG_RSEQ_SIZE === 0;
  if (length < ORIG_RSEQ_SIZE) return false;
  if (length === ORIG_RSEQ_SIZE) return address % ORIG_RSEQ_SIZE === 0;
  return address % profile.rseqAlign === 0 && length >= profile.rseqFeatureSize;
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
 * The notify-resume step, on the way back to user space after a
 * preemption, migration, signal, membarrier IPI or registration: first the
 * abort-IP fixup, then the IDs (section 3; section 9 for which of the two a
 * mode does when). Returns a violation when Linux would force SIGSEGV.
 *
 * Legacy: the fixup after every event (not after a system call, section
 * 3), and all IDs rewritten. Optimized: the fixup only when user space was
 * interrupted (an event, not a return from a system call), the IDs only
 * when they changed; V2 registrations (and debug kernels) first check that
 * user space left the read-only fields as the kernel wrote them.
 */
export function rseqNotifyResume(state: TaskRseq, exit: RseqExit): RseqViolation | undefined {
  if (!state.notifyResume) return undefined;
  state.notifyResume = false;
  const reg = state.registration;
  if (!reg) return undefined;
  const { mem, profile, ids, fromSyscall } = exit;
  const events = state.eventMask;
  if (!fromSyscall) {
    const v = rseqIpFixup(state, exit);
    if (v) return v;
  }
  // Optimized mode: user_irq and the event bits are consumed by every exit.
  if (reg.mode === 'optimized') state.eventMask = 0;
  const cached = state.ids;
  const changed = !cached || cached.cpu !== ids.cpu || cached.node !== ids.node || cached.mmCid !== ids.mmCid;
  const writeIds = reg.mode === 'legacy' || state.forceIds || changed;
  if (writeIds) {
    if ((reg.v2 || exit.debug) && cached) {
      const v = validateReadOnlyFields(reg, mem, profile, cached, reg.v2 ? 'RSEQ ABI V2 enforces read-only fields' : 'CONFIG_DEBUG_RSEQ');
      if (v) return v;
    }
    const v = guarded(() => {
      mem.writeU32(reg.address + RseqField.cpuIdStart, ids.cpu);
      mem.writeU32(reg.address + RseqField.cpuId, ids.cpu);
      if (profile.rseqExtended) {
        mem.writeU32(reg.address + RseqField.nodeId, ids.node);
        mem.writeU32(reg.address + RseqField.mmCid, ids.mmCid);
      }
      return undefined;
    }, (e): RseqViolation => ({ reason: `cannot write the rseq area at ${hex(reg.address)} (not writable user memory)`, address: e.address }));
    if (v) return v;
    if (changed) exit.observe?.('ids', `cpu_id ${ids.cpu}${profile.rseqExtended ? `, node_id ${ids.node}, mm_cid ${ids.mmCid}` : ''}`);
    state.ids = { ...ids };
    state.forceIds = false;
  }
  // V2: a reschedule ends a granted extension, and the kernel clears slice_ctrl (rseq_slice_clear_user).
  if (reg.v2 && profile.sliceExtension && (writeIds || events & RSEQ_EVENT_PREEMPT)) {
    const wasGranted = state.slice.granted;
    state.slice.granted = false;
    const v = guarded(() => (mem.writeU32(reg.address + RseqField.sliceCtrl, 0), undefined),
      (e): RseqViolation => ({ reason: `cannot clear slice_ctrl in the rseq area at ${hex(reg.address)}`, address: e.address }));
    if (v) return v;
    if (wasGranted) exit.observe?.('slice-revoke', 'time slice extension ended: the thread was rescheduled');
  }
  return undefined;
}

/**
 * rseq_signal_deliver: the signal event, then notify-resume before the
 * frame is built, so the frame's saved rip is already abort_ip. Optimized
 * mode evaluates rseq_cs only when the signal interrupted user space, not
 * on the return from a system call.
 */
export function rseqSignalDeliver(state: TaskRseq, exit: RseqExit): RseqViolation | undefined {
  state.event(RSEQ_EVENT_SIGNAL);
  const optimized = state.registration?.mode === 'optimized';
  return rseqNotifyResume(state, optimized ? exit : { ...exit, fromSyscall: false });
}

interface FieldMismatch { field: string; offset: number; found: number; expected: number }

/** The read-only fields whose values differ from the IDs the kernel last wrote (rseq_debug_validate_ids). */
function readOnlyMismatches(reg: RseqRegistration, mem: UserMemory, profile: KernelProfile, cached: RseqIds): FieldMismatch[] {
  const out: FieldMismatch[] = [];
  const check = (field: string, offset: number, expected: number) => {
    const found = guarded(() => mem.readU32(reg.address + offset), () => expected >>> 0);
    if (found !== expected >>> 0) out.push({ field, offset, found, expected });
  };
  check('cpu_id_start', RseqField.cpuIdStart, cached.cpu);
  check('cpu_id', RseqField.cpuId, cached.cpu);
  if (profile.rseqExtended) {
    // Right after registration cpu_id is UNINITIALIZED and node_id 0.
    check('node_id', RseqField.nodeId, cached.cpu === RSEQ_CPU_ID_UNINITIALIZED ? 0 : cached.node);
    check('mm_cid', RseqField.mmCid, cached.mmCid);
  }
  return out;
}

function validateReadOnlyFields(reg: RseqRegistration, mem: UserMemory, profile: KernelProfile, cached: RseqIds, why: string): RseqViolation | undefined {
  const [m] = readOnlyMismatches(reg, mem, profile, cached);
  if (!m) return undefined;
  return {
    reason: `user space wrote the read-only field ${m.field} of the rseq area at ${hex(reg.address)}: found ${hex(m.found >>> 0)}, the kernel wrote ${hex(m.expected >>> 0)} (${why})`,
    address: reg.address + m.offset,
  };
}

/** A descriptor as read from user memory. */
interface RseqCsDescriptor {
  version: number;
  flags: number;
  start: bigint;
  offset: bigint;
  abort: bigint;
}

function readDescriptor(mem: UserMemory, at: number): RseqCsDescriptor | RseqViolation {
  return guarded((): RseqCsDescriptor | RseqViolation => ({
    version: mem.readU32(at + RseqCsField.version),
    flags: mem.readU32(at + RseqCsField.flags),
    start: mem.readU64(at + RseqCsField.startIp),
    offset: mem.readU64(at + RseqCsField.postCommitOffset),
    abort: mem.readU64(at + RseqCsField.abortIp),
  }), (): RseqViolation => ({ reason: `cannot read the struct rseq_cs at ${hex(at)}`, address: at }));
}

/**
 * The abort-IP fixup, the one place where an interrupted critical section
 * is aborted: if the task was interrupted inside the active section, clear
 * rseq_cs and move rip to abort_ip; outside it, lazily clear rseq_cs. The
 * profile picks the checks: 'full' (rseq_ip_fixup up to 6.18: the
 * descriptor is validated and its signature checked even when the IP is
 * outside, so a stale bad descriptor is fatal at the next preemption),
 * 'lean' (6.19's rseq_update_user_cs: only a section the IP is inside is
 * checked, abort_ip and its signature), or on a debug kernel from 6.19
 * rseq_debug_update_user_cs (the lean order with every field checked).
 */
export function rseqIpFixup(state: TaskRseq, exit: RseqExit): RseqViolation | undefined {
  const reg = state.registration;
  if (!reg) return undefined;
  const { mem, profile, ctx } = exit;
  const ptr = guarded(() => mem.readU64(reg.address + RseqField.rseqCs), () => undefined);
  if (ptr === undefined) return { reason: `cannot read rseq_cs from the rseq area at ${hex(reg.address)}`, address: reg.address };
  if (ptr === 0n) return undefined;
  if (ptr >= BigInt(TASK_SIZE)) return { reason: `rseq_cs ${hex(ptr)} is not a user address` };
  const at = Number(ptr);
  const cs = readDescriptor(mem, at);
  if ('reason' in cs) return cs;
  const where = `struct rseq_cs at ${hex(at)}`;
  const postCommit = cs.start + cs.offset;
  const ip = ctx.rip;
  const user = BigInt(TASK_SIZE);
  const areaFlags = guarded(() => mem.readU32(reg.address + RseqField.flags), () => 0);
  if (exit.finding && ((cs.flags | areaFlags) & NO_RESTART_FLAGS)) {
    exit.finding('no-restart-flags', `RSEQ_CS_FLAG_NO_RESTART_* set (descriptor flags ${hex(cs.flags)}, area flags ${hex(areaFlags)}): deprecated since Linux 6.0`, at);
  }
  const full = profile.csChecks === 'full';
  const debug = !full && exit.debug;
  // 'full' (rseq_get_rseq_cs): every check first, whatever the IP.
  if (full) {
    if (cs.version > 0) return { reason: `${where}: version is ${cs.version}, must be 0`, address: at };
    const v = checkAbortIp(cs, where, at, true) ?? checkRange(cs, where, at, user) ?? checkSignature(reg, mem, cs, where);
    if (v) return v;
  }
  if (debug && cs.start >= user) return { reason: `${where}: start_ip ${hex(cs.start)} is not a user address`, address: at };
  const inside = BigInt.asUintN(64, ip - cs.start) < cs.offset;
  if (!inside) {
    if (debug && ip >= cs.start) {
      const v = checkRange(cs, where, at, user);
      if (v) return v;
    }
    exit.observe?.('lazy-clear', `rseq_cs cleared: ip ${hex(ip)} is outside [${hex(cs.start)}, ${hex(postCommit)})`);
    return clearRseqCs(reg, mem);
  }
  if (!full) {
    if (debug) {
      const v = checkRange(cs, where, at, user) ?? checkAbortIp(cs, where, at, true);
      if (v) return v;
      if (cs.version !== 0 || cs.flags !== 0) return { reason: `${where}: version ${cs.version} and flags ${hex(cs.flags)} must both be 0 (CONFIG_DEBUG_RSEQ)`, address: at };
    } else {
      const v = checkAbortIp(cs, where, at, false);
      if (v) return v;
    }
    const v = checkSignature(reg, mem, cs, where);
    if (v) return v;
  }
  const events = state.eventMask;
  const restart = full ? needRestart(state, profile, cs.flags, areaFlags) : true;
  if (typeof restart !== 'boolean') return restart;
  if (!full) state.eventMask = 0;
  if (!restart) return undefined;
  const v = clearRseqCs(reg, mem);
  if (v) return v;
  ctx.rip = cs.abort;
  exit.observe?.('abort', `abort from ${hex(ip)} to ${hex(cs.abort)} (${eventNames(events)})`);
  return undefined;
}

/** abort_ip must be a user address (not below 4) and, where checked, not inside the section. */
function checkAbortIp(cs: RseqCsDescriptor, where: string, at: number, notInside: boolean): RseqViolation | undefined {
  if (cs.abort >= BigInt(TASK_SIZE) || cs.abort < 4n) return { reason: `${where}: abort_ip ${hex(cs.abort)} is not a user address`, address: at };
  // Unsigned arithmetic, as the kernel does.
  if (notInside && BigInt.asUintN(64, cs.abort - cs.start) < cs.offset) {
    return { reason: `${where}: abort_ip ${hex(cs.abort)} is inside the critical section [${hex(cs.start)}, ${hex(cs.start + cs.offset)})`, address: at };
  }
  return undefined;
}

/** start_ip and the post-commit address are user addresses and the sum does not wrap. */
function checkRange(cs: RseqCsDescriptor, where: string, at: number, user: bigint): RseqViolation | undefined {
  const end = cs.start + cs.offset;
  if (cs.start >= user || end >= user || end < cs.start) {
    return { reason: `${where}: start_ip ${hex(cs.start)} or post-commit ${hex(end)} is not a user address`, address: at };
  }
  return undefined;
}

/** The 4 bytes before abort_ip must be the registered signature ("Possible attack attempt"). */
function checkSignature(reg: RseqRegistration, mem: UserMemory, cs: RseqCsDescriptor, where: string): RseqViolation | undefined {
  const sigAt = Number(cs.abort) - 4;
  const sig = guarded(() => mem.readU32(sigAt), () => undefined);
  if (sig === undefined) return { reason: `${where}: cannot read the signature before abort_ip ${hex(cs.abort)}`, address: sigAt };
  if (sig !== reg.signature) {
    return {
      reason: `abort signature mismatch at ${hex(sigAt)}: found ${hex(sig)}, expected ${hex(reg.signature)} (${where}; the kernel logs "Possible attack attempt")`,
      address: sigAt,
    };
  }
  return undefined;
}

/** rseq_need_restart: consume the event mask, honouring (4.18) or rejecting (6.0 to 6.18) the NO_RESTART flags. */
function needRestart(state: TaskRseq, profile: KernelProfile, csFlags: number, areaFlags: number): boolean | RseqViolation {
  const flags = (areaFlags | csFlags) >>> 0;
  if (profile.noRestartFlags === 'rejected') {
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
  return guarded(() => (mem.writeU64(reg.address + RseqField.rseqCs, 0n), undefined),
    (): RseqViolation => ({ reason: `cannot clear rseq_cs in the rseq area at ${hex(reg.address)}`, address: reg.address }));
}

/** The active critical section [start, end) rseq_cs names, if it is readable; for the checker. */
export function activeSection(state: TaskRseq, mem: UserMemory): { descriptor: number; start: bigint; end: bigint; abort: bigint } | undefined {
  const reg = state.registration;
  if (!reg) return undefined;
  const ptr = guarded(() => mem.readU64(reg.address + RseqField.rseqCs), () => 0n);
  if (ptr === 0n || ptr >= BigInt(TASK_SIZE)) return undefined;
  const cs = readDescriptor(mem, Number(ptr));
  if ('reason' in cs) return undefined;
  return { descriptor: Number(ptr), start: cs.start, end: cs.start + cs.offset, abort: cs.abort };
}
