// Bit instructions: bt/bts/btr/btc, bsf/bsr, tzcnt/lzcnt, popcnt
// (manual Vol. 2, BT, BSF, BSR, TZCNT, LZCNT, POPCNT).

import { opSize, argOf, immOf, isMem, ea, rmOf } from '../insn';
import { readE, readG, writeG } from '../operand';
import { getRegSized, setRegSized, signExtend } from '../state';
import { FAULT, readSized, readForWrite, writeSized } from '../mem';
import { CF, ZF, ARITH, setArithFlags } from '../flags';

/** Applies bt (0), bts (1), btr (2), btc (3) to bit `bit` of v; sets CF; returns the new value. */
@inline function bitOp(k: u32, v: u64, bit: u64): u64 {
  const m = <u64>1 << bit;
  // Only CF is defined; ZF is unchanged, the rest undefined (kept).
  setArithFlags(CF, (v & m) != 0 ? CF : 0);
  if (k == 1) return v | m;
  if (k == 2) return v & ~m;
  if (k == 3) return v ^ m;
  return v;
}

/**
 * bt* Ev, Gv: with a memory operand the bit offset in G is signed and may
 * address memory outside the operand (Vol. 2, BT, "bit base").
 */
export function BtEvGv(d: usize): void {
  const size = opSize(d);
  const bits = <u64>size << 3;
  const k = argOf(d);
  const offset = readG(d, size);
  if (isMem(d)) {
    const signed = <i64>signExtend(offset, size);
    const addr = ea(d) + <u64>((signed >> <i64>(size == 8 ? 6 : size == 4 ? 5 : 4)) * <i64>size);
    const bit = offset & (bits - 1);
    const v = k == 0 ? readSized(addr, size) : readForWrite(addr, size);
    if (FAULT) return;
    const r = bitOp(k, v, bit);
    if (k != 0) writeSized(addr, size, r);
  } else {
    const v = getRegSized(rmOf(d), size);
    const r = bitOp(k, v, offset & (bits - 1));
    if (k != 0) setRegSized(rmOf(d), size, r);
  }
}

export function BtEvIb(d: usize): void {
  const size = opSize(d);
  const bits = <u64>size << 3;
  const k = argOf(d);
  const bit = immOf(d) & (bits - 1);
  if (isMem(d)) {
    const addr = ea(d);
    const v = k == 0 ? readSized(addr, size) : readForWrite(addr, size);
    if (FAULT) return;
    const r = bitOp(k, v, bit);
    if (k != 0) writeSized(addr, size, r);
  } else {
    const v = getRegSized(rmOf(d), size);
    const r = bitOp(k, v, bit);
    if (k != 0) setRegSized(rmOf(d), size, r);
  }
}

/** bsf: with a zero source ZF = 1 and the destination is left unchanged (as Intel and AMD CPUs do). */
export function BsfGvEv(d: usize): void {
  const size = opSize(d);
  const v = readE(d, size);
  if (FAULT) return;
  if (v == 0) { setArithFlags(ARITH, ZF); return; }
  writeG(d, size, ctz<u64>(v));
  setArithFlags(ARITH, 0);
}

export function BsrGvEv(d: usize): void {
  const size = opSize(d);
  const v = readE(d, size);
  if (FAULT) return;
  if (v == 0) { setArithFlags(ARITH, ZF); return; }
  writeG(d, size, 63 - clz<u64>(v));
  setArithFlags(ARITH, 0);
}

/** tzcnt: CF = source is zero, ZF = result is zero. */
export function TzcntGvEv(d: usize): void {
  const size = opSize(d);
  const v = readE(d, size);
  if (FAULT) return;
  const r = v == 0 ? <u64>size << 3 : ctz<u64>(v);
  writeG(d, size, r);
  setArithFlags(ARITH, (v == 0 ? CF : 0) | (r == 0 ? ZF : 0));
}

export function LzcntGvEv(d: usize): void {
  const size = opSize(d);
  const v = readE(d, size);
  if (FAULT) return;
  const bits = <u64>size << 3;
  const r = v == 0 ? bits : clz<u64>(v) - (64 - bits);
  writeG(d, size, r);
  setArithFlags(ARITH, (v == 0 ? CF : 0) | (r == 0 ? ZF : 0));
}

/** popcnt: ZF = source is zero; CF, OF, SF, AF, PF cleared. */
export function PopcntGvEv(d: usize): void {
  const size = opSize(d);
  const v = readE(d, size);
  if (FAULT) return;
  writeG(d, size, popcnt<u64>(v));
  setArithFlags(ARITH, v == 0 ? ZF : 0);
}
