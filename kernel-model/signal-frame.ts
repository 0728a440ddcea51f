// The x86-64 rt signal frame: building it when a handler is entered and
// taking it apart in rt_sigreturn, as Linux does (arch/x86/kernel/signal.c
// get_sigframe and handle_signal, arch/x86/kernel/signal_64.c
// x64_setup_rt_frame and rt_sigreturn, arch/x86/kernel/fpu/signal.c,
// kernel/signal.c restore_altstack). Pure functions over UserMemory and a
// register file; the caller owns the task state (mask, alternate stack) and
// turns a failure into force_sigsegv, as signal_setup_done does.
//
// Layout, from higher to lower addresses (the CPU advertises FXSR but not
// XSAVE, so the FPU area is the 512-byte FXSAVE image, uc_flags has no
// UC_FP_XSTATE and there is no FP_XSTATE_MAGIC2 after the image):
//
//   interrupted rsp
//   128-byte red zone                 (or: the top of the alternate stack)
//   alignment padding
//   FXSAVE image, 512 bytes           fpstate = round_down(sp - 512, 64)
//   alignment padding
//   struct rt_sigframe, 440 bytes     frame = round_down(fpstate - 440, 16) - 8
//     +0    pretcode   (sa_restorer: the handler's `ret` goes there)
//     +8    struct ucontext (304 bytes; uc_mcontext is struct sigcontext)
//     +312  siginfo_t (128 bytes, written only for SA_SIGINFO handlers)
//
// frame % 16 == 8, as at the entry of a function that was called.
// The rseq fixup has already run when a frame is built: the saved rip may be
// an abort_ip. Nothing here knows about rseq.

import { Reg, type CpuContext } from '../emulator/api.js';
import { TASK_SIZE } from './layout.js';
import { encodeSigInfo, type SigInfo } from './siginfo.js';
import { SA_RESTORER, sigmaskBit, UNBLOCKABLE, type SigAction } from './signals.js';
import { SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, type AltStack } from './task.js';
import { UserFault, type UserMemory } from './user-memory.js';

/** The CPU's x87/SSE state as the FXSAVE / FXRSTOR instructions see it. */
export interface FpuStateAccess {
  /** The 512-byte FXSAVE image of the register file. */
  fxsaveImage(): Uint8Array;
  /** Loads an FXSAVE image; false (nothing loaded) if MXCSR has reserved bits set, where FXRSTOR raises #GP. */
  fxrstorImage(image: Uint8Array): boolean;
}

export type SignalContext = CpuContext & FpuStateAccess;

// sigaction flags (arch/x86/include/uapi/asm/signal.h).
export const SA_SIGINFO = 0x00000004n;
export const SA_ONSTACK = 0x08000000n;
export const SA_NODEFER = 0x40000000n;

/** MINSIGSTKSZ (arch/x86/include/uapi/asm/signal.h): restore_altstack's minimum size. */
export const MINSIGSTKSZ = 2048n;

/** The x86-64 ABI red zone below rsp that a signal frame must not touch (get_sigframe). */
export const RED_ZONE = 128;

/** sizeof(struct fxregs_state) (arch/x86/include/asm/fpu/types.h): the whole FPU area without XSAVE. */
export const FXSAVE_SIZE = 512;
/** The FPU area's alignment (fpu__alloc_mathframe: XSAVE needs 64, FXSAVE 16). */
export const FPSTATE_ALIGN = 64;

// struct fxregs_state offsets (Intel SDM Vol. 1, 10.5.1, Table 10-2).
export const FX_FCW = 0;
export const FX_FSW = 2;
export const FX_FTW = 4;
export const FX_FOP = 6;
export const FX_MXCSR = 24;
export const FX_MXCSR_MASK = 28;
export const FX_ST = 32;
export const FX_XMM = 160;
/** sw_reserved[12]: bytes FXSAVE leaves alone, where the kernel puts struct _fpx_sw_bytes. */
export const FX_SW_RESERVED = 464;

/** struct _fpx_sw_bytes.magic1 (arch/x86/include/uapi/asm/sigcontext.h). */
export const FP_XSTATE_MAGIC1 = 0x46505853;
/** sizeof(FP_XSTATE_MAGIC2): counted in extended_size even when no XSAVE area follows. */
export const FP_XSTATE_MAGIC2_SIZE = 4;

