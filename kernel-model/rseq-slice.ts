// The time slice extension (Linux 7.0, RSEQ ABI V2 registrations only;
// shared/docs/rseq-abi.md section 9; kernel/rseq.c and
// include/linux/rseq_entry.h): a thread sets slice_ctrl.request before a
// short critical region; when an interrupt would reschedule it, the kernel
// may instead grant a bounded extension (request cleared, granted set, a
// timer armed). The thread ends the region with rseq_slice_yield(); any
// other system call revokes the grant and reschedules, and so does the
// timer. The notify-resume step (rseq.ts) clears slice_ctrl after every
// reschedule of a V2 task.

import { EINVAL, ENOTSUPP, ENXIO } from './errno.js';
import type { KernelProfile } from './kernel-profile.js';
import { hex } from './layout.js';
import { RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE, RSEQ_CS_FLAG_SLICE_EXT_ENABLED, RseqField, guarded, type RseqRule, type RseqViolation, type TaskRseq } from './rseq.js';
import type { UserMemory } from './user-memory.js';

export const PR_RSEQ_SLICE_EXTENSION = 79;
const PR_RSEQ_SLICE_EXTENSION_GET = 1;
const PR_RSEQ_SLICE_EXTENSION_SET = 2;
const PR_RSEQ_SLICE_EXT_ENABLE = 1;
/** x86-64 system call number of rseq_slice_yield. */
export const NR_RSEQ_SLICE_YIELD = 471;
/** rseq_slice_ext_nsecs: the sysctl's default (and minimum), 5 microseconds of machine time. */
export const SLICE_EXTENSION_NS = 5_000n;

/** slice_ctrl as a u32: byte 0 request, byte 1 granted. */
const REQUEST = 0x1;
const GRANTED = 0x100;

function readCtrl(state: TaskRseq, mem: UserMemory): number | undefined {
  const at = state.registration!.address + RseqField.sliceCtrl;
  return guarded(() => mem.readU32(at), () => undefined);
}

function writeCtrl(state: TaskRseq, mem: UserMemory, value: number): boolean {
  const at = state.registration!.address + RseqField.sliceCtrl;
  return guarded(() => (mem.writeU32(at, value), true), () => false);
}

/** The task may be granted extensions at all (7.0, a V2 registration, enabled). */
function sliceActive(state: TaskRseq, profile: KernelProfile): boolean {
  return profile.sliceExtension && state.registration?.v2 === true && state.slice.enabled;
}

/**
 * prctl(PR_RSEQ_SLICE_EXTENSION, ...) (rseq_slice_extension_prctl): GET
 * answers 1 or 0; SET turns the extension on or off and mirrors it in the
 * area's flags. A negative errno, the result, or 'segv' when the area's
 * flags are not what the kernel wrote (force_sig(SIGSEGV)).
 */
export function sliceExtensionPrctl(state: TaskRseq, mem: UserMemory, profile: KernelProfile, args: readonly bigint[]): number | 'segv' {
  const [, op, arg3, arg4, arg5] = args;
  if (!profile.sliceExtension) return -EINVAL; // an unknown prctl option
  if (arg4 !== 0n || arg5 !== 0n) return -EINVAL;
  switch (Number(op)) {
    case PR_RSEQ_SLICE_EXTENSION_GET:
      if (arg3 !== 0n) return -EINVAL;
      return state.slice.enabled ? PR_RSEQ_SLICE_EXT_ENABLE : 0;
    case PR_RSEQ_SLICE_EXTENSION_SET: {
      if (arg3 & ~BigInt(PR_RSEQ_SLICE_EXT_ENABLE)) return -EINVAL;
      const reg = state.registration;
      if (!reg) return -ENXIO;
      if (!reg.v2) return -ENOTSUPP; // legacy registrations have no slice extension
      const enable = arg3 !== 0n;
      if (enable === state.slice.enabled) return 0;
      const ok = guarded(() => {
        let flags = mem.readU32(reg.address + RseqField.flags);
        let valid = RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
        if (state.slice.enabled) valid |= RSEQ_CS_FLAG_SLICE_EXT_ENABLED;
        if ((flags & valid) !== valid) return false;
        flags = (flags & ~RSEQ_CS_FLAG_SLICE_EXT_ENABLED) | RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | (enable ? RSEQ_CS_FLAG_SLICE_EXT_ENABLED : 0);
        mem.writeU32(reg.address + RseqField.flags, flags >>> 0);
        return true;
      }, () => false);
      if (!ok) return 'segv';
      state.slice.enabled = enable;
      return 0;
    }
    default:
      return -EINVAL;
  }
}

