// The x87 transcendental instructions (manual Vol. 2: FSIN, FCOS, FSINCOS,
// FPTAN, F2XM1, FPATAN, FYL2X, FYL2XP1): stack handling and condition
// codes; the functions themselves are ../f80-transcendental.ts.
//
// C2 reports an operand out of range (|x| >= 2^63) for fsin, fcos, fsincos
// and fptan, which then leave the stack unchanged, and is cleared otherwise
// (Vol. 2, FSIN "FPU Flags Affected"); the other instructions leave C0, C2
// and C3 as they were (undefined in the manual; measured on the host).

import { UP, SIG, SE, DE, INDEFINITE_SIG, INDEFINITE_SE } from '../f80';
import { sinCos, tan, exp2m1, atan2, ylog2x, ylog2xp1, setDenormalStops, TR_SIG2, TR_SE2, TR_OUT_OF_RANGE, WANT_SIN, WANT_COS } from '../f80-transcendental';
import { argOf } from '../insn';
import {
  x87ExceptionPending, beginFpu, finish, faultBlocks, invalidMasked, stackFault, underflowTo, commitSt,
  stEmpty, stSig, stSe, setSt, pushSt, setSwBits, SW_C2, fpuCw,
} from './x87';

/** Sets or clears C2 alone. */
function setC2(v: bool): void { setSwBits(SW_C2, v); }

/** beginFpu, and whether an unmasked DE stops the function. */
function begin(): void {
  beginFpu();
  setDenormalStops((fpuCw() & DE) == 0);
}

// arg of FunaryTrans
const T_SIN: u32 = 0;
const T_COS: u32 = 1;
const T_F2XM1: u32 = 2;

/** fsin (arg 0), fcos (arg 1), f2xm1 (arg 2): st(0) = f(st(0)). */
export function FunaryTrans(d: usize): void {
  if (x87ExceptionPending()) return;
  begin();
  const op = argOf(d);
  if (op != T_F2XM1) setC2(false);
  if (stEmpty(0)) { underflowTo(0, false); return; }
  if (op == T_F2XM1) exp2m1(stSig(0), stSe(0));
  else sinCos(stSig(0), stSe(0), op == T_SIN ? WANT_SIN : WANT_COS);
  if (op != T_F2XM1 && TR_OUT_OF_RANGE) { setC2(true); finish(false); return; }
  commitSt(0, false, UP);
}

/**
 * Two results, the second pushed: fptan (arg 0: tan x, then 1.0) and
 * fsincos (arg 1: sin x, then cos x). An empty st(0) or a full stack is a
 * stack fault, with both results the indefinite when masked.
 */
export function FpushTrans(d: usize): void {
  if (x87ExceptionPending()) return;
  begin();
  setC2(false);
  const empty = stEmpty(0);
  if (empty || !stEmpty(7)) {
    if (invalidMasked()) {
      setSt(0, INDEFINITE_SIG, INDEFINITE_SE);
      pushSt(INDEFINITE_SIG, INDEFINITE_SE);
    }
    stackFault(!empty);
    return;
  }
  let firstSig: u64, firstSe: u32, secondSig: u64, secondSe: u32;
  if (argOf(d) == 0) {
    tan(stSig(0), stSe(0));
    firstSig = SIG; firstSe = SE; secondSig = TR_SIG2; secondSe = TR_SE2;
  } else {
    sinCos(stSig(0), stSe(0), WANT_SIN | WANT_COS);
    firstSig = TR_SIG2; firstSe = TR_SE2; secondSig = SIG; secondSe = SE;
  }
  if (TR_OUT_OF_RANGE) { setC2(true); finish(false); return; }
  const c1 = UP;
  if (faultBlocks()) { finish(false); return; }
  setSt(0, firstSig, firstSe);
  pushSt(secondSig, secondSe);
  finish(c1);
}

// arg of FbinaryTrans
const T_PATAN: u32 = 0;
const T_YL2X: u32 = 1;

/** fpatan (arg 0), fyl2x (arg 1), fyl2xp1 (arg 2): st(1) = f(st(1), st(0)), then pop. */
export function FbinaryTrans(d: usize): void {
  if (x87ExceptionPending()) return;
  begin();
  if (stEmpty(0) || stEmpty(1)) { underflowTo(1, true); return; }
  const op = argOf(d);
  const x = stSig(0), xe = stSe(0), y = stSig(1), ye = stSe(1);
  if (op == T_PATAN) atan2(y, ye, x, xe);
  else if (op == T_YL2X) ylog2x(y, ye, x, xe);
  else ylog2xp1(y, ye, x, xe);
  commitSt(1, true, UP);
}