/** fpstate_init_fxstate (arch/x86/kernel/fpu/core.c): the x87 control word and MXCSR of a fresh FPU. */
export const FCW_DEFAULT = 0x37f;
export const MXCSR_DEFAULT = 0x1f80;

// struct sigcontext (arch/x86/include/uapi/asm/sigcontext.h, 64-bit), 256 bytes.
export const SIGCONTEXT_SIZE = 256;
export const SC_R8 = 0;
export const SC_R9 = 8;
export const SC_R10 = 16;
export const SC_R11 = 24;
export const SC_R12 = 32;
export const SC_R13 = 40;
export const SC_R14 = 48;
export const SC_R15 = 56;
export const SC_RDI = 64;
export const SC_RSI = 72;
export const SC_RBP = 80;
export const SC_RBX = 88;
export const SC_RDX = 96;
export const SC_RAX = 104;
export const SC_RCX = 112;
export const SC_RSP = 120;
export const SC_RIP = 128;
export const SC_EFLAGS = 136;
/** u16 each: cs, gs, fs, ss (ss was __pad0 before UC_SIGCONTEXT_SS). */
export const SC_CS = 144;
export const SC_GS = 146;
export const SC_FS = 148;
export const SC_SS = 150;
export const SC_ERR = 152;
export const SC_TRAPNO = 160;
export const SC_OLDMASK = 168;
export const SC_CR2 = 176;
export const SC_FPSTATE = 184;
/** reserved1[8]: never written by the kernel (whatever was on the stack stays). */
export const SC_RESERVED1 = 192;

// stack_t (include/uapi/asm-generic/signal.h), 24 bytes.
export const STACK_T_SIZE = 24;
export const SS_SP = 0;
/** An int: the 4 bytes after it are padding the kernel does not write. */
export const SS_FLAGS = 8;
export const SS_SIZE = 16;

// struct ucontext (arch/x86/include/uapi/asm/ucontext.h -> asm-generic), 304 bytes.
export const UCONTEXT_SIZE = 304;
export const UC_FLAGS = 0;
export const UC_LINK = 8;
export const UC_STACK = 16;
export const UC_MCONTEXT = 40;
/** The kernel's sigset_t: one 64-bit word (glibc's ucontext_t reserves 128 bytes here). */
export const UC_SIGMASK = 296;

// struct rt_sigframe (arch/x86/include/asm/sigframe.h, 64-bit), 440 bytes.
export const RT_SIGFRAME_SIZE = 440;
export const RT_SIGFRAME_PRETCODE = 0;
export const RT_SIGFRAME_UC = 8;
export const RT_SIGFRAME_INFO = RT_SIGFRAME_UC + UCONTEXT_SIZE;

// uc_flags bits (arch/x86/include/uapi/asm/ucontext.h).
export const UC_FP_XSTATE = 0x1;
export const UC_SIGCONTEXT_SS = 0x2;
export const UC_STRICT_RESTORE_SS = 0x4;
/** frame_uc_flags for a 64-bit task on a CPU without XSAVE. */
export const FRAME_UC_FLAGS = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;

/** __USER_CS and __USER_DS (arch/x86/include/asm/segment.h): the selectors a 64-bit task runs with. */
export const USER_CS = 0x33;
export const USER_DS = 0x2b;

// RFLAGS bits (arch/x86/include/uapi/asm/processor-flags.h).
export const X86_EFLAGS_CF = 0x1n;
export const X86_EFLAGS_PF = 0x4n;
export const X86_EFLAGS_AF = 0x10n;
export const X86_EFLAGS_ZF = 0x40n;
export const X86_EFLAGS_SF = 0x80n;
export const X86_EFLAGS_TF = 0x100n;
export const X86_EFLAGS_DF = 0x400n;
export const X86_EFLAGS_OF = 0x800n;
export const X86_EFLAGS_RF = 0x10000n;
export const X86_EFLAGS_AC = 0x40000n;

/**
 * FIX_EFLAGS (arch/x86/include/asm/sighandling.h): the flags rt_sigreturn
 * takes from the frame. IF, IOPL, NT, ID, VM, VIF, VIP keep their current
 * values whatever the frame says.
 */