/** What a reschedule request did to a task that may hold a time slice extension. */
export type SliceDecision =
  | { kind: 'preempt' }
  | { kind: 'granted'; until: bigint }
  | { kind: 'revoked'; why: string }
  | { kind: 'segv'; violation: RseqViolation };

/**
 * rseq_grant_slice_extension: the scheduler wants the task, interrupted in
 * user space, off its vCPU. If it asked for an extension (request set) and
 * holds none, it is granted one instead of being preempted; a second
 * request while granted revokes the grant (slice_ctrl cleared) and the
 * task is preempted.
 */
export function sliceOnReschedule(state: TaskRseq, mem: UserMemory, profile: KernelProfile, now: bigint): SliceDecision {
  if (!sliceActive(state, profile)) return { kind: 'preempt' };
  const segv = (): SliceDecision => ({ kind: 'segv', violation: { reason: `cannot access slice_ctrl in the rseq area at ${hex(state.registration!.address)}`, address: state.registration!.address + RseqField.sliceCtrl } });
  if (state.slice.granted) {
    if (!writeCtrl(state, mem, 0)) return segv();
    state.slice.granted = false;
    return { kind: 'revoked', why: 'a reschedule while the extension was granted' };
  }
  const ctrl = readCtrl(state, mem);
  if (ctrl === undefined) return segv();
  if (!(ctrl & REQUEST)) return { kind: 'preempt' };
  if (!writeCtrl(state, mem, ((ctrl & ~REQUEST) | GRANTED) >>> 0)) return segv();
  state.slice.granted = true;
  state.slice.expires = now + SLICE_EXTENSION_NS;
  return { kind: 'granted', until: state.slice.expires };
}

/** The grant's timer: past `expires` the task is rescheduled (rseq_slice_expired). */
export function sliceExpired(state: TaskRseq, now: bigint): boolean {
  return state.slice.granted && now >= state.slice.expires;
}

/**
 * rseq_syscall_enter_work: a system call during a grant ends it (slice_ctrl
 * cleared) and asks for a reschedule; rseq_slice_yield records that the
 * task yielded in time. slice_ctrl must hold exactly {granted} (request
 * cleared): the checker reports anything else, and on a debug kernel that
 * finding is the SIGSEGV (rseq_slice_validate_ctrl).
 */
export function sliceSyscallEntry(
  state: TaskRseq,
  mem: UserMemory,
  nr: number,
  finding: (rule: RseqRule, detail: string, address: number) => void,
): { resched: boolean; ended?: string; violation?: RseqViolation } {
  if (!state.slice.granted) return { resched: false };
  const reg = state.registration!;
  const ctrl = readCtrl(state, mem);
  if (ctrl !== GRANTED) {
    const detail = `slice_ctrl is ${ctrl === undefined ? 'unreadable' : hex(ctrl)} at a system call during a granted extension, expected ${hex(GRANTED)} (granted, no request)`;
    finding('slice-state-inconsistent', detail, reg.address + RseqField.sliceCtrl);
  }
  const yielded = nr === NR_RSEQ_SLICE_YIELD;
  if (yielded) state.slice.yielded = true;
  state.slice.granted = false;
  if (!writeCtrl(state, mem, 0)) return { resched: true, violation: { reason: `cannot clear slice_ctrl in the rseq area at ${hex(reg.address)}`, address: reg.address + RseqField.sliceCtrl } };
  return { resched: true, ended: yielded ? 'rseq_slice_yield' : `system call ${nr}` };
}

/** sys_rseq_slice_yield: 1 if the task yielded within a granted extension, else 0. */
export function sliceYield(state: TaskRseq): number {
  const yielded = state.slice.yielded ? 1 : 0;
  state.slice.yielded = false;
  return yielded;
}
