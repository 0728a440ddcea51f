import { beforeAll, describe, expect, it } from 'vitest';
import { PROT_READ, PROT_WRITE, Reg } from '../../emulator/api.js';
import {
  blockedForHandler, FCW_DEFAULT, FIX_EFLAGS, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2_SIZE, FRAME_UC_FLAGS, FX_FCW, FX_MXCSR,
  FX_SW_RESERVED, FX_XMM, FXSAVE_SIZE, HANDLER_CLEARED_EFLAGS, initFxsaveImage, MXCSR_DEFAULT, RED_ZONE, restoreAltStack,
  restoreRtFrame, RT_SIGFRAME_INFO, RT_SIGFRAME_PRETCODE, RT_SIGFRAME_SIZE, RT_SIGFRAME_UC, SA_NODEFER, SA_ONSTACK, SA_SIGINFO,
  SC_CR2, SC_CS, SC_EFLAGS, SC_ERR, SC_FPSTATE, SC_FS, SC_GS, SC_OLDMASK, SC_R8, SC_R9, SC_R10, SC_R11, SC_R12, SC_R13, SC_R14,
  SC_R15, SC_RAX, SC_RBP, SC_RBX, SC_RCX, SC_RDI, SC_RDX, SC_RESERVED1, SC_RIP, SC_RSI, SC_RSP, SC_SS, SC_TRAPNO, setupRtFrame,
  sigframeLayout, SIGCONTEXT_SIZE, type SignalContext, SS_FLAGS, SS_SIZE, SS_SP, UC_FLAGS, UC_FP_XSTATE, UC_LINK, UC_MCONTEXT,
  UC_SIGMASK, UC_STACK, UCONTEXT_SIZE, USER_CS, USER_DS, X86_EFLAGS_AC, X86_EFLAGS_CF, X86_EFLAGS_DF, X86_EFLAGS_RF,
  X86_EFLAGS_TF, X86_EFLAGS_ZF, X86_PF_INSTR, X86_PF_USER, X86_PF_WRITE, X86_TRAP_PF,
} from '../../kernel-model/signal-frame.js';
import { decodeSigInfo, encodeSigInfo, faultSigInfo, SEGV_MAPERR, SI_TKILL, type SigInfo } from '../../kernel-model/siginfo.js';
import { SA_RESTORER, SIGHUP, SIGKILL, SIGQUIT, SIGSEGV, SIGSTOP, SIGUSR1, SIGUSR2, sigmaskBit, type SigAction } from '../../kernel-model/signals.js';
import { SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, type AltStack } from '../../kernel-model/task.js';
import { UserMemory } from '../../kernel-model/user-memory.js';
import { FakeCpu } from './fake-cpu.js';
import { runSigframeFixture, type NativeCase, type NativeRun } from './sigframe-native.js';

/** A register file with an FXSAVE image; fxrstor refuses MXCSR bits outside 0xffbf (a CPU without DAZ). */
class FakeFpuContext implements SignalContext {
  readonly gpr = new BigUint64Array(16);
  rip = 0n;
  rflags = 0x202n;
  fsBase = 0n;
  gsBase = 0n;
  readonly xmm = new Uint8Array(256);
  mxcsr = MXCSR_DEFAULT;
  readonly retired = 0n;
  image = initFxsaveImage();

  fxsaveImage(): Uint8Array {
    const img = this.image.slice();
    img.fill(0, FX_SW_RESERVED); // FXSAVE does not store these bytes
    return img;
  }

  fxrstorImage(image: Uint8Array): boolean {
    const mxcsr = new DataView(image.buffer, image.byteOffset).getUint32(FX_MXCSR, true);
    if ((mxcsr & ~0xffbf) !== 0) return false;
    this.image = image.slice();
    return true;
  }

  snapshot() {
    return { gpr: [...this.gpr], rip: this.rip, rflags: this.rflags, image: this.image.slice() };
  }
}

const STACK = 0x10000000;
const STACK_LEN = 0x10000;
const ALT = 0x20000000;
const ALT_LEN = 0x4000;
const FILL = 0xaa;
const RW = PROT_READ | PROT_WRITE;
const NO_ALT: AltStack = { sp: 0n, size: 0n, flags: SS_DISABLE };
const HANDLER = 0x401000n;
const RESTORER = 0x401f00n;

function setup(): { cpu: FakeCpu; mem: UserMemory; ctx: FakeFpuContext } {
  const cpu = new FakeCpu();
  cpu.map(STACK, STACK_LEN, RW);
  cpu.write(STACK, new Uint8Array(STACK_LEN).fill(FILL));
  cpu.map(ALT, ALT_LEN, RW);
  cpu.write(ALT, new Uint8Array(ALT_LEN).fill(FILL));
  const ctx = new FakeFpuContext();
  for (let r = 0; r < 16; r++) ctx.gpr[r] = 0x1111111111111111n * BigInt(r + 1);
  ctx.gpr[Reg.RSP] = BigInt(STACK + 0xf000 - 0x123);
  ctx.rip = 0x401234n;
  ctx.rflags = 0x202n | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_RF | X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_AC;
  const img = new DataView(ctx.image.buffer);
  img.setUint16(FX_FCW, 0x27f, true);
  img.setUint32(FX_MXCSR, 0x3fa0, true);
  for (let i = 0; i < 256; i++) ctx.image[FX_XMM + i] = i;
  return { cpu, mem: new UserMemory(cpu), ctx };
}

function action(flags: bigint, mask = 0n): SigAction {
  return { handler: HANDLER, flags: flags | SA_RESTORER, restorer: RESTORER, mask };
}

const tkill: SigInfo = { signo: SIGUSR1, errno: 0, code: SI_TKILL, kind: 'rt', pid: 100, uid: 1000, value: 0n };