export const FIX_EFLAGS =
  X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_SF |
  X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF | X86_EFLAGS_CF | X86_EFLAGS_RF;

/** handle_signal clears these before entering a handler (DF per the ABI, RF and TF so no debug trap fires). */
export const HANDLER_CLEARED_EFLAGS = X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF;

/**
 * What the kernel keeps per thread about the last trap that raised a
 * signal (current->thread.trap_nr, error_code, cr2) and copies into every
 * frame's sigcontext. The values persist: a later raise() still shows the
 * last fault's values, so a caller that wants exact frames keeps them per
 * thread and passes them every time.
 */
export interface TrapInfo {
  trapno: number;
  err: number;
  cr2: bigint;
}

/** x86 trap numbers (arch/x86/include/asm/trapnr.h) for TrapInfo.trapno. */
export const X86_TRAP_DE = 0;
export const X86_TRAP_DB = 1;
export const X86_TRAP_BP = 3;
export const X86_TRAP_UD = 6;
export const X86_TRAP_SS = 12;
export const X86_TRAP_GP = 13;
export const X86_TRAP_PF = 14;
export const X86_TRAP_MF = 16;
export const X86_TRAP_XF = 19;

/** Page-fault error code bits (arch/x86/include/asm/trap_pf.h) for TrapInfo.err. */
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_INSTR = 1 << 4;

export interface RtFrameRequest {
  sig: number;
  info: SigInfo;
  action: SigAction;
  /** The mask saved in uc_sigmask and sigcontext.oldmask: the task's blocked set before delivery (sigmask_to_save). */
  blocked: bigint;
  altStack: AltStack;
  /** current->thread.trap_nr / error_code / cr2; zero when omitted. */
  fault?: TrapInfo;
}

export type RtFrameResult =
  | {
      ok: true;
      /** The frame's address: the handler's rsp. */
      frame: number;
      /** Where the FXSAVE image went (sigcontext.fpstate). */
      fpstate: number;
      /**
       * The alternate stack has SS_AUTODISARM: the caller resets it to
       * disabled (signal_delivered's sas_ss_reset). uc_stack holds the armed
       * one for rt_sigreturn to restore.
       */
      disarmAltStack: boolean;
    }
  | { ok: false; reason: string };

/** Where get_sigframe puts things, before anything is written. */
export interface SigframeLayout {
  /** The interrupted rsp was on the alternate stack (on_sig_stack). */
  nested: boolean;
  /** This delivery switches to the alternate stack (SA_ONSTACK, not nested, stack enabled). */
  entering: boolean;
  /** The top the frame grows down from: rsp - RED_ZONE, or ss_sp + ss_size. */
  top: bigint;
  fpstate: bigint;
  frame: bigint;
  /** The frame leaves the alternate stack it is on or entered ("overflowed sigaltstack"). */
  overflow: boolean;
}

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const roundDown = (v: bigint, align: bigint) => v - (v % align);

/** __on_sig_stack: sp is inside (ss_sp, ss_sp + ss_size]. */
function insideAltStack(sp: bigint, alt: AltStack): boolean {
  return sp > alt.sp && sp - alt.sp <= alt.size;
}

/** on_sig_stack (include/linux/sched/signal.h): an SS_AUTODISARM stack never counts as in use. */
export function onSigStack(sp: bigint, alt: AltStack): boolean {
  if ((alt.flags & SS_AUTODISARM) !== 0) return false;
  return insideAltStack(u64(sp), alt);
}

/** sas_ss_flags: SS_DISABLE without an alternate stack, SS_ONSTACK if sp is on it, else 0. */
export function sasSsFlags(sp: bigint, alt: AltStack): number {
  if (alt.size === 0n) return SS_DISABLE;
  return onSigStack(sp, alt) ? SS_ONSTACK : 0;
}

/**
 * get_sigframe's arithmetic (arch/x86/kernel/signal.c). fpstateSize is the
 * FPU area: FXSAVE_SIZE here; on an XSAVE host the kernel uses the XSAVE
 * size plus FP_XSTATE_MAGIC2_SIZE (the native layout test passes that).
 */
