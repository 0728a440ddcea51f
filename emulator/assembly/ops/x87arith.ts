// x87 arithmetic (manual Vol. 2, FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR and their
// P and I forms, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1), computed
// exactly by ../f80.ts. Operation numbers follow ModRM.reg of the D8 group:
// 0 add, 1 mul, 2 com, 3 comp, 4 sub, 5 subr, 6 div, 7 divr, "dest op src".

import { ea, rmOf, argOf } from '../insn';
import { add, mul, div, sqrt, roundToInt, scale, extract, remainder, compare, UP, SIG, SE, XT_EXP_SIG, XT_EXP_SE, REM_Q, REM_INCOMPLETE, EXC, IE } from '../f80';
import {
  x87ExceptionPending, beginFpu, finish, finishCc, finishCompare, faultBlocks, invalidMasked, stackFault, underflowTo, commitSt,
  stEmpty, stSig, stSe, setSt, popSt, pushSt, readOperand, MEM_SIG, MEM_SE, fpuCw,
} from './x87';

export const OP_ADD: u32 = 0;
export const OP_MUL: u32 = 1;
export const OP_COM: u32 = 2;
export const OP_COMP: u32 = 3;
export const OP_SUB: u32 = 4;
export const OP_SUBR: u32 = 5;
export const OP_DIV: u32 = 6;
export const OP_DIVR: u32 = 7;

/** dest op src, result in SIG/SE. */
function apply(op: u32, aSig: u64, aSe: u32, bSig: u64, bSe: u32): void {
  switch (op) {
    case OP_ADD: add(aSig, aSe, bSig, bSe, false); break;
    case OP_MUL: mul(aSig, aSe, bSig, bSe); break;
    case OP_SUB: add(aSig, aSe, bSig, bSe, true); break;
    case OP_SUBR: add(bSig, bSe, aSig, aSe, true); break;
    case OP_DIV: div(aSig, aSe, bSig, bSe); break;
    default: div(bSig, bSe, aSig, aSe); break;
  }
}

/**
 * st(0) op memory (D8, DC: m32/m64 real; DA, DE: m32/m16 integer), and the
 * fcom/fcomp/ficom/ficomp memory forms: arg = op | format << 3.
 */
export function FarithM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const op = argOf(d) & 7;
  if (!readOperand(ea(d), argOf(d) >> 3)) return;
  if (op == OP_COM || op == OP_COMP) {
    if (stEmpty(0)) {
      stackFault(false);
      finishCc(false, true, true, true);
      if (op == OP_COMP && invalidMasked()) popSt();
      return;
    }
    finishCompare(compare(stSig(0), stSe(0), MEM_SIG, MEM_SE, true));
    if (op == OP_COMP && (EXC & IE & ~fpuCw()) == 0) popSt();
    return;
  }
  if (stEmpty(0)) { underflowTo(0, false); return; }
  apply(op, stSig(0), stSe(0), MEM_SIG, MEM_SE);
  commitSt(0, false, UP);
}

/** D8 C0-FF: st(0) = st(0) op st(i); arg = op. */
export function FarithSt0Sti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  if (stEmpty(0) || stEmpty(i)) { underflowTo(0, false); return; }
  apply(argOf(d), stSig(0), stSe(0), stSig(i), stSe(i));
  commitSt(0, false, UP);
}

/** DC C0-FF: st(i) = st(i) op st(0); DE: the same, then pop (arg bit 3). */
export function FarithStiSt0(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  const pop = (argOf(d) & 8) != 0;
  if (stEmpty(0) || stEmpty(i)) { underflowTo(i, pop); return; }
  apply(argOf(d) & 7, stSig(i), stSe(i), stSig(0), stSe(0));
  commitSt(i, pop, UP);
}

/** fsqrt (arg 0) and frndint (arg 1) on st(0). */
export function FunaryOp(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (stEmpty(0)) { underflowTo(0, false); return; }
  if (argOf(d) == 0) sqrt(stSig(0), stSe(0));
  else roundToInt(stSig(0), stSe(0));
  commitSt(0, false, UP);
}

/** fscale: st(0) = st(0) * 2^trunc(st(1)). */
export function Fscale(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (stEmpty(0) || stEmpty(1)) { underflowTo(0, false); return; }
  scale(stSig(0), stSe(0), stSig(1), stSe(1));
  commitSt(0, false, UP);
}

/** fxtract: st(0) becomes the exponent, then the significand is pushed. */
export function Fxtract(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (stEmpty(0)) {
    if (invalidMasked()) {
      setSt(0, 0xc000000000000000, 0xffff);
      pushSt(0xc000000000000000, 0xffff);
    }
    stackFault(false);
    return;
  }
  if (!stEmpty(7)) {
    if (invalidMasked()) {
      setSt(0, 0xc000000000000000, 0xffff);
      pushSt(0xc000000000000000, 0xffff);
    }
    stackFault(true);
    return;
  }
  extract(stSig(0), stSe(0));
  if (faultBlocks()) { finish(false); return; }
  setSt(0, XT_EXP_SIG, XT_EXP_SE);
  pushSt(SIG, SE);
  finish(false);
}

/**
 * fprem (arg 0) / fprem1 (arg 1): st(0) = partial remainder of st(0) / st(1);
 * C2 set while incomplete, else C0 C3 C1 = quotient bits Q2 Q1 Q0.
 */
export function Fprem(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (stEmpty(0) || stEmpty(1)) {
    underflowTo(0, false);
    finishCc(false, false, false, false);
    return;
  }
  remainder(stSig(0), stSe(0), stSig(1), stSe(1), argOf(d) != 0);
  if (!faultBlocks()) setSt(0, SIG, SE);
  const q = REM_Q;
  if (REM_INCOMPLETE) finishCc(false, false, true, false);
  else finishCc((q & 1) != 0, (q & 4) != 0, false, (q & 2) != 0);
}