const u64At = (cpu: FakeCpu, a: number) => cpu.readU64(a);
const u32At = (cpu: FakeCpu, a: number) => cpu.readU32(a);
const u16At = (cpu: FakeCpu, a: number) => new DataView(cpu.read(a, 2).buffer).getUint16(0, true);
const roundDown = (v: number, a: number) => v - (v % a);

describe('struct sizes and offsets', () => {
  it('follow the kernel structs', () => {
    expect(SIGCONTEXT_SIZE).toBe(256);
    expect(UC_MCONTEXT + SIGCONTEXT_SIZE).toBe(UC_SIGMASK);
    expect(UC_SIGMASK + 8).toBe(UCONTEXT_SIZE);
    expect(RT_SIGFRAME_INFO).toBe(8 + UCONTEXT_SIZE);
    expect(RT_SIGFRAME_INFO + 128).toBe(RT_SIGFRAME_SIZE);
    expect(FIX_EFLAGS).toBe(0x50dd5n);
    expect(FRAME_UC_FLAGS).toBe(6);
  });
});

describe('setupRtFrame', () => {
  it('lays the frame out as get_sigframe does and fills every field', () => {
    const { cpu, mem, ctx } = setup();
    const before = ctx.snapshot();
    const rsp = Number(ctx.gpr[Reg.RSP]);
    const r = setupRtFrame(mem, ctx, {
      sig: SIGUSR1, info: tkill, action: action(SA_SIGINFO), blocked: sigmaskBit(SIGQUIT), altStack: NO_ALT,
    });
    if (!r.ok) throw new Error(r.reason);
    const fpstate = roundDown(rsp - RED_ZONE - FXSAVE_SIZE, 64);
    const frame = roundDown(fpstate - RT_SIGFRAME_SIZE, 16) - 8;
    expect(r.fpstate).toBe(fpstate);
    expect(r.frame).toBe(frame);
    expect(frame % 16).toBe(8);
    expect(r.disarmAltStack).toBe(false);

    const uc = frame + RT_SIGFRAME_UC;
    const sc = uc + UC_MCONTEXT;
    expect(u64At(cpu, frame + RT_SIGFRAME_PRETCODE)).toBe(RESTORER);
    expect(u64At(cpu, uc + UC_FLAGS)).toBe(6n);
    expect(u64At(cpu, uc + UC_LINK)).toBe(0n);
    expect(u64At(cpu, uc + UC_STACK + SS_SP)).toBe(0n);
    expect(u32At(cpu, uc + UC_STACK + SS_FLAGS)).toBe(SS_DISABLE);
    expect(u32At(cpu, uc + UC_STACK + SS_FLAGS + 4)).toBe(0xaaaaaaaa); // padding: not written
    expect(u64At(cpu, uc + UC_STACK + SS_SIZE)).toBe(0n);
    const saved: Array<[number, Reg]> = [
      [SC_R8, Reg.R8], [SC_R9, Reg.R9], [SC_R10, Reg.R10], [SC_R11, Reg.R11], [SC_R12, Reg.R12], [SC_R13, Reg.R13],
      [SC_R14, Reg.R14], [SC_R15, Reg.R15], [SC_RDI, Reg.RDI], [SC_RSI, Reg.RSI], [SC_RBP, Reg.RBP], [SC_RBX, Reg.RBX],
      [SC_RDX, Reg.RDX], [SC_RAX, Reg.RAX], [SC_RCX, Reg.RCX], [SC_RSP, Reg.RSP],
    ];
    for (const [off, reg] of saved) expect(u64At(cpu, sc + off)).toBe(before.gpr[reg]);
    expect(u64At(cpu, sc + SC_RIP)).toBe(before.rip);
    expect(u64At(cpu, sc + SC_EFLAGS)).toBe(before.rflags);
    expect([u16At(cpu, sc + SC_CS), u16At(cpu, sc + SC_GS), u16At(cpu, sc + SC_FS), u16At(cpu, sc + SC_SS)]).toEqual([USER_CS, 0, 0, USER_DS]);
    expect([u64At(cpu, sc + SC_ERR), u64At(cpu, sc + SC_TRAPNO), u64At(cpu, sc + SC_CR2)]).toEqual([0n, 0n, 0n]);
    expect(u64At(cpu, sc + SC_OLDMASK)).toBe(sigmaskBit(SIGQUIT));
    expect(u64At(cpu, sc + SC_FPSTATE)).toBe(BigInt(fpstate));
    expect(cpu.read(sc + SC_RESERVED1, 64).every((b) => b === FILL)).toBe(true); // reserved1: not written
    expect(u64At(cpu, uc + UC_SIGMASK)).toBe(sigmaskBit(SIGQUIT));
    expect(cpu.read(frame + RT_SIGFRAME_INFO, 128)).toEqual(encodeSigInfo(tkill));

    // The FPU area: FXSAVE's image plus _fpx_sw_bytes (no XSAVE: extended_size 516, xfeatures 0, xstate_size 512).
    const fp = cpu.read(fpstate, FXSAVE_SIZE);
    expect(fp.subarray(0, FX_SW_RESERVED)).toEqual(before.image.subarray(0, FX_SW_RESERVED));
    const sw = new DataView(fp.buffer, FX_SW_RESERVED);
    expect(sw.getUint32(0, true)).toBe(FP_XSTATE_MAGIC1);
    expect(sw.getUint32(4, true)).toBe(FXSAVE_SIZE + FP_XSTATE_MAGIC2_SIZE);
    expect(sw.getBigUint64(8, true)).toBe(0n);
    expect(sw.getUint32(16, true)).toBe(FXSAVE_SIZE);
    expect(fp.subarray(FX_SW_RESERVED + 20).every((b) => b === 0)).toBe(true);
    // Nothing between the frame and the FPU area, nor below the red zone's end, was touched.
    expect(cpu.read(frame + RT_SIGFRAME_SIZE, fpstate - frame - RT_SIGFRAME_SIZE).every((b) => b === FILL)).toBe(true);
    expect(cpu.read(fpstate + FXSAVE_SIZE, rsp - fpstate - FXSAVE_SIZE).every((b) => b === FILL)).toBe(true);

    // The handler's registers.
    expect(ctx.gpr[Reg.RDI]).toBe(BigInt(SIGUSR1));
    expect(ctx.gpr[Reg.RSI]).toBe(BigInt(frame + RT_SIGFRAME_INFO));
    expect(ctx.gpr[Reg.RDX]).toBe(BigInt(uc));
    expect(ctx.gpr[Reg.RAX]).toBe(0n);
    expect(ctx.gpr[Reg.RSP]).toBe(BigInt(frame));
    expect(ctx.rip).toBe(HANDLER);
    expect(ctx.rflags).toBe(before.rflags & ~HANDLER_CLEARED_EFLAGS);
    expect(ctx.rflags & X86_EFLAGS_AC).toBe(X86_EFLAGS_AC); // only DF, TF and RF are cleared
    for (const r of [Reg.RBX, Reg.RCX, Reg.RBP, Reg.R8, Reg.R15]) expect(ctx.gpr[r]).toBe(before.gpr[r]);
    expect(ctx.image).toEqual(initFxsaveImage()); // fpu__clear_user_states
  });

  it('writes siginfo only for SA_SIGINFO handlers, but rsi points at its place anyway', () => {
    const { cpu, mem, ctx } = setup();
    const r = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(0n), blocked: 0n, altStack: NO_ALT });
    if (!r.ok) throw new Error(r.reason);
    expect(cpu.read(r.frame + RT_SIGFRAME_INFO, 128).every((b) => b === FILL)).toBe(true);
    expect(ctx.gpr[Reg.RSI]).toBe(BigInt(r.frame + RT_SIGFRAME_INFO));
  });

  it('saves the thread trap fields (trapno, error code, cr2)', () => {
    const { cpu, mem, ctx } = setup();
    const fault = { trapno: X86_TRAP_PF, err: X86_PF_USER | X86_PF_WRITE, cr2: 0x10n };
    const r = setupRtFrame(mem, ctx, {
      sig: SIGSEGV, info: faultSigInfo(SIGSEGV, SEGV_MAPERR, 0x10n), action: action(SA_SIGINFO), blocked: 0n, altStack: NO_ALT, fault,
    });
    if (!r.ok) throw new Error(r.reason);
    const sc = r.frame + RT_SIGFRAME_UC + UC_MCONTEXT;
    expect([u64At(cpu, sc + SC_TRAPNO), u64At(cpu, sc + SC_ERR), u64At(cpu, sc + SC_CR2)]).toEqual([14n, 6n, 0x10n]);
    expect(decodeSigInfo(cpu.read(r.frame + RT_SIGFRAME_INFO, 128))).toEqual(faultSigInfo(SIGSEGV, SEGV_MAPERR, 0x10n));
  });

  it('refuses a handler without SA_RESTORER and changes nothing', () => {
    const { mem, ctx } = setup();
    const before = ctx.snapshot();
    const r = setupRtFrame(mem, ctx, {
      sig: SIGUSR1, info: tkill, action: { handler: HANDLER, flags: SA_SIGINFO, restorer: 0n, mask: 0n }, blocked: 0n, altStack: NO_ALT,
    });
    expect(r.ok).toBe(false);
    expect(ctx.snapshot()).toEqual(before);
  });

  it('enters the alternate stack for SA_ONSTACK: no red zone, frame below ss_sp + ss_size', () => {
    const { cpu, mem, ctx } = setup();
    const alt: AltStack = { sp: BigInt(ALT), size: BigInt(ALT_LEN), flags: 0 };
    const r = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(SA_SIGINFO | SA_ONSTACK), blocked: 0n, altStack: alt });
    if (!r.ok) throw new Error(r.reason);
    expect(r.fpstate).toBe(roundDown(ALT + ALT_LEN - FXSAVE_SIZE, 64));
    expect(r.frame).toBe(roundDown(r.fpstate - RT_SIGFRAME_SIZE, 16) - 8);
    const uc = r.frame + RT_SIGFRAME_UC;
    expect([u64At(cpu, uc + UC_STACK + SS_SP), u32At(cpu, uc + UC_STACK + SS_FLAGS), u64At(cpu, uc + UC_STACK + SS_SIZE)])
      .toEqual([BigInt(ALT), 0, BigInt(ALT_LEN)]);
    expect(r.disarmAltStack).toBe(false);
  });

  it('stays on the normal stack without SA_ONSTACK, and on the alternate stack when already there', () => {
    const alt: AltStack = { sp: BigInt(ALT), size: BigInt(ALT_LEN), flags: 0 };
    const plain = sigframeLayout(BigInt(STACK + 0x8000), SA_RESTORER, alt);
    expect(plain.entering || plain.nested).toBe(false);
    expect(plain.top).toBe(BigInt(STACK + 0x8000 - RED_ZONE));

    const rsp = BigInt(ALT + 0x3000);
    const nested = sigframeLayout(rsp, SA_ONSTACK, alt);
    expect(nested).toMatchObject({ nested: true, entering: false, overflow: false, top: rsp - BigInt(RED_ZONE) });
    expect(sigframeLayout(rsp, 0n, alt)).toMatchObject({ nested: true, entering: false, top: rsp - BigInt(RED_ZONE) });

    // No alternate stack: SA_ONSTACK changes nothing.
    expect(sigframeLayout(BigInt(STACK + 0x8000), SA_ONSTACK, NO_ALT)).toEqual(plain);
    // The edges of on_sig_stack: (ss_sp, ss_sp + ss_size].
    expect(sigframeLayout(BigInt(ALT + ALT_LEN), 0n, alt).nested).toBe(true);
    expect(sigframeLayout(BigInt(ALT), 0n, alt).nested).toBe(false);
  });

  it('with SS_AUTODISARM: always enters, records the armed stack and asks the caller to disarm it', () => {
    const { cpu, mem, ctx } = setup();
    const alt: AltStack = { sp: BigInt(ALT), size: BigInt(ALT_LEN), flags: SS_AUTODISARM };
    ctx.gpr[Reg.RSP] = BigInt(ALT + 0x3000); // even from inside it: on_sig_stack ignores autodisarm stacks
    const r = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(SA_ONSTACK), blocked: 0n, altStack: alt });
    if (!r.ok) throw new Error(r.reason);
    expect(r.fpstate).toBe(roundDown(ALT + ALT_LEN - FXSAVE_SIZE, 64));
    expect(r.disarmAltStack).toBe(true);
    expect(u32At(cpu, r.frame + RT_SIGFRAME_UC + UC_STACK + SS_FLAGS)).toBe(0x80000000);
  });

  it('fails when the frame would overflow the alternate stack, writing nothing', () => {
    const { cpu, mem, ctx } = setup();
    const alt: AltStack = { sp: BigInt(ALT), size: BigInt(ALT_LEN), flags: 0 };
    ctx.gpr[Reg.RSP] = BigInt(ALT + 0x300); // nested, near the bottom
    const before = ctx.snapshot();
    const r = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(SA_ONSTACK), blocked: 0n, altStack: alt });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/overflowed sigaltstack/) });
    expect(ctx.snapshot()).toEqual(before);
    expect(cpu.read(ALT, ALT_LEN).every((b) => b === FILL)).toBe(true);

    // Entering an alternate stack too small for the frame.
    const small: AltStack = { sp: BigInt(ALT), size: 900n, flags: 0 }; // 512 + 440 bytes do not fit
    ctx.gpr[Reg.RSP] = BigInt(STACK + 0x8000);
    expect(setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(SA_ONSTACK), blocked: 0n, altStack: small }).ok).toBe(false);
    // Without SA_ONSTACK from outside it, the alternate stack plays no part.
    expect(setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(0n), blocked: 0n, altStack: small }).ok).toBe(true);
  });

  it('fails on a write fault, leaving the registers alone', () => {
    const { cpu, mem, ctx } = setup();
    cpu.protect(STACK, STACK_LEN, PROT_READ);
    const before = ctx.snapshot();
    const r = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(SA_SIGINFO), blocked: 0n, altStack: NO_ALT });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot write the signal frame/) });
    expect(ctx.snapshot()).toEqual(before);

    // The FPU area fits on the mapped page, the frame below it does not: the image is written first, as the kernel does.
    cpu.protect(STACK, STACK_LEN, RW);
    cpu.unmap(STACK, 0x1000);
    ctx.gpr[Reg.RSP] = BigInt(STACK + 0x1000 + RED_ZONE + FXSAVE_SIZE + 64);
    const r2 = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(0n), blocked: 0n, altStack: NO_ALT });
    expect(r2.ok).toBe(false);
    expect(u32At(cpu, STACK + 0x1000 + FX_SW_RESERVED + 64)).toBe(FP_XSTATE_MAGIC1);
  });

  it('fails for a stack pointer near zero (the frame would wrap below address 0)', () => {
    const { mem, ctx } = setup();
    ctx.gpr[Reg.RSP] = 0x100n;
    expect(setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(0n), blocked: 0n, altStack: NO_ALT }).ok).toBe(false);
  });
});