export function sigframeLayout(rsp: bigint, saFlags: bigint, alt: AltStack, fpstateSize = FXSAVE_SIZE): SigframeLayout {
  const nested = onSigStack(rsp, alt);
  let top = u64(rsp - BigInt(RED_ZONE));
  let entering = false;
  // X/Open alternate stack switching; sas_ss_flags of the red-zone-adjusted sp, as the kernel does.
  if ((saFlags & SA_ONSTACK) !== 0n && sasSsFlags(top, alt) === 0) {
    top = u64(alt.sp + alt.size);
    entering = true;
  }
  const fpstate = roundDown(u64(top - BigInt(fpstateSize)), BigInt(FPSTATE_ALIGN));
  const frame = u64(roundDown(u64(fpstate - BigInt(RT_SIGFRAME_SIZE)), 16n) - 8n);
  const overflow = (nested || entering) && !insideAltStack(frame, alt);
  return { nested, entering, top, fpstate, frame, overflow };
}

/** access_ok: the range lies below TASK_SIZE (mapping is checked by the access itself). */
function accessOk(addr: bigint, size: number): boolean {
  return addr <= BigInt(TASK_SIZE) && BigInt(size) <= BigInt(TASK_SIZE) - addr;
}

/** The FXSAVE image of a freshly initialised FPU (init_fpstate): fninit's control word, default MXCSR, all else zero. */
export function initFxsaveImage(): Uint8Array {
  const image = new Uint8Array(FXSAVE_SIZE);
  const v = new DataView(image.buffer);
  v.setUint16(FX_FCW, FCW_DEFAULT, true);
  v.setUint32(FX_MXCSR, MXCSR_DEFAULT, true);
  return image;
}

/** fpu__clear_user_states: the handler (or a failed sigreturn) starts from the initial FPU state. */
export function resetFpu(ctx: SignalContext): void {
  if (!ctx.fxrstorImage(initFxsaveImage())) throw new Error('the CPU refused the initial FPU state (MXCSR 0x1f80)');
}

/**
 * The image copy_fpstate_to_sigframe leaves in the frame: FXSAVE's 512
 * bytes with struct _fpx_sw_bytes in sw_reserved (save_xstate_epilog does
 * this with FXSR even without XSAVE, since the 5.16 fpstate rework): magic1, extended_size =
 * 512 + FP_XSTATE_MAGIC2_SIZE, xfeatures = user_xfeatures (0: only XSAVE
 * setup fills it), xstate_size = 512, padding zero. Without UC_FP_XSTATE
 * and without magic2 after the image nothing reads it as XSAVE. (4.x
 * kernels wrote zeros here on CPUs without XSAVE.)
 */
export function sigframeFpuImage(fxsave: Uint8Array): Uint8Array {
  const image = new Uint8Array(FXSAVE_SIZE);
  image.set(fxsave.subarray(0, FX_SW_RESERVED));
  const v = new DataView(image.buffer);
  v.setUint32(FX_SW_RESERVED + 0, FP_XSTATE_MAGIC1, true);
  v.setUint32(FX_SW_RESERVED + 4, FXSAVE_SIZE + FP_XSTATE_MAGIC2_SIZE, true);
  v.setBigUint64(FX_SW_RESERVED + 8, 0n, true);
  v.setUint32(FX_SW_RESERVED + 16, FXSAVE_SIZE, true);
  return image;
}

/** The sigcontext fields in memory order with the register each saves (restore reads the same list). */
const SIGCONTEXT_GPRS: Array<[number, Reg]> = [
  [SC_R8, Reg.R8], [SC_R9, Reg.R9], [SC_R10, Reg.R10], [SC_R11, Reg.R11],
  [SC_R12, Reg.R12], [SC_R13, Reg.R13], [SC_R14, Reg.R14], [SC_R15, Reg.R15],
  [SC_RDI, Reg.RDI], [SC_RSI, Reg.RSI], [SC_RBP, Reg.RBP], [SC_RBX, Reg.RBX],
  [SC_RDX, Reg.RDX], [SC_RAX, Reg.RAX], [SC_RCX, Reg.RCX], [SC_RSP, Reg.RSP],
];

function le64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, u64(value), true);
  return b;
}

function le32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return b;
}

