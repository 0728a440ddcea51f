// The SSE register file and MXCSR: 128-bit register and memory operands
// for the SSE/SSE2 handlers (emulator/assembly/ops/sse-*.ts).
//
// Registers live in the context at R + CTX_XMM + 16 * n, little-endian.
// A 128-bit memory operand is read into a static buffer (MEMBUF) so a
// handler always works on host pointers; stores check all 16 bytes before
// writing any, so a faulting instruction changes nothing (precise).
//
// Alignment (manual Vol. 1, 11.6.8 and Vol. 2, Table 2-18 "#GP if a memory
// operand is not aligned"): legacy-SSE instructions with a 128-bit memory
// operand require 16-byte alignment, except movups/movupd/movdqu (and
// lddqu, maskmovdqu); scalar and 64-bit operands never do.

import { R, CTX_XMM, CTX_MXCSR, stopFault, STOP_GENERAL_PROTECTION, STOP_SIMD_EXCEPTION } from './state';
import { FAULT, read32, read64, write64, checkWrite, fastRead16, fastWrite16 } from './mem';
import { isMem, ea, rmOf, regOf } from './insn';

/** A 128-bit memory source operand, once read. */
export const MEMBUF: usize = memory.data(16, 16);
/** Where handlers build a result before copying it to the destination register. */
export const RES: usize = memory.data(16, 16);

@inline export function xmmPtr(r: u32): usize { return R + CTX_XMM + (<usize>r << 4); }
@inline export function xmmLo(r: u32): u64 { return load<u64>(xmmPtr(r)); }
@inline export function xmmHi(r: u32): u64 { return load<u64>(xmmPtr(r) + 8); }
@inline export function setXmm(r: u32, lo: u64, hi: u64): void {
  const p = xmmPtr(r);
  store<u64>(p, lo);
  store<u64>(p + 8, hi);
}
@inline export function setXmmLo(r: u32, lo: u64): void { store<u64>(xmmPtr(r), lo); }
@inline export function setXmmHi(r: u32, hi: u64): void { store<u64>(xmmPtr(r) + 8, hi); }
/** Copies 16 bytes between host buffers (registers, MEMBUF, RES). */
@inline export function copy128(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst + 8, load<u64>(src + 8));
}

/** #GP(0) for a misaligned 16-byte operand; returns false after stopping. */
export function checkAlign16(addr: u64): bool {
  if ((addr & 15) != 0) { stopFault(STOP_GENERAL_PROTECTION); return false; }
  return true;
}

/** Reads 16 bytes at addr into dst; false (nothing changed) on a fault. */
export function load128(addr: u64, aligned: bool, dst: usize): bool {
  if (aligned && !checkAlign16(addr)) return false;
  const h = fastRead16(addr);
  if (h != 0) {
    copy128(dst, h);
    return true;
  }
  const lo = read64(addr);
  if (FAULT) return false;
  const hi = read64(addr + 8);
  if (FAULT) return false;
  store<u64>(dst, lo);
  store<u64>(dst + 8, hi);
  return true;
}

/** Writes 16 bytes from src to addr, checking the whole range first. */
export function store128(addr: u64, aligned: bool, src: usize): bool {
  if (aligned && !checkAlign16(addr)) return false;
  const h = fastWrite16(addr);
  if (h != 0) {
    copy128(h, src);
    return true;
  }
  if (!checkWrite(addr, 16)) return false;
  write64(addr, load<u64>(src));
  write64(addr + 8, load<u64>(src + 8));
  return true;
}

// ---- ModRM operands in the manual's notation ------------------------------------
// V = xmm register in ModRM.reg; W = xmm register or memory in ModRM.r/m;
// U = xmm register in ModRM.r/m (register form only).

/** Pointer to the V operand (ModRM.reg xmm). */
@inline export function vPtr(d: usize): usize { return xmmPtr(regOf(d)); }