describe('restoreRtFrame', () => {
  /** Delivers, lets a "handler" scribble over everything, then returns through pretcode. */
  function deliverAndReturn(flags = SA_SIGINFO, blocked = sigmaskBit(SIGQUIT), altStack = NO_ALT) {
    const env = setup();
    const { mem, ctx } = env;
    const before = ctx.snapshot();
    const r = setupRtFrame(mem, ctx, { sig: SIGUSR1, info: tkill, action: action(flags), blocked, altStack });
    if (!r.ok) throw new Error(r.reason);
    for (let i = 0; i < 16; i++) ctx.gpr[i] = 0xdeadn + BigInt(i);
    ctx.rflags = 0x246n | 0x200000n; // the handler toggled ID (not in FIX_EFLAGS)
    ctx.fxrstorImage(new Uint8Array(FXSAVE_SIZE));
    ctx.gpr[Reg.RSP] = BigInt(r.frame + 8); // the handler's ret popped pretcode
    ctx.rip = RESTORER;
    return { ...env, before, frame: r.frame, fpstate: r.fpstate };
  }

  it('gives back every register, the FIX_EFLAGS flags, the mask and the FPU image', () => {
    const { mem, ctx, before } = deliverAndReturn();
    const r = restoreRtFrame(mem, ctx);
    expect(r).toEqual({ ok: true, blocked: sigmaskBit(SIGQUIT), altStack: NO_ALT });
    expect([...ctx.gpr]).toEqual(before.gpr);
    expect(ctx.rip).toBe(before.rip);
    expect(ctx.rflags).toBe((before.rflags & FIX_EFLAGS) | ((0x246n | 0x200000n) & ~FIX_EFLAGS));
    expect(ctx.rflags & 0x200000n).toBe(0x200000n); // ID stays as the handler left it
    expect(ctx.image.subarray(0, FX_SW_RESERVED)).toEqual(before.image.subarray(0, FX_SW_RESERVED));
  });

  it('never unblocks SIGKILL or SIGSTOP and takes the mask the handler may have edited', () => {
    const { cpu, mem, ctx, frame } = deliverAndReturn();
    cpu.writeU64(frame + RT_SIGFRAME_UC + UC_SIGMASK, sigmaskBit(SIGKILL) | sigmaskBit(SIGSTOP) | sigmaskBit(SIGUSR2));
    expect(restoreRtFrame(mem, ctx)).toMatchObject({ ok: true, blocked: sigmaskBit(SIGUSR2) });
  });

  it('a NULL fpstate means the initial FPU state', () => {
    const { cpu, mem, ctx, frame } = deliverAndReturn();
    cpu.writeU64(frame + RT_SIGFRAME_UC + UC_MCONTEXT + SC_FPSTATE, 0n);
    expect(restoreRtFrame(mem, ctx).ok).toBe(true);
    expect(ctx.image).toEqual(initFxsaveImage());
    const v = new DataView(ctx.image.buffer);
    expect([v.getUint16(FX_FCW, true), v.getUint32(FX_MXCSR, true)]).toEqual([FCW_DEFAULT, MXCSR_DEFAULT]);
  });

  it('reserved MXCSR bits fail (SIGSEGV) after the mask and registers were restored, with the FPU reset', () => {
    const { cpu, mem, ctx, before, fpstate } = deliverAndReturn();
    cpu.writeU32(fpstate + FX_MXCSR, 0x10000 | MXCSR_DEFAULT);
    const r = restoreRtFrame(mem, ctx);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/MXCSR/), blocked: sigmaskBit(SIGQUIT) });
    expect([...ctx.gpr]).toEqual(before.gpr);
    expect(ctx.image).toEqual(initFxsaveImage());
  });

  it('a misaligned or unmapped fpstate fails', () => {
    for (const bad of [8n, 0x30000000n]) {
      const { cpu, mem, ctx, frame, fpstate } = deliverAndReturn();
      cpu.writeU64(frame + RT_SIGFRAME_UC + UC_MCONTEXT + SC_FPSTATE, bad === 8n ? BigInt(fpstate) + 8n : bad);
      expect(restoreRtFrame(mem, ctx)).toMatchObject({ ok: false, blocked: sigmaskBit(SIGQUIT) });
      expect(ctx.image).toEqual(initFxsaveImage());
    }
  });

  it('a frame that cannot be read fails before anything changes', () => {
    const { mem, ctx } = setup();
    ctx.gpr[Reg.RSP] = 0x30000000n;
    const before = ctx.snapshot();
    const r = restoreRtFrame(mem, ctx);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/bad frame/) });
    expect('blocked' in r).toBe(false);
    expect(ctx.snapshot()).toEqual(before);
  });

  it('restores the alternate stack from uc_stack, re-arming an SS_AUTODISARM stack', () => {
    const alt: AltStack = { sp: BigInt(ALT), size: BigInt(ALT_LEN), flags: SS_AUTODISARM };
    const { mem, ctx } = deliverAndReturn(SA_ONSTACK, 0n, alt);
    expect(restoreRtFrame(mem, ctx, NO_ALT)).toMatchObject({ ok: true, altStack: alt });
  });

  it('applies do_sigaltstack rules, whose errors restore_altstack ignores', () => {
    const alt: AltStack = { sp: BigInt(ALT), size: BigInt(ALT_LEN), flags: 0 };
    const other: AltStack = { sp: 0x50000000n, size: 0x10000n, flags: 0 };
    // EPERM: the restored rsp is on the current alternate stack.
    expect(restoreAltStack(alt, other, BigInt(ALT + 0x100))).toEqual({ altStack: alt, refused: 'EPERM' });
    expect(restoreAltStack(alt, other, BigInt(STACK))).toEqual({ altStack: other });
    expect(restoreAltStack(alt, { ...other, flags: 7 }, BigInt(STACK))).toEqual({ altStack: alt, refused: 'EINVAL' });
    expect(restoreAltStack(alt, { ...other, size: 100n }, BigInt(STACK))).toEqual({ altStack: alt, refused: 'ENOMEM' });
    expect(restoreAltStack(alt, { sp: 5n, size: 7n, flags: SS_DISABLE }, BigInt(STACK))).toEqual({ altStack: NO_ALT });
    expect(restoreAltStack(NO_ALT, { ...other, flags: SS_ONSTACK }, BigInt(STACK))).toEqual({ altStack: { ...other, flags: SS_ONSTACK } });
  });
});