/** struct sigcontext without reserved1 (the kernel writes every field but that). */
function encodeSigcontext(ctx: CpuContext, fpstate: bigint, oldmask: bigint, trap: TrapInfo): Uint8Array {
  const sc = new Uint8Array(SC_RESERVED1);
  const v = new DataView(sc.buffer);
  const gpr = ctx.gpr;
  for (const [off, reg] of SIGCONTEXT_GPRS) v.setBigUint64(off, gpr[reg], true);
  v.setBigUint64(SC_RIP, u64(ctx.rip), true);
  v.setBigUint64(SC_EFLAGS, u64(ctx.rflags), true);
  v.setUint16(SC_CS, USER_CS, true);
  v.setUint16(SC_GS, 0, true);
  v.setUint16(SC_FS, 0, true);
  v.setUint16(SC_SS, USER_DS, true);
  v.setBigUint64(SC_ERR, u64(BigInt(trap.err)), true);
  v.setBigUint64(SC_TRAPNO, u64(BigInt(trap.trapno)), true);
  v.setBigUint64(SC_OLDMASK, u64(oldmask), true);
  v.setBigUint64(SC_CR2, u64(trap.cr2), true);
  v.setBigUint64(SC_FPSTATE, u64(fpstate), true);
  return sc;
}

const NO_TRAP: TrapInfo = { trapno: 0, err: 0, cr2: 0n };

/**
 * x64_setup_rt_frame plus handle_signal's register changes. On success
 * the registers are the handler's: rdi = sig, rsi = &frame->info, rdx =
 * &frame->uc, rax = 0, rsp = frame, rip = sa_handler, DF/RF/TF cleared, and
 * the FPU in its initial state (fpu__clear_user_states). On failure
 * nothing in the context has changed (memory may hold part of the frame);
 * the caller forces SIGSEGV (signal_setup_done -> force_sigsegv) and does
 * not apply the handler's mask.
 */
export function setupRtFrame(mem: UserMemory, ctx: SignalContext, req: RtFrameRequest): RtFrameResult {
  const { action, altStack } = req;
  // x86-64 should always use SA_RESTORER: there is no vsyscall stub to return through.
  if ((action.flags & SA_RESTORER) === 0n) return { ok: false, reason: 'the handler has no SA_RESTORER (x86-64 needs one)' };

  const rsp = ctx.gpr[Reg.RSP];
  const layout = sigframeLayout(rsp, action.flags, altStack);
  if (layout.overflow) {
    return { ok: false, reason: `overflowed sigaltstack: frame ${hexBig(layout.frame)} outside ${hexBig(altStack.sp)}+${hexBig(altStack.size)}` };
  }
  const fpstate = layout.fpstate;
  const frame = layout.frame;
  const trap = req.fault ?? NO_TRAP;

  try {
    // copy_fpstate_to_sigframe runs inside get_sigframe, before the frame itself.
    if (!accessOk(fpstate, FXSAVE_SIZE)) throw new UserFault(TASK_SIZE, 'write');
    mem.write(Number(fpstate), sigframeFpuImage(ctx.fxsaveImage()));

    if (!accessOk(frame, RT_SIGFRAME_SIZE)) throw new UserFault(TASK_SIZE, 'write');
    const f = Number(frame);
    const uc = f + RT_SIGFRAME_UC;
    mem.writeU64(uc + UC_FLAGS, BigInt(FRAME_UC_FLAGS));
    mem.writeU64(uc + UC_LINK, 0n);
    // unsafe_save_altstack: the task's stored sigaltstack settings, flags as set (not sas_ss_flags).
    mem.writeU64(uc + UC_STACK + SS_SP, altStack.sp);
    mem.write(uc + UC_STACK + SS_FLAGS, le32(altStack.flags));
    mem.writeU64(uc + UC_STACK + SS_SIZE, altStack.size);
    mem.writeU64(f + RT_SIGFRAME_PRETCODE, action.restorer);
    mem.write(uc + UC_MCONTEXT, encodeSigcontext(ctx, fpstate, req.blocked, trap));
    mem.writeU64(uc + UC_SIGMASK, req.blocked);
    if ((action.flags & SA_SIGINFO) !== 0n) mem.write(f + RT_SIGFRAME_INFO, encodeSigInfo(req.info));
  } catch (e) {
    if (e instanceof UserFault) return { ok: false, reason: `cannot write the signal frame: ${e.message}` };
    throw e;
  }

  const gpr = ctx.gpr;
  gpr[Reg.RDI] = BigInt(req.sig);
  gpr[Reg.RAX] = 0n;
  gpr[Reg.RSI] = frame + BigInt(RT_SIGFRAME_INFO);
  gpr[Reg.RDX] = frame + BigInt(RT_SIGFRAME_UC);
  gpr[Reg.RSP] = frame;
  ctx.rip = action.handler;
  ctx.rflags = ctx.rflags & ~HANDLER_CLEARED_EFLAGS;
  resetFpu(ctx);
  return { ok: true, frame: Number(frame), fpstate: Number(fpstate), disarmAltStack: (altStack.flags & SS_AUTODISARM) !== 0 };
}

