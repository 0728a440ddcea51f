// SSE/SSE2 conversions (Vol. 2, CVT* pages): between singles and doubles,
// from and to 32/64-bit integers, scalar and packed. Rounding follows
// MXCSR.RC except for the cvtt* forms, which truncate. Results are written
// only after fpCommit() (see sse-fp.ts for unmasked exceptions).

import { argOf, isMem, ea, opSize, regOf, rmOf } from '../insn';
import { getRegSized, setRegSized } from '../state';
import { FAULT, read32, read64 } from '../mem';
import { RES, vPtr, wPtr, wPtr32, wPtr64, copy128, fpBegin, fpCommit } from '../xmm';
import { f32ToF64, f64ToF32, intToFloat, floatToInt } from './sse-float';

/** The integer source of cvtsi2ss/sd: r/m32 or r/m64 (REX.W), sign-extended; FAULT on a bad read. */
function intSource(d: usize): i64 {
  const s = opSize(d);
  let v: u64;
  if (isMem(d)) v = s == 8 ? read64(ea(d)) : read32(ea(d));
  else v = getRegSized(rmOf(d), s);
  return s == 8 ? <i64>v : <i64>(<i32>v);
}

/** cvtsi2ss xmm, r/m32/64. */
export function Cvtsi2ssVssEy(d: usize): void {
  const v = intSource(d);
  if (FAULT) return;
  fpBegin();
  const r = <u32>intToFloat(false, v);
  if (fpCommit()) store<u32>(vPtr(d), r);
}

/** cvtsi2sd xmm, r/m32/64. */
export function Cvtsi2sdVsdEy(d: usize): void {
  const v = intSource(d);
  if (FAULT) return;
  fpBegin();
  const r = intToFloat(true, v);
  if (fpCommit()) store<u64>(vPtr(d), r);
}

/** cvtss2si (arg 0) / cvttss2si (arg 1) r32/64, xmm/m32. */
export function Cvtss2siGyWss(d: usize): void {
  const b = wPtr32(d);
  if (b == 0) return;
  const s = opSize(d);
  fpBegin();
  const r = floatToInt(false, load<u32>(b), argOf(d) != 0, s == 8);
  if (fpCommit()) setRegSized(regOf(d), s, r);
}

/** cvtsd2si (arg 0) / cvttsd2si (arg 1) r32/64, xmm/m64. */
export function Cvtsd2siGyWsd(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  const s = opSize(d);
  fpBegin();
  const r = floatToInt(true, load<u64>(b), argOf(d) != 0, s == 8);
  if (fpCommit()) setRegSized(regOf(d), s, r);
}

/** cvtss2sd xmm, xmm/m32: the low double; the high one is kept. */
export function Cvtss2sdVsdWss(d: usize): void {
  const b = wPtr32(d);
  if (b == 0) return;
  fpBegin();
  const r = f32ToF64(load<u32>(b));
  if (fpCommit()) store<u64>(vPtr(d), r);
}

/** cvtsd2ss xmm, xmm/m64: the low single; the rest is kept. */
export function Cvtsd2ssVssWsd(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  fpBegin();
  const r = <u32>f64ToF32(load<u64>(b));
  if (fpCommit()) store<u32>(vPtr(d), r);
}

/** cvtps2pd xmm, xmm/m64: two singles to two doubles (m64: no alignment). */
export function Cvtps2pdVpdWps(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  fpBegin();
  store<u64>(RES, f32ToF64(load<u32>(b)));
  store<u64>(RES + 8, f32ToF64(load<u32>(b + 4)));
  if (fpCommit()) copy128(vPtr(d), RES);
}

/** cvtpd2ps xmm, xmm/m128: two doubles to the low two singles; the high quadword is zeroed. */
export function Cvtpd2psVpsWpd(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  fpBegin();
  store<u32>(RES, <u32>f64ToF32(load<u64>(b)));
  store<u32>(RES + 4, <u32>f64ToF32(load<u64>(b + 8)));
  store<u64>(RES + 8, 0);
  if (fpCommit()) copy128(vPtr(d), RES);
}

/** cvtdq2ps xmm, xmm/m128. */
export function Cvtdq2psVpsWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  fpBegin();
  for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, <u32>intToFloat(false, <i64>load<i32>(b + i)));
  if (fpCommit()) copy128(vPtr(d), RES);
}

/** cvtps2dq (arg 0) / cvttps2dq (arg 1) xmm, xmm/m128. */
export function Cvtps2dqVdqWps(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const t = argOf(d) != 0;
  fpBegin();
  for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, <u32>floatToInt(false, load<u32>(b + i), t, false));
  if (fpCommit()) copy128(vPtr(d), RES);
}

/** cvtdq2pd xmm, xmm/m64: exact. */
export function Cvtdq2pdVpdWq(d: usize): void {
  const b = wPtr64(d);
  if (b == 0) return;
  fpBegin();
  store<u64>(RES, intToFloat(true, <i64>load<i32>(b)));
  store<u64>(RES + 8, intToFloat(true, <i64>load<i32>(b + 4)));
  if (fpCommit()) copy128(vPtr(d), RES);
}

/** cvtpd2dq (arg 0) / cvttpd2dq (arg 1) xmm, xmm/m128: the high quadword is zeroed. */
export function Cvtpd2dqVdqWpd(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const t = argOf(d) != 0;
  fpBegin();
  store<u32>(RES, <u32>floatToInt(true, load<u64>(b), t, false));
  store<u32>(RES + 4, <u32>floatToInt(true, load<u64>(b + 8), t, false));
  store<u64>(RES + 8, 0);
  if (fpCommit()) copy128(vPtr(d), RES);
}

