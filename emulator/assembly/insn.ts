// The decoded-instruction record: one 32-byte word per instruction, written
// once by the decoder and read by the handlers through these accessors
// (Blink's idea: handlers never touch raw prefix or ModRM bits).

import { getReg64, fsBase, gsBase } from './state';

export const INSN_SIZE: usize = 32;

const O_HANDLER: usize = 0; // u16
const O_LEN: usize = 2; //     u8
const O_SIZE: usize = 3; //    u8 operand size in bytes (1, 2, 4, 8; 16 for xmm rows)
const O_REG: usize = 4; //     u8 ModRM.reg (byte-register code for byte operands)
const O_RM: usize = 5; //      u8 ModRM.rm or opcode register when not memory
const O_FLAGS: usize = 6; //   u8 F_*
const O_BASE: usize = 7; //    u8 base register, NO_REG when none
const O_INDEX: usize = 8; //   u8 index register, NO_REG when none
const O_SCALE: usize = 9; //   u8 log2 of the SIB scale
const O_ARG: usize = 10; //    u8 the row's constant
const O_SEG: usize = 11; //    u8 SEG_*
const O_ROW: usize = 12; //    u16 opcode-table row, for diagnostics
const O_EXTRA: usize = 14; //  u8 X_*
const O_VVVV: usize = 15; //   u8 VEX.vvvv register
const O_DISP: usize = 16; //   i64 displacement (absolute address for rip-relative)
const O_IMM: usize = 24; //    u64 immediate (branch target for Jb/Jz)

export const F_MEM: u32 = 1;
export const F_REP: u32 = 2; //   F3
export const F_REPNE: u32 = 4; // F2
export const F_LOCK: u32 = 8;
export const F_ADDR32: u32 = 16;
export const F_REX: u32 = 32;
export const F_OPSIZE: u32 = 64; // 66
export const F_REXB: u32 = 128; // REX.B (distinguishes 90 nop from xchg r8, rax)

/** Extra flags (O_EXTRA): the memory operand was rip-relative (disp holds the absolute address). */
export const X_RIP_RELATIVE: u32 = 1;

export const NO_REG: u32 = 16;
export const SEG_NONE: u32 = 0;
export const SEG_FS: u32 = 1;
export const SEG_GS: u32 = 2;

@inline export function handlerOf(d: usize): u32 { return load<u16>(d + O_HANDLER); }
@inline export function lenOf(d: usize): u32 { return load<u8>(d + O_LEN); }
@inline export function opSize(d: usize): u32 { return load<u8>(d + O_SIZE); }
@inline export function regOf(d: usize): u32 { return load<u8>(d + O_REG); }
@inline export function rmOf(d: usize): u32 { return load<u8>(d + O_RM); }
@inline export function flagsOf(d: usize): u32 { return load<u8>(d + O_FLAGS); }
@inline export function isMem(d: usize): bool { return (load<u8>(d + O_FLAGS) & F_MEM) != 0; }
@inline export function hasRep(d: usize): bool { return (load<u8>(d + O_FLAGS) & F_REP) != 0; }
@inline export function hasRepne(d: usize): bool { return (load<u8>(d + O_FLAGS) & F_REPNE) != 0; }
@inline export function argOf(d: usize): u32 { return load<u8>(d + O_ARG); }
@inline export function immOf(d: usize): u64 { return load<u64>(d + O_IMM); }
@inline export function rowOf(d: usize): u32 { return load<u16>(d + O_ROW); }
/** The register named by VEX.vvvv. */
@inline export function vvvvOf(d: usize): u32 { return load<u8>(d + O_VVVV); }
@inline export function dispOf(d: usize): u64 { return load<u64>(d + O_DISP); }

/** Offset part of the memory operand: base + index * scale + disp (manual Vol. 1, 3.7.5). */
@inline export function eaOffset(d: usize): u64 {
  let a = load<u64>(d + O_DISP);
  const base = <u32>load<u8>(d + O_BASE);
  if (base != NO_REG) a += getReg64(base);
  const index = <u32>load<u8>(d + O_INDEX);
  if (index != NO_REG) a += getReg64(index) << <u64>load<u8>(d + O_SCALE);
  if ((load<u8>(d + O_FLAGS) & F_ADDR32) != 0) a &= 0xffffffff;
  return a;
}

/** Effective address of the memory operand, with an fs/gs base applied. */
@inline export function ea(d: usize): u64 {
  const seg = load<u8>(d + O_SEG);
  if (seg == 0) return eaOffset(d);
  return eaOffset(d) + (seg == SEG_FS ? fsBase() : gsBase());
}

/**
 * The memory operand goes through the stack segment: rsp or rbp as base and
 * no fs/gs override (Vol. 1, 3.7.4.1). Non-canonical addresses then raise
 * #SS instead of #GP.
 */
export function usesStackSegment(d: usize): bool {
  if ((load<u8>(d + O_FLAGS) & F_MEM) == 0 || load<u8>(d + O_SEG) != SEG_NONE) return false;
  const base = <u32>load<u8>(d + O_BASE);
  return base == 4 || base == 5;
}

/** The address-size mask for rsi/rdi/rcx in string instructions. */
@inline export function addrMask(d: usize): u64 {
  return (load<u8>(d + O_FLAGS) & F_ADDR32) != 0 ? 0xffffffff : 0xffffffffffffffff;
}

/** Segment base that applies to the source of a string instruction (fs/gs override). */
@inline export function segBase(d: usize): u64 {
  const seg = load<u8>(d + O_SEG);
  if (seg == SEG_NONE) return 0;
  return seg == SEG_FS ? fsBase() : gsBase();
}

export function writeInsn(
  d: usize, handler: u32, len: u32, size: u32, reg: u32, rm: u32, flags: u32,
  base: u32, index: u32, scale: u32, arg: u32, seg: u32, row: u32, disp: u64, imm: u64, extra: u32, vvvv: u32,
): void {
  store<u16>(d + O_HANDLER, <u16>handler);
  store<u8>(d + O_LEN, <u8>len);
  store<u8>(d + O_SIZE, <u8>size);
  store<u8>(d + O_REG, <u8>reg);
  store<u8>(d + O_RM, <u8>rm);
  store<u8>(d + O_FLAGS, <u8>flags);
  store<u8>(d + O_BASE, <u8>base);
  store<u8>(d + O_INDEX, <u8>index);
  store<u8>(d + O_SCALE, <u8>scale);
  store<u8>(d + O_ARG, <u8>arg);
  store<u8>(d + O_SEG, <u8>seg);
  store<u16>(d + O_ROW, <u16>row);
  store<u8>(d + O_EXTRA, <u8>extra);
  store<u8>(d + O_VVVV, <u8>vvvv);
  store<u64>(d + O_DISP, disp);
  store<u64>(d + O_IMM, imm);
}