/**
 * signal_delivered: the mask while the handler runs, the saved mask plus
 * sa_mask plus the signal itself unless SA_NODEFER (set_current_blocked
 * drops SIGKILL and SIGSTOP).
 */
export function blockedForHandler(blocked: bigint, sig: number, action: SigAction): bigint {
  let mask = blocked | action.mask;
  if ((action.flags & SA_NODEFER) === 0n) mask |= sigmaskBit(sig);
  return mask & ~UNBLOCKABLE;
}

export type RtSigreturnResult =
  | {
      ok: true;
      /** The new blocked set (uc_sigmask without SIGKILL/SIGSTOP). */
      blocked: bigint;
      /** The alternate stack to install (the current one when restore_altstack's do_sigaltstack refused). */
      altStack: AltStack;
      /** Why do_sigaltstack refused uc_stack (restore_altstack ignores it), if it did. */
      altStackRefused?: 'EPERM' | 'EINVAL' | 'ENOMEM';
    }
  | {
      ok: false;
      reason: string;
      /**
       * Set when the mask had already been applied (it is, before
       * restore_sigcontext): the caller installs it even though the frame
       * was bad. Registers may be partly restored and the FPU reset, as in
       * the kernel.
       */
      blocked?: bigint;
    };

/**
 * rt_sigreturn (arch/x86/kernel/signal_64.c): the frame is at rsp - 8
 * (the handler's `ret` popped pretcode). Restores every general register,
 * rip, the FIX_EFLAGS bits of rflags, the FPU (fxrstor from
 * sigcontext.fpstate, or the initial state when it is NULL) and returns
 * the mask and alternate stack for the caller to install.
 *
 * The system call returns the restored rax on success, so writing the
 * return value back leaves rax alone. On failure (a bad frame) it returns
 * 0 and the caller forces SIGSEGV (signal_fault). Pass the task's current
 * alternate stack as `current` for do_sigaltstack's rules (EPERM while the
 * restored rsp is on it); without it the task is taken to have none.
 * Not modelled: orig_ax = -1 / restart_block (syscall restarting) and cs/ss
 * (the CPU only runs 64-bit code; sigcontext cs/ss are ignored).
 */
