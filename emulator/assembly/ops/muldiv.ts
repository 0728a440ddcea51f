// Multiplication and division of every width (manual Vol. 2, MUL, IMUL,
// DIV, IDIV). Wasm has no 64x64->128 multiply or 128/64 divide, so those
// are built from 32-bit halves.

import { opSize, immOf } from '../insn';
import { readE, readG, writeG } from '../operand';
import { getReg64, setReg64, getRegSized, setRegSized, signExtend, sizeMask, STOP_DIVIDE_ERROR, stopFault } from '../state';
import { FAULT } from '../mem';
import { CF, OF, ARITH, szpFlags, setArithFlags } from '../flags';

/** High 64 bits of the unsigned product a * b. */
export function mulHighU64(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32;
  const bLo = b & 0xffffffff, bHi = b >> 32;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/** High 64 bits of the signed product a * b. */
export function mulHighS64(a: u64, b: u64): u64 {
  let h = mulHighU64(a, b);
  if (<i64>a < 0) h -= b;
  if (<i64>b < 0) h -= a;
  return h;
}

/** Flags after a multiply: CF = OF = the high half is significant; SF/ZF/PF from the low half (undefined). */
function mulFlags(overflow: bool, lo: u64, size: u32): void {
  setArithFlags(ARITH, szpFlags(lo, size) | (overflow ? CF | OF : 0));
}

/** mul: rdx:rax = rax * E (ah:al = al * Eb). */
function mul(d: usize, size: u32): void {
  const src = readE(d, size);
  if (FAULT) return;
  if (size == 1) {
    const r = (getReg64(0) & 0xff) * src;
    setRegSized(0, 2, r);
    mulFlags((r >> 8) != 0, r, 1);
  } else if (size == 8) {
    const a = getReg64(0);
    const lo = a * src;
    const hi = mulHighU64(a, src);
    setReg64(0, lo);
    setReg64(2, hi);
    mulFlags(hi != 0, lo, 8);
  } else {
    const bits = <u64>size << 3;
    const r = getRegSized(0, size) * src;
    const hi = (r >> bits) & sizeMask(size);
    setRegSized(0, size, r);
    setRegSized(2, size, hi);
    mulFlags(hi != 0, r, size);
  }
}

/** imul with one operand: rdx:rax = rax * E, signed. */
function imul1(d: usize, size: u32): void {
  const src = readE(d, size);
  if (FAULT) return;
  if (size == 8) {
    const a = getReg64(0);
    const lo = a * src;
    const hi = mulHighS64(a, src);
    setReg64(0, lo);
    setReg64(2, hi);
    mulFlags(hi != <u64>(<i64>lo >> 63), lo, 8);
  } else {
    const bits = <u64>size << 3;
    const r = <u64>(<i64>signExtend(getRegSized(0, size), size) * <i64>signExtend(src, size));
    if (size == 1) setRegSized(0, 2, r);
    else {
      setRegSized(0, size, r);
      setRegSized(2, size, r >> bits);
    }
    mulFlags(r != signExtend(r, size), r, size);
  }
}

/** Truncating signed multiply into a register (imul Gv, Ev[, imm]). */
function imulInto(d: usize, a: u64, b: u64): void {
  const size = opSize(d);
  let r: u64;
  let overflow: bool;
  if (size == 8) {
    r = a * b;
    overflow = mulHighS64(a, b) != <u64>(<i64>r >> 63);
  } else {
    r = <u64>(<i64>signExtend(a, size) * <i64>signExtend(b, size));
    overflow = r != signExtend(r, size);
  }
  writeG(d, size, r);
  mulFlags(overflow, r, size);
}

export function MulEb(d: usize): void { mul(d, 1); }
export function MulEv(d: usize): void { mul(d, opSize(d)); }
export function ImulEb(d: usize): void { imul1(d, 1); }
export function ImulEv(d: usize): void { imul1(d, opSize(d)); }
export function ImulGvEv(d: usize): void { const s = opSize(d); const b = readE(d, s); if (FAULT) return; imulInto(d, readG(d, s), b); }
export function ImulGvEvIz(d: usize): void { const s = opSize(d); const a = readE(d, s); if (FAULT) return; imulInto(d, a, immOf(d)); }

// ---- division -------------------------------------------------------------------

let quotient: u64 = 0;
let remainder: u64 = 0;

/** Unsigned 128/64 division; false when the quotient does not fit in 64 bits. */
function divU128(hi: u64, lo: u64, divisor: u64): bool {
  if (hi >= divisor) return false;
  if (hi == 0) {
    quotient = lo / divisor;
    remainder = lo % divisor;
    return true;
  }
  // Restoring division, one bit at a time (hi < divisor keeps it in range).
  let r = hi;
  let q: u64 = 0;
  for (let i = 63; i >= 0; i--) {
    const carry = r >> 63;
    r = (r << 1) | ((lo >> <u64>i) & 1);
    q <<= 1;
    if (carry != 0 || r >= divisor) {
      r -= divisor;
      q |= 1;
    }
  }
  quotient = q;
  remainder = r;
  return true;
}

function div(d: usize, size: u32): void {
  const src = readE(d, size);
  if (FAULT) return;
  if (src == 0) { stopFault(STOP_DIVIDE_ERROR); return; }
  if (size == 8) {
    if (!divU128(getReg64(2), getReg64(0), src)) { stopFault(STOP_DIVIDE_ERROR); return; }
    setReg64(0, quotient);
    setReg64(2, remainder);
    return;
  }
  const bits = <u64>size << 3;
  const dividend = size == 1 ? getRegSized(0, 2) : (getRegSized(2, size) << bits) | getRegSized(0, size);
  const q = dividend / src;
  if (q > sizeMask(size)) { stopFault(STOP_DIVIDE_ERROR); return; }
  const r = dividend % src;
  if (size == 1) setRegSized(0, 2, (r << 8) | q);
  else {
    setRegSized(0, size, q);
    setRegSized(2, size, r);
  }
}

function idiv(d: usize, size: u32): void {
  const src = readE(d, size);
  if (FAULT) return;
  if (src == 0) { stopFault(STOP_DIVIDE_ERROR); return; }
  if (size == 8) {
    const hi = getReg64(2);
    const lo = getReg64(0);
    const divisor = <i64>src;
    const negative = <i64>hi < 0;
    // |dividend| as 128 bits
    let aHi = hi, aLo = lo;
    if (negative) { aLo = ~lo + 1; aHi = ~hi + (aLo == 0 ? 1 : 0); }
    const absDiv = divisor < 0 ? <u64>(-divisor) : <u64>divisor;
    if (!divU128(aHi, aLo, absDiv)) { stopFault(STOP_DIVIDE_ERROR); return; }
    const qNegative = negative != (divisor < 0);
    // The quotient must fit in a signed 64-bit value.
    if (qNegative ? quotient > 0x8000000000000000 : quotient > 0x7fffffffffffffff) { stopFault(STOP_DIVIDE_ERROR); return; }
    setReg64(0, qNegative ? <u64>0 - quotient : quotient);
    setReg64(2, negative ? <u64>0 - remainder : remainder);
    return;
  }
  const bits = <u64>size << 3;
  const dividend: i64 = size == 1
    ? <i64>signExtend(getRegSized(0, 2), 2)
    : <i64>((getRegSized(2, size) << bits) | getRegSized(0, size)) << (64 - 2 * bits) >> (64 - 2 * bits);
  const divisor = <i64>signExtend(src, size);
  // i64 division cannot overflow here: |dividend| < 2^63 for sizes up to 4.
  const q = dividend / divisor;
  const half = <i64>1 << (bits - 1);
  if (q >= half || q < -half) { stopFault(STOP_DIVIDE_ERROR); return; }
  const r = dividend % divisor;
  if (size == 1) setRegSized(0, 2, ((<u64>r & 0xff) << 8) | (<u64>q & 0xff));
  else {
    setRegSized(0, size, <u64>q);
    setRegSized(2, size, <u64>r);
  }
}

export function DivEb(d: usize): void { div(d, 1); }
export function DivEv(d: usize): void { div(d, opSize(d)); }
export function IdivEb(d: usize): void { idiv(d, 1); }
export function IdivEv(d: usize): void { idiv(d, opSize(d)); }
