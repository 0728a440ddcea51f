// SSE/SSE2 floating-point arithmetic and compares: add, mul, sub, min, div,
// max, sqrt (0F 51, 58-5F) in ps/pd/ss/sd forms, cmpps/pd/ss/sd (0F C2),
// comiss/ucomiss/comisd/ucomisd (0F 2E/2F). The arithmetic is in
// sse-float.ts.
//
// Every lane is computed into RES first and MXCSR's flags are gathered in
// EXC; fpCommit() sets the sticky flags and the result is written, unless
// the program unmasked a raised exception: then the destination is left
// unchanged and the CPU stops (real hardware raises #XM, which Linux reports
// as SIGFPE; this CPU has no #XM stop yet and reports #GP instead).
//
// Packed forms with a memory operand require 16-byte alignment; scalar
// forms read 32 or 64 bits at any alignment.

import { argOf, immOf } from '../insn';
import { RES, vPtr, wPtr, wPtr32, wPtr64, copy128, fpBegin, fpCommit } from '../xmm';
import { setArithFlags, CF, PF, AF, ZF, SF, OF } from '../flags';
import { fpArith, fpCompare, CMP_LT, CMP_EQ, CMP_UN } from './sse-float';

/** op xmm1, xmm2/m128 on four singles. */
export function SseArithVpsWps(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const op = argOf(d);
  fpBegin();
  for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, <u32>fpArith(false, op, load<u32>(a + i), load<u32>(b + i)));
  if (fpCommit()) copy128(a, RES);
}

/** op xmm1, xmm2/m128 on two doubles. */
export function SseArithVpdWpd(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const op = argOf(d);
  fpBegin();
  store<u64>(RES, fpArith(true, op, load<u64>(a), load<u64>(b)));
  store<u64>(RES + 8, fpArith(true, op, load<u64>(a + 8), load<u64>(b + 8)));
  if (fpCommit()) copy128(a, RES);
}

/** op xmm1, xmm2/m32 on the low single; the rest of xmm1 is kept. */
export function SseArithVssWss(d: usize): void {
  const b = wPtr32(d);
  if (b == 0) return;
  const a = vPtr(d);
  fpBegin();
  const r = <u32>fpArith(false, argOf(d), load<u32>(a), load<u32>(b));
  if (fpCommit()) store<u32>(a, r);
}

/** op xmm1, xmm2/m64 on the low double. */
export function SseArithVsdWsd(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  const a = vPtr(d);
  fpBegin();
  const r = fpArith(true, argOf(d), load<u64>(a), load<u64>(b));
  if (fpCommit()) store<u64>(a, r);
}

// ---- compares ------------------------------------------------------------------------------------------

/**
 * cmpps predicate imm8[2:0] (Vol. 2, CMPPS, Table 3-7): EQ, LT, LE, UNORD,
 * NEQ, NLT, NLE, ORD. LT, LE, NLT and NLE signal on QNaNs too.
 */
function predicate(dbl: bool, imm: u32, a: u64, b: u64): bool {
  const p = imm & 7;
  const rel = fpCompare(dbl, a, b, (p & 3) == 1 || (p & 3) == 2);
  let t: bool;
  switch (p & 3) {
    case 0: t = rel == CMP_EQ; break;
    case 1: t = rel == CMP_LT; break;
    case 2: t = rel == CMP_LT || rel == CMP_EQ; break;
    default: t = rel == CMP_UN; break;
  }
  return (p & 4) != 0 ? !t : t;
}

export function CmppsVpsWpsIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  fpBegin();
  for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, predicate(false, imm, load<u32>(a + i), load<u32>(b + i)) ? 0xffffffff : 0);
  if (fpCommit()) copy128(a, RES);
}

export function CmppdVpdWpdIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  fpBegin();
  for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, predicate(true, imm, load<u64>(a + i), load<u64>(b + i)) ? 0xffffffffffffffff : 0);
  if (fpCommit()) copy128(a, RES);
}

export function CmpssVssWssIb(d: usize): void {
  const b = wPtr32(d);
  if (b == 0) return;
  const a = vPtr(d);
  fpBegin();
  const t = predicate(false, <u32>immOf(d), load<u32>(a), load<u32>(b));
  if (fpCommit()) store<u32>(a, t ? 0xffffffff : 0);
}

export function CmpsdVsdWsdIb(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  const a = vPtr(d);
  fpBegin();
  const t = predicate(true, <u32>immOf(d), load<u64>(a), load<u64>(b));
  if (fpCommit()) store<u64>(a, t ? 0xffffffffffffffff : 0);
}

/** ZF, PF, CF from a compare; OF, SF, AF cleared (Vol. 2, COMISS). */
function setCompareFlags(rel: u32): void {
  let f: u64 = 0;
  if (rel == CMP_UN) f = ZF | PF | CF;
  else if (rel == CMP_LT) f = CF;
  else if (rel == CMP_EQ) f = ZF;
  setArithFlags(CF | PF | AF | ZF | SF | OF, f);
}

/** ucomiss (arg 0) / comiss (arg 1) xmm1, xmm2/m32. */
export function UcomissVssWss(d: usize): void {
  const b = wPtr32(d);
  if (b == 0) return;
  fpBegin();
  const rel = fpCompare(false, load<u32>(vPtr(d)), load<u32>(b), argOf(d) != 0);
  if (fpCommit()) setCompareFlags(rel);
}

/** ucomisd (arg 0) / comisd (arg 1) xmm1, xmm2/m64. */
export function UcomisdVsdWsd(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  fpBegin();
  const rel = fpCompare(true, load<u64>(vPtr(d)), load<u64>(b), argOf(d) != 0);
  if (fpCommit()) setCompareFlags(rel);
}
