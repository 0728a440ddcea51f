// SSE4.1 floating point (manual Vol. 2, the instruction pages of the same
// names): roundps/roundpd/roundss/roundsd, dpps/dppd and insertps. The
// arithmetic goes through sse-float.ts; flags are gathered and committed
// as for addps (fpBegin/fpCommit).

import { argOf, immOf, isMem, ea, rmOf } from '../insn';
import { FAULT, read32 } from '../mem';
import { RES, vPtr, wPtr, wPtr32, wPtr64, xmmPtr, copy128, fpBegin, fpCommit, raise, roundingMode, MX_IE, MX_PE, RC_NEAREST, RC_DOWN, RC_UP } from '../xmm';
import { unpack, isSNaN, quiet, packZero, intToFloat, fpAdd, fpMul, CL_NAN, CL_FINITE, CL_ZERO, U_SIGN, U_EXP, U_SIG } from './sse-float';

const LEAD: u64 = <u64>1 << 62;

/**
 * v rounded to an integer in mode rc (ROUNDPS, Vol. 2: imm8[1:0] or
 * MXCSR.RC). A SNaN raises IE and is quieted; an inexact result raises PE
 * unless imm8[3] suppresses it. Denormal operands do not raise DE (the
 * manual lists only IE and PE); DAZ turns them into zeros.
 */
function roundToInteger(dbl: bool, v: u64, rc: u32, suppressPE: bool): u64 {
  const cl = unpack(dbl, v);
  if (cl == CL_NAN) {
    if (isSNaN(dbl, v)) { raise(MX_IE); return quiet(dbl, v); }
    return v;
  }
  const sign = U_SIGN;
  if (cl == CL_ZERO) return packZero(dbl, sign);
  if (cl != CL_FINITE) return v; // infinity
  const e = U_EXP, sig = U_SIG; // value = sig / 2^62 * 2^e, sig in [2^62, 2^63)
  if (e >= 62) return v;
  let int: u64 = 0;
  let cmpHalf: i32; // the fraction against one half: -1, 0, 1
  let inexact: bool;
  if (e >= 0) {
    const f = <u64>(62 - e);
    int = sig >> f;
    const frac = sig & ((<u64>1 << f) - 1);
    const half = <u64>1 << (f - 1);
    inexact = frac != 0;
    cmpHalf = frac > half ? 1 : frac == half ? 0 : -1;
  } else {
    inexact = true;
    cmpHalf = e < -1 ? -1 : sig == LEAD ? 0 : 1;
  }
  if (!inexact) return v;
  let up = false;
  if (rc == RC_NEAREST) up = cmpHalf > 0 || (cmpHalf == 0 && (int & 1) != 0);
  else if (rc == RC_DOWN) up = sign != 0;
  else if (rc == RC_UP) up = sign == 0;
  if (up) int++;
  if (!suppressPE) raise(MX_PE);
  if (int == 0) return packZero(dbl, sign);
  // Exact: int has at most 54 significant bits here.
  return intToFloat(dbl, sign != 0 ? -<i64>int : <i64>int);
}

/** roundps (arg 0), roundpd (1), roundss (2), roundsd (3) xmm1, xmm2/m, imm8. */
export function RoundVxWxIb(d: usize): void {
  const k = argOf(d);
  const b = k == 2 ? wPtr32(d) : k == 3 ? wPtr64(d) : wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  fpBegin();
  const rc = (imm & 4) != 0 ? roundingMode() : imm & 3;
  const noPE = (imm & 8) != 0;
  copy128(RES, a);
  if (k == 0) {
    for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, <u32>roundToInteger(false, load<u32>(b + i), rc, noPE));
  } else if (k == 1) {
    for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, roundToInteger(true, load<u64>(b + i), rc, noPE));
  } else if (k == 2) {
    store<u32>(RES, <u32>roundToInteger(false, load<u32>(b), rc, noPE));
  } else {
    store<u64>(RES, roundToInteger(true, load<u64>(b), rc, noPE));
  }
  if (fpCommit()) copy128(a, RES);
}

/**
 * dpps xmm1, xmm2/m128, imm8 (Vol. 2, DPPS Operation): products of the
 * lanes imm8[7:4] selects (others +0.0), summed as (p0 + p1) + (p2 + p3),
 * each step rounded; the sum goes to the lanes imm8[3:0] selects, +0.0 to
 * the others.
 */
export function DppsVpsWpsIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  fpBegin();
  for (let i: usize = 0; i < 4; i++) {
    const p = ((imm >> (4 + <u32>i)) & 1) != 0 ? fpMul(false, load<u32>(a + 4 * i), load<u32>(b + 4 * i)) : 0;
    store<u32>(RES + 4 * i, <u32>p);
  }
  const s01 = fpAdd(false, load<u32>(RES), load<u32>(RES + 4), 0);
  const s23 = fpAdd(false, load<u32>(RES + 8), load<u32>(RES + 12), 0);
  const sum = <u32>fpAdd(false, s01, s23, 0);
  for (let i: usize = 0; i < 4; i++) store<u32>(RES + 4 * i, ((imm >> <u32>i) & 1) != 0 ? sum : 0);
  if (fpCommit()) copy128(a, RES);
}

/** dppd xmm1, xmm2/m128, imm8: the same with two doubles (imm8[5:4] and imm8[1:0]). */
export function DppdVpdWpdIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  fpBegin();
  const p0 = (imm & 0x10) != 0 ? fpMul(true, load<u64>(a), load<u64>(b)) : 0;
  const p1 = (imm & 0x20) != 0 ? fpMul(true, load<u64>(a + 8), load<u64>(b + 8)) : 0;
  const sum = fpAdd(true, p0, p1, 0);
  store<u64>(RES, (imm & 1) != 0 ? sum : 0);
  store<u64>(RES + 8, (imm & 2) != 0 ? sum : 0);
  if (fpCommit()) copy128(a, RES);
}

/**
 * insertps xmm1, xmm2/m32, imm8: the single imm8[7:6] of xmm2 (or the m32)
 * goes to lane imm8[5:4] of xmm1, then the lanes imm8[3:0] selects are zeroed.
 */
export function InsertpsVpsWssIb(d: usize): void {
  const imm = <u32>immOf(d);
  let v: u32;
  if (isMem(d)) {
    v = <u32>read32(ea(d));
    if (FAULT) return;
  } else {
    v = load<u32>(xmmPtr(rmOf(d)) + (<usize>((imm >> 6) & 3) << 2));
  }
  const a = vPtr(d);
  store<u32>(a + (<usize>((imm >> 4) & 3) << 2), v);
  for (let i: usize = 0; i < 4; i++) if (((imm >> <u32>i) & 1) != 0) store<u32>(a + 4 * i, 0);
}