export function restoreRtFrame(
  mem: UserMemory,
  ctx: SignalContext,
  current: AltStack = { sp: 0n, size: 0n, flags: SS_DISABLE },
): RtSigreturnResult {
  const frame = u64(ctx.gpr[Reg.RSP] - 8n);
  if (!accessOk(frame, RT_SIGFRAME_SIZE)) return { ok: false, reason: `bad frame in rt_sigreturn: ${hexBig(frame)} is not a user address` };
  const f = Number(frame);
  const uc = f + RT_SIGFRAME_UC;
  let blocked: bigint;
  try {
    blocked = mem.readU64(uc + UC_SIGMASK) & ~UNBLOCKABLE;
    mem.readU64(uc + UC_FLAGS); // read (UC_STRICT_RESTORE_SS only matters for 16/32-bit ss)
  } catch (e) {
    if (e instanceof UserFault) return { ok: false, reason: `bad frame in rt_sigreturn: ${e.message}` };
    throw e;
  }
  // set_current_blocked happens here, before restore_sigcontext can fail.

  let sc: DataView;
  try {
    sc = new DataView(mem.read(uc + UC_MCONTEXT, SC_RESERVED1).buffer);
  } catch (e) {
    if (e instanceof UserFault) return { ok: false, reason: `bad frame in rt_sigreturn: ${e.message}`, blocked };
    throw e;
  }
  const gpr = ctx.gpr;
  for (const [off, reg] of SIGCONTEXT_GPRS) gpr[reg] = sc.getBigUint64(off, true);
  ctx.rip = sc.getBigUint64(SC_RIP, true);
  ctx.rflags = (ctx.rflags & ~FIX_EFLAGS) | (sc.getBigUint64(SC_EFLAGS, true) & FIX_EFLAGS);

  const fpu = restoreFpu(mem, ctx, sc.getBigUint64(SC_FPSTATE, true));
  if (fpu !== null) return { ok: false, reason: `bad frame in rt_sigreturn: ${fpu}`, blocked };

  let uss: AltStack;
  try {
    const raw = new DataView(mem.read(uc + UC_STACK, STACK_T_SIZE).buffer);
    uss = { sp: raw.getBigUint64(SS_SP, true), flags: raw.getInt32(SS_FLAGS, true), size: raw.getBigUint64(SS_SIZE, true) };
  } catch (e) {
    if (e instanceof UserFault) return { ok: false, reason: `bad frame in rt_sigreturn: ${e.message}`, blocked };
    throw e;
  }
  const alt = restoreAltStack(current, uss, ctx.gpr[Reg.RSP]);
  return { ok: true, blocked, altStack: alt.altStack, ...(alt.refused ? { altStackRefused: alt.refused } : {}) };
}

/**
 * fpu__restore_sig for a 64-bit frame without XSAVE: NULL means "start
 * afresh" (fpu__clear_user_states); otherwise fxrstor straight from user
 * memory, where a fault, a misaligned buffer (#GP) or reserved MXCSR bits
 * (#GP) fail and leave the initial state. Returns null or why it failed.
 */
function restoreFpu(mem: UserMemory, ctx: SignalContext, buf: bigint): string | null {
  if (buf === 0n) {
    resetFpu(ctx);
    return null;
  }
  let reason: string | null = null;
  if (!accessOk(buf, FXSAVE_SIZE)) reason = `fpstate ${hexBig(buf)} is not a user address`;
  else if (buf % 16n !== 0n) reason = `fpstate ${hexBig(buf)} is not 16-byte aligned (fxrstor #GP)`;
  else {
    try {
      const image = mem.read(Number(buf), FXSAVE_SIZE);
      if (!ctx.fxrstorImage(image)) {
        const mxcsr = new DataView(image.buffer).getUint32(FX_MXCSR, true);
        reason = `reserved MXCSR bits in ${hexBig(BigInt(mxcsr))} (fxrstor #GP)`;
      }
    } catch (e) {
      if (!(e instanceof UserFault)) throw e;
      reason = `fpstate: ${e.message}`;
    }
  }
  if (reason !== null) resetFpu(ctx);
  return reason;
}

/**
 * restore_altstack -> do_sigaltstack(uc_stack, NULL, sp) (kernel/signal.c),
 * whose errors restore_altstack ignores: EPERM while sp is on the current
 * alternate stack, EINVAL for a bad mode, ENOMEM below MINSIGSTKSZ. The
 * flags are stored as given, like t->sas_ss_flags.
 */
export function restoreAltStack(
  current: AltStack,
  uss: AltStack,
  sp: bigint,
): { altStack: AltStack; refused?: 'EPERM' | 'EINVAL' | 'ENOMEM' } {
  if (onSigStack(sp, current)) return { altStack: current, refused: 'EPERM' };
  const mode = uss.flags & ~SS_AUTODISARM;
  if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return { altStack: current, refused: 'EINVAL' };
  if (mode === SS_DISABLE) return { altStack: { sp: 0n, size: 0n, flags: uss.flags } };
  if (uss.size < MINSIGSTKSZ) return { altStack: current, refused: 'ENOMEM' };
  return { altStack: { sp: uss.sp, size: uss.size, flags: uss.flags } };
}

function hexBig(v: bigint): string {
  return `0x${u64(v).toString(16)}`;
}