/** The 128-bit W operand: a register's storage or MEMBUF; 0 after a fault. */
export function wPtr(d: usize, aligned: bool): usize {
  if (!isMem(d)) return xmmPtr(rmOf(d));
  return load128(ea(d), aligned, MEMBUF) ? MEMBUF : 0;
}

/** The low 64 bits of W (xmm or m64): MEMBUF holds m64 with a zero upper half; 0 after a fault. */
export function wPtr64(d: usize): usize {
  if (!isMem(d)) return xmmPtr(rmOf(d));
  const v = read64(ea(d));
  if (FAULT) return 0;
  store<u64>(MEMBUF, v);
  store<u64>(MEMBUF + 8, 0);
  return MEMBUF;
}

/** The low 32 bits of W (xmm or m32), as wPtr64. */
export function wPtr32(d: usize): usize {
  if (!isMem(d)) return xmmPtr(rmOf(d));
  const v = read32(ea(d));
  if (FAULT) return 0;
  store<u64>(MEMBUF, v);
  store<u64>(MEMBUF + 8, 0);
  return MEMBUF;
}

// ---- MXCSR (manual Vol. 1, 10.2.3) ----------------------------------------------------

export const MX_IE: u32 = 1 << 0; // invalid operation
export const MX_DE: u32 = 1 << 1; // denormal operand
export const MX_ZE: u32 = 1 << 2; // divide by zero
export const MX_OE: u32 = 1 << 3; // overflow
export const MX_UE: u32 = 1 << 4; // underflow
export const MX_PE: u32 = 1 << 5; // precision (inexact)
export const MX_DAZ: u32 = 1 << 6; // denormals are zeros
export const MX_MASK_SHIFT: u32 = 7; // IM..PM in bits 7..12
export const MX_RC_SHIFT: u32 = 13; //  rounding control, bits 13..14
export const MX_FTZ: u32 = 1 << 15; // flush to zero
/** Bits ldmxcsr accepts (MXCSR_MASK with DAZ supported); others are #GP. */
export const MXCSR_MASK: u32 = 0xffff;

export const RC_NEAREST: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

@inline export function getMxcsr(): u32 { return load<u32>(R + CTX_MXCSR); }
@inline export function setMxcsr(v: u32): void { store<u32>(R + CTX_MXCSR, v); }

/**
 * Exception flags raised by the instruction being executed; handlers clear
 * it with fpBegin() and fold it into MXCSR with fpCommit().
 */
export let EXC: u32 = 0;
/** The MXCSR the instruction runs under (read once by fpBegin). */
export let MXCSR: u32 = 0x1f80;

@inline export function raise(flags: u32): void { EXC |= flags; }

export function fpBegin(): void {
  EXC = 0;
  MXCSR = getMxcsr();
}

@inline export function roundingMode(): u32 { return (MXCSR >> MX_RC_SHIFT) & 3; }
@inline export function daz(): bool { return (MXCSR & MX_DAZ) != 0; }
@inline export function ftz(): bool { return (MXCSR & MX_FTZ) != 0; }
/** The exception is masked (MXCSR bits 7..12). */
@inline export function masked(flag: u32): bool { return ((MXCSR >> MX_MASK_SHIFT) & flag) != 0; }

/**
 * Ends a floating-point instruction: sets the sticky flags it raised and
 * returns true so the handler writes its result. If a raised exception is
 * unmasked, the hardware sets the flags, leaves the destination unchanged
 * and raises #XM (Vol. 1, 11.5.1; CR4.OSXMMEXCPT is set under Linux, which
 * sends SIGFPE): the CPU stops with the instruction not retired, and returns
 * false.
 */
export function fpCommit(): bool {
  if (EXC != 0) setMxcsr(getMxcsr() | EXC);
  if ((EXC & ~(MXCSR >> MX_MASK_SHIFT) & 0x3f) != 0) {
    stopFault(STOP_SIMD_EXCEPTION);
    return false;
  }
  return true;
}
