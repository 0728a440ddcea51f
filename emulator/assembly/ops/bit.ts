// Bit instructions: bt/bts/btr/btc, bsf/bsr, tzcnt/lzcnt, popcnt
// (manual Vol. 2, BT, BSF, BSR, TZCNT, LZCNT, POPCNT).

import { opSize, argOf, immOf, isMem, ea, rmOf, vvvvOf } from '../insn';
import { readE, readG, writeG } from '../operand';
import { getRegSized, setRegSized, signExtend } from '../state';
import { FAULT, readSized, readForWrite, writeSized } from '../mem';
import { CF, ZF, SF, ARITH, setArithFlags } from '../flags';

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

// ---- BMI1 -------------------------------------------------------------------------

@inline function bmiFlags(r: u64, size: u32, cf: bool): void {
  const sign = (r >> ((<u64>size << 3) - 1)) & 1;
  setArithFlags(ARITH, (r == 0 ? ZF : 0) | (sign != 0 ? SF : 0) | (cf ? CF : 0));
}

/** andn: G = ~vvvv & E; SF, ZF from the result, CF = OF = 0. */
export function AndnGyByEy(d: usize): void {
  const size = opSize(d);
  const src = readE(d, size);
  if (FAULT) return;
  const r = ~getRegSized(vvvvOf(d), size) & src & (size == 8 ? 0xffffffffffffffff : 0xffffffff);
  writeG(d, size, r);
  bmiFlags(r, size, false);
}

/** bextr: G = bits [start, start + len) of E, with start = vvvv[7:0], len = vvvv[15:8]. */
export function BextrGyEyBy(d: usize): void {
  const size = opSize(d);
  const src = readE(d, size);
  if (FAULT) return;
  const ctl = getRegSized(vvvvOf(d), size);
  const start = ctl & 0xff;
  const len = (ctl >> 8) & 0xff;
  const bits = <u64>size << 3;
  let r: u64 = start >= bits ? 0 : src >> start;
  if (len < 64) r &= (<u64>1 << len) - 1;
  writeG(d, size, r);
  setArithFlags(ARITH, r == 0 ? ZF : 0);
}

/** blsr (1) / blsmsk (2) / blsi (3): vvvv = f(E); CF from the source (Vol. 2). */
export function BlsByEy(d: usize): void {
  const size = opSize(d);
  const src = readE(d, size);
  if (FAULT) return;
  const m: u64 = size == 8 ? 0xffffffffffffffff : 0xffffffff;
  const k = argOf(d);
  let r: u64;
  if (k == 1) r = src & (src - 1);
  else if (k == 2) r = src ^ (src - 1);
  else r = src & (<u64>0 - src);
  r &= m;
  setRegSized(vvvvOf(d), size, r);
  if (k == 1) bmiFlags(r, size, src == 0);
  else if (k == 2) { const sign = (r >> ((<u64>size << 3) - 1)) & 1; setArithFlags(ARITH, (sign != 0 ? SF : 0) | (src == 0 ? CF : 0)); }
  else bmiFlags(r, size, src != 0);
}