describe('blockedForHandler', () => {
  it('adds sa_mask and the signal unless SA_NODEFER, never SIGKILL/SIGSTOP', () => {
    const mask = sigmaskBit(SIGHUP) | sigmaskBit(SIGKILL);
    expect(blockedForHandler(sigmaskBit(SIGQUIT), SIGUSR1, action(0n, mask))).toBe(sigmaskBit(SIGQUIT) | sigmaskBit(SIGHUP) | sigmaskBit(SIGUSR1));
    expect(blockedForHandler(0n, SIGUSR1, action(SA_NODEFER, mask))).toBe(sigmaskBit(SIGHUP));
  });
});

// Ground truth: the same frames delivered by the host kernel (Linux 6.x on an
// XSAVE CPU). What differs because the host has XSAVE and we do not:
//  - uc_flags has UC_FP_XSTATE (1) on the host: 7 there, 6 for us;
//  - the FPU area is the XSAVE image (sw_reserved.xstate_size bytes plus
//    FP_XSTATE_MAGIC2 after it, extended_size in all) instead of 512 bytes,
//    so every address below it (fpstate, frame) moves; get_sigframe's
//    arithmetic is the same, which sigframeLayout checks with the host's size;
//  - sw_reserved holds the host's XSAVE sizes and features, ours 516 / 0 / 512.
// Everything else (offsets inside the frame, registers at entry, saved
// registers and flags, cs/ss, trap fields, masks, uc_stack, siginfo, the
// FXSAVE part of the image, the initial FPU state in the handler) must match.
describe('against the host kernel', () => {
  let run: NativeRun;
  beforeAll(() => {
    run = runSigframeFixture();
  }, 60_000);

  const c = (name: string): NativeCase => {
    const found = run.cases.get(name);
    if (!found) throw new Error(`the fixture printed no case ${name}`);
    return found;
  };
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sc = (k: NativeCase, off: number) => view(k.frameBytes).getBigUint64(RT_SIGFRAME_UC + UC_MCONTEXT + off, true);
  const ucStack = (k: NativeCase): AltStack => {
    const v = view(k.frameBytes);
    return {
      sp: v.getBigUint64(RT_SIGFRAME_UC + UC_STACK + SS_SP, true),
      flags: v.getInt32(RT_SIGFRAME_UC + UC_STACK + SS_FLAGS, true),
      size: v.getBigUint64(RT_SIGFRAME_UC + UC_STACK + SS_SIZE, true),
    };
  };
  const extendedSize = (k: NativeCase) => view(k.fpBytes).getUint32(FX_SW_RESERVED + 4, true);
  const allCases = () => [...run.cases.values()];
  const SA_FLAGS: Record<string, bigint> = { altstack: SA_ONSTACK, altstack_nested: SA_ONSTACK, autodisarm: SA_ONSTACK };

  it('puts uc at frame + 8, siginfo at frame + 8 + sizeof(ucontext), and the handler arguments in rdi/rsi/rdx', () => {
    for (const k of allCases()) {
      const { frame, uc, info } = k.n;
      expect(uc - frame, k.name).toBe(BigInt(RT_SIGFRAME_UC));
      expect(info - frame, k.name).toBe(BigInt(RT_SIGFRAME_INFO));
      expect(frame % 16n, k.name).toBe(8n);
      expect(k.n.entry_rsp, k.name).toBe(frame);
      expect(k.n.entry_rdi, k.name).toBe(k.n.sig);
      expect(k.n.entry_rsi, k.name).toBe(info);
      expect(k.n.entry_rdx, k.name).toBe(uc);
      expect(k.n.entry_rax, k.name).toBe(0n);
      expect(view(k.frameBytes).getBigUint64(RT_SIGFRAME_PRETCODE, true), k.name).toBe(run.top.restorer);
    }
  });

  it('agrees on uc_flags apart from UC_FP_XSTATE, on cs/ss, and on fpstate pointing 64-aligned into the frame', () => {
    for (const k of allCases()) {
      const ucFlags = Number(view(k.frameBytes).getBigUint64(RT_SIGFRAME_UC + UC_FLAGS, true));
      expect(ucFlags & UC_FP_XSTATE, k.name).toBe(UC_FP_XSTATE); // the host has XSAVE
      expect(ucFlags & ~UC_FP_XSTATE, k.name).toBe(FRAME_UC_FLAGS);
      expect(view(k.frameBytes).getBigUint64(RT_SIGFRAME_UC + UC_LINK, true)).toBe(0n);
      const segs = view(k.frameBytes);
      const base = RT_SIGFRAME_UC + UC_MCONTEXT;
      expect([SC_CS, SC_GS, SC_FS, SC_SS].map((o) => segs.getUint16(base + o, true)), k.name).toEqual([USER_CS, 0, 0, USER_DS]);
      expect(sc(k, SC_FPSTATE), k.name).toBe(k.n.fpregs);
      expect(k.n.fpregs % 64n, k.name).toBe(0n);
      // The XSAVE sw bytes: magic1, and magic2 right after xstate_size bytes.
      expect(view(k.fpBytes).getUint32(FX_SW_RESERVED, true)).toBe(FP_XSTATE_MAGIC1);
      expect(extendedSize(k) - view(k.fpBytes).getUint32(FX_SW_RESERVED + 16, true)).toBe(FP_XSTATE_MAGIC2_SIZE);
      expect(k.n.magic2).toBe(0x46505845n);
    }
  });

  it('places fpstate and the frame as sigframeLayout computes with the host FPU size', () => {
    for (const k of allCases()) {
      const layout = sigframeLayout(sc(k, SC_RSP), SA_FLAGS[k.name] ?? 0n, ucStack(k), extendedSize(k));
      expect(layout.fpstate, k.name).toBe(k.n.fpregs);
      expect(layout.frame, k.name).toBe(k.n.frame);
      expect(layout.overflow, k.name).toBe(false);
    }
    // The alternate stack cases really were on it: entered from the main stack, then nested.
    expect(sigframeLayout(sc(c('altstack'), SC_RSP), SA_ONSTACK, ucStack(c('altstack')), 0).entering).toBe(true);
    expect(sigframeLayout(sc(c('altstack_nested'), SC_RSP), SA_ONSTACK, ucStack(c('altstack_nested')), 0).nested).toBe(true);
  });

  it('saves the interrupted registers, flags (DF set across the syscall) and FXSAVE image; the handler starts with DF clear and a fresh FPU', () => {
    const k = c('tgkill');
    expect(sc(k, SC_RIP)).toBe(run.top.pattern_resume);
    expect(sc(k, SC_RSP)).toBe(run.top['tgkill.pattern_rsp']);
    expect(sc(k, SC_RAX)).toBe(0n); // tgkill's return value
    expect(sc(k, SC_RCX)).toBe(run.top.pattern_resume); // what syscall put there
    expect(sc(k, SC_R11)).toBe(sc(k, SC_EFLAGS));
    expect([SC_R8, SC_R9, SC_R10, SC_R12, SC_R13, SC_R14, SC_R15, SC_RBX, SC_RBP].map((o) => sc(k, o))).toEqual([
      0x0808080808080808n, 0x0909090909090909n, 0x1010101010101010n, 0x1212121212121212n, 0x1313131313131313n,
      0x1414141414141414n, 0x1515151515151515n, 0xb0b0b0b0b0b0b0b0n, 0xb9b9b9b9b9b9b9b9n,
    ]);
    expect([sc(k, SC_RDI), sc(k, SC_RSI), sc(k, SC_RDX)]).toEqual([run.top.pid, run.top.pid, BigInt(SIGUSR1)]);
    expect(sc(k, SC_EFLAGS) & X86_EFLAGS_DF).toBe(X86_EFLAGS_DF);
    expect(k.n.entry_rflags).toBe(sc(k, SC_EFLAGS) & ~HANDLER_CLEARED_EFLAGS);
    const fp = view(k.fpBytes);
    expect(fp.getUint16(FX_FCW, true)).toBe(0x27f);
    expect(fp.getUint32(FX_MXCSR, true)).toBe(0x3fa0);
    expect(fp.getBigUint64(FX_XMM, true)).toBe(0x0808080808080808n);
    expect(fp.getBigUint64(FX_XMM + 15 * 16, true)).toBe(0x0909090909090909n);
    expect([run.top['tgkill.got_mxcsr'], run.top['tgkill.got_fcw']]).toEqual([0x3fa0n, 0x27fn]); // restored by rt_sigreturn
    for (const x of allCases()) {
      expect([x.n.live_mxcsr, x.n.live_fcw], x.name).toEqual([BigInt(MXCSR_DEFAULT), BigInt(FCW_DEFAULT)]);
      expect(x.n.entry_rflags & HANDLER_CLEARED_EFLAGS, x.name).toBe(0n);
    }
  });

  it('saves the mask before delivery in uc_sigmask and oldmask; the handler runs with sa_mask and the signal added', () => {
    const k = c('tgkill');
    const quit = sigmaskBit(SIGQUIT);
    expect(view(k.frameBytes).getBigUint64(RT_SIGFRAME_UC + UC_SIGMASK, true)).toBe(quit);
    expect(sc(k, SC_OLDMASK)).toBe(quit);
    const hup = run.top.sighup_bit;
    expect(k.n.live_mask).toBe(blockedForHandler(quit, SIGUSR1, action(SA_SIGINFO, hup)));
    expect(c('fault_write').n.live_mask).toBe(blockedForHandler(0n, SIGSEGV, action(SA_SIGINFO | SA_NODEFER, hup)));
    const nested = c('altstack_nested');
    expect(view(nested.frameBytes).getBigUint64(RT_SIGFRAME_UC + UC_SIGMASK, true)).toBe(c('altstack').n.live_mask);
  });

  it('records page faults in trapno/err/cr2, and later frames keep the last fault\'s values', () => {
    const trap = (k: NativeCase) => [sc(k, SC_TRAPNO), sc(k, SC_ERR), sc(k, SC_CR2)];
    expect(trap(c('tgkill'))).toEqual([0n, 0n, 0n]); // no fault yet in this process
    const pf = BigInt(X86_TRAP_PF);
    expect(trap(c('fault_write'))).toEqual([pf, BigInt(X86_PF_USER | X86_PF_WRITE), 0x10n]);
    expect(trap(c('fault_read'))).toEqual([pf, BigInt(X86_PF_USER), 0x18n]);
    expect(trap(c('fault_exec'))).toEqual([pf, BigInt(X86_PF_USER | X86_PF_INSTR), 0n]);
    expect(sc(c('fault_write'), SC_RIP)).toBe(run.top.fault_write_insn);
    expect(sc(c('fault_exec'), SC_RIP)).toBe(0n);
    // The CPU sets RF in the flags it saves for a fault; the handler still starts without it.
    expect(sc(c('fault_write'), SC_EFLAGS) & X86_EFLAGS_RF).toBe(X86_EFLAGS_RF);
    expect(trap(c('after_fault'))).toEqual(trap(c('fault_exec')));
    expect(trap(c('kill'))).toEqual(trap(c('fault_exec')));
  });

  it('stores the task\'s sigaltstack settings in uc_stack as set (flags not recomputed; 0 in a fresh process)', () => {
    expect(ucStack(c('tgkill'))).toEqual({ sp: 0n, flags: 0, size: 0n });
    const alt1: AltStack = { sp: run.top.alt1, flags: 0, size: 0x10000n };
    expect(ucStack(c('altstack'))).toEqual(alt1);
    expect(ucStack(c('altstack_nested'))).toEqual(alt1); // not SS_ONSTACK, though the signal interrupted code on it
    expect(c('altstack').n.alt_inside_flags).toBe(BigInt(SS_ONSTACK)); // what sigaltstack() reports there
    const alt2: AltStack = { sp: run.top.alt2, flags: SS_AUTODISARM, size: 0x10000n };
    expect(ucStack(c('autodisarm'))).toEqual(alt2);
    expect(c('autodisarm').n.alt_inside_flags).toBe(BigInt(SS_DISABLE)); // disarmed in the handler
    // rt_sigreturn re-arms it.
    const restored = restoreAltStack(NO_ALT, ucStack(c('autodisarm')), run.top['autodisarm.pattern_rsp']);
    expect(restored.altStack).toEqual({
      sp: run.top['autodisarm.after_sp'], flags: Number(BigInt.asIntN(32, run.top['autodisarm.after_flags'])), size: run.top['autodisarm.after_size'],
    });
    expect(ucStack(c('sigqueue'))).toEqual({ sp: 0n, flags: SS_DISABLE, size: 0n }); // after sigaltstack(SS_DISABLE)
  });

  it('kills with SIGSEGV when the frame overflows the alternate stack, as sigframeLayout predicts', () => {
    const SIGSEGV_STATUS = BigInt(SIGSEGV); // WIFSIGNALED, WTERMSIG = SIGSEGV
    expect(run.top['overflow_onstack.status']).toBe(SIGSEGV_STATUS);
    expect(run.top['overflow_plain.status']).toBe(SIGSEGV_STATUS);
    expect(run.top['fits_onstack.status']).toBe(BigInt(SIGUSR1 << 8)); // the handler's _exit(SIGUSR1)
    const size = extendedSize(c('tgkill'));
    const alt: AltStack = { sp: 0x4000000n, size: 0x10000n, flags: 0 }; // 64-aligned like the fixture's
    expect(sigframeLayout(alt.sp + 256n, SA_ONSTACK, alt, size).overflow).toBe(true);
    expect(sigframeLayout(alt.sp + 256n, 0n, alt, size).overflow).toBe(true);
    expect(sigframeLayout(alt.sp + 0x10000n - 64n, SA_ONSTACK, alt, size).overflow).toBe(false);
    // Ours, with the 512-byte FPU area, agrees on these three.
    expect(sigframeLayout(alt.sp + 256n, SA_ONSTACK, alt).overflow).toBe(true);
    expect(sigframeLayout(alt.sp + 0x10000n - 64n, SA_ONSTACK, alt).overflow).toBe(false);
  });

  it('builds the same frame bytes from the same registers, except where XSAVE makes them differ', () => {
    for (const name of ['tgkill', 'fault_write', 'altstack', 'altstack_nested', 'autodisarm', 'sigqueue', 'sigchld']) {
      const k = c(name);
      const cpu = new FakeCpu();
      const mem = new UserMemory(cpu);
      const ctx = new FakeFpuContext();
      const regs: Array<[number, Reg]> = [
        [SC_R8, Reg.R8], [SC_R9, Reg.R9], [SC_R10, Reg.R10], [SC_R11, Reg.R11], [SC_R12, Reg.R12], [SC_R13, Reg.R13],
        [SC_R14, Reg.R14], [SC_R15, Reg.R15], [SC_RDI, Reg.RDI], [SC_RSI, Reg.RSI], [SC_RBP, Reg.RBP], [SC_RBX, Reg.RBX],
        [SC_RDX, Reg.RDX], [SC_RAX, Reg.RAX], [SC_RCX, Reg.RCX], [SC_RSP, Reg.RSP],
      ];
      for (const [off, reg] of regs) ctx.gpr[reg] = sc(k, off);
      ctx.rip = sc(k, SC_RIP);
      ctx.rflags = sc(k, SC_EFLAGS);
      const image = k.fpBytes.slice();
      image.fill(0, FX_SW_RESERVED);
      ctx.image = image;
      const alt = ucStack(k);
      const rsp = sc(k, SC_RSP);
      const lo = Number(rsp) - 0x4000;
      cpu.map(lo, 0x5000, RW);
      if (alt.size !== 0n) cpu.map(Number(alt.sp), Number(alt.size), RW);
      const info = decodeSigInfo(k.frameBytes.subarray(RT_SIGFRAME_INFO));
      const blocked = view(k.frameBytes).getBigUint64(RT_SIGFRAME_UC + UC_SIGMASK, true);
      const r = setupRtFrame(mem, ctx, {
        sig: Number(k.n.sig), info, blocked, altStack: alt,
        action: { handler: 0x401000n, flags: SA_SIGINFO | SA_RESTORER | (SA_FLAGS[name] ?? 0n), restorer: run.top.restorer, mask: 0n },
        fault: { trapno: Number(sc(k, SC_TRAPNO)), err: Number(sc(k, SC_ERR)), cr2: sc(k, SC_CR2) },
      });
      if (!r.ok) throw new Error(`${name}: ${r.reason}`);
      const ours = cpu.read(r.frame, RT_SIGFRAME_SIZE);
      const theirs = k.frameBytes.slice();
      // Not compared: uc_flags (UC_FP_XSTATE), the stack_t padding and sigcontext.reserved1 (never written:
      // stale stack bytes), and the fpstate pointer (the FPU area's size differs).
      const skip = (from: number, len: number) => {
        ours.fill(0, from, from + len);
        theirs.fill(0, from, from + len);
      };
      expect(view(ours).getBigUint64(RT_SIGFRAME_UC + UC_FLAGS, true) | BigInt(UC_FP_XSTATE)).toBe(view(theirs).getBigUint64(RT_SIGFRAME_UC + UC_FLAGS, true));
      skip(RT_SIGFRAME_UC + UC_FLAGS, 8);
      skip(RT_SIGFRAME_UC + UC_STACK + SS_FLAGS + 4, 4);
      skip(RT_SIGFRAME_UC + UC_MCONTEXT + SC_RESERVED1, 64);
      expect(view(ours).getBigUint64(RT_SIGFRAME_UC + UC_MCONTEXT + SC_FPSTATE, true)).toBe(BigInt(r.fpstate));
      skip(RT_SIGFRAME_UC + UC_MCONTEXT + SC_FPSTATE, 8);
      expect(ours, name).toEqual(theirs);
      expect(cpu.read(r.fpstate, FX_SW_RESERVED), name).toEqual(k.fpBytes.subarray(0, FX_SW_RESERVED));
      // Our frame sits where the host's would with a 512-byte FPU area.
      expect(BigInt(r.frame)).toBe(sigframeLayout(rsp, SA_FLAGS[name] ?? 0n, alt).frame);
    }
  });
});
